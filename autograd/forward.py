"""Forward mode: the rule table read the other way round.

Reverse mode (`backward`, `grad`) carries d output / d node from the output back to the inputs:
one pass per output. Forward mode carries d node / d t, a tangent, from the inputs along with
the values, in the order they were computed: one pass per input direction. At every node the
same local derivatives of the same table entry are used, now summed over the node's inputs:

    tangent(node) = Σ_i  ∂node/∂input_i · tangent(input_i)

`jvp` is that pass; `hvp` runs it over the graph of a gradient (forward over reverse: a
Hessian-vector product in one pass); `jacobian` takes whichever mode needs fewer passes.
"""
from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any

from .backward import grad, node_derivatives
from .value import Value, as_float, enable_grad, is_sequence
from .walk import depth_first, named


def push_tangents(outputs: Sequence[Value], seeds: dict[Value, Any],
                  create_graph: bool = False) -> dict[Value, Any]:
    """{node: tangent} for every node of the outputs' graphs that depends on a seed, given the
    seeds' tangents ({input node: tangent}): the forward pass, node by node in the order the
    values were computed. Floats; with create_graph=True Values, recorded, so that the
    tangents can be differentiated again (forward over forward, reverse over forward)."""
    tangents = dict(seeds)
    seen: list[Value] = []
    mark = object()  # one walk over all outputs: each node once, after its inputs
    for out in outputs:
        for node in depth_first(out, mark):
            seen.append(node)
            if node in tangents or not node.parents:
                continue
            incoming = [(i, tangents[p]) for i, p in enumerate(node.parents) if p in tangents]
            if not incoming:
                continue  # does not depend on the inputs: no tangent (0)
            # a constant 0 contributes nothing, even where its slope is infinite (inf · 0)
            moving = [(i, t) for i, t in incoming if not _constant_zero(t)]
            if not moving:
                tangents[node] = 0.0
                continue
            local = node_derivatives(node, create_graph)
            tangent = None
            for i, t in moving:
                term = local[i] * t
                tangent = term if tangent is None else tangent + term
            tangents[node] = tangent
    _check_finite(tangents, seen, seeds)
    return tangents


def _check_finite(tangents, nodes, seeds):
    """Finite data and tangents must not give an infinite or NaN tangent without a word (as
    backward() refuses an overflowed gradient)."""
    bad = next((node for node, t in tangents.items() if not math.isfinite(_number(t))), None)
    if bad is None or not all(math.isfinite(node.data) for node in nodes):
        return
    if not all(math.isfinite(_number(t)) for t in seeds.values()):
        return  # an infinite tangent given: IEEE arithmetic applies
    raise OverflowError(f"the tangent of {named(bad)} (data {bad.data!r}) is "
                        f"{_number(tangents[bad])!r}: it overflowed the largest float (about "
                        f"{sys.float_info.max:.2g}) although every value is finite")


def _constant_zero(tangent):
    """A tangent that is 0 and stays 0 at any input: a number, or a Value that is a leaf."""
    if isinstance(tangent, Value):
        return tangent.data == 0 and not tangent.parents
    return tangent == 0


def jvp(f: Callable[..., Any], inputs: Sequence[float | Value], tangents: Sequence[float],
        create_graph: bool = False) -> tuple[Any, Any]:
    """(f(*inputs), the derivative of f at `inputs` in the direction `tangents`), in one forward
    pass, as torch.func.jvp: Σ_j ∂f/∂input_j · tangents[j].

    inputs: numbers or Values (each a variable; a Value keeps its graph upstream, which the
    tangent does not enter). f returns a Value or a list/tuple of Values; the answer matches:
    the outputs and their tangents as Values (0 where an output does not depend on the
    inputs). With create_graph=True the tangents are recorded graphs (higher order).
    """
    variables = _variables(inputs, "jvp")
    directions = _directions(tangents, len(variables), "jvp", "tangents")
    with enable_grad():  # the pass needs the graph, even when called inside no_grad()
        result = f(*variables)
        outputs, single = _outputs(result, "jvp")
        seeds = {v: (Value(t) if create_graph else t) for v, t in zip(variables, directions)}
        pushed = push_tangents(outputs, seeds, create_graph)
    derivatives = [_as_value(pushed.get(out, 0.0)) for out in outputs]
    return (outputs[0], derivatives[0]) if single else (outputs, derivatives)


