"""Training: XOR, micrograd's moons demo, the source texts' numpy program, and nn.fit."""
import numpy as np
import pytest

import nn
from autograd import Value
from test_micrograd_habits import demo_loss


def test_xor_reaches_100_percent_deterministically():
    X, y = nn.data.xor()
    results = []
    for _ in range(2):
        model = nn.MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
        history = nn.fit(model, X, y, loss="bce", optimizer="sgd", lr=0.5, epochs=1000,
                         progress=False)
        results.append(model.state_dict())
        assert list(nn.predict(model, X, loss="bce")) == list(y)
        assert history["accuracy"][-1] == 1.0
    assert results[0] == results[1]


def test_micrograds_moons_demo_written_by_hand():
    # micrograd's demo.ipynb, line for line, with this package's MLP
    X, y = nn.data.moons(100, noise=0.1, seed=1337)
    y = y * 2 - 1  # make y be -1 or 1
    model = nn.MLP(2, [16, 16, 1], seed=1337)

    def loss():  # micrograd's demo loss, written as the demo writes it
        return demo_loss(model, X, y, Value)

    for k in range(100):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
    total_loss, acc = loss()
    assert acc >= 0.97


def numpy_xor_program():
    """The source texts' program (shared/seeds/004), verbatim but for returning the weights."""
    def sigmoid(x): return 1 / (1 + np.exp(-x))
    def sigmoid_deriv(x): return x * (1 - x)

    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([[0], [1], [1], [0]])
    np.random.seed(1)
    w1 = np.random.rand(2, 2)
    w2 = np.random.rand(2, 1)
    start = (w1.copy(), w2.copy())
    for i in range(10000):
        z1 = np.dot(X, w1)
        a1 = sigmoid(z1)
        z2 = np.dot(a1, w2)
        output = sigmoid(z2)
        error = y - output
        d_output = error * sigmoid_deriv(output)
        error_hidden = d_output.dot(w2.T)
        d_hidden = error_hidden * sigmoid_deriv(a1)
        w2 += a1.T.dot(d_output) * 0.1
        w1 += X.T.dot(d_hidden) * 0.1
    return start, (w1, w2)


def test_the_numpy_xor_program_redone_with_value_gives_the_same_weights():
    (w1, w2), (w1_end, w2_end) = numpy_xor_program()
    model = nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", bias=False)
    # neuron j of the hidden layer holds column j of w1
    state = {f"layer0.neuron{j}.w{i}": w1[i, j] for i in range(2) for j in range(2)}
    state.update({f"layer1.neuron0.w{i}": w2[i, 0] for i in range(2)})
    model.load_state_dict({k: float(v) for k, v in state.items()})
    X, y = nn.data.xor()
    for _ in range(10000):
        # E = ½ Σ (t − y)², whose gradient the numpy program writes out by hand
        error = sum((t - model(x)) ** 2 for x, t in zip(X, y)) * 0.5
        model.zero_grad()
        error.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad
    layer0, layer1 = model.layers
    for i in range(2):
        for j in range(2):
            assert abs(layer0.neurons[j].w[i].data - w1_end[i, j]) < 1e-9
        assert abs(layer1.neurons[0].w[i].data - w2_end[i, 0]) < 1e-9


