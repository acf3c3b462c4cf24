"""The PCA vs t-SNE page driven with AppTest: the animation, the quality numbers, uploads and bad settings."""

import json

import numpy as np

from tests.test_app_pages import assert_clean, open_page

PAGE = "explorers/embeddings.py"


def main_figure(at):
    return next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if json.loads(c.proto.spec).get("frames"))


def test_digits_replay_tsne_beside_pca_with_image_hovers():
    at = open_page(PAGE, n="300", iterations="300")
    assert_clean(at)
    spec = main_figure(at)
    labels = [s["label"] for s in spec["layout"]["sliders"][0]["steps"]]
    assert labels[0].startswith("0 ") and labels[-1].startswith("300")
    assert len([t for t in spec["data"] if t.get("xaxis") in (None, "x")]) == 10  # ten digits on the PCA side
    assert any("█" in text for t in spec["data"] for text in (t.get("text") or []))  # the digit, drawn
    values = {m.label: m.value for m in at.metric}
    assert float(values["Trustworthiness: t-SNE"]) > float(values["Trustworthiness: PCA"]) > 0.5


def test_small_multiples_show_five_perplexities_and_three_seeds():
    at = open_page(PAGE, data="iris", multiples="true", iterations="250")
    assert_clean(at)
    titles = [a["text"] for c in at.get("plotly_chart") for a in json.loads(c.proto.spec)["layout"].get(
        "annotations", [])]
    assert {"perplexity 2", "perplexity 5", "perplexity 30", "seed 0", "seed 1", "seed 2"} <= set(titles)


def test_a_perplexity_too_large_for_the_data_is_explained():
    at = open_page(PAGE, data="iris", n="50", perplexity="60")
    assert_clean(at)
    assert any("perplexity" in e.value.lower() and "What to change" in e.value for e in at.error)


def test_an_uploaded_csv_is_embedded_with_a_label_column():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (60, 5)), rng.normal(4, 1, (60, 5))])
    csv = "a,b,c,d,e,kind\n" + "\n".join(",".join(f"{v:.3f}" for v in row) + f",{'x' if i < 60 else 'y'}"
                                          for i, row in enumerate(X))
    csv += "\n1,2,,4,5,x"  # a row with a missing value: reported and dropped
    at = open_page(PAGE, data="upload", iterations="250")
    at.file_uploader[0].set_value(("mine.csv", csv.encode(), "text/csv")).run()
    at.selectbox(key="embeddings.label").set_value("kind").run()
    assert_clean(at)
    assert any("Dropped 1 row" in i.value for i in at.info)
    names = {t.get("name") for t in main_figure(at)["data"]}
    assert {"x", "y"} <= names
