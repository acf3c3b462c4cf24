"""PCA vs t-SNE: the same points through a linear projection and through a neighbour-keeping optimisation."""

import numpy as np
import pandas as pd
import streamlit as st

import claims.embeddings as checked
from claims import claim, said
from core.embedding_data import EMBEDDING_DATASETS, Embeddable, subsample
from core.pca import PCA, top_loadings
import core.tsne as tsne_module
from core.tsne import trustworthiness
from explorers import embeddings as explorer
from explorers.embeddings import (DATA, SEEDS, UPLOAD, dataset, digest, embed, embedding_figure,
                                  multiples, neighbours, pca_figures, plain, points_limit, points_note)
from explorers.jobs import MapSoFar, scaled
from ui.linked_selection import highlight, linked_selection_support
from ui.errors import attempt
from ui.export import export_buttons
from ui.math_panel import math_and_code
from ui.uploads import guess_label_column, numeric_table, upload_widget
from ui.view import View
from viz.embedding import IMAGE_SCALE, clicked_row, row_ids, running_map, upscaled
from ui.routing import enter_through_router

enter_through_router()  # on a fresh server a direct link runs this file without app.py: go through it

#: Made when the page runs (its check then runs), shown when a digit is clicked.
DIGITS_RANGE = claim(checked.digits_range, "from 0 (white) to 16 (black)")

NO_LABEL = "(none)"
LABEL_KEY = "embeddings.label"
#: The columns the "Colour by" choice was last set for: a table with other columns gets its own guess.
LABEL_FOR_KEY = "embeddings.label_for"
CHART_KEY = "embeddings"
#: The point clicked last ({"data", "row", "chart"}): session state only, a link does not carry it.
CLICK_KEY = "embeddings.clicked"


# ------------------------------------------------------------------------------------------- data


def uploaded() -> tuple[Embeddable, pd.DataFrame] | None:
    """The user's CSV as an Embeddable (columns and label chosen here) and the table as read, or None."""
    df = upload_widget("embeddings.upload", help="A table with a row per item and numeric columns. Rows with a "
                       "missing value are dropped.")
    if df is None:
        st.info("Upload a CSV to embed your own table; until then the controls below have nothing to work on.",
                icon="📄")
        return None
    left, right = st.columns([3, 1])
    with left:
        columns = st.multiselect("Numeric columns to embed", list(df.columns), default=None,
                                 key="embeddings.columns", placeholder="All numeric columns")
    with right:
        label = colour_by(df)
    table = attempt(numeric_table, df, columns or None, None if label == NO_LABEL else label, with_rows=True,
                    fix=said("Choose at least two numeric columns."))
    if table is None:
        return None
    X, labels, label_names, names, notices, kept = table
    for notice in notices:
        st.info(notice, icon="ℹ️")
    return Embeddable(X, labels, label_names, list(map(str, names)), note="Your uploaded table.", rows=kept), df


def colour_by(df: pd.DataFrame) -> str:
    """The "Colour by" choice: any column, or none. A table with new columns starts on the column that looks
    like its labels (``guess_label_column``); after that the visitor's choice stands."""
    detected = guess_label_column(df)
    columns = [str(c) for c in df.columns]
    if st.session_state.get(LABEL_FOR_KEY) != columns or LABEL_KEY not in st.session_state:
        st.session_state[LABEL_KEY] = NO_LABEL if detected is None else detected
        st.session_state[LABEL_FOR_KEY] = columns
    why = (f"{detected!r} was chosen first: its name and values look like class labels. "
           if detected is not None else "")
    return st.selectbox("Colour by", [NO_LABEL, *df.columns], key=LABEL_KEY,
                        help=why + "The colouring column is left out of the columns embedded.")


# ------------------------------------------------------------------------------------------- a clicked point


def remembered_click(event, data_key: str, chart_key) -> int | None:
    """The row number of the point clicked last on this data, or None.

    Kept in session state only. The chart is a new widget, with nothing selected, whenever its figure changes
    (other components, perplexity, ...): the row stays then. Emptying the selection of the chart the row was
    clicked on (a double-click) forgets it."""
    kept = st.session_state.get(CLICK_KEY)
    if event is not None and (event.selection.get("box") or event.selection.get("lasso")):
        # a box or lasso: the browser links the panels itself (ui/linked_selection.py); the clicked row stays
        return kept["row"] if kept and kept["data"] == data_key else None
    row = clicked_row(event.selection.points if event is not None else None)
    if row is not None:
        kept = {"data": data_key, "row": row, "chart": chart_key}
    elif kept and kept["chart"] == chart_key:
        kept = None
    elif kept:
        kept = {**kept, "chart": None}
    st.session_state[CLICK_KEY] = kept
    return kept["row"] if kept and kept["data"] == data_key else None


