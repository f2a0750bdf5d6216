"""The primitive table, checked systematically, one case of primitive_cases.py at a time.

Coverage: every primitive of `registry` has cases, every case reaches the
primitive and the public functions it claims, and every public callable of
`tinytorch.autograd.api` is either covered by a case or listed as
non-differentiable / a constructor.

For every case, against independent oracles (float64 central differences, the
other mode of the engine, closed forms):
  a. gradcheck to order 2 in both modes;
  b. a single JVP and a single VJP against finite differences;
  c. <u, J v> == <J^T u, v> with J v from jvp and J^T u from vjp;
  d. jacfwd / jacrev (one batched pass) == the stack of unbatched jvp / vjp
     calls; jacfwd(jacrev(f)) (batched tangents through the VJP rules) and
     jacrev(jacfwd(f)) == finite differences of the inner Jacobian;
  e. float32 inputs give float32 outputs, tangents, cotangents and Jacobians.
Non-differentiable functions return plain values from boxes and act as
constants inside derivatives; ties and kinks follow the documented convention.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from primitive_cases import (
    ALL_CASES,
    COMPLEX_CASES,
    COMPOSITE_CASES,
    CONSTRUCTOR_CALLS,
    NONDIFFERENTIABLE_CALLS,
    NOT_FUNCTIONS,
    PRIMITIVE_CASES,
    REQUIRED_COMPOSITES,
    REQUIRED_VARIANTS,
    Case,
    X,
    Y,
)

import tinytorch
import tinytorch as tt
import tinytorch.scipy.linalg
import tinytorch.scipy.signal
import tinytorch.scipy.special
from tinytorch.autograd import Dual, Variable, gradcheck, jacfwd, jacrev, jvp, registry, vjp
from tinytorch.autograd import api as tt_api
from tinytorch.autograd.levels import Box
from tinytorch.autograd.primitive import NonDifferentiable, Primitive
from tinytorch.scipy import stats

by_id = pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
PRIMITIVE_IDS = {c.id for c in PRIMITIVE_CASES}
# The public namespaces besides tt's own, by the prefix of their names in the cases
NAMESPACES = {
    "linalg": tt_api.linalg,
    "fft": tt_api.fft,
    "scipy.special": tinytorch.scipy.special,
    "scipy.linalg": tinytorch.scipy.linalg,
    "scipy.signal": tinytorch.scipy.signal,
}

# tinytorch.scipy.stats: a namespace per distribution, its functions named "scipy.stats.norm.logpdf"
NAMESPACES.update({f"scipy.stats.{name}": getattr(stats, name) for name in stats.__all__})


def public_names() -> set[str]:
    """Every public function: tt's names, and the prefixed names of the other namespaces."""
    names = set(tt_api.__all__) | set(tt_api.INDEX_TRICKS)
    for prefix, module in NAMESPACES.items():
        names |= {f"{prefix}.{name}" for name in module.__all__}
    return names


def public_function(name: str):
    """The function a public name stands for, and the module it is an attribute of."""
    prefix, _, attr = name.rpartition(".")
    module = NAMESPACES[prefix] if prefix else tt_api
    return getattr(module, attr), module


def rng_for(case: Case) -> np.random.Generator:
    """A seeded generator per case, the same in every pytest-xdist worker."""
    return np.random.default_rng(zlib.crc32(case.id.encode()))


# --- containers of arrays (split returns a list) ----------------------------------------------


def leaves(tree) -> list:
    if isinstance(tree, (list, tuple)):
        return [leaf for t in tree for leaf in leaves(t)]
    return [tree]


def rebuild(tree, values):
    """`tree` with its leaves replaced, in order, by `values` (an iterator)."""
    if isinstance(tree, (list, tuple)):
        return type(tree)(rebuild(t, values) for t in tree)
    return next(values)


def flat(tree) -> np.ndarray:
    """All leaves, raveled and concatenated, as float64."""
    parts = [np.asarray(leaf, dtype=np.float64).ravel() for leaf in leaves(tree)]
    return np.concatenate(parts) if parts else np.zeros(0)


