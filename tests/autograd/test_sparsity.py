"""Sparsity patterns by tracing, against the nonzeros of dense Jacobians computed by AD.

Every case of the primitive table: the traced pattern holds every nonzero of the
dense reverse-mode Jacobian (a pattern may never miss one), and no built-in
primitive falls back to dense. A family of programs with known structure (stencils,
reaction-diffusion, arrowheads, masks, sparse constant matrices): the pattern equals
the nonzeros exactly.
"""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pytest
import scipy.sparse as sp
from primitive_cases import ALL_CASES, Case
from sparse_maps import arrowhead, brusselator, tridiagonal

import tinytorch as tt
from tinytorch.autograd import hessian, hessian_sparsity, jacobian, primitive, sparsity
from tinytorch.autograd.sparse_patterns import DensePatternWarning
from tinytorch.autograd.tree import flatten


def dense_jacobian(f, inputs: tuple) -> np.ndarray:
    """The Jacobian by reverse mode, outputs and inputs flattened and concatenated."""
    argnums = tuple(range(len(inputs)))
    rows = []
    for k in range(len(flatten(f(*inputs))[0])):
        blocks = jacobian(lambda *a, k=k: flatten(f(*a))[0][k], argnums=argnums, mode="reverse")(*inputs)
        rows.append(np.hstack([np.reshape(b, (-1, np.size(x))) for b, x in zip(blocks, inputs)]))
    return np.vstack(rows)


def traced(f, inputs: tuple) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DensePatternWarning)
        return sparsity(f, argnums=tuple(range(len(inputs))))(*inputs).toarray()


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_the_pattern_never_misses_a_nonzero(case: Case):
    inputs = case.inputs(np.random.default_rng(zlib.crc32(case.id.encode())))
    pattern = traced(case.fn, inputs)
    nonzero = dense_jacobian(case.fn, inputs) != 0
    assert pattern.shape == nonzero.shape
    missed = np.argwhere(nonzero & ~pattern)
    assert missed.size == 0, f"{case.id}: the pattern misses the nonzeros at {missed[:5].tolist()}"


def laplacian_2d(x, n=6):
    u = tt.pad(x.reshape(n, n), ((1, 1), (1, 1)))
    return (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4.0 * u[1:-1, 1:-1]).reshape(-1) ** 3


STENCIL = sp.diags_array([1.0, -2.0, 1.0], offsets=[-1, 0, 1], shape=(7, 7)).toarray()
MASK = np.array([True, False, True, True, False, False, True])
STAGED_TRIDIAGONAL = tt.jit(tridiagonal)


PROGRAMS = {
    "tridiagonal": (tridiagonal, (8,)),
    "laplacian-2d": (laplacian_2d, (36,)),
    "brusselator-2d": (brusselator, (50,)),
    "arrowhead": (arrowhead, (6,)),
    "sparse-constant-matrix": (lambda x: tt.tanh(STENCIL @ x), (7,)),
    "constant-matrix-on-the-right": (lambda x: tt.exp(x.reshape(1, 7) @ STENCIL), (7,)),
    "where-with-a-mask": (lambda x: tt.where(MASK, tt.sin(x), x[::-1] ** 2), (7,)),
    "fancy-index": (lambda x: x[np.array([3, 0, 3, 5])] * x[:4], (6,)),
    "row-sums": (lambda x: tt.sum(x.reshape(3, 4) ** 2, axis=1), (12,)),
    "row-softmax": (lambda x: tt.softmax(x.reshape(2, 3), axis=1), (6,)),
    "cumsum": (lambda x: tt.cumsum(x**2), (5,)),
    "batched-matmul": (lambda x: (x[:12].reshape(2, 2, 3) @ x[12:].reshape(2, 3, 1)).reshape(-1), (18,)),
    "einsum-outer": (lambda x: tt.einsum("i,j->ij", x[:2], x[2:]).reshape(-1), (5,)),
    "transposed-stencil": (lambda x: (x.reshape(3, 4).T[1:] * 2.0).reshape(-1), (12,)),
    "triangle": (lambda x: tt.triu(x.reshape(3, 3) ** 2).reshape(-1), (9,)),
    "a-jitted-call": (lambda x: STAGED_TRIDIAGONAL(x) * 2.0, (8,)),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_patterns_equal_the_nonzeros_of_structured_programs(name):
    f, shape = PROGRAMS[name]
    x = np.random.default_rng(1).uniform(0.5, 1.5, shape)
    np.testing.assert_array_equal(traced(f, (x,)), dense_jacobian(f, (x,)) != 0)


def test_hessian_patterns_equal_the_nonzeros_of_dense_hessians():
    def banded(x):
        return tt.sum(x[2:] * x[:-2] ** 2) + tt.sum(tt.cos(x[1:] - x[:-1])) + tt.sum(x**4)

    x = np.random.default_rng(2).uniform(0.5, 1.5, 9)
    found = hessian_sparsity(banded)(x).toarray()
    np.testing.assert_array_equal(found, hessian(banded)(x) != 0)
    assert (found == found.T).all() and found[0, 2] and not found[0, 3]


def test_several_inputs_and_outputs_are_concatenated_in_order():
    f = lambda a, b: (a * b[0], tt.sum(a))  # noqa: E731
    a, b = np.ones(2), np.ones(3)
    found = sparsity(f, argnums=(0, 1))(a, b).toarray().astype(int)
    assert found.tolist() == [[1, 0, 1, 0, 0], [0, 1, 1, 0, 0], [1, 1, 0, 0, 0]]


def test_outputs_that_do_not_depend_on_the_input_have_empty_rows():
    found = sparsity(lambda x: tt.concatenate([x[:1] * 0.0 + 1.0, np.ones(2)]))(np.ones(3))
    assert found.shape == (3, 3) and found.toarray().astype(int).tolist() == [[1, 0, 0], [0, 0, 0], [0, 0, 0]]


def test_a_primitive_without_a_rule_is_dense_and_named():
    @primitive
    def shuffle(x):
        return x[::-1].copy()

    shuffle.defvjp(lambda g, ans, x: g[::-1])
    with pytest.warns(DensePatternWarning, match="shuffle"):
        found = sparsity(lambda x: shuffle(x) + x)(np.ones(3)).toarray()
    assert found.all()


def test_large_patterns_are_sparse_matrices():
    found = sparsity(tridiagonal)(np.ones(100_000))
    assert isinstance(found, sp.csr_array) and found.dtype == bool and found.nnz == 3 * 100_000 - 4
