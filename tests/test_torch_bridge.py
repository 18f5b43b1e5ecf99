"""model.to_torch() and nn.from_torch(): the way out to PyTorch and back, checked against
torch float64 itself. Every test but the one without torch skips when torch is missing."""
import itertools
import math
import random
import subprocess
import sys

import pytest

import nn
from autograd import Value

ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "linear"]
TORCH_ACTIVATION = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid",
                    "leaky_relu": "LeakyReLU", "linear": None}


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def numbers(out):
    """A chainrule output (a Value or a list of them) as a list of floats."""
    return [out.data] if isinstance(out, Value) else [v.data for v in out]


def torch_numbers(torch, module, x):
    return module(torch.tensor(x, dtype=torch.float64)).reshape(-1).tolist()


def samples(nin, count=6, seed=0):
    rng = random.Random(seed)
    return [[rng.uniform(-3, 3) for _ in range(nin)] for _ in range(count)]


def assert_same_outputs(torch, model, module, nin):
    for x in samples(nin):
        ours, theirs = numbers(model(x)), torch_numbers(torch, module, x)
        assert len(ours) == len(theirs)
        assert all(close(a, b) for a, b in zip(ours, theirs)), (x, ours, theirs)


def assert_same_parameters(a, b):
    """Two chainrule models: the same parameters, names, order and floats, exactly."""
    assert list(a.state_dict().items()) == list(b.state_dict().items())


# ---- without torch ----

def test_without_torch_both_ways_say_pip_install_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails
    for convert in (nn.MLP(2, [3, 1], seed=0).to_torch, lambda: nn.from_torch(object())):
        with pytest.raises(ImportError, match="pip install torch") as caught:
            convert()
        message = str(caught.value)
        assert "\n" not in message and ("to_torch" in message or "from_torch" in message)
        assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_importing_nn_does_not_import_torch():
    code = "import sys, nn; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# ---- chainrule -> torch ----

@pytest.mark.parametrize("activation, output_activation, bias",
                         list(itertools.product(ACTIVATIONS, ACTIVATIONS, [True, False])))
def test_every_mlp_gives_a_torch_sequential_with_its_outputs(torch, activation,
                                                             output_activation, bias):
    model = nn.MLP(3, [5, 4, 2], activation=activation, output_activation=output_activation,
                   bias=bias, init="xavier", seed=1)
    if bias:  # biases start at 0; make them matter
        for layer in model.layers:
            for j, neuron in enumerate(layer.neurons):
                neuron.b.data = 0.1 * (j - 1)
    module = model.to_torch()
    assert isinstance(module, torch.nn.Sequential)
    kinds = [type(m).__name__ for m in module]
    expected = []
    for i in range(3):
        expected.append("Linear")
        act = TORCH_ACTIVATION[activation if i < 2 else output_activation]
        if act:
            expected.append(act)
    assert kinds == expected
    linears = [m for m in module if isinstance(m, torch.nn.Linear)]
    for layer, linear in zip(model.layers, linears):  # weight row j is neuron j, exactly
        assert linear.weight.dtype == torch.float64
        assert linear.weight.tolist() == [[w.data for w in n.w] for n in layer.neurons]
        assert (linear.bias is None) == (not bias)
        if bias:
            assert linear.bias.tolist() == [n.b.data for n in layer.neurons]
    for m in module:
        if isinstance(m, torch.nn.LeakyReLU):
            assert m.negative_slope == 0.01  # Value.leaky_relu's slope
    assert_same_outputs(torch, model, module, 3)


