"""The PCA vs t-SNE page driven with AppTest: the animation, the quality numbers, uploads and bad settings."""

import base64
import json
import re

import numpy as np

from tests.test_app_pages import assert_clean, open_page

PAGE = "pages/pca-vs-tsne.py"


def main_figure(at):
    return next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if json.loads(c.proto.spec).get("frames"))


def point_traces(at) -> list[dict]:
    """The main figure's traces of points (each carries its rows' numbers), left panel's first for each class."""
    return [t for t in main_figure(at)["data"] if "customdata" in t]


def row_numbers(trace) -> np.ndarray:
    """A trace's ``customdata`` (the row numbers, sent as a typed array)."""
    data = trace["customdata"]
    return np.frombuffer(base64.b64decode(data["bdata"]), dtype={"u2": np.uint16, "u4": np.uint32}[data["dtype"]])


def test_digits_replay_tsne_beside_pca_and_hover_names_row_and_label():
    at = open_page(PAGE, n="300", iterations="300")
    assert_clean(at)
    spec = main_figure(at)
    labels = [s["label"] for s in spec["layout"]["sliders"][0]["steps"]]
    assert labels[0].startswith("0 ") and labels[-1].startswith("300")
    assert len([t for t in spec["data"] if t.get("xaxis") in (None, "x")]) == 10  # ten digits on the PCA side
    text = json.dumps(spec, ensure_ascii=False)
    assert not any(block in text for block in "░▒▓█")  # no pictures in block characters any more
    for trace in point_traces(at):  # both panels: the row number per point, the label from the trace's name
        assert trace["hovertemplate"] == "row %{customdata}<br>label: %{fullData.name}<extra></extra>"
        assert "text" not in trace
    rows = np.concatenate([row_numbers(t) for t in point_traces(at) if t.get("xaxis") in (None, "x")])
    assert len(rows) == 300 and len(set(rows)) == 300 and rows.max() < 1797  # rows of the 1,797 digits
    values = {m.label: m.value for m in at.metric}
    assert float(values["Trustworthiness: t-SNE"]) > float(values["Trustworthiness: PCA"]) > 0.5


def test_small_multiples_show_five_perplexities_and_three_seeds():
    at = open_page(PAGE, data="iris", multiples="true", iterations="250")
    assert_clean(at)
    titles = [a["text"] for c in at.get("plotly_chart") for a in json.loads(c.proto.spec)["layout"].get(
        "annotations", [])]
    assert {"perplexity 2", "perplexity 5", "perplexity 30", "random start, seed 0", "random start, seed 1",
            "random start, seed 2"} <= set(titles)


def test_the_seed_row_really_varies_and_says_by_how_much():
    """From the PCA start every seed gives the same map (so the row once showed three identical maps); the row
    starts at random, and its summary reports the Procrustes disparity it measured."""
    from core.embedding_data import make_embeddable
    from core.tsne import TSNE, layout_disparity
    from explorers.jobs import tsne_multiples

    d = make_embeddable("iris", 150, 0.0, 0)
    same = [TSNE(max_iter=250, random_state=s).fit_transform(d.X) for s in (0, 1)]
    assert np.array_equal(same[0], same[1])
    _, by_seed = tsne_multiples(d.X, [], 30.0, (0, 1, 2), 0)
    assert not np.allclose(by_seed[0], by_seed[1])
    assert max(layout_disparity(by_seed[0], other, d.labels) for other in by_seed[1:]) > 0
    at = open_page(PAGE, data="iris", multiples="true", iterations="250")
    words = [m.value for e in at.expander if "This chart in words" in e.label for m in e.markdown]
    assert any("random starts" in w and "Procrustes disparity" in w for w in words), words


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


# --- a clicked point ------------------------------------------------------------------------------------------
# AppTest cannot click a Plotly chart (the browser test does: tests/test_embedding_click_browser.py), so the
# selection's reading, viz.embedding.clicked_row, is made to report a row; everything after it is the page's.

def click(monkeypatch, at, row):
    monkeypatch.setattr("viz.embedding.clicked_row", lambda points: row)
    at.run()
    monkeypatch.undo()  # the next runs see the chart's own (empty) selection again
    return at


