"""Gradients as functions: `grad`, `hessian`, `topological_order`.

Plain gradients come from the float walk (`walk.py`, which `Value.backward()` uses too). With
`create_graph=True` the same walk runs on the Values themselves, each local derivative computed
by the node's rule on Values, so the backward pass is recorded as a graph of its own (higher
order).
"""
from .value import Value, enable_grad, is_grad_enabled, is_sequence, require_value
from .walk import collector_paused, depth_first, float_gradients, infinite_slope, local_derivatives


def topological_order(root):
    """Every node `root` depends on, each after all of its parents; `root` is last.

    Iterative depth-first search (no recursion limit), parents visited in order, so the order
    and every sum of gradients is the same from run to run.
    """
    return depth_first(require_value(root, "topological_order"), {})


def _local_derivatives(node, create_graph):
    rule, parents = node._rule, node._parents
    if not create_graph:
        return local_derivatives(rule, [p.data for p in parents], node.data)
    try:
        return rule.partials(list(parents), node) if rule.variadic else \
            rule.partials(*parents, node)
    except (ZeroDivisionError, OverflowError) as error:
        raise infinite_slope(rule, [p.data for p in parents], error) from None


def partials_of(node):
    """∂node/∂(each of its parents) on floats: what one step of the backward walk multiplies
    the node's gradient by (the pictures and the step-through page show these)."""
    return _local_derivatives(node, create_graph=False)


def _gradients(output, create_graph):
    """{node: d output / d node} for every node `output` depends on."""
    if not create_graph:
        return float_gradients(output)
    with collector_paused():
        return _recorded_gradients(output)


def _recorded_gradients(output):
    """The same walk on Values, recording it (create_graph), even inside no_grad(): asked for
    a graph, it records one, as PyTorch does."""
    with enable_grad():
        order = topological_order(output)
        gradients = {output: Value(1.0)}
        for node in reversed(order):
            if not node._parents:
                continue
            upstream = gradients[node]
            for parent, local in zip(node._parents, _local_derivatives(node, True)):
                if type(local) is float and local == 1.0:
                    contribution = upstream  # keep the recorded graph free of "* 1.0" nodes
                else:
                    contribution = local * upstream
                previous = gradients.get(parent)
                gradients[parent] = contribution if previous is None else previous + contribution
        return gradients


def grad(output, inputs, create_graph=False):
    """The gradients of `output` with respect to `inputs`, leaving every `.grad` untouched.

    `inputs` is a Value or a sequence of Values; the answer is a Value or a list of Values to
    match. An input that `output` does not depend on gets 0. With `create_graph=True` the
    gradients are recorded as graphs of their own, so they can be differentiated again
    (second and higher derivatives, Hessian-vector products, Newton's method).
    """
    require_value(output, "grad(output, inputs): the output")
    single = isinstance(inputs, Value)
    inputs = _as_inputs(inputs, "grad")
    if not output._parents and not is_grad_enabled() and output not in inputs:
        # Most likely computed a moment ago inside this no_grad(): zeros would be a silent lie.
        raise ValueError("grad(): the output records no graph (it is a leaf) and this runs "
                         "inside no_grad(), so it was probably computed there: compute it "
                         "outside no_grad(), or inside enable_grad()")
    gradients = _gradients(output, create_graph)
    result = [_as_value(gradients.get(x, 0.0)) for x in inputs]
    return result[0] if single else result


def hessian(output, inputs):
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
    return gradient if isinstance(gradient, Value) else Value(gradient)
