"""Module: what every model has — parameters, zero_grad, state_dict, and safe save / load.

A saved model is JSON: its class, the arguments that rebuild it, and every parameter by name.
Loading never runs code from the file (no pickle), reads only a regular file of sane size, checks
the size of the architecture before building it and everything else before touching the model;
writing goes to a temporary file that replaces the old one only when complete.
"""
from __future__ import annotations

import errno
import json
import math
import numbers
import os
import stat
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import numpy as np

from autograd import Value, write_atomically

if TYPE_CHECKING:
    from .losses import Loss

# One sample's inputs, as a module takes them: a list (or a numpy row) of numbers or Values;
# a single number or Value for one input.
Sample: TypeAlias = Value | float | Iterable[Value | float]
# Where a model file is.
FilePath: TypeAlias = str | os.PathLike[str]
M = TypeVar("M", bound="Module")  # a Module of one's own class, as load and from_file return

FORMAT = "chainrule-model"
VERSION = 1
# A model file is at most this big, and holds at most this many parameters: a scalar engine
# keeps each parameter as a Python object (about 160 bytes), and a million is far beyond what
# it trains in reasonable time. A file of a million parameters is about 50 MB.
MAX_FILE_BYTES = 256 * 2**20
MAX_PARAMETERS = 1_000_000
# document -> config -> a list in it, and a Sequential's modules -> each module's class and
# config, nested as Sequentials nest; anything deeper is not a model file
MAX_NESTING = 32


class ModelFileError(ValueError):
    """A model file that is missing, truncated, corrupted or made for another model."""


