"""The rule table: every operation defined once, its value and its local derivatives side by side.

A rule has
- `value(*inputs)`: the output, on floats or numpy arrays,
- `partials(*inputs, out)`: the local derivative ∂out/∂input for each input, in input order,
- `check(*inputs)` (optional): raises a clear error where the operation has no real value,
- `shows`: how it reads in a message ("{0} + {1}"; else name(inputs)).

`partials` use only arithmetic, the table's functions (exp, cos, sqrt, ...) and the helpers of
`elementary`, so the same rule runs on floats (the plain backward pass), on Values (derivatives
that are themselves differentiable) and on numpy arrays (batched replay). `check` sees floats.

Everything else follows from an entry: `Value`'s method, the exported function that takes a
float, a Value or an array (`autograd.exp`), the error messages, and the batched interpreter.
`TABLE` holds every entry by name; tests/test_table.py checks that each has a test case, an
exported function and a row in the README's table of operations.
"""
from __future__ import annotations

import functools
from typing import Protocol, SupportsFloat, TypeVar, overload
import inspect
import math
import operator
import sys
from numbers import Real

import numpy as np

from .elementary import (  # noqa: F401  (DomainError is ops' to export)
    DomainError,
    add_all, between, choose, each, is_zero, join, kernel, log_of_base, log_sum_exp,
    one, plain, sigmoid_of_array, sigmoid_of_float, sign, softplus_of_array, softplus_of_float,
    step, where, weighted_sum,
)

Operand = TypeVar("Operand", bound=SupportsFloat)  # a Value (ops.py does not import value.py)


class Elementwise(Protocol):
    """An exported function of the table, as type checkers see it: a float gives a float, a
    numpy array an array, a Value a Value."""

    @overload
    def __call__(self, x: float) -> float: ...

    @overload
    def __call__(self, x: np.ndarray) -> np.ndarray: ...

    @overload
    def __call__(self, x: Operand) -> Operand: ...


TABLE = {}  # name -> Rule, or -> the function making the Rule of a family (x ** n, clamp)
FUNCTIONS = {}  # name -> the exported function of a float, a Value or an array


class Rule:
    """One operation. A one-input rule may give its `derivative(x, out)` instead of `partials`.
    A `variadic` rule takes any number of inputs, passed as one sequence: `value(inputs)` and
    `partials(inputs, out)` (a list, or a stacked array when batched)."""

    __slots__ = ("name", "value", "partials", "derivative", "check", "variadic", "shows",
                 "layer", "key", "by_hand", "closure")

    def __init__(self, name, value, partials=None, check=None, variadic=False, shows=None,
                 derivative=None, key=None):
        self.name = name
        self.value = value
        if derivative is not None:
            partials = _one_partial(derivative)
        elif not variadic and len(inspect.signature(partials).parameters) == 2:
            derivative = _first_partial(partials)  # partials(x, out): one input
        self.partials = partials
        self.derivative = derivative  # a one-input rule's only partial (the float walk's)
        self.check = check
        self.variadic = variadic
        self.shows = shows
        self.layer = None  # optional: a faster batched evaluation (see DOT)
        self.key = key  # its entry in TABLE (set by `entry`, or by a family's maker)
        self.by_hand = False  # True for micrograd-style nodes: see `written_by_hand`
        self.closure = None  # such a node's `_backward` closure, if it was given one

    def describe(self, xs):
        """This operation on the numbers xs as a message shows it: '2.0 * 3.0', 'exp(1000.0)';
        a long list of inputs is shortened."""
        if self.shows is not None:
            return self.shows.format(*map(repr, xs))
        shown = list(map(repr, xs))
        if len(shown) > 8:
            shown = shown[:4] + [f"... {len(shown) - 6} more ..."] + shown[-2:]
        return f"{self.name}({', '.join(shown)})"

    def overflow(self, xs):
        """The error for a result beyond the largest float, from the numbers xs."""
        return OverflowError(f"{self.describe(xs)} overflows: the result is beyond the largest "
                             f"float (about {sys.float_info.max:.2g})")

    def on_float(self, x):
        """The value at one float, checked: what the exported function gives for a number."""
        if self.check is not None:
            self.check(x)
        try:
            out = self.value(x)
        except OverflowError:
            raise self.overflow([x]) from None
        if not math.isfinite(out) and math.isfinite(x):
            raise self.overflow([x])
        return out

    def __repr__(self):
        return f"Rule({self.name!r})"


