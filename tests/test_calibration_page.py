"""The calibration page driven with AppTest: the threshold slider, costs, uploads and bad uploads."""

import json

import pytest

from tests.test_app_pages import assert_clean, open_page

PAGE = "pages/calibration.py"


def threshold_chart(at):
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def confusion(at):
    """The confusion matrix's cell texts as [[TN, FP], [FN, TP]] (annotations the figure's slider moves)."""
    texts = [a["text"] for a in threshold_chart(at)["layout"]["annotations"] if "of row" in a.get("text", "")]
    return [texts[:2], texts[2:]]


def test_the_threshold_slider_moves_the_confusion_matrix_and_the_metrics():
    at = open_page(PAGE)
    assert_clean(at)
    before = confusion(at)
    at.slider(key="calibration.t").set_value(0.9).run()
    assert_clean(at)
    after = confusion(at)
    assert before != after
    flagged_before = int(before[0][1].split("<br>")[0].replace(",", "")) + int(before[1][1].split("<br>")[0].replace(",", ""))
    flagged_after = int(after[0][1].split("<br>")[0].replace(",", "")) + int(after[1][1].split("<br>")[0].replace(",", ""))
    assert flagged_after < flagged_before  # a higher threshold flags fewer cases
    assert dict(at.query_params) == {"t": "0.9"}


def test_compare_two_thresholds_lists_both_per_ten_thousand():
    at = open_page(PAGE, compare="true", t_a="0.3", t_b="0.7")
    assert_clean(at)
    names = list(at.dataframe[0].value["threshold"])
    assert names[0].startswith("A = 0.30") and names[1].startswith("B = 0.70") and names[2].startswith("cheapest")


def test_an_uploaded_table_trains_and_a_label_with_three_classes_is_judged_one_against_the_rest():
    """A three-class label (iris, wine) was refused; now one class is judged against the others, and a column
    named like a label is the default."""
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2))
    y = (x[:, 0] + rng.normal(size=400) > 0).astype(int)
    species = np.array(["setosa", "versicolor", "virginica"])[np.digitize(x[:, 1], [-0.4, 0.4])]
    csv = "a,b,flag,species,same\n" + "\n".join(f"{a:.3f},{b:.3f},{c},{s},1" for (a, b), c, s in
                                                  zip(x, y, species))
    at = open_page(PAGE, source="upload")
    at.file_uploader[0].set_value(("cases.csv", csv.encode(), "text/csv")).run()
    assert_clean(at)
    assert at.selectbox(key="calibration.label").value == "species"  # named like a label
    assert at.selectbox(key="calibration.positive").value == "setosa"
    assert any("setosa vs the rest" in c.value and "other 2 classes" in c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 5 and not at.error
    at.selectbox(key="calibration.positive").set_value("virginica").run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 5 and not at.error
    assert any("virginica vs the rest" in c.value for c in at.caption)
    at.selectbox(key="calibration.label").set_value("flag").run()
    assert_clean(at)
    assert not any("vs the rest" in c.value for c in at.caption)  # two values: no class to pick
    assert len(at.get("plotly_chart")) == 5 and not at.error
    at.selectbox(key="calibration.label").set_value("same").run()
    assert_clean(at)
    assert any("two values or more" in e.value and "1" in e.value for e in at.error)


def test_a_broken_upload_is_explained():
    at = open_page(PAGE, source="upload")
    at.file_uploader[0].set_value(("junk.csv", bytes(range(256)) * 10, "text/csv")).run()
    assert_clean(at)
    assert at.error and not at.get("plotly_chart")


def test_an_uploaded_score_column_is_judged_as_it_is_and_a_non_probability_is_refused():
    import numpy as np
    rng = np.random.default_rng(1)
    y = (rng.random(600) < 0.3).astype(int)
    p = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.15, 600), 0, 1)
    csv = "outcome,prob,logit\n" + "\n".join(f"{a},{b:.4f},{np.log(b + 1e-3) * 3:.3f}" for a, b in zip(y, p))
    at = open_page(PAGE, source="upload")
    at.file_uploader[0].set_value(("scores.csv", csv.encode(), "text/csv")).run()
    at.radio(key="calibration.mode").set_value("a score to judge").run()
    at.selectbox(key="calibration.score").set_value("prob").run()
    assert_clean(at)
    assert not at.error and len(at.get("plotly_chart")) == 5
    assert not [s for s in at.selectbox if s.key == "calibration.model"]  # nothing to train
    at.selectbox(key="calibration.score").set_value("logit").run()
    assert any("probabilities in [0, 1]" in e.value for e in at.error)


def test_a_model_fitted_on_a_share_of_the_training_rows_says_so():
    at = open_page(PAGE, model="svm")
    assert_clean(at)
    assert any("fitted on 2,000 of the 10,000 training rows" in c.value for c in at.caption)
    at = open_page(PAGE)  # logistic regression: every row, nothing to say
    assert not any("training rows, chosen at random" in c.value for c in at.caption)


def shown_cells(at) -> list[str]:
    """Every cell of every table on the page, as the page shows it."""
    return [str(v) for df in at.dataframe for v in df.value.to_numpy().ravel()] + \
        [str(v) for t in at.table for v in t.value.to_numpy().ravel()]


def assert_no_bare_missing_values(at):
    assert at.dataframe, "no table drawn"
    for df in at.dataframe:
        assert not df.value.isna().to_numpy().any(), df.value
    assert not [c for c in shown_cells(at) if c.strip().lower() in ("none", "nan", "<na>", "null")]


@pytest.mark.parametrize("query", [{}, {"preset": "car-crash"}, {"preset": "fraud"}, {"preset": "nb-isotonic"},
                                   {"preset": "isotonic-overfit"}, {"t": "1.0"},
                                   {"compare": "true", "t_a": "1.0", "t_b": "0.0"}])
def test_no_table_shows_none_or_nan(query):
    """"Always say no" flags nothing, so its precision is 0/0: the table says so in words, not "None"."""
    at = open_page(PAGE, **query)
    assert_clean(at)
    assert_no_bare_missing_values(at)
    paradox = next(df.value for df in at.dataframe if "balanced accuracy" in df.value.columns)
    assert paradox["precision"].iloc[1] == "— (none flagged)"


def labelled_csv() -> str:
    """400 rows of two features and a 0/1 label that depends on the first."""
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2))
    y = (x[:, 0] + rng.normal(size=400) > 0).astype(int)
    return "a,b,label\n" + "\n".join(f"{a:.3f},{b:.3f},{c}" for (a, b), c in zip(x, y))


def test_no_table_shows_none_or_nan_for_an_uploaded_table():
    csv = labelled_csv()
    at = open_page(PAGE, source="upload")
    at.file_uploader[0].set_value(("cases.csv", csv.encode(), "text/csv")).run()
    assert_clean(at)
    assert_no_bare_missing_values(at)
    at.slider(key="calibration.t").set_value(1.0).run()  # nothing flagged: "ours" has no precision either
    assert_clean(at)
    assert_no_bare_missing_values(at)
