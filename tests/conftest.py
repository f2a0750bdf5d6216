"""Hypothesis profiles for the suite (sized for tests/autograd/test_fuzz.py).

default, and ci (which Hypothesis loads by itself on CI machines): a fixed,
derandomized set of examples, no example database, no deadline (machines are
shared); about 30 s for the fuzzer on two cores.
long: `pytest tests/autograd/test_fuzz.py --hypothesis-profile=long`, fresh
random examples, 16,000 programs across the fuzzer's tests.
"""

from __future__ import annotations

import os
import tempfile

from hypothesis import HealthCheck, settings
from threadpoolctl import threadpool_limits

# Hypothesis caches what it learns from the source (even with database=None) in
# its storage directory, by default .hypothesis/ in the working directory: keep
# the checkout clean
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "tinytorch-hypothesis"))

# one BLAS thread per test process: pytest-xdist already runs a worker per core, and BLAS
# threads on top of them oversubscribe the cores; OpenBLAS's waiting threads then spin (a
# 359 x 120 SVD took 1.6 s instead of 5 ms on a busy 2-core machine). The variables reach
# the BLAS libraries loaded from now on (SciPy's), the limit those loaded already (NumPy's,
# which plugins import first).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
threadpool_limits(1)

BOUNDED = {
    "max_examples": 150,
    "derandomize": True,
    "database": None,
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow],
}
settings.register_profile("default", **BOUNDED)
settings.register_profile("ci", **BOUNDED)
settings.register_profile(
    "long",
    max_examples=1000,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
