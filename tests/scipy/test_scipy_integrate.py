"""tinytorch.scipy.integrate: derivatives of ODE solutions by forward sensitivities and
by the adjoint, against closed forms, hand-written sensitivity equations solved by SciPy,
and finite differences of tight solves."""

import functools

import numpy as np
import pytest
import scipy.integrate
import scipy.optimize

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, grad, hessian, jacobian
from tinytorch.scipy.integrate import odeint, solve_ivp

TIMES = np.array([0.5, 1.0, 2.0])
TIGHT = dict(rtol=1e-10, atol=1e-12)


def decay(y0, k, sensitivity="auto", method="RK45", t_eval=TIMES):
    return solve_ivp(
        lambda t, y, k: -k * y, (0.0, 2.0), y0, method, t_eval=t_eval, args=(k,), sensitivity=sensitivity, **TIGHT
    ).y


@pytest.mark.parametrize("sensitivity", ["forward", "adjoint"])
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_exponential_decay_against_its_closed_form(sensitivity, mode):
    y0, k = np.array([1.0, 2.0]), 0.7
    d_k = jacobian(lambda k: decay(y0, k, sensitivity), mode=mode)(k)
    d_y0 = jacobian(lambda y0: decay(y0, k, sensitivity), mode=mode)(y0)
    np.testing.assert_allclose(d_k, -TIMES * np.exp(-k * TIMES) * y0[:, None], rtol=1e-8)
    np.testing.assert_allclose(d_y0, np.einsum("ij,t->itj", np.eye(2), np.exp(-k * TIMES)), rtol=1e-8, atol=1e-14)


def test_second_derivatives_against_the_closed_form():
    y0, k = np.array([1.0, 2.0]), 0.7
    expected = np.sum(TIMES**2 * np.exp(-k * TIMES) * y0[:, None])
    np.testing.assert_allclose(hessian(lambda k: tt.sum(decay(y0, k)))(k), expected, rtol=1e-7)  # forward over reverse
    second = jacobian(jacobian(lambda k: decay(y0, k, "forward"), mode="forward"), mode="forward")(k)
    np.testing.assert_allclose(second, TIMES**2 * np.exp(-k * TIMES) * y0[:, None], rtol=1e-7)


def lotka_volterra(t, z, p):
    x, y = z[0], z[1]
    return tt.stack([p[0] * x - p[1] * x * y, p[2] * x * y - p[3] * y])


def hand_written_sensitivities(p, z0, times):
    """The state and d z / d p from the sensitivity equations, written out by hand."""

    def rhs(t, w):
        x, y = w[0], w[1]
        s = w[2:].reshape(2, 4)
        j_z = np.array([[p[0] - p[1] * y, -p[1] * x], [p[2] * y, p[2] * x - p[3]]])
        j_p = np.array([[x, -x * y, 0.0, 0.0], [0.0, 0.0, x * y, -y]])
        return np.concatenate([[p[0] * x - p[1] * x * y, p[2] * x * y - p[3] * y], (j_z @ s + j_p).ravel()])

    w0 = np.concatenate([z0, np.zeros(8)])
    sol = scipy.integrate.solve_ivp(rhs, (0.0, times[-1]), w0, t_eval=times, rtol=1e-12, atol=1e-14)
    return sol.y[2:].reshape(2, 4, -1).transpose(0, 2, 1)  # (state, time, parameter)


@pytest.mark.parametrize("sensitivity", ["forward", "adjoint"])
def test_lotka_volterra_against_hand_written_sensitivity_equations(sensitivity):
    p, z0, times = np.array([1.1, 0.4, 0.1, 0.4]), np.array([1.0, 0.5]), np.linspace(1.0, 10.0, 4)

    def states(p):
        sol = solve_ivp(lotka_volterra, (0.0, 10.0), z0, t_eval=times, args=(p,), sensitivity=sensitivity, **TIGHT)
        return sol.y

    mode = "forward" if sensitivity == "forward" else "reverse"
    np.testing.assert_allclose(
        jacobian(states, mode=mode)(p), hand_written_sensitivities(p, z0, times), rtol=1e-6, atol=1e-8
    )


def robertson(t, y, k):
    return tt.stack(
        [
            -k[0] * y[0] + k[2] * y[1] * y[2],
            k[0] * y[0] - k[2] * y[1] * y[2] - k[1] * y[1] ** 2,
            k[1] * y[1] ** 2,
        ]
    )


