"""Logistic (softmax) regression: a network with no hidden layer, fitted by Newton's method.

scikit-learn's ``LogisticRegression`` minimises :math:`C\\sum_i \\ell_i + \\tfrac12\\lVert W\\rVert^2`; dividing by
:math:`Cn` gives the same minimiser as the app's training objective,

.. math:: J(W, b) = \\frac1n \\sum_i \\ell(p_i, y_i) + \\frac{1}{2Cn}\\lVert W\\rVert^2,

so this is :class:`core.neural_net.MLPClassifier` with ``hidden_layer_sizes=()`` and an L2 penalty of rate
``α = 1/(Cn)``: the same objective and the same backpropagated gradient. Only the step differs. J is convex
with Hessian

.. math:: H = \\frac1n \\sum_i \\big(\\operatorname{diag}(p_i) - p_i p_i^\\top\\big) \\otimes \\tilde x_i \\tilde x_i^\\top
          + α\\,I_W

(:math:`\\tilde x` is x with a 1 appended for the bias; a sigmoid's block is :math:`p_i(1 - p_i)`), and each
iteration takes the Newton step :math:`θ \\leftarrow θ - t\\,H^{+} \\nabla J`, halving t until J decreases
enough (Armijo). This is iteratively reweighted least squares, scikit-learn's ``newton-cholesky``: it converges
in ~10 steps where gradient descent needs thousands when α is small (large n: α = 1/(Cn)). The
pseudo-inverse :math:`H^{+}` handles softmax's one redundant direction (adding a constant to every bias changes
nothing): the steps never move along it, so the biases stay centred, as scikit-learn's are.
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
    max_iter : int, the most Newton steps.
    tol : float, stop once every gradient component is below ``tol`` in size.

    Attributes
    ----------
    coef_ : (1, n_features) for two classes, (n_classes, n_features) otherwise; ``intercept_`` likewise.
    classes_, n_iter_ (Newton steps taken, counting the last check of the gradient).
    """

    def __init__(self, C=1.0, *, penalty="l2", max_iter=100, tol=1e-8):
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
        net.initialize(X.shape[1], np.unique(y))
        Y = net.targets(y)
        theta = np.zeros_like(net.theta_)
        ones = np.hstack([X, np.ones((len(X), 1))])
        # θ is W (features × outputs, row-major) then b: the penalty's curvature α on W's entries only
        ridge = np.r_[np.full(X.shape[1] * net.n_outputs_, alpha), np.zeros(net.n_outputs_)]
        J = net.objective(theta, X, Y)
        for self.n_iter_ in range(1, self.max_iter + 1):
            grad = net.gradient(theta, X, Y)
            if np.max(np.abs(grad)) < self.tol:
                break
            step = np.linalg.lstsq(_hessian(net.forward(X, theta)[1][-1], ones) + np.diag(ridge), grad,
                                   rcond=None)[0]
            theta, J, moved = _line_search(net, theta, J, grad, step, X, Y)
            if not moved:  # J cannot decrease any further in float64: as converged as it gets
                break
        net.theta_ = theta
        net.bind(theta)
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


def _hessian(P, ones) -> np.ndarray:
    """∇²(mean log loss) over θ = (W, b) row-major, for output probabilities P (n, K) and inputs with a
    column of ones (n, d+1): block (k, m) is X̃ᵀ diag(p_k (δ_km − p_m)) X̃ / n (a sigmoid: K = 1, p (1 − p))."""
    n, width = ones.shape
    K = P.shape[1]
    H = np.empty((width, K, width, K))
    for k in range(K):
        for m in range(k, K):
            s = P[:, k] * ((k == m) - P[:, m])  # K = 1: p (1 − p)
            block = ones.T @ (ones * s[:, None]) / n
            H[:, k, :, m] = block
            H[:, m, :, k] = block
    return H.reshape(width * K, width * K)


def _line_search(net, theta, J, grad, step, X, Y, shrink=0.5, armijo=1e-4):
    """θ − t·step for the first t = 1, ½, ¼ … that lowers J by at least ``armijo``·t·∇J·step; returns
    (θ, J, moved), unchanged and moved=False if no t down to 2⁻⁴⁰ lowers J at all."""
    slope = float(grad @ step)
    t = 1.0
    while t > 2.0 ** -40:
        candidate = theta - t * step
        J_new = net.objective(candidate, X, Y)
        if J_new <= J - armijo * t * slope:
            return candidate, J_new, True
        t *= shrink
    return theta, J, False
