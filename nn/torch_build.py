"""chainrule -> PyTorch: the torch.nn.Module, in float64, that computes what a chainrule module
computes (`Module.to_torch()`); nn/torch_bridge.py reads the other way (`nn.from_torch`).

torch is imported only when a conversion runs, and its absence is one clear error. This file
imports nothing of nn's (module.py calls it, and layers.py imports module.py), so a module class
says what it is in torch's terms with a `torch_form()` method, one of:

    ("Linear", rows, bias)      rows: a list of rows of Values (row j = output j, PyTorch's
                                weight[j]); bias: a list of Values, or None
    ("ReLU",) ("Tanh",) ("Sigmoid",) ("Identity",) ("LeakyReLU", negative_slope)
    ("Sequential", items)       items: forms, or chainrule modules (converted in turn)

A class that computes its output its own way (a `forward` of its own, below the class that
gave the form) has no form: it becomes a `ChainruleParts`, a torch module that holds its
sub-modules and parameters under the same names but no forward (see `to_torch`).
"""
import functools
import math

import numpy as np

from autograd import Value

# the marker to_torch leaves on a torch module made from a chainrule module that torch has no
# class of its own for (an MLP becomes a torch Sequential): {"class": "MLP", "config": {...}}
MARKER = "chainrule_config"
FORM_KINDS = ("Linear", "Sequential", "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "Identity")
# lists inside lists are followed this deep, as Module.named_members follows them
MAX_NESTING = 8


def require_torch(who):
    """The torch package, or one clear error saying how to get it."""
    try:
        import torch
    except ImportError:
        raise ModuleNotFoundError(f"{who} needs PyTorch, which is not installed: "
                                  f"pip install torch", name="torch") from None
    return torch


def to_torch(module):
    """A torch.nn.Module in float64 that computes what `module` computes, with the same
    parameters (copied: training one does not change the other).

    nn.Linear, nn.Sequential and the activation modules become their torch namesakes
    (parameters "0.weight", "0.bias" as chainrule's "0.weight.j.i", "0.bias.j"); an MLP, a
    Layer or a Neuron becomes a torch Sequential of Linear and activation modules (a Linear
    alone when it has no activation), marked so that `nn.from_torch` gives back the same class.
    Modules held twice are one torch module; Values held twice are one torch parameter when
    they fill the same places of it, and an error otherwise (a torch tensor cannot share part
    of itself).

    A Module subclass with a forward of its own is Python that chainrule does not translate:
    it becomes a `ChainruleParts` holding its sub-modules and parameters (a Value, or a list of
    lists of them, as one tensor) under its attribute names, whose forward raises
    NotImplementedError. Write the torch module with the same attributes and a forward, and
    load them: `torch_model.load_state_dict(model.to_torch().state_dict())`.
    """
    torch = require_torch("to_torch")
    for name, p in module.named_parameters():
        if not math.isfinite(p.data):
            raise ValueError(f"cannot convert to torch: parameter {name!r} is {p.data} "
                             f"(did training diverge? try a smaller learning rate)")
    return _Builder(torch).whole(module)


def torch_layout(module):
    """{name in the torch state_dict of module.to_torch(): (shape, the Values that fill the
    tensor, in row-major order)}: how torch's names map onto chainrule's parameters."""
    builder = _Builder(require_torch("from_torch"))
    built = builder.whole(module)
    return {name: (tuple(p.shape), builder.values_of[id(p)])
            for name, p in built.named_parameters(remove_duplicate=False)}


def form_of(module):
    """The class's torch_form(), or None when the module computes its output its own way."""
    cls = type(module)
    owner = _defined_by(cls, "torch_form")
    if owner is None:
        return None
    for name in ("forward", "__call__", "function"):
        definer = _defined_by(cls, name)
        if definer is not None and not issubclass(owner, definer):
            return None  # redefined below the class whose form it is
    return module.torch_form()


def _defined_by(cls, name):
    return next((c for c in cls.__mro__ if name in vars(c)), None)


def is_module(item):
    """A chainrule module (this file cannot import nn.Module: module.py imports this file)."""
    return callable(getattr(type(item), "named_members", None)) and \
        callable(getattr(type(item), "named_parameters", None))


class _Builder:
    """One conversion: what it has built so far, so that what is shared stays shared."""

    def __init__(self, torch):
        self.torch = torch
        self.modules = {}    # id(chainrule module) -> (module, torch module): held twice, one
        self.tensors = {}    # (shape, ids of the Values) -> torch Parameter
        self.placed = {}     # id(Value) -> (the Value, where it went)
        self.values_of = {}  # id(torch Parameter) -> the Values in it, row-major

    def whole(self, module):
        built = self.module(module, "")
        missing = [name for name, p in module.named_parameters() if id(p) not in self.placed]
        if missing:
            raise TypeError(f"cannot convert this {type(module).__name__} to torch: parameters "
                            f"{missing[:5]} are not where to_torch looks (attributes holding "
                            f"Values, lists of them, and modules)")
        return built

    def module(self, module, where):
        if id(module) in self.modules:
            return self.modules[id(module)][1]
        form = form_of(module)
        if form is None:
            built = self.parts(module, where)
        else:
            built = self.form(form, where)
            name = _defined_by(type(module), "torch_form").__name__
            if name not in FORM_KINDS:  # an MLP, a Layer, a Neuron: say what it was
                setattr(built, MARKER, {"class": name, "config": module.config()})
        self.modules[id(module)] = (module, built)
        return built

    def form(self, form, where):
        nn = self.torch.nn
        kind = form[0]
        if kind == "Linear":
            _, rows, bias = form
            width = len(rows[0]) if rows else 0
            linear = nn.Linear(width, len(rows), bias=bias is not None, device="meta",
                               dtype=self.torch.float64)  # no draws from torch's generator
            linear.weight = self.parameter(rows, f"{where}weight")
            if bias is not None:
                linear.bias = self.parameter(bias, f"{where}bias")
            return linear
        if kind == "Sequential":
            return nn.Sequential(*(self.form(item, f"{where}{i}.") if isinstance(item, tuple)
                                   else self.module(item, f"{where}{i}.")
                                   for i, item in enumerate(form[1])))
        if kind == "LeakyReLU":
            return nn.LeakyReLU(form[1])
        if kind in ("ReLU", "Tanh", "Sigmoid", "Identity"):
            return getattr(nn, kind)()
        raise ValueError(f"to_torch: unknown torch form {kind!r} at {where or 'the top'}")

    def parameter(self, values, where):
        """A float64 Parameter holding the Values (a Value, or nested lists of them)."""
        shape, flat = _shape_and_leaves(values, where)
        key = (shape, tuple(map(id, flat)))
        if key in self.tensors:  # the same Values in the same places: one parameter
            return self.tensors[key]
        for i, v in enumerate(flat):
            if id(v) in self.placed:
                raise ValueError(f"cannot convert to torch: one Value is both "
                                 f"{self.placed[id(v)][1]} and {_at(where, shape, i)}, which "
                                 f"torch tensors cannot share")
            self.placed[id(v)] = (v, _at(where, shape, i))
        data = self.torch.tensor([v.data for v in flat], dtype=self.torch.float64)
        tensor = self.torch.nn.Parameter(data.reshape(shape))
        self.tensors[key] = tensor
        self.values_of[id(tensor)] = flat
        return tensor

    def parts(self, module, where):
        """A ChainruleParts holding the module's sub-modules and parameters by attribute."""
        parts = parts_class(self.torch)(type(module).__name__)
        for name, item in vars(module).items():
            if name.startswith("_"):
                continue
            built = self.attribute(item, f"{where}{name}", 0)
            if built is None:
                continue
            try:
                if isinstance(built, self.torch.nn.Parameter):
                    parts.register_parameter(name, built)
                else:
                    parts.add_module(name, built)
            except KeyError as error:  # a name torch keeps for itself ("training")
                raise TypeError(f"cannot convert {type(module).__name__}.{name} to torch: "
                                f"{error.args[0]}") from None
        return parts

    def attribute(self, item, where, depth):
        """What an attribute (or an item in one) becomes: a module; a Parameter (a Value, or
        lists of them); a ModuleList (a list of modules); a ModuleDict or ParameterDict (a
        dict of them). None if it holds no Values and no modules."""
        nn = self.torch.nn
        if is_module(item):
            return self.module(item, f"{where}.")
        leaves = list(_leaves(item, depth))
        if not leaves:
            return None
        if isinstance(item, dict):
            inner = {_key(key, where): self.attribute(value, f"{where}.{key}", depth + 1)
                     for key, value in item.items()
                     if isinstance(key, (str, int)) and not isinstance(key, bool)}
            inner = {key: value for key, value in inner.items() if value is not None}
            if all(isinstance(value, nn.Parameter) for value in inner.values()):
                return nn.ParameterDict(inner)
            if all(isinstance(value, nn.Module) for value in inner.values()):
                return nn.ModuleDict(inner)
        elif all(isinstance(leaf, Value) for leaf in leaves):
            return self.parameter(item, where)
        elif all(is_module(leaf) for leaf in leaves):
            inner = [self.attribute(value, f"{where}.{i}", depth + 1)
                     for i, value in enumerate(_listed(item))]
            if all(isinstance(value, nn.Module) for value in inner):
                return nn.ModuleList(inner)
        raise TypeError(f"cannot convert {where!r} to torch: it mixes Values, modules and "
                        f"other things (to_torch makes a tensor of a Value or of lists of "
                        f"Values, a ModuleList of a list of modules, a ModuleDict or "
                        f"ParameterDict of a dict of them)")


def _listed(item):
    return item.tolist() if hasattr(item, "tolist") else list(item)


def _sequence(item):
    """A list, a tuple or a numpy array of objects: what Module.named_members looks into."""
    return isinstance(item, (list, tuple)) or \
        (isinstance(item, np.ndarray) and item.dtype == object)


def _leaves(item, depth):
    """The Values and modules in an attribute's lists and dicts, as named_members finds them."""
    if isinstance(item, Value) or is_module(item):
        yield item
    elif depth < MAX_NESTING:
        if _sequence(item):
            for inner in _listed(item):
                yield from _leaves(inner, depth + 1)
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, (str, int)) and not isinstance(key, bool):
                    yield from _leaves(inner, depth + 1)


