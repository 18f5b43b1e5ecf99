"""Neuron, Layer, MLP: micrograd's modules with micrograd's meanings, plus choices.

`Neuron(nin, nonlin=True)`, `Layer(nin, nout)` and `MLP(nin, nouts)` behave as in micrograd
(ReLU hidden layers, a linear output, weights uniform in [-1, 1) from Python's `random`, biases
0), so a micrograd user switches by changing an import. Beyond that: the activation of the
hidden and the output layers, biases on or off, the initialisation, and a seed.

For PyTorch users: `Linear(in_features, out_features)`, `Sequential(*modules)` and the
activation modules `ReLU`, `Tanh`, `Sigmoid`, `LeakyReLU(negative_slope)`, `Identity`, with
PyTorch's meanings and parameter names.
"""
from __future__ import annotations

import math
import numbers
import random
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, overload

from autograd import Value, dot

from .module import Module, Sample, as_inputs

# What seed= takes: None for Python's global `random` (micrograd's), an int, or a random.Random.
Seed: TypeAlias = int | random.Random | None
# A layer's outputs for one sample: a bare Value for one output, a list for several (how many
# is known only once the layer is built, so a type checker sees either).
Outputs: TypeAlias = Value | list[Value]
S = TypeVar("S", bound="Sequential")
T = TypeVar("T")

ACTIVATIONS = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,
    "linear": lambda z: z,
}

INITIALISERS = {
    # micrograd's: uniform in [-1, 1)
    "uniform": lambda rng, fan_in, fan_out: rng.uniform(-1, 1),
    # Glorot & Bengio (2010): keeps the variance of activations and gradients across layers
    "xavier": lambda rng, fan_in, fan_out: rng.uniform(-1, 1) * math.sqrt(6 / (fan_in + fan_out)),
    # He et al. (2015), for ReLU layers
    "he": lambda rng, fan_in, fan_out: rng.uniform(-1, 1) * math.sqrt(6 / fan_in),
}


def random_source(seed: Seed) -> Any:  # a random.Random, or the random module itself
    """Python's global `random` (micrograd's source) for None, else a seeded random.Random."""
    if seed is None or seed is random:
        return random
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return random.Random(int(seed))
    raise TypeError(f"seed must be None, an int or a random.Random, got {type(seed).__name__}")


def _whole(value, what):
    """A size (inputs, neurons): a whole number >= 1 (numpy's too), and not a bool."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{what}, got {value!r}")
    return int(value)


def _layer_sizes(nouts):
    """An MLP's layer sizes as a list of ints: one whole number is one layer."""
    if isinstance(nouts, numbers.Integral) and not isinstance(nouts, bool):
        nouts = [nouts]
    if isinstance(nouts, (str, bytes)) or not hasattr(nouts, "__iter__"):
        raise ValueError(f"an MLP's nouts are the layer sizes, a list of whole numbers, got "
                         f"{nouts!r}")
    nouts = [_whole(size, "a Layer needs at least one neuron as nout") for size in nouts]
    if not nouts:
        raise ValueError("an MLP needs at least one layer: nouts is empty")
    return nouts


def _flag(value, what):
    if not isinstance(value, bool):
        raise TypeError(f"{what} is True or False, got {value!r}")
    return value


def _choice(kind, name, options):
    if name not in options:
        raise ValueError(f"unknown {kind} {name!r}; choose one of {', '.join(options)}")
    return name


# an activation's torch module (to_torch); Value.leaky_relu's slope is LeakyReLU's default, 0.01
TORCH_ACTIVATIONS = {"relu": ("ReLU",), "tanh": ("Tanh",), "sigmoid": ("Sigmoid",),
                     "leaky_relu": ("LeakyReLU", 0.01)}


def _then(linear, activation):
    """A Linear's torch form followed by an activation's (none for "linear")."""
    if activation == "linear":
        return linear
    return ("Sequential", [linear, TORCH_ACTIVATIONS[activation]])


