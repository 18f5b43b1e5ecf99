"""draw_graph's picture is a graphviz.Digraph: graphviz's own methods (attr, render, pipe, view,
Jupyter display) work on it, with the system's dot and, where there is none, with graphviz-pure
in its place; hostile labels come out of a real render as themselves; the DOT text is the same
every time; and the micrograd lecture's own draw_dot (written with graphviz) draws a chainrule
graph."""
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ElementTree

import graphviz
import pytest

from autograd import Picture, Value, define, draw_graph
from autograd.pictures import render as render_module
from autograd.pictures.render import RENDERER_HINT, RendererNotFound, printable
from test_hostile_pages import GRAPHVIZ_ELEMENTS, HOSTILE_TEXTS
from test_viz import neuron as viz_neuron

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IN_CI = bool(os.environ.get("CI"))
SVG, XLINK = "{http://www.w3.org/2000/svg}", "{http://www.w3.org/1999/xlink}"


def neuron():
    """test_viz's neuron, after backward()."""
    o, _ = viz_neuron()
    o.backward()
    return o


def graphviz_pure():
    return (shutil.which("graphviz-pure")
            or shutil.which("graphviz-pure", path=sysconfig.get_path("scripts")))


def missing(what):
    """Skip where `what` is not installed, except in CI, which must have it."""
    if IN_CI:
        pytest.fail(f"{what} is not installed, and CI must have it")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(params=["dot", "graphviz-pure"])
def renderer(request, monkeypatch, tmp_path_factory):
    """The system's dot; or a machine without dot, with graphviz-pure: PATH holds nothing but
    graphviz-pure, so graphviz's own calls of dot fail there, as on a machine without it."""
    if request.param == "dot":
        if not shutil.which("dot"):
            missing("dot")
        return "dot"
    pure = graphviz_pure()
    if pure is None:
        missing("graphviz-pure")
    folder = tmp_path_factory.mktemp("bin")
    os.symlink(pure, folder / "graphviz-pure")
    monkeypatch.setenv("PATH", str(folder))
    assert shutil.which("dot") is None
    with pytest.raises(graphviz.ExecutableNotFound):
        graphviz.Digraph().pipe(format="svg")  # a plain Digraph cannot draw here
    return "graphviz-pure"


@pytest.fixture
def no_renderer(monkeypatch, tmp_path_factory):
    """A machine with neither dot nor graphviz-pure."""
    monkeypatch.setenv("PATH", str(tmp_path_factory.mktemp("empty")))
    monkeypatch.setattr(render_module, "find_renderer", lambda: None)


def size(svg):
    """(width, height) of an SVG, in points."""
    found = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    return float(found[1]), float(found[2])


def svg_texts(svg):
    """Every <text> and tooltip of an SVG, parsed as XML (so it must be well formed), and the
    names of its elements."""
    tree = ElementTree.fromstring(svg.encode("utf-8") if isinstance(svg, str) else svg)
    texts = [(t.text or "").strip() for t in tree.iter(SVG + "text")]
    tooltips = [a.get(XLINK + "title") for a in tree.iter(SVG + "a")]
    return texts, tooltips, {element.tag.split("}")[-1] for element in tree.iter()}


# ---- it is a graphviz.Digraph ----

def test_draw_graph_returns_a_graphviz_digraph():
    picture = draw_graph(neuron())
    assert isinstance(picture, graphviz.Digraph) and isinstance(picture, Picture)
    assert picture.source.startswith("digraph chainrule {\n")
    assert str(picture) == picture.source == "".join(picture)
    assert picture.format == "svg" and picture.engine == "dot"
    assert picture.filename == "chainrule.gv"
    # graphviz's own methods add to it
    picture.node("extra", "an extra node")
    picture.edge("v5", "extra")
    picture.attr(rankdir="TB")
    assert picture.source.endswith('  extra [label="an extra node"]\n  v5 -> extra\n'
                                   "  rankdir=TB\n}\n")
    copy = picture.copy()
    assert type(copy) is Picture and copy.source == picture.source
    with picture.subgraph(name="cluster_more") as cluster:
        cluster.node("inside")
    assert "subgraph cluster_more {" in picture.source and "inside" in picture.source


