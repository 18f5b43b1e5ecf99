"""Hostile input to the pictures and the step-through page: every case ends in the right answer
or in an error whose type and message say what to change. (The browser runs hostile labels
through the page in test_steps.py; dot and graphviz-pure render them in test_viz.py.)"""
import os
import pathlib
import re
import types
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

from autograd import Picture, Value, backward_steps, draw_graph
from autograd.pictures import render as render_module

# Labels and parameter names that try to break out of every place text lands: the page's
# placeholders, its HTML, its <script>, an iframe's srcdoc, DOT strings, HTML-like labels, SVG.
HOSTILE_TEXTS = [
    '{data}<img src=x onerror="window.pwned=1">',
    "<!--<script>",
    "</script><script>window.pwned=1</script>",
    "{svg}", "{rows}", "{data}",
    "\"'><svg onload=window.pwned=1>",
    "&lt;img src=x onerror=window.pwned=1&gt; &amp; &#60; &quot;",
    'say "hi" \\ \'there\' \\" \\N \\G \\l \\',
    "two\nlines\r\nand\rfour",
    "∂ é 😀 右 \u2028 \u2029 \u200b",
    "]; } { [ ; -> -- digraph",
    "<![CDATA[ ]]> <?xml ?> <!DOCTYPE x>",
    "x" * 5000 + "<img src=x onerror=window.pwned=1>",
    "",
    "nul\x00 bell\x07 del\x7f esc\x1b lone\ud800 nonchar\ufffe",
    "javascript:window.pwned=1",
    "<style>body{display:none}</style>",
]


def graph():
    """A small graph after backward(), its parts and its parameters by name."""
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(0.5, label="b")
    n = x * w + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return types.SimpleNamespace(o=o, x=x, w=w, b=b, n=n)


def raises(kind, pattern):
    return (kind, pattern)


def svg_elements(svg):
    """The SVG parsed as XML (it must be well formed): the set of element names in it."""
    tree = ElementTree.fromstring(svg.encode("utf-8"))
    return {element.tag.split("}")[-1] for element in tree.iter()}


GRAPHVIZ_ELEMENTS = {"svg", "g", "title", "text", "polygon", "polyline", "path", "ellipse", "a"}


def inert(page):
    """The page holds exactly the elements it is made of: no text turned into markup."""
    return all(page.count(tag) == count for tag, count in
               [("<script", 1), ("<style", 1), ("<svg", 1), ("<img", 0), ("<iframe", 0)])


def a_picture(picture):
    assert isinstance(picture, Picture)
    return picture


def relabel(g, label):
    g.x.label = label
    return g.o


def unlabel(g):
    """Every box named by its parameter name alone (a label takes precedence over a name)."""
    for v in (g.x, g.w, g.b, g.n, g.o):
        v.label = None
    return g.o


