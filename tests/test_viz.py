"""Graph pictures: the DOT text, rendering with dot and graphviz-pure, the fallback without a
renderer, the smaller views of large graphs. (graphviz's own methods on the picture, a
graphviz.Digraph, are tested in test_digraph.py.)"""
import html
import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import graphviz
import pytest

import nn
from autograd import Value, draw_graph, topological_order
from autograd.pictures import render as render_module
from autograd.pictures.render import (RENDERER_HINT, RendererNotFound, dot_html, dot_label,
                                      dot_tooltip, printable)
from test_hostile_pages import GRAPHVIZ_ELEMENTS, HOSTILE_TEXTS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IN_CI = bool(os.environ.get("CI"))


def needs_renderer(command):
    """Skip where the renderer is missing, except in CI, which must have it."""
    present = shutil.which(command) is not None
    return pytest.mark.skipif(not present and not IN_CI, reason=f"{command} is not installed")


def neuron():
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(0.5, label="b")
    n = x * w + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, (x, w, b, n)


def nodes(source):
    return re.findall(r"^  (v\d+) \[", source, flags=re.M)


def test_the_picture_of_tanh_shows_every_number():
    o, (x, w, b, n) = neuron()
    o.backward()
    source = draw_graph(o, derivatives=True).source
    t = math.tanh(2.0 * -3.0 + 0.5)
    slope = 1 - t * t  # d tanh / dn, by hand
    for text in [f"data {t:.4g}", "grad 1", f"grad {slope:.4g}",  # o and n
                 f"grad {slope * -3.0:.4g}", f"grad {slope * 2.0:.4g}",  # x and w
                 "data 2", "data -3", "data 0.5", "data -6", "data -5.5"]:
        assert text in source, text
    # local derivatives on the edges: d(x*w)/dx = w, d(x*w)/dw = x, d(+)/d(each) = 1, tanh'
    for label in ["∂ = -3", "∂ = 2", "∂ = 1", f"∂ = {slope:.4g}"]:
        assert f'label="{label}"' in source, label
    assert len(nodes(source)) == 6
    assert source.count("-> op") == 5 and len(re.findall(r"op\d+ -> v", source)) == 3
    assert f"grad = {x.grad!r}" in source  # full precision in the tooltip
    assert "output: o" in source and "leaf: x" in source


def test_the_same_graph_gives_the_same_text_twice_and_across_processes():
    o, _ = neuron()
    o.backward()
    first, second = draw_graph(o).source, draw_graph(o).source
    assert first == second
    script = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[1] + '/tests']; "
              "from tests.test_viz import neuron; "
              "from autograd import draw_graph; o, _ = neuron(); o.backward(); "
              "sys.stdout.write(draw_graph(o).source)")
    other = subprocess.run([sys.executable, "-c", script, ROOT], capture_output=True, text=True,
                           check=True, env=dict(os.environ, PYTHONHASHSEED="7")).stdout
    assert other == first
    assert not re.search(r"0x[0-9a-f]{6,}", first)  # no memory addresses


def test_a_value_used_twice_has_two_edges():
    a = Value(3.0, label="a")
    s = a + a
    s.backward()
    source = draw_graph(s).source
    assert source.count("v0 -> op1") == 2
    assert "grad 2" in source


def test_before_backward_no_misleading_zeros():
    o, _ = neuron()
    source = draw_graph(o).source
    assert "grad 0" not in source and "grad —" in source
    assert "not computed yet" in source and "call backward()" in source
    assert "legend" not in source  # no colour scale without gradients


def test_colours_and_legend_after_backward():
    o, (x, w, b, n) = neuron()
    o.backward()
    source = draw_graph(o, params=[w, b]).source
    assert "legend" in source and "|grad| as a share of the largest" in source
    assert "parameter: w" in source and "parameter: b" in source
    plain = draw_graph(o, color=False).source
    assert "legend" not in plain


def test_direction():
    o, _ = neuron()
    assert "rankdir=TB" in draw_graph(o, direction="TB").source
    with pytest.raises(ValueError, match="direction"):
        draw_graph(o, direction="up")