def robertson_by_numpy(k, t_end):
    def f(t, y):
        return np.array(
            [-k[0] * y[0] + k[2] * y[1] * y[2], k[0] * y[0] - k[2] * y[1] * y[2] - k[1] * y[1] ** 2, k[1] * y[1] ** 2]
        )

    return scipy.integrate.solve_ivp(f, (0.0, t_end), [1.0, 0.0, 0.0], method="Radau", rtol=1e-12, atol=1e-16).y[:, -1]


@functools.cache
def robertson_by_differences(rates: tuple) -> np.ndarray:
    """d y(40) / d k by central differences of solves at rtol 1e-12, once for both methods."""
    k = np.array(rates)
    steps = [1e-5 * k * e for e in np.eye(3)]  # relative steps: the rates span orders of magnitude
    return np.stack(
        [(robertson_by_numpy(k + h, 40.0) - robertson_by_numpy(k - h, 40.0)) / (2 * h.sum()) for h in steps], 1
    )


@pytest.mark.parametrize("rates", [(0.04, 3e7, 1e4), (0.2, 1e6, 3e3)])
@pytest.mark.parametrize("method", ["BDF", "Radau"])
def test_stiff_robertson_forward_and_adjoint_agree_with_finite_differences(method, rates):
    k, t_end = np.array(rates), 40.0

    def final(k, sensitivity):
        sol = solve_ivp(
            robertson, (0.0, t_end), np.array([1.0, 0.0, 0.0]), method, t_eval=[t_end], args=(k,),
            sensitivity=sensitivity, rtol=1e-8, atol=1e-12,
        )  # fmt: skip
        return sol.y[:, -1]

    numeric = robertson_by_differences(rates)
    forward = jacobian(lambda k: final(k, "forward"), mode="forward")(k)
    adjoint = jacobian(lambda k: final(k, "adjoint"), mode="reverse")(k)
    scale = np.abs(numeric).max(axis=0)  # each parameter's column at its own scale
    np.testing.assert_allclose(forward / scale, numeric / scale, atol=1e-6)
    np.testing.assert_allclose(adjoint / scale, numeric / scale, atol=1e-6)
    np.testing.assert_allclose(adjoint / scale, forward / scale, atol=1e-6)


def test_a_loss_of_sixty_parameters_adjoint_against_forward():
    rng = np.random.default_rng(0)
    n = 30
    theta = np.concatenate([rng.uniform(0.5, 1.5, n), rng.standard_normal(n)])  # rates and sources
    data = rng.standard_normal((n, 5))

    def loss(theta, sensitivity):
        sol = solve_ivp(
            lambda t, y, th: -th[:n] * y + th[n:] * tt.cos(t),
            (0.0, 3.0), np.ones(n), t_eval=np.linspace(0.6, 3.0, 5), args=(theta,), sensitivity=sensitivity, **TIGHT,
        )  # fmt: skip
        return tt.sum((sol.y - data) ** 2)

    np.testing.assert_allclose(grad(loss)(theta, "adjoint"), grad(loss)(theta, "forward"), rtol=1e-6, atol=1e-9)


def test_variables_duals_and_results():
    y0, k = np.array([1.0, 2.0]), 0.7
    kv = Variable(np.array(k), requires_grad=True)
    result = solve_ivp(lambda t, y, k: -k * y, (0.0, 2.0), y0, t_eval=TIMES, args=(kv,), **TIGHT)
    assert result.success and result.t.tolist() == TIMES.tolist() and isinstance(result.y, Variable)
    tt.sum(result.y).backward()
    np.testing.assert_allclose(kv.grad, np.sum(-TIMES * np.exp(-k * TIMES) * y0[:, None]), rtol=1e-8)
    tangent = decay(Dual(y0, np.array([1.0, 0.0])), k).tangent
    np.testing.assert_allclose(tangent, [np.exp(-k * TIMES), np.zeros(3)], rtol=1e-8, atol=1e-14)
    # the solver's own times (no t_eval) are where the derivative is taken too
    free = jacobian(lambda k: decay(y0, k, t_eval=None))(k)
    times = decay(y0, k, t_eval=None).shape[1]
    assert free.shape == (2, times)


def test_odeint_is_the_row_a_time_form():
    t = np.array([0.0, 0.5, 1.0])
    ys = odeint(lambda y, t, k: -k * y, np.ones(2), t, 0.7)
    np.testing.assert_allclose(ys, np.exp(-0.7 * t)[:, None] * np.ones(2), rtol=1e-7)
    np.testing.assert_allclose(
        grad(lambda k: tt.sum(odeint(lambda y, t, k: -k * y, np.ones(2), t, k)))(0.7),
        np.sum(-2 * t * np.exp(-0.7 * t)),
        rtol=1e-6,
    )


