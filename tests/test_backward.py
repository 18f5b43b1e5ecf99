"""backward(): topological order, accumulation, shared sub-expressions, deep graphs, determinism."""
import math
import os
import subprocess
import sys

import pytest

from autograd import Value, grad, topological_order


def test_backward_fills_every_grad():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    d = c + a
    d.backward()
    assert (d.grad, c.grad, a.grad, b.grad) == (1.0, 1.0, b.data + 1.0, a.data)


def test_a_value_used_twice_gets_both_contributions():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    b = Value(3.0)
    (b * b).backward()
    assert b.grad == 6.0


def test_shared_sub_expression():
    x = Value(0.5)
    h = x.tanh()
    y = h * h + h.exp()  # h feeds three edges
    y.backward()
    t = math.tanh(0.5)
    assert x.grad == pytest.approx((2 * t + math.exp(t)) * (1 - t * t), rel=1e-15)


def test_backward_twice_adds_exactly_twice_on_every_node():
    x, w = Value(0.3), Value(-1.2)
    h = (x * w).tanh()
    y = h * h + (h + x).sigmoid()
    nodes = topological_order(y)
    y.backward()
    first = [node.grad for node in nodes]
    y.backward()
    assert [node.grad for node in nodes] == [2 * g for g in first]


def test_grad_leaves_dot_grad_untouched():
    x = Value(1.0)
    y = x.exp() * x
    (dx,) = grad(y, [x])
    assert x.grad == 0.0 and y.grad == 0.0
    assert dx.data == pytest.approx(2 * math.e, rel=1e-15)


def test_grad_of_an_input_the_output_does_not_use_is_zero():
    x, unused = Value(1.0), Value(5.0)
    assert [g.data for g in grad(x * 2, [x, unused])] == [2.0, 0.0]


def test_grad_takes_a_single_value_or_a_sequence():
    x = Value(3.0)
    assert grad(x * x, x).data == 6.0
    assert [g.data for g in grad(x * x, (x,))] == [6.0]


def test_backward_of_a_leaf():
    x = Value(4.0)
    x.backward()
    assert x.grad == 1.0


def test_topological_order_puts_parents_first():
    x, y = Value(1.0), Value(2.0)
    out = ((x * y).tanh() + x) * (y - x.exp())
    order = topological_order(out)
    position = {node: i for i, node in enumerate(order)}
    assert order[-1] is out and len(position) == len(order)
    for node in order:
        for parent in node.parents:
            assert position[parent] < position[node]


def test_a_chain_of_a_million_nodes():
    # micrograd's recursive sort dies near 1,000 nodes; this one is iterative.
    x, step = Value(0.0), Value(1.0)
    v = x
    for _ in range(10 ** 6):
        v = v + step
    v.backward()
    assert v.data == 1e6 and x.grad == 1.0 and step.grad == 1e6


def test_a_million_nodes_chain_of_products():
    x = Value(1.0)
    v = x
    for _ in range(10 ** 6):
        v = v * 1.0000001
    (dx,) = grad(v, [x])
    assert dx.data == pytest.approx(1.0000001 ** 1e6, rel=1e-9)


def test_gradients_are_bit_for_bit_reproducible_across_processes():
    script = (
        "from autograd import Value\n"
        "xs = [Value(0.1 * i - 0.7) for i in range(12)]\n"
        "h = [(a * b).tanh() + a.sigmoid() for a, b in zip(xs, xs[1:] + xs[:1])]\n"
        "out = sum(hi * hj for hi in h for hj in h[::2]).softplus()\n"
        "out.backward()\n"
        "print(' '.join(x.grad.hex() for x in xs))\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runs = set()
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=root)
        runs.add(subprocess.run([sys.executable, "-c", script], env=env, check=True,
                                capture_output=True, text=True).stdout)
    assert len(runs) == 1


def test_gradient_overflow_is_an_error_not_inf():
    tiny = Value(1e-200, label="tiny")
    y = Value(1e100) / tiny  # 1e300 is fine, but d y / d tiny = -1e100 / 1e-400 is not
    with pytest.raises(OverflowError, match="tiny"):
        y.backward()
    assert tiny.grad == 0.0  # nothing half-written


def test_nan_data_flows_through_as_ieee_says():
    x = Value(float("nan"))
    y = x * 2 + 1
    y.backward()
    assert math.isnan(y.data) and x.grad == 2.0
    z = Value(float("inf"))
    (z.exp()).backward()
    assert z.grad == math.inf


def test_walks_in_two_threads_over_one_shared_graph_give_exact_gradients():
    # The walk keeps its marks and adjoints in the nodes: two threads walking graphs that share
    # a middle (not only leaves) must not mix them up, whatever the interleaving.
    import threading

    xs = [Value(0.1 * i + 0.3) for i in range(6)]
    shared = [(x * x).tanh() + x for x in xs]  # the middle both threads' graphs run through
    expected = [grad(sum(shared, Value(0.0)) * 3.0, x).data for x in xs]  # one thread, first
    previous, errors = sys.getswitchinterval(), []
    sys.setswitchinterval(1e-6)  # switch threads as often as possible

    def work():
        try:
            for _ in range(100):
                out = sum((s * 3.0 for s in shared), Value(0.0))
                assert [g.data for g in grad(out, xs)] == expected
                out.backward()
        except Exception as error:  # noqa: BLE001 (reported below, from the main thread)
            errors.append(error)

    try:
        threads = [threading.Thread(target=work) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    assert errors == []
    for x, d in zip(xs, expected):
        assert x.grad == pytest.approx(300 * d, rel=1e-12)
