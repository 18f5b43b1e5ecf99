"""The backward pass step by step, as a self-contained web page.

`backward_steps(root)` lays out the graph once, then replays the engine's own backward walk one
chain-rule product at a time: Next, Previous and Play move through it, the current node and
edge light up, gradients fill in, and each step is written out with its numbers,

    x.grad += (∂n/∂x = -3) × n.grad 0.5 = -1.5

Everything (SVG, script, data) is inline: the page works offline, saved or in Jupyter.
"""
import re

from .backward import partials_of, topological_order
from .files import write_atomically
from .render import RendererNotFound, destination, html_text, printable, script_json
from .viz import box_title, check_direction, full_view, parameter_names, require_root

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
        # An iframe keeps the page's script and style apart from the notebook's.
        return (f'<iframe srcdoc="{html_text(self.html)}" '
                f'style="width: 100%; height: 640px; border: 1px solid #ddd"></iframe>')

    def __repr__(self):
        return (f"<backward pass in {len(self.steps)} steps: .save('steps.html') writes the "
                f"page, which a browser opens offline>")


def _number(x):
    return f"{x:.6g}"


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
    number = {node: i for i, node in enumerate(order)}
    display = [printable(box_title(node, names) or f"v{i}") for i, node in enumerate(order)]
    steps = [{"node": number[root], "parent": None, "grad": 1.0,
              "text": f"{display[number[root]]}.grad = 1: the output's derivative with respect "
                      f"to itself"}]
    gradients = {root: 1.0}
    # The same walk as the engine's (walk._walk, whose order and products test_steps checks),
    # one product per step.
    for node in reversed(order):
        if not node.parents:
            continue
        upstream = gradients[node]
        i = number[node]
        for position, (parent, local) in enumerate(
                zip(node.parents, partials_of(node))):
            contribution = local * upstream
            previous = gradients.get(parent)
            gradients[parent] = contribution if previous is None else previous + contribution
            j = number[parent]
            steps.append({
                "node": i, "parent": j, "edge": f"e{j}_{i}_{position}", "grad": gradients[parent],
                "text": f"{display[j]}.grad += (∂{display[i]}/∂{display[j]} = {_number(local)}) "
                        f"× {display[i]}.grad {_number(upstream)} = {_number(contribution)}"
                        + (f"  →  {display[j]}.grad = {_number(gradients[parent])}"
                           if previous is not None else ""),
            })
        if len(steps) > STEP_LIMIT:
            raise ValueError(f"this graph has more than {STEP_LIMIT} backward steps: step "
                             f"through a smaller expression (draw_graph shows large ones)")
    picture = full_view(root, order, names, direction, derivatives=True, color=False,
                        computed=False, note="the backward pass, step by step",
                        titles=dict(zip(order, display)))
    try:
        svg = picture.svg()
        svg = svg[svg.index("<svg"):]  # drop the XML prologue: the SVG sits inside HTML
    except (RendererNotFound, RuntimeError, OSError) as problem:
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
    return PLACEHOLDER.sub(lambda found: parts[found[1]], PAGE)


