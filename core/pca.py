"""Principal component analysis, named and signed as scikit-learn's ``PCA`` so the two can be compared entry by entry.

With the centred data :math:`X_c = X - \\bar x` (n rows, d features) the sample covariance is

.. math:: C = \\frac{1}{n-1} X_c^\\top X_c = V \\Lambda V^\\top,\\qquad
          \\lambda_1 \\ge \\lambda_2 \\ge \\dots \\ge \\lambda_d \\ge 0.

The principal axes are the eigenvectors :math:`v_j` (rows of ``components_``), the variance along each is its
eigenvalue :math:`\\lambda_j` (``explained_variance_``), and a point's scores are its projections
:math:`z = V_k^\\top (x - \\bar x)`. No other k-dimensional linear projection keeps as much variance, and
none reconstructs X with a smaller squared error :math:`\\sum_i \\lVert x_i - \\hat x_i \\rVert^2`.

How it is computed. When d ≤ n (the usual table: more rows than columns) from ``np.linalg.eigh`` of the d × d
matrix C, which is cheap for modest d. When d > n (wide data, e.g. 20 images of 4,096 pixels) C would be
large and of rank at most n − 1, so the thin SVD :math:`X_c = U S V^\\top` is used instead: the same axes,
with :math:`\\lambda_j = s_j^2 / (n-1)`. ``solver_`` says which ran. scikit-learn's ``svd_solver="auto"``
picks its covariance solver (the same eigh) when n ≥ 10 d and d ≤ 1,000 and LAPACK's full SVD otherwise;
both agree to rounding error.

Large data. ``svd_solver="randomized"`` (Halko, Martinsson & Tropp, "Finding structure with randomness", 2011)
finds only the k components asked for: the range of :math:`X_c` is sampled by :math:`X_c \\Omega` with a
Gaussian :math:`\\Omega` of k + ``n_oversamples`` columns, sharpened by ``iterated_power`` rounds of
:math:`X_c X_c^\\top` (each followed by a QR factorisation, so the columns stay independent in floating point),
orthonormalised to Q by QR, and the small matrix :math:`B = Q^\\top X_c` ((k + 10) × d) is decomposed exactly:
:math:`X_c \\approx Q B = (Q \\hat U) S V^\\top`. It costs O(n d k) per round instead of O(n d min(n, d)).
``svd_solver="auto"`` keeps the exact covariance solver when d ≤ n and d ≤ 1,000 (O(n d²), already cheap for
tall tables); otherwise it takes the randomized solver when k is a whole number below 80 % of min(n, d) and the
data is larger than 500 × 500 (scikit-learn's documented rule), and LAPACK's full SVD else. With the
randomized solver ``explained_variance_ratio_`` divides by the total variance of the data (the sum of the
columns' variances), since the other variances are never computed — as scikit-learn does.

Signs. An eigenvector is only defined up to sign, so like scikit-learn (``svd_flip(u_based_decision=False)``)
each component is flipped so that its entry of largest absolute value is positive (the first such entry if
several tie). Where eigenvalues are repeated (a tie in variance, e.g. several constant columns) the axes
inside that eigenspace are not unique at all; any orthonormal basis of it is a correct answer.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from core.validation import MAX_ABS, check_array, check_int

SVD_SOLVERS = ("auto", "full", "covariance_eigh", "randomized")


class PCA:
    """Principal component analysis: project onto the directions of largest variance.

    Parameters
    ----------
    n_components : int, float in (0, 1), or None.
        An int k keeps the first k components (1 ≤ k ≤ min(n, d)). A float t keeps the fewest components
        whose explained-variance ratios add up to *more than* t (scikit-learn's rule:
        ``searchsorted(cumsum(ratio), t, side="right") + 1``). None keeps min(n, d).
    svd_solver : "auto", "full", "covariance_eigh" or "randomized" (see the module's notes). "randomized" needs a
        whole-number ``n_components``; ``n_oversamples`` (10), ``iterated_power`` ("auto": 7 when k is below
        a tenth of min(n, d), else 4) and ``random_state`` (0) tune it, with scikit-learn's names and defaults
        (except the seed, fixed so a page shows the same picture on every rerun).
    whiten : bool. If true the scores are divided by :math:`\\sqrt{\\lambda_j}`, so each has variance 1.
    standardize : bool. If true each feature is first divided by its standard deviation
        :math:`\\sigma_j = \\sqrt{\\tfrac1n \\sum_i (x_{ij} - \\bar x_j)^2}` (as ``StandardScaler``), so PCA sees
        correlations instead of covariances and no feature dominates because of its units. Equivalent to
        scikit-learn's ``make_pipeline(StandardScaler(), PCA())``.

    Attributes
    ----------
    components_ : (k, d), the principal axes, orthonormal rows, in standardized units if ``standardize``.
    explained_variance_ : (k,), :math:`\\lambda_1 \\ge \\dots \\ge \\lambda_k`.
    explained_variance_ratio_ : (k,), :math:`\\lambda_j / \\sum_{l=1}^{\\min(n,d)} \\lambda_l`.
    singular_values_ : (k,), :math:`s_j = \\sqrt{(n-1)\\lambda_j}`, the singular values of the (scaled) centred X.
    mean_ : (d,), the feature means :math:`\\bar x` (of the raw data, also when ``standardize``).
    scale_ : (d,) or None, the :math:`\\sigma_j` divided by when ``standardize`` (constant features get 1).
    n_components_, n_features_in_, n_samples_ : ints.
    solver_ : "covariance_eigh", "svd" (LAPACK's full SVD) or "randomized": the solver that ran.
    notes_ : list of str, things worth telling a person (constant features left unscaled).
    """

    def __init__(self, n_components=None, *, whiten: bool = False, standardize: bool = False, svd_solver="auto",
                 n_oversamples=10, iterated_power="auto", random_state=0):
        self.n_components = _check_n_components(n_components)
        self.whiten = bool(whiten)
        self.standardize = bool(standardize)
        if not isinstance(svd_solver, str) or svd_solver not in SVD_SOLVERS:
            raise ValueError(f"svd_solver must be one of {', '.join(SVD_SOLVERS)}, got {svd_solver!r}.")
        if svd_solver == "randomized" and not isinstance(self.n_components, int):
            raise ValueError("svd_solver='randomized' finds a given number of components: set n_components to a "
                             "whole number.")
        self.svd_solver = svd_solver
        self.n_oversamples = check_int("n_oversamples", n_oversamples, low=1)
        if iterated_power != "auto":
            iterated_power = check_int("iterated_power", iterated_power, low=0)
        self.iterated_power = iterated_power
        self.random_state = random_state

    # --- fitting ---------------------------------------------------------------------------------------

    def fit(self, X, y=None):
        """Learn the mean, the scale (if ``standardize``) and the principal axes of X; ``y`` is ignored."""
        X = _check_X(X)
        n, d = X.shape
        self.n_samples_, self.n_features_in_ = n, d
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        self.notes_ = []
        self.scale_ = self._fit_scale(Xc) if self.standardize else None
        if self.scale_ is not None:
            Xc /= self.scale_
        solver = self._choose_solver(n, d)
        if solver == "randomized":
            variance, axes = self._randomized(Xc)
            total = float(np.einsum("ij,ij->", Xc, Xc)) / (n - 1)
        else:
            variance, axes = self._eigen(Xc, solver)
            total = variance.sum()
        if not total > 0:
            raise ValueError("Every feature is constant, so there is no variance for PCA to explain; "
                             "use data whose columns vary.")
        ratio = variance / total
        k = self._resolve_n_components(ratio, min(n, d))
        self.n_components_ = k
        self.components_ = axes[:k].copy()
        self.explained_variance_ = variance[:k].copy()
        self.explained_variance_ratio_ = ratio[:k].copy()
        self.singular_values_ = np.sqrt(variance[:k] * (n - 1))
        return self

    def _fit_scale(self, Xc: np.ndarray) -> np.ndarray:
        """Per-feature standard deviation (ddof 0); features indistinguishable from constant get 1.

        "Constant" is scikit-learn's test (Chan, Golub & LeVeque's bound on the rounding error of the
        two-pass variance): :math:`\\sigma_j^2 \\le n\\varepsilon\\sigma_j^2 + (n\\,\\bar x_j\\,\\varepsilon)^2`.
        """
        n = len(Xc)
        var = np.mean(Xc**2, axis=0)
        eps = np.finfo(np.float64).eps
        constant = var <= n * eps * var + (n * self.mean_ * eps) ** 2
        for j in np.flatnonzero(constant):
            self.notes_.append(f"Feature {j} is constant; it was left unscaled (scale 1) instead of divided by 0.")
        return np.where(constant, 1.0, np.sqrt(var))

    def _choose_solver(self, n: int, d: int) -> str:
        solver, k = self.svd_solver, self.n_components
        if solver == "randomized":
            if k > min(n, d):
                raise ValueError(f"n_components={k} is more than min(n_samples, n_features) = {min(n, d)}; "
                                 f"choose at most {min(n, d)}.")
            return solver
        if solver == "auto":
            if d <= n and d <= 1000:
                return "covariance_eigh"
            if isinstance(k, int) and k < 0.8 * min(n, d) and max(n, d) > 500:
                return "randomized"
            return "full"
        return solver

    def _randomized(self, Xc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The first k variances and axes by Halko et al.'s randomized range finder (see the module's notes)."""
        self.solver_ = "randomized"
        n, d = Xc.shape
        k = self.n_components
        size = min(k + self.n_oversamples, n, d)
        rounds = self.iterated_power
        if rounds == "auto":
            rounds = 7 if k < 0.1 * min(n, d) else 4
        rng = np.random.default_rng(self.random_state)
        Q = Xc @ rng.standard_normal((d, size))
        for _ in range(rounds):  # power iterations: the spectrum's decay is raised to the power 2·rounds + 1
            Q = np.linalg.qr(Q)[0]
            Q = Xc @ np.linalg.qr(Xc.T @ Q)[0]
        Q = np.linalg.qr(Q)[0]
        _, s, axes = np.linalg.svd(Q.T @ Xc, full_matrices=False)
        return s[:k] ** 2 / (n - 1), _flip_signs(axes[:k])

    def _eigen(self, Xc: np.ndarray, solver: str = "covariance_eigh") -> tuple[np.ndarray, np.ndarray]:
        """All min(n, d) variances (descending) and axes (rows, sign-fixed) of the centred data."""
        n, d = Xc.shape
        if solver == "covariance_eigh" and d <= n:
            self.solver_ = "covariance_eigh"
            values, vectors = np.linalg.eigh(Xc.T @ Xc / (n - 1))
            variance, axes = np.clip(values[::-1], 0.0, None), vectors[:, ::-1].T
        else:
            self.solver_ = "svd"
            _, s, axes = np.linalg.svd(Xc, full_matrices=False)
            variance = s**2 / (n - 1)
        return variance, _flip_signs(axes)

    def _resolve_n_components(self, ratio: np.ndarray, limit: int) -> int:
        k = self.n_components
        if k is None:
            return limit
        if isinstance(k, float):
            return min(int(np.searchsorted(np.cumsum(ratio), k, side="right")) + 1, limit)
        if k > limit:
            raise ValueError(f"n_components={k} is more than min(n_samples, n_features) = {limit}; "
                             f"choose at most {limit}.")
        return k

    # --- using the fit ---------------------------------------------------------------------------------

    def transform(self, X) -> np.ndarray:
        """Scores :math:`Z = \\big((X - \\bar x) / \\sigma\\big) V_k^\\top` (no division without ``standardize``).

        With ``whiten`` each column is then divided by :math:`\\sqrt{\\lambda_j}` (at least machine epsilon).
        """
        self._check_fitted()
        Xc = _check_X(X, min_rows=1, n_features=self.n_features_in_) - self.mean_
        if self.scale_ is not None:
            Xc /= self.scale_
        Z = Xc @ self.components_.T
        if self.whiten:
            Z /= np.maximum(np.sqrt(self.explained_variance_), np.finfo(np.float64).eps)
        return Z

    def fit_transform(self, X, y=None) -> np.ndarray:
        return self.fit(X).transform(X)

    def inverse_transform(self, Z) -> np.ndarray:
        """Back to feature space: :math:`\\hat X = Z V_k \\sigma + \\bar x` (Z times :math:`\\sqrt\\lambda` first if
        whitened).

        With all min(n, d) components this returns X itself (to rounding); with fewer it is the best rank-k
        reconstruction.
        """
        self._check_fitted()
        Z = check_array("Z", Z, max_abs=MAX_ABS)
        if Z.ndim != 2 or Z.shape[1] != self.n_components_:
            raise ValueError(f"Z must have shape (n, {self.n_components_}), got {Z.shape}.")
        if self.whiten:
            Z = Z * np.sqrt(self.explained_variance_)
        X = Z @ self.components_
        if self.scale_ is not None:
            X *= self.scale_
        return X + self.mean_

    def _check_fitted(self) -> None:
        if not hasattr(self, "components_"):
            raise ValueError("This PCA has not been fitted yet; call fit(X) first.")


def top_loadings(pca: PCA, feature_names, component: int, k: int = 5) -> tuple[list[str], np.ndarray]:
    """The k features weighing most in one component: ``(names, weights)``, largest :math:`|v_{cj}|` first.

    ``component`` counts from 0 (PC 1 is 0). The weights keep their sign: features with opposite signs pull
    the component's score in opposite directions. Ties in size keep the features' order.
    """
    if not isinstance(pca, PCA):
        raise ValueError(f"pca must be a fitted PCA, got {type(pca).__name__}.")
    pca._check_fitted()
    if isinstance(feature_names, str) or not hasattr(feature_names, "__iter__"):
        raise ValueError(f"feature_names must be a list of names, got {feature_names!r}.")
    names = [str(name) for name in feature_names]
    if len(names) != pca.n_features_in_:
        raise ValueError(f"feature_names has {len(names)} names but the PCA saw {pca.n_features_in_} features.")
    component = check_int("component", component, low=0, high=pca.n_components_ - 1)
    k = min(check_int("k", k, low=1), len(names))
    weights = pca.components_[component]
    order = np.argsort(-np.abs(weights), kind="stable")[:k]
    return [names[j] for j in order], weights[order].copy()


# --- helpers -------------------------------------------------------------------------------------------

def _flip_signs(axes: np.ndarray) -> np.ndarray:
    """scikit-learn's ``svd_flip(u_based_decision=False)``: the largest-|·| entry of each row made positive."""
    biggest = np.argmax(np.abs(axes), axis=1)
    signs = np.sign(axes[np.arange(len(axes)), biggest])
    return axes * signs[:, None]


def _check_n_components(value):
    if value is None:
        return None
    if isinstance(value, Integral) and not isinstance(value, bool):
        return check_int("n_components", value, low=1)
    if isinstance(value, Real) and not isinstance(value, bool) and 0.0 < value < 1.0:
        return float(value)
    raise ValueError(f"n_components must be a whole number ≥ 1, a share of variance strictly between 0 and 1, "
                     f"or None, got {value!r}.")


def _check_X(X, *, min_rows: int = 2, n_features: int | None = None) -> np.ndarray:
    """X as a new float64 (n, d) array, finite, with enough rows (variance needs two) and the right width."""
    try:
        X = np.array(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("X must be a table of numbers (n_samples × n_features).") from None
    if X.ndim != 2 or X.shape[1] == 0:
        raise ValueError(f"X must be 2-D, shape (n_samples, n_features) with n_features ≥ 1, got shape {X.shape}.")
    if len(X) < min_rows:
        why = " to measure variance" if min_rows > 1 else ""
        raise ValueError(f"PCA needs at least {min_rows} row{'s' * (min_rows > 1)}{why}, got {len(X)}.")
    n_bad = int(np.count_nonzero(~np.isfinite(X)))
    if n_bad:
        raise ValueError(f"X has {n_bad} missing or infinite value{'s' * (n_bad > 1)} (NaN or inf); "
                         "drop or fill them first.")
    check_array("X", X, max_abs=MAX_ABS)  # larger values would overflow the covariance
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, but the PCA was fitted on {n_features}.")
    return X
