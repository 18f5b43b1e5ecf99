"""micrograd's habits, the lecture included (#12 item 1).

Code written as in Karpathy's micrograd lecture (nn-zero-to-hero, lectures/micrograd, first and
second half), micrograd's demo.ipynb and trace_graph.ipynb, and the 2024 single-file
micrograd.py (EurekaLabsAI/micrograd), with `from autograd import Value` in place of their class:
the constructor Value(data, _children, _op, label), `_prev`, `_op`, a `_backward()` on every node
for the manual walk, micrograd-style operations made of a Value and an assigned closure, new
attributes set on Values (an optimizer's state, a picture's colour), drawing with graphviz.

Every expected number is a published one (the lecture's), torch float64's, a finite difference,
or micrograd 0.1.0's: never one produced by chainrule itself. The torch, micrograd and graphviz
parts skip cleanly where those are not installed.
"""
import importlib.util
import math
import random
import shutil
import sys

import numpy as np
import pytest

from autograd import TraceError, Value, dot, grad, logsumexp, total, trace

needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="PyTorch is not installed")
needs_micrograd = pytest.mark.skipif(importlib.util.find_spec("micrograd") is None,
                                     reason="micrograd 0.1.0 is not installed")


def close(ours, theirs, rel=1e-12, abs_tol=1e-14):
    return abs(ours - theirs) <= rel * max(abs(ours), abs(theirs)) + abs_tol


def slope(f, point, i, h=1e-6):
    """∂f/∂point[i] by a central difference, f a function of plain floats."""
    up, down = list(point), list(point)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def topological(root):
    """Every node root depends on, found through `_prev` only, each after its parents."""
    order, placed, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in placed:
            placed.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in node._prev)
    return order


def walk_by_hand(root):
    """The lecture's backward(), done by the caller: root.grad = 1, then every node's
    `_backward()` from the output back."""
    root.grad = 1.0
    for node in reversed(topological(root)):
        node._backward()


def grads_of(nodes):
    return [node.grad for node in nodes]


# ---- the constructor, _prev, _op, label -------------------------------------------------------

def test_constructor_takes_micrograd_arguments():
    a, b = Value(2.0), Value(-3.0)
    assert Value(1.0).label == "" and Value(1.0)._op == "" and not Value(1.0)._prev
    positional = Value(-6.0, (a, b), "*", "e")
    keywords = Value(data=-6.0, _children=(a, b), _op="*", label="e")
    for v in (positional, keywords):
        assert (v.data, v._op, v.label, set(v._prev)) == (-6.0, "*", "e", {a, b})
    assert Value(4.0, label="x").label == "x"
    assert Value(0).data == 0 and Value(0, (), "").label == ""  # ints, as micrograd.py writes
    e = a * b
    assert e.label == "" and set(e._prev) == {a, b} and e._op
    e.label = "e"  # the lecture names its nodes after the fact
    assert e.label == "e"
    assert (a * 2).label == "" and all(p.label == "" for p in (a * 2)._prev)
    assert a._op == "" and set(a._prev) == set()


# ---- the lecture, first half ------------------------------------------------------------------

def lecture_expression():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b; e.label = "e"
    d = e + c; d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f; L.label = "L"
    return a, b, c, e, d, f, L


def test_lecture_expression_graph_node_by_node():
    a, b, c, e, d, f, L = lecture_expression()
    assert L.data == -8.0
    L.grad = 1.0
    L._backward()
    assert (d.grad, f.grad) == (-2.0, 4.0)  # the lecture's numbers
    d._backward()
    assert (e.grad, c.grad) == (-2.0, -2.0)
    e._backward()
    assert (a.grad, b.grad) == (6.0, -4.0)
    for leaf in (a, b, c, f):
        leaf._backward()  # a leaf has nothing to pass on
    assert grads_of([a, b, c, f, e, d, L]) == [6.0, -4.0, -2.0, 4.0, -2.0, -2.0, 1.0]

    # one step along the gradient, then the forward pass again: the lecture's -7.286496
    for leaf in (a, b, c, f):
        leaf.data += 0.01 * leaf.grad
    e = a * b
    d = e + c
    L = d * f
    assert L.data == pytest.approx(-7.286496, abs=1e-12)


