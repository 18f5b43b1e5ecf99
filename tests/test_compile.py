"""The traced, batched engine gives the eager engine's numbers, and refuses what it cannot
follow."""
import math

import numpy as np
import pytest

import nn
from autograd import DomainError, TraceError, Value, dot, grad, trace
from cases import CASES

RNG = np.random.default_rng(0)


def close(a, b, rel=1e-12, abs_tol=1e-14):
    return abs(a - b) <= rel * max(abs(a), abs(b)) + abs_tol


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_rule_on_arrays_equals_the_eager_rule(case):
    """Each operation's value and derivatives, evaluated by the tape over a batch of points,
    against the eager engine at each point: the rule table's array path."""
    points = np.array(case.smooth_points, dtype=float)
    params = [Value(0.0) for _ in range(points.shape[1])]

    def f(row):  # inputs = parameter + sample, so the parameters' gradients are the op's
        return case.ours(*[p + x for p, x in zip(params, row)])

    tape = trace(f, points[0], wrt=params)
    (values,) = tape.backward(points)
    eager_values, eager_grads = [], []
    for point in points:
        xs = [Value(x) for x in point]
        out = case.ours(*xs)
        eager_values.append(out.data)
        eager_grads.append([g.data for g in grad(out, xs)])
    assert all(close(a, b) for a, b in zip(values, eager_values))
    mean_grads = np.mean(eager_grads, axis=0)
    assert all(close(p.grad, g) for p, g in zip(params, mean_grads)), (
        [p.grad for p in params], mean_grads)


def mlp_problem(loss_name, outputs=1):
    X, y = nn.data.blobs(40, centers=3 if outputs > 1 else 2, seed=3)
    model = nn.MLP(2, [8, 6, outputs], activation="tanh", seed=4)
    return X, y, model


@pytest.mark.parametrize("loss_name, outputs", [("hinge", 1), ("bce_logits", 1), ("mse", 1),
                                                ("mae", 1), ("cross_entropy", 3), ("mse", 3)])
def test_fit_traced_equals_eager(loss_name, outputs):
    X, y, model = mlp_problem(loss_name, outputs)
    copy = nn.MLP(2, [8, 6, outputs], activation="tanh", seed=4)
    runs = []
    for engine, m in (("eager", model), ("traced", copy)):
        history = nn.fit(m, X, y, loss=loss_name, optimizer="adam", lr=0.01, epochs=3,
                         batch_size=16, l2=1e-3, progress=False, engine=engine)
        assert history.engine == engine
        runs.append((history, m.state_dict()))
    (h_eager, s_eager), (h_traced, s_traced) = runs
    assert all(close(a, b, rel=1e-10) for a, b in zip(h_eager["loss"], h_traced["loss"]))
    assert h_eager["accuracy"] == h_traced["accuracy"]
    assert all(close(s_eager[k], s_traced[k], rel=1e-9, abs_tol=1e-12) for k in s_eager)


def test_the_demo_step_traced_equals_eager():
    X, y = nn.data.moons(50, seed=1)
    y = y * 2 - 1
    model = nn.MLP(2, [16, 16, 1], seed=2)
    params = model.parameters()
    scores = [model(list(x)) for x in X]
    loss = (sum((1 + -t * s).relu() for t, s in zip(y, scores)) * (1.0 / len(X))
            + 1e-4 * sum(p * p for p in params))
    eager = [g.data for g in grad(loss, params)]

    def per_sample(row):
        return (1 + -row[2] * model(row[:2])).relu() + nn.losses.l2(params, 1e-4)

    tape = trace(per_sample, [*X[0], y[0]], wrt=params)
    (per_sample_loss,) = tape.backward(np.column_stack([X, y]))
    assert close(per_sample_loss.mean(), loss.data)
    assert all(close(p.grad, g, abs_tol=1e-15) for p, g in zip(params, eager))
    # one numpy call serves many nodes: far fewer groups than nodes
    groups = len(tape.groups)
    assert tape.size > 700 and groups < 20


def test_neurons_reading_different_inputs():
    w = [Value(0.5), Value(-1.5), Value(2.0), Value(0.25)]

    def f(row):  # two dot nodes at one depth, each reading the inputs in its own order
        return (dot(w[:2], [row[0], row[1]], 0.1).tanh()
                + dot(w[2:], [row[1], row[0]], -0.2).tanh())

    batch = RNG.normal(size=(7, 2))
    tape = trace(f, batch[0], wrt=w)
    (values,) = tape.backward(batch)
    eager = np.zeros(4)
    for row, value in zip(batch, values):
        out = f([Value(x) for x in row])
        assert close(out.data, value)
        eager += [g.data for g in grad(out, w)]
    assert all(close(p.grad, g / len(batch)) for p, g in zip(w, eager))


