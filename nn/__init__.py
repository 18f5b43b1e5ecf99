"""chainrule's nn: neural networks built on the `autograd` engine.

    import nn
    X, y = nn.data.moons(200, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    history = nn.fit(model, X, y, loss="hinge", lr=0.5, epochs=50)
"""
import autograd


def _check_autograd():
    # PyPI's HIPS `autograd` uses the same import name; if it shadows ours, say so plainly.
    if getattr(autograd, "__chainrule__", False):
        return
    where = getattr(autograd, "__file__", None) or "an unknown location"
    raise ImportError(
        f"nn needs chainrule's 'autograd' package, but 'import autograd' found another one at "
        f"{where} (probably PyPI's HIPS autograd, which uses the same name). Both cannot be "
        f"installed in one environment: run 'pip uninstall -y autograd chainrule' and then "
        f"reinstall chainrule, or use a separate virtual environment for each."
    )


_check_autograd()

# one distribution, one version: chainrule's (pyproject.toml; tests/test_distribution.py checks)
__version__ = autograd.__version__

from . import data, engines, losses, optim  # noqa: E402
from .layers import (MLP, Identity, Layer, LeakyReLU, Linear, Neuron, ReLU,  # noqa: E402
                     Sequential, Sigmoid, Tanh)
from .losses import Loss  # noqa: E402
from .module import Module, ModelFileError  # noqa: E402
from .torch_bridge import from_torch  # noqa: E402
from .train import History, accuracy, evaluate, fit, outputs, predict  # noqa: E402

__all__ = ["Module", "Neuron", "Layer", "MLP", "Linear", "Sequential", "ReLU", "Tanh", "Sigmoid",
           "LeakyReLU", "Identity", "ModelFileError", "Loss", "fit", "predict",
           "evaluate", "outputs", "accuracy", "History", "from_torch", "data", "engines", "losses",
           "optim"]