def random_like(tree, rng: np.random.Generator):
    return rebuild(tree, iter([rng.standard_normal(np.shape(leaf)) for leaf in leaves(tree)]))


def jacobian_matrix(jac, outputs, inputs) -> np.ndarray:
    """The (sum of output sizes) x (sum of input sizes) matrix of a jacfwd/jacrev result
    taken with argnums=(0, ..., k-1): one tuple of k blocks per output leaf."""
    blocks = leaves(jac)
    outs = leaves(outputs)
    assert len(blocks) == len(outs) * len(inputs)
    rows = []
    for p, o in enumerate(outs):
        row = []
        for j, x in enumerate(inputs):
            block = np.asarray(blocks[p * len(inputs) + j])
            assert block.shape == np.shape(o) + np.shape(x), f"block ({p}, {j}) has shape {block.shape}"
            row.append(block.reshape(np.size(o), np.size(x)))
        rows.append(np.concatenate(row, axis=1))
    return np.concatenate(rows, axis=0)


# --- finite differences (the independent oracle) ---------------------------------------------


def fd_jacobian(F, xs: tuple, eps: float) -> np.ndarray:
    """Central differences of the flat output of F, one column per input entry."""
    columns = []
    for i, x in enumerate(xs):
        for k in range(x.size):
            plus, minus = [list(map(np.copy, xs)) for _ in range(2)]
            plus[i].reshape(-1)[k] += eps
            minus[i].reshape(-1)[k] -= eps
            columns.append((flat(F(*plus)) - flat(F(*minus))) / (2 * eps))
    return np.stack(columns, axis=1)


def fd_directional(F, xs: tuple, vs: tuple, eps: float) -> np.ndarray:
    plus = [x + eps * v for x, v in zip(xs, vs)]
    minus = [x - eps * v for x, v in zip(xs, vs)]
    return (flat(F(*plus)) - flat(F(*minus))) / (2 * eps)


def close(actual: np.ndarray, expected: np.ndarray, case: Case, what: str) -> None:
    np.testing.assert_allclose(actual, expected, atol=case.atol, rtol=case.rtol, err_msg=f"{case.id}: {what}")


def argnums(xs: tuple) -> tuple[int, ...]:
    return tuple(range(len(xs)))