def written_by_hand(name, closure=None):
    """The rule of a node built micrograd's way, `Value(data, (x, y), 'name')`, or of any node
    given a `_backward` closure: its derivative is that closure, which adds into the parents'
    .grad (with none, no gradient flows, as in micrograd). Not a table entry: the closure runs
    on floats only, so such a node has no higher derivatives and no batched replay. Variadic,
    so that the walks' common one- and two-input paths never meet it. One per node, since it
    holds that node's closure."""
    rule = Rule(name, None, variadic=True)
    rule.by_hand = True
    rule.closure = closure
    return rule


def _one_partial(derivative):
    return lambda x, out: (derivative(x, out),)


def _first_partial(partials):
    return lambda x, out: partials(x, out)[0]


def entry(key, rule):
    """Put a rule (or a family's maker) in the table under `key`; returns it."""
    assert key not in TABLE, f"{key} is in the table twice"
    TABLE[key] = rule
    if isinstance(rule, Rule):
        rule.key = key
    return rule


def exported(function, name=None):
    """Make `function` the exported one of a table entry (autograd.<name>)."""
    if name is not None:
        function.__name__ = name
    FUNCTIONS[function.__name__] = function
    return function


def unary(name, on_float, on_array, derivative, check=None) -> Elementwise:
    """Enter a one-input operation: math's and numpy's function for its value, and its
    derivative(x, out). Returns its exported function, which takes a float (checked, as a Value
    would be), a numpy array (numpy's answer, NaN where undefined) or a Value (recorded)."""
    rule = entry(name, Rule(name, kernel(name, on_float, on_array), check=check,
                            derivative=derivative))

    def function(x):
        if type(x) is float:
            return rule.on_float(x)
        return _applied(rule, x, name)

    function.__doc__ = f"{name}(x) for a float, a Value or a numpy array (elementwise)."
    function.rule = rule
    return exported(function, name)


# ---- domain checks: a clear error instead of complex, nan or a silently wrong number ----
# A NaN passes every check (NaN <= 0 is False): NaN data follows IEEE arithmetic.

def refuse(name, is_outside, why):
    """A check for a one-input operation: DomainError where is_outside(x)."""
    def check(x):
        if is_outside(x):
            raise DomainError(f"{why}: {name}({x!r}) has no real value")
    return check


def _check_divisor(a, b):
    if b == 0:
        raise ZeroDivisionError(f"division by zero: {a!r} / {b!r}")


def _check_power(base, exponent):
    if base < 0 and math.isfinite(exponent) and not exponent.is_integer():
        raise DomainError(
            f"negative base to a fractional power: ({base!r}) ** {exponent!r} has no real value"
        )
    if base == 0 and exponent < 0:
        raise ZeroDivisionError(f"zero to a negative power: 0.0 ** {exponent!r} divides by zero")


# ---- arithmetic ----
# (operator's functions for the values: the same as a + b, called at C speed on the hot path)

ADD = entry("add", Rule("+", operator.add, lambda a, b, out: (1.0, 1.0), shows="{0} + {1}"))
SUB = entry("sub", Rule("-", operator.sub, lambda a, b, out: (1.0, -1.0), shows="{0} - {1}"))
MUL = entry("mul", Rule("*", operator.mul, lambda a, b, out: (b, a), shows="{0} * {1}"))
DIV = entry("div", Rule("/", operator.truediv, lambda a, b, out: (1.0 / b, -out / b),
                        _check_divisor, shows="{0} / {1}"))
NEG = entry("neg", Rule("neg", operator.neg, derivative=lambda x, out: -1.0))
ABS = entry("abs", Rule("abs", abs, derivative=lambda x, out: sign(x)))  # 0 at 0, as PyTorch

# ---- functions: value (math, numpy), derivative, domain ----

exp = unary("exp", math.exp, np.exp, lambda x, out: out)
expm1 = unary("expm1", math.expm1, np.expm1, lambda x, out: out + 1.0)
log = unary("log", math.log, np.log, lambda x, out: 1.0 / x,
            refuse("log", lambda x: x <= 0, "log of a non-positive number"))
log1p = unary("log1p", math.log1p, np.log1p, lambda x, out: 1.0 / (1.0 + x),
              refuse("log1p", lambda x: x <= -1, "log1p of a number at or below -1"))
log2 = unary("log2", math.log2, np.log2, lambda x, out: 1.0 / (x * math.log(2.0)),
             refuse("log2", lambda x: x <= 0, "log2 of a non-positive number"))
