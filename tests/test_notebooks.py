"""Exported notebooks (ui/notebooks.py): each one runs in a real Jupyter kernel (nbclient + ipykernel) and redraws
the page's own figure — every trace and frame, array by array — and the numbers the page shows.

The page is driven with AppTest; its control values are read from session state, turned into a notebook, the
notebook is executed from the repository (or a folder inside it), and what it leaves in ``fig`` is compared with
the page's chart spec.
"""

import base64
import json
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell
from streamlit.testing.v1 import AppTest

from ui.notebooks import (NOTEBOOK_PAGES, UPLOAD_REFUSAL, notebook_file_name, notebook_for, notebook_refusal,
                          parameter_lines)
from ui.registry import EXPLORERS
from ui.view import DECLARED

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PATHS = {e.url_path: e.path for e in EXPLORERS}
#: The notebook's figure variables and the page charts (by key) they must reproduce.
CHARTS = {
    "fit-a-line": {"fig": "fit-animation"},
    "optimizers": {"fig": "race"},
    "decision-boundary": {"fig": "boundary"},
    "batch-size": {"fig": "race"},
    "pca-vs-tsne": {"fig": "embeddings"},
    "calibration": {"fig": "paradox", "threshold_fig": "thresholds"},
}
#: Views to reproduce: every page's defaults, and cheap presets or links that take other paths through the recipes.
CASES = [
    *[(page, {}) for page in CHARTS],
    ("fit-a-line", {"preset": "diverging"}),  # the run blows up and stops early
    ("optimizers", {"surface": "custom", "opts": "sgd,adam,adamw", "per_lr": "1", "lr_adam": "0.2",
                    "schedule": "cosine", "y0": "0.00001"}),  # your formula, a rate per racer, a schedule
    ("decision-boundary", {"data": "blobs", "classes": "4", "n": "100", "test": "0", "layers": "1", "units1": "3",
                           "features": "x1,x2,x1_sq", "penalty": "l2", "alpha": "0.01", "batch": "1",
                           "epochs": "1000"}),  # softmax, L2, no test set, and the update budget cuts the epochs
    ("batch-size", {"preset": "full-batch-cost", "scale_lr": "1"}),  # loss against measured seconds; the linear
    # rule makes the full batch's step 512 × η, which diverges
    ("pca-vs-tsne", {"data": "swiss_roll", "n": "300", "standardize": "1", "lr": "200", "iterations": "250",
                     "pc_x": "3", "pc_y": "1"}),
    ("calibration", {"preset": "nb-isotonic"}),  # naive Bayes, duplicated features, isotonic calibration
]


