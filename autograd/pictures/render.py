"""What the pictures and the step-through page share: text escaped for each place it lands,
files to save to, and DOT text turned into SVG or PNG by whichever Graphviz renderer this
machine has.

Labels and names are the user's text. Each goes into a page or a picture through exactly one of
the escaping functions here, once, at the place it lands, so that it always shows as itself and
never as markup.

The system's `dot` comes first; then the `graphviz-pure` wheel (`pip install "chainrule[viz]"`),
a self-contained dot renderer; with neither, callers show the DOT text and RENDERER_HINT.
"""
import html
import json
import os
import re
import shutil
import subprocess
import sysconfig

# ---- text, escaped for where it lands ----

# Characters no page or picture can hold: control characters (but line breaks and tabs), lone
# surrogates (not UTF-8) and the two non-characters XML refuses (Graphviz's HTML-like labels are
# XML).
_UNSHOWABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})


def printable(text, limit=None):
    """`text` with each line break as one newline and each character that cannot be shown as
    U+FFFD; longer than `limit`, shortened in the middle (…)."""
    text = _UNSHOWABLE.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))
    if limit is not None and len(text) > limit:
        tail = limit // 4
        text = f"{text[:limit - tail - 1]}…{text[-tail:]}"
    return text


def html_text(text):
    """For HTML text or a quoted attribute value."""
    return html.escape(printable(text), quote=True)


def dot_html(text):
    """For the text of a cell in one of Graphviz's HTML-like labels, label=<...>. (Graphviz
    reads \\N, \\G... in it as the node's name, the graph's...: a backslash is written twice.)"""
    return html_text(text).replace("\\", "\\\\").replace("\n", "<br/>")


def dot_string(text):
    """A quoted DOT string that Graphviz shows as `text` in a label: entities escaped (Graphviz
    decodes them), then each backslash written twice (\\n, \\N... are Graphviz's escapes)."""
    return _dot_quoted(text, "\\\\")


def dot_tooltip(text):
    """A quoted DOT string that Graphviz shows as `text` in a tooltip, which it unescapes twice:
    each backslash written four times."""
    return _dot_quoted(text, "\\" * 4)


def _dot_quoted(text, backslash):
    text = html.escape(printable(text), quote=False).replace("\\", backslash)
    return '"' + text.replace('"', '\\"').replace("\n", "\\n") + '"'


def script_json(data):
    """`data` as JSON to put inside a <script> element: no < > & (nor a JavaScript line break)
    appears as itself, so no text within can close the script or open a comment."""
    return json.dumps(data).translate(_SCRIPT_SAFE)


# ---- files ----

def destination(path, suffixes, kinds):
    """`path` as a str, once it is a file path ending in one of `suffixes` (`kinds` in words) in
    a folder that exists."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"save() takes a file path (a str or a pathlib.Path), got "
                        f"{type(path).__name__}: {path!r}")
    path = os.fsdecode(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in suffixes:
        raise ValueError(f"save() writes {kinds}, not "
                         f"{suffix or 'a path without a suffix'}: {path}")
    folder, name = os.path.split(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"no folder {folder} to save {name} in: create it first")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a folder: save() needs a file name")
    return path


# ---- rendering ----

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