def test_every_view_is_a_digraph():
    o = neuron()
    names = {"layer.w": o.parents[0].parents[0].parents[1]}
    for picture in (draw_graph(o), draw_graph(o, top_k=2), draw_graph(o, max_nodes=2),
                    draw_graph(o, params=names, collapse="modules")):
        assert isinstance(picture, graphviz.Digraph)
        assert picture.source.startswith("digraph chainrule {")


def test_attr_rankdir_changes_the_rendered_picture(renderer):
    picture = draw_graph(neuron())
    width, height = size(picture.pipe(format="svg", encoding="utf-8"))
    assert width > 3 * height  # left to right: a long, low picture
    picture.attr(rankdir="TB")
    turned = size(picture.pipe(format="svg", encoding="utf-8"))
    assert turned[0] < 2 * turned[1] and turned[1] > 2 * height  # top to bottom: taller
    assert turned == size(draw_graph(neuron(), direction="TB").svg())


def test_pipe_gives_svg_and_png(renderer):
    picture = draw_graph(neuron(), derivatives=True)
    svg = picture.pipe(format="svg")
    assert isinstance(svg, bytes) and svg.startswith(b"<?xml") and b"<svg" in svg
    assert picture.pipe() == svg  # the picture's format is svg
    text = picture.pipe(format="svg", encoding="utf-8")
    assert isinstance(text, str) and text == svg.decode("utf-8") == picture.svg()
    texts, _, _ = svg_texts(svg)
    assert "output: o" in texts and "∂ = -3" in texts
    assert picture.pipe(format="png").startswith(b"\x89PNG") and picture.png()[:4] == b"\x89PNG"


