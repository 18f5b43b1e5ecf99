"""The backward program passes a gradient on as a local (grad_b_19_35 = ...; up = grad_b_19_35)
where one line alone gives it and one group reads it, instead of adding into zeroed slots and
reading them back (codegen.pass_gradients_on). Every other gradient stays in its slots: one given by
several lines, the seeded output's, a parameter's, and those a loop gives or reads. Each case
against the eager engine to 1e-12, a few against torch float64. And the views of the slot arrays
that a program makes once per set of arrays (codegen.named_views)."""
import numpy as np
import torch

import nn
from autograd import Value, dot, grad, trace
from autograd.batched.codegen import LOOP_FROM
from reference import close_arrays




def eager(function, batch, wrt):
    """(per-sample outputs, one row per output; gradient of the first one's mean)."""
    outputs, gradients = [], []
    for row in batch:
        outs = function([Value(float(x)) for x in row])
        outs = outs if isinstance(outs, tuple) else (outs,)
        outputs.append([o.data for o in outs])
        gradients.append([g.data for g in grad(outs[0], wrt)])
    return np.array(outputs).T, np.mean(gradients, axis=0)


def against_eager(function, batch, wrt):
    tape = trace(function, batch[0], wrt=wrt)
    outputs, gradient = tape.value_and_grad(batch)
    expected_outputs, expected_gradient = eager(function, batch, wrt)
    assert close_arrays(np.array(outputs), expected_outputs)
    assert close_arrays(gradient, expected_gradient)
    # the Replay's kept arrays give the same, twice running
    replay = tape.replay_on(batch)
    for _ in range(2):
        rows, again = replay.value_and_grad(np.arange(len(batch)))
        assert close_arrays(again, expected_gradient)
        assert close_arrays(rows, expected_outputs)
    return tape


def locals_in(tape):
    backward = tape.source[tape.source.index("def backward"):]
    return {line.split(" = ")[0].strip() for line in backward.splitlines()
            if line.strip().startswith("grad_") and " = " in line}


def params(rng, n):
    return [Value(float(x)) for x in rng.normal(size=n)]


def test_a_chain_passes_each_gradient_on_once():
    rng = np.random.default_rng(0)
    w = params(rng, 3)

    def f(x):
        h = (x[0] * w[0] + w[1]).tanh()
        return (-(h * w[2])).sigmoid() + (h - 1.5).relu()

    batch = rng.normal(size=(7, 1))
    tape = against_eager(f, batch, w)
    assert locals_in(tape)  # (h's gradient has two givers: it stays in its slots)


def test_a_gradient_given_by_several_groups_stays_in_its_slots():
    rng = np.random.default_rng(1)
    w = params(rng, 2)

    def f(x):
        y = x[0] * w[0]  # read by two groups: two lines give its gradient
        return y.sin() * w[1] + y.exp()

    tape = against_eager(f, rng.normal(size=(5, 1)), w)
    y_slot = tape.plan.groups[0].outputs
    assert f"grad_b_{y_slot.start}_{y_slot.stop}" not in locals_in(tape)


def test_a_slot_read_twice_by_one_group():
    rng = np.random.default_rng(2)
    w = params(rng, 2)

    def f(x):
        y = (x[0] + w[0]).tanh()
        return y * y + w[1] * y  # y's gradient: given by two lines (and twice by one group)

    against_eager(f, rng.normal(size=(6, 1)), w)


def test_an_output_that_later_groups_read():
    rng = np.random.default_rng(3)
    w = params(rng, 2)

    def f(x):
        first = (x[0] * w[0]).tanh()  # the seeded output, read again by the second
        second = (first * w[1]).exp()
        return first, second, second * 2.0

    tape = against_eager(f, rng.normal(size=(4, 1)), w)
    # the second output's gradient is not asked for, and nothing of it reaches the first
    outputs, gradient = tape.value_and_grad(rng.normal(size=(3, 1)))
    assert len(outputs) == 3


def test_a_batch_of_one_and_shared_gradients():
    rng = np.random.default_rng(4)
    w = params(rng, 4)

    def f(x):
        penalty = (w[0] * w[0] + w[1] * w[1]) * 0.5  # shared, not per sample
        return (dot(w[2:], x) + penalty).relu() + penalty * 3.0

    for samples in (1, 5):
        against_eager(f, rng.normal(size=(samples, 2)), w)


