"""PyTorch's habits: float(v), v.item(), f"{v:.3f}"; Module subclasses with forward;
nn.Linear, nn.Sequential and activation modules."""
import math

import numpy as np
import pytest

from autograd import TraceError, Value, trace


# ---- the number out of the graph ----

def test_float_item_and_format_read_the_data():
    v = Value(2.5) * 2
    assert float(v) == 5.0 and type(float(v)) is float
    assert v.item() == 5.0 and type(v.item()) is float
    assert f"{v:.3f}" == "5.000" and format(v, "e") == format(5.0, "e")
    assert f"{v:>8.2f}" == "    5.00"
    assert f"{v}" == str(v) == format(v, "") == repr(v)  # an empty spec: str as before
    assert math.exp(Value(0.0)) == 1.0  # math's functions take it as a number, as for a tensor


def test_float_leaves_the_graph():
    x = Value(3.0)
    y = float(x) * x  # the float is a constant: dy/dx is 3, not 6
    y.backward()
    assert x.grad == 3.0


def test_float_and_item_are_refused_while_tracing():
    def uses_float(x):
        return x[0] * float(x[1])

    def uses_item(x):
        return x[0] * x[1].item()

    for function in (uses_float, uses_item):
        with pytest.raises(TraceError, match="out of the graph"):
            trace(function, np.array([1.0, 2.0]))


def test_format_is_allowed_while_tracing():
    seen = []

    def prints(x):
        seen.append(f"{x[0]:.2f}")
        return x[0] * 2

    tape = trace(prints, np.array([1.5]))
    assert seen and tape is not None


# ---- Module subclasses, as PyTorch's ----

import nn  # noqa: E402


class Net(nn.Module):
    """A PyTorch-style model: attributes in __init__, the output in forward."""

    def __init__(self, seed=0):
        super().__init__()
        self.hidden = nn.MLP(2, [3], activation="tanh", seed=seed)
        self.scale = Value(1.5)
        self.out = [Value(0.5), Value(-0.25), Value(1.0)]

    def forward(self, x):
        h = self.hidden(x)
        return self.scale * sum(w * hi for w, hi in zip(self.out, h))


def test_a_subclass_registers_what_it_assigns():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == [f"hidden.layer0.neuron{j}.{p}" for j in range(3) for p in ("w0", "w1", "b")] \
        + ["scale", "out.0", "out.1", "out.2"]
    assert len(net.parameters()) == 13 and list(net.state_dict()) == names
    assert [name for name, _ in net.named_children()] == ["hidden"]
    assert [name for name, _ in net.named_modules()][:3] == ["", "hidden", "hidden.layer0"]
    assert isinstance(net([1.0, 2.0]), Value)  # calling it runs forward


def test_a_subclass_without_super_init_nested_lists_dicts_shared_and_private():
    class Odd(nn.Module):  # no super().__init__(): found all the same
        def __init__(self):
            self.matrix = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]]
            self.table = {"a": Value(5.0), "b": (nn.Neuron(1, seed=0),)}
            self.again = self.matrix[0][0]  # one parameter, under its first name
            self._cache = Value(9.0)  # private: not a parameter
            self.count = 3

        def forward(self, x):
            return self.matrix[0][0] * x

    odd = Odd()
    assert [name for name, _ in odd.named_parameters()] == \
        ["matrix.0.0", "matrix.0.1", "matrix.1.0", "matrix.1.1", "table.a", "table.b.0.w0",
         "table.b.0.b"]
    assert odd(2.0).data == 2.0


def test_state_dict_zero_grad_save_and_load_round_trip(tmp_path):
    net = Net(seed=1)
    out = net([0.3, -0.7])
    out.backward()
    assert any(p.grad != 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad == 0 for p in net.parameters())
    net.save(tmp_path / "net.json")
    other = Net(seed=2)
    assert other([0.3, -0.7]).data != out.data
    other.load(tmp_path / "net.json")
    assert other([0.3, -0.7]).data == out.data
    assert other.state_dict() == net.state_dict()
    state = net.state_dict()
    state["scale"] = 2.0
    other.load_state_dict(state)
    assert other.scale.data == 2.0
    with pytest.raises(nn.ModelFileError, match="missing"):
        other.load_state_dict({"scale": 1.0})


def test_forward_is_what_calling_runs_even_below_mlp():
    class Doubled(nn.MLP):
        def forward(self, x):
            return super().forward(x) * 2

    model, plain = Doubled(2, [1], seed=0), nn.MLP(2, [1], seed=0)
    assert model([1.0, 1.0]).data == 2 * plain([1.0, 1.0]).data
    assert plain.forward([1.0, 1.0]).data == plain([1.0, 1.0]).data

    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="NoForward defines no forward"):
        NoForward()(1.0)