class Neuron(Module):
    """activation(w·x + b), the weighted sum recorded as one graph node."""

    def __init__(self, nin: int, nonlin: bool = True, activation: str | None = None,
                 bias: bool = True, init: str = "uniform", seed: Seed = None,
                 fan_out: int = 1) -> None:
        self.nin = _whole(nin, "a Neuron needs at least one input as nin")
        self.activation = _choice("activation", activation or ("relu" if nonlin else "linear"),
                                  ACTIVATIONS)
        self.init = _choice("initialisation", init, INITIALISERS)
        rng = random_source(seed)
        draw = INITIALISERS[init]
        self.w = [Value(draw(rng, self.nin, fan_out)) for _ in range(self.nin)]
        self.b = Value(0.0) if _flag(bias, "bias") else None
        self._activate = ACTIVATIONS[self.activation]

    @classmethod
    def parameter_count(cls, nin: int, bias: bool = True, **_: Any) -> int:
        """How many parameters Neuron(nin, bias=bias, ...) has, found without building it."""
        if not isinstance(bias, bool):
            raise ValueError(f"bias is True or False, got {bias!r}")
        return _whole(nin, "a Neuron needs at least one input as nin") + (1 if bias else 0)

    @property
    def nonlin(self) -> bool:
        return self.activation != "linear"

    def __call__(self, x: Sample) -> Value:
        x = as_inputs(x, self.nin, "this Neuron")
        return self._activate(dot(self.w, x, self.b if self.b is not None else 0.0))

    forward = __call__

    def named_members(self) -> Iterator[tuple[str, Value]]:
        yield from ((f"w{i}", w) for i, w in enumerate(self.w))
        if self.b is not None:
            yield "b", self.b

    def torch_form(self) -> tuple[Any, ...]:
        """What to_torch builds (nn/torch_build.py): a Linear of one output, its activation."""
        return _then(("Linear", [self.w], None if self.b is None else [self.b]),
                     self.activation)

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation, "bias": self.b is not None,
                "init": self.init}

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons reading the same inputs; one output is returned bare, as in micrograd."""

    def __init__(self, nin: int, nout: int, nonlin: bool = True, activation: str | None = None,
                 bias: bool = True, init: str = "uniform", seed: Seed = None) -> None:
        nout = _whole(nout, "a Layer needs at least one neuron as nout")
        rng = random_source(seed)
        self.neurons = [Neuron(nin, nonlin=nonlin, activation=activation, bias=bias, init=init,
                               seed=rng, fan_out=nout) for _ in range(nout)]

    @classmethod
    def parameter_count(cls, nin: int, nout: int, bias: bool = True, **_: Any) -> int:
        """How many parameters Layer(nin, nout, bias=bias, ...) has, without building it."""
        return _whole(nout, "a Layer needs at least one neuron as nout") * \
            Neuron.parameter_count(nin, bias=bias)

    def __call__(self, x: Sample) -> Outputs:
        x = as_inputs(x, self.neurons[0].nin, "this Layer")
        x = [xi if isinstance(xi, Value) else Value(xi) for xi in x]  # once, not per neuron
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    forward = __call__

    def named_members(self) -> Iterator[tuple[str, Neuron]]:
        return ((f"neuron{j}", n) for j, n in enumerate(self.neurons))

    def torch_form(self) -> tuple[Any, ...]:
        """What to_torch builds: a Linear (row j = neuron j), then the activation."""
        first = self.neurons[0]
        if any(n.activation != first.activation or (n.b is None) != (first.b is None)
               for n in self.neurons):
            raise ValueError("cannot convert to torch: this Layer's neurons differ in "
                             "activation or bias, and a torch Linear has one of each")
        bias = None if first.b is None else [n.b for n in self.neurons]
        return _then(("Linear", [n.w for n in self.neurons], bias), first.activation)

    def config(self) -> dict[str, Any]:
        first = self.neurons[0]
        return {"nin": first.nin, "nout": len(self.neurons), "activation": first.activation,
                "bias": first.b is not None, "init": first.init}

    def __repr__(self) -> str:
        return f"Layer({self.neurons[0].nin}, {len(self.neurons)}, " \
               f"activation={self.neurons[0].activation!r})"


class MLP(Module):
    """A multi-layer perceptron: `nin` inputs, then layers of `nouts[i]` neurons.

    Hidden layers use `activation` (micrograd: relu), the last layer `output_activation`
    (micrograd: linear). A single output is returned as a bare Value, several as a list.
    """

    def __init__(self, nin: int, nouts: int | Iterable[int], activation: str = "relu",
                 output_activation: str = "linear", bias: bool = True, init: str = "uniform",
                 seed: Seed = None) -> None:
        nouts = _layer_sizes(nouts)
        nin = _whole(nin, "an MLP needs at least one input as nin")
        _flag(bias, "bias")
        _choice("activation", activation, ACTIVATIONS)
        _choice("output activation", output_activation, ACTIVATIONS)
        _choice("initialisation", init, INITIALISERS)
        rng = random_source(seed)
        sizes = [nin] + nouts
        self.layers = [
            Layer(sizes[i], sizes[i + 1], bias=bias, init=init, seed=rng,
                  activation=activation if i < len(nouts) - 1 else output_activation)
            for i in range(len(nouts))
        ]
        self.nin, self.nouts = nin, nouts
        self.activation, self.output_activation = activation, output_activation
        self.bias, self.init = bias, init

    @classmethod
    def parameter_count(cls, nin: int, nouts: int | Iterable[int], bias: bool = True,
                        **_: Any) -> int:
        """How many parameters MLP(nin, nouts, bias=bias, ...) has, without building it."""
        sizes = [nin] + _layer_sizes(nouts)
        return sum(Layer.parameter_count(sizes[i], sizes[i + 1], bias=bias)
                   for i in range(len(sizes) - 1))

    def __call__(self, x: Sample) -> Outputs:
        x = as_inputs(x, self.nin, "this MLP")
        for layer in self.layers:
            x = layer(x)
        return x

    forward = __call__

    def named_members(self) -> Iterator[tuple[str, Layer]]:
        return ((f"layer{i}", layer) for i, layer in enumerate(self.layers))

    def torch_form(self) -> tuple[Any, ...]:
        """What to_torch builds: one Sequential of each layer's Linear and activation."""
        forms = [layer.torch_form() for layer in self.layers]
        return ("Sequential", [step for form in forms
                               for step in (form[1] if form[0] == "Sequential" else [form])])

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nouts": self.nouts, "activation": self.activation,
                "output_activation": self.output_activation, "bias": self.bias,
                "init": self.init}

    def __repr__(self) -> str:
        return (f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r}, "
                f"parameters={len(self.parameters())})")


