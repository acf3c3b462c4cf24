"""Five models that score P(positive) with different calibration habits, for the calibration explorer.

Each turns a training set into a score in [0, 1] for other points. They rank similarly and are wrong about
probability in characteristic ways (Niculescu-Mizil & Caruana 2005):

* logistic regression (``core.logistic_regression``) maximises the likelihood of its probabilities, so it
  is close to calibrated when its linear log-odds model fits;
* a small neural network (``core.neural_net.MLPClassifier``) trained on cross-entropy: usually fair,
  over-confident once it fits the training set too well;
* Gaussian naive Bayes (scikit-learn) multiplies per-feature evidence as if the features were
  independent; correlated features count twice, which pushes scores to 0 and 1 (over-confident);
* a random forest (scikit-learn) averages the votes of trees, and an average of noisy votes is rarely
  all-or-nothing: scores shy away from 0 and 1 (under-confident at the extremes);
* an RBF SVM (scikit-learn) has no probabilities at all: its ``decision_function`` (a signed margin) is
  squashed by a plain sigmoid σ(f(x)). Not calibrated — that is the point: a margin of 1 becomes 0.73
  whatever the data say. Platt scaling fits σ(a·f + b) to repair exactly this.

Fits run on one thread (see ``baselines.sklearn_zoo``).
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from core.datasets_2d import subsample
from core.logistic_regression import LogisticRegression
from core.neural_net import MLPClassifier, sigmoid
from core.thresholds import check_binary_labels


def _logistic(*, random_state: int = 0):
    return LogisticRegression(C=1.0)


# scikit-learn's models are imported when first fitted: the server only needs this module's labels (the fits run in
# its worker process, server/workers.py), and importing scikit-learn there would cost it ~70 MB.
def _naive_bayes(*, random_state: int = 0):
    from sklearn.naive_bayes import GaussianNB

    return GaussianNB()


def _forest(*, random_state: int = 0):
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=100, max_depth=6, n_jobs=1, random_state=random_state)


def _svm(*, random_state: int = 0):
    from sklearn.svm import SVC

    return SVC(kernel="rbf", gamma="scale", C=1.0, random_state=random_state)


def _mlp(*, random_state: int = 0):
    return MLPClassifier((16, 8), "relu", solver="adam", learning_rate_init=0.01, batch_size=32, max_iter=60,
                         random_state=random_state)


#: name -> (label shown on pages, factory). A factory takes the keyword ``random_state`` and returns an
#: unfitted model with ``fit(X, y)``.
SCORERS = {
    "logistic": ("logistic regression", _logistic),
    "naive_bayes": ("Gaussian naive Bayes", _naive_bayes),
    "forest": ("random forest", _forest),
    "svm": ("SVM (RBF) + sigmoid", _svm),
    "mlp": ("neural network", _mlp),
}


#: The most training rows a model fits on: a larger training set gives it a stratified random share
#: (``core.datasets_2d.subsample``, seeded by ``random_state``). Fit times on one core for 10,000 rows, and
#: beyond: a kernel SVM 3.4 s (its cost grows with the square of the rows: 38 s for 25,000 overlapping
#: ones; 2,000 rows take 0.7 s with scoring 10,000), the network 2.3 s (60 epochs of batches of 32), a forest
#: 0.8 s (9 s for 50,000 rows of 10 features). Logistic regression and naive Bayes take all rows (0.1 s for
#: 50,000).
FIT_ROWS = {"svm": 2_000, "mlp": 5_000, "forest": 10_000}


def fit_rows(name: str, n_train: int) -> int:
    """How many of ``n_train`` training rows model ``name`` is fitted on (``FIT_ROWS``)."""
    return min(n_train, FIT_ROWS.get(name, n_train))


def fit_scores(name: str, X_train, y_train, X_score, random_state: int = 0) -> np.ndarray:
    """Fit model ``name`` on the training set and return its score P(y = 1) for each row of ``X_score``.

    Labels must be 0/1 (or −1/1, False/True) with both classes present; 1 is positive. The SVM's score is
    σ(decision_function), not a probability estimate (see the module docstring). A training set larger
    than ``FIT_ROWS[name]`` is subsampled to it, each class keeping its share.
    """
    if name not in SCORERS:
        raise ValueError(f"Unknown scorer {name!r}; choose from {', '.join(SCORERS)}.")
    X_train, X_score = (np.asarray(X, dtype=np.float64) for X in (X_train, X_score))
    y = check_binary_labels(y_train, name="y_train").astype(np.int64)
    if X_train.ndim != 2 or len(X_train) != len(y):
        raise ValueError(f"X_train must have shape (n, d) with one row per label, got {X_train.shape} for "
                         f"{len(y)} labels.")
    if X_score.ndim != 2 or X_score.shape[1] != X_train.shape[1]:
        raise ValueError(f"X_score must have {X_train.shape[1]} columns like X_train, got shape {X_score.shape}.")
    if not (np.isfinite(X_train).all() and np.isfinite(X_score).all()):
        raise ValueError("X_train and X_score must not contain NaN or infinite values.")
    rows = fit_rows(name, len(y))
    if rows < len(y):
        X_train, y = subsample(X_train, y, rows, random_state)
    model = SCORERS[name][1](random_state=random_state)
    with threadpool_limits(limits=1):
        model.fit(X_train, y)
        if name == "svm":
            return sigmoid(model.decision_function(X_score))
        return model.predict_proba(X_score)[:, 1].astype(np.float64)