def clicked_panel(at) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.caption] if "Click" in m.value or "picture" in m.value)


def test_clicking_a_digit_shows_its_image_and_is_remembered_in_the_session_only(monkeypatch):
    at = open_page(PAGE, n="300", iterations="250")
    assert "Click a point in either panel to see its image here." in clicked_panel(at)
    assert not at.get("image")
    threes = next(t for t in point_traces(at) if t["name"] == "3")
    row = int(row_numbers(threes)[4])
    click(monkeypatch, at, row)
    assert_clean(at)
    assert f"Clicked: row {row} of the handwritten digits data, the digit 3" in clicked_panel(at)
    (image,) = at.get("image")
    assert image.proto.imgs[0].url.endswith(".png")  # the 8×8 picture, upscaled, pixels kept sharp
    assert "row" not in str(dict(at.query_params)) and "clicked" not in str(dict(at.query_params))
    # another figure (other components) is a new chart with nothing selected: the clicked digit stays
    at.number_input(key="pca-vs-tsne.pc_x").set_value(3).run()
    assert f"Clicked: row {row}" in clicked_panel(at) and at.get("image")
    # other data: the row is not shown
    at.number_input(key="pca-vs-tsne.seed").set_value(1).run()
    assert "Click a point" in clicked_panel(at) and not at.get("image")


def test_clearing_the_selection_of_the_clicked_chart_forgets_the_row(monkeypatch):
    at = open_page(PAGE, n="300", iterations="250")
    row = int(row_numbers(point_traces(at)[0])[0])
    click(monkeypatch, at, row)
    assert f"Clicked: row {row}" in clicked_panel(at)
    at.run()  # the same chart, its selection now empty (a double-click clears it)
    assert "Click a point" in clicked_panel(at) and not at.get("image")


def test_clicking_a_table_row_shows_its_values(monkeypatch):
    at = open_page(PAGE, data="iris", iterations="250")
    row = int(row_numbers(next(t for t in point_traces(at) if t["name"] == "virginica"))[0])
    click(monkeypatch, at, row)
    assert_clean(at)
    assert f"**Clicked: row {row} of the iris flowers data** — label: virginica" in clicked_panel(at)
    (table,) = [d.value for d in at.dataframe]
    from core.embedding_data import load_table

    assert list(table["feature"]) == [str(f) for f in load_table("iris")["feature_names"]]
    np.testing.assert_array_equal(table["value"], load_table("iris")["X"][row])


# --- uploads: colour by the label column ----------------------------------------------------------------------

def iris_like_csv(with_species: bool = True) -> bytes:
    rng = np.random.default_rng(1)
    species = ["setosa", "versicolor", "virginica"]
    lines = ["sepal_length,sepal_width,petal_length,petal_width" + (",species" if with_species else "")]
    for k, name in enumerate(species):
        for row in rng.normal(k * 2.0, 0.4, (30, 4)):
            lines.append(",".join(f"{v:.2f}" for v in row) + (f",{name}" if with_species else ""))
    return "\n".join(lines).encode()


def test_an_uploaded_csv_with_a_species_column_is_coloured_by_species(monkeypatch):
    at = open_page(PAGE, data="upload", iterations="250")
    at.file_uploader[0].set_value(("iris.csv", iris_like_csv(), "text/csv")).run()
    assert_clean(at)
    assert at.selectbox(key="embeddings.label").value == "species"
    traces = point_traces(at)
    legend = [t["name"] for t in traces if t.get("showlegend") is not False]
    assert legend == ["setosa", "versicolor", "virginica"]  # one trace group per species, named in the legend
    assert sorted(t["name"] for t in traces) == sorted(legend * 2)  # ... on both panels
    assert "Colour and marker shape show the 3 labels" in " ".join(e.value for e in at.markdown)
    # a click shows the row as the file has it, the species included
    row = int(row_numbers(next(t for t in traces if t["name"] == "virginica"))[0])
    click(monkeypatch, at, row)
    (table,) = [d.value for d in at.dataframe]
    assert list(table["column"])[-1] == "species" and table["value"].iloc[-1] == "virginica"
    # the visitor's choice stands on later runs
    at.selectbox(key="embeddings.label").set_value("(none)").run()
    assert [t["name"] for t in point_traces(at)] == ["points", "points"]