def exact(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Two analytic results computed along different paths: equal up to rounding."""
    scale = 1.0 + np.abs(expected).max(initial=0.0)
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12 * scale, err_msg=what)


# --- 1. coverage ---------------------------------------------------------------------------------


def test_case_ids_are_unique():
    ids = [c.id for c in ALL_CASES]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_every_primitive_has_a_case():
    targets = {c.target for c in PRIMITIVE_CASES}
    missing = sorted(set(registry) - targets)
    assert missing == [], f"primitives without a case: {missing}"
    unknown = sorted(targets - set(registry))
    assert unknown == [], f"PRIMITIVE_CASES targets that are not primitives: {unknown}"


def test_composite_cases_target_public_functions():
    unknown = sorted({c.target for c in COMPOSITE_CASES} - public_names())
    assert unknown == [], f"COMPOSITE_CASES targets missing from tt: {unknown}"


def test_required_composites_and_variants_have_cases():
    called = {name for c in ALL_CASES for name in c.calls}
    missing = [name for name in REQUIRED_COMPOSITES if name not in called]
    assert missing == [], f"public composites without a case: {missing}"
    ids = {c.id for c in ALL_CASES}
    missing = [v for v in REQUIRED_VARIANTS if v not in ids]
    assert missing == [], f"required variants without a case: {missing}"


def test_every_public_callable_is_covered_or_listed():
    public = {name for name in public_names() if callable(public_function(name)[0])}
    called = {name for c in ALL_CASES + COMPLEX_CASES for name in c.calls}
    listed = set(NONDIFFERENTIABLE_CALLS) | set(CONSTRUCTOR_CALLS) | NOT_FUNCTIONS
    missing = sorted(public - called - listed)
    assert missing == [], f"public functions with no case and not listed as non-differentiable: {missing}"
    stale = sorted((called | listed) - public)
    assert stale == [], f"names in primitive_cases.py that tt does not export: {stale}"
    # (sign is both: constant on reals, differentiable on complex numbers)
    both = sorted({name for c in ALL_CASES for name in c.calls} & set(NONDIFFERENTIABLE_CALLS))
    assert both == [], f"listed as non-differentiable but differentiated by a case: {both}"


def test_listed_nondifferentiable_functions_are_nondifferentiable():
    wrong = [name for name in NONDIFFERENTIABLE_CALLS if not isinstance(public_function(name)[0], NonDifferentiable)]
    assert wrong == []
    # and every NonDifferentiable object of the API is listed
    unlisted = [
        name
        for name in public_names()
        if isinstance(public_function(name)[0], NonDifferentiable) and name not in NONDIFFERENTIABLE_CALLS
    ]
    assert unlisted == []


def _recorder(log: set, name: str, fn):
    def wrapped(*args, **kwargs):
        log.add(name)
        return fn(*args, **kwargs)

    return wrapped


@by_id
def test_case_reaches_its_target(case, monkeypatch):
    """The case calls the public functions it names and runs its target primitive."""
    forward_prims, reverse_prims, public = set(), set(), set()
    active = [forward_prims]
    original = Primitive.__call__

    def recording_call(self, *args, **kwargs):
        active[0].add(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Primitive, "__call__", recording_call)
    for name in case.calls:
        if "." in name:  # tt.linalg.<name> (one module object, reached from both namespaces), scipy.special.<name>
            fn, module = public_function(name)
            monkeypatch.setattr(module, name.rpartition(".")[2], _recorder(public, name, fn))
            continue
        for module in (tinytorch, tt_api):  # tt.<name>(...) and box operators/methods
            monkeypatch.setattr(module, name, _recorder(public, name, getattr(module, name)))

    rng = rng_for(case)
    xs = case.inputs(rng)
    out = case.fn(*[Dual(x, rng.standard_normal(x.shape)) for x in xs])
    assert any(isinstance(o, Dual) for o in leaves(out)), "the output does not depend on the inputs"
    assert public == set(case.calls), f"declared calls not made: {sorted(set(case.calls) - public)}"
    active[0] = reverse_prims
    y, pullback = vjp(case.fn, *xs)
    pullback(random_like(y, rng))
    if case.id in PRIMITIVE_IDS:
        seen = forward_prims if case.reached_in == "forward" else reverse_prims
        assert case.target in seen, f"{case.target} not run in {case.reached_in} mode; ran {sorted(seen)}"


# --- 2. every case: derivatives against independent oracles -----------------------------------


@by_id
def test_gradcheck_order2(case):
    xs = case.inputs(rng_for(case))
    assert gradcheck(case.fn, xs, eps=case.eps, atol=case.atol, rtol=case.rtol, order=2, modes=("forward", "reverse"))


@by_id
def test_jvp_matches_finite_differences(case):
    rng = rng_for(case)
    xs = case.inputs(rng)
    vs = tuple(rng.standard_normal(x.shape) for x in xs)
    out, tangent = jvp(case.fn, xs, vs)
    expected_out = case.fn(*xs)
    shapes = [np.shape(o) for o in leaves(expected_out)]
    assert [np.shape(o) for o in leaves(out)] == shapes, "jvp primal output shapes differ from f's"
    assert [np.shape(t) for t in leaves(tangent)] == shapes, "tangent shapes differ from the output's"
    exact(flat(out), flat(expected_out), f"{case.id}: jvp primal")  # prod: pairwise on boxes
    close(flat(tangent), fd_directional(case.fn, xs, vs, case.eps), case, "J v")


@by_id
def test_vjp_matches_finite_differences(case):
    rng = rng_for(case)
    xs = case.inputs(rng)
    out, pullback = vjp(case.fn, *xs)
    u = random_like(out, rng)
    cotangents = pullback(u)
    assert len(cotangents) == len(xs)
    assert [np.shape(c) for c in cotangents] == [x.shape for x in xs], "cotangent shapes differ from the inputs'"
    expected = fd_jacobian(lambda *zs: np.dot(flat(u), flat(case.fn(*zs))), xs, case.eps)[0]
    close(flat(cotangents), expected, case, "J^T u")


@by_id
def test_jvp_and_vjp_are_transposes(case):
    rng = rng_for(case)
    xs = case.inputs(rng)
    vs = tuple(rng.standard_normal(x.shape) for x in xs)
    out, jv = jvp(case.fn, xs, vs)
    u = random_like(out, rng)
    jtu = vjp(case.fn, *xs)[1](u)
    assert [np.shape(c) for c in jtu] == [x.shape for x in xs], "cotangent shapes differ from the inputs'"
    lhs, rhs = np.dot(flat(u), flat(jv)), np.dot(flat(jtu), flat(vs))
    scale = np.linalg.norm(flat(u)) * np.linalg.norm(flat(jv)) + np.linalg.norm(flat(jtu)) * np.linalg.norm(flat(vs))
    rtol = 1e-10 if case.f32_out is None else 1e-6  # astype cases round through float32
    assert abs(lhs - rhs) <= rtol * (scale + 1e-300), f"<u, Jv> = {lhs!r} but <J^T u, v> = {rhs!r}"


@by_id
def test_jacfwd_equals_stack_of_jvps(case):
    xs = case.inputs(rng_for(case))
    out = case.fn(*xs)
    batched = jacobian_matrix(jacfwd(case.fn, argnums(xs))(*xs), out, xs)
    columns = []
    for i, x in enumerate(xs):
        for k in range(x.size):
            basis = [np.zeros_like(z) for z in xs]
            basis[i].reshape(-1)[k] = 1.0
            columns.append(flat(jvp(case.fn, xs, tuple(basis))[1]))
    exact(batched, np.stack(columns, axis=1), f"{case.id}: jacfwd vs one jvp per input basis vector")


@by_id
def test_jacrev_equals_stack_of_vjps(case):
    xs = case.inputs(rng_for(case))
    out, pullback = vjp(case.fn, *xs)
    batched = jacobian_matrix(jacrev(case.fn, argnums(xs))(*xs), out, xs)
    rows = []
    for k in range(flat(out).size):
        e = np.zeros(flat(out).size)
        e[k] = 1.0
        offsets = np.cumsum([0] + [np.size(o) for o in leaves(out)])
        u = rebuild(out, iter([e[a:b].reshape(np.shape(o)) for a, b, o in zip(offsets, offsets[1:], leaves(out))]))
        rows.append(flat(pullback(u)))
    exact(batched, np.stack(rows, axis=0), f"{case.id}: jacrev vs one vjp per output basis vector")


NESTINGS = {  # outer transform, inner transform: both batched, all basis vectors at once
    "fwd-of-rev": (jacfwd, jacrev),  # batched tangents flowing through the VJP rules
    "rev-of-fwd": (jacrev, jacfwd),  # batched cotangents flowing through the JVP rules
}


@pytest.mark.parametrize("nesting", NESTINGS)
@by_id
def test_nested_jacobian_matches_finite_differences(case, nesting):
    outer, inner = NESTINGS[nesting]
    xs = case.inputs(rng_for(case))
    nums = argnums(xs)
    jac = lambda *zs: inner(case.fn, nums)(*zs)  # noqa: E731
    analytic = jacobian_matrix(outer(jac, nums)(*xs), jac(*xs), xs)
    close(analytic, fd_jacobian(jac, xs, case.eps), case, f"{nesting} vs differences of the inner Jacobian")


@by_id
def test_float32_in_float32_out(case):
    rng = rng_for(case)
    xs = tuple(x.astype(np.float32) for x in case.inputs(rng))
    out_dtype = np.dtype(case.f32_out or np.float32)
    assert [np.result_type(o) for o in leaves(case.fn(*xs))] == [out_dtype] * len(leaves(case.fn(*xs)))
    vs = tuple(rng.standard_normal(x.shape).astype(np.float32) for x in xs)
    out, tangent = jvp(case.fn, xs, vs)
    assert {np.result_type(o) for o in leaves(out)} == {out_dtype}, "jvp primal output"
    assert {np.result_type(t) for t in leaves(tangent)} == {out_dtype}, "jvp tangent"
    out, pullback = vjp(case.fn, *xs)
    assert {np.result_type(o) for o in leaves(out)} == {out_dtype}, "vjp primal output"
    cotangents = pullback(rebuild(out, iter([np.ones(np.shape(o), out_dtype) for o in leaves(out)])))
    assert [c.dtype for c in cotangents] == [np.dtype(np.float32)] * len(xs), "vjp cotangents"
    if case.f32_out is None:
        nums = argnums(xs)
        hessian_like = lambda f, n: jacfwd(jacrev(f, n), n)  # noqa: E731
        for name, transform in (("jacfwd", jacfwd), ("jacrev", jacrev), ("jacfwd(jacrev)", hessian_like)):
            blocks = leaves(transform(case.fn, nums)(*xs))
            assert {np.result_type(b) for b in blocks} == {np.dtype(np.float32)}, name


# --- deliberate ties and kinks: the documented conventions --------------------------------------

TIES = [
    # id, function, input, closed-form Jacobian (ties split the derivative evenly)
    ("max-two-way-tie", lambda x: tt.max(x), np.array([1.0, 3.0, 3.0]), np.array([0.0, 0.5, 0.5])),
    ("min-three-way-tie", lambda x: tt.min(x), np.array([2.0, 2.0, 5.0, 2.0]), np.array([1, 1, 0, 1]) / 3),
    (
        "max-axis0-tie",
        lambda x: tt.max(x, axis=0),
        np.array([[1.0, 4.0], [1.0, 2.0]]),
        np.array([[[0.5, 0.0], [0.5, 0.0]], [[0.0, 1.0], [0.0, 0.0]]]),
    ),
    (
        "maximum-tie",
        lambda x: tt.maximum(x, x[::-1]),
        np.array([1.0, 2.0, 1.0]),  # every entry ties
        np.array([[0.5, 0.0, 0.5], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5]]),
    ),
    ("minimum-tie", lambda x: tt.minimum(x[0], x[1]), np.array([1.5, 1.5]), np.array([0.5, 0.5])),
    ("absolute-at-zero", lambda x: tt.absolute(x), np.array([0.0, -2.0]), np.diag([0.0, -1.0])),
    ("relu-at-zero", lambda x: tt.relu(x), np.array([0.0, 2.0]), np.diag([0.0, 1.0])),
]


@pytest.mark.parametrize("fn, x, expected", [t[1:] for t in TIES], ids=[t[0] for t in TIES])
def test_ties_follow_the_even_split_convention(fn, x, expected):
    np.testing.assert_allclose(jacfwd(fn)(x), expected, atol=1e-15)
    np.testing.assert_allclose(jacrev(fn)(x), expected, atol=1e-15)


# --- 3. non-differentiable functions ---------------------------------------------------------------


def assert_plain(result, what: str) -> None:
    for leaf in leaves(result):
        assert not isinstance(leaf, Box), f"{what} returned a {type(leaf).__name__}"


def assert_same(result, expected) -> None:
    assert len(leaves(result)) == len(leaves(expected))
    for r, e in zip(leaves(result), leaves(expected)):
        assert np.shape(r) == np.shape(e)
        np.testing.assert_array_equal(np.asarray(r), np.asarray(e))


@pytest.mark.parametrize("name", sorted(NONDIFFERENTIABLE_CALLS))
def test_nondifferentiable_returns_plain_values(name):
    f = NONDIFFERENTIABLE_CALLS[name]
    expected = f(X, Y)
    boxed = {
        "Dual": (Dual(X, np.ones_like(X)), Dual(Y, np.ones_like(Y))),
        "Variable": (Variable(X, requires_grad=True), Variable(Y, requires_grad=True)),
        "Dual-of-Variable": (Dual(Variable(X, requires_grad=True), np.ones_like(X)), Y),
    }
    for kind, (x, y) in boxed.items():
        result = f(x, y)
        assert_plain(result, f"{name} on a {kind}")
        assert_same(result, expected)

    seen = []

    def probe(x):  # inside nested transforms: Duals holding Variables holding the input
        result = f(x, Y)
        seen.append(result)
        return tt.sum(tt.square(x))

    hess = jacfwd(jacrev(probe))(X)
    np.testing.assert_allclose(hess, 2.0 * np.eye(X.size).reshape(X.shape * 2))
    assert seen
    for result in seen:
        assert_plain(result, f"{name} inside jacfwd(jacrev(.))")
        assert_same(result, expected)


@pytest.mark.parametrize("name", sorted(CONSTRUCTOR_CALLS))
def test_constructors_are_numpys(name):
    prefix, _, attr = name.rpartition(".")  # "fft.fftfreq" is np.fft.fftfreq
    assert public_function(name)[0] is getattr(getattr(np, prefix) if prefix else np, attr)
    result = CONSTRUCTOR_CALLS[name]()
    assert_plain(result, name)


XV = np.array([0.4, -1.3, 2.5, 1.7, -0.2])

CONSTANT_FACTORS = [
    # id, function, closed-form Jacobian at XV (the non-differentiable factor is a constant)
    ("floor", lambda x: x * tt.floor(x), lambda x: np.diag(np.floor(x))),
    ("sign", lambda x: x * tt.sign(x), lambda x: np.diag(np.sign(x))),
    ("round", lambda x: tt.square(x) * tt.round(x), lambda x: np.diag(2 * x * np.round(x))),
    ("trunc", lambda x: tt.sin(x) * tt.trunc(x), lambda x: np.diag(np.cos(x) * np.trunc(x))),
    ("ceil-of-sum", lambda x: x * tt.ceil(tt.sum(x)), lambda x: np.eye(x.size) * np.ceil(x.sum())),
    ("floor_divide", lambda x: x * tt.floor_divide(x, 0.7), lambda x: np.diag(np.floor_divide(x, 0.7))),
    ("argmax", lambda x: x * tt.argmax(x), lambda x: np.eye(x.size) * np.argmax(x)),
    ("greater-mask", lambda x: tt.where(tt.greater(x, 0.0), x, 0.5 * x), lambda x: np.diag(np.where(x > 0, 1.0, 0.5))),
    ("comparison-operator", lambda x: x * (x > 0.5), lambda x: np.diag((x > 0.5).astype(float))),
    ("heaviside", lambda x: tt.exp(x) * tt.heaviside(x, 0.5), lambda x: np.diag(np.exp(x) * np.heaviside(x, 0.5))),
    ("sum-times-rint", lambda x: tt.sum(x) * tt.rint(x), lambda x: np.outer(np.rint(x), np.ones(x.size))),
]


@pytest.mark.parametrize("fn, jac", [c[1:] for c in CONSTANT_FACTORS], ids=[c[0] for c in CONSTANT_FACTORS])
def test_nondifferentiable_factor_is_a_constant(fn, jac):
    np.testing.assert_allclose(jacfwd(fn)(XV), jac(XV), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(jacrev(fn)(XV), jac(XV), rtol=1e-14, atol=1e-15)


def test_hessian_through_a_nondifferentiable_factor():
    # f = sum(x^2 floor(x)): H = diag(2 floor(x)), in both nestings
    f = lambda x: tt.sum(tt.square(x) * tt.floor(x))  # noqa: E731
    expected = np.diag(2 * np.floor(XV))
    np.testing.assert_allclose(jacfwd(jacrev(f))(XV), expected, atol=1e-14)
    np.testing.assert_allclose(jacrev(jacrev(f))(XV), expected, atol=1e-14)
    np.testing.assert_allclose(jacrev(jacfwd(f))(XV), expected, atol=1e-14)
    np.testing.assert_allclose(jacfwd(jacfwd(f))(XV), expected, atol=1e-14)