def test_values_are_read_afresh_at_every_replay():
    scale = Value(2.0)
    tape = trace(lambda row: row[0] * scale, [1.0])
    assert tape.run([[3.0]])[0][0] == 6.0
    scale.data = 5.0
    assert tape.run([[3.0]])[0][0] == 15.0


def test_comparing_values_while_tracing_is_refused():
    def branchy(row):
        return row[0] * 2 if row[0] > 0 else row[0] * 3

    with pytest.raises(TraceError, match="compares Values"):
        trace(branchy, [1.0])


def test_a_branch_on_data_is_caught_by_the_checks():
    def sneaky(row):  # reads .data, which tracing cannot see
        return row[0] * 2 if row[0].data > 0 else row[0] * 3

    trace(sneaky, [1.0], checks=[[2.0]])  # both on one side of the branch: fine
    with pytest.raises(TraceError, match="depends on the data"):
        trace(sneaky, [1.0], checks=[[-1.0]])


def test_fit_auto_falls_back_to_eager_where_it_cannot_trace():
    X, y = nn.data.xor()
    model = nn.MLP(2, [3, 1], output_activation="sigmoid", seed=0)
    history = nn.fit(model, X, y, loss="bce", epochs=2, progress=False)
    assert history.engine == "eager"  # bce clamps log(p) by looking at p: no traceable form
    with pytest.raises(TraceError, match="no traceable form"):
        nn.fit(model, X, y, loss="bce", epochs=1, progress=False, engine="traced")
    with pytest.raises(ValueError, match="engine"):
        nn.fit(model, X, y, loss="mse", epochs=1, progress=False, engine="fast")


def test_bad_data_in_a_batch_is_the_same_clear_error_as_eager():
    tape = trace(lambda row: row[0].log(), [1.0])
    with pytest.raises(DomainError, match=r"log\(-2.0\)"):
        tape.run([[1.0], [-2.0]])
    tape = trace(lambda row: row[0].exp(), [1.0])
    with pytest.raises(OverflowError, match="exp"):
        tape.run([[1.0], [1000.0]])


def test_nan_in_the_data_flows_through_as_eager():
    tape = trace(lambda row: row[0] * 2.0, [1.0])
    assert math.isnan(tape.run([[float("nan")]])[0][0])


def test_wrong_batch_shapes_and_outputs():
    tape = trace(lambda row: row[0] + row[1], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"\(samples, 2\)"):
        tape.run([[1.0, 2.0, 3.0]])
    with pytest.raises(TypeError, match="returns Values"):
        trace(lambda row: 3.0, [1.0])
    assert "tape of" in repr(tape)


def test_validation_scores_are_the_same_traced_or_eager():
    X, y = nn.data.blobs(60, centers=3, seed=5)
    X_train, X_val, y_train, y_val = nn.data.split(X, y, seed=5)
    histories = []
    for engine in ("eager", "traced"):
        model = nn.MLP(2, [6, 3], seed=6)
        histories.append(nn.fit(model, X_train, y_train, loss="cross_entropy", lr=0.1,
                                epochs=3, l2=1e-2, validation=(X_val, y_val), progress=False,
                                engine=engine))
    eager, traced = histories
    assert all(close(a, b, rel=1e-10) for a, b in zip(eager["val_loss"], traced["val_loss"]))
    assert eager["val_accuracy"] == traced["val_accuracy"]


def small_problem():
    X, y = nn.data.moons(30, noise=0.1, seed=7)
    model = nn.MLP(2, [5, 1], activation="tanh", seed=8)
    params = model.parameters()

    def per_sample(row):
        return (1 + -row[2] * model(row[:2])).relu() + nn.losses.l2(params, 1e-3)

    return model, params, per_sample, np.column_stack([X, y * 2 - 1])


def test_value_and_grad_at_a_vector_is_backward_at_those_values():
    model, params, per_sample, batch = small_problem()
    tape = trace(per_sample, batch[0], wrt=params)
    start = [p.data for p in params]
    point = np.array(start) + RNG.normal(scale=0.3, size=len(params))
    (losses,), gradient = tape.value_and_grad(batch, at=point)
    assert [p.data for p in params] == start and all(p.grad == 0 for p in params)
    for p, x in zip(params, point):  # now the eager engine at that point
        p.data = float(x)
    eager = [grad(per_sample([Value(v) for v in row]), params) for row in batch]
    expected = np.mean([[g.data for g in gs] for gs in eager], axis=0)
    assert all(close(a, b, abs_tol=1e-15) for a, b in zip(gradient, expected))
    assert close(losses.mean(), np.mean([per_sample([Value(v) for v in row]).data
                                          for row in batch]))