def test_a_failed_solve_has_no_derivative():
    blow_up = lambda c: solve_ivp(lambda t, y, c: c * y**2, (0.0, 2.0), np.ones(1), args=(c,))  # noqa: E731
    assert not blow_up(1.0).success  # y = 1 / (1 - t) leaves at t = 1: SciPy says so
    with pytest.raises(RuntimeError, match="solve_ivp failed"):
        grad(lambda c: tt.sum(blow_up(c).y))(1.0)


def test_a_failed_solve_has_no_derivative_in_forward_mode_either():
    blow_up = lambda c: solve_ivp(lambda t, y, c: c * y**2, (0.0, 2.0), np.ones(1), args=(c,), t_eval=[0.5, 2.0])  # noqa: E731
    with pytest.raises(RuntimeError, match="solve_ivp failed"):
        jacobian(lambda c: blow_up(c).y, mode="forward")(1.0)


def test_pure_forward_mode_solves_state_and_sensitivities_once(monkeypatch):
    # y' = -k y: the Dual's states agree with the plain solve to the tolerance (a joint solve
    # chooses its own steps), its tangent with the closed form
    y0, k = np.array([1.0, 2.0]), 0.7
    plain = decay(y0, k)
    solves = []
    scipy_solve = scipy.integrate.solve_ivp
    monkeypatch.setattr(scipy.integrate, "solve_ivp", lambda *a, **kw: solves.append(a) or scipy_solve(*a, **kw))
    out = decay(y0, Dual(np.array(k), np.array(1.0)))
    assert len(solves) == 1
    np.testing.assert_allclose(out.primal, plain, rtol=1e-8)
    np.testing.assert_allclose(out.primal, y0[:, None] * np.exp(-k * TIMES), rtol=1e-8)
    np.testing.assert_allclose(out.tangent, -TIMES * y0[:, None] * np.exp(-k * TIMES), rtol=1e-7)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_right_hand_sides_run_as_written_when_not_compiled(monkeypatch, mode):
    from tinytorch.scipy import integrate

    monkeypatch.setattr(integrate, "COMPILE_RHS", False)
    calls = []

    def rhs(t, y, k):
        calls.append(type(y))  # a tracer when compiled, an array or a box as written
        return -k * y

    y0, k = np.array([1.0, 2.0]), 0.7
    ends = lambda k: solve_ivp(rhs, (0.0, 2.0), y0, t_eval=TIMES, args=(k,), **TIGHT).y  # noqa: E731
    found = jacobian(ends, mode=mode)(k)
    np.testing.assert_allclose(found, -TIMES * y0[:, None] * np.exp(-k * TIMES), rtol=1e-7)
    assert len(calls) > 20 and all(c is np.ndarray or issubclass(c, tt.autograd.levels.Box) for c in calls)


def test_what_is_refused():
    f = lambda t, y, k: -k * y  # noqa: E731
    with pytest.raises(ValueError, match="sensitivity"):
        solve_ivp(f, (0.0, 1.0), np.ones(1), args=(1.0,), sensitivity="backsolve")
    with pytest.raises(TypeError, match="computed by tinytorch"):
        solve_ivp(f, (0.0, 1.0), np.ones(1), method="BDF", args=(1.0,), jac=lambda t, y, k: -k)
    event = lambda t, y, k: y[0] - 0.5  # noqa: E731
    with pytest.raises(NotImplementedError, match="events"):
        grad(lambda k: tt.sum(solve_ivp(f, (0.0, 1.0), np.ones(1), args=(k,), events=event).y))(1.0)


def test_a_hessian_through_solve_ivp_against_differences_of_gradients():
    z0, times = np.array([1.0, 0.5]), np.array([2.0, 4.0])

    def loss(p):
        sol = solve_ivp(lotka_volterra, (0.0, 4.0), z0, t_eval=times, args=(p,), **TIGHT)
        return tt.sum(sol.y**2)

    p = np.array([1.1, 0.4, 0.1, 0.4])
    h = 1e-5
    numeric = np.stack([(grad(loss)(p + h * e) - grad(loss)(p - h * e)) / (2 * h) for e in np.eye(4)])
    np.testing.assert_allclose(hessian(loss)(p), numeric, rtol=1e-5, atol=1e-7)