# ---- PyTorch's building blocks: Linear, the activation modules, Sequential ----

class Linear(Module):
    """out_j = Σ_i weight[j][i]·x_i + bias[j], as PyTorch's `nn.Linear(in_features,
    out_features)`: the parameters are named "weight.j.i" and "bias.j" (PyTorch's `weight[j, i]`
    and `bias[j]`). Weights are drawn by `init` (as MLP's: micrograd's uniform in [-1, 1) by
    default, or "xavier", "he"), biases start at 0. One output is returned as a bare Value,
    several as a list (as Layer does)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 init: str = "uniform", seed: Seed = None) -> None:
        self.in_features = _whole(in_features, "a Linear needs at least one input as "
                                               "in_features")
        self.out_features = _whole(out_features, "a Linear needs at least one output as "
                                                 "out_features")
        self.init = _choice("initialisation", init, INITIALISERS)
        rng, draw = random_source(seed), INITIALISERS[init]
        nin, nout = self.in_features, self.out_features
        self.weight = [[Value(draw(rng, nin, nout)) for _ in range(nin)] for _ in range(nout)]
        self.bias = [Value(0.0) for _ in range(nout)] if _flag(bias, "bias") else None

    @classmethod
    def parameter_count(cls, in_features: int, out_features: int, bias: bool = True,
                        **_: Any) -> int:
        """How many parameters Linear(in_features, out_features, bias) has, without building
        it."""
        if not isinstance(bias, bool):
            raise ValueError(f"bias is True or False, got {bias!r}")
        nin = _whole(in_features, "a Linear needs at least one input as in_features")
        nout = _whole(out_features, "a Linear needs at least one output as out_features")
        return nout * (nin + (1 if bias else 0))

    def forward(self, x: Sample) -> Outputs:
        x = as_inputs(x, self.in_features, "this Linear")
        x = [xi if isinstance(xi, Value) else Value(xi) for xi in x]  # once, not per output
        if self.bias is None:
            out = [dot(row, x) for row in self.weight]
        else:
            out = [dot(row, x, b) for row, b in zip(self.weight, self.bias)]
        return out[0] if len(out) == 1 else out

    if TYPE_CHECKING:  # calling the module runs forward (Module.__init_subclass__ sees to it)
        __call__ = forward

    def config(self) -> dict[str, Any]:
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias is not None, "init": self.init}

    def torch_form(self) -> tuple[Any, ...]:
        return ("Linear", self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, " \
               f"bias={self.bias is not None}"


class Activation(Module):
    """A function applied to each output of the module before it (a Value, a number, or a
    list of them): no parameters."""

    def function(self, v: Value) -> Value:
        raise NotImplementedError

    @overload
    def forward(self, x: Value | float) -> Value: ...
    @overload
    def forward(self, x: Iterable[Value | float]) -> list[Value]: ...
    @overload
    def forward(self, x: Iterable[Any]) -> list[Any]: ...  # lists of lists, and so on

    def forward(self, x: Value | float | Iterable[Any]) -> Value | list[Any]:
        if isinstance(x, Value):
            return self.function(x)
        if isinstance(x, numbers.Real):
            return self.function(Value(x))
        return [self.forward(xi) for xi in x]

    if TYPE_CHECKING:  # calling the module runs forward (Module.__init_subclass__ sees to it)
        __call__ = forward

    @classmethod
    def parameter_count(cls, **config: Any) -> int:
        cls(**config)  # what the constructor refuses, refused here too
        return 0


class ReLU(Activation):
    """max(0, x) for each input (PyTorch's nn.ReLU)."""

    def function(self, v: Value) -> Value:
        return v.relu()

    def torch_form(self) -> tuple[Any, ...]:
        return ("ReLU",)


class Tanh(Activation):
    """tanh(x) for each input (PyTorch's nn.Tanh)."""

    def function(self, v: Value) -> Value:
        return v.tanh()

    def torch_form(self) -> tuple[Any, ...]:
        return ("Tanh",)


class Sigmoid(Activation):
    """1 / (1 + e^-x) for each input (PyTorch's nn.Sigmoid)."""

    def function(self, v: Value) -> Value:
        return v.sigmoid()

    def torch_form(self) -> tuple[Any, ...]:
        return ("Sigmoid",)


class LeakyReLU(Activation):
    """x where x > 0, else negative_slope·x, for each input (PyTorch's nn.LeakyReLU, slope
    0.01 by default)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        Value(0.0).leaky_relu(negative_slope)  # a finite number, or a ValueError
        self.negative_slope = float(negative_slope)

    def function(self, v: Value) -> Value:
        return v.leaky_relu(self.negative_slope)

    def torch_form(self) -> tuple[Any, ...]:
        return ("LeakyReLU", self.negative_slope)

    def config(self) -> dict[str, Any]:
        return {"negative_slope": self.negative_slope}

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Identity(Activation):
    """Its input, unchanged (PyTorch's nn.Identity)."""

    # unlike the other activations, numbers come back as they went in, not as Values
    def forward(self, x: T) -> T:  # type: ignore[override]
        return x

    if TYPE_CHECKING:
        __call__ = forward  # type: ignore[assignment]

    def torch_form(self) -> tuple[Any, ...]:
        return ("Identity",)


class Sequential(Module):
    """Modules applied one after another, as PyTorch's `nn.Sequential(*modules)`: the output
    of each is the input of the next. The modules are named "0", "1", ... (parameters
    "0.weight.0.1", as PyTorch's "0.weight"); `model[i]`, `len(model)`, iteration and
    `append` work as PyTorch's. A Sequential of chainrule's modules is saved and rebuilt by
    `Sequential.from_file`; one holding modules of one's own is saved and `load`ed."""

    def __init__(self, *modules: Module) -> None:
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential takes modules (nn.Module), got "
                                f"{type(module).__name__} as module {i}")
        self._layers = list(modules)

    def named_members(self) -> Iterator[tuple[str, Module]]:
        return ((str(i), module) for i, module in enumerate(self._layers))

    def forward(self, x: Any) -> Any:  # whatever the last module gives
        for module in self._layers:
            x = module(x)
        return x

    @overload
    def __getitem__(self, index: int) -> Module: ...
    @overload
    def __getitem__(self, index: slice) -> Sequential: ...

    def __getitem__(self, index: int | slice) -> Module | Sequential:
        if isinstance(index, slice):
            return Sequential(*self._layers[index])
        return self._layers[index]

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers)

    def append(self: S, module: Module) -> S:
        if not isinstance(module, Module):
            raise TypeError(f"Sequential takes modules (nn.Module), got {type(module).__name__}")
        self._layers.append(module)
        return self

    def config(self) -> dict[str, Any]:
        return {"modules": [{"class": type(m).__name__, "config": m.config()}
                            for m in self._layers]}

    def torch_form(self) -> tuple[Any, ...]:
        return ("Sequential", list(self._layers))

    @classmethod
    def parameter_count(cls, modules: Sequence[dict[str, Any]] = (), **unexpected: Any) -> int:
        return sum(kind.parameter_count(**config)
                   for kind, config in _described(modules, unexpected))

    @classmethod
    def from_config(cls: type[S], modules: Sequence[dict[str, Any]] = (),
                    **unexpected: Any) -> S:
        return cls(*(kind.from_config(**config)
                     for kind, config in _described(modules, unexpected)))


