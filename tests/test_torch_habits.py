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