def mlp_loss(samples=20):
    X, y = nn.data.moons(samples, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = nn.losses.hinge([model(x) for x in X], y * 2 - 1) + nn.losses.l2(model.parameters())
    return model, loss


def test_a_large_graph_gets_a_note_not_a_hairball():
    model, loss = mlp_loss()
    picture = draw_graph(loss)
    assert "too large" in picture.source and "collapse='modules'" in picture.source
    assert "top_k" in picture.source and len(nodes(picture.source)) == 0


def test_one_box_per_module():
    model, loss = mlp_loss()
    loss.backward()
    source = draw_graph(loss, params=model.named_parameters(), collapse="modules").source
    boxes = re.findall(r"^  (m\d+) \[", source, flags=re.M)
    assert len(boxes) == 16 + 16 + 1 + 2  # neurons, inputs and constants, other operations
    assert "layer0.neuron15" in source and "layer2.neuron0" in source
    # every first-layer neuron feeds every second-layer neuron
    edges = set(re.findall(r"^  (m\d+) -> (m\d+)", source, flags=re.M))
    number = {name: f"m{i}" for i, name in enumerate(
        re.findall(r'tooltip="([^:"]+): \d+ values"', source))}
    for j in range(16):
        for k in range(16):
            assert (number[f"layer0.neuron{j}"], number[f"layer1.neuron{k}"]) in edges
    with pytest.raises(ValueError, match="named_parameters"):
        draw_graph(loss, collapse="modules")
    with pytest.raises(ValueError, match="collapse='modules'"):
        draw_graph(loss, params=model.named_parameters(), collapse="neurons")


def test_top_k_by_gradient():
    model, loss = mlp_loss()
    loss.backward()
    source = draw_graph(loss, top_k=10, params=model.named_parameters()).source
    drawn = [abs(float(g)) for g in re.findall(r"grad ([-\d.e+]+)<", source)]
    assert len(nodes(source)) == len(drawn) in (10, 11)  # ten, and the output if not among them
    assert "output" in source
    # the drawn ones are the largest among parameters and computed values (not constants)
    params = set(model.parameters())
    ranked = sorted((abs(n.grad) for n in topological_order(loss) if n.parents or n in params),
                    reverse=True)
    assert min(drawn) >= float(f"{ranked[9]:.4g}") * (1 - 1e-3)
    with pytest.raises(ValueError, match="backward"):
        draw_graph(mlp_loss()[1], top_k=5)


@needs_renderer("dot")
def test_rendering_with_dot_to_svg_and_png(tmp_path):
    o, _ = neuron()
    o.backward()
    picture = draw_graph(o, derivatives=True)
    svg_path, png_path, dot_path = (picture.save(tmp_path / f"g.{s}") for s in ("svg", "png", "dot"))
    svg = html.unescape(svg_path.read_text())  # dot writes - as &#45;
    slope = 1 - math.tanh(-5.5) ** 2
    assert "<svg" in svg and f"grad {slope * -3:.4g}" in svg
    assert png_path.read_bytes().startswith(b"\x89PNG")
    assert dot_path.read_text() == picture.source
    assert "image/svg+xml" in picture._repr_mimebundle_()


@needs_renderer("dot")
def test_the_collapsed_view_of_an_mlp_renders():
    model, loss = mlp_loss(samples=100)
    loss.backward()
    svg = draw_graph(loss, params=model.named_parameters(), collapse="modules").svg()
    assert svg.count('class="node"') == 35 + 1  # boxes and the legend


@needs_renderer("graphviz-pure")
def test_graphviz_pure_renders_where_there_is_no_dot(monkeypatch, tmp_path):
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which",
                        lambda name, **kw: None if name == "dot" else real_which(name, **kw))
    assert "graphviz-pure" in render_module.find_renderer()
    o, _ = neuron()
    o.backward()
    svg = draw_graph(o).save(tmp_path / "g.svg").read_text()
    assert "<svg" in svg and "grad 1" in svg