log10 = unary("log10", math.log10, np.log10, lambda x, out: 1.0 / (x * math.log(10.0)),
              refuse("log10", lambda x: x <= 0, "log10 of a non-positive number"))
sqrt = unary("sqrt", math.sqrt, np.sqrt, lambda x, out: 0.5 / out,
             refuse("sqrt", lambda x: x < 0, "sqrt of a negative number"))

sin = unary("sin", math.sin, np.sin, lambda x, out: cos(x))
cos = unary("cos", math.cos, np.cos, lambda x, out: -sin(x))
tan = unary("tan", math.tan, np.tan, lambda x, out: 1.0 + out * out)
asin = unary("asin", math.asin, np.arcsin, lambda x, out: 1.0 / sqrt(1.0 - x * x),
             refuse("asin", lambda x: abs(x) > 1, "asin of a number outside [-1, 1]"))
acos = unary("acos", math.acos, np.arccos, lambda x, out: -1.0 / sqrt(1.0 - x * x),
             refuse("acos", lambda x: abs(x) > 1, "acos of a number outside [-1, 1]"))
atan = unary("atan", math.atan, np.arctan, lambda x, out: 1.0 / (1.0 + x * x))

sinh = unary("sinh", math.sinh, np.sinh, lambda x, out: cosh(x))
cosh = unary("cosh", math.cosh, np.cosh, lambda x, out: sinh(x))
tanh = unary("tanh", math.tanh, np.tanh, lambda x, out: 1.0 - out * out)
asinh = unary("asinh", math.asinh, np.arcsinh, lambda x, out: 1.0 / sqrt(x * x + 1.0))
acosh = unary("acosh", math.acosh, np.arccosh,
              lambda x, out: 1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0)),
              refuse("acosh", lambda x: x < 1, "acosh of a number below 1"))
atanh = unary("atanh", math.atanh, np.arctanh, lambda x, out: 1.0 / (1.0 - x * x),
              refuse("atanh", lambda x: abs(x) >= 1, "atanh of a number outside (-1, 1)"))

# ---- activations ----

sigmoid = unary("sigmoid", sigmoid_of_float, sigmoid_of_array, lambda x, out: out * (1.0 - out))
softplus = unary("softplus", softplus_of_float, softplus_of_array, lambda x, out: sigmoid(x))
# relu keeps NaN as NaN rather than hiding it as 0 (NaN <= 0 is False; numpy's maximum keeps
# NaN); its slope at 0 is 0, like PyTorch's.
relu = unary("relu", lambda x: 0.0 if x <= 0 else x, lambda x: np.maximum(x, 0.0),
             lambda x, out: step(x))


# ---- operations with fixed numbers in them: one rule per number, made once and kept ----

def _as_number(x, who):
    """A real number as a float; one beyond float range is an error, not inf."""
    try:
        return float(x)
    except OverflowError:
        raise OverflowError(f"{who}() got a number beyond the largest float: "
                            f"{str(x)[:40]}...") from None


def _check_number(number, what):
    if isinstance(number, bool) or not isinstance(number, Real):
        raise TypeError(f"{what} is a number, got {number!r}"[:200])
    number = _as_number(number, what)
    if math.isnan(number):
        raise ValueError(f"{what} is a number, got nan")
    return number


@functools.lru_cache(maxsize=1024)
def _leaky_relu(slope):
    return Rule(f"leaky_relu({slope:g})", lambda x: where(x > 0, x, slope * x),
                shows="leaky_relu({0}, " + f"{slope!r})",
                derivative=lambda x, out: where(plain(x) > 0, 1.0, slope), key="leaky_relu")


def leaky_relu_rule(slope):
    """The rule for leaky_relu with a fixed negative slope (slope at 0, as PyTorch)."""
    if isinstance(slope, bool) or not isinstance(slope, Real) or not math.isfinite(slope):
        raise ValueError(f"leaky_relu's slope is a finite number, got {slope!r}")
    return _leaky_relu(float(slope))


entry("leaky_relu", leaky_relu_rule)


@exported
def leaky_relu(x, slope=0.01):
    """x where x > 0, else slope·x, for a float, a Value or a numpy array (elementwise)."""
    return _applied(leaky_relu_rule(slope), x, "leaky_relu", slope)


