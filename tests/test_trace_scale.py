"""Deep graphs on the tape (issue #14, item 2): a trace costs time and memory in proportion to
the nodes, so its program cannot be a few written lines per group when a chain makes a group
of every node. Where the shapes of groups repeat, the program loops over them (codegen's
`stretches`); these tests hold that such tapes give the eager engine's numbers, and that the
program's text does not grow with the depth. (Speed and memory are measured in benchmarks/,
W6, not asserted here.)"""
import numpy as np
import pytest
import torch

from autograd import Value, dot, total, trace
from autograd.batched.codegen import LOOP_FROM, stretches


def close_arrays(a, b, tolerance=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(
        (np.abs(a - b) <= tolerance * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))).all())


def links(v, n):
    """W2's chain: n links of x -> x*1.0001 + 0.0001, each with two constants of its own."""
    for _ in range(n):
        v = v * 1.0001 + 0.0001
    return v


def eager(function, params, batch):
    """The eager engine on each sample: the outputs, and d(sum of the first)/d params."""
    for p in params:
        p.grad = 0.0
    outputs = []
    for row in batch:
        out = function([Value(x) for x in row])
        out.backward()
        outputs.append(out.data)
    gradient = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return outputs, gradient


def lines_of(tape):
    return len(tape.source.splitlines())


# ---- a chain ----

def test_a_deep_chain_replays_its_value_and_gradient_as_the_eager_graph():
    n = 20_000
    recorded = []

    def function(inputs):
        recorded.append(links(inputs[0], n))
        return recorded[-1]
    tape = trace(function, [1.0])
    assert tape.size == 4 * n + 1 and len(tape.groups) == 2 * n
    assert lines_of(tape) < 60  # one loop, not 2n groups written out
    outputs, gradient = tape.value_and_grad([[1.0]])
    recorded[0].backward()
    assert close_arrays(outputs[0], [recorded[0].data])
    assert close_arrays(gradient, [leaf.grad for leaf in tape.wrt])
    batch = [[0.5], [1.0], [1.5]]  # and per sample, where x's gradient is wanted too
    x = [Value(1.0)]
    expected, _ = eager(lambda row: links(row[0], n), x, batch)
    assert close_arrays(tape.run(batch)[0], expected)


def test_the_program_does_not_grow_with_the_depth():
    sizes = {n: lines_of(trace(lambda inputs, n=n: links(inputs[0], n), [1.0]))
             for n in (100, 1_000, 10_000)}
    assert sizes[100] == sizes[1_000] == sizes[10_000]


def test_a_short_network_is_written_out_group_by_group():
    w = [Value(0.1 * i) for i in range(8)]

    def function(inputs):
        v = inputs[0]
        for weight in w:
            v = (v * weight).tanh()
        return v
    tape = trace(function, [0.3], wrt=w)
    assert "for k in range" not in tape.source
    assert tape.source.count("# * of 1 node") == 2 * 8  # forward and backward


def test_stretches_cover_every_group_once_in_order():
    shapes = np.array([5, 6] + [1, 2, 3] * 40 + [7] + [4] * 70 + [8])
    covered = []
    loops = []
    for first, period, repeats in stretches(shapes):
        covered += range(first, first + period * repeats)
        if repeats > 1:
            loops.append((first, period, repeats))
            block = shapes[first:first + period * repeats].reshape(repeats, period)
            assert (block == block[0]).all()  # each time round: the same shapes
    assert covered == list(range(len(shapes)))
    assert loops == [(2, 3, 40), (123, 1, 70)]
    assert all(period * repeats >= LOOP_FROM for _, period, repeats in loops)


# ---- deep graphs that are not a chain ----

def rnn_like(params, steps):
    """A deep graph of several rules: per step two branches from v (sharing its slot, so one
    group of two nodes reads one slot twice) joined back by a sum, a sigmoid, and a variadic
    total; the step's weight read from a shuffled list (so its slots are not evenly spaced
    from one step to the next: an index table, not a slice)."""
    w, a, c = params
    order = np.random.default_rng(0).permutation(steps)

    def function(inputs):
        x, y = inputs
        v = x
        for step, i in enumerate(order.tolist()):
            left, right = v * w[i], v * a  # one group of two `*` nodes, both reading v
            v = (left.tanh() + right.sigmoid() * y) * 0.5
            v = total([v, c, -c]) if step % 2 else v - 0.01 * c
        return v * v
    return function


def rnn_params(steps):
    rng = np.random.default_rng(1)
    return [Value(float(x)) for x in rng.uniform(0.5, 1.5, steps)], Value(0.7), Value(0.2)