def hvp(f: Callable[..., Value], inputs: Sequence[float | Value],
        vector: Sequence[float]) -> tuple[float, list[float]]:
    """(f(*inputs), H·vector), H the Hessian of f at `inputs`: the gradient is recorded
    (create_graph), then one forward pass carries `vector` through the gradient's graph
    (forward over reverse), as torch.autograd.functional.hvp. f returns one Value."""
    variables = _variables(inputs, "hvp")
    direction = _directions(vector, len(variables), "hvp", "vector")
    with enable_grad():
        out = f(*variables)
        if not isinstance(out, Value):
            raise TypeError(f"hvp: f returns one Value, got {type(out).__name__}")
        gradient = grad(out, variables, create_graph=True)
        pushed = push_tangents(gradient, dict(zip(variables, direction)))
    return out.data, [_number(pushed.get(g, 0.0)) for g in gradient]


def jacobian(f: Callable[..., Any], inputs: Sequence[float | Value],
             mode: str = "auto") -> list[list[float]]:
    """The matrix d f_i / d input_j (a row per output), by forward mode (one pass per input)
    or reverse mode (one pass per output): mode 'forward', 'reverse', or 'auto' (the one with
    fewer passes; forward on a tie). f returns a Value or a list/tuple of Values; the graph
    is recorded once and every pass walks it."""
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"jacobian: mode is 'auto', 'forward' or 'reverse', got {mode!r}")
    variables = _variables(inputs, "jacobian")
    with enable_grad():
        outputs, _ = _outputs(f(*variables), "jacobian")
        if mode == "auto":
            mode = "forward" if len(variables) <= len(outputs) else "reverse"
        if mode == "reverse":
            return [[g.data for g in grad(out, variables)] for out in outputs]
        columns = []
        for variable in variables:
            pushed = push_tangents(outputs, {v: float(v is variable) for v in variables})
            columns.append([_number(pushed.get(out, 0.0)) for out in outputs])
    return [list(row) for row in zip(*columns)]


# ---- checking what the caller gives ----

def _variables(inputs, who):
    if isinstance(inputs, Value) or not is_sequence(inputs):
        raise TypeError(f"{who}(f, inputs, ...): inputs is a list of numbers or Values, got "
                        f"{type(inputs).__name__}")
    variables = []
    for position, x in enumerate(inputs):
        if isinstance(x, Value):
            variables.append(x)
        elif isinstance(x, Real) and not isinstance(x, bool):
            variables.append(Value(as_float(x, f"{who}'s input {position}")))
        else:
            raise TypeError(f"{who}: input {position} is {type(x).__name__}; inputs are "
                            f"numbers or Values")
    if not variables:
        raise ValueError(f"{who}: no inputs")
    _check_independent(variables, who)
    return variables


def _check_independent(variables, who):
    """Inputs are independent variables: one computed from another would be read one way by a
    forward pass (its tangent is its own) and another by a reverse one (through both)."""
    given = {v: i for i, v in enumerate(variables)}
    if len(given) < len(variables):
        raise ValueError(f"{who}: the same Value is given as two inputs")
    for j, v in enumerate(variables):
        if v.parents:
            upstream = [given[node] for node in depth_first(v) if node in given and
                        node is not v]
            if upstream:
                raise ValueError(f"{who}: input {j} is computed from input {upstream[0]}; "
                                 f"inputs are independent variables (give input {j} as a "
                                 f"number, or its .detach())")


def _directions(tangents, count, who, what):
    if isinstance(tangents, Value) or not is_sequence(tangents):
        raise TypeError(f"{who}: {what} is a list of numbers, one per input, got "
                        f"{type(tangents).__name__}")
    tangents = list(tangents)
    if len(tangents) != count:
        raise ValueError(f"{who}: {len(tangents)} {what} for {count} inputs: give one per input")
    for position, t in enumerate(tangents):
        if isinstance(t, Value) or not isinstance(t, Real) or isinstance(t, bool):
            raise TypeError(f"{who}: {what}[{position}] is {type(t).__name__}; {what} are "
                            f"numbers")
    return [as_float(t, f"{who}'s {what}[{position}]") for position, t in enumerate(tangents)]


def _outputs(result, who):
    single = isinstance(result, Value)
    outputs = [result] if single else list(result) if isinstance(result, (list, tuple)) else None
    if not outputs or not all(isinstance(out, Value) for out in outputs):
        raise TypeError(f"{who}: f returns a Value or a list of Values, got "
                        f"{type(result).__name__}")
    return outputs, single


def _number(x):
    return x.data if isinstance(x, Value) else float(x)


def _as_value(x):
    return x if isinstance(x, Value) else Value(x)
