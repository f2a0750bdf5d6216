"""The error cases users rely on (README, "Behaviour you can rely on"): clear
errors for misuse of backward() and of the transforms, and in-place mutation of
saved data detected at backward() rather than turned into a wrong gradient --
while no_grad updates (manual SGD) and recorded in-place ops are not falsely
reported."""

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import (
    Dual,
    Variable,
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    no_grad,
    value_and_grad,
    vjp,
)

# --- backward() ---------------------------------------------------------------------------


def test_backward_on_non_scalar_without_gradient():
    x = Variable(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match="gradient"):
        (x * 2.0).backward()


def test_second_backward_through_freed_graph_names_retain_graph():
    x = Variable(np.array([1.0, 2.0]), requires_grad=True)
    y = tt.sum(tt.sin(x) * x)
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_backward_through_a_shared_freed_subgraph_names_retain_graph():
    x = Variable(2.0, requires_grad=True)
    h = tt.exp(x) * x
    (h * 2.0).backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        (h * 3.0).backward()


def test_backward_on_something_not_requiring_grad():
    with pytest.raises(RuntimeError, match="require"):
        Variable(1.0).backward()
    with pytest.raises(RuntimeError, match="require"):
        (Variable(np.ones(2)) * 3.0).sum().backward()


def test_backward_gradient_of_wrong_shape():
    x = Variable(np.ones(2), requires_grad=True)
    with pytest.raises((RuntimeError, ValueError), match="shape"):
        (x * 2.0).backward(gradient=np.ones(3))


@pytest.mark.parametrize("data", [np.array([1, 2]), 5, np.array([True, False]), True])
def test_requires_grad_on_integer_or_boolean_data(data):
    with pytest.raises(TypeError, match="float"):
        Variable(data, requires_grad=True)


# --- transforms -------------------------------------------------------------------------

_sq = lambda z: z * z
_sum_sq = lambda z: tt.sum(z * z)

TRANSFORMS = {
    "grad": lambda a: grad(_sum_sq)(a),
    "value_and_grad": lambda a: value_and_grad(_sum_sq)(a),
    "jvp": lambda a: jvp(_sq, (a,), (np.ones(np.shape(a)),)),
    "vjp": lambda a: vjp(_sq, a),
    "jacobian": lambda a: jacobian(_sq)(a),
    "jacfwd": lambda a: jacfwd(_sq)(a),
    "jacrev": lambda a: jacrev(_sq)(a),
    "hessian": lambda a: hessian(_sum_sq)(a),
    "hvp": lambda a: hvp(_sum_sq, a, np.ones(np.shape(a))),
}
BAD_INPUTS = {
    "int array": np.array([1, 2]),
    "python int": 3,
    "bool array": np.array([True, False]),
    "int32 array": np.array([1, 2], dtype=np.int32),
}


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_integer_or_boolean_input_to_a_transform_is_a_type_error(transform, kind):
    with pytest.raises(TypeError, match="float"):
        TRANSFORMS[transform](BAD_INPUTS[kind])


def test_integer_input_inside_a_container_is_a_type_error():
    with pytest.raises(TypeError, match="float"):
        grad(lambda d: tt.sum(d["a"]) + tt.sum(d["b"]))({"a": np.ones(2), "b": np.array([1, 2])})


def test_integer_argument_not_differentiated_is_fine():
    # only the arguments in argnums must be floats
    g = grad(lambda x, n: x**n, argnums=0)(2.0, 3)
    np.testing.assert_allclose(g, 12.0)


def test_grad_of_a_non_scalar_output():
    with pytest.raises(TypeError, match="scalar"):
        grad(lambda z: z * 2.0)(np.ones(3))


def test_grad_of_an_output_of_one_element_of_any_shape():
    # as backward() and HIPS autograd take it: d sum(x^2) / dx = 2x, whatever the output's shape
    x = np.array([1.0, -2.0])
    for shape in [(1,), (1, 1)]:
        np.testing.assert_array_equal(grad(lambda x, shape=shape: tt.reshape(tt.sum(x**2), shape))(x), 2 * x)
    np.testing.assert_array_equal(grad(lambda x: x**3)(np.array([2.0])), [12.0])


def test_jvp_tangent_shape_mismatch():
    with pytest.raises(ValueError, match="shape"):
        jvp(_sq, (np.ones(2),), (np.ones(3),))


