"""scikit-learn baselines on the explorers' data, and the grid of their decision maps."""

import base64
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score

from baselines import MODELS, BaselineResult, compare
from baselines.sklearn_zoo import class_probabilities
from viz.baseline_grid import baseline_grid
from viz.decision_map import encode_decision

ROOT = Path(__file__).resolve().parent.parent
AND_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
AND_Y = np.array([0, 0, 0, 1])


def grid(lo=-6.0, hi=6.0, n=60):
    xs = ys = np.linspace(lo, hi, n)
    return xs, ys, np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)


def blobs(n_classes, n=350, std=0.7, seed=0):
    centers = 4 * np.array([[np.cos(a), np.sin(a)] for a in np.linspace(0, 2 * np.pi, n_classes, endpoint=False)])
    X, y = make_blobs(n, centers=centers, cluster_std=std, random_state=seed)
    return X[:250], y[:250], X[250:], y[250:]


@pytest.fixture(scope="module")
def two_blobs():
    Xtr, ytr, Xte, yte = blobs(2)
    xs, ys, points = grid()
    return Xtr, ytr, Xte, yte, xs, ys, points, compare(Xtr, ytr, Xte, yte, points, 2)


def assert_probabilities(proba, n_grid, n_classes):
    assert proba.shape == (n_grid, n_classes) and proba.dtype == np.float32
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5)


# ---- compare ---------------------------------------------------------------------------------------------------

def test_every_model_separates_two_well_separated_blobs(two_blobs):
    *_, points, results = two_blobs
    assert [r.name for r in results] == list(MODELS)
    for r in results:
        assert isinstance(r, BaselineResult) and r.label == MODELS[r.name][0]
        assert r.test_accuracy >= 0.95 and r.train_accuracy >= 0.95, r
        assert r.fit_seconds > 0
        assert_probabilities(r.proba, len(points), 2)


def test_reported_accuracy_matches_an_independent_refit(two_blobs):
    Xtr, ytr, Xte, yte, _, _, _, results = two_blobs
    for r in results:
        model = MODELS[r.name][1](random_state=0, n_train=len(Xtr)).fit(Xtr, ytr)
        assert r.test_accuracy == accuracy_score(yte, model.predict(Xte)), r.name
        assert r.train_accuracy == accuracy_score(ytr, model.predict(Xtr)), r.name


def test_map_argmax_is_the_model_prediction(two_blobs):
    """The map's colour must be the class the model predicts (SVM included, via its display score)."""
    Xtr, ytr, _, _, _, _, points, results = two_blobs
    for r in results:
        model = MODELS[r.name][1](random_state=0, n_train=len(Xtr)).fit(Xtr, ytr)
        agreement = np.mean(r.proba.argmax(axis=1) == model.predict(points))
        assert agreement >= 0.995, (r.name, agreement)  # exact ties (p = ½) may break either way


def test_a_class_missing_from_training_is_refused():
    Xtr, ytr, Xte, yte = blobs(3)
    keep = ytr != 1
    with pytest.raises(ValueError, match=r"\[1\].*no training points"):
        compare(Xtr[keep], ytr[keep], Xte, yte, grid()[2], 3)


@pytest.mark.parametrize("bad", [np.array([0, 0, 0, 2]), np.array([0.0, 0.5, 1.0, 1.0]), np.array([-1, 0, 1, 1])])
def test_labels_outside_zero_to_k_are_refused(bad):
    with pytest.raises(ValueError, match="labels"):
        compare(AND_X, bad, None, None, AND_X, 2)


def test_unknown_model_names_are_refused():
    with pytest.raises(ValueError, match="Unknown baseline"):
        compare(AND_X, AND_Y, None, None, AND_X, 2, names=["knn", "perceptron"])


@pytest.mark.parametrize("name", list(MODELS))
def test_logic_gate_data_runs_for_every_model(name):
    _, _, points = grid(-0.5, 1.5, 20)
    (r,) = compare(AND_X, AND_Y, np.empty((0, 2)), np.empty(0), points, 2, names=[name])
    assert r.test_accuracy is None
    assert 0.5 <= r.train_accuracy <= 1
    assert_probabilities(r.proba, len(points), 2)


def test_no_test_set_gives_no_test_accuracy():
    (r,) = compare(AND_X, AND_Y, None, None, AND_X, 2, names=["tree"])
    assert r.test_accuracy is None and r.train_accuracy == 1.0


