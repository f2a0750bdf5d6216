"""tinytorch: a dual-mode automatic differentiation engine on NumPy and SciPy,
and the small neural-network stack that trains on it.

    import tinytorch as tt
    tt.sin(x), tt.sum(x, axis=0), x @ W   # NumPy's names, on arrays, Duals and Variables
"""

from . import malloc_tuning  # noqa: F401  (first: before any derivative is taken)
from .autograd import Dual, Variable  # noqa: F401
from .autograd.api import *  # noqa: F403
from .autograd.api import INDEX_TRICKS as _index_tricks
from .autograd.api import __all__ as _api_names
from .autograd.api import c_, fft, linalg, r_  # noqa: F401
from .staged import jit, make_ir

__version__ = "0.1.0"
__all__ = ["Dual", "Variable", "fft", "linalg", "jit", "make_ir", *_api_names, *_index_tricks]
