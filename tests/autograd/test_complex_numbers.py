"""Complex numbers: the convention, which finite differences of the real and
imaginary parts cannot see (a cotangent pairs with a tangent as Re(g t), as in
JAX and HIPS autograd), checked against closed forms; what the transforms take
and refuse; and Python's complex scalars mixed with NumPy's.

The systematic checks, every primitive on complex inputs, are in test_complex_table.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Dual, Variable, grad, gradcheck, holomorphic_grad, jvp, vjp

Z = np.array([1.0 + 2.0j, -0.5 + 0.3j, 2.0 - 1.0j])


def test_gradient_of_a_real_function_is_df_dx_minus_i_df_dy():
    # |z|^2 = x^2 + y^2: df/dx - i df/dy = 2x - 2iy = 2 conj(z) (JAX, HIPS; PyTorch gives 2z)
    np.testing.assert_allclose(grad(lambda z: tt.sum(tt.abs(z) ** 2))(Z), 2 * np.conj(Z), rtol=1e-14)
    # Re(z) = x: the gradient is 1; Im(z) = y: the gradient is -i
    np.testing.assert_allclose(grad(lambda z: tt.sum(tt.real(z)))(Z), np.ones(3), rtol=1e-14)
    np.testing.assert_allclose(grad(lambda z: tt.sum(tt.imag(z)))(Z), -1j * np.ones(3), rtol=1e-14)
    z = Variable(Z, requires_grad=True)
    tt.sum(tt.abs(z) ** 2).backward()
    np.testing.assert_allclose(z.grad, 2 * np.conj(Z), rtol=1e-14)


def test_vjp_of_a_holomorphic_function_is_g_times_the_derivative():
    g = np.array([0.3 - 1.0j, 2.0 + 0.5j, -1.0 + 0.0j])
    (c,) = vjp(tt.sin, Z)[1](g)
    np.testing.assert_allclose(c, g * np.cos(Z), rtol=1e-14)  # no conjugate
    _, t = jvp(tt.sin, (Z,), (g,))
    np.testing.assert_allclose(t, g * np.cos(Z), rtol=1e-14)


def test_holomorphic_grad_is_the_complex_derivative():
    assert holomorphic_grad(lambda z: z * (1.0 + 0.2j))(1.0 + 0j) == pytest.approx(1.0 + 0.2j, abs=1e-15)
    z = 0.7 - 0.4j
    assert holomorphic_grad(lambda z: tt.exp(z) * tt.sin(z))(z) == pytest.approx(
        np.exp(z) * (np.sin(z) + np.cos(z)), rel=1e-14
    )
    with pytest.raises(TypeError, match="complex inputs"):
        holomorphic_grad(lambda z: z * (1.0 + 0.2j))(1.0)


def test_a_real_input_gets_the_real_part_of_its_cotangent():
    x = np.array([0.5, -1.5])
    # f(x) = Re(x (1 + 2j)) = x: d/dx = 1, in both modes and through the cast
    assert grad(lambda x: tt.sum(tt.real(x * (1.0 + 2.0j))))(x).tolist() == [1.0, 1.0]
    assert grad(lambda x: tt.sum(tt.imag(x * (1.0 + 2.0j))))(x).tolist() == [2.0, 2.0]
    g = grad(lambda x: tt.sum(tt.abs(x * (1.0 + 2.0j))))(x)
    np.testing.assert_allclose(g, np.sqrt(5.0) * np.sign(x), rtol=1e-14)
    assert g.dtype == np.float64
    _, t = jvp(lambda x: tt.sum(tt.abs(x * (1.0 + 2.0j))), (x,), (np.ones(2),))
    assert t == pytest.approx(0.0, abs=1e-14)  # sqrt(5) (sign(0.5) + sign(-1.5)) = 0
    x32 = np.array([0.5, 2.0], dtype=np.float32)
    g32 = grad(lambda x: tt.sum(tt.abs(tt.astype(x, np.complex64))))(x32)
    assert g32.dtype == np.float32 and g32.tolist() == [1.0, 1.0]


def test_complex_outputs_need_a_real_function_or_holomorphic_grad():
    with pytest.raises(TypeError, match="holomorphic_grad"):
        grad(lambda x: x * (1.0 + 0.2j))(1.0)
    with pytest.raises(RuntimeError, match="complex output"):
        (Variable(Z, requires_grad=True) * 2.0).sum().backward()
    with pytest.raises(TypeError, match="is complex, for a real value"):
        vjp(lambda x: x * 2.0, np.ones(2))[1](np.ones(2) * 1j)
    with pytest.raises(TypeError, match="is complex, for a real value"):
        Dual(1.0, 1j)


def test_casting_complex_to_real_keeps_the_real_part_and_warns_as_numpy_does():
    with pytest.warns(np.exceptions.ComplexWarning):
        np.asarray(Z).astype(np.float64)
    with pytest.warns(np.exceptions.ComplexWarning):
        g = grad(lambda z: tt.sum(tt.astype(z, np.float64) ** 2))(Z)
    np.testing.assert_allclose(g, 2 * Z.real, rtol=1e-14)


def test_python_complex_scalars_become_numpy_ones_in_both_modes():
    # np.float64 * 1j is a Python complex, which has no dtype: ops keep NumPy's complex128
    for box in (Variable(np.float64(0.5), requires_grad=True), Dual(np.float64(0.5), 1.0)):
        assert type((1j * box)._value) is np.complex128 and type((box * 1j)._value) is np.complex128
    # d/dp Re(2 exp(i p)) = -2 sin(p), through 1j * p and where(..., 1j)
    p = np.float64(0.3)
    assert grad(lambda p: tt.real(tt.exp(1j * p) * 2.0))(p) == pytest.approx(-2 * np.sin(p), rel=1e-14)
    assert jvp(lambda p: tt.real(tt.exp(p * 1j) * 2.0), (p,), (1.0,))[1] == pytest.approx(-2 * np.sin(p), rel=1e-14)
    mask = np.array([True, False])
    assert gradcheck(lambda p: tt.imag(tt.where(mask, p * 1j, 1j) * p), (np.array([0.3, 0.2]),), order=2)
    # at NumPy 2's precision for a Python scalar: float32 * 1j is complex64, boxed or not
    x32 = np.array([1.0, 2.0], dtype=np.float32)
    for box in (Variable(x32, requires_grad=True), Dual(x32, np.ones(2, np.float32))):
        for out in (box * 1j, (1 + 1j) + box, tt.where(mask, box, 1j)):
            assert out.dtype == np.complex64


def test_a_negative_real_base_to_a_complex_power_uses_the_complex_log():
    # d/dy x**y = x**y log(x), with log(-2) = log(2) + i pi: complex, where the real log is nan
    y = np.array([0.5 + 1.0j, 0.3 - 0.2j])
    base = np.array([-2.0, 3.0])
    assert gradcheck(lambda y: tt.power(base, y), (y,), order=2)
    assert gradcheck(lambda y: (-2.0) ** y, (y,), order=2)
    (c,) = vjp(lambda y: tt.power(base, y), y)[1](np.ones(2))
    np.testing.assert_allclose(c, base.astype(complex) ** y * np.log(base.astype(complex)), rtol=1e-14)


def test_real_and_imag_are_views_as_in_numpy():
    z = np.array([1.0 + 2.0j, 3.0 + 4.0j])

    def zero_first_real_part(z):
        y = z * 1.0
        y.real[0] = 0.0  # reaches y, as NumPy's view does
        return tt.sum(tt.abs(y) ** 2)

    # |y|^2 with y = (0 + 2i, 3 + 4i): df/dx - i df/dy = 2 conj(y) where z still reaches y
    np.testing.assert_allclose(grad(zero_first_real_part)(z), [-4j, 6 - 8j], rtol=1e-14)
    assert gradcheck(zero_first_real_part, (z,), order=2)
    for box in (Variable(z, requires_grad=True), Dual(z, np.ones(2))):
        y = box * 1.0
        im = y.imag
        y *= 2j  # the view follows its base: imag(2j z) = 2 Re z
        np.testing.assert_array_equal(im._value, 2 * z.real)
        y.imag[1] = 5.0
        np.testing.assert_array_equal(y._value, [(2j * z)[0], (2j * z)[1].real + 5j])
    x = Variable(np.array([1.0, 2.0]), requires_grad=True)
    assert not x.imag.flags.writeable and x.imag.tolist() == [0.0, 0.0]  # NumPy's, for a real array


def test_angle_of_reals_is_piecewise_constant_and_stages_under_jit():
    x = np.array([1.0, -2.0, -0.0])
    np.testing.assert_array_equal(tt.angle(Variable(x, requires_grad=True), deg=True), np.angle(x, deg=True))
    np.testing.assert_array_equal(grad(lambda x: tt.sum(tt.angle(x) * x))(x), np.angle(x))  # d(angle x) = 0
    np.testing.assert_array_equal(tt.jit(lambda x: tt.angle(x) * x)(x), np.angle(x) * x)