def lecture_neuron():
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1; x1w1.label = "x1*w1"
    x2w2 = x2 * w2; x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b; n.label = "n"
    return x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n


def neuron_as_floats(x1, x2, w1, w2, b):
    return math.tanh(x1 * w1 + x2 * w2 + b)


# The lecture's numbers: o = 0.7071, x1 -1.5, w1 1.0, x2 0.5, w2 0.0.
LECTURE_O = 0.7071067811865476
LECTURE_GRADS = [-1.5, 0.5, 1.0, 0.0, 0.5]  # x1, x2, w1, w2, b


def assert_lecture_numbers(o, leaves):
    assert o.data == pytest.approx(LECTURE_O, abs=1e-12)
    assert grads_of(leaves) == pytest.approx(LECTURE_GRADS, abs=1e-12)


def test_lecture_neuron_manual_backward_walk():
    x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n = lecture_neuron()
    o = n.tanh(); o.label = "o"
    o.grad = 1.0
    o._backward()
    assert n.grad == pytest.approx(1 - o.data ** 2) and n.grad == pytest.approx(0.5)
    n._backward()
    b._backward()
    x1w1x2w2._backward()
    x2w2._backward()
    x1w1._backward()
    assert (x1w1.grad, x2w2.grad, x1w1x2w2.grad) == pytest.approx((0.5, 0.5, 0.5))
    assert_lecture_numbers(o, [x1, x2, w1, w2, b])


def test_lecture_neuron_backward():
    x1, x2, w1, w2, b, *_, n = lecture_neuron()
    o = n.tanh(); o.label = "o"
    o.backward()
    assert o.grad == 1.0 and n.grad == pytest.approx(0.5)
    assert_lecture_numbers(o, [x1, x2, w1, w2, b])


def test_tanh_written_out_gives_the_same_gradients():
    x1, x2, w1, w2, b, *_, n = lecture_neuron()
    e = (2 * n).exp()
    o = (e - 1) / (e + 1); o.label = "o"
    o.backward()
    assert_lecture_numbers(o, [x1, x2, w1, w2, b])
    x1, x2, w1, w2, b, *_, n = lecture_neuron()
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    walk_by_hand(o)
    assert_lecture_numbers(o, [x1, x2, w1, w2, b])


def test_lecture_neuron_against_finite_differences():
    point = [2.0, 0.0, -3.0, 1.0, 6.8813735870195432]
    for build in ("backward", "by hand"):
        x1, x2, w1, w2, b, *_, n = lecture_neuron()
        o = n.tanh()
        if build == "backward":
            o.backward()
        else:
            walk_by_hand(o)
        assert o.data == pytest.approx(neuron_as_floats(*point), abs=1e-15)
        for i, leaf in enumerate([x1, x2, w1, w2, b]):
            assert leaf.grad == pytest.approx(slope(neuron_as_floats, point, i), abs=1e-8)


@needs_torch
def test_lecture_neuron_against_torch():
    import torch

    point = [2.0, 0.0, -3.0, 1.0, 6.8813735870195432]
    t = [torch.tensor([x], dtype=torch.float64, requires_grad=True) for x in point]
    tx1, tx2, tw1, tw2, tb = t
    to = torch.tanh(tx1 * tw1 + tx2 * tw2 + tb)
    to.backward()
    x1, x2, w1, w2, b, *_, n = lecture_neuron()
    o = n.tanh()
    o.backward()
    assert close(o.data, to.item())
    for leaf, tensor in zip([x1, x2, w1, w2, b], t):
        assert close(leaf.grad, tensor.grad.item()), (leaf.label, leaf.grad, tensor.grad.item())


def test_a_value_used_twice_gets_both_gradients():
    a = Value(3.0, label="a")
    b = a + a; b.label = "b"
    b.backward()
    assert (b.data, a.grad) == (6.0, 2.0)  # the lecture's bug case: 2, not 1
    a = Value(3.0, label="a")
    b = a + a
    b.grad = 1.0
    b._backward()
    assert a.grad == 2.0

    for by_hand in (False, True):  # the lecture's second picture: a -3, b -8
        a = Value(-2.0, label="a")
        b = Value(3.0, label="b")
        d = a * b; d.label = "d"
        e = a + b; e.label = "e"
        f = d * e; f.label = "f"
        if by_hand:
            walk_by_hand(f)
        else:
            f.backward()
        assert (f.data, a.grad, b.grad) == (-6.0, -3.0, -8.0)


