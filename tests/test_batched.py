"""The batched engine's phases (autograd/batched/): what a tape's gradient is, dot's layer form
against the generic evaluation of the same rule, the program's constants, the package's seams.
(The tape against the eager engine on every rule and on training is in test_compile.py.)"""
import ast
import math

import numpy as np
import pytest

import nn
from autograd import Value, dot, grad, logsumexp, ops, total, trace
from autograd.batched.codegen import write_program
from autograd.batched.plan import make_plan
from autograd.batched.tracer import record
from test_seams import module_graph


def close_arrays(a, b, tolerance=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(
        (np.abs(a - b) <= tolerance * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))).all())


# ---- what tape.backward computes: the MEAN over the batch (or, asked, the SUM) ----

def hinge_problem():
    X, y = nn.data.moons(12, noise=0.1, seed=3)
    model = nn.MLP(2, [5, 1], activation="tanh", seed=4)
    params = model.parameters()

    def per_sample(row):
        return (1 + -row[2] * model(row[:2])).relu() + nn.losses.l2(params, 1e-3)

    return params, per_sample, np.column_stack([X, 2 * y - 1])


def eager_gradients(params, per_sample, batch, reduce):
    """Value.backward() on the reduced per-sample outputs: the eager engine's answer."""
    for p in params:
        p.grad = 0.0
    outputs = [per_sample([Value(x) for x in row]) for row in batch]
    reduce(outputs).backward()
    gradients = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return gradients


def test_tape_backward_adds_the_gradient_of_the_batch_mean_like_backward_on_the_mean():
    params, per_sample, batch = hinge_problem()
    expected = eager_gradients(params, per_sample, batch,
                               lambda outs: sum(outs) * (1.0 / len(outs)))
    tape = trace(per_sample, batch[0], wrt=params)
    tape.backward(batch)  # the default: the mean
    assert close_arrays([p.grad for p in params], expected)
    _, gradient = tape.value_and_grad(batch, reduction="mean")
    assert close_arrays(gradient, expected)


def test_reduction_sum_is_backward_on_the_sum_as_value_backward_gives():
    params, per_sample, batch = hinge_problem()
    expected = eager_gradients(params, per_sample, batch, sum)
    tape = trace(per_sample, batch[0], wrt=params)
    _, gradient = tape.value_and_grad(batch, reduction="sum")
    assert close_arrays(gradient, expected)
    for p in params:
        p.grad = 0.0
    outputs = tape.backward(batch, reduction="sum")
    assert close_arrays([p.grad for p in params], expected)
    assert close_arrays(outputs[0], [per_sample([Value(x) for x in row]).data for row in batch])


def test_an_output_shared_by_the_batch_is_reduced_the_same_way():
    w = Value(1.5)
    tape = trace(lambda row: w * w, [0.0], wrt=[w])  # the sample is not used: one number
    batch = np.zeros((4, 1))
    assert tape.value_and_grad(batch)[1].tolist() == [3.0]  # the mean of four 2.25s: 2w
    assert tape.value_and_grad(batch, reduction="sum")[1].tolist() == [12.0]  # 4 × 2w


@pytest.mark.parametrize("reduction", ["max", None, "MEAN", ["mean"]])
def test_an_unknown_reduction_is_refused(reduction):
    tape = trace(lambda row: row[0] * 2.0, [1.0])
    with pytest.raises(ValueError, match="reduction is 'mean' or 'sum'"):
        tape.value_and_grad([[1.0]], reduction=reduction)
    with pytest.raises(ValueError, match="reduction"):
        tape.backward([[1.0]], reduction=reduction)


# ---- dot's layer form equals the generic evaluation of the dot rule ----

def both_ways(function, batch, wrt, monkeypatch, marked_by="dot's layer form"):
    """(values, gradient) from a tape using dot's layer form, and from one without it (the
    source shows `marked_by` where the layer form is used)."""
    answers = []
    for layer in (ops.DOT.layer, None):
        with monkeypatch.context() as patch:
            patch.setattr(ops.DOT, "layer", layer)
            tape = trace(function, batch[0], wrt=wrt)
        assert (marked_by in tape.source) == (layer is not None), tape.source
        (values,), gradient = tape.value_and_grad(batch)
        answers.append((values, gradient))
    return answers


