"""Neuron, Layer, MLP: micrograd's meanings, the choices beyond them, and torch's numbers."""
import random

import numpy as np
import pytest

import nn
from autograd import Value
from reference import needs_torch


def test_micrograd_meanings():
    random.seed(0)
    model = nn.MLP(2, [16, 16, 1])
    assert [layer.neurons[0].activation for layer in model.layers] == ["relu", "relu", "linear"]
    assert isinstance(model([1.0, -1.0]), Value)  # one output: a bare Value
    assert len(model.parameters()) == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1)
    assert nn.Neuron(3, nonlin=False).activation == "linear"
    assert nn.Neuron(3).activation == "relu"
    assert isinstance(nn.Layer(3, 2)([1, 2, 3]), list)


def test_parameters_in_micrograds_order():
    layer = nn.Layer(2, 3, seed=1)
    expected = [p for n in layer.neurons for p in n.w + [n.b]]
    assert layer.parameters() == expected
    model = nn.MLP(2, [3, 1], seed=1)
    assert model.parameters() == [p for l in model.layers for p in l.parameters()]
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layer0.neuron0.w0", "layer0.neuron0.w1", "layer0.neuron0.b"]
    assert len(set(names)) == len(names)


def test_unseeded_weights_come_from_pythons_random_like_micrograd():
    random.seed(1337)
    expected = [random.uniform(-1, 1) for _ in range(2)]
    random.seed(1337)
    neuron = nn.Neuron(2)
    assert [w.data for w in neuron.w] == expected and neuron.b.data == 0.0


def test_the_same_seed_gives_the_same_weights():
    a, b = nn.MLP(3, [5, 2], seed=7), nn.MLP(3, [5, 2], seed=7)
    assert a.state_dict() == b.state_dict()
    assert a.state_dict() != nn.MLP(3, [5, 2], seed=8).state_dict()
    rng = random.Random(3)
    c = nn.MLP(3, [5, 2], seed=rng)
    assert c.state_dict() == nn.MLP(3, [5, 2], seed=random.Random(3)).state_dict()


@pytest.mark.parametrize("init, bound", [("uniform", lambda i, o: 1.0),
                                         ("xavier", lambda i, o: (6 / (i + o)) ** 0.5),
                                         ("he", lambda i, o: (6 / i) ** 0.5)])
def test_initialisations_stay_within_their_bounds(init, bound):
    model = nn.MLP(50, [30, 1], init=init, seed=0)
    weights = [w.data for n in model.layers[0].neurons for w in n.w]
    limit = bound(50, 30)
    assert max(abs(w) for w in weights) <= limit
    assert max(abs(w) for w in weights) > 0.9 * limit  # spread over the whole range
    assert all(n.b.data == 0.0 for n in model.layers[0].neurons)


def test_bias_false_and_activations():
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", bias=False, seed=0)
    assert all(n.b is None for layer in model.layers for n in layer.neurons)
    assert len(model.parameters()) == 2 * 3 + 3
    out = model([0.5, -0.5])
    assert 0 < out.data < 1 and out.op == "sigmoid"


def test_inputs_may_be_numbers_values_or_numpy_rows():
    model = nn.MLP(2, [3, 1], seed=0)
    x = Value(0.5)
    assert model([0.5, 1.0]).data == model([x, 1.0]).data == model(np.array([0.5, 1.0])).data
    model([x, 1.0]).backward()
    assert x.grad != 0.0


def test_a_wrong_input_length_names_both_sizes():
    with pytest.raises(ValueError, match="takes 2 inputs, got 3"):
        nn.MLP(2, [3, 1])([1, 2, 3])
    with pytest.raises(ValueError, match="takes 4 inputs, got 1"):
        nn.Neuron(4)([1.0])


@pytest.mark.parametrize("make, words", [
    (lambda: nn.MLP(2, [3], activation="swish"), "unknown activation 'swish'"),
    (lambda: nn.MLP(2, [3], init="zeros"), "unknown initialisation 'zeros'"),
    (lambda: nn.MLP(2, []), "at least one layer"),
    (lambda: nn.Layer(2, 0), "at least one neuron"),
    (lambda: nn.Neuron(0), "at least one input"),
    (lambda: nn.MLP(2, [3], seed="x"), "seed must be"),
])
def test_bad_arguments(make, words):
    with pytest.raises((ValueError, TypeError), match=words):
        make()


def test_zero_grad_and_repr():
    model = nn.MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())
    assert repr(model) == ("MLP(2, [3, 1], activation='relu', output_activation='linear', "
                           "parameters=13)")


def test_state_dict_round_trip():
    a, b = nn.MLP(2, [3, 2], seed=1), nn.MLP(2, [3, 2], seed=2)
    b.load_state_dict(a.state_dict())
    assert b.state_dict() == a.state_dict()
    assert [o.data for o in a([0.3, 0.1])] == [o.data for o in b([0.3, 0.1])]


@needs_torch
@pytest.mark.parametrize("activation, output", [("relu", "linear"), ("tanh", "sigmoid"),
                                                ("sigmoid", "tanh"), ("leaky_relu", "linear")])
def test_output_and_every_gradient_equal_torch(activation, output):
    import torch

    model = nn.MLP(3, [5, 4, 2], activation=activation, output_activation=output, seed=3)
    functions = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
                 "linear": lambda z: z,
                 "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01)}
    weights = [torch.tensor([[w.data for w in n.w] for n in layer.neurons],
                            dtype=torch.float64, requires_grad=True) for layer in model.layers]
    biases = [torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                           requires_grad=True) for layer in model.layers]
    x = [0.7, -1.2, 0.4]
    h = torch.tensor(x, dtype=torch.float64)
    for i, (w, b) in enumerate(zip(weights, biases)):
        h = functions[activation if i < 2 else output](w @ h + b)
    (h[0] * 2.0 - h[1] ** 2).backward()

    ours = model(x)
    (ours[0] * 2.0 - ours[1] ** 2).backward()
    assert [o.data for o in ours] == pytest.approx(h.tolist(), rel=1e-12, abs=1e-15)
    for layer, w, b in zip(model.layers, weights, biases):
        for j, neuron in enumerate(layer.neurons):
            assert [p.grad for p in neuron.w] == pytest.approx(w.grad[j].tolist(), rel=1e-12,
                                                               abs=1e-15)
            assert neuron.b.grad == pytest.approx(b.grad[j].item(), rel=1e-12, abs=1e-15)