def _described(modules, unexpected):
    """(class, config) for each module a Sequential's config lists: only chainrule's own
    module classes (a file never names code to run)."""
    if unexpected:
        raise ValueError(f"a Sequential's config holds only 'modules', not "
                         f"{', '.join(map(repr, unexpected))}")
    if not isinstance(modules, (list, tuple)):
        raise ValueError(f"a Sequential's modules are a list, got {type(modules).__name__}")
    described = []
    for i, entry in enumerate(modules):
        if not isinstance(entry, dict) or set(entry) != {"class", "config"} \
                or not isinstance(entry["config"], dict):
            raise ValueError(f"module {i} of the Sequential is not {{'class': ..., "
                             f"'config': {{...}}}}")
        kind = BUILDABLE.get(entry["class"]) if isinstance(entry["class"], str) else None
        if kind is None:
            raise ValueError(f"module {i} of the Sequential is a {entry['class']!r}, which "
                             f"from_file cannot build (it builds {', '.join(BUILDABLE)}): "
                             f"build the model and call its load() instead")
        described.append((kind, entry["config"]))
    return described


# the module classes a model file may name inside a Sequential
BUILDABLE = {kind.__name__: kind for kind in (Neuron, Layer, MLP, Linear, Sequential, ReLU,
                                                Tanh, Sigmoid, LeakyReLU, Identity)}
