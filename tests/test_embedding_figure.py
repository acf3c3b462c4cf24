"""viz.embedding's PCA vs t-SNE figure: hovers name the row and label (no block-character pictures), every point
carries its row number for a click, and a clicked digit's picture is its real pixels."""

import base64
import json
import subprocess

import numpy as np
import pytest

from core.embedding_data import make_embeddable
from core.tsne import TSNE
from viz.embedding import (CLICKED, IMAGE_SCALE, MAX_CLASSES, clicked_row, hover_texts, row_ids, side_by_side,
                           upscaled)
from viz.wire import encode


def customdata(trace) -> np.ndarray:
    data = trace["customdata"]
    return np.frombuffer(base64.b64decode(data["bdata"]), dtype={"u2": np.uint16, "u4": np.uint32}[data["dtype"]])


@pytest.fixture(scope="module")
def digits():
    data = make_embeddable("digits", 200, 0.0, 0)
    tsne = TSNE(max_iter=250, random_state=0, snapshot_every=25).fit(data.X)
    return data, tsne


def test_every_point_carries_its_row_and_the_label_comes_from_its_trace(digits):
    data, tsne = digits
    spec = json.loads(side_by_side(data.X[:, :2], tsne.frames_, tsne.frame_iters_, data.labels, data.label_names,
                                   rows=data.rows).to_json())
    for trace in spec["data"]:
        rows = customdata(trace)
        assert set(data.labels[np.searchsorted(data.rows, rows)]) == {int(trace["name"])}  # the trace's digit
        assert trace["hovertemplate"] == "row %{customdata}<br>label: %{fullData.name}<extra></extra>"
        assert trace["selected"] == CLICKED["selected"] and trace["unselected"] == CLICKED["unselected"]
    pca_rows = np.concatenate([customdata(t) for t in spec["data"][::2]])
    assert sorted(pca_rows) == sorted(data.rows)  # every row once per panel, by its number among the 1,797
    for frame in spec["frames"]:  # frames move points and leave their rows and hovers alone
        assert not any({"customdata", "text", "hovertemplate"} & set(d) for d in frame["data"])


def test_labels_beyond_the_palette_hover_with_their_own_name():
    n = 40
    labels = np.arange(n) % (MAX_CLASSES + 3)
    names = [f"class {k}" for k in range(MAX_CLASSES + 3)]
    frames = [np.random.default_rng(0).normal(size=(n, 2))] * 2
    spec = json.loads(side_by_side(frames[0], frames, [0, 1], labels, names).to_json())
    other = [t for t in spec["data"] if t["name"] == "other"]
    assert len(other) == 2 and other[0]["hovertemplate"] == "row %{customdata}<br>label: %{text}<extra></extra>"
    rows = customdata(other[0])
    assert other[0]["text"] == [names[labels[r]] for r in rows]
    unlabelled = json.loads(side_by_side(frames[0], frames, [0, 1]).to_json())["data"]
    assert [t["hovertemplate"] for t in unlabelled] == ["row %{customdata}<extra></extra>"] * 2
    assert list(customdata(unlabelled[0])) == list(range(n))


def test_hover_texts_no_longer_draw_pictures():
    data = make_embeddable("digits", 50, 0.0, 0)
    texts = hover_texts(data.n_samples, data.labels, data.label_names, data.images)  # images: accepted, not drawn
    assert texts[0] == f"row 0<br>label: {data.label_names[data.labels[0]]}"
    assert not any(block in "".join(texts) for block in "░▒▓█")


def test_the_default_view_figure_is_smaller_without_block_characters(digits):
    """The page's figure was 1.83 MB on the wire for the default view (1,000 digits, 100 frames) with block-character
    hovers, 1.39 MB without (measured once); here, on 200 digits, the figure built the old way (at HEAD before this
    change, if git still has it) is compared with today's."""
    data, tsne = digits
    args = (data.X[:, :2], tsne.frames_, tsne.frame_iters_, data.labels, data.label_names)
    now = len(encode(side_by_side(*args, rows=data.rows).to_dict()))
    shades = " ░▒▓█"
    art = ["<br>".join("".join(shades[int(round(v / 16 * 4))] for v in row) for row in image) for image in data.images]
    old_texts = [f"{t}<br><span style='font-family:monospace'>{a}</span>"
                 for t, a in zip(hover_texts(data.n_samples, data.labels, data.label_names), art)]
    before = len(encode(side_by_side(*args, old_texts).to_dict()))
    assert now < before - 100 * data.n_samples  # each digit's picture cost several hundred bytes


def test_a_digit_image_is_its_pixels_upscaled_dark_on_white():
    image = np.zeros((8, 8))
    image[2, 3] = 16
    image[5, 5] = 8
    big = upscaled(image)
    assert big.shape == (8 * IMAGE_SCALE, 8 * IMAGE_SCALE) and big.dtype == np.uint8
    assert big[0, 0] == 255  # no ink: white
    block = big[2 * IMAGE_SCALE:3 * IMAGE_SCALE, 3 * IMAGE_SCALE:4 * IMAGE_SCALE]
    assert (block == 0).all()  # full ink: black, over the whole block (nearest neighbour, no blur)
    assert big[5 * IMAGE_SCALE, 5 * IMAGE_SCALE] == 128
    assert upscaled(np.zeros((8, 8))).min() == 255  # a blank image is not divided by zero


def test_row_ids_use_the_smallest_type_that_holds_them():
    assert row_ids(None, 3).tolist() == [0, 1, 2] and row_ids(None, 3).dtype == np.uint16
    assert row_ids(np.array([5, 70_000]), 2).dtype == np.uint32


@pytest.mark.parametrize("points, row", [
    ([{"curve_number": 3, "point_index": 2, "customdata": 417, "x": 0.1, "y": 0.2}], 417),
    ([{"customdata": [12]}], 12),  # customdata given as a list
    ([{"customdata": 7.0}], 7),
    ([{"x": 1}, {"customdata": 9}], 9),  # the first point with a row
    ([], None), (None, None), ([{"x": 1}], None), ([{"customdata": "3"}], None), ([{"customdata": True}], None),
    ([{"customdata": 2.5}], None),
])
def test_clicked_row_reads_the_row_of_a_selection(points, row):
    assert clicked_row(points) == row
