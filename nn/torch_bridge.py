"""PyTorch -> chainrule: `nn.from_torch(torch_module)`, the way back from `model.to_torch()`
(which nn/torch_build.py makes). torch is imported only when it runs.

    torch_model = model.to_torch()        # train on in torch, in float64 ...
    model = nn.from_torch(torch_model)    # ... and come back
"""
from __future__ import annotations

import math
from typing import Any, TypeVar, overload

from .layers import (MLP, Identity, Layer, LeakyReLU, Linear, Neuron, ReLU, Sequential, Sigmoid,
                     Tanh)
from .module import Module
from .torch_build import MARKER, require_torch, to_torch, torch_layout

READS = ("Sequential", "Linear", "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "Identity")
ACTIVATIONS = {"ReLU": ReLU, "Tanh": Tanh, "Sigmoid": Sigmoid, "Identity": Identity}
# what a to_torch marker may name: a chainrule class built from its config again
MARKED = {"MLP": MLP, "Layer": Layer, "Neuron": Neuron}
M = TypeVar("M", bound=Module)  # the model given as `into`, returned as itself
SUPPORTED = "torch.nn.Sequential, Linear, ReLU, Tanh, Sigmoid, LeakyReLU and Identity"


def _changed_call(torch, module):
    """True if calling the module does more than its forward: hooks (torch keeps them in these
    dicts) or an overridden __call__."""
    hooks = ("_forward_hooks", "_forward_pre_hooks")
    return (any(getattr(module, name, None) for name in hooks)
            or type(module).__call__ is not torch.nn.Module.__call__)


@overload
def from_torch(module: Any) -> Module: ...


@overload
def from_torch(module: Any, into: M) -> M: ...


def from_torch(module: Any, into: Module | None = None) -> Module:
    """The chainrule model that computes what the torch module computes, its parameters
    read exactly (float32 and float16 widen to float64 exactly).

    It reads torch.nn.Sequential (nested too), Linear (with or without bias), ReLU, Tanh,
    Sigmoid, LeakyReLU (its slope) and Identity into chainrule's namesakes, and whatever
    `model.to_torch()` made: an MLP, Layer or Neuron converted by it comes back as one, with
    the same config and parameters (unless it was changed in torch since: then as the
    Sequential it has become). Modules and parameters held twice stay shared. Anything else
    is a TypeError naming its torch type and where it is; non-finite parameters are refused,
    as `load_state_dict` refuses them.

    For any other model — a torch module with a forward of its own, or the parameters-only
    module that to_torch makes of a chainrule Module subclass — build the chainrule model and
    give it as `into`: its parameters are set from the torch module's state_dict, by the names
    `into.to_torch()` would have ("fc1.weight" for chainrule's "fc1.weight.0.0", ...; an MLP's
    are "0.weight", "0.bias", "2.weight", ...), and `into` is returned. Names and shapes must
    match exactly; nothing is changed unless everything checks out.
    """
    torch = require_torch("from_torch")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch reads a torch.nn.Module, got {_kind(module)}")
    if into is None:
        return _Reader(torch).read(module, "")
    if not isinstance(into, Module):
        raise TypeError(f"from_torch's into is the chainrule model to load the parameters "
                        f"into, got {_kind(into)}")
    _load(torch, module, into)
    return into


def _kind(thing):
    """What a wrong argument is, as a message says it: "a torch.Tensor", "a str", "None"."""
    if thing is None:
        return "None"
    if isinstance(thing, Module):
        return f"chainrule's {type(thing).__name__} (a chainrule model already)"
    kind = type(thing)
    name = kind.__qualname__ if kind.__module__ == "builtins" else \
        f"{kind.__module__}.{kind.__qualname__}"
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _torch_name(torch, module):
    """"torch.nn.GELU" rather than "torch.nn.modules.activation.GELU"; a class of one's own by
    its module and name."""
    kind = type(module)
    if getattr(torch.nn, kind.__name__, None) is kind:
        return f"torch.nn.{kind.__name__}"
    return f"{kind.__module__}.{kind.__qualname__}"


def _plain(torch, module):
    """Which torch module `module` is of those from_torch reads: it, or a subclass of it that
    keeps its forward; None for anything else."""
    for name in READS:
        cls = getattr(torch.nn, name)
        if isinstance(module, cls) and type(module).forward is cls.forward:
            return name
    return None


def _place(where):
    return f"module {where[:-1]!r}" if where else "the module"


class _Reader:
    """One reading: what it has built so far, so that what torch shares stays shared."""

    def __init__(self, torch):
        self.torch = torch
        self.modules = {}  # id(torch module) -> (it, chainrule module)
        self.tensors = {}  # id(torch tensor) -> (it, its chainrule Values)

    def read(self, module, where):
        if not isinstance(module, self.torch.nn.Module):
            raise TypeError(f"from_torch: {_place(where)} is {_kind(module)}, not a "
                            f"torch.nn.Module")
        if id(module) in self.modules:
            return self.modules[id(module)][1]
        kind = _plain(self.torch, module)
        marker = getattr(module, MARKER, None)
        marked = marker.get("class") if isinstance(marker, dict) else None
        marked = marked if isinstance(marked, str) else None
        if kind is None:
            if marked is not None and marked not in MARKED:
                raise TypeError(
                    f"from_torch: {_place(where)} holds the parameters of chainrule's "
                    f"{marked[:80]}, whose forward to_torch did not translate: load them into "
                    f"one with nn.from_torch(module, into={marked[:80]}(...))")
            raise TypeError(f"from_torch cannot read {_place(where)}, a "
                            f"{_torch_name(self.torch, module)}: it reads {SUPPORTED}. For "
                            f"another model, build its chainrule twin and load it with "
                            f"nn.from_torch(module, into=twin)")
        if kind in ACTIVATIONS:
            built = ACTIVATIONS[kind]()
        else:  # sequential, linear, leakyrelu
            built = getattr(self, kind.lower())(module, where)
        if _changed_call(self.torch, module):
            raise TypeError(f"from_torch: {_place(where)}, a {_torch_name(self.torch, module)}, "
                            f"has forward hooks or a __call__ of its own, which change what it "
                            f"computes and which from_torch cannot read: remove them first "
                            f"(handle.remove() for a hook)")
        if marked in MARKED:
            built = self.rebuilt(module, MARKED[marked], marker.get("config"), built)
        self.modules[id(module)] = (module, built)
        return built

    def sequential(self, module, where):
        return Sequential(*(self.read(inner, f"{where}{i}.") for i, inner in enumerate(module)))

    def linear(self, module, where):
        weight = self.tensor(module.weight, f"{where}weight", 2)
        bias = None if module.bias is None else self.tensor(module.bias, f"{where}bias", 1)
        rows, columns = weight[0]
        if bias is not None and bias[0] != (rows,):
            raise ValueError(f"from_torch: {where}bias has shape {list(bias[0])}, but the "
                             f"weight has {rows} rows")
        try:
            linear = Linear(columns, rows, bias=bias is not None, seed=0)  # not Python's random
        except ValueError:
            raise ValueError(f"from_torch: {_place(where)} is a Linear({columns}, {rows}), and "
                             f"chainrule's Linear has at least one input and one output") from None
        linear.weight = self.values(module.weight, weight[1], linear.weight,
                                    [v for row in linear.weight for v in row])
        if bias is not None:
            linear.bias = self.values(module.bias, bias[1], linear.bias, linear.bias)
        return linear

    def leakyrelu(self, module, where):
        try:
            return LeakyReLU(module.negative_slope)
        except (TypeError, ValueError) as error:
            raise ValueError(f"from_torch: {_place(where)}: {error}") from None

    def tensor(self, tensor, where, dimensions):
        """(shape, numbers row-major) of one of a Linear's tensors, checked."""
        shape, numbers = _numbers(self.torch, tensor, where)
        if len(shape) != dimensions:
            raise ValueError(f"from_torch: {where} has shape {list(shape)}; a Linear's has "
                             f"{dimensions} dimension{'s' if dimensions > 1 else ''}")
        return shape, numbers

    def values(self, tensor, numbers, fresh, flat):
        """The chainrule Values of a torch tensor: those made for it before (a tensor two
        modules share), else `fresh` (the Linear's new lists; `flat`, their Values row-major)
        set to its numbers."""
        if id(tensor) in self.tensors:
            return self.tensors[id(tensor)][1]
        for v, number in zip(flat, numbers):
            v.data = number
        self.tensors[id(tensor)] = (tensor, fresh)
        return fresh

    def rebuilt(self, module, cls, config, plain):
        """The MLP, Layer or Neuron to_torch made `module` from, if it still is one; else the
        plain reading."""
        if not isinstance(config, dict):
            return plain
        try:
            if cls.parameter_count(**config) != len(plain.parameters()):
                return plain
            model = cls(**config, seed=0)
        except (TypeError, ValueError):
            return plain
        if _structure(self.torch, to_torch(model)) != _structure(self.torch, module):
            return plain
        return _load(self.torch, module, model)


def _structure(torch, module):
    """What the module computes, parameters aside: its kinds, sizes and slopes, nested."""
    kind = _plain(torch, module)
    if kind == "Sequential":
        return kind, tuple(_structure(torch, inner) for inner in module)
    if kind == "Linear":
        return kind, tuple(module.weight.shape), module.bias is not None
    if kind == "LeakyReLU":
        return kind, module.negative_slope
    return (kind,)


def _numbers(torch, tensor, where):
    """(shape, its numbers as floats, row-major): exact (float32, float16 widen exactly),
    finite, real."""
    if torch.nn.parameter.is_lazy(tensor):
        raise ValueError(f"from_torch: {where} is not made yet (a lazy module): run the torch "
                         f"module once first")
    if not tensor.is_floating_point():
        raise TypeError(f"from_torch: {where} holds {tensor.dtype} numbers, not real floats")
    if tensor.is_meta:
        raise ValueError(f"from_torch: {where} is on the meta device: it holds no numbers")
    tensor = tensor.detach().to(device="cpu", dtype=torch.float64)
    numbers = tensor.reshape(-1).tolist()
    for i, number in enumerate(numbers):
        if not math.isfinite(number):
            raise ValueError(f"from_torch: {where}{_index(tensor.shape, i)} is {number}: "
                             f"chainrule's parameters are finite numbers (as load_state_dict "
                             f"refuses them)")
    return tuple(tensor.shape), numbers


def _index(shape, i):
    index = []
    for size in reversed(shape):
        index.append(i % size)
        i //= size
    return f"[{', '.join(map(str, reversed(index)))}]" if shape else ""


def _load(torch, module, into):
    """Set `into`'s parameters from the torch module's state_dict, by to_torch's names."""
    layout = torch_layout(into)
    state = module.state_dict()
    missing = [name for name in layout if name not in state]
    unexpected = [name for name in state if name not in layout]
    if missing or unexpected:
        raise ValueError(f"from_torch: the torch {type(module).__name__}'s parameters do not "
                         f"match this {type(into).__name__}'s: missing {missing[:5]}, "
                         f"unexpected {unexpected[:5]}")
    numbers = {}  # id(Value) -> (number, where it came from)
    for name, (shape, values) in layout.items():
        found, read = _numbers(torch, state[name], name)
        if found != shape:
            raise ValueError(f"from_torch: {name} has shape {list(found)} in the torch module "
                             f"but {list(shape)} in this {type(into).__name__}")
        for i, (v, number) in enumerate(zip(values, read)):
            before = numbers.setdefault(id(v), (number, f"{name}{_index(shape, i)}"))
            if before[0] != number:
                raise ValueError(f"from_torch: {before[1]} and {name}{_index(shape, i)} are "
                                 f"one parameter in this {type(into).__name__}, but hold "
                                 f"{before[0]} and {number} in the torch module")
    named = {id(p): name for name, p in into.named_parameters()}
    into.load_state_dict({named[i]: number for i, (number, _) in numbers.items()})
    return into