def test_render_writes_the_source_and_the_picture(renderer, tmp_path):
    picture = draw_graph(neuron())
    path = picture.render(tmp_path / "f", format="svg")
    assert path == str(tmp_path / "f.svg")
    assert (tmp_path / "f").read_text() == picture.source  # the DOT text, as graphviz saves it
    assert "output: o" in svg_texts((tmp_path / "f.svg").read_bytes())[0]
    # the picture's own format (svg), the directory, cleanup
    path = picture.render("g", directory=tmp_path, cleanup=True)
    assert path == str(tmp_path / "g.svg") and not (tmp_path / "g").exists()
    assert (tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")
    # outfile: the format from its suffix, the source beside it
    path = picture.render(outfile=tmp_path / "h.png")
    assert path == str(tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "h.gv").read_text() == picture.source


def test_render_without_a_filename_uses_the_pictures_own(renderer, tmp_path):
    picture = draw_graph(neuron())
    picture.directory = tmp_path
    assert picture.render() == str(tmp_path / "chainrule.gv.svg")
    assert (tmp_path / "chainrule.gv.svg").exists() and (tmp_path / "chainrule.gv").exists()


def test_view_renders_and_opens_the_file(renderer, tmp_path, monkeypatch):
    opened = []
    picture = draw_graph(neuron())
    if renderer == "dot":  # graphviz's own view() opens the file through _view
        monkeypatch.setattr(picture, "_view", lambda path, **_: opened.append(path))
    else:
        monkeypatch.setattr(graphviz, "view", lambda path, **_: opened.append(path))
    path = picture.view(tmp_path / "v")
    assert opened == [path] == [str(tmp_path / "v.svg")]
    assert (tmp_path / "v.svg").read_text().lstrip().startswith("<?xml")


def test_jupyter_display(renderer):
    picture = draw_graph(neuron())
    bundle = picture._repr_mimebundle_()
    # SVG, and PNG beside it: an untrusted notebook (a fresh clone) shows no SVG
    assert sorted(bundle) == ["image/png", "image/svg+xml", "text/plain"]
    assert "<svg" in bundle["image/svg+xml"] and "graphviz.Digraph" in bundle["text/plain"]
    assert bundle["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
    png = picture._repr_mimebundle_(include=["image/png"])  # graphviz's include= still works
    assert png["image/png"].startswith(b"\x89PNG")


def test_save_by_suffix_and_graphvizs_save(renderer, tmp_path):
    picture = draw_graph(neuron())
    assert "<svg" in picture.save(tmp_path / "a.svg").read_text()
    assert picture.save(tmp_path / "a.png").read_bytes().startswith(b"\x89PNG")
    assert picture.save(str(tmp_path / "a.gv")) == str(tmp_path / "a.gv")
    assert (tmp_path / "a.gv").read_text() == picture.source
    # graphviz's form, with a directory: the DOT text, under any name
    assert picture.save("b.txt", directory=tmp_path) == str(tmp_path / "b.txt")
    assert (tmp_path / "b.txt").read_text() == picture.source
    with pytest.raises(ValueError, match=r"\.svg, \.png or \.dot"):
        picture.save(tmp_path / "c.pdf")


def test_a_format_graphviz_pure_cannot_write_fails_clearly(renderer, tmp_path, capfd):
    if renderer != "graphviz-pure":
        pytest.skip("dot writes pdf")
    picture = draw_graph(neuron())
    with pytest.raises(graphviz.CalledProcessError) as caught:
        picture.pipe(format="pdf")
    assert b'"pdf" not recognized' in caught.value.stderr
    assert '"pdf" not recognized' in capfd.readouterr().err  # shown, as graphviz shows dot's
    with pytest.raises(graphviz.CalledProcessError):
        picture.render(tmp_path / "f", format="pdf")
    assert not (tmp_path / "f.pdf").exists()


def test_with_no_renderer_at_all_a_clear_error_and_a_display_that_does_not_fail(no_renderer,
                                                                                 tmp_path):
    picture = draw_graph(neuron())
    for attempt in (lambda: picture.pipe(format="svg"),
                    lambda: picture.render(tmp_path / "f", format="svg"),
                    lambda: picture.view(tmp_path / "f"), picture.svg, picture.png,
                    lambda: picture.save(tmp_path / "f.svg")):
        with pytest.raises(RendererNotFound) as caught:
            attempt()
        # graphviz users catch graphviz.ExecutableNotFound: it is one
        assert isinstance(caught.value, graphviz.ExecutableNotFound)
        message = str(caught.value)
        assert message == RENDERER_HINT
        assert 'pip install "chainrule[viz]"' in message and "apt-get install graphviz" in message
    assert list(tmp_path.iterdir()) == []  # nothing written, not even the DOT text
    bundle = picture._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert RENDERER_HINT in bundle["text/plain"] and "is in .source" in bundle["text/plain"]


def test_a_failing_renderer_does_not_fail_the_display(renderer):
    picture = draw_graph(neuron())
    picture.body.append("  this is { not DOT\n")
    bundle = picture._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "this is { not DOT" in bundle["text/plain"]


# ---- hostile labels, through a real render ----

def hostile_graph(text):
    """`text` as a label (x), a parameter name (w, unlabelled), the output's label and the name
    of an operation."""
    x, w = Value(2.0, label=text), Value(-3.0)
    op = define(text or "empty", lambda a: 2 * a, derivative=lambda a, out: 2)
    out = op(x * w)
    out.label = text + "!"
    out.backward()
    return draw_graph(out, derivatives=True, params={text: w})


@pytest.mark.parametrize("position", range(len(HOSTILE_TEXTS)))
def test_hostile_labels_come_out_of_a_render_as_themselves(renderer, position, tmp_path):
    text = HOSTILE_TEXTS[position]
    picture = hostile_graph(text)
    path = picture.render(tmp_path / "hostile", format="svg")
    svg = open(path, encoding="utf-8").read()
    assert svg == picture.pipe(format="svg", encoding="utf-8")
    texts, tooltips, elements = svg_texts(svg)
    assert elements <= GRAPHVIZ_ELEMENTS  # no text turned into markup
    assert "<img" not in svg and "<script" not in svg and "<style" not in svg
    shown = printable(text)
    if len(shown) > 100:  # shortened in the middle, in the boxes
        assert any(t.startswith("leaf: xxxx") and "…" in t for t in texts)
        return
    for line in f"leaf: {shown}".strip(": ").split("\n"):  # the label
        assert line.strip() in texts, (line, texts)
    for line in f"parameter: {shown}".strip(": ").split("\n"):  # the parameter's name
        assert line.strip() in texts, (line, texts)
    for line in (text or "empty").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if printable(line).strip():  # the operation's name, in its ellipse
            assert printable(line).strip() in texts, (line, texts)
    assert any(t.startswith(shown or "leaf") for t in tooltips)  # the tooltip, in full


# ---- the same text every time ----

def test_the_same_graph_gives_the_same_source_byte_for_byte():
    first, second = draw_graph(neuron(), derivatives=True), draw_graph(neuron(), derivatives=True)
    assert first.source == second.source  # two graphs built alike: other objects, same text
    # nodes are named by their place in the topological order, not by id(): v0, op2...
    names = re.findall(r"^  (\w+) (?:\[|-> (\w+))", first.source, flags=re.M)
    assert {name for pair in names for name in pair if name} == {
        "graph", "node", "edge", "legend", *(f"v{i}" for i in range(6)), "op2", "op4", "op5"}
    assert "0x" not in first.source
    assert re.findall(r"^  (\w+) \[", first.source, flags=re.M)[:3] == ["graph", "node", "edge"]
    script = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[1] + '/tests']; "
              "from test_digraph import neuron; from autograd import draw_graph; "
              "sys.stdout.write(draw_graph(neuron(), derivatives=True).source)")
    for seed in ("1", "2"):
        other = subprocess.run([sys.executable, "-c", script, ROOT], capture_output=True,
                               text=True, check=True,
                               env=dict(os.environ, PYTHONHASHSEED=seed)).stdout
        assert other == first.source


