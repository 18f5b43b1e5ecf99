"""Losses: values and gradients equal torch.nn.functional's in float64; bad targets named."""
import pytest

import nn
from autograd import TraceError, Value, grad
from nn import losses
from reference import needs_torch


def values(numbers):
    return [Value(x) for x in numbers]


def flat(nested):
    return [x for row in nested for x in (row if isinstance(row, list) else [row])]


def test_mse_and_mae_by_hand():
    assert losses.mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data == (1 + 4) / 2
    assert losses.mae([Value(1.0), Value(-3.0)], [0.0, 1.0]).data == (1 + 4) / 2


def test_hinge_is_micrograds():
    scores, targets = values([0.3, -2.0, 1.5]), [1, -1, -1]
    expected = sum(max(0.0, 1 - t * s.data) for s, t in zip(scores, targets)) / 3
    assert losses.hinge(scores, targets).data == pytest.approx(expected, rel=1e-15)


def test_cross_entropy_is_stable_for_huge_logits():
    loss = losses.cross_entropy([values([1000.0, 0.0, -1000.0])], [1])
    assert loss.data == pytest.approx(1000.0, rel=1e-15)
    assert losses.binary_cross_entropy_with_logits([Value(-800.0)], [1]).data == 800.0


def test_l2_penalty():
    params = values([1.0, -2.0])
    assert losses.l2(params, alpha=0.5).data == 0.5 * 5


@pytest.mark.parametrize("call, words", [
    (lambda: losses.mse(values([1.0, 2.0]), [1.0]), "2 outputs but 1 targets"),
    (lambda: losses.mse([], []), "empty"),
    (lambda: losses.cross_entropy([values([1.0, 2.0])], [2]), "label 2 is not a class index"),
    (lambda: losses.cross_entropy([values([1.0, 2.0])], [0.5]), "label 0.5"),
    (lambda: losses.hinge(values([1.0]), [0]), "targets -1 or \\+1"),
    (lambda: losses.binary_cross_entropy(values([1.5]), [1]), "probabilities in \\[0, 1\\]"),
    (lambda: losses.binary_cross_entropy(values([0.5]), [2]), "targets in \\[0, 1\\]"),
    (lambda: losses.mse([values([1.0, 2.0])], [[1.0]]), "2 outputs but 1 targets"),
])
def test_bad_targets_are_named(call, words):
    with pytest.raises(ValueError, match=words):
        call()


@needs_torch
class TestAgainstTorch:
    def compare(self, ours, theirs, outputs, targets):
        import torch

        xs = [Value(x) for x in flat(outputs)]
        it = iter(xs)
        shaped = [[next(it) for _ in row] if isinstance(row, list) else next(it) for row in outputs]
        loss = ours(shaped, targets)
        gradients = [g.data for g in grad(loss, xs)]
        t = torch.tensor(outputs, dtype=torch.float64, requires_grad=True)
        t_loss = theirs(t)
        t_loss.backward()
        assert loss.data == pytest.approx(t_loss.item(), rel=1e-12)
        assert gradients == pytest.approx(t.grad.flatten().tolist(), rel=1e-12, abs=1e-300)

    def test_mse(self):
        import torch.nn.functional as F
        import torch
        out, y = [0.3, -1.2, 2.5, 0.0], [0.0, 1.0, 2.0, -0.5]
        self.compare(losses.mse, lambda t: F.mse_loss(t, torch.tensor(y, dtype=torch.float64)),
                     out, y)
        out2, y2 = [[0.3, 0.1], [2.0, -1.0]], [[1.0, 0.0], [0.0, 1.0]]
        self.compare(losses.mse, lambda t: F.mse_loss(t, torch.tensor(y2, dtype=torch.float64)),
                     out2, y2)

    def test_mae(self):
        import torch.nn.functional as F
        import torch
        out, y = [0.3, -1.2, 2.5, 0.7], [0.0, 1.0, 2.0, -0.5]
        self.compare(losses.mae, lambda t: F.l1_loss(t, torch.tensor(y, dtype=torch.float64)),
                     out, y)

    def test_binary_cross_entropy(self):
        import torch.nn.functional as F
        import torch
        out, y = [0.3, 0.9, 0.01, 0.5, 0.999999], [0.0, 1.0, 1.0, 0.25, 0.0]
        self.compare(losses.binary_cross_entropy,
                     lambda t: F.binary_cross_entropy(t, torch.tensor(y, dtype=torch.float64)),
                     out, y)

    def test_binary_cross_entropy_with_logits(self):
        import torch.nn.functional as F
        import torch
        out, y = [0.3, -2.0, 40.0, -700.0, 5.0], [0.0, 1.0, 1.0, 0.0, 0.5]
        self.compare(losses.binary_cross_entropy_with_logits,
                     lambda t: F.binary_cross_entropy_with_logits(
                         t, torch.tensor(y, dtype=torch.float64)), out, y)

    def test_cross_entropy(self):
        import torch.nn.functional as F
        import torch
        out = [[0.3, -1.0, 2.0], [5.0, 5.0, -3.0], [100.0, -100.0, 0.0], [0.0, 0.0, 0.0]]
        y = [2, 0, 1, 1]
        self.compare(losses.cross_entropy,
                     lambda t: F.cross_entropy(t, torch.tensor(y)), out, y)

    def test_hinge(self):
        import torch
        out, y = [0.3, -2.0, 1.5, 0.9], [1, -1, -1, 1]
        self.compare(losses.hinge,
                     lambda t: torch.relu(1 - torch.tensor(y, dtype=torch.float64) * t).mean(),
                     out, y)