def test_linear_sequential_and_activations_become_their_torch_namesakes(torch):
    model = nn.Sequential(nn.Linear(3, 4, seed=0), nn.LeakyReLU(0.2),
                          nn.Sequential(nn.Linear(4, 4, bias=False, seed=1), nn.Tanh(),
                                        nn.Identity()),
                          nn.Linear(4, 3, seed=2), nn.Sigmoid(), nn.Linear(3, 2, seed=3),
                          nn.ReLU())
    for p in model.parameters():
        if p.data == 0.0:
            p.data = 0.25
    module = model.to_torch()
    assert [type(m).__name__ for m in module] == [
        "Linear", "LeakyReLU", "Sequential", "Linear", "Sigmoid", "Linear", "ReLU"]
    assert [type(m).__name__ for m in module[2]] == ["Linear", "Tanh", "Identity"]
    assert module[1].negative_slope == 0.2 and module[2][0].bias is None
    assert list(module.state_dict()) == ["0.weight", "0.bias", "2.0.weight", "3.weight",
                                         "3.bias", "5.weight", "5.bias"]
    state = model.state_dict()  # chainrule's "0.weight.j.i" is torch's 0.weight[j, i]
    for name, tensor in module.state_dict().items():
        flat = tensor.reshape(-1).tolist()
        ours = [value for key, value in state.items() if key.rsplit(".", 2 if
                tensor.dim() == 2 else 1)[0] == name]
        assert flat == ours
    assert_same_outputs(torch, model, module, 3)


@pytest.mark.parametrize("make, kind", [(nn.ReLU, "ReLU"), (nn.Tanh, "Tanh"),
                                        (nn.Sigmoid, "Sigmoid"), (nn.Identity, "Identity"),
                                        (lambda: nn.LeakyReLU(0.3), "LeakyReLU"),
                                        (lambda: nn.LeakyReLU(-0.5), "LeakyReLU"),
                                        (lambda: nn.LeakyReLU(2.0), "LeakyReLU")])
def test_activation_modules_alone(torch, make, kind):
    model = make()
    module = model.to_torch()
    assert type(module).__name__ == kind
    for x in [-2.5, -1e-3, 0.0, 0.7, 40.0, -40.0]:
        assert close(float(model(x)), torch_numbers(torch, module, [x])[0])
    back = nn.from_torch(module)
    assert type(back) is type(model) and back.config() == model.config()


def test_layer_and_neuron_come_back_as_themselves(torch):
    layer = nn.Layer(3, 4, activation="sigmoid", seed=2)
    neuron = nn.Neuron(3, activation="linear", bias=False, seed=3)
    for model in (layer, neuron):
        module = model.to_torch()
        assert_same_outputs(torch, model, module, 3)
        back = nn.from_torch(module)
        assert type(back) is type(model) and back.config() == model.config()
        assert_same_parameters(back, model)
    assert isinstance(neuron.to_torch(), torch.nn.Linear)  # no activation: a Linear alone


def test_the_torch_copy_is_independent(torch):
    model = nn.MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    module = model.to_torch()
    with torch.no_grad():
        module[0].weight += 1.0
    assert model.state_dict() == before


def test_converting_draws_no_random_numbers(torch):
    model = nn.MLP(2, [3, 3, 1], activation="tanh", seed=0)
    module = torch.nn.Sequential(torch.nn.Linear(2, 2, dtype=torch.float64))
    random.seed(5)
    torch.manual_seed(5)
    python_state, torch_state = random.getstate(), torch.random.get_rng_state()
    back = nn.from_torch(model.to_torch())
    nn.from_torch(module)
    assert random.getstate() == python_state
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert_same_parameters(back, model)


# ---- gradients and training in torch ----

def mlp_pairs(model, module):
    """(chainrule Value, torch tensor, index) for every parameter of an MLP and its torch
    Sequential, found from the layout (weight row j = neuron j), not from the bridge."""
    linears = [m for m in module if type(m).__name__ == "Linear"]
    for layer, linear in zip(model.layers, linears):
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                yield w, linear.weight, (j, i)
            if neuron.b is not None:
                yield neuron.b, linear.bias, (j,)