def random_layers(seed):
    """Random layers of every kind the plan can meet, as (name, function, inputs, wrt)."""
    rng = np.random.default_rng(seed)

    def values(*shape):
        return np.vectorize(lambda x: Value(float(x)), otypes=[object])(rng.normal(size=shape))

    n, G = int(rng.integers(2, 6)), int(rng.integers(2, 7))
    W, b, V, c = values(G, n), values(G), values(1, G), values(1)
    order = [list(rng.permutation(n)) for _ in range(G)]  # each neuron its own inputs

    def dense(row):
        hidden = [dot(W[g], row, b[g]).tanh() for g in range(G)]
        return dot(V[0], hidden, c[0])  # and one neuron reading them: per-sample inputs

    def own_inputs(row):
        return sum(dot(W[g], [row[i] for i in order[g]], b[g]).tanh() for g in range(G))

    def weights_named_twice(row):  # one weight in two places, and the same weights twice
        twice = [W[0][0]] * 2 + list(W[0][2:])
        return (dot(twice, row, b[0]) * dot(twice, row, b[1])
                + dot(W[1], row, b[0]).sigmoid())

    def an_input_read_twice(row):
        return dot(W[0][:2], [row[0], row[0]], b[0]) * dot(W[1][:2], [row[1], row[0]], b[1])

    def one_neuron(row):
        return dot(W[0], row, b[0]).relu()

    def hidden_inputs(row):  # the layer's inputs lead back to parameters: their gradient too
        inputs = [x * W[1][i] for i, x in enumerate(row)]
        return sum(dot(W[g], inputs, b[g]).sin() for g in range(G))

    return [("dense", dense, n, [*W.ravel(), *b, *V.ravel(), *c]),
            ("own inputs", own_inputs, n, [*W.ravel(), *b]),
            ("weights named twice", weights_named_twice, n, [*W[:2].ravel(), *b[:2]]),
            ("an input read twice", an_input_read_twice, 2, [*W[:2, :2].ravel(), *b[:2]]),
            ("one neuron", one_neuron, n, [*W[0], b[0]]),
            ("hidden inputs", hidden_inputs, n, [*W.ravel(), *b]),
            ("only the biases trained", dense, n, [*b, *c]),
            ("only the weights trained", own_inputs, n, list(W.ravel()))]


@pytest.mark.parametrize("seed", range(6))
def test_dots_layer_form_equals_the_generic_dot_rule(seed, monkeypatch):
    for name, function, width, wrt in random_layers(seed):
        batch = np.random.default_rng(seed).normal(size=(int(7 + seed), width))
        (fast, fast_gradient), (generic, generic_gradient) = both_ways(function, batch, wrt,
                                                                       monkeypatch)
        assert close_arrays(fast, generic), name
        assert close_arrays(fast_gradient, generic_gradient), name


def test_the_layer_form_functions_directly_against_dot_on_floats():
    rng = np.random.default_rng(5)
    n, G, B = 3, 4, 6
    weights, bias, upstream = rng.normal(size=(n, G)), rng.normal(size=G), rng.normal(size=(G, B))
    inputs = rng.normal(size=(n, G, B))
    layer = ops.DOT.layer
    value = layer.value(weights, inputs, bias)
    for g in range(G):
        for k in range(B):
            xs = [*weights[:, g], *inputs[:, g, k], bias[g]]
            assert math.isclose(value[g, k], ops.DOT.value(xs), rel_tol=1e-12, abs_tol=1e-12)
    # by hand from the rule's partials: ∂/∂w = x, ∂/∂x = w, ∂/∂b = 1
    assert close_arrays(layer.weights_gradient(inputs, upstream), (inputs * upstream).sum(axis=2))
    assert close_arrays(layer.inputs_gradient(weights, upstream, dense=False),
                        weights[:, :, None] * upstream)
    assert close_arrays(layer.bias_gradient(upstream), upstream.sum(axis=1))
    # a dense layer: every neuron reads the same inputs, (n, B) instead of (n, G, B)
    dense, spread = inputs[:, 0, :], np.repeat(inputs[:, :1, :], G, axis=1)
    assert close_arrays(layer.value(weights, dense, bias), layer.value(weights, spread, bias))
    assert close_arrays(layer.weights_gradient(dense, upstream),
                        layer.weights_gradient(spread, upstream))
    assert close_arrays(layer.inputs_gradient(weights, upstream, dense=True),
                        layer.inputs_gradient(weights, upstream, dense=False).sum(axis=1))
    one = weights[:, :1]  # one neuron
    assert close_arrays(layer.inputs_gradient(one, upstream[:1], dense=True),
                        one @ upstream[:1])


