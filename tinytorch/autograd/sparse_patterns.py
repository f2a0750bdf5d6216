"""Jacobian and Hessian sparsity patterns, found by tracing the program.

`sparsity(f)(x)` runs f once on x with a recorded pass (reverse mode's graph), then
walks the graph in creation order carrying, for every recorded value, the set of
input elements each of its elements depends on: a boolean sparse matrix, one row
per element. Each node's pattern is the product of its primitive's local pattern
(sparse_pattern_rules.py) with its inputs' patterns, the chain rule on patterns. No value
is perturbed, and the pattern never misses a nonzero of the Jacobian at x. It is the
pattern of the program as it runs at x: a branch on a value, the side a `where` takes,
the zeros of a constant matrix are read there, so at another input it may miss
entries. `jacobian`/`hessian(sparsity=...)` check every result they return with a
random probe riding in the batched pass, and trace again where one misses.

`hessian_sparsity(f)(x)` is the pattern of the gradient's Jacobian: the same walk
over the graph of a differentiable backward pass, made symmetric.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from .backprop import as_of, in_backward_order
from .passes import Argnums, output_node, output_value, record
from .sparse_pattern_rules import ALL, rule_of
from .transforms import grad
from .tree import flatten


class DensePatternWarning(UserWarning):
    """A primitive with no pattern rule was treated as dense."""


def sparsity(f: Callable, argnums: Argnums = 0) -> Callable[..., sp.csr_array]:
    """The sparsity pattern of f's Jacobian, by tracing: a `scipy.sparse.csr_array` of
    booleans, one row per output element and one column per input element (outputs
    and inputs flattened and, when several, concatenated in order).

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import sparsity
    >>> tridiagonal = lambda x: tt.concatenate([x[:1], x[:-2] - 2 * x[1:-1] + x[2:], x[-1:]])
    >>> sparsity(tridiagonal)(np.ones(4)).toarray().astype(int).tolist()
    [[1, 0, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1], [0, 0, 0, 1]]
    """

    def pattern(*args: Any, **kwargs: Any) -> sp.csr_array:
        return _pattern(f, args, kwargs, argnums)

    return pattern


def hessian_sparsity(f: Callable, argnums: Argnums = 0) -> Callable[..., sp.csr_array]:
    """The sparsity pattern of the Hessian of a scalar f, by tracing its gradient: a
    symmetric `scipy.sparse.csr_array` of booleans, n x n.

    >>> import numpy as np, tinytorch as tt
    >>> from tinytorch.autograd import hessian_sparsity
    >>> chain = lambda x: tt.sum(x[1:] * x[:-1]) + tt.sum(tt.exp(x))
    >>> hessian_sparsity(chain)(np.ones(3)).toarray().astype(int).tolist()
    [[1, 1, 0], [1, 1, 1], [0, 1, 1]]
    """

    def pattern(*args: Any, **kwargs: Any) -> sp.csr_array:
        found = _pattern(grad(f, argnums), args, kwargs, argnums)
        return (found + found.T).tocsr()

    return pattern


def _pattern(f: Callable, args: tuple, kwargs: dict, argnums: Argnums) -> sp.csr_array:
    recording = record(f, args, kwargs, argnums, "sparsity")
    n = sum(np.size(v) for v in recording.values)
    patterns: dict = {}
    offset = 0
    for leaf in recording.leaves:
        size = np.size(leaf._value)
        columns = np.arange(offset, offset + size)
        patterns[leaf] = sp.csr_array((np.ones(size, dtype=bool), (np.arange(size), columns)), shape=(size, n))
        offset += size
    outputs = flatten(recording.out)[0]
    nodes = [output_node(o, recording.level) for o in outputs]
    order = in_backward_order([(node, None) for node in nodes if node is not None], None)
    dense_ops: set = set()
    for node in reversed(order):
        if node not in patterns:
            patterns[node] = _node_pattern(node, patterns, n, dense_ops)
    if dense_ops:
        warnings.warn(
            f"sparsity: no pattern rule for {', '.join(sorted(dense_ops))}; treated as dense "
            "(every output element depending on every input element of the op)",
            DensePatternWarning,
            stacklevel=3,
        )
    rows = []
    for o, node in zip(outputs, nodes):
        size = np.size(output_value(o, recording.level))
        rows.append(sp.csr_array((size, n), dtype=bool) if node is None else patterns[node])
    return sp.vstack(rows, format="csr") if len(rows) != 1 else rows[0]


def _node_pattern(node: Any, patterns: dict, n: int, dense_ops: set) -> sp.csr_array:
    """The pattern of one recorded value from those of the node's inputs."""
    prim, seq = node._prim, node._seq
    args = tuple(as_of(a, seq) for a in node._args)
    wanted = tuple(node._argnums)
    rule = rule_of(prim)
    if rule is None:
        dense_ops.add(prim.name)
        local = [ALL] * len(wanted)
    else:
        local = rule(node._value, args, wanted, node._kwargs or {})
    size = np.size(node._value)
    total = sp.csr_array((size, n), dtype=bool)
    for i, r in zip(wanted, local):
        upstream = patterns[args[i]]
        if r is ALL:
            reached = sp.csr_array(upstream.sum(axis=0, dtype=bool).reshape(1, -1))
            total = total + sp.kron(sp.csr_array(np.ones((size, 1), dtype=bool)), reached, format="csr")
        else:
            total = total + r @ upstream
    return total.tocsr()
