"""Coloured sparse Jacobians and Hessians against dense ones (both by AD, and against
finite differences once), their pass counts, and what they refuse."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sparse_maps import arrowhead, brusselator, tridiagonal

import tinytorch as tt
from tinytorch.autograd import hessian, jacobian, sparsity
from tinytorch.autograd.sparse_jacobian import plan


def column_arrow(x):  # the transpose's structure: a dense column and a dense row, one output more
    return tt.concatenate([x * x[0], tt.sum(tt.sin(x))[None]])


MAPS = {"tridiagonal": (tridiagonal, 30), "brusselator": (brusselator, 72), "arrowhead": (arrowhead, 25),
        "column-arrow": (column_arrow, 25)}  # fmt: skip


@pytest.mark.parametrize("name", sorted(MAPS))
@pytest.mark.parametrize("mode", ["auto", "forward", "reverse"])
def test_coloured_jacobians_equal_dense_ones(name, mode):
    f, n = MAPS[name]
    x = np.random.default_rng(0).uniform(0.5, 1.5, n)
    found = jacobian(f, sparsity="auto", mode=mode)(x)
    assert isinstance(found, sp.csr_array) and found.shape == (np.size(f(x)), n)
    np.testing.assert_allclose(found.toarray(), jacobian(f)(x), rtol=1e-12, atol=1e-12)


def test_the_pass_counts_of_the_issue():
    x = np.random.default_rng(1).uniform(0.5, 1.5, 40)
    tri = jacobian(tridiagonal, sparsity="auto")
    tri(x)
    assert tri.last_plan.passes == (3, 0)
    arrow = jacobian(arrowhead, sparsity="auto")
    arrow(x)
    assert sum(arrow.last_plan.passes) <= 4  # a dense row by reverse, the rest by forward
    assert plan(sparsity(arrowhead)(x), "forward").passes[0] == 40  # what a one-mode colouring costs


def test_a_pattern_of_another_input_is_never_returned_wrong():
    # the pattern read at the first input (a where's branch, another argument's zeros) is checked
    # at every call by a probe riding in the batched pass, and traced again where it misses
    g = lambda x: tt.where(x > 0, x, tt.roll(x, 1) * 3.0)  # noqa: E731
    coloured = jacobian(g, sparsity="auto")
    coloured(np.ones(6))
    np.testing.assert_array_equal(coloured(-np.ones(6)).toarray(), jacobian(g)(-np.ones(6)))
    product = jacobian(lambda x, a: a @ x, sparsity="auto")
    product(np.ones(5), np.eye(5))
    dense = np.arange(25.0).reshape(5, 5)
    np.testing.assert_array_equal(product(np.ones(5), dense).toarray(), dense)
    quadratic = hessian(lambda x, a: x @ (a @ x), sparsity="auto")
    quadratic(np.ones(5), np.eye(5))
    np.testing.assert_allclose(quadratic(np.ones(5), dense).toarray(), dense + dense.T)


def test_a_given_pattern_too_narrow_is_refused():
    with pytest.raises(ValueError, match="misses nonzeros"):
        jacobian(tridiagonal, sparsity=np.eye(6))(np.ones(6))
    with pytest.raises(ValueError, match="misses nonzeros"):
        jacobian(tridiagonal, sparsity=np.zeros((6, 6)))(np.ones(6))
    with pytest.raises(ValueError, match="misses nonzeros"):
        hessian(lambda x: tt.sum(x[1:] * x[:-1]), sparsity=np.eye(5))(np.ones(5))


def test_dense_patterns_skip_the_colouring():
    x = np.linspace(0.5, 1.5, 400)
    found = jacobian(lambda x: tt.sum(x) * x, sparsity="auto")
    np.testing.assert_allclose(found(x).toarray(), jacobian(lambda x: tt.sum(x) * x)(x), rtol=1e-12)
    assert sum(found.last_plan.passes) == 400


def test_a_given_pattern_is_used_and_checked():
    x = np.linspace(0.1, 1.0, 10)
    pattern = sparsity(tridiagonal)(x)
    found = jacobian(tridiagonal, sparsity=pattern.toarray())(x)
    np.testing.assert_allclose(found.toarray(), jacobian(tridiagonal)(x), rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="columns"):
        jacobian(tridiagonal, sparsity=np.eye(9))(x)


def test_against_finite_differences_in_float64():
    x = np.random.default_rng(2).uniform(0.5, 1.5, 72)
    found = jacobian(brusselator, sparsity="auto")(x).toarray()
    h = 1e-6
    numeric = np.stack([(brusselator(x + h * e) - brusselator(x - h * e)) / (2 * h) for e in np.eye(72)], axis=1)
    np.testing.assert_allclose(found, numeric, rtol=1e-6, atol=1e-7)


def test_float32_chunks_and_zero_blocks():
    x = np.linspace(0.1, 1.0, 12, dtype=np.float32)
    found = jacobian(tridiagonal, sparsity="auto", chunk_size=2)(x)
    assert found.dtype == np.float32
    np.testing.assert_allclose(found.toarray(), jacobian(tridiagonal)(x), rtol=1e-6)
    constant = jacobian(lambda x: tt.zeros(3) + 1.0, sparsity=np.zeros((3, 4)))(np.ones(4))
    assert constant.shape == (3, 4) and constant.nnz == 0


def banded_objective(x):
    return tt.sum(x[2:] * x[:-2] ** 2) + tt.sum(tt.cos(x[1:] - x[:-1])) + tt.sum(x**4)


def test_coloured_hessians_equal_dense_ones():
    x = np.random.default_rng(3).uniform(0.5, 1.5, 40)
    coloured = hessian(banded_objective, sparsity="auto")
    found = coloured(x)
    assert isinstance(found, sp.csr_array)
    np.testing.assert_allclose(found.toarray(), hessian(banded_objective)(x), rtol=1e-12, atol=1e-12)
    assert coloured.colors.max() + 1 <= 5 + 1  # 5 diagonals: at most bandwidth + 1 products


def test_coloured_hessian_against_differences_of_gradients():
    x = np.random.default_rng(4).uniform(0.5, 1.5, 15)
    found = hessian(banded_objective, sparsity="auto")(x).toarray()
    gradient = tt.autograd.grad(banded_objective)
    h = 1e-6
    numeric = np.stack([(gradient(x + h * e) - gradient(x - h * e)) / (2 * h) for e in np.eye(15)])
    np.testing.assert_allclose(found, numeric, rtol=1e-6, atol=1e-6)


def test_what_is_refused():
    x = np.ones(4)
    with pytest.raises(NotImplementedError, match="one input"):
        jacobian(lambda a, b: a * b, argnums=(0, 1), sparsity="auto")(x, x)
    with pytest.raises(NotImplementedError, match="one array"):
        jacobian(lambda a: (a, a), sparsity="auto", mode="forward")(x)
    # a complex output (its values were cast to real, with a ComplexWarning), as jacrev refuses it
    for pattern in ("auto", np.eye(4, dtype=bool)):
        for mode in ("forward", "reverse", "auto"):
            with pytest.raises(TypeError, match="real arrays"):
                jacobian(lambda a: tt.exp(1j * a), sparsity=pattern, mode=mode)(x)


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_coloured_passes_on_an_executor_are_bitwise_the_serial_ones(mode):
    from concurrent.futures import ThreadPoolExecutor

    x = np.random.default_rng(5).uniform(0.5, 1.5, 25)
    serial = jacobian(arrowhead, sparsity="auto", mode=mode, chunk_size=1)(x)
    with ThreadPoolExecutor(2) as pool:
        spread = jacobian(arrowhead, sparsity="auto", mode=mode, chunk_size=1, executor=pool)(x)
    assert spread.dtype == serial.dtype
    assert np.array_equal(spread.indptr, serial.indptr) and np.array_equal(spread.indices, serial.indices)
    assert np.array_equal(spread.data, serial.data)


def test_a_bad_sparsity_argument_is_refused():
    with pytest.raises(ValueError, match="sparsity"):
        jacobian(tridiagonal, sparsity="dense")
    with pytest.raises(ValueError, match="sparsity"):
        hessian(banded_objective, sparsity="banded")
