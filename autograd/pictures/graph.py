"""Pictures of computation graphs: where the gradient flows.

`draw_graph(root)` draws every Value as a box (its label, data and grad) and every operation as
a small node between its inputs and its result. The picture is a `graphviz.Digraph` (a Picture,
its subclass): it shows itself in Jupyter, `.source` is the DOT text, `.render`, `.pipe`,
`.view` and `.attr` work as graphviz users know, and `.save()` writes SVG, PNG or DOT.
Large graphs get a smaller view: the top-k values by gradient, or one box per module.
"""
import math
import os
import subprocess
from collections.abc import Iterable, Mapping
from numbers import Integral

import graphviz

from ..backward import chain_rule_steps, topological_order
from ..files import write_atomically
from ..value import Value
from . import render as renderers
from .render import RendererNotFound, destination, dot_html, dot_label, dot_tooltip, printable

PALETTE = ["#ffffff", "#fee8c8", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"]
KIND_COLOURS = {"output": "#d62728", "parameter": "#1f77b4", "leaf": "#7f7f7f", "value": "#333333"}
NOT_COMPUTED = "—"
TITLE_LIMIT = 100  # characters of a label or name in a box; longer ones are shortened
PICTURE_SUFFIXES = (".svg", ".png", ".dot", ".gv")


class Picture(graphviz.Digraph):
    """A drawn graph, and a graphviz.Digraph: everything graphviz does works on it, as on any
    Digraph — `.source` (the DOT text), `.attr(rankdir='TB')`, `.node()`, `.edge()`,
    `.render('graph', format='png')`, `.pipe(format='svg')`, `.view()`, `.copy()` — and Jupyter
    shows it. Its format is 'svg', as in micrograd's draw_dot. Besides, chainrule adds:

    - `.save(path)`: the picture by the path's suffix, .svg, .png, or .dot / .gv for the DOT
      text, written atomically (graphviz's own form, save(filename, directory=...), is still
      there: it writes the DOT text, as render() does first);
    - `.svg()`, the SVG text, and `.png()`, the PNG bytes;
    - a display that never raises: with no renderer it says what to install (the DOT text is
      in `.source`); a renderer that fails shows its error and the DOT text;
    - where the system has no `dot` but graphviz-pure is installed, `render`, `pipe`, `view`,
      `.svg()`, `.png()` and the display run graphviz-pure in its place, where a plain
      Digraph raises graphviz.ExecutableNotFound. With neither: RendererNotFound, a
      graphviz.ExecutableNotFound whose message names what to install.
    """

    # Each statement indented by two spaces (graphviz writes a tab): the DOT text reads as
    # chainrule's always has.
    _node = _attr = staticmethod(lambda left, right: f"  {left}{right}\n")
    _edge = staticmethod(lambda *, tail, head, attr: f"  {tail} -> {head}{attr}\n")

    def __init__(self, *args, description="a graph", **kwargs):
        kwargs.setdefault("format", "svg")
        super().__init__(*args, **kwargs)
        self.description = description

    # ---- graphviz's, with graphviz-pure standing in for a missing dot ----

    def pipe(self, format=None, renderer=None, formatter=None, neato_no_op=None, quiet=False, *,
             engine=None, encoding=None):
        """graphviz.Digraph.pipe: the picture as bytes (str, given an `encoding`) in `format`
        (default: .format, 'svg'). Without the system's dot, graphviz-pure draws it."""
        command = renderers.stand_in()
        if command is None:
            return super().pipe(format, renderer=renderer, formatter=formatter,
                                neato_no_op=neato_no_op, quiet=quiet, engine=engine,
                                encoding=encoding)
        output = ":".join(part for part in (format or self.format, renderer, formatter) if part)
        arguments = [f"-K{engine or self.engine}", f"-T{output}"]
        if neato_no_op:
            arguments.append(f"-n{neato_no_op:d}")
        data = renderers.run(command, arguments, self.source.encode(self.encoding), quiet)
        return data if encoding is None else data.decode(encoding)

    def render(self, filename=None, directory=None, view=False, cleanup=False, format=None,
               renderer=None, formatter=None, neato_no_op=None, quiet=False, quiet_view=False,
               *, outfile=None, engine=None, raise_if_result_exists=False,
               overwrite_source=False):
        """graphviz.Digraph.render: save the DOT text to `filename` (default: .filepath), draw
        it beside it as `filename.format` (or to `outfile`, its format from its suffix), and
        return that path; view=True opens it. Without the system's dot, graphviz-pure draws
        it. (`.view()` is render(view=True).)"""
        if renderers.stand_in() is None:
            return super().render(filename, directory=directory, view=view, cleanup=cleanup,
                                  format=format, renderer=renderer, formatter=formatter,
                                  neato_no_op=neato_no_op, quiet=quiet, quiet_view=quiet_view,
                                  outfile=outfile, engine=engine,
                                  raise_if_result_exists=raise_if_result_exists,
                                  overwrite_source=overwrite_source)
        if raise_if_result_exists and overwrite_source:
            raise ValueError("overwrite_source cannot be combined with raise_if_result_exists")
        if outfile is not None:
            outfile = os.fspath(outfile)
            if format is None:
                format = os.path.splitext(outfile)[1][1:].lower()
                if not format:
                    raise graphviz.RequiredArgumentError(
                        f"cannot infer the format from outfile {outfile!r}: give it a suffix "
                        f"(.svg, .png) or pass format=")
            if directory is None:
                outfile = os.path.join(self.directory, outfile)
            if filename is None:
                filename = os.path.splitext(outfile)[0] + ".gv"
        source = super().save(filename, directory=directory)
        format = format or self.format
        result = outfile if outfile is not None else ".".join(
            part for part in (source, formatter, renderer, format) if part)
        if not overwrite_source and os.path.abspath(result) == os.path.abspath(source):
            raise ValueError(f"outfile {result!r} must be different from the DOT file it is "
                             f"drawn from (pass overwrite_source=True to override)")
        if raise_if_result_exists and os.path.exists(result):
            raise graphviz.FileExistsError(f"output file exists: {result!r}")
        write_atomically(result, self.pipe(format, renderer=renderer, formatter=formatter,
                                           neato_no_op=neato_no_op, quiet=quiet, engine=engine))
        if cleanup:
            os.remove(source)
        if view or quiet_view:
            graphviz.view(result, quiet=quiet_view)
        return result

    # ---- chainrule's ----

    def svg(self):
        """The picture as SVG text (needs a renderer: see autograd.pictures.render). Quiet:
        the renderer's warnings are not shown (pipe() shows them)."""
        return self.pipe(format="svg", quiet=True, encoding="utf-8")

    def png(self):
        """The picture as PNG bytes, quietly."""
        return self.pipe(format="png", quiet=True)

    def save(self, filename=None, directory=None, *, skip_existing=False):
        """save(path): write the picture by the path's suffix — .svg, .png, or .dot / .gv for
        the DOT text — atomically, and return `path`.

        Given `directory` or `skip_existing` (render() calls it so), this is graphviz's
        Digraph.save: the DOT text to `filename` (default: .filepath)."""
        if directory is not None or skip_existing is not False:
            return super().save(filename, directory=directory, skip_existing=skip_existing)
        name = destination(filename, PICTURE_SUFFIXES, ".svg, .png or .dot files")
        suffix = os.path.splitext(name)[1].lower()
        data = self.svg() if suffix == ".svg" else self.png() if suffix == ".png" else self.source
        write_atomically(name, data)
        return filename

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        """What Jupyter shows: SVG and PNG (or what `include` asks for); where that fails,
        the DOT text and why, never an exception."""
        if include is None:
            # SVG for trusted notebooks, PNG too for untrusted ones (a fresh clone, GitHub),
            # which do not show SVG
            include = ("image/svg+xml", "image/png")
        try:
            bundle = super()._repr_mimebundle_(include, exclude, **kwargs)
        except RendererNotFound as problem:  # a hint, not a wall of DOT text
            return {"text/plain": f"{problem}\n(the picture's DOT text, "
                                  f"{self.source.count(chr(10))} lines, is in .source)"}
        except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as problem:
            return {"text/plain": f"{problem}\n\n{self.source}"}  # the text it failed on
        return {**bundle, "text/plain": repr(self)}

    # what graphviz's display calls for each kind of picture: quiet, as svg() and png() are
    # (graphviz-pure warns of every non-ASCII character it has no width for, such as ∂)
    _repr_image_svg_xml = svg
    _repr_image_png = png

    def __repr__(self):
        return (f"<picture of {self.description}, a graphviz.Digraph: .source is the DOT text, "
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

def op_title(node):
    """An operation's name as its node shows it, shortened as box titles are (one given by
    hand, Value(data, children, op), may be any length)."""
    return printable(node.op, TITLE_LIMIT)


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


def value_node(picture, name, node, kind, title, grad_text, fill, computed):
    """One Value's node: a one-row table — kind and title, data, grad — and a tooltip with the
    numbers in full."""
    colour = KIND_COLOURS[kind]
    title = printable(title, TITLE_LIMIT)
    head = title if kind == "value" else f"{kind}{': ' + title if title else ''}"
    cells = ([_cell(head, bgcolor="#f4f4f4")] if head else []) + [
        _cell(f"data {short(node.data)}"), _cell(f"grad {grad_text}", bgcolor=fill)]
    label = (f'<<table border="1" cellborder="1" cellspacing="0" cellpadding="4" '
             f'color="{colour}"><tr>{"".join(cells)}</tr></table>>')
    grad = repr(node.grad) if computed else "not computed yet"
    tooltip = f"{title or op_title(node) or 'leaf'}\ndata = {node.data!r}\ngrad = {grad}"
    picture.node(name, label, id=name, tooltip=dot_tooltip(tooltip))


def _picture(direction, label, description):
    """An empty picture: its caption, direction and the look of its nodes and edges."""
    return Picture(
        "chainrule", description=description,
        graph_attr={"rankdir": direction, "fontname": "Helvetica", "fontsize": "12",
                    "labelloc": "t", "label": dot_label(label)},
        node_attr={"shape": "none", "margin": "0", "fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#555555",
                   "arrowsize": "0.6"})


def _legend(picture, largest):
    """One node: the colour scale as a row of swatches."""
    bounds = ["0", "< 20%", "< 40%", "< 60%", "< 80%", "≤ 100%"]
    swatches = "".join(_cell(bound, bgcolor=colour) for colour, bound in zip(PALETTE, bounds))
    title = f"|grad| as a share of the largest ({short(largest)})"
    label = (f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">'
             f'<tr><td colspan="{len(PALETTE)}" border="0">{dot_html(title)}</td></tr>'
             f"<tr>{swatches}</tr></table>>")
    picture.node("legend", label, id="legend", fontsize="9")


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

    Returns a Picture, which is a graphviz.Digraph: `.source`, `.attr(...)`, `.render(...)`,
    `.pipe(...)`, `.view()` and Jupyter display work as on any Digraph, and `.save(path)` writes
    .svg, .png or .dot by suffix.
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
    picture = _picture(direction, label, f"{len(order)} values")
    locals_ = edge_derivatives(root, order) if derivatives else None
    for node in order:
        i = number[node]
        grad_text = short(node.grad) if computed else NOT_COMPUTED
        fill = _fill(abs(node.grad), largest) if colour_on else PALETTE[0]
        name = titles[node] if titles else box_title(node, names)
        value_node(picture, f"v{i}", node, _kind(node, root, names), name, grad_text, fill,
                   computed)
        if node.parents:
            picture.node(f"op{i}", dot_label(op_title(node)), id=f"op{i}", shape="ellipse",
                         style="filled", fillcolor="#eeeeee", width="0", height="0",
                         margin="0.06,0.03", fontsize="10")
            for position, parent in enumerate(node.parents):
                label = None
                if derivatives:
                    label = dot_label("∂ = " + locals_.get((node, position), NOT_COMPUTED))
                picture.edge(f"v{number[parent]}", f"op{i}", label,
                             id=f"e{number[parent]}_{i}_{position}")
            picture.edge(f"op{i}", f"v{i}", id=f"r{i}")
    if colour_on:
        _legend(picture, largest)
    return picture


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
    picture = _picture("LR", "graph too large to draw in full",
                       f"a note: {len(order):,} values is too many to draw")
    picture.node("note", dot_label(hint), shape="note", style="filled", fillcolor="#fff8dc")
    return picture


def _top_k_view(root, order, names, direction, color, computed, k, max_nodes):
    if not computed:
        raise ValueError("top_k ranks values by |grad|: call backward() on the output first")
    number = {node: i for i, node in enumerate(order)}
    # constants (unlabelled leaves that are not parameters) carry gradients nobody asked about
    candidates = [n for n in order if n.parents or n.label or n in names]
    ranked = sorted(candidates, key=lambda n: (-abs(n.grad), number[n]))
    kept = set(ranked[:k]) | {root}
    if max_nodes is not None and len(kept) > max_nodes:
        return _too_large(order, max_nodes, names)
    largest = max((abs(n.grad) for n in kept if math.isfinite(n.grad)), default=0.0)
    picture = _picture(direction, f"the {len(kept)} values with the largest |grad| of "
                                  f"{len(order)}; dashed edges pass through values not drawn",
                       f"the top {len(kept)} of {len(order)} values")
    for node in order:
        if node not in kept:
            continue
        i = number[node]
        fill = _fill(abs(node.grad), largest) if color else PALETTE[0]
        value_node(picture, f"v{i}", node, _kind(node, root, names), box_title(node, names),
                   short(node.grad), fill, True)
        for ancestor, direct in _kept_ancestors(node, kept, number):
            if direct:
                picture.edge(f"v{number[ancestor]}", f"v{i}", dot_label(op_title(node)))
            else:
                picture.edge(f"v{number[ancestor]}", f"v{i}", style="dashed")
    if color and largest > 0:
        _legend(picture, largest)
    return picture


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
    picture = _picture(direction, f"one box per module: {len(order):,} values in {len(boxes)} "
                                  f"boxes" + ("" if computed else "; gradients not computed yet"),
                       f"{len(boxes)} modules of {len(order):,} values")
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
        picture.node(f"m{number[box]}", label, id=f"m{number[box]}",
                     tooltip=dot_tooltip(f"{shown[box]}: {len(members[box])} values"))
    for (source, target), count in edges.items():
        # thicker for more connections; no labels, which would each take a place in the layout
        tooltip = dot_tooltip(f"{shown[source]} -> {shown[target]}: {count} connections")
        picture.edge(f"m{number[source]}", f"m{number[target]}",
                     penwidth=f"{0.6 + 0.6 * math.log10(count):.2f}", color="#55555599",
                     tooltip=tooltip)
    if color and computed and largest > 0:
        _legend(picture, largest)
    return picture