# ---- Linear, Sequential and the activation modules ----

class XorNet(nn.Module):
    def __init__(self, seed=0):
        super().__init__()
        self.fc1 = nn.Linear(2, 4, seed=seed)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(4, 1, seed=seed + 1)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))  # a logit


def xor_sequential(seed=0):
    return nn.Sequential(nn.Linear(2, 4, seed=seed), nn.Tanh(), nn.Linear(4, 1, seed=seed + 1))


MAKERS = {"subclass": XorNet, "sequential": xor_sequential}


@pytest.mark.parametrize("engine", ["traced", "eager"])
@pytest.mark.parametrize("kind", MAKERS)
def test_xor_trains_to_100_percent_with_fit(kind, engine):
    X, y = nn.data.xor()
    model = MAKERS[kind]()
    history = nn.fit(model, X, y, loss="bce_logits", optimizer="sgd", lr=0.5, epochs=1000,
                     engine=engine, progress=False)
    assert history.engine == engine and history["accuracy"][-1] == 1.0
    assert list(nn.predict(model, X)) == list(y)


@pytest.mark.parametrize("kind", MAKERS)
def test_xor_trains_to_100_percent_with_a_hand_written_loop(kind):
    X, y = nn.data.xor()
    model = MAKERS[kind]()
    squash = nn.Sigmoid()
    for _ in range(500):
        loss = sum((squash(model(x)) - t) ** 2 for x, t in zip(X, y.tolist()))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.5 * p.grad
    assert [round(squash(model(x)).item()) for x in X] == y.tolist()
    assert f"{loss:.3f}" == f"{loss.data:.3f}" and loss.item() < 0.1


def test_the_traced_and_eager_engines_train_the_same_weights():
    X, y = nn.data.xor()
    states = []
    for engine in ("traced", "eager"):
        model = xor_sequential()
        nn.fit(model, X, y, loss="bce_logits", lr=0.5, epochs=50, engine=engine,
               progress=False)
        states.append(model.state_dict())
    assert states[0].keys() == states[1].keys()
    assert all(states[0][k] == pytest.approx(states[1][k], rel=1e-9, abs=1e-12)
               for k in states[0])


def test_parameters_counted_and_named_as_pytorch():
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2, bias=False),
                          nn.LeakyReLU(0.2), nn.Identity())
    assert len(model.parameters()) == 3 * 5 + 5 + 5 * 2 == 30
    names = [name for name, _ in model.named_parameters()]
    assert names[:4] == ["0.weight.0.0", "0.weight.0.1", "0.weight.0.2", "0.weight.1.0"]
    assert "0.bias.4" in names and "2.weight.1.4" in names and not any("2.bias" in n for n in names)
    assert nn.Sequential.parameter_count(**model.config()) == 30
    assert nn.Linear.parameter_count(3, 5) == 20 and len(XorNet().parameters()) == 17
    assert len(model) == 5 and isinstance(model[1], nn.ReLU) and len(model[:2]) == 2
    assert "(3): LeakyReLU(negative_slope=0.2)" in repr(model)
    assert "(0): Linear(in_features=3, out_features=5, bias=True)" in repr(model)
    assert len(model([1.0, 2.0, 3.0])) == 2


def test_activation_modules_apply_to_values_numbers_and_lists():
    x = [Value(-2.0), Value(0.5)]
    assert [v.data for v in nn.ReLU()(x)] == [0.0, 0.5]
    assert [v.data for v in nn.LeakyReLU(0.1)(x)] == [-0.2, 0.5]
    assert nn.Tanh()(0.5).data == math.tanh(0.5)
    assert nn.Sigmoid()(Value(0.0)).data == 0.5
    assert nn.Identity()(x) is x
    with pytest.raises(ValueError, match="slope"):
        nn.LeakyReLU(float("nan"))


@pytest.mark.parametrize("bad, words", [
    (lambda: nn.Linear(0, 2), "at least one input"),
    (lambda: nn.Linear(2, 2, init="zeros"), "unknown initialisation"),
    (lambda: nn.Linear(2, 2, bias=1), "True or False"),
    (lambda: nn.Sequential(nn.ReLU(), max), "takes modules"),
    (lambda: nn.Linear(2, 1)([1.0, 2.0, 3.0]), "takes 2 inputs, got 3"),
])
def test_bad_arguments_are_refused_clearly(bad, words):
    with pytest.raises((TypeError, ValueError), match=words):
        bad()


