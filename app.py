"""ML Math Explorer — the router and the home page.

Run with ``make run`` (or ``streamlit run app.py``). Every explorer is registered in ``ui/registry.py``.
"""

import streamlit as st

from ui.autoplay import autoplay_support
from ui.errors import run_safely
from server.housekeeping import collect_now_and_then
from ui.keyboard import keyboard_support
from ui.lessons import LESSONS, step_link
from ui.registry import EXPLORERS
from ui.routing import routed
from ui.view import current_palette
from server.warmup import note_run, start_warm_up
from server.workers import server_pool
from viz.restyle import DEFAULT_PALETTE, PALETTES


@st.cache_resource(show_spinner=False)
def thumbnail(path: str) -> bytes:
    """A 640-px-wide JPEG of a page screenshot, made once per server: decoding the full-size PNGs on every visit
    to the home page cost about 0.3 s of CPU per run."""
    from io import BytesIO

    from PIL import Image  # Pillow comes with Streamlit

    with Image.open(path) as image:
        image = image.convert("RGB")
        image.thumbnail((640, 640 * image.height // image.width))
        out = BytesIO()
        image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def home() -> None:
    st.title("ML Math Explorer")
    st.markdown(
        "See the math of machine learning **move**. Each explorer puts three things side by side: the "
        "picture, animated in your browser; the equation behind it; and the exact NumPy code that drew it. "
        "Change a control and the run is recomputed; press ▶ Play and watch it unfold step by step.")
    st.markdown("Every view has a link: use **🔗 Copy link to this view** on any explorer to share exactly "
                "what you see — controls, preset and random seed — with a class or a friend.")
    st.header("Lessons", divider="gray")
    st.markdown("Guided paths: each step opens a page with a prepared view, says what to look at and asks a "
                "question. The step is in the link, so a teacher can send a class straight to it.")
    paths = {e.url_path: e.path for e in EXPLORERS}
    for column, lesson in zip(st.columns(3) * len(LESSONS), LESSONS.values()):
        with column.container(border=True):
            st.markdown(f"**📚 {lesson.title}**  \n{lesson.summary}  \n*{len(lesson.steps)} steps*")
            st.page_link(paths[lesson.steps[0].page], label="Start the lesson", icon="▶️",
                         query_params=step_link(lesson, 0))
    st.header("Explorers", divider="gray")
    for explorer in EXPLORERS:
        with st.container(border=True):
            text, picture = st.columns([3, 2], vertical_alignment="center")
            with text:
                st.subheader(f"{explorer.icon} {explorer.title}")
                st.markdown(explorer.summary)
                st.page_link(explorer.path, label=f"Open “{explorer.title}”", icon="➡️")
            if explorer.screenshot.exists():
                picture.image(thumbnail(str(explorer.screenshot)), width="stretch",
                              caption=f"{explorer.title}: a screenshot")


def motion_switch() -> None:
    """The sidebar's "Reduce motion" switch, kept in the link as ``motion=reduced``."""
    reduced = st.sidebar.toggle("Reduce motion", value=st.query_params.get("motion") == "reduced",
                                help="Animations open on their last frame; press ▶ Play to watch them run.")
    if reduced and st.query_params.get("motion") != "reduced":
        st.query_params["motion"] = "reduced"
    elif not reduced and "motion" in st.query_params:
        del st.query_params["motion"]


def palette_choice() -> None:
    """The sidebar's colour choice, kept in the link as ``palette=<name>`` (the default stays out of it)."""
    asked, palette = st.query_params.get("palette"), current_palette()
    if asked is not None and asked != palette:
        st.warning(f"The link asks for colours `palette={asked[:40]}`, which this app does not have; showing "
                   f"the default. Choose one of: {', '.join(PALETTES)}.", icon="🔗")
    chosen = st.sidebar.selectbox("Colours", list(PALETTES), index=list(PALETTES).index(palette),
                                  format_func=lambda name: PALETTES[name]["label"],
                                  help="Every palette keeps classes apart for the common kinds of colour "
                                       "blindness; classes also differ by marker shape.")
    if chosen == DEFAULT_PALETTE:
        if "palette" in st.query_params:
            del st.query_params["palette"]
    elif st.query_params.get("palette") != chosen:
        st.query_params["palette"] = chosen


st.set_page_config(page_title="ML Math Explorer", page_icon="📐", layout="wide")
server_pool(preload=("explorers.jobs", "core.training"))  # once per server: the worker process (server/workers.py)
note_run()  # a visitor's run holds the background warm-up back (server/warmup.py)
keyboard_support()
autoplay_support()
motion_switch()
palette_choice()
pages = [st.Page(home, title="Home", icon="🏠", default=True)] + [
    st.Page(e.path, title=e.title, icon=e.icon, url_path=e.url_path) for e in EXPLORERS]
with routed():  # pages check this: on a fresh server a direct link runs the page file alone (ui/routing.py)
    run_safely(st.navigation(pages))
collect_now_and_then()
start_warm_up()  # once per server: computes every page, preset and lesson step in the background (server/warmup.py)
