"""Raise glibc malloc's mmap threshold once, at import: a measured fast path.

glibc serves each allocation above its mmap threshold (128 KiB at start) with
fresh pages from the kernel and unmaps them on free, so every such temporary pays
page faults. glibc raises the threshold itself (up to the block's size) the first
time a block above it is freed; this does that once, with a 4 MiB block that is
never touched. Derivative passes make many temporaries of 0.1-1 MiB (a block of
tangents or cotangents): `hessian` of logsumexp(A x) + x.x/2 with A 200x100
(analysis/derivatives.py) takes 1.1-1.5 ms without this and 0.8 ms with it.
Importing SciPy used to do the same as a side effect. Other allocators ignore it.
"""

import numpy as np

np.empty(1 << 19)  # 4 MiB of float64, allocated and freed at once
