"""Colourings of sparsity patterns: which columns (or rows) one pass can compute together.

Columns that share no row can be summed into one tangent: a forward pass with it
gives each of them back, each in its own rows. That is a colouring of the column
intersection graph (columns adjacent when they share a row), and the number of
forward passes is the number of colours; rows likewise for reverse passes. A
Hessian is symmetric, so an entry may be read from either of its two columns: a
star colouring (no path on four vertices in two colours) needs fewer colours than
a column colouring and still lets every entry be read directly.

Each colouring is greedy, tried in several vertex orderings (natural, largest
degree first, smallest degree last, and DSATUR's, which colours next the vertex
whose neighbours already have the most colours), keeping the one with the fewest
colours. On a 5-point stencil (32 x 32) the static orders need 7 colours, DSATUR 5.
A column or row colouring of a graph of moderate size is then improved by a
bounded tabu search (Hertz and de Werra's TabuCol) for one colour fewer at a time,
down to the lower bound of the densest row: a 2-D Brusselator (32 x 32) goes from
DSATUR's 10 colours to 8.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

KINDS = ("column", "row", "star")


def coloring(pattern: Any, kind: str = "column") -> np.ndarray:
    """The colour of each column (kind "column"), row ("row") or, for a symmetric
    pattern, row and column ("star") of a sparsity pattern; the passes a coloured
    Jacobian or Hessian takes are `colors.max() + 1`.

    >>> import numpy as np, scipy.sparse as sp
    >>> from tinytorch.autograd import coloring
    >>> tridiagonal = sp.diags_array([1.0, 1.0, 1.0], offsets=[-1, 0, 1], shape=(6, 6))
    >>> coloring(tridiagonal).tolist()
    [0, 1, 2, 0, 1, 2]
    >>> int(coloring(tridiagonal, kind="star").max() + 1)
    3
    """
    if kind not in KINDS:
        raise ValueError(f'coloring: kind must be "column", "row" or "star", got {kind!r}')
    pattern = as_pattern(pattern)
    if kind == "row":
        return column_coloring(pattern.T.tocsr())
    if kind == "column":
        return column_coloring(pattern)
    if pattern.shape[0] != pattern.shape[1] or (pattern != pattern.T).nnz:
        raise ValueError("coloring: a star colouring needs a symmetric pattern (a Hessian's)")
    return star_coloring(pattern)


def as_pattern(pattern: Any) -> sp.csr_array:
    """Any sparse or dense matrix as a boolean CSR pattern of its nonzeros."""
    if sp.issparse(pattern):
        found = sp.csr_array(pattern, dtype=bool)
    else:
        found = sp.csr_array(np.atleast_2d(np.asarray(pattern)) != 0)
    found.eliminate_zeros()
    found.sum_duplicates()  # canonical: sorted indices, no duplicates, arrays trimmed to nnz
    found.prune()
    if found.ndim != 2:
        raise ValueError(f"a sparsity pattern is a matrix, got {found.ndim} dimensions")
    return found


# the tabu search's bounds: graphs up to this many vertices, this many moves per colour count
# tried (a failed attempt at 2,048 vertices costs about 1.2 s)
TABU_VERTICES = 20_000
TABU_MOVES = 15_000


def column_coloring(pattern: sp.csr_array) -> np.ndarray:
    """Columns coloured so that no two of a colour share a row."""
    fewest = int(np.diff(pattern.indptr).max(initial=0))  # a row's columns all differ
    n = pattern.shape[1]
    if n > 100 and fewest > n // 2:  # colouring saves less than half: a colour each, without P^T P
        return np.arange(n)
    intersections = _without_diagonal(pattern.T @ pattern)
    colors = _best_greedy(_neighbours(intersections), _greedy, fewest)
    if len(colors) <= TABU_VERTICES:
        colors = _fewer_colors(intersections, colors, fewest)
    return colors


def star_coloring(pattern: sp.csr_array) -> np.ndarray:
    """The vertices of a symmetric pattern's graph coloured with no two neighbours alike
    and no path on four vertices in two colours."""
    n = pattern.shape[0]
    if n > 100 and np.diff(pattern.indptr).max(initial=0) > n // 2:  # a hub: the search is O(n d^3)
        return np.arange(n)
    return _best_greedy(_neighbours(pattern), _greedy_star, 1)


def _without_diagonal(graph: Any) -> sp.csr_array:
    graph = sp.csr_array(graph, dtype=bool, copy=True)  # (the caller keeps its diagonal)
    graph.setdiag(False)
    graph.eliminate_zeros()
    return graph


def _neighbours(graph: sp.csr_array) -> list[list[int]]:
    """Adjacency lists of a symmetric boolean matrix, without the diagonal."""
    graph = _without_diagonal(graph)
    indptr, indices = graph.indptr.tolist(), graph.indices.tolist()
    return [indices[indptr[v] : indptr[v + 1]] for v in range(graph.shape[0])]


def _best_greedy(neighbours: list, greedy: Callable[[list, list], list], fewest: int) -> np.ndarray:
    """The greedy colouring with the fewest colours over the orderings, stopping early at
    `fewest` colours (a lower bound)."""
    best = None
    for make in _ORDERINGS:
        colors = greedy(neighbours, make(neighbours))
        if best is None or max(colors, default=-1) < max(best, default=-1):
            best = colors
        if max(best, default=-1) + 1 <= fewest:
            break
    return np.asarray(best, dtype=np.int64)


def _natural(neighbours: list) -> list:
    return list(range(len(neighbours)))


def _largest_first(neighbours: list) -> list:
    return np.argsort([-len(a) for a in neighbours], kind="stable").tolist()


def _smallest_last(neighbours: list) -> list:
    """Matula and Beck's order: repeatedly take out a vertex of least remaining degree;
    colour in the reverse of that order."""
    degree = [len(a) for a in neighbours]
    buckets: list[set] = [set() for _ in range(max(degree, default=0) + 1)]
    for v, d in enumerate(degree):
        buckets[d].add(v)
    removed = [False] * len(degree)
    taken = []
    low = 0
    for _ in range(len(degree)):
        low = max(low - 1, 0)
        while not buckets[low]:
            low += 1
        v = buckets[low].pop()
        removed[v] = True
        taken.append(v)
        for w in neighbours[v]:
            if not removed[w]:
                buckets[degree[w]].discard(w)
                degree[w] -= 1
                buckets[degree[w]].add(w)
    return taken[::-1]


def _saturation_order(neighbours: list) -> list:
    """The order in which DSATUR (Brelaz) colours: next, the uncoloured vertex with the most
    distinct colours among its neighbours, ties to the largest degree."""
    n = len(neighbours)
    colors = [-1] * n
    around: list[set] = [set() for _ in range(n)]
    heap = [(0, -len(neighbours[v]), v) for v in range(n)]
    heapq.heapify(heap)
    order = []
    while heap:
        saturation, _, v = heapq.heappop(heap)
        if colors[v] >= 0 or -saturation != len(around[v]):  # an outdated entry
            continue
        c = 0
        while c in around[v]:
            c += 1
        colors[v] = c
        order.append(v)
        for w in neighbours[v]:
            if colors[w] < 0 and c not in around[w]:
                around[w].add(c)
                heapq.heappush(heap, (-len(around[w]), -len(neighbours[w]), w))
    return order


def _greedy(neighbours: list, order: list) -> list:
    """Each vertex in turn takes the least colour none of its neighbours has."""
    colors = [-1] * len(neighbours)
    seen = [-1] * (len(neighbours) + 1)  # seen[c] == v: colour c is taken around v
    for v in order:
        for w in neighbours[v]:
            seen[colors[w]] = v  # (an uncoloured neighbour marks the spare slot at -1)
        c = 0
        while seen[c] == v:
            c += 1
        colors[v] = c
    return colors


def _greedy_star(neighbours: list, order: list) -> list:
    """Greedy distance-1 colouring that refuses, for each vertex, every colour that would
    close a two-coloured path on four vertices through it:
    - v - w - x - y with colour(v) = colour(x) and colour(w) = colour(y): x's colour is
      refused when x has another neighbour y coloured like w;
    - u - v - w - x with colour(u) = colour(w) and colour(v) = colour(x): when two
      neighbours u, w of v share a colour, the colours of w's other neighbours are refused."""
    n = len(neighbours)
    colors = [-1] * n
    refused = [-1] * (n + 1)
    for v in order:
        around: dict = {}  # colour -> how many coloured neighbours of v have it
        for w in neighbours[v]:
            c = colors[w]
            if c >= 0:
                refused[c] = v
                around[c] = around.get(c, 0) + 1
        for w in neighbours[v]:
            cw = colors[w]
            if cw < 0:
                continue
            for x in neighbours[w]:
                cx = colors[x]
                if x == v or cx < 0:
                    continue
                if around[cw] > 1 or any(colors[y] == cw for y in neighbours[x] if y != w):
                    refused[cx] = v
        c = 0
        while refused[c] == v:
            c += 1
        colors[v] = c
    return colors


