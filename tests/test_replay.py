"""The replay's fast paths (issue #14: traced replay at numpy's speed) against the slow ones and
the eager engine: a layer's weights read as a view of the shared slots, dot over per-sample
weights (cross-entropy's one-hot · logits) by its layer form, one node of a many-input rule read
without a gather, and a Replay's arrays kept from step to step."""
import numpy as np
import pytest

import nn
from autograd import Value, dot, grad, logsumexp, ops, trace
from autograd.batched.codegen import grid_view
from reference import close_arrays
from test_batched import both_ways as batched_both_ways




def eager(function, batch, wrt):
    """(per-sample outputs, gradient of their mean) by the eager engine."""
    outputs, gradients = [], []
    for row in batch:
        out = function([Value(x) for x in row])
        outputs.append(out.data)
        gradients.append([g.data for g in grad(out, wrt)])
    return np.array(outputs), np.mean(gradients, axis=0)


def against_eager(function, batch, wrt):
    tape = trace(function, batch[0], wrt=wrt)
    (values,), gradient = tape.value_and_grad(batch)
    expected_values, expected_gradient = eager(function, batch, wrt)
    assert close_arrays(values, expected_values)
    assert close_arrays(gradient, expected_gradient)
    return tape


def values(rng, *shape):
    return np.vectorize(lambda x: Value(float(x)), otypes=[object])(rng.normal(size=shape))


# ---- a layer's weights as a view of the shared slots ----

def test_grid_view_reads_the_slots_it_names():
    s = np.arange(100.0)
    cases = [np.arange(12).reshape(4, 3, order="F") + 5,  # neuron by neuron, side by side
             (np.arange(4)[:, None] + 6 * np.arange(3)) + 2,  # neuron by neuron, a gap of 2
             np.arange(4)[:, None] * 7 + np.arange(3) + 1,  # input by input
             np.arange(5)[:, None] + 40]  # one neuron
    for slots in cases:
        window, columns, transposed = grid_view(slots, len(s))
        view = eval(f"s[{window}]{columns}{'.T' * transposed}")
        assert np.array_equal(view, s[slots])
        assert np.shares_memory(view, s)
    assert grid_view(np.array([[3, 4], [5, 9]]), 20) is None  # no grid
    assert grid_view(np.array([[0, 3], [1, 4]]), 4) is None  # its window would pass the end


def layouts(rng, n, G):
    """Layers whose weights lie in the shared slots in different orders, as (name, function,
    wrt): the order of wrt is the order of the slots."""
    W, b = values(rng, G, n), values(rng, G)

    def layer(row):
        return sum(dot(W[g], row, b[g]).tanh() for g in range(G))

    return [("neuron by neuron, bias after", layer, [p for g in range(G) for p in (*W[g], b[g])]),
            ("neuron by neuron, bias first", layer, [p for g in range(G) for p in (b[g], *W[g])]),
            ("weights as one block (Linear)", layer, [*W.ravel(), *b]),
            ("input by input", layer, [*W.T.ravel(), *b]),
            ("only the weights trained", layer, list(W.ravel()))]


@pytest.mark.parametrize("seed", range(4))
def test_a_layer_read_as_a_view_gives_the_eager_engines_numbers(seed):
    rng = np.random.default_rng(seed)
    n, G = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    batch = rng.normal(size=(int(rng.integers(1, 9)), n))
    for name, function, wrt in layouts(rng, n, G):
        tape = against_eager(function, batch, wrt)
        if name != "only the weights trained":  # (there the biases lie elsewhere: either way)
            assert ".reshape(" in tape.source, (name, tape.source)


def test_an_mlp_reads_its_weights_without_an_index():
    model = nn.MLP(4, [8, 3], seed=0)
    tape = trace(lambda row: sum(model(row)), [0.1, 0.2, 0.3, 0.4], wrt=model.parameters())
    assert "_weights" not in tape.source  # no index array: views of s
    batch = np.random.default_rng(1).normal(size=(6, 4))
    against_eager(lambda row: sum(model(row)), batch, model.parameters())


# ---- dot over per-sample weights: cross-entropy's one-hot · logits ----

def both_ways(function, batch, wrt, monkeypatch):
    """(outputs, gradient) by dot's layer form and by the generic dot rule."""
    return batched_both_ways(function, batch, wrt, monkeypatch,
                             marked_by="per-sample weights, products summed")


