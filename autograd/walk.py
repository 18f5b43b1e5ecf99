"""The backward walk on floats: every node in topological order, then the chain rule from the
output back, one multiply-add per edge. The hot loop of every `backward()`.

It knows a node only by its parents (the slots `first_parent`, `second_parent`, `all_parents`),
its rule (`.rule`) and its number (`.data`), and keeps its own bookkeeping in the node's
`walk_mark` and `adjoint` slots, so `value.py` (Value.backward) and `backward.py` (grad,
hessian, the walk on Values) both build on it, and it on neither.
"""
from __future__ import annotations

import contextlib
import math
import numbers
import sys
import threading
from operator import attrgetter

from .collector import collector_paused
from .ops import ADD, DOT, MUL

data_of = attrgetter("data")
adjoint_of = attrgetter("adjoint")

# Held while chainrule writes .grad: by Value.backward() as it adds its gradients, and by the
# walks over micrograd-style closures, which work in .grad itself. So two such walks in two
# threads sharing leaves do not see each other's half-made sums. Code of your own that writes
# .grad meanwhile (zero_grad in another thread) is not held back: as in micrograd, a graph
# with closures borrows .grad while it is walked.
grad_lock = threading.RLock()


def depth_first(root, mark=None, zero_adjoints=False):
    """topological_order(root), less the nodes already marked with `mark` (by default a fresh
    object: every node). Each node placed is marked, and with zero_adjoints its `adjoint` set
    to 0 for the float walk that follows. The mark lives in the node (a slot) rather than in a
    set of seen nodes: a slot is quicker to read and write than a hash table, which was a third
    of backward()'s time. Marks are written under grad_lock, so walks in two threads do not mix
    them up; the walk that reads them is over before another in its thread starts (no user code
    runs in this loop)."""
    mark = object() if mark is None else mark
    order, stack = [], [root]
    push, pop, place = stack.append, stack.pop, order.append
    with grad_lock:
        while stack:
            node = pop()
            if node is None:  # the marker: every parent of the node below it is placed
                place(pop())
                continue
            if node.walk_mark is mark:
                continue
            node.walk_mark = mark
            if zero_adjoints:
                node.adjoint = 0.0
            # A parent already marked is placed already (in a graph without cycles, no node
            # waits on the stack for its own descendant), so it is not pushed again: a weight
            # that 100 samples share is pushed once, not 100 times.
            first = node.first_parent  # (the slots themselves, not `parents`: the hot path)
            if first is not None:
                push(node)
                push(None)
                second = node.second_parent
                if second is not None and second.walk_mark is not mark:
                    push(second)
                if first.walk_mark is not mark:
                    push(first)  # last on, so that the first parent comes off the stack first
            elif node.all_parents:
                push(node)
                push(None)
                stack.extend(reversed(node.all_parents))
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
    return float_walk(output, lambda order: {node: node.adjoint for node in order})


walks_running = 0  # float walks under way, one inside another (grad_lock lets one thread in)


def float_walk(output, read):
    """read(order) for `order`, every node `output` depends on in topological order, while each
    holds d output / d node in its `adjoint` slot; what read returns. A walk begun inside
    another (a custom operation's derivative that takes a gradient of its own) puts back the
    adjoints it overwrote, so that the outer walk's sums go on untouched."""
    global walks_running
    with grad_lock, collector_paused():
        if not walks_running:
            order = depth_first(output, zero_adjoints=True)
            outer = None
        else:
            order = depth_first(output)
            outer = [getattr(node, "adjoint", 0.0) for node in order]
            for node in order:
                node.adjoint = 0.0
        walks_running += 1
        try:
            if _walk(output, order):
                _check_finite(order)
            else:
                closures_walk(output, order)  # a node with a closure, which writes .grad
                _check_finite(order, by_closures=True)
            return read(order)
        finally:
            walks_running -= 1
            if outer is not None:
                for node, adjoint in zip(order, outer):
                    node.adjoint = adjoint


def _walk(output, order):
    """The walk of backward.chain_rule_steps on plain floats, written out for speed: the hot
    loop of every backward() (tests/test_chain_rule_steps.py checks that they agree). Every
    node of `order` holds adjoint 0 (float_walk). False if it meets a node with a closure (see
    closures_walk)."""
    output.adjoint = 1.0
    node = output
    try:
        for node in reversed(order):
            a = node.first_parent
            if a is None:
                parents = node.all_parents
                if not parents:
                    continue  # a leaf
                rule, upstream = node.rule, node.adjoint
                if rule is DOT:  # written out, as + and * below: a neuron's w·x + b
                    n = len(parents) // 2
                    weights, inputs = parents[:n], parents[n:2 * n]
                    # in the table's order (weights, inputs, bias), so that a Value given
                    # twice gets its sum in the same order, to the bit
                    for w, x in zip(weights, inputs):
                        w.adjoint += x.data * upstream  # ∂/∂w_i = x_i
                    for w, x in zip(weights, inputs):
                        x.adjoint += w.data * upstream  # ∂/∂x_i = w_i
                    parents[-1].adjoint += upstream  # ∂/∂b = 1
                    continue
                if rule.by_hand:
                    return False
                locals_ = rule.partials(list(map(data_of, parents)), node.data)
                for parent, local in zip(parents, locals_):
                    parent.adjoint += local * upstream
                continue
            rule, upstream, b = node.rule, node.adjoint, node.second_parent
            if b is None:
                a.adjoint += rule.derivative(a.data, node.data) * upstream
            # + and * written out: they are micrograd's neurons (a node per weight), and
            # skipping the call of their partials, (1, 1) and (b, a), saves a third of the walk;
            # the numbers are the same to the bit (tests/test_chain_rule_steps.py).
            elif rule is ADD:
                a.adjoint += upstream
                b.adjoint += upstream
            elif rule is MUL:
                a.adjoint += b.data * upstream
                b.adjoint += a.data * upstream
            else:
                local_a, local_b = rule.partials(a.data, b.data, node.data)
                a.adjoint += local_a * upstream
                b.adjoint += local_b * upstream
    except (ZeroDivisionError, OverflowError) as error:
        raise infinite_slope(node.rule, [p.data for p in node.parents], error) from None
    return True