def show_clicked(data: Embeddable, row: int | None, name: str, table: pd.DataFrame | None, standardize: bool,
                 noise: float) -> None:
    """Below the chart: the clicked digit's 8×8 image, or the clicked row's values; else how to get them."""
    with st.container(key="embeddings-clicked"):
        at = np.flatnonzero(row_ids(data.rows, data.n_samples) == row) if row is not None else []
        if not len(at):
            st.caption("Click a point in either panel to see its " + (
                "image here." if data.images is not None else "values here."))
            return
        i = int(at[0])
        near = neighbours(scaled(data.X, standardize), i)
        near_rows = row_ids(data.rows, data.n_samples)[near]
        highlight(CHART_KEY, [row, *near_rows])  # the clicked point and its neighbours, selected in both panels
        st.caption(said(f"Highlighted in both panels: the clicked point and its {len(near)} nearest neighbours in "
                        "the data itself" + (" (standardised)" if standardize else "") + ", rows "
                        + ", ".join(map(str, near_rows)) + ". Where they land on each map shows what it kept."))
        label = data.label_names[data.labels[i]] if data.labels is not None else None
        source = "your table" if name == UPLOAD else f"the {DATA[name].lower()} data"
        if data.images is not None:
            left, right = st.columns([1, 5], vertical_alignment="center")
            h, w = data.images[i].shape
            # PNG: a JPEG would smear the sharp pixel edges
            left.image(upscaled(data.images[i]), width=w * IMAGE_SCALE, output_format="PNG")
            right.markdown(f"**Clicked: row {row} of {source}" + (f", the digit {label}**" if label else "**"))
            right.caption(f"The {h}×{w} picture behind the point: {h * w} pixel intensities "
                          + DIGITS_RANGE
                          + said(f", each drawn {IMAGE_SCALE}× larger.") + (
                              " It is the picture as published, without the jitter added to the numbers."
                              if noise > 0 else ""))
            return
        st.markdown(f"**Clicked: row {row} of {source}**"
                    + (f" — label: {plain(label)}" if label is not None else ""))
        if table is not None:
            values = table.iloc[row]
            st.caption(said("The row as your file has it (rows counted from 0, as the file was read)."))
            shown = pd.DataFrame({"column": [str(c) for c in table.columns], "value": values.astype(str).to_numpy()})
        else:
            st.caption("The values the embedding starts from" + (" (before standardising)" if standardize else "")
                       + (", with the jitter added." if noise > 0 else "."))
            shown = pd.DataFrame({"feature": data.feature_names, "value": data.X[i]})
        st.dataframe(shown, hide_index=True, height=min(36 + 35 * len(shown), 320))


# ------------------------------------------------------------------------------------------- while t-SNE runs


def live_map(place, data: Embeddable, view: View):
    """``embed``'s ``preview``: PCA beside the t-SNE map so far, drawn in ``place`` (where the chart goes) each
    time the run sends its map (a few times a second), so a change shows its new picture moving at once
    instead of the old one greyed out until the run ends. The left panel comes with the first map."""
    pca = {}
    values = view.values()

    def show(done: int, total: int, so_far: MapSoFar) -> None:
        if so_far.scores is not None:
            pca.update(scores=so_far.scores, ratio=so_far.explained_variance_ratio)
        k = pca["scores"].shape[1]
        pc_x, pc_y = min(values["pc_x"], k), min(values["pc_y"], k)
        axes = tuple(f"PC {c} ({pca['ratio'][c - 1]:.0%} of variance)" for c in (pc_x, pc_y))
        fig = running_map(pca["scores"][:, [pc_x - 1, pc_y - 1]], so_far.embedding, done, total, data.labels,
                          data.label_names, pca_axes=axes, exaggeration_until=min(250, total))
        place.plotly_chart(view.styled(fig), config={"displayModeBar": False},
                           alt=said(f"t-SNE running: iteration {done} of {total}"))
    return show


# ------------------------------------------------------------------------------------------- the page

view = View.of(explorer)
view.header("🔭 PCA vs t-SNE: two views of the same data",
            "PCA rotates the data and keeps the directions of largest variance — a straight projection. t-SNE moves "
            "points until near neighbours in the data are near neighbours on the page. **Notice what each keeps "
            "and what each invents: sizes, distances and clusters in t-SNE can mislead.**")

