"""`Value`: a float, its gradient, and the operation that made it — the node of a computation graph.

Each operation looks its rule up in `ops.py`, computes the value on floats (with the rule's domain
check first, so bad input is a clear error), and records a new node holding the rule and its
parents in order. Nothing else is stored: the local derivatives are computed by the rule when a
backward pass needs them, on floats or on Values.
"""
import contextvars
import functools
import numbers
import sys
from math import isfinite
from operator import attrgetter

from . import ops

# ---- recording on and off (per thread and per asyncio task) ----

_grad_enabled = contextvars.ContextVar("chainrule_grad_enabled", default=True)
# Set while autograd.compile traces a function: a comparison of Values then means a branch on
# the data, which a trace cannot follow.
_tracing = contextvars.ContextVar("chainrule_tracing", default=False)


def is_grad_enabled():
    """True unless inside `no_grad()`."""
    return _grad_enabled.get()


class no_grad:
    """Operations inside `with no_grad():` (or a function decorated `@no_grad()`) record nothing.

    Their results are plain leaf Values: cheaper, and a backward pass stops there. The setting
    belongs to the current thread (and asyncio task), so other threads keep recording.
    """

    def __init__(self):
        self._tokens = []

    def __enter__(self):
        self._tokens.append(_grad_enabled.set(False))
        return self

    def __exit__(self, *exc_info):
        _grad_enabled.reset(self._tokens.pop())
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def without_recording(*args, **kwargs):
            with no_grad():
                return function(*args, **kwargs)

        return without_recording


# ---- the node ----

_new_value = object.__new__
_data_of = attrgetter("data")


def _as_float(data):
    if type(data) is float:
        return data
    if isinstance(data, Value):
        raise TypeError("Value() takes a number, got a Value: use value.data or value.detach()")
    if isinstance(data, numbers.Real):
        return float(data)
    raise TypeError(f"Value() takes a real number, got {type(data).__name__}: {data!r}")


def _binary(rule):
    """The method pair for an arithmetic operator: `value OP other` and `other OP value`."""

    def method(self, other):
        other = _operand(other)
        return NotImplemented if other is None else _apply(rule, self, other)

    def reflected(self, other):
        other = _operand(other)
        return NotImplemented if other is None else _apply(rule, other, self)

    return method, reflected


def _unary(rule):
    def method(self):
        return _apply(rule, self)

    method.__name__ = rule.name
    method.__doc__ = f"{rule.name}(self), recorded in the graph."
    return method


class Value:
    """A scalar in a computation graph: `.data` (float) and `.grad` (float, 0 until backward).

    NaN and infinite data are accepted and follow IEEE arithmetic; what is checked is that
    finite inputs never give complex, NaN or infinite results silently.
    """

    __slots__ = ("data", "grad", "label", "_rule", "_parents", "__weakref__")

    def __init__(self, data, label=None):
        self.data = _as_float(data)
        self.grad = 0.0
        self.label = label
        self._rule = None
        self._parents = ()

    # -- what the graph looks like from outside --

    @property
    def parents(self):
        """The inputs of the operation that made this Value, in order (empty for a leaf)."""
        return self._parents

    @property
    def op(self):
        """The name of the operation that made this Value ('' for a leaf)."""
        return self._rule.name if self._rule is not None else ""

    # micrograd's names, so drawing code written for micrograd keeps working.
    _prev = parents
    _op = op

    def __repr__(self):
        label = f", label={self.label!r}" if self.label is not None else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"

    # -- arithmetic; the other operand may be a number, on either side --

    __add__, __radd__ = _binary(ops.ADD)
    __sub__, __rsub__ = _binary(ops.SUB)
    __mul__, __rmul__ = _binary(ops.MUL)
    __truediv__, __rtruediv__ = _binary(ops.DIV)

    def __pow__(self, exponent):
        if isinstance(exponent, Value):
            return _apply(ops.POW, self, exponent)
        if isinstance(exponent, numbers.Real):
            return _apply(ops.power(exponent), self)  # a fixed exponent: one input, not two
        return NotImplemented

    def __rpow__(self, base):
        base = _operand(base)
        return NotImplemented if base is None else _apply(ops.POW, base, self)

    def __pos__(self):
        return self

    __neg__ = _unary(ops.NEG)
    __abs__ = abs = _unary(ops.ABS)

    # -- functions --

    exp = _unary(ops.EXP)
    log = _unary(ops.LOG)
    sqrt = _unary(ops.SQRT)
    sin = _unary(ops.SIN)
    cos = _unary(ops.COS)
    tanh = _unary(ops.TANH)
    sigmoid = _unary(ops.SIGMOID)
    softplus = _unary(ops.SOFTPLUS)
    relu = _unary(ops.RELU)

    def leaky_relu(self, slope=0.01):
        """max(x, slope·x) for a small positive slope."""
        return _apply(ops.leaky_relu(slope), self)

    # -- comparisons look at the data; == and hash stay by identity (Values go in sets) --

    def __lt__(self, other):
        a, b = _compared(self, other)
        return a < b

    def __le__(self, other):
        a, b = _compared(self, other)
        return a <= b

    def __gt__(self, other):
        a, b = _compared(self, other)
        return a > b

    def __ge__(self, other):
        a, b = _compared(self, other)
        return a >= b

    # == and hash are object's own, by identity (not redefined here).

    # -- gradients --

    def backward(self):
        """Fill `.grad` of this Value and every Value it depends on with d(self)/d(node).

        Gradients *accumulate*, as in micrograd and PyTorch: a second call adds the same
        gradients again (exactly twice the first). Set `.grad = 0` (or use a module's
        `zero_grad()`) before each new pass.
        """
        from .backward import backward

        backward(self)

    def detach(self):
        """The same number as a new leaf: nothing flows back through it."""
        return Value(self.data, label=self.label)


