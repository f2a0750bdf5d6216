"""Function transforms (JAX's shapes): grad/value_and_grad, jvp, vjp, jacobian
(jacfwd/jacrev, mode selection, chunking), hessian and hvp -- on containers,
checked against closed forms and central finite differences."""

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import grad, hessian, hvp, jacfwd, jacobian, jacrev, jvp, value_and_grad, vjp


def numerical_jacobian(f, x, eps=1e-6):
    """Central differences of f: R^x.shape -> R^out.shape, shaped out.shape + x.shape."""
    x = np.asarray(x, dtype=np.float64)
    out_shape = np.shape(f(x))
    J = np.zeros(out_shape + x.shape)
    for idx in np.ndindex(x.shape):
        p, m = x.copy(), x.copy()
        p[idx] += eps
        m[idx] -= eps
        J[(...,) + idx] = (np.asarray(f(p)) - np.asarray(f(m))) / (2 * eps)
    return J


# --- grad and value_and_grad -----------------------------------------------------------


def test_grad_of_a_scalar_function_against_closed_form():
    xv = np.array([0.3, -1.2, 2.0])
    g = grad(lambda x: tt.sum(tt.exp(x) * tt.sin(x)))(xv)
    assert isinstance(g, np.ndarray) and g.shape == (3,)
    np.testing.assert_allclose(g, np.exp(xv) * (np.sin(xv) + np.cos(xv)), rtol=1e-14)


def test_grad_argnums_int_and_tuple():
    f = lambda a, b, c: a * b**2 * tt.sin(c)
    a, b, c = 2.0, 3.0, 0.5
    np.testing.assert_allclose(grad(f, argnums=1)(a, b, c), 2 * a * b * np.sin(c), rtol=1e-14)
    np.testing.assert_allclose(grad(f, argnums=-1)(a, b, c), a * b**2 * np.cos(c), rtol=1e-14)
    ga, gc = grad(f, argnums=(0, 2))(a, b, c)
    np.testing.assert_allclose(ga, b**2 * np.sin(c), rtol=1e-14)
    np.testing.assert_allclose(gc, a * b**2 * np.cos(c), rtol=1e-14)
    assert isinstance(grad(f, argnums=(1,))(a, b, c), tuple)


def test_value_and_grad_returns_the_value_too():
    xv = np.array([1.0, 2.0])
    value, g = value_and_grad(lambda x: tt.sum(x**3))(xv)
    np.testing.assert_allclose(value, 9.0)
    np.testing.assert_allclose(g, 3 * xv**2)
    assert not hasattr(value, "_level")  # a plain value, not a box


def test_has_aux_returns_aux_unboxed_and_unchanged_in_structure():
    def f(x):
        y = tt.sum(x**2)
        return y, {"y": y, "twice": [x * 2.0, 7]}

    xv = np.array([1.0, -3.0])
    (value, aux), g = value_and_grad(f, has_aux=True)(xv)
    np.testing.assert_allclose(value, 10.0)
    np.testing.assert_allclose(g, 2 * xv)
    assert set(aux) == {"y", "twice"} and isinstance(aux["twice"], list)
    np.testing.assert_allclose(aux["twice"][0], 2 * xv)
    assert isinstance(aux["twice"][0], np.ndarray)
    assert aux["twice"][1] == 7
    g2, aux2 = grad(f, has_aux=True)(xv)
    np.testing.assert_allclose(g2, 2 * xv)
    np.testing.assert_allclose(aux2["y"], 10.0)


def test_grad_with_respect_to_a_nested_container_keeps_its_structure():
    def f(params):
        W, (b, s) = params["W"], params["rest"]
        return tt.sum(tt.tanh(W @ np.array([1.0, -1.0]) + b)) * s

    params = {"W": np.array([[0.1, 0.2], [0.3, -0.4]]), "rest": (np.array([0.5, 0.0]), 2.0)}
    g = grad(f)(params)
    assert set(g) == {"W", "rest"} and isinstance(g["rest"], tuple) and len(g["rest"]) == 2
    assert g["W"].shape == (2, 2) and g["rest"][0].shape == (2,) and np.shape(g["rest"][1]) == ()
    pre = params["W"] @ np.array([1.0, -1.0]) + params["rest"][0]
    sech2 = 1 - np.tanh(pre) ** 2
    np.testing.assert_allclose(g["rest"][0], 2.0 * sech2, rtol=1e-14)
    np.testing.assert_allclose(g["W"], 2.0 * np.outer(sech2, [1.0, -1.0]), rtol=1e-14)
    np.testing.assert_allclose(g["rest"][1], np.sum(np.tanh(pre)), rtol=1e-14)


