"""The examples of the TinyTorch autograd page, verbatim, with their stated values."""

import math

import numpy as np

from tinytorch.autograd import Variable


def test_polynomial_gradients_are_16_and_37():
    x = Variable(5.0, requires_grad=True)
    y = Variable(3.0, requires_grad=True)
    z = x**2 + 2 * x * y + y**3
    assert z.data == 82.0
    z.backward()
    assert x.grad == 16.0  # 2x + 2y
    assert y.grad == 37.0  # 2x + 3y^2


def test_square_gradient_is_6():
    x = Variable(3.0, requires_grad=True)
    y = x**2
    y.backward()
    assert x.grad == 6.0


def test_difference_of_squares_gives_4_and_minus_6():
    x = Variable(2.0, requires_grad=True)
    y = Variable(3.0, requires_grad=True)
    z = (x + y) * (x - y)
    z.backward()
    assert x.grad == 4.0
    assert y.grad == -6.0


def test_log_of_exp_has_gradient_1():
    x = Variable(1.0, requires_grad=True)
    y = x.exp().log()
    y.backward()
    assert math.isclose(float(x.grad), 1.0, rel_tol=1e-15)


def complex_function(x, y):
    a = x * y  # Multiplication node
    b = x + y  # Addition node
    c = a / b  # Division node
    return c.sin()  # Trigonometric node


def test_complex_function_against_closed_form():
    x = Variable(2.0, requires_grad=True)
    y = Variable(3.0, requires_grad=True)
    result = complex_function(x, y)
    result.backward()
    # c = xy/(x+y): dc/dx = y^2/(x+y)^2, dc/dy = x^2/(x+y)^2, and d sin(c) = cos(c) dc
    c = 2.0 * 3.0 / 5.0
    assert np.isclose(x.grad, math.cos(c) * 9.0 / 25.0, rtol=1e-14)
    assert np.isclose(y.grad, math.cos(c) * 4.0 / 25.0, rtol=1e-14)
    assert isinstance(x.grad, np.ndarray)
