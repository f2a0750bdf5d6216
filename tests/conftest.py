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

# Hypothesis caches what it learns from the source (even with database=None) in
# its storage directory, by default .hypothesis/ in the working directory: keep
# the checkout clean
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "tinytorch-hypothesis"))

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