def test_wrt_is_checked():
    w = Value(2.0)
    unused = Value(5.0)
    tape = trace(lambda row: row[0] * w, [1.0], wrt=[w, unused])
    _, gradient = tape.value_and_grad([[3.0], [4.0]])
    assert list(gradient) == [3.5, 0.0]  # an unused parameter gets 0
    with pytest.raises(ValueError, match=r"at.*2 parameters.*\(3,\)"):
        tape.value_and_grad([[3.0]], at=[1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="item 1 is float"):
        trace(lambda row: row[0] * w, [1.0], wrt=[w, 2.0])
    with pytest.raises(ValueError, match="twice"):
        trace(lambda row: row[0] * w, [1.0], wrt=[w, w])
    inner = w * 3
    with pytest.raises(ValueError, match="computed by the traced function"):
        trace(lambda row: row[0] * inner, [1.0], wrt=[w, inner])


def test_no_gradient_work_toward_the_sample_or_constants():
    model, params, per_sample, batch = small_problem()
    tape = trace(per_sample, batch[0], wrt=params)
    backward = tape.source.split("def backward")[1]
    # the first layer's inputs are the sample: their gradient is never formed
    assert "gb[0:2]" not in backward and "gb[2:3]" not in backward
    # a dense layer is one call of dot's layer form (a matrix product), not dot per neuron
    assert "a dense layer, one matrix product" in tape.source.split("def backward")[0]
    compile(tape.source, "<tape>", "exec")  # the text shown is the program run


def test_one_tape_replayed_on_several_threads_at_once():
    from concurrent.futures import ThreadPoolExecutor

    model, params, per_sample, batch = small_problem()
    tape = trace(per_sample, batch[0], wrt=params)
    points = [np.array([p.data for p in params]) * s for s in np.linspace(0.5, 1.5, 8)]
    alone = [tape.value_and_grad(batch, at=pt)[1] for pt in points]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda pt: tape.value_and_grad(batch, at=pt)[1], points * 5))
    assert all(np.array_equal(a, b) for a, b in zip(alone * 5, together))


def test_fit_trains_only_the_optimizers_parameters_traced_as_eager():
    X, y = nn.data.moons(40, seed=9)
    results = []
    for engine in ("eager", "traced"):
        model = nn.MLP(2, [4, 1], seed=10)
        frozen = [p.data for p in model.layers[0].parameters()]
        optimizer = nn.optim.SGD(model.layers[1].parameters(), lr=0.1, momentum=0.9)
        nn.fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=4, batch_size=8,
               l2=1e-3, progress=False, engine=engine)
        assert [p.data for p in model.layers[0].parameters()] == frozen
        results.append([p.data for p in model.parameters()])
    assert all(close(a, b, rel=1e-10) for a, b in zip(*results))


def test_fit_that_diverges_on_the_tape_leaves_the_last_finite_weights():
    X, y = nn.data.blobs(30, centers=2, seed=2)
    model = nn.MLP(2, [4, 1], activation="linear", seed=3)
    with pytest.raises(FloatingPointError):
        nn.fit(model, X * 1e150, y, loss="mse", lr=1e10, epochs=50, progress=False,
               engine="traced")
    assert all(math.isfinite(p.data) for p in model.parameters())


def test_the_readme_example_of_the_tape_runs_and_trains():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("from autograd import trace, values_to_vector, vector_to_values\n")[1]
    block = block.split("```")[0]
    X, y = nn.data.moons(60, noise=0.1, seed=1)
    model = nn.MLP(2, [8, 1], seed=1)
    batch = np.column_stack([X, 2 * y - 1])
    hinge = trace(lambda row: (1 + -row[2] * model(row[:2])).relu(), batch[0])
    before = hinge.run(batch)[0].mean()
    namespace = {"model": model, "batch": batch, "nn": nn}
    exec("import numpy as np\nfrom autograd import trace, values_to_vector, vector_to_values\n"
         + block, namespace)
    after = hinge.run(batch)[0].mean()  # the tape reads the model's new weights
    assert after < 0.8 * before
