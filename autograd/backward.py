"""Gradients as functions: `grad`, `hessian`, `topological_order`.

Plain gradients come from the float walk (`walk.py`, which `Value.backward()` uses too). With
`create_graph=True` the same walk runs on the Values themselves, each local derivative computed
by the node's rule on Values, so the backward pass is recorded as a graph of its own (higher
order).

`chain_rule_steps` is the backward walk one chain-rule product at a time: the walk on Values,
the pictures and the step-through page are all read off it, and the float walk, written out
for speed, is tested against it.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple, overload

from .value import Value, enable_grad, is_grad_enabled, is_sequence, require_value
from .walk import (closure_derivatives, collector_paused, depth_first, float_gradients,
                   local_derivatives)


def topological_order(root: Value) -> list[Value]:
    """Every node `root` depends on, each after all of its parents; `root` is last.

    Iterative depth-first search (no recursion limit), parents visited in order, so the order
    and every sum of gradients is the same from run to run.
    """
    return depth_first(require_value(root, "topological_order"))


def node_derivatives(node, create_graph=False):
    """∂node/∂(each of its inputs): floats, or Values computed by the rule on Values."""
    if not node.parents:
        raise ValueError(f"{node!r} is a leaf: it has no inputs to take derivatives by")
    if node.rule.by_hand:
        if create_graph:
            raise ValueError(f"create_graph: the node {node.op!r} was built micrograd's way, "
                             f"Value(data, children, op) with a _backward closure, which "
                             f"computes on plain numbers, so its derivative cannot be "
                             f"differentiated again: define the operation with "
                             f"autograd.define(...) instead")
        return closure_derivatives(node)
    if create_graph:
        return local_derivatives(node.rule, list(node.parents), node)
    return local_derivatives(node.rule, [p.data for p in node.parents], node.data)


class ChainRuleStep(NamedTuple):
    """One product of the chain rule: the gradient of `node` times ∂node/∂parent, added to the
    gradient of `parent`, the node's input number `position`. Floats, or Values when the walk
    is recorded."""
    node: Value
    parent: Value
    position: int
    local: float | Value         # ∂node/∂parent
    upstream: float | Value      # d output / d node
    contribution: float | Value  # local × upstream
    before: float | Value | None  # d output / d parent before this step (None: no term yet)
    after: float | Value         # d output / d parent after it: before + contribution


def chain_rule_steps(output: Value, create_graph: bool = False) -> Iterator[ChainRuleStep]:
    """The backward walk from `output`, one ChainRuleStep per edge of its graph.

    Nodes come in reverse topological order (each after every node that uses it), a node's
    inputs in order; each step's product is added to the input's gradient before it is
    yielded, so after the last step every `after` is final. d output / d output is 1.

    On floats; with create_graph=True on Values, each local derivative computed by the rule on
    Values, so that the walk is recorded where grad mode is on (grad() turns it on).
    """
    gradients = {output: Value(1.0) if create_graph else 1.0}
    for node in reversed(topological_order(output)):
        if not node.parents:
            continue
        upstream = gradients[node]
        locals_ = node_derivatives(node, create_graph)
        for position, (parent, local) in enumerate(zip(node.parents, locals_)):
            if type(local) is float and local == 1.0:
                contribution = upstream  # the same number, and no "* 1.0" node in a recording
            else:
                contribution = local * upstream
            before = gradients.get(parent)
            after = contribution if before is None else before + contribution
            gradients[parent] = after
            yield ChainRuleStep(node, parent, position, local, upstream, contribution, before,
                                after)


def _gradients(output, create_graph):
    """{node: d output / d node} for every node `output` depends on."""
    if not create_graph:
        return float_gradients(output)
    with collector_paused():
        return _recorded_gradients(output)


def _recorded_gradients(output):
    """{node: d output / d node} as Values, the walk recorded (create_graph), even inside
    no_grad(): asked for a graph, it records one, as PyTorch does."""
    with enable_grad():
        gradients = {output: Value(1.0)}
        for step in chain_rule_steps(output, create_graph=True):
            gradients[step.parent] = step.after
        return gradients


@overload
def grad(output: Value, inputs: Value, create_graph: bool = ...,
         allow_unused: bool | None = ..., materialize_grads: bool = ...) -> Value: ...


@overload
def grad(output: Value, inputs: Sequence[Value], create_graph: bool = ...,
         allow_unused: bool | None = ..., materialize_grads: bool = ...) -> list[Value]: ...


def grad(output, inputs, create_graph=False, allow_unused=None, materialize_grads=False):
    """The gradients of `output` with respect to `inputs`, leaving every `.grad` untouched.

    `inputs` is a Value or a sequence of Values; the answer is a Value or a list of Values to
    match. With `create_graph=True` the gradients are recorded as graphs of their own, so they
    can be differentiated again (second and higher derivatives, Hessian-vector products,
    Newton's method).

    An input that `output` does not depend on gets 0, the derivative of what does not depend
    on it. PyTorch's flags say otherwise where they are given: `allow_unused=False` makes such
    an input an error, `allow_unused=True` gives None for it, and with
    `materialize_grads=True` it gets 0 again.
    """
    require_value(output, "grad(output, inputs): the output")
    for flag, name in ((create_graph, "create_graph"), (materialize_grads, "materialize_grads")):
        if not isinstance(flag, bool):
            raise TypeError(f"grad(): {name} is True or False, got {flag!r}"[:200])
    if allow_unused is not None and not isinstance(allow_unused, bool):
        raise TypeError(f"grad(): allow_unused is True, False or not given, got "
                        f"{allow_unused!r}"[:200])
    if materialize_grads and allow_unused is False:
        raise ValueError("grad(): materialize_grads=True gives unused inputs 0, which "
                         "allow_unused=False forbids: drop one of them")
    single = isinstance(inputs, Value)
    inputs = _as_inputs(inputs, "grad")
    if not output.parents and not is_grad_enabled() and output not in inputs:
        # Most likely computed a moment ago inside this no_grad(): zeros would be a silent lie.
        raise ValueError("grad(): the output records no graph (it is a leaf) and this runs "
                         "inside no_grad(), so it was probably computed there: compute it "
                         "outside no_grad(), or inside enable_grad()")
    gradients = _gradients(output, create_graph)
    unused = [i for i, x in enumerate(inputs) if x not in gradients]
    if unused and allow_unused is False:
        raise ValueError(f"grad(): the output does not depend on input {unused[0]} "
                         f"({inputs[unused[0]]!r}"[:150] + "); allow_unused=True gives None "
                         "for such an input, and leaving allow_unused out gives 0")
    unused_gets = None if allow_unused and not materialize_grads else 0.0
    result = [_as_value(gradients.get(x, unused_gets)) for x in inputs]
    return result[0] if single else result


def hessian(output: Value, inputs: Value | Sequence[Value]) -> list[list[float]]:
    """The matrix of second derivatives d²output / d inputs[i] d inputs[j], as lists of floats."""
    require_value(output, "hessian(output, inputs): the output")
    inputs = _as_inputs(inputs, "hessian")
    first = grad(output, inputs, create_graph=True)
    with enable_grad():  # a first derivative may be a constant leaf: its derivatives are 0
        return [[g.data for g in grad(gi, inputs)] for gi in first]


def _as_inputs(inputs, who):
    """A Value or a sequence of Values, as a list, checked."""
    if isinstance(inputs, Value):
        return [inputs]
    if not is_sequence(inputs):
        raise TypeError(f"{who}() takes the inputs as a Value or a list of Values, got "
                        f"{type(inputs).__name__}: {inputs!r}"[:200])
    inputs = list(inputs)
    for position, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"{who}() inputs must be Values; input {position} is "
                            f"{type(x).__name__}: {x!r}"[:200])
    return inputs


def _as_value(gradient):
    """A gradient as a Value (None, for an unused input under allow_unused=True, stays None)."""
    if gradient is None or isinstance(gradient, Value):
        return gradient
    return Value(gradient)