def test_an_mlp_against_torch_float64():
    rng = np.random.default_rng(5)
    model = nn.MLP(3, [4, 4, 1], seed=5)
    ps = model.parameters()
    X = rng.normal(size=(9, 3))

    def f(x):
        return (model(x) - 0.25).relu() * 2.0

    tape = against_eager(f, X, ps)
    assert len(locals_in(tape)) >= 4
    _, gradient = tape.value_and_grad(X)
    weights = [torch.tensor([p.data for p in n.w] + [n.b.data], dtype=torch.float64,
                            requires_grad=True) for layer in model.layers for n in layer.neurons]
    h = torch.tensor(X, dtype=torch.float64)
    k = 0
    for i, layer in enumerate(model.layers):
        outs = []
        for _ in layer.neurons:
            z = h @ weights[k][:-1] + weights[k][-1]
            outs.append(torch.relu(z) if i < len(model.layers) - 1 else z)
            k += 1
        h = torch.stack(outs, dim=1)
    loss = (torch.relu(h[:, 0] - 0.25) * 2.0).mean()
    loss.backward()
    by_torch = np.concatenate([w.grad.numpy() for w in weights])
    assert close_arrays(gradient, by_torch)


def test_groups_around_a_loop():
    rng = np.random.default_rng(6)
    w = params(rng, 3)
    links = 3 * LOOP_FROM

    def f(x):
        v = (x[0] * w[0]).tanh()  # written out before the loop
        for _ in range(links):
            v = v * 0.999 + w[1]
        return (v * w[2]).sigmoid().relu()  # and after it

    tape = against_eager(f, rng.normal(size=(3, 1)), w)
    assert "for k in range(" in tape.source
    assert locals_in(tape)


def test_a_replay_gathers_its_batch_however_the_rows_are_given():
    rng = np.random.default_rng(7)
    w = params(rng, 3)

    def f(x):
        return (x[0] * w[0] + x[1] * w[1]).tanh() * w[2]

    samples = rng.normal(size=(6, 2))
    tape = trace(f, samples[0], wrt=w)
    replay = tape.replay_on(samples)
    expected = {tuple(rows): tape.value_and_grad(samples[rows]) for rows in ([4, 0, 2], [5])}
    for rows in ([4, 0, 2], np.array([4, 0, 2]), np.array([-2, 0, 2]), np.uint8([4, 0, 2]),
                 [5], np.array([5])):
        key = tuple(np.arange(6)[rows])
        outputs, gradient = replay.value_and_grad(rows)
        assert close_arrays(outputs, np.array(expected[key][0]))
        assert close_arrays(gradient, expected[key][1])
    try:
        replay.value_and_grad(np.array([0, 6]))
    except IndexError:
        pass
    else:
        raise AssertionError("a row past the samples is an IndexError")


# ---- views: each slice of the slot arrays made once per set of arrays (codegen.named_views) ----

def test_the_views_are_slices_of_the_arrays_a_replay_keeps_per_batch_size():
    rng = np.random.default_rng(8)
    model = nn.MLP(2, [3, 1], seed=8)
    ps = model.parameters()

    def f(x):
        return (model(x) * 2.0 - x[0]).tanh()

    samples = rng.normal(size=(7, 2))
    tape = trace(f, samples[0], wrt=ps)
    assert "def views(s, b, gs, gb):" in tape.source and "b[" not in \
        tape.source.split("def forward")[1].split("def backward")[0]
    replay = tape.replay_on(samples)
    for rows in ([0, 1, 2], [3, 4, 5, 6, 0], [6, 5, 4], [1], [0, 1, 2]):
        expected_outputs, expected = eager(f, samples[rows], ps)
        outputs, gradient = replay.value_and_grad(rows)
        assert close_arrays(gradient, expected)
        assert close_arrays(outputs, expected_outputs)
    for arrays in replay.arrays.values():  # every view is a view of its own arrays
        for view in arrays.views[0] + arrays.views[1]:
            assert any(np.shares_memory(view, whole) for whole in (arrays.values,
                                                                   arrays.gradients))
    # tape.run and value_and_grad make fresh arrays each call: the same numbers
    assert close_arrays(tape.run(samples[[0, 1, 2]])[0], eager(f, samples[[0, 1, 2]], ps)[0][0])