def test_a_layer_whose_weights_vary_per_sample_is_evaluated_by_the_rule():
    w = Value(0.5)

    def f(row):  # the weights are made from the sample: not a layer of shared weights
        return dot([row[0] * w, w], [row[1], row[0]], 0.25)

    tape = trace(f, [1.0, 2.0], wrt=[w])
    assert "layer form" not in tape.source and "dot of 1 node" in tape.source
    batch = np.array([[1.0, 2.0], [3.0, -1.0]])
    _, gradient = tape.value_and_grad(batch)
    expected = np.mean([grad(f([Value(x) for x in row]), [w])[0].data for row in batch])
    assert math.isclose(gradient[0], expected, rel_tol=1e-12)


# ---- the phases ----

def free_names(source):
    """The names a program's text reads but does not define."""
    tree = ast.parse(source)
    defined = {node.id for node in ast.walk(tree)
               if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    defined |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    defined |= {arg.arg for node in ast.walk(tree) if isinstance(node, ast.arguments)
                for arg in node.args}
    return {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)} - defined


@pytest.mark.parametrize("build", ["mlp", "many inputs mixed", "nothing"])
def test_the_program_lists_exactly_the_constants_its_text_names(build):
    model = nn.MLP(3, [4, 2], seed=0)
    params = model.parameters()
    functions = {
        "mlp": lambda row: nn.losses.l2(params, 1e-3) + sum(model(row)).tanh(),
        "many inputs mixed": lambda row: (logsumexp([row[0], params[0], row[1]])
                                          + total([params[1], row[2]])),
        "nothing": lambda row: row[0],
    }
    recording = record(functions[build], [0.5, -1.0, 2.0])
    program = write_program(make_plan(recording, params))
    helpers = {"np", "stack_mixed", "expand"}  # what any program may call
    assert set(program.constants) - helpers == free_names(program.source) - helpers
    assert free_names(program.source) <= set(program.constants)
    compile(program.source, "<tape>", "exec")


def test_the_plan_puts_the_parameters_first_and_the_sample_first():
    w, b = Value(2.0), Value(0.5)
    recording = record(lambda row: dot([w], [row[1]], b) * 3.0, [1.0, 2.0])
    plan = make_plan(recording, [b, w])
    assert plan.wrt == [b, w] and plan.input_count == 2
    assert [group.rule.name for group in plan.groups] == ["dot", "*"]
    assert plan.groups[0].layer is not None and plan.groups[0].layer.dense
    assert plan.outputs == [(True, 3)]  # batched: inputs 0, 1, then dot, then the product
    assert plan.shared_size == 3  # b, w, and the constant 3.0


def test_the_seams_test_reads_the_batched_package_in_its_order():
    graph = module_graph("autograd")
    assert "autograd.batched.tape" in graph["autograd.batched.tracer"]
    assert {"autograd.batched.plan", "autograd.batched.codegen", "autograd.batched.diagnose",
            "autograd.vectors"} <= graph["autograd.batched.tape"]
    # the plan and the code it becomes know nothing of Values: pure functions of the recording
    assert graph["autograd.batched.plan"] == set()
    assert graph["autograd.batched.codegen"] == {"autograd.batched.plan"}
    assert "autograd.compile" not in graph