PLACEHOLDER = re.compile(r"\{(svg|rows|data)\}")


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>The backward pass, step by step</title>
<style>
  body { font-family: Helvetica, Arial, sans-serif; margin: 16px; color: #222; }
  #controls button { font-size: 15px; margin-right: 6px; padding: 4px 12px; }
  #counter { margin-left: 10px; color: #555; }
  #explain { font-family: Menlo, Consolas, monospace; font-size: 15px; margin: 12px 0;
             padding: 8px 10px; background: #f6f3ff; border-left: 4px solid #7b2fbe;
             min-height: 1.4em; }
  #graph svg { max-width: 100%; height: auto; }
  g.current polygon, g.current polyline { stroke: #7b2fbe; stroke-width: 3px; }
  g.source polygon, g.source polyline { stroke: #2ca02c; stroke-width: 3px; }
  g.edge.current path { stroke: #7b2fbe; stroke-width: 3px; }
  table { border-collapse: collapse; margin-top: 12px; font-size: 14px; }
  td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
  tr.current td { background: #f0e6ff; }
  tr.source td { background: #e6f5e6; }
  .note { color: #8a6d3b; }
</style>
</head>
<body>
<h2>The backward pass, step by step</h2>
<div id="controls">
  <button id="previous">&#9664; Previous</button>
  <button id="next">Next &#9654;</button>
  <button id="play">Play</button>
  <button id="reset">Reset</button>
  <span id="counter"></span>
</div>
<div id="explain"></div>
<div id="graph">{svg}</div>
<table id="values">
<tr><th>value</th><th>made by</th><th>data</th><th>grad</th></tr>
{rows}
</table>
<script>
const DATA = {data};
let position = 0;  // steps done
let timer = null;

function short(x) { return x === 0 ? "0" : Number(x.toPrecision(4)).toString(); }

function nodeGroup(i) { return document.getElementById("v" + i); }

function setSvgGrad(i, text) {
  const group = nodeGroup(i);
  if (!group) return;
  const texts = group.querySelectorAll("text");  // the grad cell is the box's last
  if (texts.length) texts[texts.length - 1].textContent = "grad " + text;
}

function mark(id, name, on) {
  const element = document.getElementById(id);
  if (element) element.classList.toggle(name, on);
}

function show() {
  const grads = DATA.nodes.map(() => null);
  for (let k = 0; k < position; k++) {
    const step = DATA.steps[k];
    grads[step.parent === null ? step.node : step.parent] = step.grad;
  }
  document.querySelectorAll(".current, .source").forEach(e => e.classList.remove("current", "source"));
  DATA.nodes.forEach((node, i) => {
    const cell = document.getElementById("grad" + i);
    cell.textContent = grads[i] === null ? "—" : String(grads[i]);
    cell.dataset.grad = grads[i] === null ? "" : String(grads[i]);
    setSvgGrad(i, grads[i] === null ? "—" : short(grads[i]));
  });
  const explain = document.getElementById("explain");
  if (position === 0) {
    explain.textContent = "Press Next to start the backward pass at the output.";
  } else {
    const step = DATA.steps[position - 1];
    explain.textContent = step.text;
    const target = step.parent === null ? step.node : step.parent;
    mark("v" + target, "current", true);
    mark("row" + target, "current", true);
    if (step.parent !== null) {
      mark("v" + step.node, "source", true);
      mark("row" + step.node, "source", true);
      mark(step.edge, "current", true);
    }
  }
  if (position === DATA.steps.length) explain.textContent += "   (done: every gradient is in)";
  document.getElementById("counter").textContent = "step " + position + " of " + DATA.steps.length;
  document.getElementById("previous").disabled = position === 0;
  document.getElementById("next").disabled = position === DATA.steps.length;
}

function go(to) { position = Math.max(0, Math.min(DATA.steps.length, to)); show(); }
function stop() { if (timer) { clearInterval(timer); timer = null; } document.getElementById("play").textContent = "Play"; }

document.getElementById("next").onclick = () => { stop(); go(position + 1); };
document.getElementById("previous").onclick = () => { stop(); go(position - 1); };
document.getElementById("reset").onclick = () => { stop(); go(0); };
document.getElementById("play").onclick = () => {
  if (timer) { stop(); return; }
  if (position === DATA.steps.length) go(0);
  document.getElementById("play").textContent = "Pause";
  timer = setInterval(() => { if (position >= DATA.steps.length) stop(); else go(position + 1); }, 800);
};
document.addEventListener("keydown", e => {
  if (e.key === "ArrowRight") document.getElementById("next").click();
  if (e.key === "ArrowLeft") document.getElementById("previous").click();
});
show();
</script>
</body>
</html>
"""
