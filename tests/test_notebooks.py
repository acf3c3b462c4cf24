"""Exported notebooks (ui/notebooks.py): each one runs in a real Jupyter kernel (nbclient + ipykernel) outside the
repository and redraws the page's own figure — every trace and frame, array by array — and the numbers the page
shows.

The page is driven with AppTest; its control values are read from session state, turned into a notebook, the
notebook is copied to a temporary folder and executed there by a kernel that cannot import the app (its packages
are off the path and refused, as are Streamlit, Pillow and orjson), and what it leaves in ``fig`` is compared with
the page's chart spec. A static check reads every code cell: it imports nothing from the app and every name it
uses is defined in it.
"""

import ast
import base64
import builtins
import functools
import importlib
import inspect
import io
import json
import os
import re
import symtable
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell
from streamlit.testing.v1 import AppTest

from ui.notebook_source import NOTEBOOK_VERSIONS, CarryError, _renamed
from ui.notebooks import (NOTEBOOK_PAGES, UPLOAD_REFUSAL, notebook_file_name, notebook_for, notebook_refusal,
                          parameter_lines)
from ui.registry import EXPLORERS
from ui.registry import explorer

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


#: The packages an exported notebook may import, besides Python's standard library: the issue's five, and
#: threadpoolctl, which scikit-learn installs and needs (baselines/scorers.py limits its threads with it).
ALLOWED_PACKAGES = {"numpy", "scipy", "sklearn", "pandas", "plotly", "threadpoolctl"}
#: What the kernel running an exported notebook refuses to import: the app's own packages, and what only the app
#: installs (Streamlit; Pillow comes with it; orjson is the app's faster JSON).
REFUSED = ("core", "ui", "viz", "explorers", "baselines", "app", "streamlit", "PIL", "orjson")
#: Prepended to a notebook before it runs: the app is not on the path, and the refused packages cannot be imported.
OUTSIDE = f"""\
import importlib.abc, sys
from pathlib import Path

assert not [p for p in sys.path if (Path(p or ".") / "core").is_dir() and (Path(p or ".") / "viz").is_dir()], sys.path


class _Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {REFUSED!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (refused outside the app)", name=name)
        return None


for _name in [m for m in sys.modules if m.split(".")[0] in {REFUSED!r}]:
    del sys.modules[_name]
sys.meta_path.insert(0, _Refuse())"""


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
    params = explorer(page).declarations().PARAMS
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


def run_notebook(notebook_client, text: str, names, out: Path) -> dict:
    """Copy the notebook to a folder of its own beside ``out`` and execute it there, outside the repository, in a
    kernel without the repository on its path (:data:`OUTSIDE`); a last cell saves its figures' JSON and its
    ``numbers`` to ``out``."""
    folder = out.parent / "elsewhere"
    folder.mkdir()
    assert not folder.resolve().is_relative_to(ROOT)
    (folder / "exported.ipynb").write_text(text, encoding="utf-8")
    nb = nbformat.read(folder / "exported.ipynb", as_version=4)
    nb.cells.insert(0, new_code_cell(OUTSIDE))
    nb.cells.append(new_code_cell(
        "import json as _json, pathlib as _pathlib\n"
        f"_pathlib.Path({str(out)!r}).write_text(_json.dumps({{'figures': {{name: globals()[name].to_json() "
        f"for name in {list(names)!r}}}, 'numbers': numbers}}, default=float))"))
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    notebook_client(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
                    ).execute(env=env)
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


def pixels(uri: str) -> np.ndarray:
    """The pixels of a ``data:image/png;base64,...`` picture (the test may use Pillow; the notebook does not)."""
    from PIL import Image

    assert uri.startswith("data:image/png;base64,"), uri[:40]
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


def assert_same_figure(page, ours: dict, theirs: dict, values: dict):
    """Equal figures, but for wall-clock time and the theme template: Streamlit makes its theme Plotly's default
    template when it is imported, a notebook kernel keeps Plotly's, and whichever was the default when the figure
    was made is written into its layout. The template is the environment's, not the view's (and the page's chart
    is drawn with Streamlit's theme over it anyway). A picture under a panel (``viz.raster``) is compared pixel by
    pixel: the notebook encodes its PNG without Pillow, so the same pixels are different bytes."""
    timed = wall_clock(theirs, values, page)
    picture = re.compile(r"/layout/images/\d+/source")
    assert_same(decoded(ours), decoded(theirs),
                skip=lambda path: path == "/layout/template" or timed(path) or bool(picture.fullmatch(path)))
    images = [(ours.get("layout", {}).get("images") or []), (theirs.get("layout", {}).get("images") or [])]
    for mine, page_image in zip(*images):
        assert np.array_equal(pixels(mine["source"]), pixels(page_image["source"])), "a picture's pixels differ"


