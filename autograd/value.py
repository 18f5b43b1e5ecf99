"""`Value`: a float, its gradient, and the operation that made it — the node of a computation graph.

Each operation looks its rule up in `ops.py`, computes the value on floats (with the rule's domain
check first, so bad input is a clear error), and records a new node holding the rule and its
parents in order. Nothing else is stored: the local derivatives are computed by the rule when a
backward pass needs them, on floats or on Values.
"""
from __future__ import annotations

import contextvars
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Callable, TypeVar
import functools
import inspect
import numbers
import sys
import threading
from math import isfinite, isinf

import numpy as np

from . import ops
from .collector import graph_watch
from .walk import data_of, float_walk, local_derivatives

Function = TypeVar("Function", bound=Callable[..., Any])  # a function, kept as it is typed

# ---- recording on and off (per thread and per asyncio task) ----

_grad_enabled = contextvars.ContextVar("chainrule_grad_enabled", default=True)
# Set while autograd.batched traces a function: a comparison of Values then means a branch on
# the data, which a trace cannot follow.
tracing = contextvars.ContextVar("chainrule_tracing", default=False)


class TraceError(ValueError):
    """The function cannot be traced: its graph depends on the data."""


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()` (or `set_grad_enabled(False)`)."""
    return _grad_enabled.get()


class set_grad_enabled:
    """Recording on (`mode=True`) or off (`False`) inside `with set_grad_enabled(mode):`, or in
    a function decorated `@set_grad_enabled(mode)`; set back as it was on the way out.

    The setting belongs to the current thread (and asyncio task), so other threads keep their
    own. One object may be entered by several threads at once, and nested in itself."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled takes True or False, got {mode!r}")
        self.mode = mode
        self._saved = threading.local()  # per thread: the settings to go back to

    def __enter__(self) -> set_grad_enabled:
        self._saved.__dict__.setdefault("stack", []).append(_grad_enabled.get())
        _grad_enabled.set(self.mode)
        return self

    def __exit__(self, *exc_info: object) -> bool:
        _grad_enabled.set(self._saved.stack.pop())
        return False

    def __call__(self, function: Function) -> Function:
        mode = self.mode
        if inspect.isgeneratorfunction(function):
            @functools.wraps(function)
            def generator_with_mode(*args, **kwargs):
                # the mode holds while the generator runs, not while its caller does
                generator = function(*args, **kwargs)
                sent = None
                while True:
                    try:
                        with set_grad_enabled(mode):
                            item = generator.send(sent)
                    except StopIteration as stop:
                        return stop.value
                    sent = yield item

            return generator_with_mode

        @functools.wraps(function)
        def with_mode(*args, **kwargs):
            with set_grad_enabled(mode):
                return function(*args, **kwargs)

        return with_mode


class _FixedMode(set_grad_enabled):
    """set_grad_enabled with its mode built in; also a bare decorator (`@no_grad`)."""

    mode_of_class = True

    def __new__(cls, function: Callable[..., Any] | None = None) -> Any:
        if function is not None:  # @no_grad without parentheses, as PyTorch allows
            if not callable(function):
                raise TypeError(f"{cls.__name__}() takes no arguments (or decorates a "
                                f"function), got {type(function).__name__}")
            return cls()(function)
        return super().__new__(cls)

    def __init__(self, function: Callable[..., Any] | None = None) -> None:
        super().__init__(self.mode_of_class)


class no_grad(_FixedMode):
    """Operations inside `with no_grad():` (or a function decorated `@no_grad()`) record nothing.

    Their results are plain leaf Values: cheaper, and a backward pass stops there. As in
    PyTorch, `grad(..., create_graph=True)` records all the same (it is asked to)."""

    mode_of_class = False


class enable_grad(_FixedMode):
    """Recording on again inside `with enable_grad():`, even within `no_grad()`."""

    mode_of_class = True


# ---- the node ----

_new_value = object.__new__


def as_float(data, who="Value()"):
    """A real number as a float, refusing what would silently change on the way (a number
    beyond float range would become inf)."""
    if type(data) is float:
        return data
    if isinstance(data, Value):
        raise TypeError(f"{who} takes a number, got a Value: use value.data or value.detach()")
    if not isinstance(data, numbers.Real):
        raise TypeError(f"{who} takes a real number, got {type(data).__name__}: "
                        f"{_shortened(repr(data))}")
    try:
        number = float(data)
    except OverflowError:
        number = None
    if number is None or (isinf(number) and data != number):
        raise OverflowError(f"{who} got {_shortened(repr(data))}, which is beyond the largest "
                            f"float (about {sys.float_info.max:.2g})")
    return number


def _checked_label(label):
    if label is None:
        return ""  # the old default: unnamed
    if not isinstance(label, str):
        raise TypeError(f"Value(data, label=...): the label is a string, got "
                        f"{type(label).__name__}: {_shortened(repr(label))}")
    return label


def _checked_op(op):
    if not isinstance(op, str):
        raise TypeError(f"Value(data, _children, _op): the operation's name _op is a string, "
                        f"got {type(op).__name__}: {_shortened(repr(op))}")
    return op


def _checked_children(children):
    """micrograd's `_children`: the Values a hand-built node was computed from, in order."""
    if type(children) is tuple and not children:
        return children  # Value(data): a leaf, the common case
    if isinstance(children, str):
        raise TypeError(f"Value(data, _children): the second argument is the Values this one "
                        f"was computed from, as in micrograd (a tuple); to name a Value write "
                        f"Value(data, label={_shortened(repr(children))})")
    if not is_sequence(children):
        raise TypeError(f"Value(data, _children): _children is a tuple of Values, got "
                        f"{type(children).__name__}: {_shortened(repr(children))}")
    children = tuple(children)
    for position, child in enumerate(children):
        if not isinstance(child, Value):
            raise TypeError(f"Value(data, _children): _children holds Values; item {position} "
                            f"is {type(child).__name__}: {_shortened(repr(child))}")
    return children


def _shortened(text, limit=60):
    return text if len(text) <= limit else f"{text[:limit - 15]}...{text[-12:]}"


def require_value(x, who):
    """x itself if it is a Value, else a TypeError saying what `who` takes."""
    if not isinstance(x, Value):
        kind = "a number" if isinstance(x, numbers.Real) else type(x).__name__
        raise TypeError(f"{who} takes a Value, got {kind}: {_shortened(repr(x))}")
    return x


def _binary(rule: ops.Rule) -> tuple[Callable[[Value, Value | float], Value],
                                    Callable[[Value, Value | float], Value]]:
    """The method pair for an arithmetic operator: `value OP other` and `other OP value`."""

    def method(self, other):
        if type(other) is not Value:  # (a Value, the common case, skips these checks)
            other = _operand(other)
            if other is None:
                return NotImplemented
        return apply_binary(rule, self, other)

    def reflected(self, other):
        other = _operand(other)
        return NotImplemented if other is None else apply_binary(rule, other, self)

    return method, reflected


def _unary(rule: ops.Rule) -> Callable[[Value], Value]:
    def method(self):
        return apply_unary(rule, self)

    method.__name__ = rule.name
    method.__doc__ = f"{rule.name}(self), recorded in the graph."
    return method


class Value:
    """A scalar in a computation graph: `.data` (float) and `.grad` (float, 0 until backward).

    NaN and infinite data are accepted and follow IEEE arithmetic; what is checked is that
    finite inputs never give complex, NaN or infinite results silently.
    """

    # The node: its number and gradient, and (set by the forward interpreter, read by the
    # backward walks) the rule of ops.TABLE that made it and its inputs in order: the first
    # and second parent of a one- or two-input operation in slots of their own, the inputs of
    # a many-input one (dot, total, a hand-built node) as a tuple in `all_parents`. Two slots
    # rather than a tuple per node: a tuple is one more object for the allocator, and for the
    # garbage collector to scan while a graph is alive (about a third of the time of building
    # and walking micrograd-style graphs, measured in benchmarks/ W1-generic). `parents` gives
    # the inputs as a tuple whichever way they are kept. `walk_mark` and `adjoint` are the
    # backward walk's own (walk.py): the walk that last reached the node, and d output / d node
    # in it; slots, because a hash table of them was a third of backward()'s time.
    # `collector_watch`, set on recorded nodes only, lets collector.py know when the graphs
    # recorded while it asked the garbage collector to wait are all freed.
    # `__dict__` lets a node take new attributes (optimizer state such as p.m, p.v, as
    # micrograd's 2024 script keeps): one pointer per node, the dictionary itself made only
    # when first used.
    __slots__ = ("data", "grad", "label", "rule", "first_parent", "second_parent",
                 "all_parents", "walk_mark", "adjoint", "collector_watch", "__weakref__",
                 "__dict__")
    data: float
    grad: float
    label: str
    rule: ops.Rule | None
    first_parent: Value | None
    second_parent: Value | None
    all_parents: tuple[Value, ...] | None
    walk_mark: object
    adjoint: float
    collector_watch: object

    def __init__(self, data: float, _children: Iterable[Value] = (), _op: str = "",
                 label: str = "") -> None:
        """Value(data), Value(data, label='w'), or micrograd's Value(data, (x, y), 'op') for a
        node computed by your own code: its gradient then comes from the `_backward` closure
        you assign to it (see `_backward`); with none, no gradient flows through it."""
        self.data = as_float(data)
        self.grad = 0.0
        self.label = _checked_label(label)
        self.rule = None  # the operation that made this Value (None for a leaf)
        self.first_parent = self.second_parent = self.all_parents = None  # a leaf's: none
        self.walk_mark = None  # not reached by a walk yet
        children = _checked_children(_children)
        if children or _op:
            self.rule = ops.written_by_hand(_checked_op(_op))
            if _grad_enabled.get() and children:
                self.all_parents = children  # a hand-built node takes many inputs

    def _step(self) -> None:
        """micrograd's step for this node alone: add its .grad times ∂self/∂parent to each
        parent's .grad (nothing for a leaf). What `node._backward()` does unless the node was
        given a closure of its own."""
        rule = self.rule
        if rule is None or rule.by_hand:
            return  # a leaf, or a hand-built node given no closure: nothing flows back
        parents = self.parents
        locals_ = local_derivatives(rule, list(map(data_of, parents)), self.data)
        for parent, local in zip(parents, locals_):
            parent.grad += local * self.grad

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's per-node step: `node._backward()` adds the node's .grad times
        ∂node/∂parent to each parent's .grad. Calling it on every node from the output back,
        after `output.grad = 1.0`, is the backward pass written out by hand, as in micrograd's
        lecture.

        Assign a closure in its place, `out._backward = function`, as micrograd's operations
        do: backward() and grad() then run micrograd's own walk over that graph, calling it."""
        rule = self.rule
        if rule is not None and rule.closure is not None:
            return rule.closure
        return self._step

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        if not callable(closure):
            raise TypeError(f"{self!r}._backward = {_shortened(repr(closure))}: a node's "
                            f"_backward is a function of no arguments that adds into its "
                            f"children's .grad, as in micrograd")
        parents = self.parents
        self.rule = ops.written_by_hand(self.op, closure)
        if parents:  # a hand-written rule takes its inputs as one tuple, as the walks expect
            self.first_parent = self.second_parent = None
            self.all_parents = parents

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the operation that made this Value, in order (empty for a leaf)."""
        if self.all_parents is not None:
            return self.all_parents
        if self.first_parent is None:
            return ()
        if self.second_parent is None:
            return (self.first_parent,)
        return (self.first_parent, self.second_parent)

    @property
    def op(self) -> str:
        """The name of the operation that made this Value ('' for a leaf)."""
        return self.rule.name if self.rule is not None else ""

    # micrograd's names, so drawing code written for micrograd keeps working.
    _prev = property(lambda self: self.parents, doc="micrograd's name for `parents`")
    _op = op

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"

    # -- arithmetic; the other operand may be a number, on either side --

    __add__, __radd__ = _binary(ops.ADD)
    __sub__, __rsub__ = _binary(ops.SUB)
    __mul__, __rmul__ = _binary(ops.MUL)
    __truediv__, __rtruediv__ = _binary(ops.DIV)

    def __pow__(self, exponent: Value | float) -> Value:
        if isinstance(exponent, Value):
            return apply_binary(ops.POW, self, exponent)
        if isinstance(exponent, numbers.Real):
            return apply_unary(ops.power(exponent), self)  # a fixed exponent: one input, not two
        return NotImplemented

    def __rpow__(self, base: float) -> Value:
        if isinstance(base, numbers.Real):  # a fixed base: one input, d/d exponent only
            return apply_unary(ops.exponential(as_float(base, "a base")), self)
        return NotImplemented

    def __pos__(self) -> Value:
        return self

    __neg__ = _unary(ops.NEG)
    __abs__ = abs = _unary(ops.ABS)

    # -- functions: one method per one-input entry of the table (set below the class) --

    if TYPE_CHECKING:
        # For type checkers: the table's methods (x.exp(), ...) are set below the class, and a
        # Value takes new attributes (p.m); both are looked up here.
        def __getattr__(self, name: str) -> Any: ...

        def __setattr__(self, name: str, value: Any) -> None: ...


    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x where x > 0, else slope·x (PyTorch's leaky_relu; slope 0.01 by default)."""
        return apply_unary(ops.leaky_relu_rule(slope), self)

    def clamp(self, low: float | None = None, high: float | None = None) -> Value:
        """x held between low and high (either may be None); slope 1 from low to high
        inclusive, 0 outside, as PyTorch."""
        return apply_unary(ops.clamp_rule(low, high), self)

    # -- comparisons look at the data; == and hash stay by identity (Values go in sets) --

    def __lt__(self, other: Value | float) -> bool:
        a, b = _compared(self, other)
        return a < b

    def __le__(self, other: Value | float) -> bool:
        a, b = _compared(self, other)
        return a <= b

    def __gt__(self, other: Value | float) -> bool:
        a, b = _compared(self, other)
        return a > b

    def __ge__(self, other: Value | float) -> bool:
        a, b = _compared(self, other)
        return a >= b

    def __bool__(self) -> bool:
        """True unless the data is 0, as for a number (and a PyTorch tensor)."""
        a, _ = _compared(self, 0.0)
        return a != 0

    # == and hash are object's own, by identity (not redefined here).

    # -- the number out of the graph, as PyTorch's float(t), t.item() and f"{t:.3f}" --

    def __float__(self) -> float:
        """The data as a float: a plain number, outside the graph (nothing flows back
        through it). Refused while tracing, as a comparison is: the tape cannot follow it."""
        if tracing.get():
            raise TraceError("the traced function takes a Value's number out of the graph "
                             "(float(v) or v.item()), so it does not run on the tape's Values "
                             "(one trace cannot follow a plain number): use the eager engine, "
                             "or keep the Value in the computation")
        return self.data

    def item(self) -> float:
        """The data as a float, as PyTorch's `tensor.item()` (refused while tracing)."""
        return self.__float__()

    def __format__(self, spec: str) -> str:
        """format(v, spec) and f"{v:.3f}" format the data; an empty spec gives str(v)."""
        return format(self.data, spec) if spec else str(self)

    # -- gradients --

    def backward(self) -> None:
        """Fill `.grad` of this Value and every Value it depends on with d(self)/d(node).

        Gradients *accumulate*, as in micrograd and PyTorch: a second call adds the same
        gradients again (exactly twice the first). Set `.grad = 0` (or use a module's
        `zero_grad()`) before each new pass.
        """
        float_walk(require_value(self, "backward"), _add_adjoints_to_grads)

    def detach(self) -> Value:
        """The same number as a new leaf: nothing flows back through it."""
        return Value(self.data, label=self.label)


for _name, _function in ops.FUNCTIONS.items():
    if not hasattr(Value, _name):  # x.exp(), x.log1p(), ...: every function of the table
        setattr(Value, _name, _unary(_function.rule))


def _add_adjoints_to_grads(order):
    # under grad_lock (float_walk's): a thread's backward() adds its gradients whole
    for node in order:
        node.grad += node.adjoint


def dot(weights: Sequence[Value | float], inputs: Sequence[Value | float],
        bias: Value | float = 0.0) -> Any:
    """w·x + b = bias + Σ weights[i]·inputs[i], recorded as one node (a neuron's weighted sum).

    The same number and gradients as writing the sum out, with one node instead of 2n. Given
    only numbers it is a number; given numpy arrays, elementwise across them.
    """
    if type(weights) is list and type(inputs) is list and len(weights) == len(inputs):
        operands = [*weights, *inputs, bias]  # a neuron's lists, as nn's layers pass them:
        if set(map(type, operands)) == ONLY_VALUES:  # straight to the interpreter (W1 in
            return apply_rule_many(ops.DOT, operands)  # benchmarks/ calls this 3,300 times)
    weights, inputs = _listed(weights, "dot's weights"), _listed(inputs, "dot's inputs")
    if len(weights) != len(inputs):
        raise ValueError(f"dot: {len(weights)} weights but {len(inputs)} inputs")
    return evaluate(ops.DOT, "dot", [*weights, *inputs, bias])


def total(values: Sequence[Value | float]) -> Any:
    """v0 + v1 + ... as one node (Python's sum() would record a chain of len(values) nodes)."""
    values = _listed(values, "total")
    if not values:
        raise ValueError("total() of no values: give at least one")
    return evaluate(ops.TOTAL, "total", values)


def logsumexp(values: Sequence[Value | float]) -> Any:
    """log(Σ e^v) as one node, computed without overflow for any inputs (softmax's
    normaliser: its gradient is the softmax)."""
    values = _listed(values, "logsumexp")
    if not values:
        raise ValueError("logsumexp() of no values: give at least one")
    return evaluate(ops.LOGSUMEXP, "logsumexp", values)


ONLY_VALUES = frozenset([Value])  # the types of a list of nothing but Values


def evaluate(rule, who, inputs):
    """rule applied to a list of inputs (a many-input rule takes them as one sequence):
    Values and numbers give a Value, recorded; numbers alone give a number, checked as Values
    are, nothing kept; numpy arrays and numbers give numpy's answer, elementwise and broadcast
    (NaN where undefined). `who` names the operation in errors. dot, total, logsumexp and the
    operations made by autograd.define take their inputs through this."""
    kinds = set(map(type, inputs))  # at C speed: most calls give nothing but Values
    if kinds == ONLY_VALUES:
        return _recorded(rule, inputs)
    if any(issubclass(kind, np.ndarray) for kind in kinds):
        return _on_arrays(rule, who, inputs)
    operands = _operands(who, inputs)
    if any(issubclass(kind, Value) for kind in kinds):
        return _recorded(rule, operands)
    with no_grad():
        return _recorded(rule, operands).data


def _recorded(rule, values):
    return apply_rule_many(rule, values) if rule.variadic else apply_rule(rule, *values)


def _on_arrays(rule, who, inputs):
    for x in inputs:
        if isinstance(x, np.ndarray) and x.dtype.kind not in "biuf":
            raise TypeError(f"{who} takes arrays of real numbers, got an array of {x.dtype}")
        if not isinstance(x, (np.ndarray, numbers.Real)):
            raise TypeError(f"{who} takes Values and numbers, or numpy arrays and numbers, "
                            f"not both Values and arrays: got {type(x).__name__} among "
                            f"ndarray inputs")
    try:
        arrays = np.array(np.broadcast_arrays(*inputs), dtype=float)
    except ValueError:
        shapes = sorted({np.shape(x) for x in inputs})
        raise ValueError(f"{who}: arrays of shapes {shapes[:4]} do not broadcast together") \
            from None
    with np.errstate(all="ignore"):
        return rule.value(arrays) if rule.variadic else rule.value(*arrays)


def is_sequence(x):
    """A list, tuple, array row or other sequence of items: not text, a number or a Value
    (what the functions that take several inputs check before they take them apart)."""
    if type(x) is list or type(x) is tuple:
        return True  # the common case, before the slower checks (numbers.Real is an ABC)
    return hasattr(x, "__iter__") and not isinstance(x, (str, bytes, Value, numbers.Real))


def _listed(values, who):
    if not is_sequence(values):
        raise TypeError(f"{who} takes a list of Values or numbers, got {type(values).__name__}")
    return list(values)


def _operands(who, given):
    operands = [_operand(x) for x in given]
    for x, operand in zip(given, operands):
        if operand is None:
            raise TypeError(f"{who} takes numbers or Values, got {type(x).__name__}: "
                            f"{_shortened(repr(x))}")
    return operands


def _operand(other):
    """A Value for a Value or a real number; None for anything else (-> NotImplemented)."""
    if type(other) is float:  # the common constant, without the slower checks below
        return _leaf(other)
    if isinstance(other, Value):
        return other
    if isinstance(other, numbers.Real):
        return _leaf(as_float(other, "an operand"))  # a constant
    return None


def _compared(value, other):
    """The two numbers a comparison looks at (refused while tracing)."""
    if tracing.get():
        raise TraceError("the traced function compares Values (or asks one if it is zero), so "
                         "its path depends on the data, which one trace cannot follow: use "
                         "the eager engine, or write the choice without an if (with relu or "
                         "abs, say)")
    return value.data, other.data if isinstance(other, Value) else other


# ---- the forward interpreter: the value on floats, checked, then recorded as a new node ----

def apply_rule(rule, a, b=None):
    """rule applied to one Value (b None) or two."""
    return apply_unary(rule, a) if b is None else apply_binary(rule, a, b)


def apply_unary(rule, a):
    """A one-input rule applied to a Value."""
    return _node(rule.on_float(a.data), rule, a)


def apply_binary(rule, a, b):
    """A two-input rule applied to two Values."""
    x, y = a.data, b.data
    if rule.check is not None:
        rule.check(x, y)
    try:
        data = rule.value(x, y)
    except OverflowError:
        raise rule.overflow([x, y]) from None
    if not isfinite(data):
        _check_overflow(rule, [x, y])
    return _node(data, rule, a, b)


def _node(data, rule, first, second=None):
    """A new node holding `data`, recorded as made by `rule` from `first` (and `second`) unless
    recording is off. The hot path of every eager computation: its slots are set one by one."""
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.all_parents = out.walk_mark = None
    if _grad_enabled.get():
        out.rule = rule
        out.first_parent = first
        out.second_parent = second
        out.collector_watch = graph_watch.token()  # (see collector.py)
        if graph_watch.idle and (first.rule is not None or
                                 second is not None and second.rule is not None):
            graph_watch.begin(out)  # a graph grows: a watch starts
    else:
        out.rule = out.first_parent = out.second_parent = None
    return out


def apply_rule_many(rule, inputs):
    """A variadic rule applied to a list of Values."""
    xs = list(map(data_of, inputs))
    try:
        data = rule.value(xs)
    except OverflowError:
        raise rule.overflow(xs) from None
    if not isfinite(data):
        _check_overflow(rule, xs)
    out = _leaf(data)
    if _grad_enabled.get():
        out.rule = rule
        out.all_parents = tuple(inputs)
        out.collector_watch = graph_watch.token()  # (see collector.py)
        if graph_watch.idle:  # a graph grows (a many-input node is one already)
            graph_watch.begin(out)
    return out


def _leaf(data):
    """A new leaf holding the float `data` (no check: the caller's)."""
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.rule = out.first_parent = out.second_parent = out.all_parents = out.walk_mark = None
    return out


def _check_overflow(rule, xs):
    """A non-finite result: fine from non-finite data (IEEE), an error from finite data."""
    if all(isfinite(x) for x in xs):
        raise rule.overflow(xs)