def dot(weights, inputs, bias=0.0):
    """w·x + b = bias + Σ weights[i]·inputs[i], recorded as one node (a neuron's weighted sum).

    The same number and gradients as writing the sum out, with one node instead of 2n.
    """
    weights, inputs = list(weights), list(inputs)
    if len(weights) != len(inputs):
        raise ValueError(f"dot: {len(weights)} weights but {len(inputs)} inputs")
    return _apply_many(ops.DOT, _operands("dot", [*weights, *inputs, bias]))


def total(values):
    """v0 + v1 + ... as one node (Python's sum() would record a chain of len(values) nodes)."""
    values = list(values)
    if not values:
        raise ValueError("total() of no values: give at least one")
    return _apply_many(ops.TOTAL, _operands("total", values))


def logsumexp(values):
    """log(Σ e^v) as one node, computed without overflow for any inputs (softmax's
    normaliser: its gradient is the softmax)."""
    values = list(values)
    if not values:
        raise ValueError("logsumexp() of no values: give at least one")
    return _apply_many(ops.LOGSUMEXP, _operands("logsumexp", values))


def _operands(who, given):
    if set(map(type, given)) == {Value}:  # the usual case, checked at C speed
        return given
    operands = [_operand(x) for x in given]
    for x, operand in zip(given, operands):
        if operand is None:
            raise TypeError(f"{who} takes numbers or Values, got {type(x).__name__}: {x!r}")
    return operands


def _operand(other):
    """A Value for a Value or a real number; None for anything else (-> NotImplemented)."""
    if isinstance(other, Value):
        return other
    if isinstance(other, numbers.Real):
        return _node(float(other), None, ())  # a constant leaf (its number is known good)
    return None


def _compared(value, other):
    """The two numbers a comparison looks at (refused while tracing)."""
    if _tracing.get():
        from .compile import TraceError
        raise TraceError("the traced function compares Values, so its path depends on the "
                         "data, which one trace cannot follow: use the eager engine, or write "
                         "the choice without an if (with relu or abs, say)")
    return value.data, other.data if isinstance(other, Value) else other


# ---- the forward interpreter: the value on floats, checked, then recorded as a new node ----
# Written out per arity: this is the hot path of every eager computation.

def _apply(rule, a, b=None):
    """rule applied to one Value (b None) or two."""
    if b is None:
        x = a.data
        if rule.check is not None:
            rule.check(x)
        try:
            data = rule.value(x)
        except OverflowError:
            raise OverflowError(_overflow_message(rule, [x])) from None
        parents = (a,)
    else:
        x, y = a.data, b.data
        if rule.check is not None:
            rule.check(x, y)
        try:
            data = rule.value(x, y)
        except OverflowError:
            raise OverflowError(_overflow_message(rule, [x, y])) from None
        parents = (a, b)
    if not isfinite(data):
        _check_overflow(rule, [p.data for p in parents])
    return _node(data, rule, parents)


def _apply_many(rule, inputs):
    """A variadic rule applied to a list of Values."""
    xs = list(map(_data_of, inputs))
    try:
        data = rule.value(xs)
    except OverflowError:
        raise OverflowError(_overflow_message(rule, xs)) from None
    if not isfinite(data):
        _check_overflow(rule, xs)
    return _node(data, rule, tuple(inputs))


def _node(data, rule, parents):
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = None
    if _grad_enabled.get():
        out._rule = rule
        out._parents = parents
    else:
        out._rule = None
        out._parents = ()
    return out


def _check_overflow(rule, xs):
    """A non-finite result: fine from non-finite data (IEEE), an error from finite data."""
    if all(isfinite(x) for x in xs):
        raise OverflowError(_overflow_message(rule, xs))


def describe(rule, xs):
    """How an operation reads in a message: 'exp(1000.0)', '2.0 * 3.0'."""
    if len(xs) == 2 and rule.name in ("+", "-", "*", "/", "**"):
        return f"{xs[0]!r} {rule.name} {xs[1]!r}"
    if rule.name.startswith("**"):
        return f"{xs[0]!r} {rule.name}"
    return f"{rule.name}({', '.join(repr(x) for x in xs)})"


def _overflow_message(rule, xs):
    return (f"{describe(rule, xs)} overflows: the result is beyond the largest float "
            f"(about {sys.float_info.max:.2g})")
