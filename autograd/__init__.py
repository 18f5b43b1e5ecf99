"""chainrule's autograd: a scalar reverse-mode automatic-differentiation engine.

    >>> from autograd import Value
    >>> x = Value(2.0); y = x * x + 3 * x
    >>> y.backward(); x.grad
    7.0
"""
from typing import TYPE_CHECKING

from . import ops
from .backward import ChainRuleStep, chain_rule_steps, grad, hessian, topological_order
from .check import GradcheckReport, gradcheck, gradgradcheck
from .custom import define
from .forward import hvp, jacobian, jvp
from .batched import Tape, trace
from .vectors import all_finite, values_to_vector, vector_to_values
from .files import check_writable, write_atomically
from .ops import FUNCTIONS
from .elementary import DomainError
from .pictures import BackwardSteps, Picture, backward_steps, draw_graph
from .value import (TraceError, Value, dot, enable_grad, is_grad_enabled, logsumexp, no_grad,
                    set_grad_enabled, total)
from .collector import collector_paused, set_collector_spacing

if TYPE_CHECKING:
    # For type checkers: the table's functions (exp, log1p, ...) are added to this module's
    # names below, from the table; each takes a float, a Value or a numpy array.
    def __getattr__(name: str) -> ops.Elementwise: ...

# Lets `nn` (and anyone) tell this package from another distribution's `autograd`.
__chainrule__ = True
__version__ = "0.1.0"

__all__ = [
    "Value", "DomainError", "grad", "hessian", "topological_order", "chain_rule_steps",
    "ChainRuleStep", "jvp", "hvp", "jacobian", "no_grad",
    "enable_grad", "set_grad_enabled", "is_grad_enabled", "collector_paused",
    "set_collector_spacing",
    "dot", "total", "logsumexp", "define",
    "gradcheck", "gradgradcheck", "GradcheckReport",
    "draw_graph", "Picture", "backward_steps", "BackwardSteps",
    "trace", "Tape", "TraceError", "values_to_vector", "vector_to_values", "all_finite",
    "write_atomically", "check_writable",
]

# Every function of the rule table (exp, log1p, tanh, clamp, ...), by its name: each takes a
# float, a Value or a numpy array.
globals().update(FUNCTIONS)
__all__ += list(FUNCTIONS)