def squared_error(out, target):
    out = [out] if isinstance(out, Value) else out
    return sum((o - t) ** 2 for o, t in zip(out, target))


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_in_torch_equal_chainrules(torch, activation):
    model = nn.MLP(3, [6, 5, 2], activation=activation, output_activation="tanh", seed=4)
    for p in model.parameters():
        p.data += 0.05  # biases off 0
    module = model.to_torch()
    x, target = [0.4, -1.2, 0.9], [0.3, -0.6]
    model.zero_grad()
    squared_error(model(x), target).backward()
    out = module(torch.tensor(x, dtype=torch.float64))
    ((out - torch.tensor(target, dtype=torch.float64)) ** 2).sum().backward()
    pairs = list(mlp_pairs(model, module))
    assert len(pairs) == len(model.parameters())
    assert any(w.grad != 0 for w, _, _ in pairs)
    for w, tensor, index in pairs:
        assert close(w.grad, tensor.grad[index].item()), (activation, index)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_gradients_agree_at_the_kink(torch, activation):
    # zero inputs and zero biases: every hidden pre-activation is exactly 0
    model = nn.MLP(2, [3, 1], activation=activation, seed=0)
    module = model.to_torch()
    model.zero_grad()
    squared_error(model([0.0, 0.0]), [1.0]).backward()
    out = module(torch.zeros(2, dtype=torch.float64))
    ((out - 1.0) ** 2).sum().backward()
    for w, tensor, index in mlp_pairs(model, module):
        assert w.grad == tensor.grad[index].item()


def test_training_continues_in_torch(torch):
    model = nn.MLP(2, [8, 1], activation="tanh", seed=0)
    module = model.to_torch()
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    data = [([0.5, -1.0], 1.0), ([-0.3, 0.8], -1.0), ([1.5, 0.2], 0.5)]
    for _ in range(5):
        for x, y in data:
            model.zero_grad()
            squared_error(model(x), [y]).backward()
            for p in model.parameters():
                p.data -= 0.1 * p.grad
            optimizer.zero_grad()
            loss = ((module(torch.tensor(x, dtype=torch.float64)) - y) ** 2).sum()
            loss.backward()
            optimizer.step()
    for w, tensor, index in mlp_pairs(model, module):
        assert close(w.data, tensor[index].item())
    back = nn.from_torch(module)  # and back: the trained parameters
    assert type(back) is nn.MLP
    assert all(close(a, b) for a, b in zip(back.state_dict().values(),
                                           model.state_dict().values()))


def test_a_module_held_twice_is_one_torch_module(torch):
    shared = nn.Linear(3, 3, seed=0)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    module = model.to_torch()
    assert module[0] is module[2] and len(list(module.parameters())) == 2
    x = [0.2, -0.4, 0.6]
    model.zero_grad()
    squared_error(model(x), [0.0, 0.0, 0.0]).backward()
    (module(torch.tensor(x, dtype=torch.float64)) ** 2).sum().backward()
    for j in range(3):
        for i in range(3):
            assert close(shared.weight[j][i].grad, module[0].weight.grad[j, i].item())
    back = nn.from_torch(module)
    assert back[0] is back[2]
    assert_same_parameters(back, model)


def test_a_value_in_two_places_is_refused(torch):
    a, b = nn.Linear(2, 2, seed=0), nn.Linear(2, 2, seed=1)
    b.weight[1][0] = a.weight[0][0]  # part of one tensor tied to part of another
    with pytest.raises(ValueError, match=r"0\.weight\[0, 0\].*2\.weight\[1, 0\]"):
        nn.Sequential(a, nn.ReLU(), b).to_torch()


def test_tied_torch_weights_stay_tied(torch):
    first = torch.nn.Linear(3, 3, dtype=torch.float64)
    second = torch.nn.Linear(3, 3, dtype=torch.float64)
    second.weight = first.weight
    model = nn.from_torch(torch.nn.Sequential(first, torch.nn.Tanh(), second))
    assert model[0].weight[1][2] is model[2].weight[1][2]
    assert len(model.parameters()) == 9 + 3 + 3
    again = model.to_torch()
    assert again[0].weight is again[2].weight


# ---- torch -> chainrule ----

def test_a_torch_sequential_reads_in_with_its_outputs_and_goes_back(torch):
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4, bias=False),
        torch.nn.LeakyReLU(0.1), torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU()),
        torch.nn.Identity(), torch.nn.Linear(4, 2), torch.nn.Sigmoid()).double()
    model = nn.from_torch(module)
    assert isinstance(model, nn.Sequential) and isinstance(model[4], nn.Sequential)
    assert model[3].negative_slope == 0.1 and model[2].bias is None
    assert model[0].weight[2][1].data == module[0].weight[2, 1].item()
    assert_same_outputs(torch, model, module, 3)
    again = model.to_torch()
    assert list(again.state_dict()) == list(module.state_dict())
    for name, tensor in module.state_dict().items():
        assert torch.equal(again.state_dict()[name], tensor)
    x = torch.randn(7, 3, dtype=torch.float64)
    assert torch.allclose(again(x), module(x), rtol=1e-12, atol=1e-12)


