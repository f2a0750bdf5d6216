"""The primitive table: every differentiable operation, its impl, JVP and VJP.

Importing this package registers all primitives in `primitive.registry`.
"""

from . import fft, linalg, math, nn, products, reductions, scipy_linalg, shape, signal, special  # noqa: F401