def _key(key, where):
    key = str(key)
    if not key or "." in key:
        raise TypeError(f"cannot convert {where!r} to torch: its key {key!r} cannot name a "
                        f"torch module or parameter (empty, or with a '.')")
    return key


def _shape_and_leaves(values, where, depth=0):
    """(shape, Values in row-major order) of a Value or of rectangular nested lists of them."""
    if isinstance(values, Value):
        return (), [values]
    if not _sequence(values) or depth >= MAX_NESTING:
        raise TypeError(f"cannot convert {where!r} to torch: a tensor is made of Values, "
                        f"and this is a {type(values).__name__}")
    items = _listed(values)
    inner = [_shape_and_leaves(item, f"{where}.{i}", depth + 1) for i, item in enumerate(items)]
    shapes = {shape for shape, _ in inner}
    if len(shapes) > 1:
        raise TypeError(f"cannot convert {where!r} to torch: its lists of Values have "
                        f"different lengths, and a tensor is rectangular")
    shape = (len(items),) + (shapes.pop() if shapes else ())
    return shape, [v for _, flat in inner for v in flat]


def _at(where, shape, i):
    """'0.weight[1, 2]': the place of the i-th number (row-major) of a tensor."""
    index = []
    for size in reversed(shape):
        index.append(i % size)
        i //= size
    return f"{where}[{', '.join(map(str, reversed(index)))}]" if shape else where


@functools.lru_cache(maxsize=None)
def parts_class(torch):
    """ChainruleParts, made once torch is imported."""

    class ChainruleParts(torch.nn.Module):
        """The sub-modules and parameters of a chainrule module whose forward is its own
        Python, under its attribute names; no forward (chainrule does not translate Python).
        Write the torch module with the same attributes and a forward, then
        `torch_model.load_state_dict(parts.state_dict())`."""

        def __init__(self, name):
            super().__init__()
            setattr(self, MARKER, {"class": name})

        def forward(self, *args, **kwargs):
            raise NotImplementedError(
                f"this torch module holds the parameters of chainrule's {self.name} but not "
                f"its forward, which is Python that chainrule does not translate: write a "
                f"torch.nn.Module with the same sub-modules and a forward, and load these "
                f"into it with load_state_dict(this.state_dict())")

        @property
        def name(self):
            return getattr(self, MARKER)["class"]

        def extra_repr(self):
            return f"chainrule's {self.name}, without its forward"

    return ChainruleParts
