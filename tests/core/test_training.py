"""Training: the Trainer loop, history, validation, early stopping, progress output,
accuracy, and a network that learns the spirals."""

import numpy as np
import pytest

from tinytorch.core import progress
from tinytorch.core.activations import ReLU, Tanh
from tinytorch.core.data import DataLoader, TensorDataset, train_test_split
from tinytorch.core.datasets import make_moons, make_spirals
from tinytorch.core.layers import Dense, Dropout, Sequential
from tinytorch.core.losses import BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss
from tinytorch.core.optimizers import SGD, Adam
from tinytorch.core.schedules import StepLR
from tinytorch.core.training import Trainer, accuracy, fit


def spirals_loaders(seed=0):
    X, y = make_spirals(n_per_class=100, n_classes=3, noise=0.1, seed=seed)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_fraction=0.2, seed=seed)
    train = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True, seed=seed)
    return train, DataLoader(TensorDataset(X_val, y_val), batch_size=64)


def test_an_mlp_learns_the_spirals():
    """Spirals are not linearly separable (a linear model stays near 1/3 to 1/2); a small
    MLP must get at least 95% of the held-out points right."""
    train, val = spirals_loaders()
    model = Sequential(
        Dense(2, 64, init="he", rng=0), ReLU(), Dense(64, 64, init="he", rng=1), ReLU(), Dense(64, 3, rng=2)
    )
    history = fit(
        model, CrossEntropyLoss(), Adam(model.parameters(), lr=0.01), train, epochs=60, val=val, progress=False
    )
    assert history["val_accuracy"][-1] >= 0.95
    assert history["loss"][-1] < history["loss"][0] / 5


def test_history_has_one_entry_per_epoch_and_quantity():
    train, val = spirals_loaders()
    model = Sequential(Dense(2, 8, rng=0), Tanh(), Dense(8, 3, rng=1))
    optimizer = SGD(model.parameters(), lr=0.5)
    history = Trainer(model, CrossEntropyLoss(), optimizer, schedule=StepLR(optimizer, 2, 0.1), progress=False).fit(
        train, epochs=5, val=val
    )
    assert list(history) == ["loss", "accuracy", "val_loss", "val_accuracy", "lr"]
    assert all(len(values) == 5 for values in history.values())
    assert history["lr"] == pytest.approx([0.5, 0.5, 0.05, 0.05, 0.005])


def test_epoch_means_are_weighted_by_batch_size():
    """With lr = 0 nothing changes, so the epoch's mean loss is the loss over all the data."""
    X = np.random.default_rng(0).standard_normal((10, 2))
    y = np.random.default_rng(1).standard_normal((10, 1))
    model = Dense(2, 1, rng=0)
    history = fit(
        model,
        MSELoss(),
        SGD(model.parameters(), lr=0.0),
        DataLoader(TensorDataset(X, y), batch_size=4),
        epochs=1,
        metric=None,
        progress=False,
    )
    W, b = np.array(model.weights.data), np.array(model.bias.data)
    assert list(history) == ["loss", "lr"]
    assert history["loss"][0] == pytest.approx(np.mean((X @ W + b - y) ** 2), rel=1e-14)


