"""core.pca.PCA against scikit-learn's PCA, entry by entry, signs included."""

import numpy as np
import pytest
from sklearn import datasets
from sklearn.decomposition import PCA as SkPCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from core.pca import PCA, top_loadings


def _random(n, d, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + rng.normal(size=d) * 5


DATA = {
    "iris": datasets.load_iris().data,
    "wine": datasets.load_wine().data,
    "digits": datasets.load_digits().data,
    "random": _random(200, 12),
    "random_square_ish": _random(30, 20, seed=1),  # scikit-learn uses full SVD here, we use eigh
    "wide": _random(15, 40, seed=2),  # d > n: both use SVD
}


def _determined(variance, rel=1e-8):
    """Components whose variance is positive and not repeated: only those have unique axes (up to sign)."""
    v = np.asarray(variance)
    gaps = np.abs(np.diff(v)) > rel * v[0]
    separated = np.r_[True, gaps] & np.r_[gaps, True]
    return separated & (v > rel * v[0])


@pytest.mark.parametrize("name", DATA)
def test_matches_sklearn(name):
    X = DATA[name]
    ours, theirs = PCA().fit(X), SkPCA().fit(X)
    assert ours.n_components_ == theirs.n_components_ == min(X.shape)
    assert ours.n_features_in_ == X.shape[1]
    np.testing.assert_allclose(ours.mean_, theirs.mean_, rtol=1e-12, atol=1e-12)
    scale = theirs.explained_variance_[0]
    np.testing.assert_allclose(ours.explained_variance_, theirs.explained_variance_, rtol=1e-9, atol=1e-10 * scale)
    np.testing.assert_allclose(ours.explained_variance_ratio_, theirs.explained_variance_ratio_, atol=1e-12)
    np.testing.assert_allclose(ours.singular_values_, theirs.singular_values_, rtol=1e-8,
                               atol=1e-6 * theirs.singular_values_[0])
    # Signs included: the same convention (largest |entry| positive), not merely "equal up to sign".
    keep = _determined(theirs.explained_variance_)
    assert keep[:min(10, keep.sum())].all()
    np.testing.assert_allclose(ours.components_[keep], theirs.components_[keep], atol=1e-9)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), atol=1e-8 * np.abs(X).max())


def test_digits_zero_variance_axes_are_the_only_ones_that_differ():
    """Digits has 3 pixels that are always 0: their 3 axes share variance 0, so any basis of that span is
    right, and scikit-learn's (from its Gram-minus-mean covariance) differs from ours (centred covariance)."""
    X = DATA["digits"]
    keep = _determined(SkPCA().fit(X).explained_variance_)
    assert (~keep).sum() == 3 and not keep[-3:].any()


def test_solver_choice():
    assert PCA().fit(DATA["iris"]).solver_ == "covariance_eigh"
    assert PCA().fit(DATA["wide"]).solver_ == "svd"


def test_sign_convention_largest_entry_positive():
    for X in DATA.values():
        components = PCA().fit(X).components_
        biggest = components[np.arange(len(components)), np.argmax(np.abs(components), axis=1)]
        assert (biggest > 0).all()


def test_components_orthonormal():
    components = PCA().fit(DATA["wine"]).components_
    np.testing.assert_allclose(components @ components.T, np.eye(len(components)), atol=1e-12)


@pytest.mark.parametrize("name", ["iris", "wine", "digits", "random", "wide"])
def test_inverse_transform_round_trip_with_all_components(name):
    X = DATA[name]
    pca = PCA().fit(X)
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(X)), X, atol=1e-9 * np.abs(X).max())


@pytest.mark.parametrize("k", [1, 2, 3])
def test_truncated_matches_sklearn_reconstruction(k):
    X = DATA["wine"]
    ours, theirs = PCA(k).fit(X), SkPCA(k).fit(X)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(X)),
                               theirs.inverse_transform(theirs.transform(X)), atol=1e-8)
    assert ours.components_.shape == (k, X.shape[1])


