"""Losses: values and gradients equal torch.nn.functional's in float64; bad targets named."""
import pytest

from autograd import Value, grad
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