def test_grad_with_respect_to_a_list():
    g = grad(lambda xs: xs[0] * xs[1] + tt.sum(xs[2]))([2.0, 5.0, np.ones(3)])
    assert isinstance(g, list) and len(g) == 3
    np.testing.assert_allclose(g[0], 5.0)
    np.testing.assert_allclose(g[1], 2.0)
    np.testing.assert_allclose(g[2], np.ones(3))


def test_grad_of_an_output_independent_of_the_input_is_zero():
    g = grad(lambda x: tt.sum(np.ones(3)) + 2.0)(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0])
    ga, gb = grad(lambda a, b: a * 3.0, argnums=(0, 1))(1.0, np.ones(2))
    np.testing.assert_allclose(ga, 3.0)
    np.testing.assert_array_equal(gb, np.zeros(2))


# --- jvp and vjp -----------------------------------------------------------------------


def test_jvp_against_closed_form():
    xv, tv = np.array([0.2, 0.9]), np.array([1.0, -2.0])
    out, t = jvp(lambda x: tt.log1p(x**2), (xv,), (tv,))
    np.testing.assert_allclose(out, np.log1p(xv**2), rtol=1e-14)
    np.testing.assert_allclose(t, 2 * xv / (1 + xv**2) * tv, rtol=1e-14)


def test_jvp_on_containers_in_and_out():
    def f(d):
        return {"s": d["a"] * 2.0, "t": (d["a"][0] * d["b"], [tt.sin(d["b"])])}

    out, t = jvp(f, ({"a": np.array([1.0, 4.0]), "b": 3.0},), ({"a": np.array([1.0, 0.5]), "b": -1.0},))
    assert set(out) == set(t) == {"s", "t"}
    assert isinstance(t["t"], tuple) and isinstance(t["t"][1], list)
    np.testing.assert_allclose(t["s"], [2.0, 1.0])
    np.testing.assert_allclose(t["t"][0], 1.0 * 3.0 + 1.0 * -1.0)
    np.testing.assert_allclose(t["t"][1][0], np.cos(3.0) * -1.0, rtol=1e-14)
    np.testing.assert_allclose(out["t"][1][0], np.sin(3.0), rtol=1e-14)


def test_jvp_with_several_primals():
    out, t = jvp(lambda a, b: a * tt.exp(b), (2.0, 0.5), (0.1, 1.0))
    np.testing.assert_allclose(out, 2.0 * np.exp(0.5), rtol=1e-14)
    np.testing.assert_allclose(t, 0.1 * np.exp(0.5) + 2.0 * np.exp(0.5), rtol=1e-14)


def test_jvp_of_an_output_independent_of_the_input_is_zero():
    out, t = jvp(lambda x: (np.ones(3), x * 0.0 + 1.0), (np.ones(2),), (np.ones(2),))
    np.testing.assert_array_equal(t[0], np.zeros(3))
    np.testing.assert_array_equal(t[1], np.zeros(2))
    assert np.shape(t[0]) == (3,)


def test_vjp_with_multiple_outputs_called_twice():
    av, bv = np.array([1.0, 2.0]), 3.0
    out, pullback = vjp(lambda a, b: (a * b, [tt.sum(a), b**2]), av, bv)
    np.testing.assert_allclose(out[0], [3.0, 6.0])
    assert isinstance(out[1], list)
    ga, gb = pullback((np.array([1.0, 1.0]), [1.0, 0.0]))
    np.testing.assert_allclose(ga, [bv + 1.0, bv + 1.0])
    np.testing.assert_allclose(gb, np.sum(av))
    ga, gb = pullback((np.array([0.0, 1.0]), [0.0, 1.0]))  # the graph is kept for a second call
    np.testing.assert_allclose(ga, [0.0, bv])
    np.testing.assert_allclose(gb, av[1] + 2 * bv)


def test_vjp_has_aux():
    out, pullback, aux = vjp(lambda x: (x * x, {"x": x, "n": 3}), 3.0, has_aux=True)
    np.testing.assert_allclose(out, 9.0)
    np.testing.assert_allclose(pullback(1.0)[0], 6.0)
    assert isinstance(aux["x"], np.ndarray | float | np.floating) and aux["n"] == 3
    np.testing.assert_allclose(aux["x"], 3.0)


