"""Module: what every model has — parameters, zero_grad, state_dict, and safe save / load.

A saved model is JSON: its class, the arguments that rebuild it, and every parameter by name.
Loading never runs code from the file (no pickle), checks everything before touching the model,
and writing goes to a temporary file that replaces the old one only when complete.
"""
import json
import math

from autograd import Value
from autograd.files import write_atomically

FORMAT = "chainrule-model"
VERSION = 1


class ModelFileError(ValueError):
    """A model file that is missing, truncated, corrupted or made for another model."""


class Module:
    """Base class: subclasses provide `named_parameters()` and `config()`."""

    def named_parameters(self):
        """(name, Value) pairs in a fixed order."""
        return []

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def zero_grad(self):
        """Set every parameter's `.grad` to 0 (backward() accumulates; see autograd)."""
        for p in self.parameters():
            p.grad = 0.0

    def config(self):
        """The keyword arguments that rebuild this module's architecture."""
        return {}

    def state_dict(self):
        """{parameter name: float}, in parameter order."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state):
        """Set every parameter from {name: number}. The names must match exactly; nothing is
        changed unless everything checks out."""
        if not isinstance(state, dict):
            raise ModelFileError(f"a state dict is a dict of numbers, got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if missing or unexpected:
            raise ModelFileError(
                f"the parameters do not match this {type(self).__name__} "
                f"({len(params)} parameters, {len(state)} given): missing {missing[:5]}"
                f"{' ...' if len(missing) > 5 else ''}, unexpected {unexpected[:5]}"
                f"{' ...' if len(unexpected) > 5 else ''}")
        for name, number in state.items():
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise ModelFileError(f"parameter {name!r} is not a number: {number!r}")
            if not math.isfinite(number):
                raise ModelFileError(f"parameter {name!r} is not finite: {number!r}")
        for name, p in params.items():
            p.data = float(state[name])

    # -- files --

    def save(self, path):
        """Write the architecture and parameters to `path` as JSON, atomically."""
        for name, value in self.state_dict().items():
            if not math.isfinite(value):
                raise ValueError(f"cannot save: parameter {name!r} is {value} "
                                 f"(did training diverge? try a smaller learning rate)")
        document = {"format": FORMAT, "version": VERSION, "class": type(self).__name__,
                    "config": self.config(), "parameters": self.state_dict()}
        write_atomically(path, json.dumps(document, indent=1))

    def load(self, path):
        """Set this model's parameters from a file written by `save` for the same architecture.

        A missing, truncated, corrupted or mismatched file raises ModelFileError (or
        FileNotFoundError) and leaves the model as it was.
        """
        document = read_model_file(path)
        if document["class"] != type(self).__name__ or document["config"] != self.config():
            raise ModelFileError(
                f"{path}: the file holds a {document['class']} with {document['config']}, "
                f"not this {type(self).__name__} with {self.config()}")
        self.load_state_dict(document["parameters"])
        return self

    @classmethod
    def from_file(cls, path):
        """Rebuild a model, architecture and parameters, from a file written by `save`."""
        document = read_model_file(path)
        if document["class"] != cls.__name__:
            raise ModelFileError(f"{path}: the file holds a {document['class']}, "
                                 f"not a {cls.__name__}")
        try:
            model = cls(**document["config"])
        except (TypeError, ValueError) as error:
            raise ModelFileError(f"{path}: the architecture in the file is not valid: "
                                 f"{error}") from None
        model.load_state_dict(document["parameters"])
        return model


def read_model_file(path):
    """The checked JSON document of a model file."""
    with open(path, encoding="utf-8") as file:  # FileNotFoundError names the path
        text = file.read()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ModelFileError(f"{path}: not a complete model file (truncated or corrupted: "
                             f"{error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a chainrule model file")
    if document.get("version") != VERSION:
        raise ModelFileError(f"{path}: model file version {document.get('version')!r}; "
                             f"this chainrule reads version {VERSION}")
    for key, kind in (("class", str), ("config", dict), ("parameters", dict)):
        if not isinstance(document.get(key), kind):
            raise ModelFileError(f"{path}: the model file has no valid {key!r}")
    return document


def as_inputs(x, expected, who):
    """A sample as a list of numbers or Values, checked to have `expected` entries."""
    if isinstance(x, (int, float, Value)):
        x = [x]
    x = list(x)
    if len(x) != expected:
        raise ValueError(f"{who} takes {expected} inputs, got {len(x)}")
    return x