_ORDERINGS = (_natural, _saturation_order, _largest_first, _smallest_last)


def _fewer_colors(graph: sp.csr_array, colors: np.ndarray, fewest: int) -> np.ndarray:
    """colors with one colour fewer at a time while a bounded tabu search finds a proper
    colouring (the vertices of the last colour spread over the others), down to `fewest`."""
    rng = np.random.default_rng(0)  # seeded: the same pattern gets the same colouring
    while colors.max(initial=-1) + 1 > max(fewest, 1):
        k = int(colors.max())
        start = colors.copy()
        last = start == k
        start[last] = rng.integers(k, size=int(last.sum()))
        found = _tabucol(graph, start, k, rng)
        if found is None:
            break
        colors = found
    return colors


def _tabucol(graph: sp.csr_array, colors: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray | None:
    """A proper k-colouring reached from `colors` by moving conflicting vertices, each move
    the best one not forbidden by recent moves (unless it beats the best so far); None
    after TABU_MOVES moves."""
    n = len(colors)
    indptr, indices = graph.indptr, graph.indices
    everyone = np.arange(n)
    ones = sp.csr_array((np.ones(n, dtype=np.int64), (everyone, colors)), shape=(n, k))
    around = (graph.astype(np.int64) @ ones).toarray()  # around[v, c]: neighbours of v coloured c
    tabu = np.zeros((n, k), dtype=np.int64)
    never = n * n
    conflicts = int(around[everyone, colors].sum()) // 2
    best = conflicts
    for move in range(TABU_MOVES):
        if conflicts == 0:
            return colors
        own = around[everyone, colors]
        candidates = np.flatnonzero(own > 0)
        gain = around[candidates] - own[candidates, None]
        gain[np.arange(candidates.size), colors[candidates]] = never
        allowed = (tabu[candidates] <= move) | (conflicts + gain < best)
        gain = np.where(allowed, gain, never)
        low = gain.min()
        if low >= never:
            continue
        ties = np.argwhere(gain == low)
        i, c = ties[rng.integers(len(ties))]
        v = candidates[i]
        old = colors[v]
        colors[v] = c
        touched = indices[indptr[v] : indptr[v + 1]]
        around[touched, old] -= 1
        around[touched, c] += 1
        conflicts += int(low)
        best = min(best, conflicts)
        tabu[v, old] = move + int(0.6 * candidates.size) + int(rng.integers(10))
    return colors if conflicts == 0 else None
