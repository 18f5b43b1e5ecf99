"""Pictures of the engine at work, apart from the engine itself.

- `graph.py` — `draw_graph`: a computation graph as a `graphviz.Digraph` (a Picture), with its
  views.
- `steps.py` — `backward_steps`: a page that steps through the backward pass;
  `step_page.html` is the page.
- `render.py` — what both share: escaping the user's text for where it lands, files to save
  to, and the Graphviz renderer (the system's `dot`, else `graphviz-pure` in its place).
"""
from .graph import Picture, draw_graph
from .steps import BackwardSteps, backward_steps

__all__ = ["draw_graph", "Picture", "backward_steps", "BackwardSteps"]