def per_sample_dots(rng, n):
    W, b = values(rng, n, n), values(rng, n)
    c = Value(0.3)

    def logits(row):
        return [dot(W[i], row[:n], b[i]) for i in range(n)]

    def cross_entropy(row):  # nn.losses' term: logsumexp(z) - one_hot · z
        z = logits(row)
        return logsumexp(z) - dot(row[n:], z)

    def weights_trained(row):  # per-sample weights made from parameters: their gradient too
        z = logits(row)
        return dot([zi * c for zi in z], row[n:], c).tanh()

    def per_sample_bias(row):
        return dot(row[n:], logits(row), row[0] * c).sin()

    def two_at_once(row):  # two such nodes at one depth: one group of 2
        z = logits(row)
        return dot(row[n:], z) * dot(z, row[n:], b[0])

    params = [*W.ravel(), *b]
    return [("cross-entropy", cross_entropy, params),
            ("weights trained", weights_trained, [*params, c]),
            ("a per-sample bias", per_sample_bias, [*params, c]),
            ("two at once", two_at_once, params)]


@pytest.mark.parametrize("seed", range(3))
def test_dot_over_per_sample_weights_equals_the_generic_rule_and_eager(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 5))
    for size in (1, 7):  # a batch of one sample, and several
        batch = np.column_stack([rng.normal(size=(size, n)), np.eye(n)[rng.integers(0, n, size)]])
        for name, function, wrt in per_sample_dots(rng, n):
            (fast, fast_gradient), (generic, generic_gradient) = both_ways(function, batch, wrt,
                                                                           monkeypatch)
            assert close_arrays(fast, generic) and close_arrays(fast_gradient, generic_gradient)
            expected, expected_gradient = eager(function, batch, wrt)
            assert close_arrays(fast, expected) and close_arrays(fast_gradient, expected_gradient)


def test_cross_entropy_on_the_tape_against_torch():
    torch = pytest.importorskip("torch")
    X, y = nn.data.blobs(20, centers=3, seed=2)
    model = nn.MLP(2, [5, 3], seed=3)
    loss = nn.losses.cross_entropy
    rows = loss.encode(y, 3)
    engine = nn.engines.TracedEngine(model, loss, X, rows,
                                     nn.optim.SGD(model.parameters(), lr=0.1))
    value, _ = engine.forward_backward(np.arange(20))
    (W1, b1), (W2, b2) = [(torch.tensor([[p.data for p in neuron.w] for neuron in layer.neurons],
                                        dtype=torch.float64, requires_grad=True),
                           torch.tensor([neuron.b.data for neuron in layer.neurons],
                                        dtype=torch.float64, requires_grad=True))
                          for layer in model.layers]
    hidden = torch.relu(torch.tensor(X) @ W1.T + b1)
    expected = torch.nn.functional.cross_entropy(hidden @ W2.T + b2, torch.tensor(y))
    expected.backward()
    gradient = [float(g) for W, b in ((W1, b1), (W2, b2))
                for row, bias in zip(W.grad, b.grad) for g in (*row, bias)]
    assert abs(value - expected.item()) <= 1e-12 * max(1.0, abs(value))
    assert close_arrays(engine.gradient, gradient)


# ---- one node of a many-input rule: its inputs read as a row index, no gather ----

def test_one_logsumexp_node_reads_its_inputs_as_a_slice():
    w = [Value(0.5), Value(-1.5), Value(2.0)]

    def function(row):
        return logsumexp([row[i] * w[i] for i in range(3)])

    batch = np.random.default_rng(4).normal(size=(5, 3))
    tape = against_eager(function, batch, w)
    assert "logsumexp of 1 node" in tape.source and ", None]" in tape.source


def test_logsumexp_of_infinities_keeps_its_answers():
    # the fast path is for finite shifts; -inf everywhere, +inf or NaN take the careful one
    rows = np.array([[0.0, 1.0], [-np.inf, -np.inf], [np.inf, 1.0], [np.nan, 1.0]]).T
    out = logsumexp.rule.value(rows) if hasattr(logsumexp, "rule") else \
        ops.LOGSUMEXP.value(rows)
    assert np.isclose(out[0], np.log(1 + np.e))
    assert out[1] == -np.inf and out[2] == np.inf and np.isnan(out[3])