# ---- _backward() on every operation, node by node -----------------------------------------------

# (name, the operation on Values a, b, c; the same on floats; on torch tensors if not the same
# code as on Values)
OPERATIONS = [
    ("+", lambda a, b, c: a + b, lambda a, b, c: a + b, None),
    ("number +", lambda a, b, c: 2.5 + a, lambda a, b, c: 2.5 + a, None),
    ("*", lambda a, b, c: a * b, lambda a, b, c: a * b, None),
    ("number *", lambda a, b, c: 3 * a, lambda a, b, c: 3 * a, None),
    ("-", lambda a, b, c: a - b, lambda a, b, c: a - b, None),
    ("number -", lambda a, b, c: 1 - a, lambda a, b, c: 1 - a, None),
    ("/", lambda a, b, c: a / b, lambda a, b, c: a / b, None),
    ("number /", lambda a, b, c: 2 / a, lambda a, b, c: 2 / a, None),
    ("**3", lambda a, b, c: a ** 3, lambda a, b, c: a ** 3, None),
    ("**-1", lambda a, b, c: a ** -1, lambda a, b, c: a ** -1, None),
    ("** Value", lambda a, b, c: a ** b, lambda a, b, c: a ** b, None),
    ("number **", lambda a, b, c: 2 ** a, lambda a, b, c: 2 ** a, None),
    ("neg", lambda a, b, c: -a, lambda a, b, c: -a, None),
    ("tanh", lambda a, b, c: a.tanh(), lambda a, b, c: math.tanh(a), None),
    ("exp", lambda a, b, c: a.exp(), lambda a, b, c: math.exp(a), None),
    ("log", lambda a, b, c: a.log(), lambda a, b, c: math.log(a), None),
    ("relu", lambda a, b, c: a.relu(), lambda a, b, c: max(a, 0.0), None),
    ("relu below 0", lambda a, b, c: c.relu(), lambda a, b, c: max(c, 0.0), None),
    ("sigmoid", lambda a, b, c: a.sigmoid(), lambda a, b, c: 1 / (1 + math.exp(-a)), None),
    # chainrule's own many-input operations, one node each
    ("dot", lambda a, b, c: dot([a, b], [c, a], 0.5), lambda a, b, c: a * c + b * a + 0.5,
     lambda a, b, c: a * c + b * a + 0.5),
    ("total", lambda a, b, c: total([a, b, c, a]), lambda a, b, c: a + b + c + a,
     lambda a, b, c: a + b + c + a),
    ("logsumexp", lambda a, b, c: logsumexp([a, b, c]),
     lambda a, b, c: math.log(math.exp(a) + math.exp(b) + math.exp(c)),
     lambda a, b, c: (a.exp() + b.exp() + c.exp()).log()),
]
POINT = [1.3, 0.6, -0.8]
UPSTREAM = 0.75  # the node's own .grad, not 1: _backward must multiply by it
OPERATION_IDS = [operation[0] for operation in OPERATIONS]


def leaves_at(point):
    return [Value(x, label=name) for x, name in zip(point, "abc")]


@pytest.mark.parametrize("name, on_values, on_floats, on_torch", OPERATIONS, ids=OPERATION_IDS)
def test_backward_of_one_node_is_its_chain_rule_step(name, on_values, on_floats, on_torch):
    leaves = leaves_at(POINT)
    out = on_values(*leaves)
    assert out.data == pytest.approx(on_floats(*POINT), rel=1e-15)
    assert set(leaves) >= {p for p in out._prev if p.label} and out._op  # one node, one step
    out.grad = UPSTREAM
    out._backward()
    for i, leaf in enumerate(leaves):
        expected = UPSTREAM * slope(on_floats, POINT, i)
        assert leaf.grad == pytest.approx(expected, rel=1e-7, abs=1e-9), (name, leaf.label)
    out._backward()  # a second call adds the step again, as micrograd's += does
    for i, leaf in enumerate(leaves):
        assert leaf.grad == pytest.approx(2 * UPSTREAM * slope(on_floats, POINT, i), rel=1e-7,
                                          abs=1e-9)