class Module:
    """Base class of every model, used as PyTorch's `torch.nn.Module` is.

    A subclass assigns its sub-modules and Values (and lists, tuples or dicts of them) as
    attributes in `__init__` and computes its output in `forward`; `model(x)` calls
    `forward(x)`. The attributes are found where they are needed, so `parameters()`,
    `named_parameters()` (names such as "layer1.w.0": the attribute, then the index),
    `state_dict()`, `zero_grad()`, `save` and `load` see them, with or without a call to
    `super().__init__()`. A Value reachable by two names is one parameter, under its first;
    attributes whose names begin with "_" are private and not searched.

    `config()` gives the keyword arguments that rebuild the architecture (`{}` by default),
    which `save` writes and `load` checks; `from_file` needs `parameter_count` too.
    """

    trained_loss: Loss  # set by nn.fit: how predict() and evaluate() read the outputs

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass's own forward is what calling it runs, even below a module (Neuron, Layer,
        # MLP) whose __call__ is written out for speed.
        if "forward" in vars(cls) and "__call__" not in vars(cls):
            cls.__call__ = Module.__call__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The module's output; a subclass defines it (calling the module runs it)."""
        raise NotImplementedError(f"{type(self).__name__} defines no forward(): a Module "
                                  f"subclass computes its output in forward(self, x)")

    def named_members(self) -> Iterator[tuple[str, Value | Module]]:
        """(name, item) for each Value and sub-module this module holds directly, in the order
        of assignment: attributes, and the items of lists, tuples and dicts in them (named
        "attribute.index" or "attribute.key"). Attributes whose names begin with "_" are
        private: a Value kept there (a cache, a constant) is not a parameter."""
        for name, item in vars(self).items():
            if not name.startswith("_"):
                yield from _members(name, item, 0)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each sub-module held directly."""
        seen = set()
        for name, item in self.named_members():
            if isinstance(item, Module) and id(item) not in seen:
                seen.add(id(item))
                yield name, item

    def children(self) -> list[Module]:
        return [module for _, module in self.named_children()]

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(name, module) for this module ("") and every module inside it, depth first."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            inner = [(f"{name}.{child}" if name else child, m)
                     for child, m in module.named_children()]
            stack.extend(reversed(inner))

    def modules(self) -> list[Module]:
        return [module for _, module in self.named_modules()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """(name, Value) pairs in a fixed order: the Values held directly and those of the
        sub-modules, each once."""
        named, seen = [], set()
        for name, item in self.named_members():
            inner = [(name, item)] if isinstance(item, Value) else \
                [(f"{name}.{n}", p) for n, p in item.named_parameters()]
            for full, p in inner:
                if id(p) not in seen:
                    seen.add(id(p))
                    named.append((full, p))
        return named

    def parameters(self) -> list[Value]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to 0 (backward() accumulates; see autograd)."""
        for p in self.parameters():
            p.grad = 0.0

    def extra_repr(self) -> str:
        """What repr shows between the parentheses besides the sub-modules (PyTorch's hook)."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's form: the class, then each sub-module, indented, by name."""
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(module).replace("\n", "\n  ")
                 for name, module in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"

    def config(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this module's architecture."""
        return {}

    def state_dict(self) -> dict[str, float]:
        """{parameter name: float}, in parameter order."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, float]) -> None:
        """Set every parameter from {name: number}: any real number but a bool (floats, ints,
        numpy scalars), finite and within a float's range. The names must match exactly;
        nothing is changed unless everything checks out."""
        if not isinstance(state, dict):
            raise ModelFileError(f"a state dict is a dict of numbers, got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if missing or unexpected:
            raise ModelFileError(
                f"the parameters do not match this {type(self).__name__} "
                f"({len(params)} parameters, {len(state)} given): missing {_some(missing)}, "
                f"unexpected {_some(unexpected)}")
        values = {name: _parameter_value(name, number) for name, number in state.items()}
        for name, p in params.items():
            p.data = values[name]

    def to_torch(self) -> Any:  # a torch.nn.Module (torch is optional)
        """This model as a torch.nn.Module in float64, computing the same outputs from copies
        of the same parameters; `nn.from_torch` reads one back. Linear, Sequential and the
        activation modules become their torch namesakes; an MLP, a Layer or a Neuron a torch
        Sequential. A subclass with a forward of its own gives a module holding its
        sub-modules and parameters but no forward (chainrule does not translate Python): see
        nn/torch_build.py. Needs torch installed (`pip install torch`)."""
        from .torch_build import to_torch
        return to_torch(self)

    @classmethod
    def from_config(cls: type[M], **config: Any) -> M:
        """The module `config` describes: `cls(**config)` unless a module builds otherwise."""
        return cls(**config)

    @classmethod
    def parameter_count(cls, **config: Any) -> int:
        """How many parameters `cls(**config)` has, found without building it. `from_file`
        needs it, so that a small file cannot make it build something enormous."""
        raise NotImplementedError(f"{cls.__name__} does not say how many parameters a config "
                                  f"gives (parameter_count), so it cannot be read from a file")

    # -- files --

    def save(self, path: FilePath) -> None:
        """Write the architecture and parameters to `path` as JSON, atomically. A path that
        cannot be written (a folder, a missing folder) raises an OSError naming it."""
        for name, value in self.state_dict().items():
            if not math.isfinite(value):
                raise ValueError(f"cannot save: parameter {name!r} is {value} "
                                 f"(did training diverge? try a smaller learning rate)")
        document = {"format": FORMAT, "version": VERSION, "class": type(self).__name__,
                    "config": self.config(), "parameters": self.state_dict()}
        if _nesting(document) > MAX_NESTING:  # a file that load would refuse is not written
            raise ValueError(f"cannot save: the {type(self).__name__}'s config nests more "
                             f"than a model file may ({MAX_NESTING} levels)")
        write_atomically(path, json.dumps(document, indent=1))

    def load(self: M, path: FilePath) -> M:
        """Set this model's parameters from a file written by `save` for the same architecture.

        A missing, truncated, corrupted or mismatched file raises ModelFileError (or
        FileNotFoundError) and leaves the model as it was.
        """
        document = read_model_file(path)
        if document["class"] != type(self).__name__ or document["config"] != self.config():
            raise ModelFileError(
                f"{_where(path)}: the file holds a {_shown(document['class'])} with "
                f"{_shown(document['config'])}, not this {type(self).__name__} with "
                f"{self.config()}")
        _set_parameters(self, document, path)
        return self

    @classmethod
    def from_file(cls: type[M], path: FilePath) -> M:
        """Rebuild a model, architecture and parameters, from a file written by `save`."""
        document = read_model_file(path)
        if document["class"] != cls.__name__:
            raise ModelFileError(f"{_where(path)}: the file holds a "
                                 f"{_shown(document['class'])}, not a {cls.__name__}")
        model = _build(cls, document["config"], len(document["parameters"]), path)
        _set_parameters(model, document, path)
        return model


# lists inside lists (a weight matrix) are followed this deep, and no deeper: a list that holds
# itself is not followed for ever
MAX_MEMBER_NESTING = 8


def _members(name, item, depth):
    """(name, Value or Module) found in an attribute's value: itself, or the items of a list,
    tuple or dict of them (numpy arrays of Values too), named "name.index" / "name.key"."""
    if isinstance(item, (Value, Module)):
        yield name, item
    elif depth < MAX_MEMBER_NESTING:
        if isinstance(item, np.ndarray) and item.dtype == object:
            item = item.tolist()
        if isinstance(item, (list, tuple)):
            for i, inner in enumerate(item):
                yield from _members(f"{name}.{i}", inner, depth + 1)
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, (str, int)) and not isinstance(key, bool):
                    yield from _members(f"{name}.{key}", inner, depth + 1)


def read_model_file(path: FilePath) -> dict[str, Any]:
    """The checked JSON document of a model file.

    Anything that is not one (not a regular file, too big, not UTF-8, not JSON, nested too
    deeply, not a model file) raises ModelFileError naming the path; no file, FileNotFoundError.
    """
    text = _read_text(path)
    try:
        document = json.loads(text, object_pairs_hook=_refuse_repeated_keys)
    except json.JSONDecodeError as error:
        raise ModelFileError(f"{_where(path)}: not a complete model file (truncated or "
                             f"corrupted: {error})") from None
    except RecursionError:
        raise ModelFileError(f"{_where(path)}: not a model file: nested too deeply") from None
    except ValueError as error:  # a number too long to read, a key twice
        raise ModelFileError(f"{_where(path)}: not a valid model file: "
                             f"{clipped(str(error))}") from None
    _check_document(document, path)
    return document


def _read_text(path):
    """The file's text, refusing anything but a regular UTF-8 file of at most MAX_FILE_BYTES."""
    # O_NONBLOCK: opening a FIFO would otherwise wait forever for a writer
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:  # no file, no permission: the error names the path
        if error.errno != errno.ENXIO:
            raise
        raise ModelFileError(f"{_where(path)} is a socket or a device with nothing behind "
                             f"it, not a model file") from None
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            raise ModelFileError(f"{_where(path)} is {_kind(status.st_mode)}, not a model file")
        if status.st_size > MAX_FILE_BYTES:
            raise ModelFileError(f"{_where(path)}: {status.st_size:,} bytes is too big for a "
                                 f"model file (at most {MAX_FILE_BYTES:,})")
        with os.fdopen(handle, "rb", closefd=False) as file:
            data = file.read(MAX_FILE_BYTES + 1)  # the file may have grown since fstat
    finally:
        os.close(handle)
    if len(data) > MAX_FILE_BYTES:
        raise ModelFileError(f"{_where(path)}: too big for a model file (more than "
                             f"{MAX_FILE_BYTES:,} bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ModelFileError(f"{_where(path)}: not a model file: not UTF-8 text (byte "
                             f"{error.start})") from None


def _kind(mode):
    for is_kind, kind in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                          (stat.S_ISSOCK, "a socket")):
        if is_kind(mode):
            return kind
    return "not a regular file"


def _refuse_repeated_keys(pairs):
    # json.loads keeps the last of repeated keys; in a model file that would silently pick one
    # of two values for a parameter
    document = dict(pairs)
    if len(document) != len(pairs):
        seen = set()
        repeated = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"the key {_shown(repeated)} appears twice")
    return document


