"""nn.engines: the eager and the traced engine behind fit's one loop, step for step alike."""
import numpy as np
import pytest

import nn
from autograd import DomainError, TraceError, Value, total, values_to_vector
from nn.engines import EagerEngine, TracedEngine, choose_engine

X3, Y3 = nn.data.blobs(30, centers=3, seed=0)


def engines(loss="cross_entropy", l2=1e-3, optimizer=nn.optim.Adam, lr=0.05):
    """An eager and a traced engine over two copies of one model."""
    made = []
    for Engine in (EagerEngine, TracedEngine):
        model = nn.MLP(2, [5, 3], seed=0)
        loss_ = nn.losses.as_loss(loss)
        made.append((model, Engine(model, loss_, X3, loss_.encode(Y3, 3),
                                   optimizer(model.parameters(), lr=lr), l2)))
    return made


def test_both_engines_give_the_same_loss_outputs_and_steps():
    (eager_model, eager), (traced_model, traced) = engines()
    batches = [np.arange(0, 10), np.array([12, 3, 29, 7]), np.arange(30)]
    for batch in batches * 3:
        a_loss, a_out = eager.forward_backward(batch)
        b_loss, b_out = traced.forward_backward(batch)
        assert a_loss == pytest.approx(b_loss, rel=1e-12)
        assert a_out.shape == b_out.shape == (len(batch), 3)
        assert np.allclose(a_out, b_out, rtol=1e-12, atol=1e-14)
        eager.step()
        traced.step()
    assert np.allclose(eager.weights(), traced.weights(), rtol=1e-11, atol=1e-14)
    traced.write_back()
    assert np.allclose(values_to_vector(eager_model.parameters()),
                       values_to_vector(traced_model.parameters()), rtol=1e-11, atol=1e-14)
    a_loss, a_out = eager.evaluate(X3[:7], np.eye(3)[Y3[:7]])
    b_loss, b_out = traced.evaluate(X3[:7], np.eye(3)[Y3[:7]])
    assert a_loss == pytest.approx(b_loss, rel=1e-12) and np.allclose(a_out, b_out)


def test_the_traced_engine_keeps_its_weights_in_a_vector_until_written_back():
    (_, _), (model, traced) = engines(optimizer=nn.optim.SGD, lr=0.5)
    start = values_to_vector(model.parameters())
    traced.forward_backward(np.arange(30))
    traced.step()
    assert np.array_equal(values_to_vector(model.parameters()), start)  # not yet written
    moved = traced.weights()
    traced.restore(start)
    traced.write_back()
    assert np.array_equal(values_to_vector(model.parameters()), start)
    traced.restore(moved)
    traced.write_back()
    assert np.array_equal(values_to_vector(model.parameters()), moved)


def test_the_eager_engine_restores_weights_into_the_model():
    (model, eager), _ = engines()
    start = eager.weights()
    eager.forward_backward(np.arange(30))
    eager.step()
    assert not np.array_equal(values_to_vector(model.parameters()), start)
    eager.restore(start)
    assert np.array_equal(values_to_vector(model.parameters()), start)


def test_evaluate_leaves_out_the_penalty():
    (_, eager), (_, traced) = engines(l2=10.0)
    rows = np.eye(3)[Y3]
    for engine in (eager, traced):
        with_penalty, _ = engine.forward_backward(np.arange(30))
        alone, _ = engine.evaluate(X3, rows)
        assert alone < with_penalty


def test_choose_engine():
    X, y = nn.data.moons(20, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    for loss, choice, kind in [("hinge", "auto", TracedEngine), ("hinge", "eager", EagerEngine),
                               ("bce", "auto", EagerEngine), ("hinge", "traced", TracedEngine)]:
        loss = nn.losses.as_loss(loss)
        engine = choose_engine(choice, model, loss, X, loss.encode(y, 1), optimizer)
        assert type(engine) is kind and engine.name == kind.name
    with pytest.raises(TraceError, match="'binary_cross_entropy' has no traceable form"):
        choose_engine("traced", model, nn.losses.binary_cross_entropy, X, y[:, None], optimizer)


def test_the_traced_engine_names_bad_data_by_its_row_of_x():
    class LogFirst(nn.Module):
        def __init__(self):
            self.neuron = nn.Neuron(2, activation="linear", seed=0)

        def named_parameters(self):
            return self.neuron.named_parameters()

        def __call__(self, x):
            first = x[0] if isinstance(x[0], Value) else Value(x[0])
            return self.neuron([first.log(), x[1]])

    X = np.abs(nn.data.moons(200, seed=0)[0]) + 0.1
    X[150, 0] = -1.0  # not among the samples the trace checks
    model = LogFirst()
    engine = TracedEngine(model, nn.losses.mse, X, np.zeros((200, 1)),
                          nn.optim.SGD(model.parameters(), lr=0.1))
    engine.forward_backward(np.arange(100))
    with pytest.raises(DomainError, match="X row 150: log"):
        engine.forward_backward(np.array([3, 150, 4]))


def test_a_loss_that_needs_plain_numbers_trains_eagerly_under_auto():
    def absolute_term(outputs, targets):  # float(t): fine eagerly, a TypeError on the tape
        return total([abs(o - float(t)) for o, t in zip(outputs, targets)])

    X, y = nn.data.xor()
    model = nn.MLP(2, [4, 1], seed=0)
    history = nn.fit(model, X, y, loss=nn.Loss(absolute_term, "absolute"), epochs=3,
                     progress=False)
    assert history.engine == "eager" and len(history["loss"]) == 3
    with pytest.raises(TraceError, match="does not run on the tape's Values"):
        nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, loss=nn.Loss(absolute_term, "absolute"),
               epochs=1, engine="traced", progress=False)


def test_forward_backward_without_outputs_gives_the_same_loss_and_steps():
    (_, eager), (_, traced) = engines()
    (_, eager_all), (_, traced_all) = engines()
    for batch in [np.arange(0, 10), np.array([12, 3, 29, 7]), np.arange(30)] * 2:
        losses = []
        for engine, with_all in ((eager, eager_all), (traced, traced_all)):
            loss, outputs = engine.forward_backward(batch, outputs=False)
            loss_all, outputs_all = with_all.forward_backward(batch)
            assert outputs is None and outputs_all.shape == (len(batch), 3)
            assert loss == loss_all
            losses.append(loss)
            engine.step()
            with_all.step()
        assert losses[0] == pytest.approx(losses[1], rel=1e-12)
    assert np.array_equal(traced.weights(), traced_all.weights())
    assert np.allclose(eager.weights(), traced.weights(), rtol=1e-11, atol=1e-14)