# ---- a Replay: the arrays kept from step to step ----

def replay_problem():
    X, y = nn.data.blobs(23, centers=3, seed=5)
    model = nn.MLP(2, [4, 3], seed=6)
    params = model.parameters()

    def per_sample(row):
        return nn.losses.cross_entropy.term(model(row[:2]), row[2:]) + nn.losses.l2(params, 1e-3)

    return params, per_sample, np.column_stack([X, np.eye(3)[y]])


def test_a_replay_gives_the_tapes_answers_for_batches_of_any_size_in_turn():
    params, per_sample, samples = replay_problem()
    tape = trace(per_sample, samples[0], wrt=params)
    replay = tape.replay_on(samples)
    rng = np.random.default_rng(7)
    point = np.array([p.data for p in params])
    # a full batch, batches of 8 and the short last one, one sample, and back: the arrays of
    # each size are reused, and a batch size met again gets its own arrays right
    for rows in [np.arange(23), *np.array_split(rng.permutation(23), [8, 16]), [11],
                 rng.permutation(23)[:8], np.arange(23), [3]]:
        point = point + rng.normal(scale=0.01, size=len(point))
        (outputs,), gradient = replay.value_and_grad(rows, at=point)
        (expected,), expected_gradient = tape.value_and_grad(samples[rows], at=point)
        assert close_arrays(outputs, expected) and close_arrays(gradient, expected_gradient)
        if len(rows) <= 8:  # and the eager engine, at that point
            for p, x in zip(params, point):
                p.data = float(x)
            reference, reference_gradient = eager(per_sample, samples[rows], params)
            assert close_arrays(outputs, reference) and close_arrays(gradient, reference_gradient)
    assert len(replay.arrays) <= replay.KEPT


def test_a_replay_checks_what_it_is_given():
    params, per_sample, samples = replay_problem()
    replay = trace(per_sample, samples[0], wrt=params).replay_on(samples)
    with pytest.raises(ValueError, match="the batch is empty"):
        replay.value_and_grad(np.arange(0))
    with pytest.raises(ValueError, match=r"`at` gives the \d+ parameters' values"):
        replay.value_and_grad(np.arange(3), at=np.zeros(2))
    with pytest.raises(ValueError, match="reduction is 'mean' or 'sum'"):
        replay.value_and_grad(np.arange(3), reduction="max")
    with pytest.raises(ValueError, match="of shape"):
        trace(per_sample, samples[0], wrt=params).replay_on(samples[:, :3])


def test_fit_traced_equals_eager_with_a_short_last_batch_and_batches_of_one():
    X, y = nn.data.blobs(21, centers=3, seed=8)
    for batch_size in (1, 5, 21):
        weights = []
        for engine in ("eager", "traced"):
            model = nn.MLP(2, [4, 3], seed=9)
            history = nn.fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.01,
                             epochs=2, batch_size=batch_size, l2=1e-3, progress=False,
                             engine=engine)
            assert history.engine == engine
            weights.append(([p.data for p in model.parameters()], history["loss"]))
        (eager_weights, eager_loss), (traced_weights, traced_loss) = weights
        assert close_arrays(eager_weights, traced_weights, 1e-10)
        assert close_arrays(eager_loss, traced_loss, 1e-10)


# ---- a constant partial (+'s 1, -'s -1, neg's -1) multiplies nothing ----

def test_constant_partials_are_found_by_asking_the_rule():
    from autograd.batched.codegen import constant_partials
    assert constant_partials(ops.ADD, 2) == {0: 1.0, 1: 1.0}
    assert constant_partials(ops.SUB, 2) == {0: 1.0, 1: -1.0}
    assert constant_partials(ops.NEG, 1) == {0: -1.0}
    assert constant_partials(ops.MUL, 2) == {} and constant_partials(ops.TABLE["tanh"], 1) == {}


def test_sums_and_differences_without_their_partials_give_the_eager_engines_numbers():
    w, v = Value(0.7), Value(-1.3)

    def function(row):
        # batched - shared, shared - batched, a parameter taken away twice in one group (its
        # two contributions summed, not the last kept), neg, and + of both kinds
        return ((row[0] - w) * (row[1] - w) + (v - row[0]) + (-(row[1] * v)) + w).tanh()

    batch = np.random.default_rng(11).normal(size=(6, 2))
    for size in (1, 6):
        tape = against_eager(function, batch[:size], [w, v])
    backward = tape.source.split("def backward")[1]
    assert "-= up" in backward or "np.subtract.at" in backward
    assert "d[1] * up" not in backward.split("# - of")[1].split("#")[0]


