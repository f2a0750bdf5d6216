"""The primitive table: every differentiable operation, its impl, JVP and VJP.

Importing this package registers all primitives in `primitive.registry`.
"""

from . import linalg, math, nn, products, reductions, shape, special  # noqa: F401