@pytest.mark.parametrize("name", ["iris", "wine", "random"])
def test_whiten_matches_sklearn(name):
    X = DATA[name]
    ours, theirs = PCA(3, whiten=True).fit(X), SkPCA(3, whiten=True).fit(X)
    Z = ours.transform(X)
    np.testing.assert_allclose(Z, theirs.transform(X), atol=1e-9)
    np.testing.assert_allclose(Z.var(axis=0, ddof=1), 1.0, rtol=1e-10)  # whitened scores have variance 1
    np.testing.assert_allclose(ours.fit_transform(X), Z, atol=1e-12)
    np.testing.assert_allclose(ours.inverse_transform(Z), theirs.inverse_transform(theirs.transform(X)), atol=1e-8)


@pytest.mark.parametrize("share", [0.5, 0.8, 0.95, 0.99])
@pytest.mark.parametrize("name", ["iris", "wine", "digits"])
def test_float_n_components_matches_sklearn(name, share):
    X = DATA[name]
    ours, theirs = PCA(share).fit(X), SkPCA(share).fit(X)
    assert ours.n_components_ == theirs.n_components_
    assert ours.explained_variance_ratio_.sum() > share
    assert ours.explained_variance_ratio_[:-1].sum() <= share


@pytest.mark.parametrize("name", ["iris", "wine", "digits", "random"])
def test_standardize_equals_pipeline(name):
    X = DATA[name]
    ours = PCA(standardize=True).fit(X)
    pipe = make_pipeline(StandardScaler(), SkPCA()).fit(X)
    scaler, theirs = pipe[0], pipe[-1]
    np.testing.assert_allclose(ours.scale_, scaler.scale_, rtol=1e-12)
    np.testing.assert_allclose(ours.mean_, scaler.mean_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.explained_variance_, theirs.explained_variance_, rtol=1e-9, atol=1e-12)
    keep = _determined(theirs.explained_variance_)
    np.testing.assert_allclose(ours.components_[keep], theirs.components_[keep], atol=1e-9)
    np.testing.assert_allclose(ours.transform(X), pipe.transform(X), atol=1e-8)
    Z = ours.transform(X)
    np.testing.assert_allclose(ours.inverse_transform(Z), pipe.inverse_transform(pipe.transform(X)), atol=1e-8)
    np.testing.assert_allclose(ours.inverse_transform(Z), X, atol=1e-9 * np.abs(X).max())


def test_standardize_constant_column_gets_scale_one_and_a_note():
    X = DATA["iris"].copy()
    X[:, 2] = 7.0
    pca = PCA(standardize=True).fit(X)
    assert pca.scale_[2] == 1.0 == StandardScaler().fit(X).scale_[2]
    assert any("Feature 2 is constant" in note for note in pca.notes_)
    assert PCA().fit(X).scale_ is None


def test_top_loadings():
    pca = PCA(2).fit(DATA["iris"])
    names, weights = top_loadings(pca, datasets.load_iris().feature_names, 0, k=2)
    assert names[0] == "petal length (cm)"  # PC 1 of iris is dominated by petal length
    assert len(names) == len(weights) == 2
    assert abs(weights[0]) >= abs(weights[1])
    np.testing.assert_array_equal(weights[0], pca.components_[0, 2])
    names, _ = top_loadings(pca, ["a", "b", "c", "d"], 1, k=10)  # k larger than d: all features
    assert sorted(names) == ["a", "b", "c", "d"]