def test_evaluate_leaves_the_model_in_training_mode_and_unchanged():
    train, val = spirals_loaders()
    model = Sequential(Dense(2, 8, rng=0), ReLU(), Dense(8, 3, rng=1))
    trainer = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), progress=False)
    before = model.state_dict()
    result = trainer.evaluate(val)
    assert set(result) == {"loss", "accuracy"} and model.training
    assert all(np.array_equal(v, before[k]) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


def test_early_stopping_stops_and_restores_the_best_parameters():
    """With a learning rate that diverges after the first epochs, the best epoch comes
    early; training stops `patience` epochs later and puts that epoch's weights back."""
    train, val = spirals_loaders()
    model = Sequential(Dense(2, 16, rng=0), ReLU(), Dense(16, 3, rng=1))
    optimizer = SGD(model.parameters(), lr=0.05)
    trainer = Trainer(model, CrossEntropyLoss(), optimizer, progress=False)
    snapshots = []
    original = trainer.train_epoch

    def train_epoch(batches):
        result = original(batches)
        snapshots.append(model.state_dict())
        optimizer.lr = 0.05 if len(snapshots) < 3 else 50.0
        return result

    trainer.train_epoch = train_epoch
    history = trainer.fit(train, epochs=50, val=val, patience=3)
    best = int(np.argmin(history["val_loss"]))
    assert len(history["val_loss"]) == best + 4 < 50
    assert trainer.best_epoch == best
    for name, value in model.state_dict().items():
        assert np.array_equal(value, snapshots[best][name])


def test_accuracy_cases():
    scores = np.array([[0.1, 2.0, -1.0], [3.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 2.0, 3.0]])
    assert accuracy(scores, np.array([1, 0, 2, 0])) == 0.75
    assert accuracy(scores, np.eye(3)[[1, 1, 2, 2]]) == 0.75
    logits = np.array([[2.0], [-1.0], [0.5], [-3.0]])
    assert accuracy(logits, np.array([[1.0], [0.0], [0.0], [0.0]])) == 0.75
    with pytest.raises(ValueError, match="do not match"):
        accuracy(scores, np.zeros((4, 2)))


def test_binary_classification_with_logits():
    X, y = make_moons(200, noise=0.1)
    model = Sequential(Dense(2, 16, init="he", rng=0), ReLU(), Dense(16, 1, rng=1))
    history = fit(
        model,
        BinaryCrossEntropyLoss(),
        SGD(model.parameters(), lr=0.5, momentum=0.9),
        DataLoader(TensorDataset(X, y[:, None].astype(float)), batch_size=20, shuffle=True, seed=0),
        epochs=40,
        progress=False,
    )
    assert history["accuracy"][-1] >= 0.97


def test_empty_data_is_an_error():
    model = Dense(2, 1)
    with pytest.raises(ValueError, match="no batches"):
        fit(model, MSELoss(), SGD(model.parameters(), lr=0.1), [], epochs=1, progress=False)


def test_plain_progress_lines_without_tqdm(monkeypatch, capsys):
    monkeypatch.setattr(progress, "tqdm", None)
    train, _ = spirals_loaders()
    model = Sequential(Dense(2, 8, rng=0), ReLU(), Dense(8, 3, rng=1))
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), train, epochs=20)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[2] for line in lines] == [f"{e}/20" for e in range(2, 21, 2)]
    assert all("loss" in line and "accuracy" in line for line in lines)


def test_tqdm_bar_when_available(capsys):
    pytest.importorskip("tqdm")
    train, _ = spirals_loaders()
    model = Sequential(Dense(2, 8, rng=0), ReLU(), Dense(8, 3, rng=1))
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), train, epochs=3)
    err = capsys.readouterr().err
    assert "3/3" in err and "accuracy" in err


def test_progress_can_be_silenced(capsys):
    train, _ = spirals_loaders()
    model = Dense(2, 3, rng=0)
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), train, epochs=2, progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def regression_loader():
    X = np.random.default_rng(0).standard_normal((20, 2))
    y = X @ np.array([[1.0], [-2.0]]) + 0.5
    return DataLoader(TensorDataset(X, y), batch_size=5)


def test_regression_reports_no_accuracy_by_default():
    model = Dense(2, 1, rng=0)
    history = fit(
        model,
        MSELoss(),
        SGD(model.parameters(), lr=0.05),
        regression_loader(),
        epochs=2,
        val=regression_loader(),
        progress=False,
    )
    assert list(history) == ["loss", "val_loss", "lr"]
    trainer = Trainer(model, MSELoss(), SGD(model.parameters(), lr=0.05), progress=False)
    assert trainer.metric is None and set(trainer.evaluate(regression_loader())) == {"loss"}