@needs_torch
@pytest.mark.parametrize("name, on_values, on_floats, on_torch", OPERATIONS, ids=OPERATION_IDS)
def test_backward_of_one_node_equals_torch(name, on_values, on_floats, on_torch):
    import torch

    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in POINT]
    (on_torch or on_values)(*tensors).mul(UPSTREAM).backward()
    leaves = leaves_at(POINT)
    out = on_values(*leaves)
    out.grad = UPSTREAM
    out._backward()
    for leaf, tensor in zip(leaves, tensors):
        theirs = tensor.grad.item() if tensor.grad is not None else 0.0
        assert close(leaf.grad, theirs), (name, leaf.label, leaf.grad, theirs)


def test_manual_walk_over_a_larger_graph_equals_finite_differences():
    def f(a, b, c):
        h = (a * b + c).tanh() * a - (b / c) ** 2 + (2 * a).exp() / (1 + b.relu())
        return h.log() + (-c).sigmoid()

    def f_floats(a, b, c):
        h = math.tanh(a * b + c) * a - (b / c) ** 2 + math.exp(2 * a) / (1 + max(b, 0.0))
        return math.log(h) + 1 / (1 + math.exp(c))

    point = [0.7, -0.4, 1.1]
    leaves = [Value(x) for x in point]
    walk_by_hand(f(*leaves))
    for i, leaf in enumerate(leaves):
        assert leaf.grad == pytest.approx(slope(f_floats, point, i), rel=1e-7)


# ---- the lecture's micrograd-style operation: a Value and an assigned closure --------------------

def closure_tanh(x, op="tanh"):
    """tanh made as the lecture makes it: the number, its parents, and a closure."""
    t = (math.exp(2 * x.data) - 1) / (math.exp(2 * x.data) + 1)
    out = Value(t, (x,), op)

    def _backward():
        x.grad += (1 - t ** 2) * out.grad
    out._backward = _backward
    return out


def closure_mul(a, b):
    out = Value(a.data * b.data, (a, b), "mymul")

    def _backward():
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad
    out._backward = _backward
    return out


def mixed(a, b, c):
    """chainrule's operations and micrograd-style ones mixed, a closure node feeding a
    closure node, an input used on several paths."""
    inner = closure_tanh(a * b + c)
    return closure_mul(inner * a, closure_tanh(closure_tanh(a) - c)) + (b * inner).exp()


def mixed_floats(a, b, c):
    inner = math.tanh(a * b + c)
    return inner * a * math.tanh(math.tanh(a) - c) + math.exp(b * inner)


MIXED_POINT = [0.8, -1.2, 0.3]


def test_closure_operations_take_part_in_backward():
    leaves = [Value(x) for x in MIXED_POINT]
    out = mixed(*leaves)
    assert out.data == pytest.approx(mixed_floats(*MIXED_POINT), rel=1e-14)
    out.backward()
    for i, leaf in enumerate(leaves):
        assert leaf.grad == pytest.approx(slope(mixed_floats, MIXED_POINT, i), rel=1e-7)

    leaves = [Value(x) for x in MIXED_POINT]
    walk_by_hand(mixed(*leaves))  # and in the lecture's walk, node by node
    for i, leaf in enumerate(leaves):
        assert leaf.grad == pytest.approx(slope(mixed_floats, MIXED_POINT, i), rel=1e-7)


def test_closure_operations_take_part_in_grad_which_leaves_grad_untouched():
    leaves = [Value(x) for x in MIXED_POINT]
    out = mixed(*leaves)
    nodes = topological(out)
    for k, node in enumerate(nodes):
        node.grad = 0.125 * k  # anything: grad() must neither read nor change it
    before = grads_of(nodes)
    gradients = grad(out, leaves)
    assert grads_of(nodes) == before
    for i, g in enumerate(gradients):
        assert g.data == pytest.approx(slope(mixed_floats, MIXED_POINT, i), rel=1e-7)


def test_a_closure_operation_with_an_input_given_twice():
    a = Value(1.5)
    m = closure_mul(a, a)
    (m * 2).backward()
    assert (m.grad, a.grad) == (2.0, 6.0)  # the closure node's own .grad is filled in too
    a = Value(1.5)
    assert grad(closure_mul(a, a) + a, a).data == 4.0


