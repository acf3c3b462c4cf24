"""Logistic (softmax) regression: a network with no hidden layer, fitted by accelerated gradient descent.

scikit-learn's ``LogisticRegression`` minimises :math:`C\\sum_i \\ell_i + \\tfrac12\\lVert W\\rVert^2`; dividing by
:math:`Cn` gives the same minimiser as the app's training objective,

.. math:: J(W, b) = \\frac1n \\sum_i \\ell(p_i, y_i) + \\frac{1}{2Cn}\\lVert W\\rVert^2,

so this is :class:`core.neural_net.MLPClassifier` with ``hidden_layer_sizes=()``, an L2 penalty of rate
``α = 1/(Cn)`` and full-batch steps. J is smooth with gradient Lipschitz constant
:math:`L \\le c\\,\\lambda_{\\max}(\\tilde X^\\top \\tilde X)/n + α` (c = ¼ for a sigmoid, ½ for softmax;
:math:`\\tilde X` is X with a column of ones), and α-strongly convex, so Nesterov's method with step 1/L and
momentum :math:`(\\sqrt\\kappa - 1)/(\\sqrt\\kappa + 1)`, κ = L/α, converges linearly to the unique solution.
"""

from __future__ import annotations

import numpy as np

from core.neural_net import MLPClassifier, _check_xy
from core.validation import check_float, check_int


class LogisticRegression:
    """Binary (sigmoid) or multinomial (softmax) logistic regression, named as in scikit-learn.

    Parameters
    ----------
    C : float > 0, inverse regularisation strength (``penalty="l2"``); ignored with ``penalty=None``.
    penalty : "l2" or None.
    max_iter : int, the most gradient steps.
    tol : float, stop once every gradient component is below ``tol`` in size.

    Attributes
    ----------
    coef_ : (1, n_features) for two classes, (n_classes, n_features) otherwise; ``intercept_`` likewise.
    classes_, n_iter_ (gradient steps taken).
    """

    def __init__(self, C=1.0, *, penalty="l2", max_iter=20_000, tol=1e-8):
        self.C = check_float("C", C, low=0.0, low_inclusive=False)
        if penalty not in ("l2", None):
            raise ValueError(f"penalty must be 'l2' or None, got {penalty!r}.")
        self.penalty = penalty
        self.max_iter = check_int("max_iter", max_iter, low=1, high=1_000_000)  # a bound on time
        self.tol = check_float("tol", tol, low=0.0, low_inclusive=False)

    def fit(self, X, y):
        X, y = _check_xy(X, y)
        alpha = 1.0 / (self.C * len(X)) if self.penalty == "l2" else 0.0
        net = MLPClassifier((), penalty="l2" if alpha else "none", alpha=alpha, batch_size=len(X), max_iter=1)
        net._initialize(X.shape[1], np.unique(y))
        Y = net.targets(y)
        theta = np.zeros_like(net.theta_)
        ones = np.hstack([X, np.ones((len(X), 1))])
        curvature = 0.25 if net.n_outputs_ == 1 else 0.5
        L = curvature * np.linalg.eigvalsh(ones.T @ ones / len(X))[-1] + alpha
        momentum = 0.9 if alpha == 0 else (np.sqrt(L / alpha) - 1) / (np.sqrt(L / alpha) + 1)
        previous, look = theta, theta
        for self.n_iter_ in range(1, self.max_iter + 1):
            grad = net.gradient(look, X, Y)
            if np.max(np.abs(grad)) < self.tol:
                theta = look
                break
            theta = look - grad / L
            look, previous = theta + momentum * (theta - previous), theta
        net.theta_ = theta
        net._bind(theta)
        self.network_ = net
        self.classes_ = net.classes_
        self.coef_ = net.coefs_[0].T.copy()
        self.intercept_ = net.intercepts_[0].copy()
        return self

    def predict_proba(self, X):
        return self._fitted().predict_proba(X)

    def predict(self, X):
        return self._fitted().predict(X)

    def score(self, X, y) -> float:
        return self._fitted().score(X, y)

    def _fitted(self) -> MLPClassifier:
        if not hasattr(self, "network_"):
            raise ValueError("This LogisticRegression has not been fitted yet; call fit(X, y) first.")
        return self.network_