# ------------------------------------------------------------------------------------------- reading the code


def code_of(nb) -> str:
    """Every code cell, in order, as one module (a cell's ``from __future__`` line is for IPython: dropped)."""
    return "\n\n".join("\n".join(line for line in cell.source.splitlines() if not line.startswith("from __future__"))
                       for cell in nb.cells if cell.cell_type == "code")


def imported_packages(code: str) -> set[str]:
    """The top-level package of every import anywhere in ``code``, inside functions too."""
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add("." if node.level else node.module.split(".")[0])
    return found


def undefined_globals(code: str) -> set[str]:
    """Names the code reads as globals, in any function or class, that no top-level statement binds and that are
    not builtins: what a kernel outside the repository would raise NameError for. (A function's annotations are
    left out: every cell of the app's code starts ``from __future__ import annotations``, so they are never
    evaluated. A class's are kept: ``dataclasses`` looks ``ClassVar`` up by name.)"""
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            node.annotation = None
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.returns = None
    table = symtable.symtable(ast.unparse(tree), "<notebook>", "exec")
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    missing, scopes = set(), [table]
    while scopes:
        scope = scopes.pop()
        for symbol in scope.get_symbols():
            read = symbol.is_referenced() and (scope is table or symbol.is_global())
            if read and symbol.get_name() not in bound and not hasattr(builtins, symbol.get_name()):
                missing.add(symbol.get_name())
        scopes.extend(scope.get_children())
    return missing


def assert_self_contained(text: str):
    """The notebook imports nothing from the app (nor Streamlit), only the standard library and
    :data:`ALLOWED_PACKAGES`, says that it carries the app's code, and defines every name it uses."""
    nb = nbformat.reads(text, as_version=4)
    code = code_of(nb)
    repo_import = re.compile(r"^\s*(from|import)\s+(core|ui|viz|explorers|baselines|streamlit)\b", re.MULTILINE)
    assert not repo_import.findall(code), repo_import.findall(code)
    assert imported_packages(code) <= ALLOWED_PACKAGES | set(sys.stdlib_module_names), \
        imported_packages(code) - ALLOWED_PACKAGES - set(sys.stdlib_module_names)
    assert not undefined_globals(code), f"used but never defined in the notebook: {sorted(undefined_globals(code))}"
    markdown = " ".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    assert "copied so this notebook runs anywhere" in markdown
    assert_carried_source_is_the_apps(nb)


def assert_carried_source_is_the_apps(nb):
    """Each function and class the notebook carries is, character for character, the source the Math & code
    panel shows (``inspect.getsource``), but for the few definitions renamed or replaced, which their module's
    note names, the definitions that call a renamed one, and those that imported another app module inside."""
    cells = nb.cells
    checked = 0
    for heading, cell in zip(cells, cells[1:]):
        if "app-code" not in cell.metadata.get("tags", []):
            continue
        path = re.match(r"### `([\w/]+)\.py`", heading.source).group(1)
        module = importlib.import_module(path.replace("/", "."))
        assert cell.metadata["jupyter"]["source_hidden"]  # folded: the steps stay the notebook's story
        changed = set(re.findall(r"`(\w+)` is `(\w+)` here", heading.source)) | {
            (name, name) for (m, name) in NOTEBOOK_VERSIONS if m == module.__name__}
        renamed = {new for _, new in changed}
        for node in ast.parse(cell.source).body:
            if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) or node.name in renamed:
                continue
            source = ast.get_source_segment(cell.source, node, padded=True)
            if any(re.search(rf"\b{new}\b", source) for new in renamed) or ": copied above)" in source:
                continue  # it calls a renamed definition, or its import of another app module is now a comment
            assert inspect.getsource(getattr(module, node.name)).rstrip() in cell.source, f"{path}.{node.name}"
            checked += 1
    assert checked >= 10


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
    assert_self_contained(text)
    result = run_notebook(notebook_client, text, CHARTS[page], tmp_path / "out.json")
    assert result["figures"]["fig"]["frames"]  # the page's animation, every frame of it
    for name, key in CHARTS[page].items():
        assert_same_figure(page, result["figures"][name], chart(at, key), values)
    assert_page_numbers(page, at, result["numbers"])


