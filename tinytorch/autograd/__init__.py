"""tinytorch.autograd: the dual-mode differentiation engine.

One table of primitives (`rules/`), read by `Dual` for forward mode and by
`Variable` for reverse mode; function transforms on top (`grad`, `jvp`, `vjp`,
`jacobian`, `hessian`, `hvp`) and `gradcheck` to verify any of it.
"""

from . import rules  # noqa: F401  (registers the primitive table)
from .checkpoint import checkpoint
from .custom import primitive
from .forward import Dual
from .gradcheck import GradcheckError, gradcheck
from .graph import GraphNode, backward_graph
from .implicit import UnconvergedWarning, custom_fixed_point, custom_root
from .jacobian import Jacobian, hessian, jacfwd, jacobian, jacrev
from .levels import enable_grad, is_grad_enabled, no_grad
from .primitive import Primitive, registry
from .reach import register_random_state
from .reverse import Variable
from .transforms import grad, holomorphic_grad, hvp, jvp, value_and_grad, vjp

__all__ = [
    "Variable",
    "Dual",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "grad",
    "holomorphic_grad",
    "value_and_grad",
    "jvp",
    "vjp",
    "jacobian",
    "jacfwd",
    "jacrev",
    "hessian",
    "hvp",
    "gradcheck",
    "GradcheckError",
    "checkpoint",
    "register_random_state",
    "primitive",
    "custom_root",
    "custom_fixed_point",
    "UnconvergedWarning",
    "Primitive",
    "registry",
    "backward_graph",
    "GraphNode",
    "sparsity",
    "hessian_sparsity",
    "coloring",
]

# the sparse tools work on scipy.sparse matrices: loaded on first use, so that importing
# tinytorch does not import SciPy
_SPARSE = {"sparsity": "sparse_patterns", "hessian_sparsity": "sparse_patterns", "coloring": "colorings"}


def __getattr__(name: str):  # noqa: ANN202
    if name in _SPARSE:
        import importlib

        return getattr(importlib.import_module(f".{_SPARSE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
