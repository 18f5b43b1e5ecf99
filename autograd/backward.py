"""The backward interpreter: topological order, then the chain rule from the output back.

One walk serves both `Value.backward()` and `grad()`. Local derivatives come from each node's
rule: computed on floats for ordinary gradients, or on the Values themselves when
`create_graph=True`, which records the backward pass as a graph of its own (higher order).
"""
import contextlib
import gc
import math
import sys

from .value import (Value, data_of, enable_grad, is_grad_enabled, is_sequence,
                    require_value)


def topological_order(root):
    """Every node `root` depends on, each after all of its parents; `root` is last.

    Iterative depth-first search (no recursion limit), parents visited in order, so the order
    and every sum of gradients is the same from run to run.
    """
    return _depth_first(require_value(root, "topological_order"), {})


def _depth_first(root, seen):
    """topological_order(root), noting every node in the dict `seen` (as a key, with 0.0):
    the backward walk starts from that dict, so that it builds one hash table, not two."""
    order, stack = [], [root]
    push, pop, place = stack.append, stack.pop, order.append
    while stack:
        node = pop()
        if node is None:  # the marker: every parent of the node below it is placed
            place(pop())
            continue
        if node in seen:
            continue
        seen[node] = 0.0
        parents = node._parents
        if parents:
            push(node)
            push(None)
            stack.extend(reversed(parents))  # so the first parent comes off the stack first
        else:
            place(node)  # a leaf: nothing to wait for
    return order


def _local_derivatives(node, create_graph):
    rule, parents = node._rule, node._parents
    if not create_graph:
        return local_derivatives(rule, [p.data for p in parents], node.data)
    try:
        return rule.partials(list(parents), node) if rule.variadic else \
            rule.partials(*parents, node)
    except (ZeroDivisionError, OverflowError) as error:
        raise _infinite_slope(rule, [p.data for p in parents], error) from None


def partials_of(node):
    """∂node/∂(each of its parents) on floats: what one step of the backward walk multiplies
    the node's gradient by (the pictures and the step-through page show these)."""
    return _local_derivatives(node, create_graph=False)


def local_derivatives(rule, xs, out):
    """The rule's ∂out/∂input for each input, on floats: xs the inputs' numbers, out the
    output's. An infinite slope (sqrt at 0) is an error naming the operation."""
    try:
        return rule.partials(xs, out) if rule.variadic else rule.partials(*xs, out)
    except (ZeroDivisionError, OverflowError) as error:
        raise _infinite_slope(rule, xs, error) from None


def _infinite_slope(rule, xs, error):
    # e.g. sqrt at 0: the slope is infinite. Say where, rather than hand back inf or nan.
    return type(error)(f"backward through {rule.describe(xs)}: the derivative is infinite or "
                       f"too large here ({error})")


def _gradients(output, create_graph):
    """{node: d output / d node} for every node `output` depends on."""
    with collector_paused():
        if not create_graph:
            gradients = {}
            order = _depth_first(output, gradients)
            return _float_gradients(output, order, gradients)
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


def _float_gradients(output, order, gradients):
    """The same walk on plain floats, written for speed: the hot loop of every backward().
    `gradients` holds every node of `order`, at 0.0."""
    gradients[output] = 1.0
    node = output
    try:
        for node in reversed(order):
            parents = node._parents
            if not parents:
                continue
            rule, upstream = node._rule, gradients[node]
            if rule.variadic:
                locals_ = rule.partials(list(map(data_of, parents)), node.data)
                for parent, local in zip(parents, locals_):
                    gradients[parent] += local * upstream
            elif len(parents) == 2:
                a, b = parents
                local_a, local_b = rule.partials(a.data, b.data, node.data)
                gradients[a] += local_a * upstream
                gradients[b] += local_b * upstream
            else:
                (a,) = parents
                (local_a,) = rule.partials(a.data, node.data)
                gradients[a] += local_a * upstream
    except (ZeroDivisionError, OverflowError) as error:
        raise _infinite_slope(node._rule, [p.data for p in node._parents], error) from None
    _check_finite(gradients)
    return gradients


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector paused for a block, and set back as it was after.

    Graphs hold no reference cycles, so they are freed without the collector; but the
    collector, woken by the allocations, would scan every node of a large graph again and
    again (about half the time of building and walking one, measured in benchmarks/).
    backward() pauses it for its walk; wrap a training step to pause it for the forward pass:

        with collector_paused():
            loss = model_loss()
            loss.backward()
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _check_finite(gradients):
    """Finite data must not give an infinite or NaN gradient without a word."""
    if math.isfinite(sum(gradients.values())):
        return  # a sum is finite only if every term is (inf and NaN never cancel out)
    bad = next((node for node, g in gradients.items() if not math.isfinite(g)), None)
    if bad is None or not all(math.isfinite(node.data) for node in gradients):
        return  # all finite, or the data itself holds inf/NaN: IEEE arithmetic applies
    name = repr(bad.label) if bad.label is not None else f"the {bad.op or 'leaf'} node"
    raise OverflowError(
        f"the gradient with respect to {name} (data {bad.data!r}) is {gradients[bad]!r}: "
        f"it overflowed the largest float (about {sys.float_info.max:.2g}) although every "
        f"value is finite"
    )


def backward(output):
    """Add d output / d node to `.grad` of every node `output` depends on (itself included)."""
    require_value(output, "backward")
    for node, gradient in _gradients(output, create_graph=False).items():
        node.grad += gradient


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