def _check_document(document, path):
    if _nesting(document) > MAX_NESTING:
        raise ModelFileError(f"{_where(path)}: not a model file: nested too deeply")
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{_where(path)}: not a chainrule model file")
    version = document.get("version")
    if isinstance(version, bool) or version != VERSION:
        raise ModelFileError(f"{_where(path)}: model file version {_shown(version)}; "
                             f"this chainrule reads version {VERSION}")
    for key, kind in (("class", str), ("config", dict), ("parameters", dict)):
        if not isinstance(document.get(key), kind):
            raise ModelFileError(f"{_where(path)}: the model file has no valid {key!r}")
    if len(document["parameters"]) > MAX_PARAMETERS:
        raise ModelFileError(f"{_where(path)}: more than the {MAX_PARAMETERS:,} parameters a "
                             f"model file may hold")


def _nesting(value):
    """How deeply lists and dicts nest in a parsed JSON value, found without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1)
                         for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _build(cls, config, parameters_in_file, path):
    """cls(**config), once the size the config implies is known to be sane and to match the
    file's parameters; the model built must report the same config."""
    try:
        count = cls.parameter_count(**config)
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"{_where(path)}: the architecture in the file is not valid: "
                             f"{clipped(str(error))}") from None
    if count > MAX_PARAMETERS:
        raise ModelFileError(f"{_where(path)}: the architecture in the file has more than the "
                             f"{MAX_PARAMETERS:,} parameters a model file may hold")
    if count != parameters_in_file:
        raise ModelFileError(f"{_where(path)}: the architecture in the file has {count} "
                             f"parameters, but the file holds {parameters_in_file}")
    try:
        model = cls.from_config(**config)
    except (TypeError, ValueError, ArithmeticError) as error:  # what the constructor refuses
        raise ModelFileError(f"{_where(path)}: the architecture in the file is not valid: "
                             f"{clipped(str(error))}") from None
    _check_rebuilt(model, config, path)
    return model


