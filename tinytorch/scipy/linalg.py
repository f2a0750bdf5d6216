"""SciPy's `scipy.linalg`, differentiable: SciPy's names and signatures, on arrays,
Duals and Variables alike.

`expm(a)`: the matrix exponential of a (stack of) square matrices, the same function
as `tt.linalg.expm`; its derivatives, to any order, are SciPy's Fréchet derivatives
(`scipy.linalg.expm_frechet`).

>>> import numpy as np
>>> from tinytorch.autograd import jvp
>>> from tinytorch.scipy.linalg import expm
>>> a, e = np.diag([1.0, 2.0]), np.array([[1.0, 0.0], [0.0, 0.0]])
>>> value, tangent = jvp(expm, (a,), (e,))        # d e^A along E, here e^1 in the corner
>>> bool(np.allclose(tangent, [[np.e, 0.0], [0.0, 0.0]]))
True
"""

from __future__ import annotations

from ..autograd.api.linalg import expm

__all__ = ["expm"]