def open_page(page: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run().switch_page(PATHS[page])  # pages with a custom url_path are known once st.navigation has run
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [w for w in at.warning if w.icon == "🔗"], [w.value for w in at.warning]  # every link value used
    return at


def page_values(at: AppTest, page: str) -> dict:
    """What ``View.values()`` returns on the page: every declared control's value, from session state."""
    params, _ = DECLARED[page]
    return {p.name: at.session_state[f"{page}.{p.name}"] for p in params}


def chart(at: AppTest, key: str) -> dict:
    """The spec of the page's chart drawn with ``key`` (Streamlit ends the element id with the user key)."""
    found = [c.proto.spec for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    assert len(found) == 1, f"expected one chart with key {key!r}, found {len(found)}"
    return json.loads(found[0])


@pytest.fixture(scope="module")
def notebook_client():
    """nbclient with ipykernel, from requirements-dev.txt: missing is a failure with a fix, never a skip."""
    try:
        from nbclient import NotebookClient
        import ipykernel  # noqa: F401
    except ImportError as error:
        pytest.fail(f"Running notebooks needs nbclient and ipykernel ({error}): "
                    "run `pip install -r requirements-dev.txt` (make test does).")
    return NotebookClient


def run_notebook(notebook_client, text: str, names, out: Path, cwd: Path = ROOT) -> dict:
    """Execute the notebook from ``cwd``; a last cell saves its figures' JSON and its ``numbers``."""
    nb = nbformat.reads(text, as_version=4)
    nb.cells.append(new_code_cell(
        "import json as _json, pathlib as _pathlib\n"
        f"_pathlib.Path({str(out)!r}).write_text(_json.dumps({{'figures': {{name: globals()[name].to_json() "
        f"for name in {list(names)!r}}}, 'numbers': numbers}}, default=float))"))
    notebook_client(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    saved = json.loads(out.read_text())
    return {"figures": {name: json.loads(spec) for name, spec in saved["figures"].items()}, "numbers": saved["numbers"]}


# ------------------------------------------------------------------------------------------- comparing figures


def decoded(node):
    """Figure JSON with Plotly's base64 typed arrays ``{"dtype", "bdata", "shape"}`` as NumPy arrays."""
    if isinstance(node, dict):
        if "bdata" in node and "dtype" in node:
            array = np.frombuffer(base64.b64decode(node["bdata"]), dtype=np.dtype(node["dtype"]))
            shape = node.get("shape")
            if shape is not None:
                array = array.reshape([int(s) for s in str(shape).split(",")])
            return array
        return {key: decoded(value) for key, value in node.items()}
    if isinstance(node, list):
        return [decoded(value) for value in node]
    return node


def assert_same(ours, theirs, path="", skip=lambda path: False):
    """Recursively equal: integer arrays exactly, float arrays and numbers to float32 round-off, text exactly."""
    if skip(path):
        return
    if isinstance(ours, np.ndarray) or isinstance(theirs, np.ndarray):
        a, b = np.asarray(ours), np.asarray(theirs)
        assert a.shape == b.shape, f"{path}: shape {a.shape} != {b.shape}"
        if a.dtype.kind in "iub" and b.dtype.kind in "iub":
            assert np.array_equal(a, b), f"{path}: integer arrays differ"
        else:
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-6, atol=1e-9, equal_nan=True,
                                       err_msg=path)
    elif isinstance(ours, dict):
        assert isinstance(theirs, dict) and ours.keys() == theirs.keys(), \
            f"{path}: keys {sorted(ours)} != {sorted(theirs) if isinstance(theirs, dict) else theirs!r}"
        for key in ours:
            assert_same(ours[key], theirs[key], f"{path}/{key}", skip)
    elif isinstance(ours, list):
        assert isinstance(theirs, list) and len(ours) == len(theirs), f"{path}: lengths differ"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{path}/{i}", skip)
    elif isinstance(ours, float) or isinstance(theirs, float):
        assert ours is not None and theirs is not None, f"{path}: {ours!r} != {theirs!r}"
        assert np.isclose(ours, theirs, rtol=1e-9, atol=0.0, equal_nan=True), f"{path}: {ours!r} != {theirs!r}"
    else:
        assert ours == theirs, f"{path}: {ours!r} != {theirs!r}"


def wall_clock(spec: dict, values: dict, page: str):
    """Paths of ``spec`` that show measured time (so differ run to run): only the batch-size race plotted against
    seconds of compute, whose second loss panel (axis x3) has seconds on its x-axis."""
    if page != "batch-size" or values["x_axis"] != "seconds":
        return lambda path: False
    timed = {i for i, trace in enumerate(spec["data"]) if trace.get("xaxis") == "x3"}
    frames = {f"/frames/{f}/data/{j}/x" for f, frame in enumerate(spec["frames"])
              for j, trace in enumerate(frame["traces"]) if trace in timed}
    return lambda path: (path in frames or path in {f"/data/{i}/x" for i in timed}
                         or path == "/layout/xaxis3/range")


def assert_same_figure(page, ours: dict, theirs: dict, values: dict):
    """Equal figures, but for wall-clock time and the theme template: Streamlit makes its theme Plotly's default
    template when it is imported, a notebook kernel keeps Plotly's, and whichever was the default when the figure
    was made is written into its layout. The template is the environment's, not the view's (and the page's chart
    is drawn with Streamlit's theme over it anyway)."""
    timed = wall_clock(theirs, values, page)
    assert_same(decoded(ours), decoded(theirs), skip=lambda path: path == "/layout/template" or timed(path))


# ------------------------------------------------------------------------------------------- comparing numbers


def metrics(at: AppTest) -> dict:
    return {m.label: m.value for m in at.metric}


def text_of(at: AppTest) -> str:
    return " ".join(e.value for kind in ("caption", "markdown") for e in at.get(kind))


def frame_of(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def assert_page_numbers(page: str, at: AppTest, numbers: dict):
    """The numbers the notebook prints are the ones the page shows, in the page's own formats."""
    if page == "fit-a-line":
        shown = metrics(at)
        for name in ("w after the run", "b after the run", "loss after the run"):
            assert shown[name] == f"{numbers[name]:.4g}", name
        assert shown["steps taken"] == str(numbers["steps taken"])
    elif page == "optimizers":
        table = frame_of(at, "final loss")
        assert list(table["optimizer"]) == list(numbers)
        np.testing.assert_allclose(table["final loss"], [row["final loss"] for row in numbers.values()], rtol=1e-9)
    elif page == "decision-boundary":
        text = text_of(at)
        assert f"{numbers['epochs trained']} epochs · " in text
        assert f"train accuracy {numbers['train accuracy']:.0%}" in text
        if np.isfinite(numbers["test accuracy"]):
            assert f"test accuracy {numbers['test accuracy']:.0%}" in text
    elif page == "batch-size":
        table = frame_of(at, "examples seen")
        assert list(table["batch"]) == list(numbers)
        for column in ("η", "final loss", "examples seen"):
            np.testing.assert_allclose(table[column], [row[column] for row in numbers.values()], rtol=1e-9)
    elif page == "pca-vs-tsne":
        shown = metrics(at)
        assert shown["Trustworthiness: PCA"] == f"{numbers['trustworthiness: PCA']:.3f}"
        assert shown["Trustworthiness: t-SNE"] == f"{numbers['trustworthiness: t-SNE']:.3f}"
        assert shown["t-SNE KL(P ‖ Q)"] == f"{numbers['t-SNE KL(P ‖ Q)']:.3f}"
        knn = {name: value for name, value in numbers.items() if "-NN kept" in name}
        assert knn and all(shown[name] == f"{value:.0%}" for name, value in knn.items())
    elif page == "calibration":
        assert f"ROC AUC {numbers['ROC AUC']:.3f}, average precision {numbers['average precision']:.3f}" in text_of(at)
        ours = frame_of(at, "balanced accuracy").iloc[0]
        for column, name in (("accuracy", "accuracy"), ("balanced accuracy", "balanced accuracy"), ("MCC", "MCC"),
                             ("recall", "recall (TPR)")):
            assert np.isclose(ours[column], numbers[name], rtol=1e-12), column
    else:  # a new page: add its numbers here
        raise AssertionError(f"no numbers check for {page}")


# ------------------------------------------------------------------------------------------- the tests


def test_every_notebook_page_is_an_explorer_and_every_explorer_has_a_notebook():
    assert set(NOTEBOOK_PAGES) == set(PATHS) == set(CHARTS)
    assert notebook_file_name("fit-a-line") == "fit-a-line.ipynb"
    with pytest.raises(ValueError, match="No notebook for page"):
        notebook_file_name("no-such-page")


@pytest.mark.parametrize("page, query", CASES, ids=[f"{p}-{'-'.join(q.values()) or 'defaults'}" for p, q in CASES])
def test_notebook_runs_and_redraws_the_pages_figure_and_numbers(notebook_client, tmp_path, page, query):
    at = open_page(page, **query)
    values = page_values(at, page)
    link = at.get("code")[0].proto.code_text  # the page's own "copy link to this view": View.share_link()
    assert f"/{page}" in link
    text = notebook_for(page, values, link)
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    assert link in nb.cells[0].source
    assert_parameters_are_the_pages_controls(page)
    result = run_notebook(notebook_client, text, CHARTS[page], tmp_path / "out.json")
    assert result["figures"]["fig"]["frames"]  # the page's animation, every frame of it
    for name, key in CHARTS[page].items():
        assert_same_figure(page, result["figures"][name], chart(at, key), values)
    assert_page_numbers(page, at, result["numbers"])


def test_a_changed_parameter_changes_the_figure_and_the_notebook_runs_from_a_subfolder(notebook_client, tmp_path):
    """The comparison above is not vacuous: one learning rate changed in the parameters cell, and the figure
    differs from the page's. Run from tests/ to show the set-up cell finds the repository from below."""
    at = open_page("fit-a-line")
    values = page_values(at, "fit-a-line")
    nb = nbformat.reads(notebook_for("fit-a-line", values, "http://localhost:8501/fit-a-line"), as_version=4)
    parameters = next(cell for cell in nb.cells if "parameters" in cell.metadata.get("tags", []))
    assert "lr = 0.3  # Learning rate η" in parameters.source
    parameters.source = parameters.source.replace("lr = 0.3 ", "lr = 0.2 ")
    result = run_notebook(notebook_client, nbformat.writes(nb), ["fig"], tmp_path / "out.json", cwd=ROOT / "tests")
    page_spec = chart(at, "fit-animation")
    with pytest.raises(AssertionError):
        assert_same_figure("fit-a-line", result["figures"]["fig"], page_spec, values)
    assert result["numbers"]["w after the run"] != float(metrics(at)["w after the run"])


@pytest.mark.parametrize("page, values, built_in", [
    ("decision-boundary", {"data": "upload"}, {"data": "circle"}),
    ("decision-boundary", {"data": "upload:0123456789abcdef"}, {"data": "circle"}),
    ("pca-vs-tsne", {"data": "upload"}, {"data": "digits"}),
    ("calibration", {"source": "upload"}, {"source": "synthetic"}),
])
def test_uploaded_data_is_refused_with_a_reason(page, values, built_in):
    assert notebook_refusal(page, values) == UPLOAD_REFUSAL and "built-in data only" in UPLOAD_REFUSAL
    with pytest.raises(ValueError) as error:
        notebook_for(page, values, "http://localhost:8501/" + page)
    assert str(error.value) == UPLOAD_REFUSAL
    assert notebook_refusal(page, built_in) is None


def assert_parameters_are_the_pages_controls(page: str):
    """Every name and label in the parameters cell is one the page declares: they must not drift apart. (Every
    hidden layer and every racer's own learning rate shown, so that all their labels are checked.)"""
    params, _ = DECLARED[page]
    labels = {p.name: p.label for p in params}
    values = {p.name: p.default for p in params}
    if page == "decision-boundary":
        values["layers"] = next(p.high for p in params if p.name == "layers")
    if page == "optimizers":
        values.update(per_lr=True, opts=tuple(next(p.options for p in params if p.name == "opts")))
    for line in parameter_lines(page, values):
        name, label = line.split(" = ")[0], line.split("  # ")[-1]
        assert labels.get(name) == label, (page, name)


def test_parameters_cell_round_trips_every_value_exactly():
    """Each line is ``name = repr(value)  # label``: executing the cell gives back the very values — floats to the
    last bit, a multiselect's list as a tuple, NumPy scalars as plain numbers."""
    values = {"surface": "custom", "expr": "x**2 + 'y'", "condition": 10.0, "angle": 0.0, "opts": ["sgd", "adam"],
              "lr": 0.1 + 0.2, "per_lr": True, "lr_sgd": 1e-4, "lr_adam": np.float64(0.07), "steps": np.int64(150),
              "beta": 0.9, "beta2": 0.999, "wd": 0.01, "schedule": "constant", "x0": -1 / 3, "y0": 1e-5}
    lines = parameter_lines("optimizers", values)
    namespace = {}
    exec("\n".join(lines), namespace)
    assert {k: v for k, v in namespace.items() if k != "__builtins__"} == {
        **{k: v for k, v in values.items() if k != "per_lr"}, "opts": ("sgd", "adam")}
    assert namespace["lr"] == 0.1 + 0.2 and namespace["x0"] == -1 / 3 and type(namespace["steps"]) is int
    assert "lr_sgd = 0.0001  # η for SGD" in lines and "lr_adam = 0.07  # η for Adam" in lines
    with pytest.raises(ValueError, match="lack"):
        parameter_lines("optimizers", {"surface": "bowl"})


def test_every_page_offers_its_notebook_and_an_upload_says_why_not():
    for explorer in EXPLORERS:
        at = open_page(explorer.url_path)
        labels = [b.proto.label for b in at.get("download_button")]
        assert "⬇️ Notebook (.ipynb)" in labels, explorer.url_path
    # an uploaded table is not in the link: the page says so instead of offering a notebook
    at = open_page("decision-boundary", data="upload", epochs="20")
    csv = "u,v,kind\n" + "\n".join(f"{i % 7},{i % 5},{'a' if i % 2 else 'b'}" for i in range(60))
    at.file_uploader[0].set_value(("points.csv", csv.encode(), "text/csv")).run()
    assert not any("Notebook" in b.proto.label for b in at.get("download_button"))
    assert any(UPLOAD_REFUSAL[:40] in c.value for c in at.caption)
