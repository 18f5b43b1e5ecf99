"""Turning DOT text into SVG or PNG with whichever Graphviz renderer this machine has.

The system's `dot` comes first; then the `graphviz-pure` wheel (`pip install "chainrule[viz]"`),
a self-contained dot renderer; with neither, callers show the DOT text and RENDERER_HINT.
"""
import shutil
import subprocess
import sysconfig

RENDERER_HINT = ("No Graphviz renderer found, so here is the DOT text. To see pictures, install "
                 "one: pip install \"chainrule[viz]\" (no system packages needed), or Graphviz "
                 "itself (apt-get install graphviz, brew install graphviz, conda install graphviz).")


class RendererNotFound(RuntimeError):
    """Neither `dot` nor `graphviz-pure` is installed."""


def find_renderer():
    """The command of the first renderer found, or None."""
    dot = shutil.which("dot")
    if dot:
        return dot
    # graphviz-pure lands beside the Python that installed it, which need not be on PATH
    # (a kernel started as venv/bin/python without activating the venv).
    return (shutil.which("graphviz-pure")
            or shutil.which("graphviz-pure", path=sysconfig.get_path("scripts")))


def render(source, fmt, timeout=60):
    """DOT text -> bytes of an 'svg' or 'png' picture."""
    command = find_renderer()
    if command is None:
        raise RendererNotFound(RENDERER_HINT)
    try:
        result = subprocess.run([command, f"-T{fmt}"], input=source.encode("utf-8"),
                                capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{command} took more than {timeout} s to lay out the graph: draw a "
                           f"smaller view (top_k=... or collapse='modules')") from None
    if result.returncode != 0:
        raise RuntimeError(f"{command} could not render the graph: "
                           f"{result.stderr.decode(errors='replace').strip()}")
    return result.stdout
