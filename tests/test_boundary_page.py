"""The decision-boundary page driven with AppTest: its own modes and messages (presets and links are covered
for every page in test_app_pages)."""

import json

import pytest

from tests.test_app_pages import assert_clean, open_page

PAGE = "pages/decision-boundary.py"


def chart_specs(at):
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def main_figure(at):
    return next(spec for spec in chart_specs(at).values() if spec.get("frames"))


def test_default_view_animates_training_from_epoch_zero():
    at = open_page(PAGE)
    assert_clean(at)
    spec = main_figure(at)
    labels = [step["label"] for step in spec["layout"]["sliders"][0]["steps"]]
    assert labels[0].startswith("epoch 0 ") and labels[-1].startswith("epoch 200 ")
    assert len(spec["frames"]) == len(labels) > 50
    assert any("test accuracy" in c.value and "3,000 updates" in c.value for c in at.caption)


def test_a_setting_the_network_does_not_use_reuses_its_training_run(monkeypatch):
    import explorers.jobs

    calls = []
    real = explorers.jobs.record_training
    monkeypatch.setattr(explorers.jobs, "record_training", lambda *a, **k: calls.append(1) or real(*a, **k))
    view = {"seed": "7731", "layers": "1", "epochs": "20"}
    assert_clean(open_page(PAGE, **view))
    assert len(calls) == 1
    for unused in ({"units4": "9"}, {"act3": "relu"}, {"alpha": "0.5"}, {"classes": "5"}):
        assert_clean(open_page(PAGE, **view, **unused))  # a second layer, a penalty, blobs: not in this run
    assert len(calls) == 1
    assert_clean(open_page(PAGE, **view, units1="3"))  # one the network uses trains again
    assert len(calls) == 2
    assert_clean(open_page(PAGE, **view, test="0"))
    assert_clean(open_page(PAGE, **view, test="0", show_test="false"))  # no test points to hide: same figure
    assert len(calls) == 3


def test_keep_training_continues_past_the_animation():
    at = open_page(PAGE)
    at.toggle(key="decision-boundary.live").set_value(True).run()
    assert_clean(at)
    specs = list(chart_specs(at).values())
    assert not any(spec.get("frames") for spec in specs)  # a still figure, redrawn by the fragment
    title = specs[0]["layout"]["title"]["text"]
    epoch = int(title.split()[1])
    assert epoch > 200  # went on from the animation's last epoch (200)
    at.toggle(key="decision-boundary.live").set_value(False).run()
    assert main_figure(at)["frames"]


def test_compare_with_scikit_learn_lists_every_model_and_draws_their_maps():
    at = open_page(PAGE, compare="true")
    assert_clean(at)
    table = at.dataframe[0].value
    assert len(table) == 7 and table["model"].iloc[0].startswith("this network")
    assert table["test accuracy"].min() > 0.8  # circle data: every model does well
    still = [spec for spec in chart_specs(at).values() if not spec.get("frames")]  # the confusion matrix, the zoo
    assert len([t for t in still[-1]["data"] if t["type"] == "heatmap"]) == 6


def test_a_gate_cannot_be_split_in_half_and_the_page_says_what_to_change():
    at = open_page(PAGE, data="and", n="4", test="0.5")
    assert not at.exception
    assert any("test_size" in e.value and "What to change" in e.value for e in at.error)


def test_too_many_updates_are_capped_with_a_warning():
    at = open_page(PAGE, batch="1", epochs="2000", n="1000")
    assert_clean(at)
    assert any("updates" in w.value and "raise the batch size" in w.value for w in at.warning)
    labels = [s["label"] for s in main_figure(at)["layout"]["sliders"][0]["steps"]]
    assert labels[-1].startswith("epoch 120 ")  # 60,000 updates / 500 per epoch


def test_a_diverging_learning_rate_is_reported_not_drawn_as_data():
    at = open_page(PAGE, data="circle", layers="2", units1="8", units2="8", act1="leaky_relu",
                   act2="leaky_relu", lr="10")
    assert_clean(at)
    assert any("diverged" in e.value and "lower the learning rate" in e.value for e in at.error)


@pytest.mark.parametrize("query", [{"layers": "0"}, {"data": "blobs", "classes": "5", "output": "softmax"},
                                   {"loss": "squared_error", "penalty": "l1", "alpha": "0.01"},
                                   {"features": "x1,x2,x1_sq,x2_sq,x1x2,sin_x1,sin_x2", "layers": "6",
                                    "units1": "16", "units2": "16", "units3": "16", "units4": "16",
                                    "units5": "16", "units6": "16", "epochs": "20"}])
def test_other_settings_run_within_the_payload_budget(query):
    at = open_page(PAGE, **query)
    assert_clean(at)
    assert all(len(c.proto.spec) < 3_000_000 for c in at.get("plotly_chart"))


def test_own_points_from_a_csv_train_and_bad_columns_are_explained():
    import numpy as np
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (1500, 2))
    kind = np.where(X[:, 0] * X[:, 1] > 0, "same", "different")
    csv = "u,v,kind\n" + "\n".join(f"{a:.3f},{b:.3f},{k}" for (a, b), k in zip(X, kind))
    at = open_page(PAGE, data="upload", layers="1", units1="6", optimizer="adam", lr="0.03", epochs="60")
    at.file_uploader[0].set_value(("xor.csv", csv.encode(), "text/csv")).run()
    assert_clean(at)
    assert any("Training on 300 of the 1,500" in i.value for i in at.info)
    spec = main_figure(at)
    assert {t.get("name") for t in spec["data"] if t.get("showlegend", True) and t.get("name", "").startswith("class")} == {"class 0", "class 1"}
    at.selectbox(key="decision-boundary.label").set_value("u").run()
    assert any("three different columns" in e.value for e in at.error)


@pytest.mark.parametrize("query, binary", [({}, True), ({"data": "blobs", "classes": "3"}, False)])
def test_the_math_panel_shows_the_loss_the_network_trains(query, binary):
    """One sigmoid output trains on −(y log p + (1 − y) log(1 − p)) (it once showed −Σ y_k log p_k, which for one
    output drops the second term); softmax on the categorical form. The network's loss is checked against
    scikit-learn's log_loss for both."""
    import numpy as np
    from sklearn.metrics import log_loss

    from core.neural_net import MLPClassifier

    at = open_page("pages/decision-boundary.py", **query)
    assert_clean(at)
    shown = " ".join(e.proto.body for e in at.get("latex"))
    assert (r"(1 - y) \log(1 - p)" in shown) is binary and (r"\sum_k y_k \log p_k" in shown) is not binary
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 2)), rng.integers(0, 2 if binary else 3, 40)
    model = MLPClassifier((3,), max_iter=1, random_state=0).fit(X, y)
    loss = model.objective(model.theta_, X, model.targets(y))
    assert loss == pytest.approx(log_loss(y, model.predict_proba(X)), rel=1e-9)