def test_a_bare_linear_with_and_without_bias(torch):
    for bias in (True, False):
        module = torch.nn.Linear(4, 3, bias=bias, dtype=torch.float64)
        model = nn.from_torch(module)
        assert isinstance(model, nn.Linear) and (model.bias is None) == (not bias)
        assert_same_outputs(torch, model, module, 4)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_narrower_floats_widen_exactly(torch, dtype):
    torch.manual_seed(1)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                 torch.nn.Linear(4, 1)).to(getattr(torch, dtype))
    model = nn.from_torch(module)
    wide = module.double()  # the same numbers in float64: torch.double() widens exactly too
    assert model[0].weight[3][2].data == wide[0].weight[3, 2].item()
    assert_same_outputs(torch, model, wide, 3)


def test_a_mlp_changed_in_torch_comes_back_as_what_it_became(torch):
    model = nn.MLP(2, [3, 1], seed=0)
    module = model.to_torch()
    module.append(torch.nn.Sigmoid())
    back = nn.from_torch(module)
    assert type(back) is nn.Sequential and len(back) == 4
    assert_same_outputs(torch, back, module, 2)
    lying = nn.MLP(2, [3, 1], seed=0).to_torch()
    lying.chainrule_config = {"class": "MLP", "config": {"nin": 2, "nouts": [10 ** 9]}}
    assert type(nn.from_torch(lying)) is nn.Sequential


def test_a_subclass_that_keeps_the_forward_converts_as_its_base(torch):
    class Wider(nn.MLP):
        def describe(self):
            return "wider"

    model = Wider(2, [4, 1], activation="tanh", seed=0)
    back = nn.from_torch(model.to_torch())
    assert type(back) is nn.MLP and back.config() == model.config()
    assert_same_parameters(back, model)


# ---- Module subclasses with a forward of their own ----

class Net(nn.Module):
    def __init__(self, seed=0):
        self.fc1 = nn.Linear(2, 4, seed=seed)
        self.act = nn.Tanh()
        self.blocks = [nn.Linear(4, 4, seed=seed + 1), nn.Linear(4, 4, seed=seed + 2)]
        self.head = nn.Linear(4, 1, seed=seed + 3)
        self.scale = Value(1.5)
        self.mix = [[Value(0.1 * (i + j)) for j in range(4)] for i in range(2)]

    def forward(self, x):
        h = self.act(self.fc1(x))
        for block in self.blocks:
            h = self.act(block(h))
        h = [hj + sum(m[j] for m in self.mix) for j, hj in enumerate(h)]
        return self.head(h) * self.scale


def torch_twin(torch):
    """What a user writes in torch for Net: the same attributes, its forward."""
    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(2, 4)
            self.act = torch.nn.Tanh()
            self.blocks = torch.nn.ModuleList([torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)])
            self.head = torch.nn.Linear(4, 1)
            self.scale = torch.nn.Parameter(torch.tensor(1.0))
            self.mix = torch.nn.Parameter(torch.zeros(2, 4))

        def forward(self, x):
            h = self.act(self.fc1(x))
            for block in self.blocks:
                h = self.act(block(h))
            return self.head(h + self.mix.sum(0)) * self.scale

    return TorchNet().double()


def test_a_subclass_gives_its_parts_and_the_user_writes_the_forward(torch):
    model = Net()
    parts = model.to_torch()
    assert isinstance(parts, torch.nn.Module)
    assert sorted(parts.state_dict()) == sorted([
        "fc1.weight", "fc1.bias", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
        "blocks.1.bias", "head.weight", "head.bias", "scale", "mix"])
    assert parts.mix.shape == (2, 4) and parts.scale.shape == ()
    with pytest.raises(NotImplementedError, match="chainrule's Net.*forward"):
        parts(torch.zeros(2, dtype=torch.float64))
    twin = torch_twin(torch)
    twin.load_state_dict(parts.state_dict())
    assert_same_outputs(torch, model, twin, 2)