@pytest.mark.parametrize("bad, match", [
    (lambda: PCA(5).fit(DATA["iris"]), r"n_components=5 is more than min\(n_samples, n_features\) = 4"),
    (lambda: PCA(16).fit(DATA["wide"]), "choose at most 15"),
    (lambda: PCA().fit(np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 5.0]])), "missing or infinite"),
    (lambda: PCA().fit(np.array([[1.0, np.inf], [2.0, 3.0]])), "missing or infinite"),
    (lambda: PCA().fit(np.array([[1.0, 2.0, 3.0]])), "at least 2 rows"),
    (lambda: PCA().fit(np.ones((5, 3))), "Every feature is constant"),
    (lambda: PCA().fit(np.arange(5.0)), "2-D"),
    (lambda: PCA().fit([["a", "b"], ["c", "d"]]), "table of numbers"),
    (lambda: PCA(0), "n_components"),
    (lambda: PCA(1.0), "n_components"),
    (lambda: PCA(True), "n_components"),
    (lambda: PCA("mle"), "n_components"),
    (lambda: PCA().transform(DATA["iris"]), "not been fitted"),
    (lambda: PCA().fit(DATA["iris"]).transform(DATA["wine"]), "fitted on 4"),
    (lambda: PCA(2).fit(DATA["iris"]).inverse_transform(np.zeros((3, 3))), r"shape \(n, 2\)"),
    (lambda: top_loadings(PCA(2).fit(DATA["iris"]), ["a"], 0), "1 names"),
    (lambda: top_loadings(PCA(2).fit(DATA["iris"]), list("abcd"), 2), "component"),
])
def test_errors_are_value_errors_with_a_message(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


def test_input_is_not_modified():
    X = DATA["wine"].copy()
    PCA(3, standardize=True, whiten=True).fit(X).transform(X)
    np.testing.assert_array_equal(X, DATA["wine"])


# --- randomized SVD (Halko et al.) -----------------------------------------------------------------------

def _low_rank(n, d, rank, seed=0):
    rng = np.random.default_rng(seed)
    spectrum = 0.7 ** np.arange(rank)
    return (rng.normal(size=(n, rank)) * spectrum) @ rng.normal(size=(rank, d)) + 1e-3 * rng.normal(size=(n, d))


@pytest.mark.parametrize("shape", [(2000, 600), (300, 1200)])
def test_randomized_matches_sklearns_randomized_and_full(shape):
    X = _low_rank(*shape, rank=30)
    ours = PCA(10, svd_solver="randomized").fit(X)
    assert ours.solver_ == "randomized"
    for solver in ("randomized", "full"):
        theirs = SkPCA(10, svd_solver=solver, random_state=0).fit(X)
        np.testing.assert_allclose(ours.explained_variance_, theirs.explained_variance_, rtol=1e-8)
        np.testing.assert_allclose(ours.explained_variance_ratio_, theirs.explained_variance_ratio_, rtol=1e-8)
        np.testing.assert_allclose(ours.singular_values_, theirs.singular_values_, rtol=1e-8)
        # up to sign (the same sign rule is applied, so equal outright)
        np.testing.assert_allclose(np.abs(ours.components_), np.abs(theirs.components_), atol=1e-7)
        np.testing.assert_allclose(ours.components_, theirs.components_, atol=1e-7)
        np.testing.assert_allclose(ours.transform(X), theirs.transform(X), atol=1e-6 * np.abs(X).max())


def test_randomized_on_digits_is_as_close_to_exact_as_sklearns():
    """Digits' spectrum decays slowly, so 7 power iterations leave an error (measured: variances 2.3e-5
    relative, axes 1.1e-3; scikit-learn's randomized solver 3.1e-5 and 1.6e-3)."""
    X = DATA["digits"]
    exact = PCA(8).fit(X)
    ours = PCA(8, svd_solver="randomized").fit(X)
    theirs = SkPCA(8, svd_solver="randomized", random_state=0).fit(X)
    err_ours = np.max(np.abs(ours.explained_variance_ / exact.explained_variance_ - 1))
    err_theirs = np.max(np.abs(theirs.explained_variance_ / exact.explained_variance_ - 1))
    assert err_ours < 1e-4 and err_ours <= 2 * err_theirs
    assert np.max(np.abs(ours.components_ - exact.components_)) < 5e-3


def test_auto_solver_rule():
    tall = _low_rank(2000, 50, rank=10)
    wide = _low_rank(300, 1200, rank=10)
    assert PCA(5).fit(tall).solver_ == "covariance_eigh"  # d ≤ n and d ≤ 1,000: exact and cheap
    assert PCA(5).fit(wide).solver_ == "randomized"  # > 500 × 500 and k < 0.8 min(n, d)
    assert PCA().fit(wide).solver_ == "svd"  # every component asked for: full SVD
    assert PCA(0.9).fit(wide).solver_ == "svd"  # a share of variance: needs every variance
    assert PCA(5, svd_solver="full").fit(tall).solver_ == "svd"


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_components=None, svd_solver="randomized"), "whole number"),
    (dict(n_components=0.5, svd_solver="randomized"), "whole number"),
    (dict(n_components=2, svd_solver="arpack"), "svd_solver must be"),
    (dict(n_components=2, iterated_power=-1), "iterated_power"),
])
def test_solver_options_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PCA(**kwargs)
