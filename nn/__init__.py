"""chainrule's nn: neural networks built on the `autograd` engine (modules arrive in a later
release; importing it already checks that the right `autograd` is installed)."""
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