def test_a_subclass_comes_back_into_a_model_built_for_it(torch):
    model, fresh = Net(seed=0), Net(seed=10)
    parts = model.to_torch()
    with pytest.raises(TypeError, match=r"chainrule's Net.*into=Net"):
        nn.from_torch(parts)
    assert nn.from_torch(parts, into=fresh) is fresh
    assert_same_parameters(fresh, model)
    twin = torch_twin(torch)  # a torch model of the user's own, trained in torch
    back = nn.from_torch(twin, into=Net(seed=20))
    assert_same_outputs(torch, back, twin, 2)


def test_into_checks_everything_before_changing_anything(torch):
    model = Net()
    before = model.state_dict()
    wrong_name = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh())
    with pytest.raises(ValueError, match="missing.*fc1.weight.*unexpected.*0.weight"):
        nn.from_torch(wrong_name, into=model)
    twin = torch_twin(torch)
    twin.head = torch.nn.Linear(4, 2).double()
    with pytest.raises(ValueError, match=r"head.weight has shape \[2, 4\].*\[1, 4\]"):
        nn.from_torch(twin, into=model)
    twin = torch_twin(torch)
    with torch.no_grad():
        twin.blocks[1].bias[2] = float("nan")
    with pytest.raises(ValueError, match=r"blocks.1.bias\[2\] is nan"):
        nn.from_torch(twin, into=model)
    assert model.state_dict() == before
    with pytest.raises(TypeError, match="into is the chainrule model"):
        nn.from_torch(twin, into=twin)


def test_an_mlp_loads_a_hand_written_torch_sequential(torch):
    torch.manual_seed(3)
    module = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.ReLU(),
                                 torch.nn.Linear(5, 1)).double()
    model = nn.from_torch(module, into=nn.MLP(2, [5, 1], seed=0))
    assert type(model) is nn.MLP
    assert_same_outputs(torch, model, module, 2)


# ---- hostile ----

@pytest.mark.parametrize("thing, shown", [(None, "got None"), ("model", "got a str"),
                                          (3, "got an int"), (nn.MLP(1, [1], seed=0),
                                                               "got chainrule's MLP")])
def test_from_torch_refuses_what_is_not_a_torch_module(torch, thing, shown):
    with pytest.raises(TypeError, match=f"from_torch reads a torch.nn.Module, {shown}"):
        nn.from_torch(thing)


def test_from_torch_refuses_a_tensor(torch):
    with pytest.raises(TypeError, match="got a torch.Tensor"):
        nn.from_torch(torch.zeros(3))


def test_unsupported_torch_modules_are_named_with_their_place(torch):
    inner = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.GELU())
    with pytest.raises(TypeError, match=r"module '1.1', a torch.nn.GELU.*Sequential, Linear"):
        nn.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), inner))

    class Custom(torch.nn.Module):
        def forward(self, x):
            return x

    class Reordered(torch.nn.Sequential):
        def forward(self, x):
            return x

    for module, name in [(Custom(), "Custom"), (Reordered(), "Reordered"),
                         (torch.nn.ModuleList([torch.nn.Linear(1, 1)]), "torch.nn.ModuleList")]:
        with pytest.raises(TypeError, match=f"cannot read the module, a .*{name}.*into="):
            nn.from_torch(module)


def test_non_finite_parameters_are_refused_both_ways(torch):
    for bad in (float("nan"), float("inf")):
        module = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh())
        with torch.no_grad():
            module[0].weight[1, 2] = bad
        with pytest.raises(ValueError, match=r"0.weight\[1, 2\] is (nan|inf)"):
            nn.from_torch(module)
    model = nn.MLP(2, [2, 1], seed=0)
    model.layers[1].neurons[0].w[1].data = float("nan")
    with pytest.raises(ValueError, match="layer1.neuron0.w1.*nan.*diverge"):
        model.to_torch()


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
@pytest.mark.parametrize("nin, nout", [(0, 3), (3, 0)])
def test_zero_width_linears_are_refused(torch, nin, nout):
    with pytest.raises(ValueError, match=rf"module '0' is a Linear\({nin}, {nout}\)"):
        nn.from_torch(torch.nn.Sequential(torch.nn.Linear(nin, nout)))