def test_without_a_renderer_the_dot_text_and_a_hint(monkeypatch, tmp_path):
    monkeypatch.setattr(render_module, "find_renderer", lambda: None)
    o, _ = neuron()
    picture = draw_graph(o)
    bundle = picture._repr_mimebundle_()  # what Jupyter asks for: no exception
    assert list(bundle) == ["text/plain"]
    # a hint, not a wall of DOT text
    assert RENDERER_HINT in bundle["text/plain"] and picture.source not in bundle["text/plain"]
    assert "is in .source" in bundle["text/plain"]
    with pytest.raises(RendererNotFound, match="chainrule\\[viz\\]"):
        picture.save(tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()
    picture.save(tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text() == picture.source


def test_save_needs_a_known_suffix(tmp_path):
    o, _ = neuron()
    with pytest.raises(ValueError, match=".svg, .png or .dot"):
        draw_graph(o).save(tmp_path / "g.pdf")


def test_a_notebook_cell_displaying_a_graph_passes_without_a_renderer(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in [
        f"import sys; sys.path.insert(0, {ROOT!r})\n"
        "import autograd.pictures.render\n"
        "autograd.pictures.render.find_renderer = lambda: None  # a machine without dot or graphviz-pure",
        "from autograd import Value, draw_graph\n"
        "x = Value(2.0, label='x')\ny = (x * x).tanh()\ny.backward()\ndraw_graph(y)",
    ]]
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = notebook.cells[1].outputs
    assert [o["output_type"] for o in outputs] == ["execute_result"]
    assert "No Graphviz renderer found" in outputs[0]["data"]["text/plain"]


# ---- hostile labels and names ----

def as_quoted(text):
    """`text` as graphviz writes it in a label attribute."""
    picture = graphviz.Digraph()
    picture.node("a", text)
    return re.fullmatch(r"\s*a \[label=(.*)\]\n", picture.body[0], flags=re.S)[1]


def test_text_is_escaped_for_where_it_lands():
    assert as_quoted(dot_label('a"b\\c\nd<&>\'')) == '"a\\"b\\\\c\\nd&lt;&amp;&gt;\'"'
    assert as_quoted(dot_label('\\"')) == '"\\\\\\""'  # a backslash, then a quote
    assert as_quoted(dot_label("<b>")) == '"&lt;b&gt;"'  # never an HTML-like label
    assert as_quoted(dot_label("")) == '""'
    assert dot_html("a<b>&'\"\\N\nc") == "a&lt;b&gt;&amp;&#x27;&quot;\\\\N<br/>c"
    assert as_quoted(dot_tooltip('a"\\N\nb')) == '"a\\"\\\\\\\\N\\nb"'
    assert printable("a\r\nb\rc\x00d\ud800e\ufffe\x85") == "a\nb\nc\ufffdd\ufffde\ufffd\ufffd"
    assert printable("é😀\u2028\t") == "é😀\u2028\t"
    long = printable("a" * 300 + "z", limit=100)
    assert len(long) == 100 and long.startswith("aaa") and long.endswith("az") and "…" in long


def svg_parts(svg):
    """The text of every <text> element and every tooltip of an SVG (parsed as XML: it must be
    well formed), and its element names."""
    tree = ElementTree.fromstring(svg.encode("utf-8"))
    svg_ns, xlink = "{http://www.w3.org/2000/svg}", "{http://www.w3.org/1999/xlink}"
    texts = [(t.text or "").strip() for t in tree.iter(svg_ns + "text")]
    tooltips = [a.get(xlink + "title") for a in tree.iter(svg_ns + "a")]
    return texts, tooltips, {element.tag.split("}")[-1] for element in tree.iter()}


@pytest.mark.parametrize("renderer", [pytest.param(r, marks=needs_renderer(r))
                                      for r in ("dot", "graphviz-pure")])
def test_hostile_labels_and_names_render_literally(renderer, monkeypatch):
    monkeypatch.setattr(render_module, "find_renderer", lambda: shutil.which(renderer))
    for text in HOSTILE_TEXTS:
        o, (x, w, b, n) = neuron()
        x.label, w.label = text, None
        o.backward()
        for params in ({text: w}, [(text, w)]):
            picture = draw_graph(o, derivatives=True, params=params)
            texts, tooltips, elements = svg_parts(picture.svg())
            assert elements <= GRAPHVIZ_ELEMENTS, text  # nothing injected
            shown = printable(text)
            if len(shown) > 100:  # a long label is shortened in the middle
                heads = [t for t in texts if t.startswith("leaf: xxxx")]
                assert len(heads) == 1 and heads[0].endswith("onerror=window.pwned=1>")
                assert "…" in heads[0] and len(heads[0]) < 120
                continue
            for kind in ("leaf", "parameter"):
                lines = f"{kind}: {shown}".strip(": ").split("\n")
                assert all(line.strip() in texts for line in lines), (kind, lines, texts)
                assert any(tooltip.startswith(shown or "leaf") for tooltip in tooltips)


def test_a_module_name_with_dot_and_html_characters():
    model = nn.MLP(2, [2, 1], seed=0)
    hostile = '"<b>&\\{}];\n'
    params = [(f"{hostile}.{name}", p) for name, p in model.named_parameters()]
    loss = model([1.0, 2.0])
    loss.backward()
    picture = draw_graph(loss, params=params, collapse="modules")
    assert picture.source.count("&lt;b&gt;&amp;") >= 3
    if shutil.which("dot"):
        texts, _, elements = svg_parts(picture.svg())
        assert elements <= GRAPHVIZ_ELEMENTS
        assert any(t.startswith('"<b>&\\{}];') for t in texts)