class LectureValue(Value):
    """A subclass adding an operation in micrograd's way."""

    def cube(self):
        out = LectureValue(self.data ** 3, (self,), "cube")

        def _backward():
            self.grad += 3 * self.data ** 2 * out.grad
        out._backward = _backward
        return out


def test_a_subclass_with_a_closure_method():
    x = LectureValue(0.5, label="x")
    y = x.cube() * 2 + x.tanh()
    y.backward()
    expected = slope(lambda x: 2 * x ** 3 + math.tanh(x), [0.5], 0)
    assert x.grad == pytest.approx(expected, rel=1e-8)
    x = LectureValue(0.5)
    assert grad(x.cube().cube(), x).data == pytest.approx(9 * 0.5 ** 8, rel=1e-15)


def test_children_without_a_closure_pass_nothing():
    x = Value(2.0)
    k = Value(x.data * 2, (x,), "double")  # as micrograd: no closure, no gradient through it
    k._backward()
    assert x.grad == 0.0
    y = k * 3 + x
    y.backward()
    assert (k.grad, x.grad) == (3.0, 1.0)
    x = Value(2.0)
    k = Value(x.data * 2, (x,), "double")
    assert grad(k * 3 + x, x).data == 1.0
    assert grad(k * 3 + x, k).data == 3.0


def test_closure_operations_cannot_be_differentiated_twice():
    a = Value(0.4)
    y = closure_tanh(a * a, op="lecture_tanh") * 3
    with pytest.raises((TypeError, ValueError, NotImplementedError, RuntimeError),
                       match="lecture_tanh"):
        grad(y, a, create_graph=True)
    assert grad(y, a).data == pytest.approx(
        slope(lambda a: 3 * math.tanh(a * a), [0.4], 0), rel=1e-8)  # once is fine


def test_closure_operations_cannot_be_traced():
    w = Value(0.7)

    def loss(x):
        return closure_tanh(x[0] * w, op="lecture_tanh") + x[1]

    with pytest.raises(TraceError, match="lecture_tanh"):
        trace(loss, [0.3, -0.2])


# ---- the lecture's draw_dot, on chainrule's Values ----------------------------------------------

def draw_dot(root):
    """The lecture's picture: a record per Value (label, data, grad), an oval per operation."""
    from graphviz import Digraph

    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes = topological(root)
    for n in nodes:
        uid = str(id(n))
        dot.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad),
                 shape="record", style="filled", fillcolor=getattr(n, "_vis_color", "white"))
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n in nodes:
        for parent in set(n._prev):
            dot.edge(str(id(parent)), str(id(n)) + n._op)
    return dot


def test_draw_dot_as_in_the_lecture():
    pytest.importorskip("graphviz")
    x1, x2, w1, w2, b, *_, n = lecture_neuron()
    e = (2 * n).exp()
    o = (e - 1) / (e + 1); o.label = "o"  # unnamed nodes, and constants from numbers
    o.backward()
    w1._vis_color = "lightgreen"
    dot = draw_dot(o)
    source = dot.source
    assert "None" not in source
    assert "{ o | data 0.7071 | grad 1.0000 }" in source
    assert "{ x1 | data 2.0000 | grad -1.5000 }" in source
    assert "{ w2 | data 1.0000 | grad 0.0000 }" in source
    assert "{  | data" in source  # an unnamed node: an empty label
    assert "lightgreen" in source
    if shutil.which("dot"):
        svg = dot.pipe(format="svg").decode()
        assert "<svg" in svg and "x1" in svg and "None" not in svg


# ---- the lecture, second half: Neuron, Layer, MLP written micrograd-style ------------------------

class Neuron:
    def __init__(self, nin, rng):
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(rng.uniform(-1, 1))

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh()

    def parameters(self):
        return self.w + [self.b]