@pytest.mark.parametrize("page", list(CHARTS))
def test_every_notebook_imports_nothing_from_the_app_and_defines_every_name_it_uses(page):
    """Fast, without a kernel: every page's notebook (every hidden layer and every racer's own learning rate
    included, so that all their code paths are read) carries the app's code instead of importing it."""
    at = open_page(page)
    values = page_values(at, page)
    params = explorer(page).declarations().PARAMS
    if page == "decision-boundary":
        values["layers"] = next(p.high for p in params if p.name == "layers")
        values.update({f"units{i}": 2 for i in range(1, values["layers"] + 1)})
        values.update({f"act{i}": "tanh" for i in range(1, values["layers"] + 1)})
    if page == "optimizers":
        values.update(per_lr=True, opts=tuple(next(p.options for p in params if p.name == "opts")))
        values.update({f"lr_{name}": 0.01 for name in values["opts"]})
    assert_self_contained(notebook_for(page, values, f"http://localhost:8501/{page}"))


def test_the_definitions_a_notebook_carries_in_its_own_version_give_the_apps_results():
    """Pillow-free ``png_data_uri``: the same pixels as the app's; scikit-learn's tables: the app's shipped arrays,
    dtype and all, for every real data set (the notebooks run only some of them); a validated figure: the same
    figure."""
    from PIL import Image

    from core.embedding_data import load_table
    from private_apis import unchecked_figure
    from viz.raster import png_data_uri

    namespace = {"np": np, "base64": base64, "lru_cache": functools.lru_cache}
    for (module, name), (why, source) in NOTEBOOK_VERSIONS.items():
        assert why and (f"def {name}(" in source or f"class {name}:" in source)
        exec(source, namespace)
    with pytest.raises(OSError):  # so that the t-SNE gradient computes its attraction in the notebook's process
        namespace["AttractionProcess"](3, np.zeros(1), np.zeros(1), np.zeros(4), 2)
    picture = np.random.default_rng(0).integers(0, 256, (37, 53, 4), dtype=np.uint8)
    for uri in (namespace["png_data_uri"](picture), png_data_uri(picture)):
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))), picture)
    for table in ("digits", "iris", "wine", "breast_cancer"):
        ours, apps = namespace["load_table"](table), load_table(table)
        assert ours.keys() == apps.keys()
        for key in apps:
            assert ours[key].dtype == apps[key].dtype and np.array_equal(ours[key], apps[key]), (table, key)
    spec = {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], "layout": {"title": {"text": "t"}}}
    assert namespace["unchecked_figure"](spec).to_dict() == unchecked_figure(spec).to_dict()


def test_renaming_a_carried_name_touches_only_that_global():
    source = ("def f(x: int = LIMIT) -> int:\n"
              "    g = lambda y: _check(y) + LIMIT  # _check and LIMIT, not obj.LIMIT or 'LIMIT'\n"
              "    return g(x) + obj.LIMIT + len('LIMIT')")
    assert _renamed(source, {"LIMIT": "LIMIT__m", "_check": "_check__m"}) == (
        "def f(x: int = LIMIT__m) -> int:\n"
        "    g = lambda y: _check__m(y) + LIMIT__m  # _check and LIMIT, not obj.LIMIT or 'LIMIT'\n"
        "    return g(x) + obj.LIMIT + len('LIMIT')")
    with pytest.raises(CarryError, match="also a local"):
        _renamed("def f():\n    LIMIT = 2\n    return LIMIT", {"LIMIT": "LIMIT__m"})


def test_a_changed_parameter_changes_the_figure(notebook_client, tmp_path):
    """The comparison above is not vacuous: one learning rate changed in the parameters cell, and the figure
    differs from the page's."""
    at = open_page("fit-a-line")
    values = page_values(at, "fit-a-line")
    nb = nbformat.reads(notebook_for("fit-a-line", values, "http://localhost:8501/fit-a-line"), as_version=4)
    parameters = next(cell for cell in nb.cells if "parameters" in cell.metadata.get("tags", []))
    assert "lr = 0.3  # Learning rate η" in parameters.source
    parameters.source = parameters.source.replace("lr = 0.3 ", "lr = 0.2 ")
    result = run_notebook(notebook_client, nbformat.writes(nb), ["fig"], tmp_path / "out.json")
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
    params = explorer(page).declarations().PARAMS
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