# ---- the fast array paths of the table's helpers, and the optimizer's step after the tape ----

def test_relus_derivative_on_arrays_is_zeros_and_ones_that_add_as_numbers():
    x = np.array([[-1.0, 0.0, 2.0], [np.nan, -0.0, np.inf]])
    up = np.array([[3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    derivative = ops.relu.rule.derivative(x, np.maximum(x, 0.0))
    assert derivative.dtype == np.float64
    assert (derivative * up == np.array([[0.0, 0.0, 5.0], [0.0, 0.0, 8.0]])).all()
    assert (derivative + derivative == 2 * derivative).all()  # (booleans would add as `or`)


def test_logsumexp_on_arrays_warns_nothing_for_infinities_outside_a_tape():
    import warnings
    rows = np.array([[np.inf, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf]]).T
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ops.LOGSUMEXP.value(rows)
    assert out[0] == np.inf and out[1] == -np.inf


def test_a_traced_fit_with_relu_and_cross_entropy_matches_eager_and_torch():
    torch = pytest.importorskip("torch")
    X, y = nn.data.blobs(40, centers=3, seed=2)
    histories, weights = {}, {}
    for engine in ("eager", "traced"):
        model = nn.MLP(2, [5, 3], seed=3)
        histories[engine] = nn.fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=0.3,
                                   epochs=3, batch_size=8, shuffle=False, progress=False,
                                   metrics=(), engine=engine)
        weights[engine] = np.array([p.data for p in model.parameters()])
    assert close_arrays(histories["eager"]["loss"], histories["traced"]["loss"])
    assert close_arrays(weights["eager"], weights["traced"])
    # one step by torch in float64: the same loss and gradient as the tape's
    model = nn.MLP(2, [5, 3], seed=3)
    params = model.parameters()
    samples = np.column_stack([X, np.eye(3)[y]])
    tape = trace(lambda row: nn.losses.cross_entropy.term(model(row[:2]), row[2:]), samples[0],
                 wrt=params)
    (losses,), gradient = tape.value_and_grad(samples)
    W1 = torch.tensor([[n.w[i].data for i in range(2)] for n in model.layers[0].neurons],
                      dtype=torch.float64, requires_grad=True) \
        if hasattr(model.layers[0], "neurons") else None
    if W1 is None:
        return
    b1 = torch.tensor([n.b.data for n in model.layers[0].neurons], dtype=torch.float64,
                      requires_grad=True)
    W2 = torch.tensor([[n.w[i].data for i in range(5)] for n in model.layers[1].neurons],
                      dtype=torch.float64, requires_grad=True)
    b2 = torch.tensor([n.b.data for n in model.layers[1].neurons], dtype=torch.float64,
                      requires_grad=True)
    logits = torch.relu(torch.tensor(X) @ W1.T + b1) @ W2.T + b2
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y), reduction="none")
    loss.mean().backward()
    assert close_arrays(losses, loss.detach().numpy(), 1e-10)
    ours = dict(zip(map(id, params), gradient))
    layer0, layer1 = model.layers[0].neurons, model.layers[1].neurons
    assert close_arrays([[ours[id(n.w[i])] for i in range(2)] for n in layer0], W1.grad, 1e-10)
    assert close_arrays([ours[id(n.b)] for n in layer1], b2.grad, 1e-10)


def test_the_optimizers_update_checked_is_update_after_its_checks():
    for make in (lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9),
                 lambda ps: nn.optim.Adam(ps, lr=0.01)):
        a, b = make([Value(1.0), Value(2.0)]), make([Value(1.0), Value(2.0)])
        w, g = np.array([1.0, 2.0]), np.array([0.5, -0.25])
        for _ in range(3):
            assert (a.update(w, g) == b.update_checked(w, g)).all()
    sgd = nn.optim.SGD([Value(1.0), Value(2.0)], lr=1.0)
    with pytest.raises(FloatingPointError, match="parameter 1 would become inf"):
        sgd.update_checked(np.array([1.0, 1.7e308]), np.array([0.0, -1e308]))