@pytest.mark.parametrize("n_classes", [3, 4, 5])
def test_multiclass_blobs(n_classes):
    Xtr, ytr, Xte, yte = blobs(n_classes, std=0.6)
    points = grid()[2]
    for r in compare(Xtr, ytr, Xte, yte, points, n_classes):
        assert_probabilities(r.proba, len(points), n_classes)
        assert r.test_accuracy >= 0.85, r
        assert set(np.unique(r.proba.argmax(axis=1))) == set(range(n_classes)), r.name  # every class has a region


def test_probability_columns_follow_labels_when_the_model_saw_a_subset():
    X, y = np.array([[0.0], [1.0], [4.0], [5.0]]), np.array([0, 0, 2, 2])
    model = LogisticRegression().fit(X, y)
    proba = class_probabilities(model, X, 3)
    np.testing.assert_array_equal(proba[:, 1], 0)
    np.testing.assert_allclose(proba[:, [0, 2]], model.predict_proba(X), rtol=1e-6)


def loaded_after(code: str) -> set[str]:
    code += "; import json, sys; print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_importing_baselines_loads_no_ui_library():
    loaded = loaded_after("from baselines import compare")
    assert "sklearn" in loaded
    assert not loaded & {"streamlit", "plotly"}


def test_the_scorers_labels_load_no_scikit_learn_until_a_model_is_fitted():
    # The calibration page reads the labels in the server; the fits run in its worker process (server/workers.py).
    assert "sklearn" not in loaded_after("from baselines.scorers import SCORERS")
    assert "sklearn" in loaded_after("import numpy as np; from baselines.scorers import fit_scores; "
                                     "X = np.arange(20.0).reshape(10, 2); fit_scores('forest', X, np.arange(10) % 2, X)")
    # the decision-boundary page's comparison is sent to the worker by name: naming it loads nothing
    assert "sklearn" not in loaded_after("from explorers.jobs import baseline_results")


# ---- baseline_grid ---------------------------------------------------------------------------------------------

def test_grid_has_one_map_per_model_and_titles_carry_the_scores(two_blobs):
    Xtr, ytr, Xte, yte, xs, ys, _, results = two_blobs
    fig = baseline_grid(results, Xtr, ytr, Xte, yte, xs, ys, 2)
    spec = json.loads(fig.to_json())
    heatmaps = [t for t in spec["data"] if t["type"] == "heatmap"]
    assert len(heatmaps) == len(results)
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    for r, title in zip(results, titles):
        assert title.startswith(r.label) and f"test {round(100 * r.test_accuracy)} %" in title and "fit " in title
    # Each heatmap is its result's map, byte for byte.
    for r, h in zip(results, heatmaps):
        z = np.frombuffer(base64.b64decode(h["z"]["bdata"]), np.uint8).reshape(len(ys), len(xs))
        np.testing.assert_array_equal(z, encode_decision(r.proba.reshape(len(ys), len(xs), 2)))
    # One legend entry per class and split, shown once for the whole grid.
    assert sum(t.get("showlegend", True) for t in spec["data"] if t["type"] == "scatter") == 2 * 2


def test_grid_axes_are_the_grid_extent_with_equal_aspect(two_blobs):
    Xtr, ytr, Xte, yte, xs, ys, _, results = two_blobs
    layout = json.loads(baseline_grid(results[:4], Xtr, ytr, Xte, yte, xs, ys, 2, cols=3).to_json())["layout"]
    assert layout["height"] >= 2 * 300
    for i, suffix in enumerate(["", "2", "3", "4"]):
        assert layout[f"xaxis{suffix}"]["range"] == [xs[0], xs[-1]]
        assert layout[f"yaxis{suffix}"]["range"] == [ys[0], ys[-1]]
        assert layout[f"yaxis{suffix}"]["scaleanchor"] == f"x{suffix}"
        assert layout[f"xaxis{suffix}"]["showticklabels"] is False


def test_grid_without_test_data_reports_train_accuracy():
    xs, ys, points = grid(-0.5, 1.5, 30)
    results = compare(AND_X, AND_Y, None, None, points, 2, names=["tree", "knn"])
    fig = baseline_grid(results, AND_X, AND_Y, None, None, xs, ys, 2)
    titles = [a.text for a in fig.layout.annotations]
    assert "train 100 %" in titles[0] and "train 75 %" in titles[1]
    assert not any("(test)" in (t.name or "") for t in fig.data)


def test_six_maps_at_60_by_60_stay_small(two_blobs):
    Xtr, ytr, Xte, yte, xs, ys, _, results = two_blobs
    assert len(results) == 6 and len(xs) == len(ys) == 60
    size = len(baseline_grid(results, Xtr, ytr, Xte, yte, xs, ys, 2).to_json())
    assert size < 1_500_000, size
