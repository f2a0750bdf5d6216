"""Trainer(compile=True) and fit(..., compile=True): the same training as eager execution."""

import numpy as np
import pytest

from tinytorch.core import (
    SGD,
    Adam,
    CrossEntropyLoss,
    DataLoader,
    Dense,
    Dropout,
    MSELoss,
    ReLU,
    Sequential,
    Tanh,
    TensorDataset,
    Trainer,
    fit,
    load_digits,
    manual_seed,
)


def digits_run(compile: bool):  # noqa: A002
    manual_seed(0)
    X, y = load_digits()
    X, y = X[:400], y[:400]
    model = Sequential(Dense(64, 32), ReLU(), Dense(32, 10))
    train = DataLoader(TensorDataset(X[:300], y[:300]), batch_size=25, shuffle=True, seed=0)
    val = DataLoader(TensorDataset(X[300:], y[300:]), batch_size=50)
    history = fit(model, CrossEntropyLoss(), Adam(model.parameters(), lr=0.01), train, epochs=3, val=val,
                  progress=False, compile=compile)  # fmt: skip
    return model, history


def test_compiled_training_gives_eager_training_parameters_and_history():
    eager_model, eager_history = digits_run(compile=False)
    staged_model, staged_history = digits_run(compile=True)  # integer labels: the model is compiled
    for a, b in zip(eager_model.parameters(), staged_model.parameters()):
        np.testing.assert_allclose(b.data, a.data, rtol=1e-12, atol=1e-12)
    assert staged_history.keys() == eager_history.keys()
    for key in eager_history:
        np.testing.assert_allclose(staged_history[key], eager_history[key], rtol=1e-12, atol=1e-12)
    assert staged_history["val_accuracy"][-1] > 0.8


def test_compiled_trainer_regression_with_sgd_momentum():
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((64, 3)), rng.standard_normal((64, 2))
    runs = []
    for compile in (False, True):  # noqa: A001
        manual_seed(3)
        model = Sequential(Dense(3, 8), Tanh(), Dense(8, 2))
        trainer = Trainer(model, MSELoss(), SGD(model.parameters(), lr=0.1, momentum=0.9), progress=False,
                          compile=compile)  # fmt: skip
        for _ in range(5):
            trainer.train_epoch(DataLoader(TensorDataset(X, Y), batch_size=16))
        runs.append([p.data.copy() for p in model.parameters()])
        if compile:  # float targets, no metric: the loss is compiled, one trace for the 20 steps
            assert trainer._loss.cache_info()[:2] == (19, 1) and trainer._model.cache_info()[:2] == (0, 0)
    for a, b in zip(*runs):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_compiled_training_refuses_dropout_in_training_mode():
    model = Sequential(Dense(4, 8), ReLU(), Dropout(0.5), Dense(8, 2))
    rng = np.random.default_rng(0)
    data = DataLoader(TensorDataset(rng.standard_normal((8, 4)), rng.integers(0, 2, 8)), batch_size=4)
    trainer = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), progress=False, compile=True)
    with pytest.raises(NotImplementedError, match="draws random numbers"):
        trainer.train_epoch(data)
