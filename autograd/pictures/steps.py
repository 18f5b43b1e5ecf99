"""The backward pass step by step, as a self-contained web page.

`backward_steps(root)` lays out the graph once, then replays the engine's own backward walk one
chain-rule product at a time: Next, Previous and Play move through it, the current node and
edge light up, gradients fill in, and each step is written out with its numbers,

    x.grad += (∂n/∂x = -3) × n.grad 0.5 = -1.5

Everything (SVG, script, data) is inline: the page works offline, saved or in Jupyter. The
page itself is `step_page.html`, beside this file; `{{svg}}`, `{{rows}}` and `{{data}}` in it
are filled in here.
"""
import functools
import importlib.resources
import re
import subprocess

from ..backward import chain_rule_steps, topological_order
from ..files import write_atomically
from .graph import box_title, check_direction, full_view, parameter_names, require_root
from .render import destination, html_text, printable, script_json

STEP_LIMIT = 400


class BackwardSteps:
    """The step-through page: `.html` is the page, `.save(path)` writes it, and Jupyter shows
    it inline."""

    def __init__(self, page, steps):
        self.html = page
        self.steps = steps  # what the page shows, step by step (for tests and the curious)

    def save(self, path):
        """Write the page to an .html file."""
        write_atomically(destination(path, (".html", ".htm"), "an .html file"), self.html)
        return path

    def _repr_html_(self):
        # An iframe keeps the page's script and style apart from the notebook's. An untrusted
        # notebook (a fresh clone) strips the iframe: the steps as text below still show.
        steps = "\n".join(step["text"] for step in self.steps)
        return (f'<iframe srcdoc="{html_text(self.html)}" '
                f'style="width: 100%; height: 640px; border: 1px solid #ddd"></iframe>'
                f'<details><summary>The {len(self.steps)} steps as text (what the page shows: '
                f'trust the notebook to step through them)</summary>'
                f'<pre>{html_text(steps)}</pre></details>')

    def __repr__(self):
        return (f"<backward pass in {len(self.steps)} steps: .save('steps.html') writes the "
                f"page, which a browser opens offline>")


def _number(x):
    return f"{x:.6g}"


def _in_words(step, node, parent):
    """A chain-rule step as the page writes it: x.grad += (∂n/∂x = -3) × n.grad 0.5 = -1.5"""
    text = (f"{parent}.grad += (∂{node}/∂{parent} = {_number(step.local)}) × {node}.grad "
            f"{_number(step.upstream)} = {_number(step.contribution)}")
    if step.before is not None:
        text += f"  →  {parent}.grad = {_number(step.after)}"
    return text


def backward_steps(root, params=None, direction="LR"):
    """A page that steps through the backward pass from `root`, node by node in reverse
    topological order, with every chain-rule product written out in numbers.

    It shows d root / d node for one backward pass starting from zero; `.grad` is untouched.
    params: parameters to mark and name, as in draw_graph.
    """
    require_root(root, "backward_steps takes the Value to step back from (the output)")
    check_direction(direction)
    names = parameter_names(params)
    order = topological_order(root)
    if 1 + sum(len(node.parents) for node in order) > STEP_LIMIT:
        raise ValueError(f"this graph has more than {STEP_LIMIT} backward steps: step "
                         f"through a smaller expression (draw_graph shows large ones)")
    number = {node: i for i, node in enumerate(order)}
    display = [printable(box_title(node, names) or f"v{i}") for i, node in enumerate(order)]
    steps = [{"node": number[root], "parent": None, "grad": 1.0,
              "text": f"{display[number[root]]}.grad = 1: the output's derivative with respect "
                      f"to itself"}]
    # The engine's own walk (backward.chain_rule_steps), one product per step.
    for step in chain_rule_steps(root):
        i, j = number[step.node], number[step.parent]
        steps.append({"node": i, "parent": j, "edge": f"e{j}_{i}_{step.position}",
                      "grad": step.after, "text": _in_words(step, display[i], display[j])})
    picture = full_view(root, order, names, direction, derivatives=True, color=False,
                        computed=False, note="the backward pass, step by step",
                        titles=dict(zip(order, display)))
    try:
        svg = picture.svg()
        svg = svg[svg.index("<svg"):]  # drop the XML prologue: the SVG sits inside HTML
    except (RuntimeError, OSError, subprocess.SubprocessError) as problem:
        # no renderer (RendererNotFound is a RuntimeError), or one that failed
        svg = f'<p class="note">{html_text(str(problem).split(".")[0])}: the table below ' \
              f"shows every step.</p>"
    nodes = [{"name": display[i], "op": node.op or "leaf", "data": node.data}
             for i, node in enumerate(order)]
    return BackwardSteps(_page(svg, nodes, steps), steps)


def _page(svg, nodes, steps):
    rows = "\n".join(
        f'<tr id="row{i}"><td>{html_text(n["name"])}</td><td>{html_text(n["op"])}</td>'
        f'<td>{n["data"]!r}</td><td class="grad" id="grad{i}">—</td></tr>'
        for i, n in enumerate(nodes))
    parts = {"svg": svg, "rows": rows, "data": script_json({"nodes": nodes, "steps": steps})}
    # One pass: what one placeholder brings in is never searched for the next.
    return PLACEHOLDER.sub(lambda found: parts[found[1]], page_template())


PLACEHOLDER = re.compile(r"\{\{(svg|rows|data)\}\}")


@functools.cache
def page_template():
    """The page, step_page.html, with its three placeholders still in."""
    return (importlib.resources.files(__package__).joinpath("step_page.html")
            .read_text(encoding="utf-8"))
