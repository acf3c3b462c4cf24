"""Train a classifier while recording what a page needs to replay the training as an animation.

Every epoch costs one pass of mini-batch updates plus one forward pass over the training data and one over
the test data: each gives that data's loss and accuracy (and the training loss is the divergence check).
Snapshots — the class probabilities on a grid, each hidden unit on a coarser grid, the weights and the
confusion matrix — are taken at up to ``n_frames`` epochs spread evenly over the run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from core.metrics import confusion_matrix
from core.neural_net import MLPClassifier, _check_test_xy, _check_xy, log_loss, squared_error
from core.validation import MAX_ABS, check_array, check_int, check_labels

#: A run stops, and is reported as diverged, once a weight grows past this or the loss stops being finite.
#: (Cross-entropy is clipped and squared error is bounded, so exploding weights are the sign to watch.)
DIVERGED_WEIGHT = 1e6
#: About how many times ``record_training`` calls its ``callback`` in a run.
CALLBACKS = 50


@dataclass
class TrainingRun:
    """A recorded training run. ``F`` snapshots, ``E`` epochs, ``K`` classes, ``U`` hidden units in all.

    epochs : (F,) the epoch of each snapshot (0 = the initial weights).
    proba : (F, n_grid, K) float32 class probabilities at the grid points.
    hidden : (F, n_hidden_grid, U) float32 output of every hidden unit, layer after layer.
    params : (F, P) float32 the flat weight vector θ.
    confusion : (F, K, K) int counts on the test data (the training data when there is no test set).
    train_loss, test_loss, train_accuracy, test_accuracy : (E' + 1,) after each epoch (index 0 = before
        training); test values are NaN without test data. E' < E when the run diverged.
    diverged_at : the epoch whose weights passed :data:`DIVERGED_WEIGHT` or whose loss was not finite, else None.
    reason : why it diverged, in words (None otherwise).
    model : the trained network, ready to keep training with ``partial_fit``.
    seconds : wall time of the whole recording.
    """

    epochs: np.ndarray
    proba: np.ndarray
    hidden: np.ndarray
    params: np.ndarray
    confusion: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    diverged_at: int | None
    reason: str | None
    model: MLPClassifier
    seconds: float

    @property
    def n_frames(self) -> int:
        return len(self.epochs)

    def last(self, frames: int = 1) -> TrainingRun:
        """The run with only its last ``frames`` snapshots; curves, model and the rest unchanged.

        What a page keeps once the snapshots are drawn into an animation: they are most of a run's memory
        (``proba`` and ``hidden`` are 1–8 MB for 100 frames), the curves a few KB.
        """
        frames = check_int("frames", frames, low=1)
        return replace(self, **{key: getattr(self, key)[-frames:].copy()  # a copy: a view would keep them all
                                for key in ("epochs", "proba", "hidden", "params", "confusion")})


def continued(run: TrainingRun, more: TrainingRun, keep_frames: int = 1) -> TrainingRun:
    """``run`` followed by ``more`` (a warm-started continuation): curves joined end to end, and only the last
    ``keep_frames`` snapshots kept (a run that goes on for ever must not grow for ever)."""
    if not (isinstance(run, TrainingRun) and isinstance(more, TrainingRun)):
        raise ValueError(f"run and more must be TrainingRuns (from record_training), got {type(run).__name__} and "
                         f"{type(more).__name__}.")
    keep_frames = check_int("keep_frames", keep_frames, low=1)
    curves = {key: np.concatenate([getattr(run, key), getattr(more, key)[1:]])
              for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy")}
    shots = {key: np.concatenate([getattr(run, key), getattr(more, key)[1:]])[-keep_frames:]
             for key in ("epochs", "proba", "hidden", "params", "confusion")}
    return TrainingRun(**shots, **curves, diverged_at=more.diverged_at, reason=more.reason, model=more.model,
                       seconds=run.seconds + more.seconds)


def snapshot_epochs(epochs: int, n_frames: int) -> np.ndarray:
    """Up to ``n_frames`` epochs spread evenly over 0 … epochs, both ends included."""
    epochs = check_int("epochs", epochs, low=0, high=100_000)
    n_frames = check_int("n_frames", n_frames, low=1, high=100_000)
    return np.unique(np.linspace(0, epochs, min(n_frames, epochs + 1)).round().astype(int))


def data_loss(model: MLPClassifier, X, y) -> float:
    """The mean loss the model is trained on, without the penalty (NaN for no data)."""
    X, y = _check_data(model, X, y)
    if len(X) == 0:
        return float("nan")
    model.checked_forward(X)  # a finite table of the right width, outputs that do not overflow
    return _data_loss(model, X, y)


def accuracy(model: MLPClassifier, X, y) -> float:
    """The share of rows the model classifies right (NaN for no data)."""
    X, y = _check_data(model, X, y)
    return model.score(X, y) if len(X) else float("nan")


def _check_data(model, X, y) -> tuple[np.ndarray, np.ndarray]:
    if not (isinstance(model, MLPClassifier) and hasattr(model, "theta_")):
        raise ValueError(f"model must be a trained MLPClassifier, got {type(model).__name__}.")
    X = check_array("X", X, finite=False)
    if X.ndim != 2:
        raise ValueError(f"X must be a table of shape (n_samples, n_features), got shape {X.shape}.")
    y = check_labels("y", y, len(X))
    if not np.all(np.isin(y, model.classes_)):
        raise ValueError("y holds labels the model was not trained on.")
    return X, y


def _data_loss(model: MLPClassifier, X, y) -> float:
    """:func:`data_loss` without the checks: inf or NaN once the weights overflow (see :func:`_divergence`)."""
    if len(X) == 0:
        return float("nan")
    return _loss(model, model.forward(X)[1][-1], y)


def record_training(model: MLPClassifier, X_train, y_train, X_test, y_test, grid, hidden_grid, *,
                    epochs: int, n_frames: int = 100, warm_start: bool = False,
                    callback: Callable[[int, int], object] | None = None) -> TrainingRun:
    """Train ``model`` for ``epochs`` epochs, recording snapshots (see :class:`TrainingRun`).

    ``grid`` and ``hidden_grid`` are feature rows at which to evaluate the network, like ``X``. From fresh
    weights, unless ``warm_start`` and the model is already trained: then training goes on from its current
    weights and optimizer state (its schedule holds its last rate), and epochs count on from ``n_iter_``.
    ``callback(done, epochs)``, if given, is called about ``CALLBACKS`` times in all (every few epochs, and
    after the last); an exception it raises stops the training there.
    """
    epochs = check_int("epochs", epochs, low=1, high=100_000)
    n_frames = check_int("n_frames", n_frames, low=2, high=1_000)
    if not isinstance(model, MLPClassifier):
        raise ValueError(f"model must be an MLPClassifier, got {type(model).__name__}.")
    start = time.perf_counter()
    X_train, y_train = _check_xy(X_train, y_train, "X_train", "y_train")
    d = X_train.shape[1]
    X_test, y_test = _check_test_xy(X_test, y_test, d)
    grid, hidden_grid = _check_grid("grid", grid, d), _check_grid("hidden_grid", hidden_grid, d)
    if warm_start and hasattr(model, "theta_") and model.layer_units_[0] != d:
        raise ValueError(f"The network takes {model.layer_units_[0]} features, X_train has {d}.")
    if not (warm_start and hasattr(model, "theta_")):
        model.max_iter = epochs
        model.check_params()
        model.initialize(X_train.shape[1], np.unique(y_train))
    if not np.all(np.isin(np.concatenate([y_train, y_test]) if len(y_test) else y_train, model.classes_)):
        raise ValueError("y_train and y_test hold labels the network was not set up for; train it afresh "
                         "(warm_start=False) or keep to its classes.")
    first = model.n_iter_
    recorder = _Recorder(model, grid, hidden_grid, *((X_test, y_test) if len(X_test) else (X_train, y_train)))
    wanted = set((first + snapshot_epochs(epochs, n_frames)).tolist())
    diverged_at, reason, good = None, None, model.theta_.copy()
    every = max(1, epochs // CALLBACKS)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is detected and reported, not warned about
        for epoch in range(first, first + epochs + 1):
            if epoch > first:
                good = model.theta_.copy()
                model.epoch(X_train, y_train)
            train = _Evaluation(model, X_train, y_train)  # one forward pass: the check and the curves
            reason = _divergence(model, train.loss)
            if reason is not None:
                diverged_at = epoch
                # Step back to the last good weights, so the animation ends on how far the run got.
                model.theta_ = good
                model.bind(good)
                if epoch > first:
                    recorder.snapshot(epoch - 1, final=True)
                break
            recorder.curves(train, _Evaluation(model, X_test, y_test))
            if epoch in wanted:
                recorder.snapshot(epoch)
            done = epoch - first
            if callback is not None and done and (done % every == 0 or done == epochs):
                callback(done, epochs)
    if not recorder.shots["epochs"]:
        raise ValueError(f"The starting weights already fail ({reason}): scale the features down.")
    return TrainingRun(**recorder.arrays(), diverged_at=diverged_at, reason=reason, model=model,
                       seconds=time.perf_counter() - start)


def _check_grid(name: str, grid, n_features: int) -> np.ndarray:
    grid = check_array(name, grid, ndim=2, max_abs=MAX_ABS)
    if grid.shape[1] != n_features:
        raise ValueError(f"{name} must have the {n_features} feature columns of X_train, got shape {grid.shape}.")
    return grid


class _Recorder:
    """Collects the per-epoch curves and the per-snapshot arrays of one run."""

    def __init__(self, model, grid, hidden_grid, eval_X, eval_y):
        self.model, self.grid, self.hidden_grid, self.eval_X, self.eval_y = model, grid, hidden_grid, eval_X, eval_y
        self.curve = {key: [] for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy")}
        self.shots = {key: [] for key in ("epochs", "proba", "hidden", "params", "confusion")}

    def curves(self, train: _Evaluation, test: _Evaluation) -> None:
        self.curve["train_loss"].append(train.loss)
        self.curve["test_loss"].append(test.loss)
        self.curve["train_accuracy"].append(train.accuracy())
        self.curve["test_accuracy"].append(test.accuracy())

    def snapshot(self, epoch: int, final: bool = False) -> None:
        if (final and self.shots["epochs"] and self.shots["epochs"][-1] == epoch):
            return
        model = self.model
        hidden = model.hidden_activations(self.hidden_grid)
        classes = model.classes_
        self.shots["epochs"].append(epoch)
        self.shots["proba"].append(model.predict_proba(self.grid).astype(np.float32))
        self.shots["hidden"].append(
            (np.hstack(hidden) if hidden else np.empty((len(self.hidden_grid), 0))).astype(np.float32))
        self.shots["params"].append(model.theta_.astype(np.float32))
        self.shots["confusion"].append(confusion_matrix(
            np.searchsorted(classes, self.eval_y), np.searchsorted(classes, model.predict(self.eval_X)), len(classes)))

    def arrays(self) -> dict:
        return {**{key: np.asarray(values) if key == "epochs" else np.stack(values) for key, values in self.shots.items()},
                **{key: np.asarray(values, dtype=float) for key, values in self.curve.items()}}


class _Evaluation:
    """The current weights on one data set, from a single forward pass: the mean loss (as :func:`_data_loss`)
    and, on demand, the accuracy (as ``model.score``, which refuses outputs that overflowed)."""

    def __init__(self, model: MLPClassifier, X, y):
        self.model, self.y = model, y
        self.activations = model.forward(X)[1] if len(X) else None
        self.loss = float("nan") if self.activations is None else _loss(model, self.activations[-1], y)

    def accuracy(self) -> float:
        if self.activations is None:
            return float("nan")
        if not all(np.all(np.isfinite(a)) for a in self.activations):
            self.model.checked_forward(self.activations[0])  # raises score's error: the outputs overflow
        proba = self.model.as_proba(self.activations[-1])  # as predict_proba, then predict
        return float(np.mean(self.model.classes_[np.argmax(proba, axis=1)] == self.y))


def _loss(model: MLPClassifier, p, y) -> float:
    Y = model.targets(y)
    return log_loss(p, Y) if model.loss == "log_loss" else squared_error(p, Y)


def _divergence(model: MLPClassifier, train_loss: float) -> str | None:
    """Why the current weights count as diverged (their training loss given), or None."""
    biggest = np.max(np.abs(model.theta_))
    if not np.isfinite(biggest):
        return "the weights overflowed to infinity"
    if biggest > DIVERGED_WEIGHT:
        return f"a weight grew to {biggest:.2g}, past {DIVERGED_WEIGHT:.0e}"
    if not np.isfinite(train_loss):
        return "the training loss is no longer a finite number"
    return None
