"""The one input normalizer, `box_or_array`, as each kind of caller sees it: the
NumPy-like functions keep NumPy's own values (subclasses, NumPy scalars, object
arrays) as NumPy would; layers get plain ndarrays; transforms also refuse what
NumPy can hold only as objects."""

from fractions import Fraction

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import Variable, grad, jvp
from tinytorch.autograd.values import as_value, box_or_array
from tinytorch.core import Dropout, Tensor


class Subclass(np.ndarray):
    pass


def test_boxes_and_plain_ndarrays_are_returned_as_they_are():
    v, a = Variable(np.ones(2)), np.ones(2)
    for plain in (False, True):
        assert box_or_array(v, plain=plain) is v and box_or_array(a, plain=plain) is a


def test_numpy_like_functions_keep_numpy_scalars_and_subclasses():
    scalar, sub = np.float64(2.0), np.ones((1, 2)).view(Subclass)
    assert tt.reshape(scalar, ()) is scalar
    assert tt.reshape(sub, (1, 2)) is sub
    assert box_or_array([1.0, None]).dtype == object  # as np.asarray: NumPy decides


def test_layers_get_plain_ndarrays():
    dropout = Dropout(0.5).eval()
    sub = np.ones((1, 2)).view(Subclass)
    out = dropout(sub)
    assert type(out) is np.ndarray and np.shares_memory(out, sub)
    assert type(dropout(np.float64(2.0))) is np.ndarray
    assert type(dropout(Tensor([1.0, 2.0]))) is np.ndarray
    assert box_or_array([1.0, None], plain=True).dtype == object


def test_transforms_refuse_data_numpy_holds_only_as_objects():
    with pytest.raises(TypeError, match="cannot hold Fraction data as an array"):
        grad(tt.sin)(Fraction(1, 2))
    with pytest.raises(TypeError, match="cannot hold Fraction data as an array"):
        jvp(tt.sin, (0.5,), (Fraction(1, 2),))
    assert as_value(np.array([1.0], dtype=object)).dtype == object  # an array is taken as it is