def test_empty_sequentials_go_both_ways(torch):
    model = nn.from_torch(torch.nn.Sequential())
    assert isinstance(model, nn.Sequential) and len(model) == 0 and model([1.0, 2.0]) == [1.0, 2.0]
    module = nn.Sequential().to_torch()
    assert isinstance(module, torch.nn.Sequential) and len(module) == 0


def test_lazy_and_meta_modules_say_what_to_do(torch):
    with pytest.raises(ValueError, match="lazy module"):
        nn.from_torch(torch.nn.LazyLinear(3))
    with pytest.raises(ValueError, match="meta device"):
        nn.from_torch(torch.nn.Linear(2, 2, device="meta"))


def test_a_larger_model_goes_both_ways(torch):
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(),
                                 torch.nn.Linear(256, 128), torch.nn.Tanh(),
                                 torch.nn.Linear(128, 10)).double()
    model = nn.from_torch(module)
    assert len(model.parameters()) == sum(p.numel() for p in module.parameters())
    assert_same_outputs(torch, model, module, 64)
    again = model.to_torch()
    assert all(torch.equal(a, b) for a, b in zip(again.parameters(), module.parameters()))


def test_one_parameter_given_two_numbers_is_refused(torch):
    shared = nn.Linear(2, 2, seed=0)
    model = nn.Sequential(shared, nn.Tanh(), shared)  # torch names 0.weight and 2.weight
    before = model.state_dict()
    torch.manual_seed(0)
    untied = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(),
                                 torch.nn.Linear(2, 2)).double()
    with pytest.raises(ValueError, match=r"0.weight\[0, 0\] and 2.weight\[0, 0\] are one "
                                         r"parameter"):
        nn.from_torch(untied, into=model)
    assert model.state_dict() == before
    untied[2].load_state_dict(untied[0].state_dict())  # the same numbers: accepted
    nn.from_torch(untied, into=model)
    assert model[0].weight[1][1].data == untied[2].weight[1, 1].item()


def test_parameters_to_torch_cannot_find_are_an_error(torch):
    class Hidden(nn.Module):
        def __init__(self):
            self._w = [Value(1.0)]

        def named_members(self):
            yield "w", self._w[0]

        def forward(self, x):
            return self._w[0] * x

    with pytest.raises(TypeError, match=r"Hidden.*\['w'\] are not where to_torch looks"):
        Hidden().to_torch()


def test_an_attribute_mixing_values_and_modules_is_an_error(torch):
    class Mixed(nn.Module):
        def __init__(self):
            self.stuff = [nn.Linear(1, 1, seed=0), Value(1.0)]

        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="'stuff'.*mixes Values, modules"):
        Mixed().to_torch()


def test_a_layer_whose_neurons_differ_is_refused(torch):
    layer = nn.Layer(3, 2, activation="relu", seed=0)
    layer.neurons[1] = nn.Neuron(3, activation="tanh", seed=1)
    with pytest.raises(ValueError, match="neurons differ in activation or bias"):
        layer.to_torch()


def test_hooks_and_an_own_call_are_refused(torch):
    # they change what the module computes, which the chainrule model would not
    hooked = torch.nn.Linear(2, 3).double()
    handle = hooked.register_forward_hook(lambda module, inputs, output: output * 10)
    with pytest.raises(TypeError, match="forward hooks"):
        nn.from_torch(torch.nn.Sequential(torch.nn.Tanh(), hooked))
    handle.remove()
    nn.from_torch(hooked)  # without the hook it reads
    pre = torch.nn.Tanh()
    pre.register_forward_pre_hook(lambda module, inputs: (inputs[0] * 2,))
    with pytest.raises(TypeError, match="forward hooks"):
        nn.from_torch(pre)

    class Called(torch.nn.ReLU):
        def __call__(self, x):
            return super().__call__(x) * 2

    with pytest.raises(TypeError):
        nn.from_torch(Called())