def test_jvp_tangent_structure_mismatch():
    with pytest.raises(ValueError, match="structure"):
        jvp(lambda a, b: a * b, (np.ones(2), np.ones(2)), (np.ones(2),))
    with pytest.raises(ValueError, match="structure"):
        jvp(lambda d: d["a"], ({"a": np.ones(2)},), ({"b": np.ones(2)},))


def test_vjp_cotangent_shape_mismatch():
    _, pullback = vjp(_sq, np.ones(2))
    with pytest.raises(ValueError, match="shape"):
        pullback(np.ones(3))


def test_vjp_cotangent_structure_mismatch():
    _, pullback = vjp(lambda z: (z * 2.0, tt.sum(z)), np.ones(2))
    with pytest.raises(ValueError, match="structure"):
        pullback(np.ones(2))
    with pytest.raises(ValueError, match="structure"):
        pullback((np.ones(2), 1.0, 1.0))


def test_hvp_vector_shape_mismatch():
    with pytest.raises(ValueError, match="shape"):
        hvp(_sum_sq, np.ones(2), np.ones(3))


def test_dual_with_tangent_of_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        Dual(np.ones(2), np.ones(3))


# --- in-place mutation of saved data ------------------------------------------------


def _saved_graph():
    x = Variable(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = tt.sum(x * x)  # multiply saves x
    return x, y


def _write_item(x):
    x.data[0] = 5.0


def _augmented(x):
    x.data += 1.0


def _rebind(x):
    x.data = np.array([7.0, 8.0, 9.0])


def _copyto(x):
    np.copyto(x.data, np.zeros(3))


def _ufunc_out(x):
    np.multiply(x.data, 2.0, out=x.data)


def _fill(x):
    x.data.fill(0.0)


def _through_a_view(x):
    v = x.data.reshape(3, 1)
    v[2, 0] = -1.0


def _through_a_named_alias(x):
    d = x.data
    d *= 3.0


def _through_detach(x):
    x.detach().data[1] = 0.0


def _copyto_by_keyword(x):
    np.copyto(dst=x.data, src=np.zeros(3))


def _ufunc_at(x):
    np.add.at(x.data, [0, 0], 1.0)  # unbuffered in-place scatter-add


def _array_function_out(x):
    np.dot(np.eye(3), np.ones(3), out=x.data)


def _flat_iterator(x):
    x.data.flat[0] = 9.0


MUTATIONS = [
    _write_item,
    _augmented,
    _rebind,
    _copyto,
    _ufunc_out,
    _fill,
    _through_a_view,
    _through_a_named_alias,
    _through_detach,
    _copyto_by_keyword,
    _ufunc_at,
    _array_function_out,
    _flat_iterator,
]


@pytest.mark.parametrize("mutate", MUTATIONS, ids=lambda m: m.__name__.strip("_"))
def test_mutating_saved_leaf_data_is_detected_at_backward(mutate):
    x, y = _saved_graph()
    mutate(x)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_mutating_an_intermediate_is_detected_at_backward():
    x = Variable(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = tt.exp(x)
    z = tt.sum(y * y)
    y.data[...] = 0.0
    with pytest.raises(RuntimeError, match="modified in place"):
        z.backward()


def test_mutating_an_output_whose_rule_uses_it_is_detected():
    # exp's VJP uses its own output
    x = Variable(np.array([0.5, 1.5]), requires_grad=True)
    y = tt.exp(x)
    z = tt.sum(y)
    y.data[0] = 0.0
    with pytest.raises(RuntimeError, match="modified in place"):
        z.backward()


def test_no_grad_update_before_backward_of_an_older_graph_is_detected():
    w = Variable(np.array([1.0, 2.0]), requires_grad=True)
    loss = tt.sum(w * w)
    with no_grad():
        w -= 1.0
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_in_place_op_on_a_leaf_requiring_grad_outside_no_grad():
    w = Variable(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 1.0
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 3.0
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


def test_manual_sgd_under_no_grad_matches_numpy_and_is_not_reported():
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    w = Variable(np.array([1.0, -2.0]), requires_grad=True)
    w_ref = np.array([1.0, -2.0])
    lr = 0.1
    for _ in range(5):
        loss = w @ (A @ w)  # graph built after the previous update
        loss.backward()
        with no_grad():
            w -= lr * w.grad
        w.zero_grad()
        w_ref = w_ref - lr * (2.0 * A @ w_ref)
    np.testing.assert_allclose(w.data, w_ref, rtol=1e-14)
    assert w.is_leaf and w.requires_grad


def test_assigning_data_then_building_a_new_graph_is_not_reported():
    w = Variable(np.array([1.0, 2.0]), requires_grad=True)
    w.data = np.array([3.0, 4.0])
    w.data[0] = 5.0
    tt.sum(w * w).backward()
    np.testing.assert_allclose(w.grad, [10.0, 8.0])


def test_recorded_setitem_on_an_intermediate_differentiates():
    # PyTorch: y = x * 1; y[0] = 0; (y * y).sum().backward() -> x.grad = [0, 2 x1, 2 x2]
    x = Variable(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * 1.0
    y[0] = 0.0
    tt.sum(y * y).backward()
    np.testing.assert_allclose(x.grad, [0.0, 4.0, 6.0])


def test_recorded_augmented_assignment_on_an_intermediate_differentiates():
    # y = 2x + 1, loss = sum(y^2): dloss/dx = 4 (2x + 1)
    xv = np.array([1.0, 2.0, 3.0])
    x = Variable(xv, requires_grad=True)
    y = x * 2.0
    y += 1.0
    tt.sum(y * y).backward()
    np.testing.assert_allclose(x.grad, 4.0 * (2.0 * xv + 1.0))


# --- conversions that would drop a derivative, and data the caller still holds ------------


def test_math_functions_on_a_transform_input_raise_instead_of_dropping_the_derivative():
    import math

    with pytest.raises(TypeError, match=r"tt.sin, not math.sin"):
        grad(lambda x: math.sin(x))(1.0)
    with pytest.raises(TypeError, match="would drop its derivative"):
        jvp(math.exp, (1.0,), (1.0,))
    with pytest.raises(TypeError, match="would drop its derivative"):
        float(Dual(2.0, 1.0))
    # converting a Variable made by hand is allowed, as in PyTorch (float(loss) for logging)
    x = Variable(2.0, requires_grad=True)
    assert float(x * x) == 4.0 and (x * x).item() == 4.0


def test_a_dual_with_a_tangent_needs_a_float_primal():
    with pytest.raises(TypeError, match="floating-point primal"):
        Dual(3, 0.5)
    d = Dual(3.0, 1)  # an integer tangent is cast to the primal's float type, not truncated
    assert d.tangent.dtype == np.float64 and float(d.tangent) == 1.0


def test_variable_copies_the_array_it_is_given():
    a = np.ones(3)
    w = Variable(a, requires_grad=True)
    z = tt.sum(w * w)
    a[0] = 7.0  # the caller's array, not the Variable's
    z.backward()
    assert w.grad.tolist() == [2.0, 2.0, 2.0]


def test_bad_transform_options_and_unsupported_forms_are_clear_errors():
    with pytest.raises(ValueError, match="chunk_size"):
        jacobian(tt.sin, chunk_size=0)
    with pytest.raises(ValueError, match="chunk_size"):
        jacobian(tt.sin, chunk_size=-2)
    with pytest.raises(TypeError, match="hvp requires floating-point inputs"):
        hvp(lambda x: tt.sum(x * x), np.arange(3), np.ones(3))
    with pytest.raises(TypeError, match="keyword arguments"):
        np.sin(Dual(0.5, 1.0), dtype=np.float32)
    # einsum's sublist form is supported now (it was refused here); a bad label is an error
    assert tt.einsum(np.ones(2), [0], np.ones(2), [0]) == np.einsum(np.ones(2), [0], np.ones(2), [0])
    with pytest.raises(ValueError, match="subscript must be an integer"):
        tt.einsum(np.ones(2), ["i"])
    with pytest.raises(TypeError, match="numpy.logspace has no tinytorch rule"):
        np.logspace(Variable(1.0, requires_grad=True), 2.0)


def test_size_zero_inputs_follow_numpy():
    x = Variable(np.zeros((0, 3)), requires_grad=True)
    assert tt.prod(x, axis=0).tolist() == [1.0, 1.0, 1.0]
    assert tt.softmax(np.zeros((2, 0))).shape == (2, 0)
    assert tt.logsumexp(np.zeros(0)) == -np.inf
    assert jacobian(lambda a: tt.einsum("ij->j", a))(np.zeros((0, 3))).shape == (3, 0, 3)
