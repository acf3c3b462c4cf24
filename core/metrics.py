"""Classification metrics, named and shaped as in ``sklearn.metrics``."""

from __future__ import annotations

import numpy as np

from core.validation import check_int, check_labels

#: Most classes a confusion matrix may have (its K² cells are allocated).
MAX_CLASSES = 1000


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """C[i, j] = how many examples of true class i were predicted as class j (labels 0 … n_classes − 1)."""
    n_classes = check_int("n_classes", n_classes, low=1, high=MAX_CLASSES)
    y_true, y_pred = _class_indices("y_true", y_true, n_classes), _class_indices("y_pred", y_pred, n_classes)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred must have the same length, got {len(y_true)} and {len(y_pred)}.")
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def accuracy_score(y_true, y_pred) -> float:
    """The share of predictions that are right (NaN for no examples)."""
    y_true = check_labels("y_true", y_true)
    y_pred = check_labels("y_pred", y_pred, len(y_true))
    return float(np.mean(y_true == y_pred)) if len(y_true) else float("nan")


def _class_indices(name: str, labels, n_classes: int) -> np.ndarray:
    """Labels as ints in 0 … n_classes − 1, or raise saying which label is not one."""
    y = check_labels(name, labels)
    if y.dtype.kind == "O" and y.size and not isinstance(y[0], str):  # numbers held as objects (all of them are)
        y = y.astype(float)
    if y.dtype.kind in "iubf":
        bad = (y < 0) | (y >= n_classes) | (y != np.floor(y) if y.dtype.kind == "f" else False)
    else:  # text (or other objects): never a class index
        bad = np.ones(y.shape, dtype=bool)
    if bad.any():
        raise ValueError(f"{name} must hold class indices 0 … {n_classes - 1}, got {np.asarray(y[bad][0]).item()!r}.")
    return y.astype(np.int64)
