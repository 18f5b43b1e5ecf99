"""The backward walk on floats: every node in topological order, then the chain rule from the
output back, one multiply-add per edge. The hot loop of every `backward()`.

It knows a node only by its parents (`.parents`), its rule (`.rule`) and its number (`.data`),
so `value.py` (Value.backward) and `backward.py` (grad, hessian, the walk on Values) both build
on it, and it on neither.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
import gc
import math
import sys
from operator import attrgetter

data_of = attrgetter("data")


def depth_first(root, seen):
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
        parents = node.parents
        if parents:
            push(node)
            push(None)
            stack.extend(reversed(parents))  # so the first parent comes off the stack first
        else:
            place(node)  # a leaf: nothing to wait for
    return order


def local_derivatives(rule, xs, out):
    """The rule's ∂out/∂input for each input: xs the inputs and out the output, as floats (or
    as Values, for derivatives recorded as a graph). An infinite slope (sqrt at 0) is an
    error naming the operation."""
    try:
        return rule.partials(xs, out) if rule.variadic else rule.partials(*xs, out)
    except (ZeroDivisionError, OverflowError) as error:
        raise infinite_slope(rule, [getattr(x, "data", x) for x in xs], error) from None


def infinite_slope(rule, xs, error):
    """The error for a derivative that is infinite or too large (sqrt at 0), naming where,
    rather than handing back inf or nan."""
    return type(error)(f"backward through {rule.describe(xs)}: the derivative is infinite or "
                       f"too large here ({error})")


def float_gradients(output):
    """{node: d output / d node} for every node `output` depends on, on floats."""
    with collector_paused():
        gradients = {}
        order = depth_first(output, gradients)
        return _walk(output, order, gradients)


def _walk(output, order, gradients):
    """The walk of backward.chain_rule_steps on plain floats, written out for speed: the hot
    loop of every backward() (tests/test_chain_rule_steps.py checks that they agree).
    `gradients` holds every node of `order`, at 0.0."""
    gradients[output] = 1.0
    node = output
    try:
        for node in reversed(order):
            parents = node.parents
            if not parents:
                continue
            rule, upstream = node.rule, gradients[node]
            if rule.variadic:
                if rule.by_hand:
                    run_closure(node, gradients)
                    continue
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
                gradients[a] += rule.derivative(a.data, node.data) * upstream
    except (ZeroDivisionError, OverflowError) as error:
        raise infinite_slope(node.rule, [p.data for p in node.parents], error) from None
    _check_finite(gradients)
    return gradients


def run_closure(node, gradients):
    """Run the `_backward` closure of a node built micrograd's way, inside a walk whose running
    sums are `gradients` ({node: d output / d node so far}, every parent present).

    The closure reads the node's .grad and adds into its parents' .grad, so while it runs
    those hold the walk's sums (an `=` written for `+=` then does what it does in micrograd);
    the new sums are read back and every .grad is put back as it was."""
    closure = node._backward
    if getattr(closure, "__self__", None) is node:
        return  # no closure assigned (this is the class's method): nothing flows, as micrograd
    touched = [node, *dict.fromkeys(node.parents)]  # each parent once, as micrograd's set
    saved = [v.grad for v in touched]
    try:
        for v in touched:
            v.grad = gradients[v]
        closure()
        for parent in touched[1:]:
            gradients[parent] = parent.grad
    finally:
        for v, grad in zip(touched, saved):
            v.grad = grad


def closure_derivatives(node):
    """∂node/∂parent for each parent of a node built micrograd's way, found by running its
    closure once with the node's gradient 1 (the whole derivative goes to the first of
    parents that repeat). Floats only: a closure computes on numbers."""
    gradients = dict.fromkeys(node.parents, 0.0)
    gradients[node] = 1.0
    run_closure(node, gradients)
    seen = set()
    derivatives = []
    for parent in node.parents:
        derivatives.append(0.0 if parent in seen else gradients[parent])
        seen.add(parent)
    return derivatives


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
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
    name = repr(bad.label) if bad.label else f"the {bad.op or 'leaf'} node"
    raise OverflowError(
        f"the gradient with respect to {name} (data {bad.data!r}) is {gradients[bad]!r}: "
        f"it overflowed the largest float (about {sys.float_info.max:.2g}) although every "
        f"value is finite"
    )