def test_an_uploaded_csv_without_a_label_column_is_one_colour():
    at = open_page(PAGE, data="upload", iterations="250")
    at.file_uploader[0].set_value(("plain.csv", iris_like_csv(with_species=False), "text/csv")).run()
    assert_clean(at)
    assert at.selectbox(key="embeddings.label").value == "(none)"
    traces = point_traces(at)
    assert [t["name"] for t in traces] == ["points", "points"]
    assert traces[0]["hovertemplate"] == "row %{customdata}<extra></extra>"
    assert sorted(row_numbers(traces[0])) == list(range(90))


def test_the_animation_is_described_as_it_runs_from_the_pca_start_and_by_its_real_growth():
    """It once said "from a random start" and "its spread grows a hundredfold": it starts from the PCA projection
    at std 1e-4 and, at the defaults, grows about 300,000-fold."""
    at = open_page(PAGE)
    words = " ".join(m.value for e in at.expander if "This chart in words" in e.label for m in e.markdown)
    assert "random start" not in words and "PCA projection shrunk to a spread of 10⁻⁴" in words
    caption = next(c.value for c in at.caption if "-fold" in c.value)
    growth = float(re.search(r"grows ([\d,]+)-fold", caption).group(1).replace(",", ""))
    assert 1e5 < growth < 1e6, caption


# --- linked views: a clicked point's nearest neighbours in the data -------------------------------------------

def test_a_click_highlights_the_points_ten_nearest_neighbours_in_the_data(monkeypatch):
    """The neighbours are the data's (scikit-learn's NearestNeighbors on the same rows), not the maps'; the page
    hands them to the browser (ui/linked_selection.py), which selects them in both panels."""
    from sklearn.neighbors import NearestNeighbors

    from explorers.embeddings import dataset

    at = open_page(PAGE, data="iris", iterations="250")
    row = int(row_numbers(next(t for t in point_traces(at) if t["name"] == "versicolor"))[3])
    click(monkeypatch, at, row)
    assert_clean(at)
    (marker,) = [h.proto.body for h in at.get("html") if h.proto.body.startswith("<div data-mme-highlight")]
    rows = [int(r) for r in re.search(r'data-rows="([\d ]+)"', marker).group(1).split()]
    data, _ = dataset("iris", 1000, 0.0, 0)
    i = int(np.flatnonzero(data.rows == row)[0]) if data.rows is not None else row
    _, expected = NearestNeighbors(n_neighbors=11).fit(data.X).kneighbors(data.X[i:i + 1])
    ids = np.arange(data.n_samples) if data.rows is None else data.rows
    assert rows[0] == row and set(rows[1:]) == set(ids[expected[0][1:]].tolist()) and len(rows) == 11
    assert "data-mme-highlight=\"embeddings\"" in marker
    assert any("its 10 nearest neighbours in the data" in c.value for c in at.caption)


def test_neighbours_are_the_nearest_rows_nearest_first():
    from sklearn.neighbors import NearestNeighbors

    from explorers.embeddings import neighbours

    X = np.random.default_rng(0).normal(size=(500, 20))
    _, expected = NearestNeighbors(n_neighbors=11).fit(X).kneighbors(X[[7]])
    assert list(neighbours(X, 7)) == list(expected[0][1:])
    assert list(neighbours(X[:5], 0)) and len(neighbours(X[:5], 0)) == 4  # fewer rows than k: all the others


def test_a_box_selection_is_not_taken_for_a_click(monkeypatch):
    """Box and lasso selections link the panels in the browser; the server keeps the clicked row it had."""
    at = open_page(PAGE, n="300", iterations="250")
    row = int(row_numbers(point_traces(at)[0])[0])
    click(monkeypatch, at, row)

    class Box:
        selection = {"points": [{"customdata": row + 1}], "box": [{"x": [0, 1], "y": [0, 1]}], "lasso": []}

    import streamlit as st
    real = st.plotly_chart
    monkeypatch.setattr(st, "plotly_chart", lambda *a, **k: (real(*a, **k), Box())[1])
    at.run()
    monkeypatch.undo()
    assert f"Clicked: row {row} " in clicked_panel(at)
