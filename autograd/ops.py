"""The rule table: every operation defined once, its value and its local derivatives side by side.

A rule has
- `value(*inputs)`: the output,
- `partials(*inputs, out)`: the local derivative ∂out/∂input for each input, in input order,
- `check(*inputs)` (optional): raises a clear error where the operation has no real value.

`value` and `partials` use only arithmetic and the helpers of `elementary`, so the same rule runs
on floats (forward, plain backward), on Values (derivatives that are themselves differentiable)
and on numpy arrays (batched replay). `check` sees floats only.
"""
import functools
import math
from numbers import Real
from operator import mul

from .elementary import (  # noqa: F401  (DomainError is ops' to export)
    DomainError,
    add_all, cos, each, exp, is_array, is_finite, is_zero, join, largest, log, one, plain, relu,
    sigmoid, sign, sin, softplus, sqrt, step, tanh, where,
)


class Rule:
    """One operation. A `variadic` rule takes any number of inputs, passed as one sequence:
    `value(inputs)` and `partials(inputs, out)` (a list, or a stacked array when batched)."""

    __slots__ = ("name", "value", "partials", "check", "variadic", "shows")

    def __init__(self, name, value, partials, check=None, variadic=False, shows=None):
        self.name = name
        self.value = value
        self.partials = partials
        self.check = check
        self.variadic = variadic
        self.shows = shows  # how it reads in a message, e.g. "{0} + {1}"; else name(inputs)

    def describe(self, xs):
        """This operation on the numbers xs as a message shows it: '2.0 * 3.0', 'exp(1000.0)';
        a long list of inputs is shortened."""
        if self.shows is not None:
            return self.shows.format(*map(repr, xs))
        shown = list(map(repr, xs))
        if len(shown) > 8:
            shown = shown[:4] + [f"... {len(shown) - 6} more ..."] + shown[-2:]
        return f"{self.name}({', '.join(shown)})"

    def __repr__(self):
        return f"Rule({self.name!r})"


# ---- domain checks: a clear error instead of complex, nan or a silently wrong number ----

def _check_divisor(a, b):
    if b == 0:
        raise ZeroDivisionError(f"division by zero: {a!r} / {b!r}")


def _check_log(x):
    if x <= 0:
        raise DomainError(f"log of a non-positive number: log({x!r}) has no real value")


def _check_sqrt(x):
    if x < 0:
        raise DomainError(f"sqrt of a negative number: sqrt({x!r}) has no real value")


def _check_power(base, exponent):
    if base < 0 and math.isfinite(exponent) and not exponent.is_integer():
        raise DomainError(
            f"negative base to a fractional power: ({base!r}) ** {exponent!r} has no real value"
        )
    if base == 0 and exponent < 0:
        raise ZeroDivisionError(f"zero to a negative power: 0.0 ** {exponent!r} divides by zero")


# ---- the table ----

ADD = Rule("+", lambda a, b: a + b, lambda a, b, out: (1.0, 1.0), shows="{0} + {1}")
SUB = Rule("-", lambda a, b: a - b, lambda a, b, out: (1.0, -1.0), shows="{0} - {1}")
MUL = Rule("*", lambda a, b: a * b, lambda a, b, out: (b, a), shows="{0} * {1}")
DIV = Rule("/", lambda a, b: a / b, lambda a, b, out: (1.0 / b, -out / b), _check_divisor,
           shows="{0} / {1}")
NEG = Rule("neg", lambda x: -x, lambda x, out: (-1.0,))

EXP = Rule("exp", exp, lambda x, out: (out,))
LOG = Rule("log", log, lambda x, out: (1.0 / x,), _check_log)
SQRT = Rule("sqrt", sqrt, lambda x, out: (0.5 / out,), _check_sqrt)
ABS = Rule("abs", abs, lambda x, out: (sign(x),))
SIN = Rule("sin", sin, lambda x, out: (cos(x),))
COS = Rule("cos", cos, lambda x, out: (-sin(x),))

TANH = Rule("tanh", tanh, lambda x, out: (1.0 - out * out,))
SIGMOID = Rule("sigmoid", sigmoid, lambda x, out: (out * (1.0 - out),))
SOFTPLUS = Rule("softplus", softplus, lambda x, out: (sigmoid(x),))
# relu keeps NaN as NaN rather than hiding it as 0; its slope at 0 is 0, like PyTorch's.
RELU = Rule("relu", relu, lambda x, out: (step(x),))


# ---- operations on many inputs: one node where the expression would take dozens ----

def _dot_value(inputs):
    # inputs = (w1..wn, x1..xn, b): a neuron's w·x + b, summed left to right like
    # micrograd's sum(wi*xi, b) so that both give the same floats.
    n = len(inputs) // 2
    weights, xs, bias = inputs[:n], inputs[n:2 * n], inputs[2 * n:]
    if is_array(inputs):
        return bias[0] + (weights * xs).sum(axis=0)
    return sum(map(mul, weights, xs), bias[0])