class Layer:
    def __init__(self, nin, nout, rng):
        self.neurons = [Neuron(nin, rng) for _ in range(nout)]

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    def __init__(self, nin, nouts, rng):
        sizes = [nin] + nouts
        self.layers = [Layer(sizes[i], sizes[i + 1], rng) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def squared_error(model):
    ypred = [model(x) for x in XS]
    return sum((yout - ygt) ** 2 for ygt, yout in zip(YS, ypred))


def test_lecture_mlp_training_loop_lowers_the_loss():
    model = MLP(3, [4, 4, 1], random.Random(1))
    assert len(model.parameters()) == 41
    losses = []
    for _ in range(20):
        loss = squared_error(model)
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        for p in model.parameters():
            p.data += -0.1 * p.grad
        losses.append(loss.data)
    assert losses[-1] < 0.05 * losses[0]  # (not step by step: gradient descent may overshoot)


def torch_mlp_loss(layers, torch):
    """The same network on torch scalars: layers[i][j] = (weights, bias) of neuron j."""
    ypred = []
    for x in XS:
        h = [torch.tensor(xi, dtype=torch.float64) for xi in x]
        for layer in layers:
            h = [sum((wi * hi for wi, hi in zip(w, h)), bias).tanh() for w, bias in layer]
        ypred.append(h[0])
    return sum((yout - ygt) ** 2 for ygt, yout in zip(YS, ypred))


def as_tensors(torch, model_layers):
    return [[([torch.tensor(w.data, dtype=torch.float64, requires_grad=True) for w in n.w],
              torch.tensor(n.b.data, dtype=torch.float64, requires_grad=True))
             for n in layer.neurons] for layer in model_layers]


def flat_tensors(layers):
    return [t for layer in layers for w, bias in layer for t in [*w, bias]]


@needs_torch
def test_lecture_mlp_gradients_equal_torch():
    import torch

    model = MLP(3, [4, 4, 1], random.Random(2))
    for step in range(3):
        layers = as_tensors(torch, model.layers)
        tloss = torch_mlp_loss(layers, torch)
        tloss.backward()
        loss = squared_error(model)
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        assert close(loss.data, tloss.item())
        for p, t in zip(model.parameters(), flat_tensors(layers)):
            assert close(p.grad, t.grad.item()), (step, p.grad, t.grad.item())
        for p in model.parameters():
            p.data += -0.1 * p.grad


# ---- micrograd's demo.ipynb: ReLU MLP, SVM max-margin loss, L2, accuracy, decaying rate ----------

class DemoNeuron:
    def __init__(self, nin, value, rng, nonlin=True):
        self.w = [value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = value(0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]


class DemoMLP:
    """micrograd.nn's MLP, for any Value class: ReLU layers and a linear last one."""

    def __init__(self, nin, nouts, value, rng):
        sizes = [nin] + nouts
        self.layers = [[DemoNeuron(sizes[i], value, rng, nonlin=i != len(nouts) - 1)
                        for _ in range(sizes[i + 1])] for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            outs = [n(x) for n in layer]
            x = outs[0] if len(outs) == 1 else outs
        return x

    def parameters(self):
        return [p for layer in self.layers for n in layer for p in n.parameters()]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0


def two_moons(n, seed):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, math.pi, n)
    upper = rng.random(n) < 0.5
    X = np.stack([np.where(upper, np.cos(t), 1 - np.cos(t)),
                  np.where(upper, np.sin(t), 0.5 - np.sin(t))], axis=1)
    X += rng.normal(0, 0.1, X.shape)
    y = np.where(upper, 1, 0) * 2 - 1  # labels -1 and 1, numpy ints, as the demo's
    return X, y


def demo_loss(model, X, y, value):
    inputs = [list(map(value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum((p * p for p in model.parameters()))
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    return total_loss, sum(accuracy) / len(accuracy)


def demo_training(value, steps, X, y):
    model = DemoMLP(2, [8, 8, 1], value, random.Random(1337))
    history = []
    for k in range(steps):
        total_loss, acc = demo_loss(model, X, y, value)
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((total_loss.data, acc, [p.data for p in model.parameters()]))
    return history


def test_demo_svm_training_on_our_value():
    X, y = two_moons(40, seed=0)
    history = demo_training(Value, 25, X, y)
    losses = [loss for loss, _, _ in history]
    assert losses[-1] < 0.5 * losses[0]
    assert history[-1][1] > 0.8 and history[-1][1] > history[0][1]


@needs_micrograd
def test_demo_steps_equal_micrograd():
    from micrograd.engine import Value as MicrogradValue

    X, y = two_moons(30, seed=1)
    ours = demo_training(Value, 5, X, y)
    theirs = demo_training(MicrogradValue, 5, X, y)
    for (loss, acc, params), (their_loss, their_acc, their_params) in zip(ours, theirs):
        assert close(loss, their_loss, abs_tol=1e-12) and acc == their_acc
        assert all(close(p, q, abs_tol=1e-12) for p, q in zip(params, their_params))


@needs_micrograd
def test_trace_graph_examples_equal_micrograd():
    from micrograd.engine import Value as MicrogradValue

    results = []
    for value in (Value, MicrogradValue):
        x = value(1.0)
        y = (x * 2 + 1).relu()
        y.backward()
        neuron = DemoNeuron(2, value, random.Random(1337))
        inputs = [value(1.0), value(-2.0)]
        out = neuron(inputs)
        out.backward()
        results.append([y.data, x.grad, out.data, *(v.grad for v in inputs),
                        *(p.grad for p in neuron.parameters())])
    assert all(close(a, b) for a, b in zip(*results))


# ---- the 2024 micrograd.py: AdamW keeping its state on the Values, cross-entropy, vis_color -----

class ScriptNeuron:
    def __init__(self, nin, rng, nonlin=True):
        self.w = [Value(rng.uniform(-1, 1) * nin ** -0.5) for _ in range(nin)]
        self.b = Value(0)  # an int, as the script writes it
        self.nonlin = nonlin
        vis_color([self.b] + self.w, "lightgreen")

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]


class ScriptMLP:
    def __init__(self, nin, nouts, rng):
        sizes = [nin] + nouts
        self.layers = [[ScriptNeuron(sizes[i], rng, nonlin=i != len(nouts) - 1)
                        for _ in range(sizes[i + 1])] for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = [n(x) for n in layer]
        return x

    def parameters(self):
        return [p for layer in self.layers for n in layer for p in n.parameters()]


def vis_color(nodes, color):
    for node in nodes:
        setattr(node, "_vis_color", color)


def cross_entropy(logits, target):
    ex = [x.exp() for x in logits]
    denom = sum(ex)
    probs = [x / denom for x in ex]
    return -probs[target].log()


class AdamW:
    """The script's optimizer: its moments kept on the parameters themselves."""

    def __init__(self, parameters, lr=1e-1, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0):
        self.parameters, self.lr, self.eps, self.weight_decay = parameters, lr, eps, weight_decay
        self.beta1, self.beta2 = betas
        self.t = 0
        for p in self.parameters:
            p.m = 0
            p.v = 0

    def step(self):
        self.t += 1
        for p in self.parameters:
            p.m = self.beta1 * p.m + (1 - self.beta1) * p.grad
            p.v = self.beta2 * p.v + (1 - self.beta2) * p.grad ** 2
            m_hat = p.m / (1 - self.beta1 ** self.t)
            v_hat = p.v / (1 - self.beta2 ** self.t)
            p.data -= self.lr * (m_hat / (v_hat ** 0.5 + self.eps) + self.weight_decay * p.data)

    def zero_grad(self):
        for p in self.parameters:
            p.grad = 0


def three_classes(n, seed):
    rng = random.Random(seed)
    split = []
    for _ in range(n):
        x, y = rng.uniform(-2, 2), rng.uniform(-2, 2)
        sector = int((math.atan2(y, x) + math.pi) / (2 * math.pi) * 3) % 3
        split.append(([x, y], sector))
    return split


def loss_fun(model, split):
    total_loss = Value(0.0)
    for x, y in split:
        total_loss = total_loss + cross_entropy(model(x), y)
    return total_loss * (1.0 / len(split))


def test_script_training_with_adamw_state_on_the_values():
    split = three_classes(24, seed=3)
    model = ScriptMLP(2, [8, 3], random.Random(42))
    optimizer = AdamW(model.parameters(), lr=1e-1, weight_decay=1e-4)
    assert all(p.m == 0 and p.v == 0 for p in model.parameters())
    losses = []
    for _ in range(8):
        loss = loss_fun(model, split)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.data)
    assert losses[-1] < 0.7 * losses[0]
    assert all(p.grad == 0 and p.v > 0 for p in model.parameters())


def test_vis_color_sets_an_attribute_on_chosen_nodes_only():
    model = ScriptMLP(2, [3], random.Random(0))
    x = [Value(0.0), Value(0.0)]
    loss = loss_fun(model, [(x, 0)])
    vis_color(x, "lightblue")
    loss.backward()
    colours = {id(n): getattr(n, "_vis_color", "white") for n in topological(loss)}
    assert {colours[id(p)] for p in model.parameters()} == {"lightgreen"}
    assert {colours[id(v)] for v in x} == {"lightblue"}
    assert not hasattr(loss, "_vis_color") and list(colours.values()).count("white") > 3
    assert loss.data == pytest.approx(math.log(3), rel=1e-14)  # b = 0 and x = 0: equal logits


@needs_torch
def test_script_steps_equal_torch():
    import torch
    import torch.nn.functional as F

    split = three_classes(12, seed=4)
    model = ScriptMLP(2, [8, 3], random.Random(7))
    params = model.parameters()
    optimizer = AdamW(params, lr=1e-1, weight_decay=1e-4)
    tparams = [torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in params]
    tm = [torch.zeros((), dtype=torch.float64) for _ in params]
    tv = [torch.zeros((), dtype=torch.float64) for _ in params]
    hidden, out = model.layers

    def torch_loss():
        it = iter(tparams)
        layers = [[([next(it) for _ in n.w], next(it)) for n in layer] for layer in (hidden, out)]
        total = torch.zeros((), dtype=torch.float64)
        for x, y in split:
            h = [sum((w * xi for w, xi in zip(ws, x)), b).tanh() for ws, b in layers[0]]
            logits = torch.stack([sum((w * hi for w, hi in zip(ws, h)), b) for ws, b in layers[1]])
            total = total + F.cross_entropy(logits[None], torch.tensor([y]))
        return total * (1.0 / len(split))

    for t in range(1, 4):
        loss = loss_fun(model, split)
        loss.backward()
        tloss = torch_loss()
        tloss.backward()
        assert close(loss.data, tloss.item())
        for p, tp in zip(params, tparams):
            assert close(p.grad, tp.grad.item()), (t, p.grad, tp.grad.item())
        optimizer.step()
        optimizer.zero_grad()
        with torch.no_grad():  # the script's update, written out on tensors
            for i, tp in enumerate(tparams):
                g = tp.grad
                tm[i] = 0.9 * tm[i] + (1 - 0.9) * g
                tv[i] = 0.95 * tv[i] + (1 - 0.95) * g ** 2
                m_hat = tm[i] / (1 - 0.9 ** t)
                v_hat = tv[i] / (1 - 0.95 ** t)
                tp -= 1e-1 * (m_hat / (v_hat ** 0.5 + 1e-8) + 1e-4 * tp)
                tp.grad = None
        for p, tp in zip(params, tparams):
            assert close(p.data, tp.item()), (t, p.data, tp.item())


# ---- memory: new attributes cost nothing until they are set ------------------------------------

def test_values_accept_new_attributes():
    p = Value(0.5)
    p.m = 0.0
    p.v = 0.0
    n = p * 2
    n._vis_color = "red"
    assert (p.m, p.v, n._vis_color) == (0.0, 0.0, "red")
    assert not hasattr(Value(0.5), "m") and not hasattr(p, "_vis_color")
    p.m += 0.25
    assert p.m == 0.25
    del p.m
    assert not hasattr(p, "m")


def test_plain_values_carry_no_attribute_dictionary():
    a, b = Value(1.0), Value(2.0)
    nodes = [a, a * b, a.tanh(), 3 - a, Value(1.0, (a,), "op")]
    for node in nodes:
        assert sys.getsizeof(node) <= 136  # the headers and twelve slots, no dictionary
        assert getattr(node, "__dict__", {}) == {}  # nothing kept per instance by default
    a.m = 0.0
    assert getattr(a, "__dict__", {}) == {"m": 0.0}
    assert type(Value.__dict__.get("data")).__name__ == "member_descriptor"  # a slot
    assert type(Value.__dict__.get("grad")).__name__ == "member_descriptor"