# ---- each loss defined once: a per-sample term, the batch its mean ----

BUILT_IN = {  # (outputs, targets as the loss takes them, the same targets as rows)
    "mse": ([[0.3, -1.2], [2.5, 0.0]], [[0.0, 1.0], [2.0, -0.5]], [[0.0, 1.0], [2.0, -0.5]]),
    "mae": ([0.3, -1.2, 2.5], [0.0, 1.0, 2.0], [[0.0], [1.0], [2.0]]),
    "bce": ([0.3, 0.9, 0.01], [0.0, 1.0, 0.25], [[0.0], [1.0], [0.25]]),
    "bce_logits": ([0.3, -2.0, 40.0], [0.0, 1.0, 0.5], [[0.0], [1.0], [0.5]]),
    "cross_entropy": ([[0.3, -1.0, 2.0], [5.0, 5.0, -3.0]], [2, 0], [[0, 0, 1.0], [1.0, 0, 0]]),
    "hinge": ([0.3, -2.0, 1.5], [1, -1, -1], [[1.0], [-1.0], [-1.0]]),
}


@pytest.mark.parametrize("name", BUILT_IN)
def test_each_loss_is_the_mean_of_its_per_sample_terms(name):
    loss = losses.LOSSES[name]
    outputs, targets, rows = BUILT_IN[name]
    listed = [values(o) if isinstance(o, list) else [Value(o)] for o in outputs]
    terms = [loss.term(out, row).data for out, row in zip(listed, rows)]
    assert isinstance(loss, nn.Loss)
    assert loss([out if len(out) > 1 else out[0] for out in listed], targets).data == \
        pytest.approx(sum(terms) / len(terms), rel=1e-15)


def pseudo_huber_term(outputs, targets):
    """sqrt(1 + (o − t)²) − 1: squared error near the target, absolute error far from it."""
    return losses.mean([(1 + (o - t) ** 2) ** 0.5 - 1 for o, t in zip(outputs, targets)])


pseudo_huber = nn.Loss(pseudo_huber_term, "pseudo_huber")


def test_a_loss_of_your_own_is_called_like_the_built_in_ones():
    outputs, targets = values([0.5, -2.0, 3.0]), [0.0, 1.0, 3.0]
    loss = pseudo_huber(outputs, targets)
    expected = sum((1 + (o.data - t) ** 2) ** 0.5 - 1 for o, t in zip(outputs, targets)) / 3
    assert loss.data == pytest.approx(expected, rel=1e-15)
    assert [g.data for g in grad(loss, outputs)] == pytest.approx(
        [(o.data - t) / (1 + (o.data - t) ** 2) ** 0.5 / 3 for o, t in zip(outputs, targets)])
    assert pseudo_huber.name == "pseudo_huber" and "squared error" in pseudo_huber.__doc__
    assert nn.Loss(pseudo_huber_term).name == "pseudo_huber_term"


def test_a_loss_of_your_own_trains_on_both_engines_alike():
    X, y = nn.data.moons(40, seed=0)
    traced, eager = nn.MLP(2, [6, 1], seed=0), nn.MLP(2, [6, 1], seed=0)
    a = nn.fit(traced, X, y, loss=pseudo_huber, epochs=5, batch_size=8, progress=False)
    b = nn.fit(eager, X, y, loss=pseudo_huber, epochs=5, batch_size=8, progress=False,
               engine="eager")
    assert a.engine == "traced" and b.engine == "eager"
    assert a["loss"] == pytest.approx(b["loss"], rel=1e-9)
    assert a["accuracy"] == b["accuracy"]
    assert traced.trained_loss is pseudo_huber
    assert list(nn.predict(traced, X)) == list(nn.predict(eager, X))
    assert nn.evaluate(traced, X, y)["loss"] == pytest.approx(
        pseudo_huber([traced(x) for x in X], y).data, rel=1e-12)