# (what, call(g, tmp_path), outcome): the outcome is (exception type, message pattern) or a
# check of the result.
CASES = [
    # --- draw_graph: the root
    ("a number as the root", lambda g, t: draw_graph(3.0),
     raises(TypeError, r"draw_graph takes the Value whose graph to draw.*got float: 3\.0")),
    ("None as the root", lambda g, t: draw_graph(None),
     raises(TypeError, r"draw_graph takes the Value.*NoneType")),
    ("a list of Values as the root", lambda g, t: draw_graph([g.o]),
     raises(TypeError, r"draw_graph takes the Value.*list")),
    ("a string as the root", lambda g, t: draw_graph("o"),
     raises(TypeError, r"draw_graph takes the Value.*str")),
    # --- direction
    ("direction 'up'", lambda g, t: draw_graph(g.o, direction="up"),
     raises(ValueError, r"direction is 'LR'.*or 'TB'.*'up'")),
    ("direction 'lr'", lambda g, t: draw_graph(g.o, direction="lr"),
     raises(ValueError, r"direction is 'LR'.*'lr'")),
    ("direction 5", lambda g, t: draw_graph(g.o, direction=5),
     raises(TypeError, r"direction is 'LR'.*got int")),
    ("direction None", lambda g, t: draw_graph(g.o, direction=None),
     raises(TypeError, r"direction is 'LR'.*NoneType")),
    ("direction ['LR']", lambda g, t: draw_graph(g.o, direction=["LR"]),
     raises(TypeError, r"direction is 'LR'.*list")),
    ("direction 'TB'", lambda g, t: draw_graph(g.o, direction="TB"),
     lambda p: "rankdir=TB" in a_picture(p).source),
    # --- top_k
    ("top_k 0", lambda g, t: draw_graph(g.o, top_k=0),
     raises(ValueError, r"top_k is a whole number >= 1, got 0")),
    ("top_k -1", lambda g, t: draw_graph(g.o, top_k=-1),
     raises(ValueError, r"top_k is a whole number >= 1, got -1")),
    ("top_k 1.5", lambda g, t: draw_graph(g.o, top_k=1.5),
     raises(TypeError, r"top_k is a whole number >= 1, got float: 1\.5")),
    ("top_k True", lambda g, t: draw_graph(g.o, top_k=True),
     raises(TypeError, r"top_k is a whole number >= 1, got bool: True")),
    ("top_k '3'", lambda g, t: draw_graph(g.o, top_k="3"),
     raises(TypeError, r"top_k is a whole number >= 1, got str: '3'")),
    ("top_k nan", lambda g, t: draw_graph(g.o, top_k=float("nan")),
     raises(TypeError, r"top_k is a whole number")),
    ("top_k 10**100 draws every value", lambda g, t: draw_graph(g.o, top_k=10 ** 100),
     lambda p: len(re.findall(r"^  v\d+ \[", a_picture(p).source, flags=re.M)) == 6),
    ("top_k numpy 2", lambda g, t: draw_graph(g.o, top_k=np.int64(2)),
     lambda p: len(re.findall(r"^  v\d+ \[", a_picture(p).source, flags=re.M)) == 2),
    ("top_k before backward", lambda g, t: draw_graph(Value(1.0) * 2, top_k=3),
     raises(ValueError, r"call backward\(\) on the output first")),
    ("top_k 10**6 past max_nodes", lambda g, t: draw_graph(g.o, top_k=10 ** 6, max_nodes=3),
     lambda p: "too large" in a_picture(p).source),
    # --- collapse
    ("collapse 'neurons'", lambda g, t: draw_graph(g.o, params=[g.w], collapse="neurons"),
     raises(ValueError, r"collapse='modules'.*'neurons'")),
    ("collapse True", lambda g, t: draw_graph(g.o, params=[g.w], collapse=True),
     raises(TypeError, r"collapse='modules'.*bool")),
    ("collapse 5", lambda g, t: draw_graph(g.o, params=[g.w], collapse=5),
     raises(TypeError, r"collapse='modules'.*int")),
    ("collapse without params", lambda g, t: draw_graph(g.o, collapse="modules"),
     raises(ValueError, r"params=model.named_parameters\(\)")),
    ("collapse and top_k", lambda g, t: draw_graph(g.o, top_k=2, collapse="modules"),
     raises(ValueError, r"top_k or collapse, not both")),
    # --- max_nodes
    ("max_nodes 0", lambda g, t: draw_graph(g.o, max_nodes=0),
     raises(ValueError, r"max_nodes is a whole number >= 1 \(or None.*got 0")),
    ("max_nodes -1", lambda g, t: draw_graph(g.o, max_nodes=-1),
     raises(ValueError, r"max_nodes is a whole number >= 1.*got -1")),
    ("max_nodes 'x'", lambda g, t: draw_graph(g.o, max_nodes="x"),
     raises(TypeError, r"max_nodes is a whole number >= 1.*got str: 'x'")),
    ("max_nodes 2.5", lambda g, t: draw_graph(g.o, max_nodes=2.5),
     raises(TypeError, r"max_nodes is a whole number.*float")),
    ("max_nodes None draws it all", lambda g, t: draw_graph(g.o, max_nodes=None),
     lambda p: "too large" not in a_picture(p).source),
    ("max_nodes 3 gives the note", lambda g, t: draw_graph(g.o, max_nodes=3),
     lambda p: "more than max_nodes=3" in a_picture(p).source),
    # --- derivatives and color are True or False
    ("derivatives 'no'", lambda g, t: draw_graph(g.o, derivatives="no"),
     raises(TypeError, r"derivatives is True or False, got str: 'no'")),
    ("color None", lambda g, t: draw_graph(g.o, color=None),
     raises(TypeError, r"color is True or False, got NoneType")),
    # --- params
    ("params a number", lambda g, t: draw_graph(g.o, params=3.0),
     raises(TypeError, r"params is a list of Values, \(name, Value\) pairs or a \{name: Value\} "
                       r"dict.*got float: 3\.0")),
    ("params a Value", lambda g, t: draw_graph(g.o, params=g.w),
     raises(TypeError, r"params is a list of Values.*got a Value: put it in a list")),
    ("params a string", lambda g, t: draw_graph(g.o, params="w"),
     raises(TypeError, r"params is a list of Values.*got str")),
    ("params a list of numbers", lambda g, t: draw_graph(g.o, params=[1.0, 2.0]),
     raises(TypeError, r"params\[0\] is float: 1\.0, not a Value")),
    ("params a dict of numbers", lambda g, t: draw_graph(g.o, params={"w": -3.0}),
     raises(TypeError, r"params\['w'\] is float: -3\.0, not a Value")),
    ("params a pair turned round", lambda g, t: draw_graph(g.o, params=[(g.w, "w")]),
     raises(TypeError, r"params\[0\].*not a Value")),
    ("params a triple", lambda g, t: draw_graph(g.o, params=[("w", g.w, 1)]),
     raises(TypeError, r"params\[0\] is tuple.*not a Value")),
    ("params a name that is not text", lambda g, t: draw_graph(g.o, params={1: g.w}),
     raises(TypeError, r"params: the name of a parameter is a string, got int: 1")),
    ("params a generator of pairs",
     lambda g, t: draw_graph(unlabel(g), params=(p for p in [("layer.w", g.w)])),
     lambda p: "parameter: layer.w" in a_picture(p).source),
    ("params a list of Values", lambda g, t: draw_graph(unlabel(g), params=[g.w, g.b]),
     lambda p: "parameter: p0" in a_picture(p).source),
    # --- labels set after construction
    ("a label that is a number", lambda g, t: draw_graph(relabel(g, 5)),
     raises(TypeError, r"a Value's label is a string \(or None\), got int: 5.*Value\(data=2")),
    ("a label that is a tuple", lambda g, t: draw_graph(relabel(g, ("a", 1))),
     raises(TypeError, r"label is a string \(or None\), got tuple: \('a', 1\)")),
    ("a label that is bytes", lambda g, t: draw_graph(relabel(g, b"x")),
     raises(TypeError, r"label is a string \(or None\), got bytes")),
    ("a label that is a number, top_k view", lambda g, t: draw_graph(relabel(g, 5), top_k=2),
     raises(TypeError, r"label is a string \(or None\), got int")),
    ("an empty label", lambda g, t: draw_graph(relabel(g, "")),
     lambda p: ">leaf<" in a_picture(p).source),  # the kind alone
    # --- Picture
    ("svg() of hostile labels is well formed, with nothing injected",
     lambda g, t: [draw_graph(relabel(g, text), derivatives=True, params={text: g.w}).svg()
                   for text in HOSTILE_TEXTS],
     lambda svgs: all(svg_elements(svg) <= GRAPHVIZ_ELEMENTS for svg in svgs)),
    ("png() of a hostile label", lambda g, t: draw_graph(relabel(g, HOSTILE_TEXTS[-3])).png(),
     lambda png: png.startswith(b"\x89PNG")),
    ("_repr_mimebundle_ of hostile labels",
     lambda g, t: [draw_graph(relabel(g, text))._repr_mimebundle_() for text in HOSTILE_TEXTS],
     lambda bundles: all(svg_elements(b["image/svg+xml"]) <= GRAPHVIZ_ELEMENTS
                         for b in bundles)),
    ("save .pdf", lambda g, t: draw_graph(g.o).save(t / "g.pdf"),
     raises(ValueError, r"save\(\) writes \.svg, \.png or \.dot files, not \.pdf")),
    ("save without a suffix", lambda g, t: draw_graph(g.o).save(t / "graph"),
     raises(ValueError, r"not a path without a suffix")),
    ("save into a missing folder", lambda g, t: draw_graph(g.o).save(t / "missing" / "g.svg"),
     raises(FileNotFoundError, r"no folder .*missing.* to save g\.svg in: create it first")),
    ("save onto a folder", lambda g, t: draw_graph(g.o).save(folder(t / "g.svg")),
     raises(IsADirectoryError, r"g\.svg is a folder: save\(\) needs a file name")),
    ("save to a number", lambda g, t: draw_graph(g.o).save(3),
     raises(TypeError, r"save\(\) takes a file path \(a str or a pathlib.Path\), got int")),
    ("save to None", lambda g, t: draw_graph(g.o).save(None),
     raises(TypeError, r"save\(\) takes a file path.*NoneType")),
    ("save .DOT", lambda g, t: draw_graph(g.o).save(t / "g.DOT").read_text(),
     lambda text: text.startswith("digraph")),
    ("save a str path", lambda g, t: draw_graph(g.o).save(str(t / "g.svg")),
     lambda path: pathlib.Path(path).read_text().lstrip().startswith("<?xml")),
    # --- backward_steps
    ("backward_steps(None)", lambda g, t: backward_steps(None),
     raises(TypeError, r"backward_steps takes the Value to step back from.*NoneType")),
    ("backward_steps(3.0)", lambda g, t: backward_steps(3.0),
     raises(TypeError, r"backward_steps takes the Value.*got float: 3\.0")),
    ("backward_steps direction 'up'", lambda g, t: backward_steps(g.o, direction="up"),
     raises(ValueError, r"direction is 'LR'")),
    ("backward_steps direction 0", lambda g, t: backward_steps(g.o, direction=0),
     raises(TypeError, r"direction is 'LR'.*int")),
    ("backward_steps params a number", lambda g, t: backward_steps(g.o, params=1),
     raises(TypeError, r"params is a list of Values")),
    ("backward_steps params a dict of numbers", lambda g, t: backward_steps(g.o, params={"w": 1}),
     raises(TypeError, r"params\['w'\] is int: 1, not a Value")),
    ("backward_steps a label that is a number", lambda g, t: backward_steps(relabel(g, 7)),
     raises(TypeError, r"label is a string \(or None\), got int: 7")),
    ("backward_steps hostile labels and names",
     lambda g, t: [backward_steps(relabel(g, text), params={text: g.w}) for text in HOSTILE_TEXTS],
     lambda pages: all(inert(page.html) for page in pages)),
    ("BackwardSteps.save .txt", lambda g, t: backward_steps(g.o).save(t / "steps.txt"),
     raises(ValueError, r"save\(\) writes an \.html file, not \.txt")),
    ("BackwardSteps.save into a missing folder",
     lambda g, t: backward_steps(g.o).save(t / "nowhere" / "steps.html"),
     raises(FileNotFoundError, r"no folder .*nowhere.* to save steps\.html in")),
    ("BackwardSteps.save onto a folder",
     lambda g, t: backward_steps(g.o).save(folder(t / "steps.html")),
     raises(IsADirectoryError, r"steps\.html is a folder")),
    ("BackwardSteps.save to a number", lambda g, t: backward_steps(g.o).save(1),
     raises(TypeError, r"save\(\) takes a file path")),
    ("BackwardSteps.save .HTM", lambda g, t: backward_steps(g.o).save(t / "s.HTM").read_text(),
     lambda text: text.startswith("<!DOCTYPE html>")),
]