def _check_rebuilt(model, config, path):
    """The model built must report the file's config; if not, the constructor read a value as
    something else (an activation of null as the default) or took one it does not keep."""
    rebuilt = model.config()
    for key in sorted(config.keys() | rebuilt.keys()):
        if key not in config or key not in rebuilt or config[key] != rebuilt[key]:
            raise ModelFileError(
                f"{_where(path)}: the architecture in the file is not valid: {_shown(key)} is "
                f"{_entry(config, key)} in the file, but {_entry(rebuilt, key)} in the "
                f"{type(model).__name__} built from it")


def _entry(config, key):
    return _shown(config[key]) if key in config else "absent"


def _set_parameters(model, document, path):
    try:
        model.load_state_dict(document["parameters"])
    except ModelFileError as error:
        raise ModelFileError(f"{_where(path)}: {error}") from None


def _parameter_value(name, number):
    if isinstance(number, bool) or not isinstance(number, numbers.Real):
        raise ModelFileError(f"parameter {_shown(name)} is not a number: {_shown(number)}")
    try:
        value = float(number)
    except OverflowError:
        raise ModelFileError(f"parameter {_shown(name)} is beyond the range of a float "
                             f"(about 1.8e308)") from None
    if not math.isfinite(value):
        raise ModelFileError(f"parameter {_shown(name)} is not finite: {value!r}")
    return value


def _where(path):
    """The path as messages show it: quoted, so that spaces and newlines in it are visible."""
    return repr(os.fsdecode(path))


def _shown(value, limit=80):
    """A value from a file as a message shows it: its repr, clipped (files can be hostile)."""
    try:
        return clipped(repr(value), limit)
    except (RecursionError, ValueError):  # nested too deeply; an int too long to print
        return f"<a {type(value).__name__}>"


def clipped(text: str, limit: int = 200) -> str:
    """text, cut to `limit` characters and "..." if longer (a message stays one short line)."""
    return text if len(text) <= limit else text[:limit] + "..."


def _some(names):
    shown = ", ".join(_shown(name) for name in names[:5])
    return f"[{shown}{', ...' if len(names) > 5 else ''}]"


def as_inputs(x: Sample, expected: int, who: str) -> list[Value | float]:
    """A sample as a list of numbers or Values, checked to have `expected` entries."""
    if type(x) is list and len(x) == expected:
        return x  # the common case (a Layer hands each neuron its list), before slower checks
    if isinstance(x, (numbers.Real, Value)) or getattr(x, "ndim", None) == 0:
        x = [x]
    x = list(x)
    if len(x) != expected:
        raise ValueError(f"{who} takes {expected} inputs, got {len(x)}")
    return x
