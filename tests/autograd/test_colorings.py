"""Colourings of sparsity patterns: valid by independent checks, and with few colours.

Validity is checked from the definitions: no row holds two columns of one colour
(column colouring); no two neighbours alike and no path on four vertices in two
colours, found by enumerating the paths (star colouring).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tinytorch.autograd import coloring


def banded(n: int, half: int) -> sp.csr_array:
    offsets = list(range(-half, half + 1))
    return sp.csr_array(sp.diags_array([np.ones(n - abs(k)) for k in offsets], offsets=offsets, shape=(n, n)))


def grid_laplacian(side: int, periodic: bool = False) -> sp.csr_array:
    """The pattern of the 5-point stencil on a side x side grid."""
    cells = np.arange(side * side).reshape(side, side)
    rows, cols = [cells.ravel()], [cells.ravel()]
    for shift, axis in ((1, 0), (-1, 0), (1, 1), (-1, 1)):
        moved = np.roll(cells, shift, axis)
        keep = np.ones_like(cells, dtype=bool)
        if not periodic:
            edge = 0 if shift == 1 else -1
            np.moveaxis(keep, axis, 0)[edge] = False
        rows.append(cells[keep])
        cols.append(moved[keep])
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_array((np.ones(rows.size, dtype=bool), (rows, cols)), shape=(side * side, side * side))


def brusselator(side: int) -> sp.csr_array:
    """Two species on a periodic grid: each reads its own species' 5-point stencil and the
    other species at its own cell."""
    stencil = grid_laplacian(side, periodic=True)
    eye = sp.eye_array(side * side, dtype=bool)
    return sp.csr_array(sp.block_array([[stencil, eye], [eye, stencil]]), dtype=bool)


def arrowhead(n: int) -> sp.csr_array:
    dense = np.eye(n, dtype=bool)
    dense[0, :] = dense[:, 0] = True
    return sp.csr_array(dense)


def assert_column_coloring(pattern, colors):
    one_hot = sp.csr_array((np.ones(colors.size), (np.arange(colors.size), colors)))
    per_row = (sp.csr_array(pattern, dtype=np.float64) @ one_hot).toarray()
    assert per_row.max() <= 1, "two columns of one colour share a row"


def assert_star_coloring(pattern, colors):
    dense = sp.csr_array(pattern).toarray().astype(bool)
    np.fill_diagonal(dense, False)
    neighbours = [np.flatnonzero(row) for row in dense]
    for v, w in zip(*np.nonzero(dense)):
        assert colors[v] != colors[w], f"neighbours {v} and {w} share colour {colors[v]}"
    for a in range(len(dense)):
        for b in neighbours[a]:
            for c in neighbours[b]:
                for d in neighbours[c]:
                    if len({a, b, c, d}) == 4 and colors[a] == colors[c] and colors[b] == colors[d]:
                        raise AssertionError(f"the path {a}-{b}-{c}-{d} has two colours")


def passes(colors) -> int:
    return int(colors.max()) + 1


def test_the_issue_targets_for_column_colourings():
    assert passes(coloring(banded(1000, 1))) == 3
    laplacian = grid_laplacian(32)
    colors = coloring(laplacian)
    assert_column_coloring(laplacian, colors)
    assert passes(colors) <= 6
    bruss = brusselator(32)
    colors = coloring(bruss)
    assert_column_coloring(bruss, colors)
    assert passes(colors) <= 8


@pytest.mark.parametrize("seed", range(6))
def test_column_and_row_colourings_of_random_patterns_are_valid(seed):
    rng = np.random.default_rng(seed)
    pattern = sp.random_array((40, 30), density=0.08, rng=rng, format="csr") != 0
    colors = coloring(pattern)
    assert colors.shape == (30,)
    assert_column_coloring(pattern, colors)
    rows = coloring(pattern, kind="row")
    assert rows.shape == (40,)
    assert_column_coloring(pattern.T, rows)


@pytest.mark.parametrize("seed", range(6))
def test_star_colourings_of_random_symmetric_patterns_are_valid(seed):
    rng = np.random.default_rng(seed)
    half = sp.random_array((30, 30), density=0.07, rng=rng, format="csr") != 0
    pattern = (half + half.T + sp.eye_array(30, dtype=bool)).tocsr()
    colors = coloring(pattern, kind="star")
    assert_star_coloring(pattern, colors)
    assert passes(colors) <= passes(coloring(pattern))  # never worse than a column colouring


def test_star_colourings_of_bands_and_stencils():
    for half in (1, 2, 3):
        colors = coloring(banded(60, half), kind="star")
        assert_star_coloring(banded(60, half), colors)
        assert passes(colors) <= 2 * half + 1
    laplacian = grid_laplacian(8)
    colors = coloring(laplacian, kind="star")
    assert_star_coloring(laplacian, colors)
    assert passes(colors) <= 5


def test_a_dense_row_needs_every_column_its_own_colour():
    assert passes(coloring(arrowhead(12))) == 12
    assert passes(coloring(arrowhead(12), kind="row")) == 12


def test_inputs_dense_arrays_and_errors():
    dense = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]])
    assert passes(coloring(dense)) == 2
    assert_column_coloring(dense != 0, coloring(dense))
    with pytest.raises(ValueError, match="kind"):
        coloring(dense, kind="diagonal")
    with pytest.raises(ValueError, match="symmetric"):
        coloring(dense, kind="star")
    assert coloring(sp.csr_array((3, 4), dtype=bool)).tolist() == [0, 0, 0, 0]


def test_star_check_catches_a_two_coloured_path():
    path = banded(4, 1)
    with pytest.raises(AssertionError, match="two colours"):
        assert_star_coloring(path, np.array([0, 1, 0, 1]))
    assert_star_coloring(path, coloring(path, kind="star"))
