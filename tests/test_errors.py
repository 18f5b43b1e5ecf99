"""Bad input is a clear error naming what was wrong, never complex, NaN or a silent number."""
import math

import pytest

from autograd import DomainError, Value, grad


@pytest.mark.parametrize("bad, type_name", [
    ("abc", "str"), (None, "NoneType"), (1 + 2j, "complex"), ([1.0], "list"),
])
def test_value_of_a_non_number_names_the_type(bad, type_name):
    with pytest.raises(TypeError, match=type_name):
        Value(bad)


def test_value_of_a_value_says_what_to_do():
    with pytest.raises(TypeError, match="detach"):
        Value(Value(1.0))


def test_arithmetic_with_a_non_number_is_a_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "2"
    with pytest.raises(TypeError):
        None * Value(1.0)


@pytest.mark.parametrize("compute, error, words", [
    (lambda: Value(0.0).log(), DomainError, ["log", "0.0"]),
    (lambda: Value(-2.0).log(), DomainError, ["log", "-2.0"]),
    (lambda: Value(-1.0).sqrt(), DomainError, ["sqrt", "-1.0"]),
    (lambda: Value(-8.0) ** (1 / 3), DomainError, ["negative base", "-8.0"]),
    (lambda: Value(-8.0) ** Value(0.5), DomainError, ["negative base", "-8.0"]),
    (lambda: (-8) ** Value(0.5), DomainError, ["negative base", "-8.0"]),
    (lambda: Value(0.0) ** -1, ZeroDivisionError, ["0.0 **", "-1"]),
    (lambda: Value(0.0) ** Value(-2.0), ZeroDivisionError, ["0.0 **", "-2.0"]),
    (lambda: 0 ** Value(-0.5), ZeroDivisionError, ["0.0 **", "-0.5"]),
    (lambda: Value(1.0) / 0, ZeroDivisionError, ["division by zero", "1.0 / 0.0"]),
    (lambda: 1 / Value(0.0), ZeroDivisionError, ["division by zero"]),
    (lambda: Value(1000.0).exp(), OverflowError, ["exp(1000.0)", "overflows", "1.8e+308"]),
    (lambda: Value(1e200) * Value(1e200), OverflowError, ["1e+200 * 1e+200", "overflows"]),
    (lambda: Value(1e308) + 1e308, OverflowError, ["overflows"]),
    (lambda: Value(10.0) ** 400, OverflowError, ["10.0 ** 400", "overflows"]),
    (lambda: Value(10.0) ** Value(400.0), OverflowError, ["overflows"]),
])
def test_bad_operations_raise_clear_arithmetic_errors(compute, error, words):
    with pytest.raises(error) as raised:
        compute()
    assert isinstance(raised.value, ArithmeticError)
    for word in words:
        assert word in str(raised.value)


def test_domain_error_is_also_a_value_error():
    with pytest.raises(ValueError):
        Value(-1.0).log()


@pytest.mark.parametrize("x", [-1e308, -800.0, -355.0, 355.0, 800.0, 1e308])
def test_tanh_sigmoid_softplus_never_overflow(x):
    v = Value(x)
    for result in (v.tanh(), v.sigmoid(), v.softplus()):
        assert math.isfinite(result.data)
    assert v.tanh().data == math.copysign(1.0, x)
    assert v.softplus().data >= max(x, 0.0)  # log(1 + e^x) >= max(x, 0)


def test_integer_powers_of_negative_numbers_are_fine():
    assert (Value(-2.0) ** 3).data == -8.0
    assert (Value(-2.0) ** Value(2.0)).data == 4.0


def test_infinite_slope_in_backward_is_an_error_naming_the_operation():
    x = Value(0.0)
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        x.sqrt().backward()
    with pytest.raises(ZeroDivisionError, match=r"0.0 \*\* 0.5"):
        (x ** 0.5).backward()
    assert x.grad == 0.0


def test_exponent_derivative_needs_a_positive_base():
    n = Value(3.0)
    y = (-2) ** n  # -8 is a fine value, but d/dn (-2)^n has no real value
    assert y.data == -8.0
    with pytest.raises(DomainError, match="positive base"):
        grad(y, n)


def test_grad_of_a_number_or_with_bad_inputs():
    with pytest.raises(TypeError, match="a number"):
        grad(3.0, [Value(1.0)])
    with pytest.raises(TypeError, match="input 1 is float"):
        x = Value(1.0)
        grad(x * 2, [x, 2.0])


def test_dot_with_mismatched_sizes_names_both():
    from autograd import dot
    with pytest.raises(ValueError, match="3 weights but 2 inputs"):
        dot([Value(1.0)] * 3, [1.0, 2.0])
    with pytest.raises(TypeError, match="str"):
        dot([Value(1.0)], ["x"])


def test_total_and_logsumexp_need_values():
    from autograd import logsumexp, total
    with pytest.raises(ValueError, match="no values"):
        total([])
    with pytest.raises(ValueError, match="no values"):
        logsumexp([])
    with pytest.raises(TypeError, match="str"):
        total([Value(1.0), "x"])