name, n, noise, standardize, seed = view.row(["data", "n", "noise", "standardize", "seed"], widths=[3, 2, 2, 2, 1])
data, note, table = None, None, None
limit = points_limit()
used = min(n, limit)
if name == UPLOAD:
    data, table = uploaded() or (None, None)
    if data is not None and data.n_samples > used:
        data, note = subsample(data, used, seed)
    elif data is not None:
        note = said(f"All {data.n_samples:,} rows of your table are embedded (up to {used:,} are, a random "
                    "sample of larger tables).")
else:
    st.caption(EMBEDDING_DATASETS[name].description)
    made = attempt(dataset, name, used, noise, seed, fix="Pick another data set or size.")
    if made is not None:
        data, note = made
for line in (points_note(name, n, data, limit) if data is not None else None, note):
    if line:
        st.info(line, icon="✂️")

perplexity, lr, exaggeration, iterations = view.row(["perplexity", "lr", "exaggeration", "iterations"])
with view.on_stage():
    picture = st.empty()  # the map so far while t-SNE runs, then the chart in the same place
result = None
if data is not None:
    data_digest = digest(data)
    run_key = (data_digest, standardize, perplexity, lr, exaggeration, iterations, seed)
    result = attempt(embed, data_digest, data, standardize, perplexity, lr, exaggeration, iterations, seed,
                     preview=None if view.reduced_motion else live_map(picture, data, view),
                     fix=said("Lower the perplexity (it must be well below the number of points)."))