def test_the_same_seed_gives_the_same_linear():
    assert nn.Linear(3, 2, seed=4).state_dict() == nn.Linear(3, 2, seed=4).state_dict()
    assert nn.Linear(3, 2, seed=4).state_dict() != nn.Linear(3, 2, seed=5).state_dict()


def test_save_load_and_from_file_round_trip(tmp_path):
    X, _ = nn.data.xor()
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.LeakyReLU(0.05), nn.MLP(3, [2, 1], seed=1),
                          nn.Sigmoid())
    path = tmp_path / "seq.json"
    model.save(path)
    rebuilt = nn.Sequential.from_file(path)
    assert rebuilt.config() == model.config() and rebuilt.state_dict() == model.state_dict()
    assert [rebuilt(x).data for x in X] == [model(x).data for x in X]
    other = nn.Sequential(nn.Linear(2, 3, seed=9), nn.LeakyReLU(0.05), nn.MLP(3, [2, 1], seed=9),
                          nn.Sigmoid())
    assert other.load(path).state_dict() == model.state_dict()
    with pytest.raises(nn.ModelFileError, match="not this Sequential"):
        nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.MLP(3, [2, 1]), nn.Sigmoid()).load(path)
    linear = nn.Linear(2, 2, bias=False, init="xavier", seed=3)
    linear.save(tmp_path / "linear.json")
    assert nn.Linear.from_file(tmp_path / "linear.json").state_dict() == linear.state_dict()

    net = XorNet(seed=3)
    net.save(tmp_path / "net.json")
    assert XorNet(seed=7).load(tmp_path / "net.json").state_dict() == net.state_dict()


def test_from_file_builds_only_chainrules_own_modules(tmp_path):
    model = nn.Sequential(nn.Linear(2, 4, seed=0), nn.Tanh(), XorNet())
    model.save(tmp_path / "mixed.json")  # saved, and loaded into the same architecture
    assert nn.Sequential(nn.Linear(2, 4), nn.Tanh(), XorNet(seed=5)).load(
        tmp_path / "mixed.json").state_dict() == model.state_dict()
    with pytest.raises(nn.ModelFileError, match="'XorNet', which from_file cannot build"):
        nn.Sequential.from_file(tmp_path / "mixed.json")
    text = (tmp_path / "mixed.json").read_text().replace('"XorNet"', '"os.system"')
    (tmp_path / "hostile.json").write_text(text)
    with pytest.raises(nn.ModelFileError, match="cannot build"):
        nn.Sequential.from_file(tmp_path / "hostile.json")


# ---- the same outputs as PyTorch's modules ----

def torch_copy(model, torch):
    """PyTorch's Sequential of Linear and activation modules with model's weights."""
    kinds = {nn.ReLU: torch.nn.ReLU, nn.Tanh: torch.nn.Tanh, nn.Sigmoid: torch.nn.Sigmoid,
             nn.Identity: torch.nn.Identity}
    layers = []
    for module in model:
        if isinstance(module, nn.Linear):
            layer = torch.nn.Linear(module.in_features, module.out_features,
                                    bias=module.bias is not None, dtype=torch.float64)
            with torch.no_grad():
                layer.weight.copy_(torch.tensor([[w.data for w in row] for row in module.weight],
                                                dtype=torch.float64))
                if module.bias is not None:
                    layer.bias.copy_(torch.tensor([b.data for b in module.bias],
                                                  dtype=torch.float64))
        elif isinstance(module, nn.LeakyReLU):
            layer = torch.nn.LeakyReLU(module.negative_slope)
        else:
            layer = kinds[type(module)]()
        layers.append(layer)
    return torch.nn.Sequential(*layers)


