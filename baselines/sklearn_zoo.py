"""The same data under six scikit-learn classifiers: accuracy, fit time and class probabilities on a grid.

A page fits its own NumPy model, then ``compare`` fits these references on the same split so a learner can
see which decision boundaries other model families draw, and how long they take.

Every model returns class probabilities for the decision map. The RBF SVM is the exception: its
``predict_proba`` needs ``probability=True`` (deprecated since scikit-learn 1.9 for
``CalibratedClassifierCV``), which adds an internal 5-fold cross-validation (five extra fits) and,
on the 4-point AND gate, gives the one positive point a 2 % chance of being positive. So its map shows
a *display score* instead: a sigmoid (binary) or softmax (multiclass) of ``decision_function``. The
score is not calibrated, but its argmax is the model's prediction and it fades towards ½ near the
boundary, which is all the map needs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

#: Neighbours used by kNN when there are enough training points.
KNN_NEIGHBORS = 15


def _knn(*, random_state: int = 0, n_train: int | None = None):
    # kNN is deterministic; k cannot exceed the number of training points (4 for a logic gate).
    return KNeighborsClassifier(n_neighbors=min(KNN_NEIGHBORS, n_train or KNN_NEIGHBORS))


def _svm_rbf(*, random_state: int = 0, n_train: int | None = None):
    return SVC(kernel="rbf", gamma="scale", C=1.0, random_state=random_state)


def _tree(*, random_state: int = 0, n_train: int | None = None):
    return DecisionTreeClassifier(max_depth=6, random_state=random_state)


def _forest(*, random_state: int = 0, n_train: int | None = None):
    return RandomForestClassifier(n_estimators=100, max_depth=6, n_jobs=1, random_state=random_state)


def _boosting(*, random_state: int = 0, n_train: int | None = None):
    # Histogram boosting fits 250 points 2-3× faster than GradientBoostingClassifier with the same 100 trees
    # of depth 3 (one thread: 32 vs 72 ms for 2 classes, 113 vs 323 ms for 5). Its default leaf size of 20
    # would leave 4-point gate data unsplit (a constant map), so leaves may shrink to a tenth of the data.
    min_leaf = max(1, min(20, (n_train or 200) // 10))
    return HistGradientBoostingClassifier(max_iter=100, max_depth=3, min_samples_leaf=min_leaf,
                                          early_stopping=False, random_state=random_state)


def _naive_bayes(*, random_state: int = 0, n_train: int | None = None):
    return GaussianNB()


#: name -> (label shown on pages, factory). A factory takes keyword arguments ``random_state`` and
#: ``n_train`` (the training-set size, which bounds kNN's k and boosting's leaf size) and returns an
#: unfitted estimator.
MODELS = {
    "knn": ("k-nearest neighbours", _knn),
    "svm_rbf": ("SVM (RBF kernel)", _svm_rbf),
    "tree": ("decision tree", _tree),
    "forest": ("random forest", _forest),
    "boosting": ("gradient boosting", _boosting),
    "naive_bayes": ("Gaussian naive Bayes", _naive_bayes),
}


@dataclass(frozen=True, eq=False)
class BaselineResult:
    """One fitted reference model.

    ``proba`` has shape (n_grid, n_classes), float32, column k for class k (rows sum to 1). ``fit_seconds``
    times ``fit`` alone, not prediction. ``test_accuracy`` is None when there is no test set.
    """

    name: str
    label: str
    train_accuracy: float
    test_accuracy: float | None
    fit_seconds: float
    proba: np.ndarray


def compare(X_train, y_train, X_test, y_test, grid_points, n_classes: int, names=None,
            random_state: int = 0) -> list[BaselineResult]:
    """Fit each model in ``names`` (default: all of ``MODELS``, in order) on the training set.

    Labels must be the integers 0..n_classes−1, each present in the training set: a model that never saw
    a class cannot draw it, and its columns would silently disappear from the map. ``X_test`` may be None
    or empty.
    """
    names = list(MODELS) if names is None else list(names)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise ValueError(f"Unknown baseline(s) {unknown}; choose from {list(MODELS)}.")
    X_train, y_train = _check_split(X_train, y_train, n_classes, "training")
    _check_all_classes_present(y_train, n_classes)
    has_test = X_test is not None and len(X_test) > 0
    if has_test:
        X_test, y_test = _check_split(X_test, y_test, n_classes, "test")
    grid_points = np.asarray(grid_points, dtype=np.float64).reshape(-1, X_train.shape[1])
    # One thread each: on a few hundred points, OpenMP start-up and hand-offs cost more than they save, and
    # when other processes keep the cores busy, boosting's spinning threads slowed a 25 ms fit to 0.9 s.
    with threadpool_limits(limits=1):
        return [_fit_one(name, X_train, y_train, X_test if has_test else None, y_test, grid_points, n_classes,
                         random_state) for name in names]


def _fit_one(name, X_train, y_train, X_test, y_test, grid_points, n_classes, random_state) -> BaselineResult:
    label, factory = MODELS[name]
    model = factory(random_state=random_state, n_train=len(X_train))
    start = time.perf_counter()
    model.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    test_accuracy = None if X_test is None else _accuracy(model, X_test, y_test)
    return BaselineResult(name=name, label=label, train_accuracy=_accuracy(model, X_train, y_train),
                          test_accuracy=test_accuracy, fit_seconds=fit_seconds,
                          proba=class_probabilities(model, grid_points, n_classes))


def class_probabilities(model, X, n_classes: int) -> np.ndarray:
    """(n, n_classes) float32 probabilities of a fitted classifier, column k for label k.

    Columns follow ``model.classes_``, which holds only the labels the model saw; they are scattered into
    place so column k always means class k. Models without ``predict_proba`` give a display score (see the
    module docstring).
    """
    if hasattr(model, "predict_proba"):
        scores = model.predict_proba(X)
    else:
        scores = _score_from_decision(model.decision_function(X))
    proba = np.zeros((len(X), n_classes))
    proba[:, np.asarray(model.classes_, dtype=int)] = scores
    return proba.astype(np.float32)


def _score_from_decision(decision: np.ndarray) -> np.ndarray:
    """Sigmoid of a binary decision value, softmax of per-class ones: argmax kept, ½ at the boundary."""
    if decision.ndim == 1:
        p1 = 0.5 * (1.0 + np.tanh(decision / 2))  # the sigmoid, without overflow
        return np.column_stack([1.0 - p1, p1])
    shifted = np.exp(decision - decision.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _accuracy(model, X, y) -> float:
    return float(np.mean(model.predict(X) == y))


def _check_split(X, y, n_classes: int, which: str):
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if X.ndim != 2 or len(X) != len(y) or y.ndim != 1:
        raise ValueError(f"The {which} set needs X of shape (n, d) and y of shape (n,), got {X.shape} and "
                         f"{y.shape}.")
    if not np.isfinite(X).all():
        raise ValueError(f"The {which} set holds NaN or infinite coordinates.")
    if len(y) and (not np.all(np.mod(y, 1) == 0) or y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{which.capitalize()} labels must be integers 0..{n_classes - 1}, "
                         f"got {sorted(set(y.tolist()))}.")
    return X, y.astype(int)


def _check_all_classes_present(y_train: np.ndarray, n_classes: int) -> None:
    if n_classes < 2:
        raise ValueError(f"Classification needs at least 2 classes, got n_classes={n_classes}.")
    missing = sorted(set(range(n_classes)) - set(y_train.tolist()))
    if missing:
        raise ValueError(f"Class(es) {missing} have no training points; every class 0..{n_classes - 1} "
                         "needs at least one, or the models cannot predict it.")