@functools.lru_cache(maxsize=1024)
def _clamp(low, high):
    # min(max(x, low), high) keeping NaN as NaN; slope 1 from low to high inclusive, as PyTorch
    return Rule(f"clamp({low:g}, {high:g})", lambda x: where(x < low, low, where(x > high, high, x)),
                shows="clamp({0}, " + f"{low!r}, {high!r})",
                derivative=lambda x, out: between(x, low, high), key="clamp")


def clamp_rule(low=None, high=None):
    """The rule for clamp(x, low, high): x held between two fixed numbers (either may be None)."""
    if low is None and high is None:
        raise ValueError("clamp needs low, high or both")
    low = -math.inf if low is None else _check_number(low, "clamp's low")
    high = math.inf if high is None else _check_number(high, "clamp's high")
    if low > high:
        raise ValueError(f"clamp's low {low!r} is above its high {high!r}")
    if low == math.inf or high == -math.inf:
        raise ValueError(f"clamp's bounds {low!r}, {high!r} would make every number infinite")
    return _clamp(low, high)


entry("clamp", clamp_rule)


@exported
def clamp(x, low=None, high=None):
    """x held between low and high (either may be None), for a float, a Value or a numpy
    array; slope 1 from low to high inclusive, 0 outside (as PyTorch)."""
    return _applied(clamp_rule(low, high), x, "clamp", low, high)


def _applied(rule, x, name, *numbers):
    """An exported function at x: a number (checked, as a Value would be), a numpy array
    (numpy's answer, NaN where undefined) or a Value (x.name(*numbers), recorded)."""
    if isinstance(x, np.ndarray):
        return rule.value(x)
    if isinstance(x, Real) and not isinstance(x, bool):  # numpy's scalars too
        return rule.on_float(_as_number(x, name))
    method = getattr(type(x), name, None)  # a Value records the operation (the class's
    # method: an attribute of the same name set on one Value does not stand in for it)
    if method is None:
        raise TypeError(f"{name}() takes a number, a Value or a numpy array, got "
                        f"{type(x).__name__}")
    return method(x, *numbers)


# ---- powers ----

def _power_partials(base, exponent, out):
    # d/d base: exponent * base ** (exponent - 1), written out even where the exponent is 0
    # (it is 0 there) so that its own derivative with respect to the exponent stays right;
    # at 0 ** 0 the slope is 0, as PyTorch (the formula would divide by zero).
    d_base = choose(is_zero(base) & is_zero(exponent), 0.0,
                    lambda: exponent * base ** (exponent - 1.0))
    # d/d exponent: out * log(base); flat at base 0 (0 ** b = 0 for b > 0)
    d_exponent = choose(is_zero(base), 0.0, lambda: out * log_of_base(base, exponent))
    return (d_base, d_exponent)


POW = entry("pow", Rule("**", lambda base, exponent: base ** exponent, _power_partials,
                        _check_power, shows="{0} ** {1}"))


@functools.lru_cache(maxsize=1024)
def power(exponent):
    """The rule for x ** exponent with a fixed number as the exponent."""
    exponent = float(exponent)

    def check(x):
        _check_power(x, exponent)

    def derivative(x, out):
        if exponent == 0:
            return 0.0  # the formula would divide by zero at x = 0
        return exponent * x ** (exponent - 1.0)

    return Rule(f"**{exponent:g}", lambda x: x ** exponent, check=check, derivative=derivative,
                shows="{0} ** " + repr(exponent), key="power")


entry("power", power)


@functools.lru_cache(maxsize=1024)
def exponential(base):
    """The rule for base ** x with a fixed number as the base (only d/dx is ever needed)."""
    base = float(base)

    def check(x):
        _check_power(base, x)

    def derivative(x, out):
        # 0 ** x is flat where it is defined (x > 0)
        return choose(base == 0, 0.0, lambda: out * log_of_base(base, x))

    shown = f"({base!r})" if base < 0 else repr(base)
    return Rule(f"{base:g}**", lambda x: base ** x, check=check, derivative=derivative,
                shows=shown + " ** {0}", key="exponential")


entry("exponential", exponential)


# ---- operations on many inputs: one node where the expression would take dozens ----

def _dot_value(inputs):
    # inputs = (w1..wn, x1..xn, b): a neuron's w·x + b
    n = len(inputs) // 2
    return weighted_sum(inputs[:n], inputs[n:2 * n], inputs[2 * n])


def _dot_partials(inputs, out):
    # d/dw_i = x_i, d/dx_i = w_i, d/db = 1
    n = len(inputs) // 2
    return join(inputs[n:2 * n], inputs[:n], [1.0])


