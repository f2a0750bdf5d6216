"""The NumPy-like namespace: `tt.sin`, `tt.sum`, `tt.matmul`, ..., `tt.linalg` and `tt.fft`,
on arrays, scalars, Duals and Variables alike.

`NUMPY_HANDLERS` maps NumPy's own functions and ufuncs to these, for boxes
passed to NumPy directly (`np.sin(variable)`, `ndarray @ dual`).
"""

from __future__ import annotations

import numpy as np

from . import fft, linalg
from .creation import array, asarray, astype, constructors, copy, full_like, like, linspace
from .elementwise import *  # noqa: F403
from .elementwise import (
    angle,
    clip,
    conj,
    conjugate,
    imag,
    iscomplex,
    iscomplexobj,
    isreal,
    isrealobj,
    nan_to_num,
    polygamma,
    real,
    real_if_close,
    select,
    sign,
    sinc,
    where,
)
from .index_tricks import c_, r_
from .indexing import (
    argpartition,
    diag,
    diagonal,
    getitem,
    index_update,
    partition,
    sort,
    take,
    take_along_axis,
    tril,
    triu,
)
from .manipulation import (
    append,
    array_split,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_to,
    column_stack,
    concatenate,
    dsplit,
    dstack,
    expand_dims,
    flip,
    fliplr,
    flipud,
    hsplit,
    hstack,
    moveaxis,
    pad,
    ravel,
    repeat,
    reshape,
    roll,
    rollaxis,
    rot90,
    row_stack,
    split,
    squeeze,
    stack,
    swapaxes,
    tile,
    transpose,
    vsplit,
    vstack,
)
from .nn import cross_entropy, expit, log_softmax, logsumexp, relu, sigmoid, softmax, softplus
from .products import cross, dot, einsum, inner, kron, matmul, outer, tensordot, trace, vdot
from .reductions import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    argsort,
    count_nonzero,
    cumsum,
    diff,
    gradient,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)

globals().update(constructors)
globals().update(like)

__all__ = sorted(
    name
    for name, value in globals().items()
    if not name.startswith("_") and callable(value) and name not in {"annotations", "np"}
)
INDEX_TRICKS = ["r_", "c_"]  # objects indexed, not called: exported beside __all__

# tt.linalg.expm is SciPy's: NumPy has no function to hand over
NUMPY_HANDLERS = {
    getattr(np.linalg, name): getattr(linalg, name) for name in linalg.__all__ if hasattr(np.linalg, name)
}
# fftfreq and rfftfreq are NumPy's own: nothing to hand over
NUMPY_HANDLERS.update(
    {getattr(np.fft, n): getattr(fft, n) for n in fft.__all__ if getattr(np.fft, n) is not getattr(fft, n)}
)
for _name in __all__:
    _numpy_fn = getattr(np, _name, None)
    # NumPy's own constructors are re-exported as they are: a box passed to them
    # gets the "no tinytorch rule" TypeError, not a handler that calls itself
    if _numpy_fn is not None and callable(_numpy_fn) and _numpy_fn is not globals()[_name]:
        NUMPY_HANDLERS[_numpy_fn] = globals()[_name]

try:  # ndarray.clip calls NumPy's internal clip ufunc, not np.clip
    from numpy._core.umath import clip as _clip_ufunc
except ImportError:  # numpy < 2
    from numpy.core.umath import clip as _clip_ufunc  # type: ignore[no-redef]
NUMPY_HANDLERS[_clip_ufunc] = clip
