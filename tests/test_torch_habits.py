"""PyTorch's habits: float(v), v.item(), f"{v:.3f}"; Module subclasses with forward;
nn.Linear, nn.Sequential and activation modules."""
import math

import numpy as np
import pytest

from autograd import TraceError, Value, trace


# ---- the number out of the graph ----

def test_float_item_and_format_read_the_data():
    v = Value(2.5) * 2
    assert float(v) == 5.0 and type(float(v)) is float
    assert v.item() == 5.0 and type(v.item()) is float
    assert f"{v:.3f}" == "5.000" and format(v, "e") == format(5.0, "e")
    assert f"{v:>8.2f}" == "    5.00"
    assert f"{v}" == str(v) == format(v, "") == repr(v)  # an empty spec: str as before
    assert math.exp(Value(0.0)) == 1.0  # math's functions take it as a number, as for a tensor


def test_float_leaves_the_graph():
    x = Value(3.0)
    y = float(x) * x  # the float is a constant: dy/dx is 3, not 6
    y.backward()
    assert x.grad == 3.0


def test_float_and_item_are_refused_while_tracing():
    def uses_float(x):
        return x[0] * float(x[1])

    def uses_item(x):
        return x[0] * x[1].item()

    for function in (uses_float, uses_item):
        with pytest.raises(TraceError, match="out of the graph"):
            trace(function, np.array([1.0, 2.0]))


def test_format_is_allowed_while_tracing():
    seen = []

    def prints(x):
        seen.append(f"{x[0]:.2f}")
        return x[0] * 2

    tape = trace(prints, np.array([1.5]))
    assert seen and tape is not None


# ---- Module subclasses, as PyTorch's ----

import nn  # noqa: E402


class Net(nn.Module):
    """A PyTorch-style model: attributes in __init__, the output in forward."""

    def __init__(self, seed=0):
        super().__init__()
        self.hidden = nn.MLP(2, [3], activation="tanh", seed=seed)
        self.scale = Value(1.5)
        self.out = [Value(0.5), Value(-0.25), Value(1.0)]

    def forward(self, x):
        h = self.hidden(x)
        return self.scale * sum(w * hi for w, hi in zip(self.out, h))


def test_a_subclass_registers_what_it_assigns():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == [f"hidden.layer0.neuron{j}.{p}" for j in range(3) for p in ("w0", "w1", "b")] \
        + ["scale", "out.0", "out.1", "out.2"]
    assert len(net.parameters()) == 13 and list(net.state_dict()) == names
    assert [name for name, _ in net.named_children()] == ["hidden"]
    assert [name for name, _ in net.named_modules()][:3] == ["", "hidden", "hidden.layer0"]
    assert isinstance(net([1.0, 2.0]), Value)  # calling it runs forward


def test_a_subclass_without_super_init_nested_lists_dicts_shared_and_private():
    class Odd(nn.Module):  # no super().__init__(): found all the same
        def __init__(self):
            self.matrix = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]]
            self.table = {"a": Value(5.0), "b": (nn.Neuron(1, seed=0),)}
            self.again = self.matrix[0][0]  # one parameter, under its first name
            self._cache = Value(9.0)  # private: not a parameter
            self.count = 3

        def forward(self, x):
            return self.matrix[0][0] * x

    odd = Odd()
    assert [name for name, _ in odd.named_parameters()] == \
        ["matrix.0.0", "matrix.0.1", "matrix.1.0", "matrix.1.1", "table.a", "table.b.0.w0",
         "table.b.0.b"]
    assert odd(2.0).data == 2.0


def test_state_dict_zero_grad_save_and_load_round_trip(tmp_path):
    net = Net(seed=1)
    out = net([0.3, -0.7])
    out.backward()
    assert any(p.grad != 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad == 0 for p in net.parameters())
    net.save(tmp_path / "net.json")
    other = Net(seed=2)
    assert other([0.3, -0.7]).data != out.data
    other.load(tmp_path / "net.json")
    assert other([0.3, -0.7]).data == out.data
    assert other.state_dict() == net.state_dict()
    state = net.state_dict()
    state["scale"] = 2.0
    other.load_state_dict(state)
    assert other.scale.data == 2.0
    with pytest.raises(nn.ModelFileError, match="missing"):
        other.load_state_dict({"scale": 1.0})


def test_forward_is_what_calling_runs_even_below_mlp():
    class Doubled(nn.MLP):
        def forward(self, x):
            return super().forward(x) * 2

    model, plain = Doubled(2, [1], seed=0), nn.MLP(2, [1], seed=0)
    assert model([1.0, 1.0]).data == 2 * plain([1.0, 1.0]).data
    assert plain.forward([1.0, 1.0]).data == plain([1.0, 1.0]).data

    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="NoForward defines no forward"):
        NoForward()(1.0)