DOT = entry("dot", Rule("dot", _dot_value, _dot_partials, variadic=True))


# dot's layer form: the same rule for a whole layer of neurons at once. On a tape, G dot nodes
# whose weights and bias are shared and whose inputs are per sample (B samples) are a layer;
# the generic batched evaluation would stack their inputs as an (inputs, G, B) array, matrix
# products need none. tests/test_batched.py checks that both give the same numbers. The same
# functions serve dot nodes whose weights are per sample too (cross-entropy's one-hot target
# dotted with the logits): weights (n, G, B), each sample's products summed.

def _layer_value(weights, inputs, bias):
    """w·x + b for G neurons and B samples: weights (n, G), bias (G,), inputs (n, G, B), or
    (n, B) where every neuron reads the same inputs (a dense layer: one matrix product).
    Weights (n, G, B), one set per sample: inputs (n, G, B), bias (G,) or (G, B)."""
    if weights.ndim == 3:
        return _summed_from_bias(weights, inputs, bias)
    if inputs.ndim == 2:
        return weights.T @ inputs + bias[:, None]
    return np.einsum("ng,ngb->gb", weights, inputs) + bias[:, None]


def _summed_from_bias(weights, inputs, bias):
    """b + w1·x1 + w2·x2 + ... per sample, added in that order as the eager rule adds them
    (weighted_sum), so that each sample gets the very same float: a running sum (accumulate
    adds one term at a time; a plain sum over the terms may pair them up)."""
    terms = np.empty((len(weights) + 1,) + weights.shape[1:])
    terms[0] = bias if bias.ndim == 2 else bias[:, None]
    np.multiply(weights, inputs, out=terms[1:])
    return np.add.accumulate(terms, axis=0)[-1]


# The backward pass, from the upstream gradient (G, B): dot's partials (∂/∂w = x, ∂/∂x = w,
# ∂/∂b = 1) times upstream, summed over what is shared. Three functions, so that a tape forms
# only the gradients it needs (never the sample's own).

def _layer_weights_gradient(inputs, upstream, into=None):
    """(n, G): for each weight, Σ over the samples of its input × upstream; written into
    `into` (an (n, G) array, such as a view of the slots), and returned, where given."""
    if inputs.ndim == 2:
        if into is None:
            return inputs @ upstream.T
        np.matmul(upstream, inputs.T, out=into.T)  # (G, n): the layout of a neuron's weights
        return into
    return np.einsum("ngb,gb->ng", inputs, upstream, out=into)


def _layer_inputs_gradient(weights, upstream, dense):
    """(n, G, B): each input's weight × upstream; or (n, B) in a dense layer, summed over the
    neurons that read the input. (Weights (n, G, B), per sample: each sample's own.)"""
    if weights.ndim == 3:
        return weights * upstream
    if not dense:
        return weights[:, :, None] * upstream[None]
    if weights.shape[1] == 1:  # one neuron: an outer product, cheaper elementwise
        return weights * upstream
    return weights @ upstream


def _layer_bias_gradient(upstream, into=None):
    """(G,): Σ over the samples of upstream; written into `into` (a (G,) array, such as a view
    of the slots), and returned, where given."""
    return np.add.reduce(upstream, axis=1, out=into)


class LayerForm:
    """A faster batched evaluation of a rule whose inputs are (w1..wn, x1..xn, b), for a layer
    of neurons, on numpy arrays: its value, and the gradients of its weights, inputs and bias.
    Optional: the tape evaluates a rule without one generically."""

    __slots__ = ("value", "weights_gradient", "inputs_gradient", "bias_gradient")

    def __init__(self, value, weights_gradient, inputs_gradient, bias_gradient):
        self.value = value
        self.weights_gradient = weights_gradient
        self.inputs_gradient = inputs_gradient
        self.bias_gradient = bias_gradient


DOT.layer = LayerForm(_layer_value, _layer_weights_gradient, _layer_inputs_gradient,
                      _layer_bias_gradient)

TOTAL = entry("total", Rule("total", add_all, lambda inputs, out: each(one, inputs),
                            variadic=True))
# d/dx_i log Σ e^x = softmax_i = e^(x_i - out)
LOGSUMEXP = entry("logsumexp", Rule("logsumexp", log_sum_exp,
                                    lambda inputs, out: each(lambda x: exp(x - out), inputs),
                                    variadic=True))