def test_vjp_against_finite_differences():
    M = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]])
    f = lambda x: tt.tanh(M @ x) * x[0]
    xv, u = np.array([0.3, -0.2, 0.1]), np.array([1.5, -0.5])
    _, pullback = vjp(f, xv)
    (g,) = pullback(u)
    np.testing.assert_allclose(g, u @ numerical_jacobian(f, xv), rtol=1e-7, atol=1e-10)


def test_vjp_and_jvp_of_the_same_function_are_transposes():
    f = lambda x: tt.sin(x) * tt.sum(x**2)
    xv = np.array([0.5, -0.7, 1.1])
    u, v = np.array([1.0, 2.0, -1.0]), np.array([0.3, 0.1, -0.2])
    (uJ,) = vjp(f, xv)[1](u)
    Jv = jvp(f, (xv,), (v,))[1]
    np.testing.assert_allclose(uJ @ v, u @ Jv, rtol=1e-13)


# --- Jacobians ------------------------------------------------------------------------


def _g(x):  # (2, 3) -> (4,)
    return tt.stack([tt.sum(x**2), tt.prod(x[0]), tt.sin(x[1, 2]) * x[0, 0], tt.sum(tt.exp(x[:, 1]))])


X23 = np.array([[0.5, -0.3, 1.2], [0.8, 0.1, -0.6]])


@pytest.mark.parametrize("jac", [jacobian, jacfwd, jacrev], ids=["auto", "fwd", "rev"])
def test_jacobian_shape_is_out_shape_plus_in_shape(jac):
    J = jac(_g)(X23)
    assert J.shape == (4, 2, 3)
    np.testing.assert_allclose(J, numerical_jacobian(lambda x: np.asarray(_g(x)), X23), rtol=1e-7, atol=1e-9)