@pytest.fixture(scope="module")
def deep_rnn():
    steps = 2_000
    w, a, c = params = rnn_params(steps)
    function = rnn_like(params, steps)
    wrt = [*w, a, c]
    return function, trace(function, [0.4, 1.3], checks=[[-0.2, 0.9]], wrt=wrt), wrt, steps


def test_a_deep_graph_of_several_rules_loops_and_replays_as_eager(deep_rnn):
    function, tape, wrt, steps = deep_rnn
    assert "for k in range" in tape.source and lines_of(tape) < 400
    batch = np.array([[0.4, 1.3], [-0.2, 0.9], [1.1, -0.5]])
    expected_outputs, expected_gradient = eager(function, wrt, batch)
    outputs, gradient = tape.value_and_grad(batch, reduction="sum")
    assert close_arrays(outputs[0], expected_outputs)
    assert close_arrays(gradient, expected_gradient)


def test_a_deep_graph_of_several_rules_against_torch_float64(deep_rnn):
    function, tape, wrt, steps = deep_rnn
    order = np.random.default_rng(0).permutation(steps)
    w = torch.tensor([p.data for p in wrt[:steps]], dtype=torch.float64, requires_grad=True)
    a = torch.tensor(wrt[steps].data, dtype=torch.float64, requires_grad=True)
    c = torch.tensor(wrt[steps + 1].data, dtype=torch.float64, requires_grad=True)
    x, y = 0.4, 1.3
    v = torch.tensor(x, dtype=torch.float64)
    for step, i in enumerate(order.tolist()):
        v = (torch.tanh(v * w[i]) + torch.sigmoid(v * a) * y) * 0.5
        v = v + c - c if step % 2 else v - 0.01 * c
    (v * v).backward()
    outputs, gradient = tape.value_and_grad([[x, y]])
    assert close_arrays(outputs[0], [(v * v).item()])
    assert close_arrays(gradient, [*w.grad.tolist(), float(a.grad), float(c.grad)])


def test_deep_layers_of_neurons_loop_with_their_layer_form():
    """A deep stack of 2-neuron layers (dot's layer form: shared weights, the same inputs for
    both neurons), the weights of each layer its own, plus a skip connection."""
    depth = 300
    rng = np.random.default_rng(2)
    layers = [([Value(float(x)) for x in rng.uniform(-1, 1, 2)],
               [Value(float(x)) for x in rng.uniform(-1, 1, 2)],
               [Value(float(x)) for x in rng.uniform(-0.1, 0.1, 2)]) for _ in range(depth)]
    params = [p for layer in layers for row in layer for p in row]

    def function(inputs):
        h = list(inputs)
        for w0, w1, b in layers:
            h = [dot(w0, h, b[0]).tanh() + h[0] * 0.1, dot(w1, h, b[1]).tanh()]
        return h[0] + h[1]
    tape = trace(function, [0.3, -0.6], wrt=params)
    assert "for k in range" in tape.source and "layer" in tape.source
    batch = np.array([[0.3, -0.6], [1.0, 0.2]])
    expected_outputs, expected_gradient = eager(function, params, batch)
    outputs, gradient = tape.value_and_grad(batch, reduction="sum")
    assert close_arrays(outputs[0], expected_outputs)
    assert close_arrays(gradient, expected_gradient)


def test_a_deep_graph_with_two_outputs_replays_both():
    def function(inputs):
        long = links(inputs[0], 500)
        return long, (long * inputs[1]).exp()
    tape = trace(function, [1.0, 0.1], checks=[[0.5, -0.2]])
    batch = [[1.0, 0.1], [0.5, -0.2]]
    outputs = tape.run(batch)
    for row, first, second in zip(batch, *outputs):
        long = links(Value(row[0]), 500)
        assert close_arrays([first, second], [long.data, (long * row[1]).exp().data])


def test_groups_whose_lines_cannot_be_shared_are_written_out(monkeypatch):
    """Where the stand-in's lines would not serve every time round (a writer that reads where
    the slots lie), the loop is not written: its groups are, one by one, and replay the same."""
    from autograd.batched import codegen
    tape = trace(lambda inputs: links(inputs[0], 100), [1.0])
    monkeypatch.setattr(codegen, "stand_in_lines", lambda *arguments: None)
    written_out = trace(lambda inputs: links(inputs[0], 100), [1.0])
    assert "for k in range" in tape.source and "for k in range" not in written_out.source
    assert lines_of(written_out) > 1000
    batch = [[0.5], [2.0]]
    assert close_arrays(tape.value_and_grad(batch)[1], written_out.value_and_grad(batch)[1])