def test_an_ode_fit_with_exact_jacobians_needs_fewer_evaluations_than_finite_differences():
    from tinytorch.scipy.optimize import least_squares

    p_true, z0, times = np.array([1.1, 0.4, 0.1, 0.4]), np.array([10.0, 5.0]), np.linspace(0.5, 15.0, 25)
    data = solve_ivp(lotka_volterra, (0.0, 15.0), z0, t_eval=times, args=(p_true,), **TIGHT).y
    data = data + 0.3 * np.random.default_rng(0).standard_normal(data.shape)
    calls = {"exact": 0, "2-point": 0}

    def residuals(p, way):
        calls[way] += 1
        sol = solve_ivp(lotka_volterra, (0.0, 15.0), z0, t_eval=times, args=(p,), rtol=1e-8, atol=1e-10)
        return tt.reshape(sol.y - data, (-1,)) if sol.success else np.full(data.size, 1e3)

    start = np.array([1.0, 0.5, 0.2, 0.5])
    exact = least_squares(residuals, start, args=("exact",))
    by_differences = scipy.optimize.least_squares(lambda p: np.asarray(residuals(p, "2-point")), start)
    np.testing.assert_allclose(exact.cost, by_differences.cost, rtol=1e-8)
    assert calls["exact"] < calls["2-point"]  # a Jacobian is one call (with its sensitivities), not one per rate


@pytest.mark.parametrize("method", ["RK45", "BDF"])
def test_a_checkpointed_adjoint_equals_forward_sensitivities(method):
    p, z0, times = np.array([1.1, 0.4, 0.1, 0.4]), np.array([1.0, 0.5]), np.linspace(2.0, 10.0, 4)

    def loss(p, sensitivity, checkpoints=None):
        sol = solve_ivp(
            lotka_volterra, (0.0, 10.0), z0, method, t_eval=times, args=(p,), sensitivity=sensitivity,
            checkpoints=checkpoints, **TIGHT,
        )  # fmt: skip
        np.testing.assert_allclose(sol.t, times)  # the checkpoints are not outputs
        return tt.sum(sol.y**2)

    forward = grad(lambda p: loss(p, "forward"))(p)
    for checkpoints in (1, 7):
        np.testing.assert_allclose(grad(lambda p, c=checkpoints: loss(p, "adjoint", c))(p), forward, rtol=1e-6)
    with pytest.raises(ValueError, match="checkpoints"):
        solve_ivp(lotka_volterra, (0.0, 1.0), z0, args=(p,), checkpoints=3)  # no t_eval


def test_the_adjoint_of_a_fast_forced_system_keeps_its_parameters_accurate():
    # l' = -J^T l is a smooth exponential here and could take long steps, while the rates'
    # integrand -y l follows the state's fast forcing: the rates' part of the adjoint must stay
    # in the error control (left out, as CVODES leaves quadratures by default, it was 2e-3 off)
    n = 5
    rates = np.random.default_rng(2).uniform(0.5, 1.5, n)

    def loss(k, sensitivity):
        sol = solve_ivp(lambda t, y, k: -k * y + tt.cos(20.0 * t), (0.0, 10.0), np.ones(n), t_eval=[5.0, 10.0],
                        args=(k,), sensitivity=sensitivity, rtol=1e-6, atol=1e-8)  # fmt: skip
        return tt.sum(sol.y**2)

    adjoint, forward = (grad(lambda k, s=s: loss(k, s))(rates) for s in ("adjoint", "forward"))
    assert np.abs(adjoint - forward).max() <= 1e-4 * np.abs(forward).max()


def test_one_adjoint_solve_serves_every_differentiated_argument(monkeypatch):
    solves = []
    original = scipy.integrate.solve_ivp

    def counting(*args, **kwargs):
        solves.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(scipy.integrate, "solve_ivp", counting)
    k, s = np.array([0.7, 1.3]), np.array([0.2, -0.4])

    def loss(k, s):
        sol = solve_ivp(lambda t, y, k, s: -k * y + s, (0.0, 2.0), np.ones(2), t_eval=[1.0, 2.0], args=(k, s),
                        sensitivity="adjoint", **TIGHT)  # fmt: skip
        return tt.sum(sol.y**2)

    grad(loss, argnums=(0, 1))(k, s)
    backward = [span for span in solves if span[0] > span[1]]
    assert len(backward) == 2  # (2, 1) and (1, 0), once, not once per argument
