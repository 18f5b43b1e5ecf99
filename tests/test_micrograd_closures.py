"""Nodes with micrograd's `_backward` closures: backward() and grad() run micrograd's own walk
over such a graph, so a closure may write to any node, or use `=` for `+=`, with micrograd's
result; bad closures, children and results get clear errors; threads do not mix sums."""
import math
import threading

import numpy as np
import pytest

import autograd
from autograd import Value, draw_graph, grad
from test_chain_rule_steps import hand_built_tanh
from test_micrograd_habits import closure_mul


def skip_node(m, extra):
    """out = m, whose closure also writes `extra * out.grad` straight into m's first parent."""
    out = Value(m.data, (m,), "skip")

    def _backward():
        m.grad += out.grad
        m.parents[0].grad += extra * out.grad

    out._backward = _backward
    return out


def test_a_closure_may_write_past_its_children():
    # x -> a = 2x -> m = 3a -> out; the closure also adds 10 to a.grad. By the chain rule
    # through the walk: a.grad = 10 + 3 = 13, x.grad = 2 * 13 = 26 (micrograd's numbers).
    x = Value(1.0)
    a = x * 2
    out = skip_node(a * 3, 10.0)
    assert [g.data for g in grad(out, [x, a])] == [26.0, 13.0]
    assert x.grad == 0.0 and a.grad == 0.0  # grad() leaves .grad alone
    out.backward()
    assert (x.grad, a.grad) == (26.0, 13.0)


def test_the_same_on_micrograds_value():
    micrograd = pytest.importorskip("micrograd.engine")
    x = micrograd.Value(1.0)
    a = x * 2
    m = a * 3
    out = micrograd.Value(m.data, (m,), "skip")

    def _backward():
        m.grad += out.grad
        a.grad += 10.0 * out.grad

    out._backward = _backward
    out.backward()
    ours = Value(1.0)
    ours_a = ours * 2
    skip_node(ours_a * 3, 10.0).backward()
    assert (ours.grad, ours_a.grad) == (x.grad, a.grad)


def assigning_mul(a, b):
    """a * b with the lecture's bug: `=` where `+=` belongs."""
    out = Value(a.data * b.data, (a, b), "*=")

    def _backward():
        a.grad = b.data * out.grad
        b.grad = a.data * out.grad

    out._backward = _backward
    return out


def test_an_assigning_closure_gives_micrograds_wrong_answer_everywhere():
    # y = a*b + a: the right d/da is b + 1 = 4; with `=` micrograd's walk gives 3 (the later
    # write wins), and so must backward() and grad(): the lecture's bug, shown as it is
    a, b = Value(2.0), Value(3.0)
    y = assigning_mul(a, b) + a
    assert grad(y, a).data == 3.0
    y.backward()
    assert a.grad == 3.0


def test_a_closure_on_an_operation_of_the_table_replaces_its_step():
    p, q = Value(2.0), Value(3.0)
    r = p * q
    r._backward = lambda: setattr(p, "grad", p.grad + 1000.0 * r.grad)
    assert r.op == "*"  # still drawn as what made it
    r.backward()
    assert (p.grad, q.grad) == (1000.0, 0.0)
    with pytest.raises(ValueError, match="micrograd's way"):
        grad(r, p, create_graph=True)


@pytest.mark.parametrize("bad", [3, None, "f"])
def test_a_backward_that_is_not_a_function_is_refused_at_once(bad):
    out = Value(1.0, (Value(2.0),), "f")
    with pytest.raises(TypeError, match="_backward is a function"):
        out._backward = bad


def test_children_as_an_array_of_values_and_bad_ones_under_no_grad():
    a, b = Value(1.0), Value(2.0)
    node = Value(3.0, np.array([a, b], dtype=object), "+")
    assert node.parents == (a, b)
    assert Value(3.0, np.array([], dtype=object), "+").parents == ()
    with pytest.raises(TypeError, match="_children holds Values"):
        Value(3.0, np.array([1.0, 2.0]), "+")
    with autograd.no_grad(), pytest.raises(TypeError, match="_children"):
        Value(3.0, 5, "+")


def test_a_closure_giving_nan_or_a_non_number_is_named():
    x = Value(1.0)
    out = Value(2.0, (x,), "bad")
    out._backward = lambda: setattr(x, "grad", x.grad + math.nan * out.grad)
    with pytest.raises(OverflowError, match="_backward closure"):
        out.backward()
    out._backward = lambda: setattr(x, "grad", "oops")
    with pytest.raises(TypeError, match="closure adds numbers"):
        grad(out, x)
    assert x.grad == 0.0  # nothing half-written left behind


def test_two_threads_sharing_leaves_add_exact_sums():
    leaves = [Value(0.1 * i) for i in range(4)]
    calls = 200
    per_call = [1 - math.tanh(leaf.data * 2) ** 2 for leaf in leaves]

    def work():
        for _ in range(calls):
            sum((hand_built_tanh(leaf * 2) * 0.5 for leaf in leaves), Value(0.0)).backward()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for leaf, d in zip(leaves, per_call):
        assert leaf.grad == pytest.approx(2 * calls * d, rel=1e-9)


def test_the_tables_functions_use_the_class_method_not_an_attribute():
    v = Value(0.5)
    v.exp = 1  # a Value takes new attributes; autograd.exp still means exp
    assert autograd.exp(v).data == math.exp(0.5)


def test_a_long_operation_name_is_shortened_in_pictures():
    x = Value(1.0, label="x")
    out = Value(2.0, (x,), "o" * 10_000)
    source = draw_graph(out).source
    assert "o" * 10_000 not in source and "o" * 60 in source


def test_a_hand_built_node_made_in_no_grad_is_a_leaf_in_every_walk():
    x, y = Value(2.0), Value(3.0)
    with autograd.no_grad():
        w = closure_mul(x, y)  # recorded nothing: a leaf, whose closure must not run
    out = closure_mul(w, x)
    assert grad(out, x).data == 6.0 and (x.grad, y.grad) == (0.0, 0.0)
    out.backward()
    assert (x.grad, y.grad) == (6.0, 0.0)


def test_a_nan_grad_upstream_is_not_taken_for_a_stray_write():
    p = Value(1.0)
    p.grad = math.nan  # left over from a diverged step, say
    q = p * 2
    r = closure_mul(q, Value(3.0))
    assert autograd.jvp(lambda q: r, [q], [1.0])[1].data == 3.0
    assert math.isnan(p.grad)


def test_a_closure_leaving_a_non_number_is_named_in_forward_mode_too():
    x = Value(1.0)
    out = Value(2.0, (x,), "bad")
    out._backward = lambda: setattr(x, "grad", x.grad + Value(1.0) * out.grad)
    with pytest.raises(TypeError, match="closure adds numbers"):
        autograd.jvp(lambda x: out, [x], [1.0])
    with pytest.raises(TypeError, match="closure adds numbers"):
        out.backward()
