"""Value itself: construction, operators, comparisons, identity, no_grad, detach."""
import math
import threading

import numpy as np
import pytest

from autograd import Value, is_grad_enabled, no_grad


def test_data_is_a_float_and_grad_starts_at_zero():
    for given in (3, 2.5, True, np.float32(1.5), np.int64(7)):
        v = Value(given)
        assert type(v.data) is float and v.data == float(given) and v.grad == 0.0


def test_label():
    assert Value(1.0, label="w").label == "w"
    assert Value(1.0).label == ""  # micrograd's default


def test_repr_shows_data_and_grad_like_micrograd():
    v = Value(2.0)
    assert repr(v) == "Value(data=2.0, grad=0.0)"
    assert repr(Value(1.5, label="w")) == "Value(data=1.5, grad=0.0, label='w')"


@pytest.mark.parametrize("expression, expected", [
    (lambda v: v + 2, 5.0), (lambda v: 2 + v, 5.0), (lambda v: v - 2, 1.0),
    (lambda v: 2 - v, -1.0), (lambda v: v * 2, 6.0), (lambda v: 2 * v, 6.0),
    (lambda v: v / 2, 1.5), (lambda v: 6 / v, 2.0), (lambda v: v ** 2, 9.0),
    (lambda v: 2 ** v, 8.0), (lambda v: v ** Value(2.0), 9.0), (lambda v: -v, -3.0),
    (lambda v: +v, 3.0), (lambda v: abs(-v), 3.0),
])
def test_operators_with_numbers_on_either_side(expression, expected):
    assert expression(Value(3.0)).data == expected


def test_functions_give_the_math_module_values():
    x = 0.8
    v = Value(x)
    assert v.exp().data == math.exp(x) and v.log().data == math.log(x)
    assert v.sqrt().data == math.sqrt(x) and v.tanh().data == math.tanh(x)
    assert v.sin().data == math.sin(x) and v.cos().data == math.cos(x)
    assert v.sigmoid().data == pytest.approx(1 / (1 + math.exp(-x)), rel=1e-15)
    assert v.softplus().data == pytest.approx(math.log(1 + math.exp(x)), rel=1e-15)
    assert Value(-2.0).relu().data == 0.0 and Value(2.0).relu().data == 2.0
    assert Value(-2.0).leaky_relu().data == -0.02 and Value(-2.0).leaky_relu(0.5).data == -1.0
    assert Value(-2.0).abs().data == 2.0


def test_elementary_functions_take_floats_values_and_arrays():
    from autograd import sigmoid, tanh
    assert tanh(0.5) == math.tanh(0.5)
    assert tanh(Value(0.5)).data == math.tanh(0.5)
    arr = np.array([-800.0, 0.0, 800.0])
    assert np.allclose(sigmoid(arr), [0.0, 0.5, 1.0])


def test_op_names_and_parents_in_order():
    a, b = Value(1.0), Value(2.0)
    c = b - a
    assert c.op == "-" and c.parents == (b, a)
    assert a.op == "" and a.parents == ()
    assert (a ** 2).op == "**2" and a.tanh().op == "tanh"
    assert c._op == "-" and tuple(c._prev) == (b, a)  # micrograd's names


def test_comparisons_look_at_data():
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a
    assert a < 1.5 and 2.5 > b and not (a > 1.0)


def test_equality_and_hash_are_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a
    assert len({a, b}) == 2
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b"


def test_sum_of_values():
    xs = [Value(float(i)) for i in range(5)]
    s = sum(xs)
    s.backward()
    assert s.data == 10.0 and all(x.grad == 1.0 for x in xs)


class TestNoGrad:
    def test_nothing_is_recorded(self):
        x = Value(2.0)
        with no_grad():
            assert not is_grad_enabled()
            y = x * x + 1
        assert is_grad_enabled()
        assert y.data == 5.0 and y.parents == ()
        y.backward()
        assert x.grad == 0.0

    def test_as_a_decorator(self):
        @no_grad()
        def update(v):
            return v * 3

        assert update(Value(1.0)).parents == () and is_grad_enabled()

    def test_nesting_and_exceptions_restore_the_setting(self):
        with no_grad():
            with no_grad():
                pass
            assert not is_grad_enabled()
        assert is_grad_enabled()
        with pytest.raises(RuntimeError):
            with no_grad():
                raise RuntimeError
        assert is_grad_enabled()

    def test_other_threads_keep_recording(self):
        inside, outside = threading.Event(), threading.Event()
        seen = {}

        def record():
            inside.wait()
            seen["other thread"] = (Value(1.0) * 2).parents != ()
            outside.set()

        thread = threading.Thread(target=record)
        thread.start()
        with no_grad():
            inside.set()
            outside.wait()
            seen["this thread"] = (Value(1.0) * 2).parents != ()
        thread.join()
        assert seen == {"other thread": True, "this thread": False}


def test_detach_stops_the_gradient():
    x = Value(3.0, label="x")
    y = x.detach() * x
    y.backward()
    assert x.grad == 3.0  # only through the second factor
    assert x.detach().label == "x" and x.detach().parents == ()