def folder(path):
    path.mkdir()
    return path


# the cases that draw pictures need a renderer: CI must have one
NEEDS_RENDERER = {"svg() of hostile labels is well formed, with nothing injected",
                  "png() of a hostile label", "_repr_mimebundle_ of hostile labels",
                  "save a str path", "backward_steps hostile labels and names"}
renders = pytest.mark.skipif(render_module.find_renderer() is None and not os.environ.get("CI"),
                             reason="neither dot nor graphviz-pure is installed")


@pytest.mark.parametrize("call, outcome", [
    pytest.param(call, outcome, id=what, marks=[renders] if what in NEEDS_RENDERER else [])
    for what, call, outcome in CASES])
def test_hostile_input(call, outcome, tmp_path):
    g = graph()
    if isinstance(outcome, tuple):
        kind, pattern = outcome
        with pytest.raises(kind) as caught:
            call(g, tmp_path)
        assert type(caught.value) is kind  # not a subclass raised from somewhere deeper
        assert re.search(pattern, str(caught.value), flags=re.S), str(caught.value)
    else:
        assert outcome(call(g, tmp_path))


def test_without_a_renderer_hostile_labels_still_show(monkeypatch, tmp_path):
    monkeypatch.setattr(render_module, "find_renderer", lambda: None)
    for text in HOSTILE_TEXTS:
        g = graph()
        picture = draw_graph(relabel(g, text))
        assert list(picture._repr_mimebundle_()) == ["text/plain"]
        page = backward_steps(g.o).html
        assert page.count("<script>") == 1 and "<svg" not in page and "<img" not in page


def test_nothing_was_left_behind_by_failed_saves(tmp_path):
    g = graph()
    for bad in ("g.pdf", "graph"):
        with pytest.raises(ValueError):
            draw_graph(g.o).save(tmp_path / bad)
    assert list(tmp_path.iterdir()) == []
