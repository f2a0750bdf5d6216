"""Starting tinytorch costs little more than NumPy's import: SciPy, whose
scipy.special alone takes several times as long, is imported on the first call
of a function that needs it, which then calls SciPy's ufunc directly."""

import subprocess
import sys


def python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300).stdout


def test_importing_tinytorch_its_core_and_its_cli_leaves_scipy_unimported():
    assert python("import sys, tinytorch, tinytorch.core, tinytorch.cli; print('scipy' in sys.modules)") == "False\n"


def test_the_first_call_imports_scipy_and_its_ufunc_serves_from_then_on():
    out = python("""
import math
import tinytorch as tt
from tinytorch.autograd import grad
# the primitive's attributes that hold the importing stub: each must hold the ufunc after the first call
stub = {name for name, value in vars(tt.erf).items() if getattr(value, "__name__", "") == "import_and_call"}
slope = float(grad(tt.erf)(0.5))          # the first call, under a transform
values = [float(tt.erf(0.5)), float(tt.sigmoid(0.5)), float(tt.polygamma(1, 2.0))]
import scipy.special as sc
assert math.isclose(slope, 2 / math.sqrt(math.pi) * math.exp(-0.25), rel_tol=1e-15)
assert values == [sc.erf(0.5), sc.expit(0.5), sc.polygamma(1, 2.0)]
assert stub and all(getattr(tt.erf, name) is sc.erf for name in stub), stub
print("ok")
""")
    assert out == "ok\n"
