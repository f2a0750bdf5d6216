"""Training: `Trainer` (and the one-call `fit`) runs epochs of forward, backward
and optimizer steps, with a progress bar, validation, a history for plotting
and optional early stopping.

>>> import numpy as np
>>> from tinytorch.core import (Dense, ReLU, Sequential, CrossEntropyLoss, Adam,
...                             DataLoader, TensorDataset, make_moons, fit)
>>> X, y = make_moons(200, noise=0.1)
>>> model = Sequential(Dense(2, 16, rng=0), ReLU(), Dense(16, 2, rng=1))
>>> loader = DataLoader(TensorDataset(X, y), batch_size=20, shuffle=True, seed=0)
>>> history = fit(model, CrossEntropyLoss(), Adam(model.parameters(), lr=0.05), loader,
...               epochs=30, progress=False)
>>> history["accuracy"][-1] > 0.95
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, Literal

import numpy as np

from ..autograd import Variable, no_grad
from .losses import BinaryCrossEntropyLoss, CrossEntropyLoss
from .module import Module
from .optimizers import Optimizer
from .progress import ProgressBar
from .schedules import LRSchedule

Batches = Iterable[tuple[Any, Any]]


def accuracy(outputs: Any, targets: Any) -> float:
    """Fraction of correct predictions.

    Class scores (n, classes) against integer labels (n,) or one-hot rows: the
    highest score is the prediction. Binary logits against 0/1 targets of the
    same shape: a positive logit predicts 1.
    """
    out = outputs.data if isinstance(outputs, Variable) else np.asarray(outputs)
    target = np.asarray(targets)
    if out.ndim == target.ndim + 1:
        return float(np.mean(out.argmax(axis=-1) == target))
    if out.shape != target.shape:
        raise ValueError(f"accuracy: outputs of shape {out.shape} do not match targets of shape {target.shape}")
    if out.ndim >= 2 and out.shape[-1] > 1:
        return float(np.mean(out.argmax(axis=-1) == target.argmax(axis=-1)))
    return float(np.mean((out > 0) == (target > 0.5)))


def default_metric(loss_fn: Any) -> Callable[[Any, Any], float] | None:
    """accuracy for the classification losses, none for anything else (the accuracy of a
    regression would compare the signs of predictions and targets, which means nothing)."""
    return accuracy if isinstance(loss_fn, (CrossEntropyLoss, BinaryCrossEntropyLoss)) else None


class Trainer:
    """Trains `model` on `loss_fn` with `optimizer`; `metric(outputs, targets)` is reported
    next to the loss under its function's name: by default ("auto") accuracy for
    CrossEntropyLoss and BinaryCrossEntropyLoss and no metric otherwise, None for none.
    `schedule` steps once per epoch."""

    def __init__(
        self,
        model: Module,
        loss_fn: Callable[[Any, Any], Any],
        optimizer: Optimizer,
        metric: Callable[[Any, Any], float] | Literal["auto"] | None = "auto",
        schedule: LRSchedule | None = None,
        progress: bool = True,
    ) -> None:
        if isinstance(metric, str):
            if metric != "auto":
                raise ValueError(f'metric must be a function, None or "auto", got {metric!r}')
            metric = default_metric(loss_fn)
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.metric, self.schedule, self.progress = metric, schedule, progress
        self.best_epoch: int | None = None

    def _run(self, batches: Batches, train: bool) -> dict[str, float]:
        model, loss_fn, optimizer, metric = self.model, self.loss_fn, self.optimizer, self.metric
        total_loss = total_metric = 0.0
        count = 0
        for x, y in batches:
            out = model(x)
            loss = loss_fn(out, y)
            if train:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            n = len(y)
            total_loss += loss.item() * n
            if metric is not None:
                total_metric += metric(out, y) * n
            count += n
        if count == 0:
            raise ValueError("no batches to run: the data is empty")
        result = {"loss": total_loss / count}
        if metric is not None:
            result[metric.__name__] = total_metric / count
        return result

    def train_epoch(self, batches: Batches) -> dict[str, float]:
        """One pass over `batches` with parameter updates; mean loss and metric."""
        self.model.train()
        return self._run(batches, train=True)

    def evaluate(self, batches: Batches) -> dict[str, float]:
        """Mean loss and metric over `batches`, in eval mode, without recording graphs;
        afterwards every submodule is back in the mode it was in."""
        modes = [(m, m.training) for m in self.model.modules()]
        self.model.eval()
        try:
            with no_grad():
                return self._run(batches, train=False)
        finally:
            for m, training in modes:
                m.training = training

    def fit(
        self,
        train: Batches,
        epochs: int,
        val: Batches | None = None,
        patience: int | None = None,
        min_delta: float = 0.0,
        restore_best: bool = True,
    ) -> dict[str, list[float]]:
        """Train for `epochs` epochs; returns the history, one list per quantity and epoch
        (loss, metric, then val_loss, val_metric when `val` is given, and lr).

        With `patience`, stop once the monitored loss (val_loss if `val` is given, else
        loss) has not improved for `patience` epochs in a row, and with `restore_best`
        put back the parameters of the best epoch. An epoch improves when its loss is
        below the best so far by more than `min_delta` (loss < best - min_delta): an
        equal loss, a plateau, is no improvement (PyTorch's ReduceLROnPlateau and
        Keras's EarlyStopping count it the same way).
        """
        history: dict[str, list[float]] = {}
        best, best_state, waited = math.inf, None, 0
        bar = ProgressBar(epochs, enabled=self.progress)
        try:
            for epoch in range(epochs):
                lr = self.optimizer.lr
                results = self.train_epoch(train)
                if val is not None:
                    results.update({f"val_{k}": v for k, v in self.evaluate(val).items()})
                results["lr"] = lr
                for name, value in results.items():
                    history.setdefault(name, []).append(value)
                bar.update({k: v for k, v in results.items() if k != "lr"})
                if self.schedule is not None:
                    self.schedule.step()
                if patience is None:
                    continue
                monitored = results["val_loss" if val is not None else "loss"]
                if monitored < best - min_delta:
                    best, waited, self.best_epoch = monitored, 0, epoch
                    best_state = self.model.state_dict() if restore_best else None
                else:
                    waited += 1
                    if waited >= patience:
                        break
        finally:
            bar.close()
        if best_state is not None:
            self.model.load_state_dict(best_state)
        return history


def fit(
    model: Module,
    loss_fn: Callable[[Any, Any], Any],
    optimizer: Optimizer,
    train: Batches,
    epochs: int,
    val: Batches | None = None,
    **options: Any,
) -> dict[str, list[float]]:
    """`Trainer(model, loss_fn, optimizer, ...).fit(train, epochs, val, ...)` in one call.

    `options` go to the Trainer (metric, schedule, progress) or to `fit` (patience,
    min_delta, restore_best)."""
    trainer_options = {k: options.pop(k) for k in ("metric", "schedule", "progress") if k in options}
    return Trainer(model, loss_fn, optimizer, **trainer_options).fit(train, epochs, val, **options)
