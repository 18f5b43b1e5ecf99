"""Pictures of the engine at work, apart from the engine itself.

- `graph.py` — `draw_graph`: a computation graph in DOT (Graphviz's language), with its views.
- `steps.py` — `backward_steps`: a page that steps through the backward pass;
  `step_page.html` is the page.
- `render.py` — what both share: escaping the user's text for where it lands, files to save
  to, and a Graphviz renderer to turn DOT into SVG or PNG.
"""
from .graph import Picture, draw_graph
from .steps import BackwardSteps, backward_steps

__all__ = ["draw_graph", "Picture", "backward_steps", "BackwardSteps"]