if result is not None:
    pca, tsne = result["pca"], result["tsne"]
    k = pca.n_components_
    pc_x, pc_y = view.row(["pc_x", "pc_y"])
    pc_x, pc_y = min(pc_x, k), min(pc_y, k)
    ratio = pca.explained_variance_ratio_
    fig = embedding_figure(run_key, pc_x, pc_y, data, result)
    (pca_trust, pca_knn), (tsne_trust, tsne_knn) = result["quality"]["pca"], result["quality"]["tsne"]
    shown = ratio[pc_x - 1] + (ratio[pc_y - 1] if pc_y != pc_x else 0)
    with picture.container():
        event = view.chart(fig, key=CHART_KEY, on_select="rerun", selection_mode=("points", "box", "lasso"),
                           summary=said(
            f"{data.n_samples:,} points with {len(data.feature_names)} features, drawn twice: on the left by PCA "
            f"(components {pc_x} and {pc_y}, {shown:.0%} of the variance), on the right by t-SNE (perplexity "
            f"{perplexity:g}), which the animation shows iteration by iteration "
            + claim(checked.pca_start, "from the PCA projection shrunk to a spread of 10⁻⁴ (scikit-learn's "
                                       "init='pca'). ")
            + (f"Colour and marker shape show the {len(data.label_names)} labels. " if data.labels is not None else "")
            + f"Trustworthiness: PCA {pca_trust:.3f}, t-SNE {tsne_trust:.3f}; nearest neighbours kept: PCA "
              f"{pca_knn:.0%}, t-SNE {tsne_knn:.0%}"
            + (f" (both on a random sample of {result['quality_rows']:,} points)"
               if result["quality_rows"] < data.n_samples else "")
            + f"; final KL divergence {tsne.kl_divergence_:.3f}."))
    # a box or lasso in one panel selects the same points in the other; an invisible element, added below the
    # chart because every element on the stage costs a row gap above the figure
    linked_selection_support()
    show_clicked(data, remembered_click(event, data_digest, (run_key, pc_x, pc_y)), name, table, standardize,
                 noise)
    export_buttons("pca-vs-tsne", view.styled(fig), "PCA vs t-SNE", {"Embeddings": lambda: pd.DataFrame({
        "label": [data.label_names[k] for k in data.labels] if data.labels is not None else "",
        "pc_x": result["scores"][:, pc_x - 1], "pc_y": result["scores"][:, pc_y - 1],
        "tsne_1": tsne.embedding_[:, 0], "tsne_2": tsne.embedding_[:, 1]})}, view=view)
    growth = float(np.std(tsne.frames_[-1]) / np.std(tsne.frames_[0]))
    st.caption(said(f"PCA's two axes show {shown:.0%} of the "
               f"variance. The t-SNE panel is rescaled to fit every frame (its spread grows {growth:,.0f}-fold while "
               "it runs); hover a point to see its row and label, click it to see its "
               + ("image." if data.images is not None else "values.")))
    quality_rows = result["quality_rows"]
    k_nn = min(10, quality_rows - 2)
    if quality_rows < data.n_samples:
        st.caption(said(f"Trustworthiness and nearest neighbours kept are measured on a random sample of "
                        f"{quality_rows:,} of the {data.n_samples:,} points (seed {seed}): over all of them they "
                        "take time that grows as the square of the points."))
    cols = st.columns(6)
    trust_help = said("1 means no point has neighbours on the page that are far apart in the data (k = 5, "
                       "its published default).")
    knn_help = "The share of each point's nearest neighbours in the data that are also its nearest on the page."
    cols[0].metric("Trustworthiness: PCA", f"{pca_trust:.3f}", help=trust_help)
    cols[1].metric("Trustworthiness: t-SNE", f"{tsne_trust:.3f}", help=trust_help)
    cols[2].metric(f"{k_nn}-NN kept: PCA", f"{pca_knn:.0%}", help=knn_help)
    cols[3].metric(f"{k_nn}-NN kept: t-SNE", f"{tsne_knn:.0%}", help=knn_help)
    cols[4].metric("t-SNE KL(P ‖ Q)", f"{tsne.kl_divergence_:.3f}",
                   help="What t-SNE minimises: how far the page's neighbour probabilities Q are from the data's P.")
    cols[5].metric("t-SNE time", f"{result['tsne_seconds']:.1f} s",
                   help=f"PCA took {result['pca_seconds'] * 1e3:.0f} ms.")

    with st.expander("PCA: variance per component and loadings", expanded=False):
        left, right = st.columns(2)
        names, weights = top_loadings(pca, data.feature_names, pc_x - 1, k=min(8, len(data.feature_names)))
        scree_fig, loadings_fig = pca_figures(run_key, pc_x, ratio, names, weights)
        with left:
            view.chart(scree_fig, key="scree", summary=(
                "Share of the variance per principal component: " + ", ".join(
                    f"PC{i + 1} {r:.1%}" for i, r in enumerate(ratio[:10])) + (", …" if len(ratio) > 10 else "")
                + f"; the first two together {ratio[:2].sum():.0%}."))
        with right:
            view.chart(loadings_fig, key="loadings", summary=said(
                f"The features that weigh most in PC{pc_x}: " + ", ".join(
                    f"{name} {w:+.2f}" for name, w in zip(names, weights)) + "."))

    if view.control("multiples"):
        made = attempt(multiples, data_digest, data, standardize, perplexity, seed)
        if made is not None:
            by_perplexity, by_seed, rows, shown_perplexities, kept, disparity = made
            st.caption(said(f"On {rows} points, 500 iterations each."))
            view.chart(by_perplexity, key="perplexities", summary=said(
                f"Small multiples: t-SNE of the same {rows} points at perplexities "
                + ", ".join(f"{p:g}" for p in shown_perplexities) + ", 500 iterations each, from the PCA start. "
                "Low perplexity fits each point to a few neighbours, high perplexity to many. How much of the "
                "global layout each map keeps (rank correlation of all its pairwise distances with the data's): "
                + ", ".join(f"perplexity {p:g}: {r:.2f}" for p, r in zip(shown_perplexities, kept)) + "."))
            view.chart(by_seed, key="seeds", summary=said(
                f"The same t-SNE (perplexity {perplexity:g}) from three random starts (init='random', seeds "
                + ", ".join(map(str, SEEDS)) + "; from the PCA start every seed gives the same map). "
                + (f"After the best rotation, reflection and scaling the layouts still differ (Procrustes "
                   f"disparity up to {disparity:.2f}, where 0 is the same layout): positions and orientations "
                   "depend on the start, so only neighbourhoods can be read, not distances between clusters."
                   if disparity > 0.02 else
                   f"Here the layouts agree after the best rotation, reflection and scaling (Procrustes disparity "
                   f"{disparity:.3f}): this data pins its clusters down; on most data they move from start to "
                   "start.")))
    else:
        st.caption(said("Switch on the small multiples to see the same data at several perplexities and from three "
                   "random starts — as in Distill's *How to Use t-SNE Effectively*."))

    math_and_code(
        equations=explorer.EQUATIONS,
        code=[PCA, tsne_module.joint_probabilities, tsne_module.kl_gradient, trustworthiness],
        notes=[said("van der Maaten & Hinton (2008), *Visualizing Data using t-SNE*; Wattenberg, Viégas & "
                    "Johnson (2016), *How to Use t-SNE Effectively* (Distill).")],
    )
view.finish()