def _dot_partials(inputs, out):
    # d/dw_i = x_i, d/dx_i = w_i, d/db = 1
    n = len(inputs) // 2
    return join(inputs[n:2 * n], inputs[:n], [1.0])


DOT = Rule("dot", _dot_value, _dot_partials, variadic=True)

TOTAL = Rule("total", add_all, lambda inputs, out: each(one, inputs), variadic=True)


def _log_sum_exp(inputs):
    # log Σ e^x, shifted by the largest x so that no exp overflows. Where the shift is not
    # finite (every input -inf, one +inf, or a NaN) the shift itself is the answer.
    shift = largest(inputs)
    if is_array(inputs):
        finite = is_finite(shift)
        safe = where(finite, shift, 0.0)
        return where(finite, safe + log(add_all(exp(inputs - safe))), shift)
    if not math.isfinite(shift):
        return shift
    return shift + log(add_all(each(lambda x: exp(x - shift), inputs)))


# d/dx_i log Σ e^x = softmax_i = e^(x_i - out)
LOGSUMEXP = Rule("logsumexp", _log_sum_exp,
                 lambda inputs, out: each(lambda x: exp(x - out), inputs), variadic=True)


def _power_partials(base, exponent, out):
    if is_array(base) or is_array(exponent):
        return _power_partials_batched(base, exponent, out)
    # d/d base: exponent * base ** (exponent - 1), written out even where the exponent is 0
    # (it is 0 there) so that its own derivative with respect to the exponent stays right;
    # at 0 ** 0 the slope is 0, as PyTorch (the formula would divide by zero).
    both_zero = is_zero(base) and is_zero(exponent)
    d_base = 0.0 if both_zero else exponent * base ** (exponent - 1.0)
    # d/d exponent: out * log(base). At base 0 the output is flat (0 ** b = 0 for b > 0).
    if is_zero(base):
        d_exponent = 0.0
    elif base < 0:
        raise _negative_base(base)
    else:
        d_exponent = out * log(base)
    return (d_base, d_exponent)


def _negative_base(base):
    return DomainError(
        f"the derivative of ({plain(base)!r}) ** b with respect to the exponent b needs a "
        "positive base: a negative number to a real power has no real value")


def _power_partials_batched(base, exponent, out):
    # The same cases elementwise. A negative base gives NaN here, which the tape reports
    # through the eager rule above.
    d_base = where((base == 0) & (exponent == 0), 0.0, exponent * base ** (exponent - 1.0))
    d_exponent = where(base == 0, 0.0, out * log(where(base < 0, float("nan"), base)))
    return (d_base, d_exponent)


POW = Rule("**", lambda base, exponent: base ** exponent, _power_partials, _check_power,
           shows="{0} ** {1}")


@functools.lru_cache(maxsize=1024)
def power(exponent):
    """The rule for x ** exponent with a fixed number as the exponent."""
    exponent = float(exponent)

    def check(x):
        _check_power(x, exponent)

    def partials(x, out):
        if exponent == 0:
            return (0.0,)
        return (exponent * x ** (exponent - 1.0),)

    return Rule(f"**{exponent:g}", lambda x: x ** exponent, partials, check,
                shows="{0} ** " + repr(exponent))


@functools.lru_cache(maxsize=1024)
def exponential(base):
    """The rule for base ** x with a fixed number as the base (only d/dx is ever needed)."""
    base = float(base)
    log_base = math.log(base) if base > 0 else math.nan

    def check(x):
        _check_power(base, x)

    def partials(x, out):
        if base == 0:
            return (0.0,)  # 0 ** x is flat where it is defined (x > 0)
        if base < 0 and not is_array(x):  # (a batch gets NaN, which the tape explains)
            raise _negative_base(base)
        return (out * log_base,)

    shown = f"({base!r})" if base < 0 else repr(base)
    return Rule(f"{base:g}**", lambda x: base ** x, partials, check, shows=shown + " ** {0}")


def leaky_relu(slope):
    """The rule for leaky_relu with a fixed negative slope (slope at 0, as PyTorch)."""
    if isinstance(slope, bool) or not isinstance(slope, Real) or not math.isfinite(slope):
        raise ValueError(f"leaky_relu's slope is a finite number, got {slope!r}")
    return _leaky_relu(float(slope))


@functools.lru_cache(maxsize=1024)
def _leaky_relu(slope):
    return Rule(
        f"leaky_relu({slope:g})",
        lambda x: where(x > 0, x, slope * x),
        lambda x, out: (where(x > 0, 1.0, slope),),
    )