def test_classification_losses_report_accuracy_by_default_and_metrics_can_be_chosen():
    model = Dense(2, 3, rng=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    assert Trainer(model, CrossEntropyLoss(), optimizer).metric is accuracy
    assert Trainer(Dense(2, 1), BinaryCrossEntropyLoss(), optimizer).metric is accuracy
    assert Trainer(model, CrossEntropyLoss(), optimizer, metric=None).metric is None

    def mean_abs_error(out, y):
        return float(np.mean(np.abs(np.asarray(out.data) - y)))

    regression = Dense(2, 1, rng=0)
    history = fit(
        regression,
        MSELoss(),
        SGD(regression.parameters(), lr=0.0),
        regression_loader(),
        epochs=1,
        metric=mean_abs_error,
        progress=False,
    )
    X, y = regression_loader().dataset.arrays
    expected = np.mean(np.abs(X @ np.array(regression.weights.data) + np.array(regression.bias.data) - y))
    assert list(history) == ["loss", "mean_abs_error", "lr"]
    assert history["mean_abs_error"][0] == pytest.approx(expected, rel=1e-14)
    with pytest.raises(ValueError, match="metric must be a function"):
        Trainer(model, CrossEntropyLoss(), optimizer, metric="accuracy")


@pytest.mark.parametrize("mode", ["eval", "train", "mixed"])
def test_evaluate_restores_the_mode_each_module_was_in(mode):
    model = Sequential(Dense(2, 8, rng=0), Dropout(0.5, rng=0), Dense(8, 3, rng=1))
    if mode == "eval":
        model.eval()
    elif mode == "mixed":
        model[1].eval()  # dropout switched off by hand, the rest training
    before = [m.training for m in model.modules()]
    trainer = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), progress=False)
    seen = []
    original = model.forward
    model.forward = lambda x: seen.append([m.training for m in model.modules()]) or original(x)
    trainer.evaluate(spirals_loaders()[1])
    assert seen and all(not any(modes) for modes in seen)  # evaluated in eval mode
    assert [m.training for m in model.modules()] == before


def run_with_losses(losses, patience, min_delta=0.0):
    """Early stopping fed a given sequence of monitored losses; returns the epochs run and
    the best epoch, with the parameters of each epoch told apart by their bias."""
    model = Dense(1, 1, rng=0)
    trainer = Trainer(model, MSELoss(), SGD(model.parameters(), lr=0.1), progress=False)
    values = iter(losses)

    def train_epoch(batches):
        model.bias.data[...] = len(history_bias)  # epoch number, to check what is restored
        history_bias.append(len(history_bias))
        return {"loss": next(values)}

    history_bias = []
    trainer.train_epoch = train_epoch
    history = trainer.fit([], epochs=len(losses), patience=patience, min_delta=min_delta)
    return len(history["loss"]), trainer.best_epoch, float(np.array(model.bias.data)[0])


def test_early_stopping_counts_a_plateau_as_no_improvement():
    # epoch 1 is the best; 2 and 3 only equal it, so patience 2 runs out after epoch 3
    assert run_with_losses([1.0, 0.5, 0.5, 0.5, 0.25, 0.1], patience=2) == (4, 1, 1.0)


def test_early_stopping_improvement_must_exceed_min_delta():
    # 0.75 is exactly min_delta below 1.0: not more than it, so no improvement (all values binary-exact)
    assert run_with_losses([1.0, 0.75, 0.75, 0.5], patience=2, min_delta=0.25) == (3, 0, 0.0)
    # just beyond min_delta counts, and resets the wait
    assert run_with_losses([1.0, 0.7421875, 0.75, 0.75, 0.0], patience=2, min_delta=0.25) == (4, 1, 1.0)


def test_early_stopping_a_nan_loss_is_no_improvement():
    assert run_with_losses([1.0, float("nan"), float("nan"), 0.0], patience=2) == (3, 0, 0.0)