def test_a_loss_of_your_own_reads_targets_and_classifies_as_told():
    def logistic_term(scores, signs):  # log(1 + e^(−t·s)), targets ±1
        return losses.mean([(-t * s).softplus() for s, t in zip(scores, signs)])

    logistic = nn.Loss(logistic_term, targets="signs", classify=losses.threshold(0.0))
    assert logistic.encode([0, 1, 1], 1).tolist() == [[-1.0], [1.0], [1.0]]
    assert list(logistic.classify([[0.2], [-0.1]])) == [1, 0]
    with pytest.raises(ValueError, match="targets -1 or \\+1"):
        logistic(values([0.5]), [0])
    X, y = nn.data.moons(60, seed=1)
    history = nn.fit(nn.MLP(2, [8, 1], seed=0), X, y, loss=logistic, lr=0.5, epochs=40,
                     progress=False)
    assert history.engine == "traced" and history["accuracy"][-1] > 0.8


def test_a_term_that_must_look_at_the_data_trains_eagerly():
    def clipped_error(outputs, targets):  # a branch on .data: it cannot be traced
        return losses.mean([(o - t) ** 2 if abs(o.data - t) < 1 else abs(o - t) * 2 - 1
                            for o, t in zip(outputs, targets)])

    X, y = nn.data.moons(24, seed=0)
    loss = nn.Loss(clipped_error, traceable=False)
    assert nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, loss=loss, epochs=2,
                  progress=False).engine == "eager"
    with pytest.raises(TraceError, match="no traceable form"):
        nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, loss=loss, engine="traced", progress=False)


@pytest.mark.parametrize("engine", ["auto", "eager"])
def test_a_term_that_returns_a_number_says_so(engine):
    X, y = nn.data.moons(24, seed=0)
    with pytest.raises(TypeError, match="must return a Value"):
        nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, loss=nn.Loss(lambda o, t: 0.0),
               engine=engine, progress=False)


@pytest.mark.parametrize("make, error, words", [
    (lambda: nn.Loss(3.0), TypeError, "made from a term"),
    (lambda: nn.Loss(pseudo_huber_term, targets="labels"), ValueError, "targets is one of"),
    (lambda: nn.Loss(pseudo_huber_term, classify=0.5), TypeError, "threshold"),
])
def test_a_loss_is_made_from_a_term_and_named_options(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_a_function_over_a_whole_batch_still_trains_eagerly():
    X, y = nn.data.moons(24, seed=0)
    seen = {}

    def whole_batch(outputs, targets):
        seen.update(output=outputs[0], target=targets[0])
        return losses.mse(outputs, targets)

    a = nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, loss=whole_batch, epochs=3, progress=False)
    b = nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, loss="mse", epochs=3, progress=False,
               engine="eager")
    assert a.engine == "eager" and a["loss"] == pytest.approx(b["loss"], rel=1e-12)
    assert isinstance(seen["output"], Value) and seen["target"] in (0.0, 1.0)


@pytest.mark.parametrize("name, y, width, rows", [
    ("mse", [0, 2], 3, [[1, 0, 0], [0, 0, 1]]), ("mse", [0.5, 2.0], 1, [[0.5], [2.0]]),
    ("hinge", [0, 1], 1, [[-1], [1]]), ("hinge", [-1, 1], 1, [[-1], [1]]),
    ("cross_entropy", [2, 0], 3, [[0, 0, 1], [1, 0, 0]]),
    ("cross_entropy", [[0, 1], [1, 0]], 2, [[0, 1], [1, 0]]),
    ("bce_logits", [0.25, 1], 1, [[0.25], [1]]),
])
def test_encode_reads_what_fit_is_given_as_rows_of_numbers(name, y, width, rows):
    assert losses.LOSSES[name].encode(y, width).tolist() == rows


@pytest.mark.parametrize("name, outputs, classes", [
    ("hinge", [[0.3], [-0.1], [0.0]], [1, 0, 0]), ("bce_logits", [[0.3], [-0.1]], [1, 0]),
    ("bce", [[0.6], [0.4]], [1, 0]), ("mse", [[0.6], [0.4]], [1, 0]),
    ("cross_entropy", [[0.1, 3.0, -1.0], [2.0, 1.0, 0.0]], [1, 0]),
    ("mse", [[0.1, 3.0], [2.0, 1.0]], [1, 0]),
])
def test_classify_reads_a_row_of_outputs_per_sample(name, outputs, classes):
    assert losses.LOSSES[name].classify(outputs).tolist() == classes


def test_fit_takes_losses_by_name_and_as_objects_alike():
    X, y = nn.data.moons(24, seed=0)
    by_name = nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, loss="bce_logits", epochs=2,
                     progress=False)
    by_object = nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, epochs=2, progress=False,
                       loss=losses.binary_cross_entropy_with_logits)
    assert by_name == by_object
