"""Pictures of computation graphs: where the gradient flows.

`draw_graph(root)` draws every Value as a box (its label, data and grad) and every operation as
a small node between its inputs and its result, in DOT, the language of Graphviz. The picture
shows itself in Jupyter, `.source` is the DOT text and `.save()` writes SVG, PNG or DOT.
Large graphs get a smaller view: the top-k values by gradient, or one box per module.
"""
import math
import os
from collections.abc import Iterable, Mapping
from numbers import Integral

from ..backward import chain_rule_steps, topological_order
from ..files import write_atomically
from ..value import Value
from .render import (RendererNotFound, destination, dot_html, dot_string, dot_tooltip, printable,
                     render)

PALETTE = ["#ffffff", "#fee8c8", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"]
KIND_COLOURS = {"output": "#d62728", "parameter": "#1f77b4", "leaf": "#7f7f7f", "value": "#333333"}
NOT_COMPUTED = "—"
TITLE_LIMIT = 100  # characters of a label or name in a box; longer ones are shortened


class Picture:
    """A drawn graph. In Jupyter it displays as SVG (or, with no renderer, as DOT text and a
    hint: displaying never raises). `.source` is the DOT text; `.save(path)` writes .svg,
    .png or .dot by the path's suffix."""

    def __init__(self, source, description):
        self.source = source
        self.description = description
        self._svg = None

    def svg(self):
        """The picture as SVG text (needs a renderer: see autograd.pictures.render)."""
        if self._svg is None:
            self._svg = render(self.source, "svg").decode("utf-8")
        return self._svg

    def png(self):
        """The picture as PNG bytes."""
        return render(self.source, "png")

    def save(self, path):
        """Write the picture by suffix: .svg, .png, or .dot / .gv for the DOT text."""
        name = destination(path, (".svg", ".png", ".dot", ".gv"), ".svg, .png or .dot files")
        suffix = os.path.splitext(name)[1].lower()
        data = self.svg() if suffix == ".svg" else self.png() if suffix == ".png" else self.source
        write_atomically(name, data)
        return path

    def _repr_mimebundle_(self, include=None, exclude=None):
        try:
            return {"image/svg+xml": self.svg(), "text/plain": repr(self)}
        except (RendererNotFound, RuntimeError, OSError) as problem:
            return {"text/plain": f"{problem}\n\n{self.source}"}

    def __repr__(self):
        return (f"<picture of {self.description}: .source is the DOT text, "
                f".save('graph.svg' | 'graph.png' | 'graph.dot') writes it>")


# ---- numbers and text ----

def short(x):
    """A number as it fits on a node: four significant digits."""
    if x == 0:
        return "0"
    return f"{x:.4g}"


def _cell(text, **attributes):
    extra = "".join(f' {key}="{value}"' for key, value in attributes.items())
    text = dot_html(text)
    if attributes.get("bgcolor") in PALETTE[4:]:
        text = f'<font color="white">{text}</font>'  # readable on the darkest reds
    return f"<td{extra}>{text}</td>"


# ---- checking what is asked for ----

PARAMS = ("params is a list of Values, (name, Value) pairs or a {name: Value} dict (such as "
          "model.named_parameters())")


def _what(x):
    """x as an error message shows it: its type and its repr (shortened)."""
    text = repr(x)
    return f"{type(x).__name__}: {text if len(text) <= 60 else text[:45] + '...' + text[-12:]}"


def require_root(root, who):
    if not isinstance(root, Value):
        raise TypeError(f"{who}, got {_what(root)}")


def check_direction(direction):
    if not isinstance(direction, str) or direction not in ("LR", "TB"):
        raise (ValueError if isinstance(direction, str) else TypeError)(
            f"direction is 'LR' (left to right) or 'TB' (top to bottom), got {_what(direction)}")


def _check_whole(number, name, none=""):
    if isinstance(number, bool) or not isinstance(number, Integral):
        raise TypeError(f"{name} is a whole number >= 1{none}, got {_what(number)}")
    if number < 1:
        raise ValueError(f"{name} is a whole number >= 1{none}, got {number}")


def _check_flag(flag, name):
    if not isinstance(flag, bool):
        raise TypeError(f"{name} is True or False, got {_what(flag)}")


def parameter_names(params):
    """{Value: name} from None, a list of Values, (name, Value) pairs or a {name: Value} dict."""
    if params is None:
        return {}
    if isinstance(params, Value):
        raise TypeError(f"{PARAMS}, got a Value: put it in a list, [v]")
    if isinstance(params, Mapping):
        entries = [(f"params[{name!r}]", name, value) for name, value in params.items()]
    elif isinstance(params, Iterable) and not isinstance(params, (str, bytes)):
        entries = [(f"params[{i}]", *item) if isinstance(item, tuple) and len(item) == 2
                   else (f"params[{i}]", f"p{i}", item) for i, item in enumerate(params)]
    else:
        raise TypeError(f"{PARAMS}, got {_what(params)}")
    names = {}
    for where, name, value in entries:
        if not isinstance(value, Value):
            raise TypeError(f"{where} is {_what(value)}, not a Value: {PARAMS}")
        if not isinstance(name, str):
            raise TypeError(f"params: the name of a parameter is a string, got {_what(name)}")
        names[value] = name
    return names


# ---- what a node is ----

def box_title(node, names):
    """What a box is called: the Value's label, else its parameter name ('' for neither)."""
    label = node.label
    if label is not None and not isinstance(label, str):
        raise TypeError(f"a Value's label is a string (or None), got {_what(label)}, on "
                        f"Value(data={node.data!r}): set its .label to a string")
    return label or names.get(node, "")


def _kind(node, root, names):
    if node is root:
        return "output"
    if node in names:
        return "parameter"
    if not node.parents:
        return "leaf"
    return "value"


def _fill(magnitude, largest):
    """The palette colour for |grad| as a fraction of the largest (white for zero)."""
    if not largest or magnitude == 0 or not math.isfinite(magnitude):
        return PALETTE[0]
    return PALETTE[1 + min(4, int(5 * magnitude / largest))] if magnitude < largest \
        else PALETTE[5]


def value_node(name, node, kind, title, grad_text, fill, computed):
    """The DOT statement for one Value: a one-row table — kind and title, data, grad — and a
    tooltip with the numbers in full."""
    colour = KIND_COLOURS[kind]
    title = printable(title, TITLE_LIMIT)
    head = title if kind == "value" else f"{kind}{': ' + title if title else ''}"
    cells = ([_cell(head, bgcolor="#f4f4f4")] if head else []) + [
        _cell(f"data {short(node.data)}"), _cell(f"grad {grad_text}", bgcolor=fill)]
    label = (f'<<table border="1" cellborder="1" cellspacing="0" cellpadding="4" '
             f'color="{colour}"><tr>{"".join(cells)}</tr></table>>')
    grad = repr(node.grad) if computed else "not computed yet"
    tooltip = f"{title or node.op or 'leaf'}\ndata = {node.data!r}\ngrad = {grad}"
    return f"  {name} [id={dot_string(name)}, label={label}, tooltip={dot_tooltip(tooltip)}];"


def _header(direction, label):
    return [
        "digraph chainrule {",
        f'  graph [rankdir={direction}, fontname="Helvetica", fontsize=12, labelloc=t, '
        f"label={dot_string(label)}];",
        '  node [shape=none, margin=0, fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555", arrowsize=0.6];',
    ]


def _legend(largest):
    """One node: the colour scale as a row of swatches."""
    bounds = ["0", "< 20%", "< 40%", "< 60%", "< 80%", "≤ 100%"]
    swatches = "".join(_cell(bound, bgcolor=colour) for colour, bound in zip(PALETTE, bounds))
    title = f"|grad| as a share of the largest ({short(largest)})"
    label = (f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">'
             f'<tr><td colspan="{len(PALETTE)}" border="0">{dot_html(title)}</td></tr>'
             f"<tr>{swatches}</tr></table>>")
    return [f"  legend [id=\"legend\", fontsize=9, label={label}];"]


# ---- the views ----

def draw_graph(root, direction="LR", derivatives=False, color=True, params=None, top_k=None,
               collapse=None, max_nodes=250):
    """Draw the graph that computed `root`.

    direction: 'LR' (left to right) or 'TB' (top to bottom).
    derivatives: write each local derivative ∂(result)/∂(input) on its edge, as the backward
        walk multiplies by it ('undefined' where it is infinite: the walk stops there, as
        backward() does, and the edges it does not reach show '—').
    color: fill each grad with a colour for |grad| (the "where does the gradient flow" view).
    params: the parameters to mark — a list of Values, (name, Value) pairs or a dict, e.g.
        model.named_parameters(); their names label the boxes.
    top_k: draw only the k values with the largest |grad| (and the output).
    collapse='modules': one box per module, grouping parameters by their names' prefix
        (layer0.neuron3.w1 -> layer0.neuron3) together with the operations that use them.
    max_nodes: past this many nodes the view is replaced by a note on what to do (None: no
        limit).

    Before any backward() the grads show as '—', with a note: not as misleading zeros.
    """
    require_root(root, "draw_graph takes the Value whose graph to draw (the output)")
    check_direction(direction)
    _check_flag(derivatives, "derivatives")
    _check_flag(color, "color")
    if top_k is not None:
        _check_whole(top_k, "top_k")
    if collapse is not None and (not isinstance(collapse, str) or collapse != "modules"):
        raise (ValueError if isinstance(collapse, str) else TypeError)(
            f"collapse='modules' is the collapsed view there is (None: no collapsing), "
            f"got {_what(collapse)}")
    if max_nodes is not None:
        _check_whole(max_nodes, "max_nodes", " (or None, for no limit)")
    if top_k is not None and collapse is not None:
        raise ValueError("choose one smaller view: top_k or collapse, not both")
    names = parameter_names(params)
    order = topological_order(root)
    computed = root.grad != 0
    if collapse is not None:
        return _modules_view(root, order, names, direction, color, computed)
    if top_k is not None:
        return _top_k_view(root, order, names, direction, color, computed, top_k, max_nodes)
    if max_nodes is not None and len(order) > max_nodes:
        return _too_large(order, max_nodes, names)
    return full_view(root, order, names, direction, derivatives, color, computed)


def full_view(root, order, names, direction, derivatives, color, computed, note=None,
              titles=None):
    """Every Value and every operation (the picture backward_steps animates too).
    `titles` ({node: text}) names every box, where by default only labels and parameters do."""
    number = {node: i for i, node in enumerate(order)}
    largest = max((abs(n.grad) for n in order if math.isfinite(n.grad)), default=0.0)
    colour_on = color and computed and largest > 0
    label = note or (f"{len(order)} values" if computed else
                     f"{len(order)} values; gradients not computed yet: call backward() on the "
                     f"output (grad shows {NOT_COMPUTED})")
    lines = _header(direction, label)
    locals_ = edge_derivatives(root, order) if derivatives else None
    for node in order:
        i = number[node]
        grad_text = short(node.grad) if computed else NOT_COMPUTED
        fill = _fill(abs(node.grad), largest) if colour_on else PALETTE[0]
        name = titles[node] if titles else box_title(node, names)
        lines.append(value_node(f"v{i}", node, _kind(node, root, names), name, grad_text, fill,
                                computed))
        if node.parents:
            lines.append(f'  op{i} [id="op{i}", shape=ellipse, style=filled, '
                         f'fillcolor="#eeeeee", width=0, height=0, margin="0.06,0.03", '
                         f'fontsize=10, label={dot_string(node.op)}];')
            for position, parent in enumerate(node.parents):
                attributes = f'id="e{number[parent]}_{i}_{position}"'
                if derivatives:
                    local = locals_.get((node, position), NOT_COMPUTED)
                    attributes += f", label={dot_string('∂ = ' + local)}"
                lines.append(f"  v{number[parent]} -> op{i} [{attributes}];")
            lines.append(f'  op{i} -> v{i} [id="r{i}"];')
    if colour_on:
        lines += _legend(largest)
    lines.append("}")
    return Picture("\n".join(lines) + "\n", f"{len(order)} values")


def edge_derivatives(root, order):
    """{(node, position): ∂node/∂(its input at position), as text}, read off the backward walk
    from `root` (chain_rule_steps). Where a derivative is infinite (sqrt at 0) the walk stops,
    as backward() does: that node's edges get 'undefined', and the edges past it no entry."""
    found = {}
    try:
        for step in chain_rule_steps(root):
            found[step.node, step.position] = short(step.local)
    except ArithmeticError:
        # nodes come in reverse topological order: the walk stopped at the first one not reached
        stopped = next(n for n in reversed(order) if n.parents and (n, 0) not in found)
        for position in range(len(stopped.parents)):
            found[stopped, position] = "undefined"
    return found


def _too_large(order, max_nodes, names):
    hint = (f"This graph has {len(order):,} values, more than max_nodes={max_nodes}: drawn in "
            f"full it would be an unreadable tangle. Draw a smaller view: "
            f"draw_graph(root, top_k=30) for the values with the largest gradients"
            + (", or draw_graph(root, params=model.named_parameters(), collapse='modules') "
               "for one box per module" if not names else
               ", or collapse='modules' for one box per module")
            + f", or pass max_nodes={len(order)} to draw it all anyway.")
    lines = _header("LR", "graph too large to draw in full")
    lines.append(f'  note [shape=note, style=filled, fillcolor="#fff8dc", '
                 f"label={dot_string(hint)}];")
    lines.append("}")
    return Picture("\n".join(lines) + "\n", f"a note: {len(order):,} values is too many to draw")


def _top_k_view(root, order, names, direction, color, computed, k, max_nodes):
    if not computed:
        raise ValueError("top_k ranks values by |grad|: call backward() on the output first")
    number = {node: i for i, node in enumerate(order)}
    # constants (unlabelled leaves that are not parameters) carry gradients nobody asked about
    candidates = [n for n in order if n.parents or n.label is not None or n in names]
    ranked = sorted(candidates, key=lambda n: (-abs(n.grad), number[n]))
    kept = set(ranked[:k]) | {root}
    if max_nodes is not None and len(kept) > max_nodes:
        return _too_large(order, max_nodes, names)
    largest = max((abs(n.grad) for n in kept if math.isfinite(n.grad)), default=0.0)
    lines = _header(direction, f"the {len(kept)} values with the largest |grad| of "
                               f"{len(order)}; dashed edges pass through values not drawn")
    for node in order:
        if node not in kept:
            continue
        i = number[node]
        fill = _fill(abs(node.grad), largest) if color else PALETTE[0]
        lines.append(value_node(f"v{i}", node, _kind(node, root, names), box_title(node, names),
                                short(node.grad), fill, True))
        for ancestor, direct in _kept_ancestors(node, kept, number):
            style = f"label={dot_string(node.op)}" if direct else 'style=dashed'
            lines.append(f'  v{number[ancestor]} -> v{i} [{style}];')
    if color and largest > 0:
        lines += _legend(largest)
    lines.append("}")
    return Picture("\n".join(lines) + "\n", f"the top {len(kept)} of {len(order)} values")


def _kept_ancestors(node, kept, number):
    """The nearest drawn ancestors of `node`, each once, with whether it is a direct input."""
    found, seen = {}, set()
    for parent in node.parents:
        if parent in kept:
            found.setdefault(parent, True)
    stack = [p for p in node.parents if p not in kept]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        for parent in current.parents:
            if parent in kept:
                found.setdefault(parent, False)
            else:
                stack.append(parent)
    return sorted(found.items(), key=lambda item: number[item[0]])


INPUTS, OPERATIONS = "inputs and constants", "other operations"


def _modules_view(root, order, names, direction, color, computed):
    if not names:
        raise ValueError("collapse='modules' groups values by their parameters: pass "
                         "params=model.named_parameters()")
    group = {}
    for node in order:
        if node in names:
            group[node] = names[node].rsplit(".", 1)[0]
        elif not node.parents:
            group[node] = INPUTS
        else:
            owners = [group[p] for p in node.parents if p in names]
            if owners:
                group[node] = owners[0]
            elif len(node.parents) == 1 and group[node.parents[0]] not in (INPUTS, OPERATIONS):
                group[node] = group[node.parents[0]]  # an activation joins its neuron
            else:
                group[node] = OPERATIONS
    boxes = list(dict.fromkeys(group[n] for n in order))  # in order of first appearance
    members = {box: [n for n in order if group[n] == box] for box in boxes}
    norms = {box: math.sqrt(sum(p.grad ** 2 for p in members[box] if p in names))
             for box in boxes}
    largest = max((v for v in norms.values() if math.isfinite(v)), default=0.0)
    edges = {}
    for node in order:
        for parent in node.parents:
            if group[parent] != group[node]:
                key = (group[parent], group[node])
                edges[key] = edges.get(key, 0) + 1
    number = {box: i for i, box in enumerate(boxes)}
    shown = {box: printable(box, TITLE_LIMIT) for box in boxes}
    lines = _header(direction, f"one box per module: {len(order):,} values in {len(boxes)} boxes"
                    + ("" if computed else "; gradients not computed yet"))
    for box in boxes:
        count = sum(1 for n in members[box] if n in names)
        kind = "output" if box == group[root] else ("parameter" if count else "leaf")
        detail = f"{count} parameters" if count else f"{len(members[box])} values"
        grad_text = short(norms[box]) if computed and count else NOT_COMPUTED if count else ""
        fill = _fill(norms[box], largest) if color and computed and count else PALETTE[0]
        cells = [_cell(shown[box], bgcolor="#f4f4f4"), _cell(detail)]
        if count:
            cells.append(_cell(f"‖grad‖ {grad_text}", bgcolor=fill))
        label = (f'<<table border="1" cellborder="1" cellspacing="0" cellpadding="4" '
                 f'color="{KIND_COLOURS[kind]}"><tr>{"".join(cells)}</tr></table>>')
        lines.append(f"  m{number[box]} [id=\"m{number[box]}\", label={label}, "
                     f"tooltip={dot_tooltip(f'{shown[box]}: {len(members[box])} values')}];")
    for (source, target), count in edges.items():
        # thicker for more connections; no labels, which would each take a place in the layout
        tooltip = dot_tooltip(f"{shown[source]} -> {shown[target]}: {count} connections")
        lines.append(f"  m{number[source]} -> m{number[target]} "
                     f"[penwidth={0.6 + 0.6 * math.log10(count):.2f}, color=\"#55555599\", "
                     f"tooltip={tooltip}];")
    if color and computed and largest > 0:
        lines += _legend(largest)
    lines.append("}")
    return Picture("\n".join(lines) + "\n", f"{len(boxes)} modules of {len(order):,} values")