class TestFit:
    def test_history_validation_and_minibatches(self):
        X, y = nn.data.blobs(60, centers=3, std=0.4, seed=1)
        Xtr, Xte, ytr, yte = nn.data.split(X, y, seed=1)
        model = nn.MLP(2, [8, 3], seed=1)
        history = nn.fit(model, Xtr, ytr, loss="cross_entropy", optimizer="adam", lr=0.05,
                         epochs=15, batch_size=10, validation=(Xte, yte), progress=False)
        assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
        assert history.epochs == 15 and all(len(v) == 15 for v in history.values())
        assert history["loss"][-1] < history["loss"][0]
        assert history["val_accuracy"][-1] >= 0.9
        assert nn.evaluate(model, Xte, yte, loss="cross_entropy") == pytest.approx(
            {"loss": history["val_loss"][-1], "accuracy": history["val_accuracy"][-1]})
        assert "15 epochs" in repr(history)

    def test_the_same_seed_trains_the_same(self):
        X, y = nn.data.moons(40, seed=2)
        states = []
        for _ in range(2):
            model = nn.MLP(2, [6, 1], seed=5)
            nn.fit(model, X, y, loss="hinge", epochs=5, batch_size=8, seed=9, progress=False)
            states.append(model.state_dict())
        assert states[0] == states[1]

    def test_a_hand_built_optimizer_and_schedule(self):
        X, y = nn.data.moons(40, seed=2)
        model = nn.MLP(2, [6, 1], seed=5)
        opt = nn.optim.SGD(model.parameters(), lr=0.5, momentum=0.5)
        nn.fit(model, X, y, loss="bce_logits", optimizer=opt, epochs=10, progress=False,
               schedule=lambda o: nn.optim.StepLR(o, 5, 0.1))
        assert opt.lr == pytest.approx(0.5 * 0.1 ** 2)

    def test_progress_bar_shows_the_running_loss(self, capsys):
        X, y = nn.data.xor()
        nn.fit(nn.MLP(2, [3, 1], seed=0), X, y, epochs=3, progress=True)
        err = capsys.readouterr().err
        assert "training" in err and "loss=" in err and "3/3" in err

    def test_several_outputs_with_mse_use_one_hot_targets(self):
        X, y = nn.data.blobs(30, centers=3, seed=0)
        model = nn.MLP(2, [3], output_activation="sigmoid", seed=0)
        history = nn.fit(model, X, y, loss="mse", lr=0.5, epochs=3, progress=False)
        assert len(history["loss"]) == 3

    def test_predict_and_outputs(self):
        model = nn.MLP(2, [3, 2], seed=0)
        X = np.array([[0.1, 0.2], [1.0, -1.0]])
        raw = nn.outputs(model, X)
        assert len(raw) == 2 and len(raw[0]) == 2
        assert list(nn.predict(model, X)) == [int(np.argmax(r)) for r in raw]

    def test_divergence_is_a_clear_error(self):
        X, y = nn.data.moons(20, seed=0)
        model = nn.MLP(2, [8, 1], seed=0)
        with pytest.raises((FloatingPointError, OverflowError)):
            nn.fit(model, X * 1e3, y, loss="mse", lr=1e3, epochs=50, progress=False)

    @pytest.mark.parametrize("kwargs, words", [
        (dict(loss="nope"), "unknown loss"), (dict(optimizer="rmsprop"), "unknown optimizer"),
        (dict(epochs=0), "epochs"), (dict(batch_size=0), "batch_size"),
        (dict(optimizer=3), "optimizer must be"),
    ])
    def test_bad_arguments(self, kwargs, words):
        X, y = nn.data.xor()
        with pytest.raises((ValueError, TypeError), match=words):
            nn.fit(nn.MLP(2, [2, 1], seed=0), X, y, progress=False, **kwargs)

    def test_mismatched_data(self):
        with pytest.raises(ValueError, match="4 samples in X but 3 targets"):
            nn.fit(nn.MLP(2, [2, 1], seed=0), np.zeros((4, 2)), [0, 1, 0], progress=False)

    def test_history_plots(self):
        pytest.importorskip("matplotlib")
        import matplotlib
        matplotlib.use("Agg")
        X, y = nn.data.xor()
        history = nn.fit(nn.MLP(2, [3, 1], seed=0), X, y, epochs=3, progress=False,
                         validation=(X, y))
        figure = history.plot()
        assert len(figure.axes) == 2
        assert [line.get_label() for line in figure.axes[0].lines] == [
            "training loss", "validation loss"]


def test_history_plot_without_matplotlib_says_what_to_install(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    history = nn.History(loss=[1.0, 0.5])
    with pytest.raises(ImportError, match=r"chainrule\[plot\]"):
        history.plot()


def test_the_progress_bar_shows_only_on_a_terminal_by_default(capsys):
    X, y = nn.data.xor()
    model = nn.MLP(2, [4, 1], seed=0)
    nn.fit(model, X, y, epochs=3)  # pytest's stderr is not a terminal: no bar
    assert capsys.readouterr().err == ""
    nn.fit(model, X, y, epochs=3, progress=True)
    assert "3/3" in capsys.readouterr().err
    with pytest.raises(TypeError, match="progress is True, False or None"):
        nn.fit(model, X, y, epochs=3, progress="yes")


def test_the_progress_default_survives_a_stderr_without_isatty(monkeypatch):
    class Sink:
        def write(self, text):
            return len(text)

        def flush(self):
            pass

    monkeypatch.setattr("sys.stderr", Sink())
    X, y = nn.data.xor()
    nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, epochs=2)  # no bar, and no AttributeError


def test_the_progress_bar_shows_its_count_not_a_line_per_epoch(capsys):
    X, y = nn.data.xor()
    nn.fit(nn.MLP(2, [3, 1], seed=0), X, y, epochs=40, progress=True)
    shown = capsys.readouterr().err.replace("\r", "\n")
    stale = [line for line in shown.splitlines() if " 0/40 " in line and "loss=" in line]
    assert stale == []  # a loss beside a count stuck at 0: the bar forced out of step
    assert "40/40" in shown


@pytest.mark.parametrize("engine", ["traced", "eager"])
def test_fit_without_metrics_records_the_same_losses(engine):
    X, y = nn.data.xor()
    histories = []
    for metrics in ((), nn.train.accuracy):
        model = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=1)
        histories.append(nn.fit(model, X, y, loss="mse", lr=0.5, epochs=5, shuffle=False,
                                metrics=metrics, progress=False, engine=engine))
    assert list(histories[0]) == ["loss"] and len(histories[0]["loss"]) == 5
    assert histories[0]["loss"] == histories[1]["loss"]