@pytest.mark.parametrize("seed", range(3))
def test_a_layers_weights_gradient_is_written_into_place_by_the_first_line_to_run(seed):
    rng = np.random.default_rng(seed)
    n, G = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    batch = rng.normal(size=(int(rng.integers(1, 9)), n))
    for name, function, wrt in layouts(rng, n, G):
        tape = against_eager(function, batch, wrt)
        if name != "only the weights trained":
            assert "weights_gradient(" in tape.source and ", into=" in tape.source, name
        # the same weights read again (a penalty on them): the line run first writes, the
        # other adds

        def penalized(row, function=function, wrt=wrt):
            return function(row) + 0.01 * sum(p * p for p in wrt)
        against_eager(penalized, batch, wrt)


def test_a_weight_shared_by_two_layers_gets_both_gradients():
    rng = np.random.default_rng(4)
    W, b1, b2 = values(rng, 3, 3), values(rng, 3), values(rng, 3)

    def twice(row):  # the same weights in two layers
        hidden = [dot(W[g], row, b1[g]).tanh() for g in range(3)]
        return sum(dot(W[g], hidden, b2[g]) for g in range(3))

    tape = against_eager(twice, rng.normal(size=(5, 3)), [*W.ravel(), *b1, *b2])
    # the second layer's line runs first, and writes; the first layer's adds
    lines = [line for line in tape.source.splitlines() if "weights_gradient(" in line]
    assert len(lines) == 2 and sum(", into=" in line for line in lines) == 1, lines


def test_a_bias_that_is_also_a_weight_of_its_layer_gets_both_gradients():
    rng = np.random.default_rng(5)
    W = values(rng, 2, 3)

    def own_bias(row):  # each neuron's bias is its own first weight
        return sum(dot(W[g], row, W[g][0]).tanh() for g in range(2))

    against_eager(own_bias, rng.normal(size=(4, 3)), list(W.ravel()))
    b = values(rng, 2)

    def bias_twice(row):  # the biases read again by a second layer
        hidden = [dot(W[g], row, b[g]).tanh() for g in range(2)]
        return dot(b, hidden, b[0])

    against_eager(bias_twice, rng.normal(size=(4, 3)), [*W.ravel(), *b])
    assert "bias_gradient(up, into=" in trace(lambda row: sum(
        dot(W[g], row, b[g]) for g in range(2)), [0.1, 0.2, 0.3], wrt=[*W.ravel(), *b]).source


def test_a_replay_without_outputs_gives_the_first_output_alone():
    samples = np.random.default_rng(4).normal(size=(12, 2))
    a, b = Value(0.3), Value(-0.7)

    def function(x):
        return (a * x[0] + b * x[1]).tanh() ** 2, a * x[0] * b

    tape = trace(function, samples[0], wrt=[a, b])
    replay, again = tape.replay_on(samples), tape.replay_on(samples)
    for rows in (np.array([3, 1, 7]), np.arange(12) % 2 == 0):
        outputs, gradient = replay.value_and_grad(rows)
        first, same_gradient = again.value_and_grad(rows, outputs=False)
        assert first.shape == (len(outputs[0]),)
        assert np.array_equal(first, outputs[0]) and np.array_equal(gradient, same_gradient)

    def shared_first(x):  # the first output one number for the whole batch
        return a * b, a * x[0]

    tape = trace(shared_first, samples[0], wrt=[a, b])
    first, _ = tape.replay_on(samples).value_and_grad([2, 5], outputs=False)
    assert np.array_equal(first, np.full(2, a.data * b.data))


def test_a_replay_takes_its_batch_by_index_as_numpy_indexing_does():
    samples = np.random.default_rng(5).normal(size=(9, 2))
    a = Value(0.4)
    tape = trace(lambda x: (a * x[0] - x[1]).tanh(), samples[0], wrt=[a])
    replay = tape.replay_on(samples)
    for rows in ([8, -1, 0], [2, 2, 5, 1], np.arange(9)[::-2]):  # negative, repeated, strided
        (values,), gradient = tape.value_and_grad(samples[np.asarray(rows)])
        replayed, replay_gradient = replay.value_and_grad(np.asarray(rows))
        assert np.array_equal(replayed[0], values) and np.array_equal(replay_gradient, gradient)
    with pytest.raises(IndexError, match="index 9 is out of bounds for axis 0 with size 9"):
        replay.value_and_grad(np.array([1, 9]))