def test_jacobian_of_matrix_valued_function_of_a_matrix():
    A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    f = lambda X: tt.tanh(A @ X)  # (2, 2) -> (3, 2)
    Xv = np.array([[0.1, 0.2], [-0.3, 0.4]])
    Jf, Jr = jacfwd(f)(Xv), jacrev(f)(Xv)
    assert Jf.shape == Jr.shape == (3, 2, 2, 2)
    num = numerical_jacobian(lambda X: np.tanh(A @ X), Xv)
    np.testing.assert_allclose(Jf, num, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(Jr, num, rtol=1e-7, atol=1e-9)


def test_jacobian_of_scalar_function_of_scalar():
    for jac in (jacfwd, jacrev):
        J = jac(lambda x: x**3)(2.0)
        assert np.shape(J) == ()
        np.testing.assert_allclose(J, 12.0)


@pytest.mark.parametrize("jac", [jacfwd, jacrev], ids=["fwd", "rev"])
def test_jacobian_on_dict_input_and_output_keeps_structure(jac):
    def f(d):
        return {"y": d["a"] * d["b"], "z": [tt.sum(d["a"] ** 2)]}

    av, bv = np.array([1.0, 2.0]), np.array(3.0)
    J = jac(f)({"a": av, "b": bv})
    assert set(J) == {"y", "z"} and isinstance(J["z"], list)
    assert set(J["y"]) == {"a", "b"} and set(J["z"][0]) == {"a", "b"}
    assert J["y"]["a"].shape == (2, 2) and J["y"]["b"].shape == (2,)
    assert J["z"][0]["a"].shape == (2,) and np.shape(J["z"][0]["b"]) == ()
    np.testing.assert_allclose(J["y"]["a"], 3.0 * np.eye(2))
    np.testing.assert_allclose(J["y"]["b"], av)
    np.testing.assert_allclose(J["z"][0]["a"], 2 * av)
    np.testing.assert_allclose(J["z"][0]["b"], 0.0)


@pytest.mark.parametrize("jac", [jacfwd, jacrev], ids=["fwd", "rev"])
def test_jacobian_with_tuple_argnums_and_tuple_output(jac):
    f = lambda a, b: (a * b, tt.sum(a) * b[0])
    av, bv = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    (Jaa, Jab), (Jba, Jbb) = jac(f, argnums=(0, 1))(av, bv)
    np.testing.assert_allclose(Jaa, np.diag(bv))
    np.testing.assert_allclose(Jab, np.diag(av))
    np.testing.assert_allclose(Jba, [bv[0], bv[0]])
    np.testing.assert_allclose(Jbb, [np.sum(av), 0.0])


def test_auto_mode_picks_forward_for_small_input_and_reverse_otherwise():
    # the rule measured by analysis/jacobian_modes.py: forward when n <= m or n is small
    from tinytorch.autograd.jacobian import FORWARD_UP_TO

    wide = jacobian(lambda x: tt.outer(x, x))  # 2 -> 4
    J = wide(np.array([1.0, 2.0]))
    assert wide.last_mode == "forward"
    np.testing.assert_allclose(J, numerical_jacobian(lambda x: np.outer(x, x), np.array([1.0, 2.0])), atol=1e-8)
    n = FORWARD_UP_TO + 1
    tall = jacobian(lambda x: tt.sum(x**2, keepdims=True))  # n -> 1
    J = tall(np.arange(float(n)))
    assert tall.last_mode == "reverse"
    np.testing.assert_allclose(J, [2 * np.arange(float(n))])
    J = tall(np.arange(5.0))  # 5 -> 1: too few inputs for a tape to pay off
    assert tall.last_mode == "forward"
    np.testing.assert_allclose(J, [2 * np.arange(5.0)])


def test_auto_mode_decides_again_when_the_input_size_changes():
    # output size n + 1 is always larger than the input size n: forward each time
    jac = jacobian(lambda x: tt.concatenate([x, x[:1]]))
    for n in (2, 5, 200):
        J = jac(np.ones(n))
        assert J.shape == (n + 1, n)
        assert jac.last_mode == "forward", f"n={n}: chose {jac.last_mode} for {n} inputs, {n + 1} outputs"


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("chunk_size", [1, 3, 7, 100])
def test_chunk_size_gives_the_same_jacobian(mode, chunk_size):
    f = lambda x: tt.sin(tt.outer(x, x[:3])) + x[0]  # 5 -> (5, 3)
    xv = np.array([0.1, -0.4, 0.9, 1.3, -2.0])
    J = jacobian(f, mode=mode, chunk_size=chunk_size)(xv)
    expected = np.zeros((5, 3, 5))
    for i in range(5):
        for j in range(3):
            c = np.cos(xv[i] * xv[j])
            expected[i, j, i] += c * xv[j]
            expected[i, j, j] += c * xv[i]
            expected[i, j, 0] += 1.0
    np.testing.assert_allclose(J, expected, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_chunk_size_on_containers(mode):
    f = lambda d: {"p": d["u"] * d["v"][0], "q": tt.sum(d["v"]) * d["u"][1]}
    d = {"u": np.array([1.0, 2.0, 3.0]), "v": np.array([4.0, 5.0])}
    J1 = jacobian(f, mode=mode)(d)
    J2 = jacobian(f, mode=mode, chunk_size=2)(d)
    for o in ("p", "q"):
        for i in ("u", "v"):
            np.testing.assert_array_equal(J1[o][i], J2[o][i])
    np.testing.assert_allclose(J2["p"]["v"], [[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    np.testing.assert_allclose(J2["q"]["u"], [0.0, 9.0, 0.0])


@pytest.mark.parametrize("jac", [jacfwd, jacrev], ids=["fwd", "rev"])
def test_jacobian_of_an_output_independent_of_the_input_is_zero(jac):
    J = jac(lambda x: (np.ones(3), x[0] * 0.0))(np.ones(2))
    assert J[0].shape == (3, 2) and J[1].shape == (2,)
    np.testing.assert_array_equal(J[0], np.zeros((3, 2)))
    np.testing.assert_array_equal(J[1], np.zeros(2))


# --- hessian and hvp --------------------------------------------------------------------


def _rosen(x):
    return tt.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def _rosen_hessian(x):
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        H[i + 1, i + 1] += 200
        H[i, i + 1] += -400 * x[i]
        H[i + 1, i] += -400 * x[i]
    return H


XR = np.array([1.2, -0.5, 0.8, 1.1])


def test_hessian_against_closed_form():
    H = hessian(_rosen)(XR)
    assert H.shape == (4, 4)
    np.testing.assert_allclose(H, _rosen_hessian(XR), rtol=1e-13)


def test_hessian_of_a_matrix_input_has_shape_in_plus_in():
    A = np.array([[2.0, 1.0], [0.0, 3.0]])
    f = lambda X: tt.sum((A @ X) ** 2)  # sum_ij (A X)_ij^2
    H = hessian(f)(np.eye(2))
    assert H.shape == (2, 2, 2, 2)
    # d2/dX_kl dX_mn = 2 (A^T A)_km delta_ln
    expected = 2 * np.einsum("km,ln->klmn", A.T @ A, np.eye(2))
    np.testing.assert_allclose(H, expected, rtol=1e-14)


def test_hessian_on_a_dict_input():
    f = lambda d: d["a"] ** 2 * d["b"] + tt.sin(d["b"])
    H = hessian(f)({"a": 2.0, "b": 0.5})
    assert set(H) == {"a", "b"} and set(H["a"]) == {"a", "b"}
    np.testing.assert_allclose(H["a"]["a"], 2 * 0.5)
    np.testing.assert_allclose(H["a"]["b"], 2 * 2.0)
    np.testing.assert_allclose(H["b"]["a"], 2 * 2.0)
    np.testing.assert_allclose(H["b"]["b"], -np.sin(0.5), rtol=1e-14)


def test_hessian_with_tuple_argnums_gives_all_blocks():
    f = lambda a, b: a * a * b + b**3 + tt.sin(a)
    (Haa, Hab), (Hba, Hbb) = hessian(f, argnums=(0, 1))(2.0, 3.0)
    np.testing.assert_allclose([Haa, Hab, Hba, Hbb], [2 * 3.0 - np.sin(2.0), 2 * 2.0, 2 * 2.0, 6 * 3.0], rtol=1e-14)


def test_hvp_equals_hessian_times_v():
    v = np.array([1.0, -2.0, 0.5, 3.0])
    np.testing.assert_allclose(hvp(_rosen, XR, v), _rosen_hessian(XR) @ v, rtol=1e-13)


def test_hvp_on_a_dict_input():
    f = lambda d: d["a"] ** 2 * d["b"] + tt.sin(d["b"])
    out = hvp(f, {"a": 2.0, "b": 0.5}, {"a": 1.0, "b": 2.0})
    np.testing.assert_allclose(out["a"], 2 * 0.5 * 1.0 + 2 * 2.0 * 2.0)
    np.testing.assert_allclose(out["b"], 2 * 2.0 * 1.0 - np.sin(0.5) * 2.0, rtol=1e-14)


def test_hessian_and_hvp_of_a_linear_function_are_zero():
    f = lambda x: tt.sum(x * np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(hessian(f)(np.ones(3)), np.zeros((3, 3)))
    np.testing.assert_array_equal(hvp(f, np.ones(3), np.ones(3)), np.zeros(3))


# --- dtypes -----------------------------------------------------------------------------


F32 = np.array([0.5, -1.0, 2.0], dtype=np.float32)
_h = lambda x: tt.sum(tt.sin(x) * x**2)


def _dh(x):
    x = x.astype(np.float64)
    return np.cos(x) * x**2 + 2 * x * np.sin(x)


def test_float32_in_float32_out_for_grad_and_value():
    value, g = value_and_grad(_h)(F32)
    assert np.result_type(value) == np.float32
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, _dh(F32), rtol=1e-5)


@pytest.mark.parametrize("jac", [jacobian, jacfwd, jacrev], ids=["auto", "fwd", "rev"])
def test_float32_jacobians(jac):
    J = jac(lambda x: tt.sin(x) * x**2)(F32)
    assert J.dtype == np.float32
    np.testing.assert_allclose(J, np.diag(_dh(F32)), rtol=1e-5, atol=1e-6)


def test_float32_jvp_vjp_hessian_hvp():
    out, t = jvp(_h, (F32,), (np.ones(3, np.float32),))
    assert np.result_type(out) == np.float32 and np.result_type(t) == np.float32
    np.testing.assert_allclose(t, np.sum(_dh(F32)), rtol=1e-5)
    out, pullback = vjp(lambda x: tt.sin(x) * 2.0, F32)
    assert out.dtype == np.float32
    (g,) = pullback(np.ones(3, np.float32))
    assert g.dtype == np.float32
    H = hessian(_h)(F32)
    assert H.dtype == np.float32
    Hv = hvp(_h, F32, np.ones(3, np.float32))
    assert Hv.dtype == np.float32
    x = F32.astype(np.float64)
    d2 = -np.sin(x) * x**2 + 4 * x * np.cos(x) + 2 * np.sin(x)
    np.testing.assert_allclose(np.diag(H), d2, rtol=1e-4)
    np.testing.assert_allclose(Hv, d2, rtol=1e-4)


def test_float64_is_the_default():
    g = grad(lambda x: x * x)(3.0)
    assert np.result_type(g) == np.float64
    out, t = jvp(lambda x: x * 2.0, (1.5,), (1.0,))
    assert np.result_type(out) == np.float64 and np.result_type(t) == np.float64
    J = jacobian(lambda xs: tt.stack([xs[0] * xs[1], xs[1]]))([1.0, 2.0])  # a list of two scalars
    assert isinstance(J, list) and all(j.dtype == np.float64 for j in J)
    np.testing.assert_allclose(J[0], [2.0, 0.0])
    np.testing.assert_allclose(J[1], [1.0, 1.0])