def test_outputs_and_gradients_equal_torchs():
    torch = pytest.importorskip("torch")
    model = nn.Sequential(nn.Linear(3, 5, seed=0), nn.ReLU(), nn.Linear(5, 4, seed=1),
                          nn.LeakyReLU(0.1), nn.Linear(4, 3, bias=False, seed=2), nn.Tanh(),
                          nn.Linear(3, 2, seed=3), nn.Identity(), nn.Sigmoid())
    for p in model.parameters():  # biases away from 0, as torch's would be
        p.data += 0.1
    theirs = torch_copy(model, torch)
    rng = np.random.default_rng(0)
    for x in rng.normal(size=(10, 3)):
        ours = model(x)
        expected = theirs(torch.tensor(x, dtype=torch.float64))
        assert [o.data for o in ours] == pytest.approx(expected.tolist(), rel=1e-12, abs=1e-15)
        model.zero_grad()
        theirs.zero_grad()
        (ours[0] + 2 * ours[1]).backward()
        (expected[0] + 2 * expected[1]).backward()
        for mine, linear in zip([m for m in model if isinstance(m, nn.Linear)],
                                [m for m in theirs if isinstance(m, torch.nn.Linear)]):
            assert [w.grad for row in mine.weight for w in row] == \
                pytest.approx(linear.weight.grad.ravel().tolist(), rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("activation", [nn.ReLU(), nn.LeakyReLU(0.1), nn.Tanh(), nn.Sigmoid(),
                                        nn.Identity()], ids=lambda a: type(a).__name__)
def test_every_activation_module_traces(activation):
    X, y = nn.data.moons(40, seed=0)
    model = nn.Sequential(nn.Linear(2, 4, seed=0), activation, nn.Linear(4, 1, seed=1),
                          nn.Sigmoid())
    history = nn.fit(model, X, y, loss="mse", lr=0.5, epochs=3, engine="traced", progress=False)
    assert history.engine == "traced" and len(history["loss"]) == 3


def test_nested_sequentials_save_and_rebuild(tmp_path):
    model = nn.Sequential(nn.Sequential(nn.Sequential(nn.MLP(2, [3, 2], seed=0), nn.Tanh())),
                          nn.Linear(2, 1, seed=1))
    assert [name for name, _ in model.named_parameters()][0] == "0.0.0.layer0.neuron0.w0"
    model.save(tmp_path / "nested.json")
    rebuilt = nn.Sequential.from_file(tmp_path / "nested.json")
    assert rebuilt.state_dict() == model.state_dict() and rebuilt([1, 2]).data == model([1, 2]).data
    deep = nn.Linear(1, 1)
    for _ in range(20):
        deep = nn.Sequential(deep)
    with pytest.raises(ValueError, match="nests more than a model file may"):
        deep.save(tmp_path / "deep.json")
    assert not (tmp_path / "deep.json").exists()


# ---- grad(..., allow_unused=...) as torch.autograd.grad ----

from autograd import grad  # noqa: E402


def unused_case():
    x, unused = Value(1.5), Value(-2.0)
    return x, unused, x * x.sin()


def test_an_unused_input_gets_zero_unless_told_otherwise():
    x, unused, y = unused_case()
    dx, du = grad(y, [x, unused])
    assert du.data == 0.0 and dx.data == pytest.approx(math.sin(1.5) + 1.5 * math.cos(1.5))
    assert grad(y, [x, unused], allow_unused=True)[1] is None
    assert grad(y, unused, allow_unused=True) is None
    assert grad(y, [x, unused], allow_unused=True, materialize_grads=True)[1].data == 0.0
    with pytest.raises(ValueError, match="does not depend on input 1"):
        grad(y, [x, unused], allow_unused=False)
    assert grad(y, [x], allow_unused=False)[0].data == dx.data  # used inputs pass
    # create_graph too: an unused input's None stays None, a used one is a recorded Value
    d = grad(y, [x, unused], create_graph=True, allow_unused=True)
    assert d[1] is None and d[0].parents


@pytest.mark.parametrize("kwargs, error", [
    ({"allow_unused": "yes"}, TypeError), ({"materialize_grads": 1}, TypeError),
    ({"create_graph": None}, TypeError),
    ({"allow_unused": False, "materialize_grads": True}, ValueError),
])
def test_grad_flags_are_checked(kwargs, error):
    x, unused, y = unused_case()
    with pytest.raises(error):
        grad(y, [x, unused], **kwargs)


def test_allow_unused_matches_torch():
    torch = pytest.importorskip("torch")
    x, unused, y = unused_case()
    tx = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    tu = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
    ty = tx * tx.sin()
    with pytest.raises(RuntimeError):
        torch.autograd.grad(ty, [tx, tu], retain_graph=True, allow_unused=False)
    with pytest.raises(ValueError):
        grad(y, [x, unused], allow_unused=False)
    theirs = torch.autograd.grad(ty, [tx, tu], retain_graph=True, allow_unused=True)
    ours = grad(y, [x, unused], allow_unused=True)
    assert theirs[1] is None and ours[1] is None
    assert ours[0].data == pytest.approx(theirs[0].item(), rel=1e-12)
    theirs = torch.autograd.grad(ty, [tx, tu], allow_unused=True, materialize_grads=True)
    ours = grad(y, [x, unused], allow_unused=True, materialize_grads=True)
    assert [g.data for g in ours] == pytest.approx([g.item() for g in theirs], rel=1e-12)