@contextlib.contextmanager
def grads_put_back(nodes):
    """A block that may write the nodes' .grad (micrograd's closures work in .grad itself):
    every .grad is put back as it was after it, and one such block runs at a time (grad_lock)."""
    with grad_lock:
        saved = [node.grad for node in nodes]
        try:
            yield saved
        finally:
            for node, grad in zip(nodes, saved):
                node.grad = grad


def closures_walk(output, order):
    """d output / d node, into each node's adjoint, for a graph with nodes built micrograd's way,
    by micrograd's own walk: their closures add into .grad directly (and may write to any node,
    or use `=` for `+=`), so the walk runs in .grad itself: every .grad zeroed, output.grad = 1,
    node._backward() on each node from the output back, the sums read off into the adjoints,
    and every .grad put back as it was."""
    with grads_put_back(order):
        for node in order:
            node.grad = 0.0
        output.grad = 1.0
        for node in reversed(order):
            if node.parents:  # a leaf stops the flow, closure or not (made in no_grad)
                node._backward()
        for node in order:
            node.adjoint = node.grad


def closure_derivatives(node):
    """∂node/∂parent for each parent of a node with a closure, found by running the closure once
    with the node's gradient 1 and its parents' at 0 (a parent that repeats gets the whole
    derivative at its first place). Floats only: a closure computes on numbers. A closure that
    writes past its own children has no such derivatives: a ValueError (backward() and grad()
    still follow it, by micrograd's walk)."""
    parents = list(dict.fromkeys(node.parents))
    graph = depth_first(node)  # every .grad the closure could reach
    with grads_put_back(graph) as saved:
        for parent in parents:
            parent.grad = 0.0
        node.grad = 1.0
        node._backward()
        found = {parent: parent.grad for parent in parents}
        strayed = [v for v, grad in zip(graph, saved)
                   if v is not node and v not in found and not _same(v.grad, grad)]
    for parent, g in found.items():
        if not isinstance(g, numbers.Real):
            raise TypeError(f"the _backward closure of the {node.op!r} node left "
                            f"{type(g).__name__} in a .grad: a closure adds numbers into .grad")
    if strayed:
        raise ValueError(f"the _backward closure of the {node.op!r} node writes to a Value that "
                         f"is not one of its children, so it has no local derivatives of its "
                         f"own, which forward mode and the step pictures need (backward() and "
                         f"grad() follow it, as micrograd does)")
    derivatives = []
    for parent in node.parents:
        derivatives.append(found.pop(parent, 0.0))  # 0 where a parent comes again
    return derivatives


def _same(a, b):
    """Equal, NaN counting as equal to NaN (a .grad nobody wrote may well be NaN)."""
    return a == b or (a != a and b != b)


def _check_finite(order, by_closures=False):
    """Finite data must not give an infinite or NaN gradient without a word. After a walk of
    closures (by_closures), each adjoint must also be a number, as a closure left it."""
    if by_closures:
        for node in order:
            g = node.adjoint
            if not isinstance(g, numbers.Real):
                raise TypeError(f"after the _backward closures ran, the .grad of {named(node)} "
                                f"is {type(g).__name__}: {g!r}"[:300] + ": a closure adds "
                                "numbers into .grad")
            node.adjoint = float(g)
    if math.isfinite(sum(map(adjoint_of, order))):
        return  # a sum is finite only if every term is (inf and NaN never cancel out)
    bad = next((node for node in order if not math.isfinite(node.adjoint)), None)
    if bad is None or not all(math.isfinite(node.data) for node in order):
        return  # all finite, or the data itself holds inf/NaN: IEEE arithmetic applies
    why = ("a _backward closure of a node built micrograd's way gave it" if by_closures else
           f"it overflowed the largest float (about {sys.float_info.max:.2g})")
    raise OverflowError(f"the gradient with respect to {named(bad)} (data {bad.data!r}) is "
                        f"{bad.adjoint!r}: {why} although every value is finite")


def named(node):
    """A node as a message names it: its label, or the operation that made it."""
    return repr(node.label) if node.label else f"the {node.op or 'leaf'} node"