def test_the_same_graph_gives_the_same_picture(renderer):
    assert draw_graph(neuron()).pipe(format="svg") == draw_graph(neuron()).pipe(format="svg")


# ---- the micrograd lecture's draw_dot, written with graphviz, on a chainrule graph ----

def lecture_draw_dot(root):
    """A draw_dot as the micrograd lecture writes one: its own walk over _prev, one record per
    Value (label, data, grad), one small node per operation."""
    from graphviz import Digraph

    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})
    seen, stack = set(), [root]
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        name = str(id(value))
        dot.node(name=name, label="{ %s | data %.4f | grad %.4f }"
                 % (value.label, value.data, value.grad), shape="record")
        if value._op:
            dot.node(name=name + value._op, label=value._op)
            dot.edge(name + value._op, name)
        for child in value._prev:
            dot.edge(str(id(child)), name + value._op)
            stack.append(child)
    return dot


def test_the_lectures_draw_dot_draws_a_chainrule_graph():
    o = neuron()
    dot = lecture_draw_dot(o)
    source = dot.source
    assert source.count("shape=record") == 6
    for text in ("{ x | data 2.0000 | grad -0.0002 }", "{ w | data -3.0000 | grad 0.0001 }",
                 "{ o | data -1.0000 | grad 1.0000 }", "label=tanh", 'label="*"',
                 'label="+"'):
        assert text in source, text
    assert source.count(" -> ") == 5 + 3  # five inputs to operations, three results
    if not shutil.which("dot"):
        missing("dot")  # a plain graphviz.Digraph needs the system's dot
    texts, _, _ = svg_texts(dot.pipe())
    assert "data 2.0000" in texts and "tanh" in texts and "grad 1.0000" in texts


def test_graphviz_is_a_dependency():
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    assert any(re.match(r"graphviz\b(?!-)", d) for d in dependencies), dependencies

