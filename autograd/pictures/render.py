"""What the pictures and the step-through page share: text escaped for each place it lands,
files to save to, and the Graphviz renderer that turns a picture's DOT text into SVG or PNG.

Labels and names are the user's text. Each goes into a page or a picture through exactly one of
the escaping functions here, once, at the place it lands, so that it always shows as itself and
never as markup.

A picture is a graphviz.Digraph, which runs the system's `dot`. Where there is no `dot`, the
`graphviz-pure` wheel (`pip install "chainrule[viz]"`), a self-contained port of dot with the
same command line, runs in its place; with neither, RendererNotFound says what to install.
"""
import html
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig

import graphviz

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


def dot_label(text):
    """For a plain-text label, given to graphviz (which quotes it and escapes its quotes):
    entities escaped (Graphviz decodes them), each backslash written twice (graphviz.escape:
    \\n, \\N... are Graphviz's escapes), line breaks as \\n, and never read as an HTML-like
    label, even as <...> (graphviz.nohtml)."""
    return _escaped(text, times=1)


def dot_tooltip(text):
    """For a tooltip, which Graphviz unescapes twice: as dot_label, each backslash written four
    times."""
    return _escaped(text, times=2)


def _escaped(text, times):
    text = html.escape(printable(text), quote=False)
    for _ in range(times):
        text = graphviz.escape(text)
    return graphviz.nohtml(text.replace("\n", "\\n"))


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

RENDERER_HINT = ("No Graphviz renderer found: neither the system's dot nor graphviz-pure. To see "
                 "pictures, install one: pip install \"chainrule[viz]\" (graphviz-pure, no system "
                 "packages needed), or Graphviz itself (apt-get install graphviz, brew install "
                 "graphviz, conda install graphviz).")


class RendererNotFound(graphviz.ExecutableNotFound):
    """Neither `dot` nor `graphviz-pure` is installed. A graphviz.ExecutableNotFound, which is
    what graphviz raises without `dot`, and so a RuntimeError."""

    def __init__(self, message=RENDERER_HINT):
        RuntimeError.__init__(self, message)


def find_renderer():
    """The command of the first renderer found, or None."""
    dot = shutil.which("dot")
    if dot:
        return dot
    # graphviz-pure lands beside the Python that installed it, which need not be on PATH
    # (a kernel started as venv/bin/python without activating the venv).
    return (shutil.which("graphviz-pure")
            or shutil.which("graphviz-pure", path=sysconfig.get_path("scripts")))


def stand_in():
    """What runs in place of the system's `dot`: None where `dot` itself is the renderer (let
    graphviz run it), else the command of graphviz-pure. RendererNotFound with neither."""
    command = find_renderer()
    if command is None:
        raise RendererNotFound()
    return None if command == shutil.which("dot") else command


def run(command, arguments, source, quiet=False):
    """`command` run with dot's command-line `arguments` (-K, -T...) and `source` (DOT, bytes)
    on stdin: what it writes, as bytes. Its messages go to stderr unless `quiet`; a failure is
    a graphviz.CalledProcessError, as graphviz raises for dot."""
    command = [command, *arguments]
    result = subprocess.run(command, input=source, capture_output=True)
    if result.stderr and not quiet:
        sys.stderr.write(result.stderr.decode(errors="replace"))
    if result.returncode != 0:
        raise graphviz.CalledProcessError(result.returncode, command, output=result.stdout,
                                          stderr=result.stderr)
    return result.stdout
