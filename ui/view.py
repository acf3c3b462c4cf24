"""A page's view state, kept in sync with the URL so a link reproduces the exact view.

Flow of one run: ``View(...)`` reads the URL; if it is not the URL this session last wrote (a fresh link,
a page switch, a reload) the declared controls are seeded from it, with a notice for every value that could
not be used. The page then draws its controls with ``view.control(name)``; ``view.finish()`` writes the URL
back (only values that differ from the defaults or the chosen preset) and offers the link to copy.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from private_apis import send_prepared_figures_as_they_are
from ui.params import APP_KEYS, MATH_KEY, PRESET_KEY, Param, Preset, defaults, parse_url, to_url
from viz.animation import final_frame
from viz.describe import describe_figure
from viz.prepared import PreparedFigure
from viz.restyle import DEFAULT_PALETTE, PALETTES, restyle

send_prepared_figures_as_they_are()  # st.plotly_chart sends a cached figure's JSON text, not re-encoded each run

NO_PRESET = "—"
LOCAL_URL = "http://localhost:8501"
#: Presenter mode: larger type for a projector, no sidebar, the page's full width.
PRESENTER_CSS = """<style>
html { font-size: 20px; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"] { display: none; }
.block-container, [data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 1rem 2rem !important; }
</style>"""


#: The stage: less room above the title and a smaller title, so the figure starts high on a 720-px screen.
STAGE_CSS = """<style>
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 3rem !important; }
[data-testid="stMainBlockContainer"] h1 { font-size: 1.75rem; padding: 0.25rem 0 0.25rem 0; }
</style>"""


@dataclass
class Stage:
    """Where a staged page draws: its key controls, the others ("more"), and the main figure."""

    keys: object
    more: object | None
    figure: object


#: Presenter mode multiplies font sizes, marker sizes and line widths in every chart by this.
PRESENTER_SCALE = 1.4

#: Restyled copies of the (cached, shared) figures — final frame, palette, presenter scale — by the figure's
#: id and the style, dropped when the figure is. (Figures are not hashable, so they are remembered by id, with
#: a finaliser that forgets them.)
_STYLED: dict[tuple, object] = {}


def _styled(fig, palette: str, scale: float, last_frame: bool, narrow: bool):
    key = (id(fig), palette, scale, last_frame, narrow)
    if key not in _STYLED:
        styled = restyle(final_frame(fig) if last_frame else fig, palette, scale, narrow)
        if styled is fig:  # nothing to change (the default style): kept here, it would never be dropped
            return fig
        _STYLED[key] = styled if isinstance(styled, PreparedFigure) else PreparedFigure(styled)
        weakref.finalize(fig, _STYLED.pop, key, None)
    return _STYLED[key]


_DESCRIBED: dict[int, str] = {}


def _described(fig) -> str:
    """``describe_figure`` once per (cached) figure (a prepared figure was described before its objects went)."""
    if getattr(fig, "description", None):
        return fig.description
    if id(fig) not in _DESCRIBED:
        _DESCRIBED[id(fig)] = describe_figure(fig)
        weakref.finalize(fig, _DESCRIBED.pop, id(fig), None)
    return _DESCRIBED[id(fig)]


def on_phone() -> bool:
    """The browser says it is a phone ("Mobi" in its User-Agent, as MDN recommends testing for)."""
    try:
        return "Mobi" in (st.context.headers.get("User-Agent") or "")
    except Exception:  # no browser behind this run (tests, bare mode): not a phone
        return False


def app_address(page_url: str, page: str) -> str:
    """The app's own address from the address of one of its pages (``st.context.url`` holds the page's path,
    ``http://host/base/optimizers?...``): scheme, host and any base path, without the page or the query."""
    parts = urlsplit(page_url)
    path = parts.path.rstrip("/")
    if path.endswith("/" + page):
        path = path[: -len(page) - 1]
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")).rstrip("/")


def _written(url: dict) -> dict:
    """A link's keys that a view writes: all but the Math & code panel's (Streamlit keeps that one itself)."""
    return {k: v for k, v in url.items() if k != MATH_KEY}


def current_palette() -> str:
    """The viewer's palette (``?palette=``; the sidebar sets it), or the default for anything unknown."""
    name = st.query_params.get("palette")
    return name if name in PALETTES else DEFAULT_PALETTE


class View:
    """The controls of one page, bound to the URL. ``page`` is the page's URL path (e.g. ``fit-a-line``)."""

    def __init__(self, page: str, params: list[Param], presets: dict[str, Preset] | None = None, *,
                 key: tuple[str, ...] = (), more: tuple[str, ...] = ()):
        """``key``: the few controls that matter most, drawn beside the main figure (the stage); ``more``: the
        rest of the main run's controls, one click away under them. A page that names none keeps the old
        layout: controls above the figure, where it draws them."""
        self.key_controls, self.more_controls = tuple(key), tuple(more)
        self._stage = None
        self.page = page
        self.params = list(params)
        self.presets = dict(presets or {})
        self.by_name = {p.name: p for p in self.params}
        self.notices: list[str] = []
        self.presenting = st.query_params.get("present") in ("1", "true")
        hide = st.query_params.get("hide") or ""
        self.hidden = {name for name in hide.split(",") if name in self.by_name} if self.presenting else set()
        self._sync_from_url()

    @classmethod
    def of(cls, explorer) -> "View":
        """The view of an explorer's declarations module (``explorers/<name>.py``: ``PAGE``, ``PARAMS``,
        ``PRESETS``, ``KEY``, ``MORE``)."""
        return cls(explorer.PAGE, explorer.PARAMS, explorer.PRESETS, key=explorer.KEY, more=explorer.MORE)

    def key(self, name: str) -> str:
        return f"{self.page}.{name}"

    @property
    def _url_key(self) -> str:
        return f"_url.{self.page}"

    def _sync_from_url(self) -> None:
        url = {k: st.query_params.get(k) for k in st.query_params}
        preset, values, notices = parse_url(url, self.params, self.presets)
        if st.session_state.get(self._url_key) == _written(url):
            # The URL is the one we wrote: the widgets hold the truth. Only controls whose state Streamlit
            # dropped (hidden last run, or the page was left) are refilled, from the URL or the defaults.
            for name, value in values.items():
                st.session_state.setdefault(self.key(name), value)
            st.session_state.setdefault(self.key(PRESET_KEY), preset or NO_PRESET)
            return
        self.notices = notices
        for name, value in values.items():
            st.session_state[self.key(name)] = value
        st.session_state[self.key(PRESET_KEY)] = preset or NO_PRESET

    def header(self, title: str, lede: str) -> None:
        """The top of every explorer: title, what to notice, link notices, preset picker, share link."""
        from ui.lessons import lesson_bar
        from ui.registry import EXPLORERS

        if self.presenting:
            st.html(PRESENTER_CSS)
        lesson_bar(self.page, {e.url_path: e.path for e in EXPLORERS})
        if self.key_controls:
            return self._stage_header(title, lede)
        st.title(title)
        st.markdown(lede)
        self.show_notices()
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        with left:
            self.preset_picker()
        with right:
            self.share_button()
        self.preset_notice()

    def _stage_header(self, title: str, lede: str) -> None:
        """The stage: a short title and lede, then the preset and key controls in a narrow column beside the
        main figure, so that at 1280×720 both are on screen together; the other controls of the run sit one
        click away under the key ones ("More controls"). What the preset shows to notice follows the stage."""
        st.html(STAGE_CSS)
        st.title(title)
        st.markdown(lede)
        self.show_notices()
        controls, figure = st.columns([1, 3], gap="medium")
        with controls:
            self.preset_picker()
            keys = st.container()
            # presenter mode shows only the key controls: no empty expander either
            more = st.expander("⚙️ More controls") if self.more_controls and not self.presenting else None
            self.share_button()
        self._stage = Stage(keys, more, figure)
        self.preset_notice()

    def show_notices(self) -> None:
        """Say which link values were not used, and why (once, on the run that read the link)."""
        for notice in self.notices:
            st.warning(notice, icon="🔗")

    def preset_picker(self, label: str = "Preset") -> str | None:
        """A preset chooser that sets every control, plus the preset's "what to notice" line."""
        if not self.presets:
            return None
        key = self.key(PRESET_KEY)
        st.selectbox(label, [NO_PRESET, *self.presets], key=key, on_change=self._apply_preset,
                     format_func=lambda slug: self.presets[slug].label if slug in self.presets else slug,
                     help="Sets every control to a prepared view; you can change them afterwards.")
        return self.preset

    @property
    def preset(self) -> str | None:
        name = st.session_state.get(self.key(PRESET_KEY), NO_PRESET)
        return None if name == NO_PRESET else name

    def _apply_preset(self) -> None:
        values = defaults(self.params)
        if self.preset:
            values.update(self.presets[self.preset].values)
        for name, value in values.items():
            st.session_state[self.key(name)] = value

    # Widget callbacks live here, never in a page. Streamlit keeps every widget's metadata, its callback
    # included, for the whole session, also after the widget is gone, and a chart with ``on_select`` is a new
    # widget for every figure it shows (its identity hashes the figure). A function defined in a page holds
    # that run's whole module namespace (figures, results, data) through ``__globals__``: one run kept alive
    # per figure per visitor, so under ``make load`` the server grew for as long as the class went on
    # (tests/test_session_memory.py). A method of the view holds only the view.

    def next_seed(self, name: str = "seed") -> None:
        """A button's ``on_click``: the integer control ``name`` takes its next value (after the last, its first)."""
        param, key = self.by_name[name], self.key(name)
        st.session_state[key] = param.low + (st.session_state[key] + 1 - param.low) % (param.high - param.low + 1)

    def start_from_click(self, chart_key: str, trace: int, x_name: str, y_name: str) -> None:
        """A chart's ``on_select`` (with the arguments bound by ``functools.partial``): the first clicked point of
        trace number ``trace`` sets the controls ``x_name`` and ``y_name``."""
        points = [p for p in st.session_state[chart_key].selection.points if p.get("curve_number") == trace]
        if points:
            st.session_state[self.key(x_name)] = round(float(points[0]["x"]), 2)
            st.session_state[self.key(y_name)] = round(float(points[0]["y"]), 2)

    def preset_notice(self) -> None:
        """The chosen preset's one line of what to notice, and which controls were changed since."""
        if not self.preset:
            return
        current = self.values()
        changed = [self.by_name[n].label for n, v in self.presets[self.preset].values.items() if current[n] != v]
        preset = self.presets[self.preset]
        note = f"**{preset.label}** — {preset.notice}"
        if changed:
            note += f"  \n*You have changed: {', '.join(changed)}.*"
        st.info(note, icon="👀")

    def control(self, name: str):
        """Draw the declared control ``name`` and return its value (presenter mode may hide it: the value stays).
        On a stage, a key control is drawn beside the figure and a "more" one under them, wherever it is asked."""
        if name in self.hidden or (self.presenting and self._stage and name in self.more_controls):
            return st.session_state.get(self.key(name), self.by_name[name].default)
        place = self._place(name)
        if place is not None:
            with place:
                return self.by_name[name].widget(self.key(name))
        return self.by_name[name].widget(self.key(name))

    def _place(self, name: str):
        if self._stage is None:
            return None
        if name in self.key_controls:
            return self._stage.keys
        return self._stage.more if name in self.more_controls else None

    def row(self, names: list[str], widths: list[float] | None = None) -> list:
        """Draw several declared controls side by side; returns their values in order."""
        if self._stage is not None and any(self._place(n) is not None for n in names):
            return [self.control(name) for name in names]  # stacked in the stage's narrow column
        widths = widths or [1] * len(names)
        shown = [(n, w) for n, w in zip(names, widths) if n not in self.hidden]
        columns = dict(zip([n for n, _ in shown], st.columns([w for _, w in shown]))) if shown else {}
        values = []
        for name in names:
            if name in columns:
                with columns[name]:
                    values.append(self.control(name))
            else:
                values.append(self.control(name))
        return values

    def values(self) -> dict:
        return {p.name: st.session_state.get(self.key(p.name), p.default) for p in self.params}

    def url(self) -> dict:
        """The link of the current view: the app's own keys (lesson, presenter mode) kept, then the controls."""
        kept = {k: st.query_params.get(k) for k in APP_KEYS if st.query_params.get(k) is not None}
        return {**kept, **to_url(self.values(), self.preset, self.params, self.presets)}

    def finish(self) -> None:
        """Write the current view into the URL (call after every control is drawn)."""
        url = _written(self.url())
        current = {k: st.query_params.get(k) for k in st.query_params}
        if _written(current) != url and MATH_KEY not in current:
            st.query_params.from_dict(url)
        elif _written(current) != url:  # from_dict clears the URL first, which Streamlit refuses while a bound
            for k in _written(current).keys() - url.keys():  # key is in it: key by key
                del st.query_params[k]
            for k, v in url.items():
                if current.get(k) != v:
                    st.query_params[k] = v
        st.session_state[self._url_key] = url

    @property
    def reduced_motion(self) -> bool:
        """The viewer asked for reduced motion (``?motion=reduced``, or the sidebar switch)."""
        return st.query_params.get("motion") == "reduced"

    def styled(self, fig, *, last_frame: bool = False):
        """``fig`` as this viewer needs it: their palette, presenter sizes, panels stacked on a phone, and
        optionally on its last frame."""
        return _styled(fig, current_palette(), PRESENTER_SCALE if self.presenting else 1.0, last_frame, on_phone())

    def stage_keys(self):
        """The stage's key-control column, for what sits with the key controls but is not one (a live switch);
        the page's flow where it has no stage."""
        return self._stage.keys if self._stage is not None else st.container()

    def stage_more(self):
        """The stage's "More controls" panel, for headings and buttons among those controls; None in presenter
        mode (which shows only the key controls), the page's flow where it has no stage."""
        if self._stage is None:
            return st.container()
        return self._stage.more

    def on_stage(self):
        """The stage's figure column, for the main figure and what must be read with it (a divergence); the
        page's flow where it has no stage."""
        return self._stage.figure if self._stage is not None else st.container()

    def chart(self, fig, summary: str, **kwargs):
        """Draw ``fig`` for this viewer, and say in words what it shows (for screen readers, and for anyone).

        Reduced motion opens an animation on its final frame instead of its first. ``summary`` is the page's
        sentence about what the chart shows right now (its numbers); the figure's own structure — panels,
        axes, series, frames — is described after it.
        """
        kwargs.setdefault("config", {"displaylogo": False})
        kwargs.setdefault("alt", summary.split(". ")[0][:250])  # the chart's accessible name for screen readers
        if on_phone():  # the mode bar covers the legend on a narrow screen, and fingers scroll, not zoom
            kwargs["config"] = {**kwargs["config"], "displayModeBar": False}
        result = st.plotly_chart(self.styled(fig, last_frame=self.reduced_motion), **kwargs)
        with st.expander("📝 This chart in words"):
            st.markdown(summary)
            st.caption(_described(fig))
        return result

    def share_link(self, presenter: tuple | None = None, url: dict | None = None) -> str:
        """The link to this view (``url``: ``self.url()`` if the caller already has it)."""
        base = app_address(st.context.url or LOCAL_URL, self.page)
        url = {k: v for k, v in (url or self.url()).items() if k not in ("present", "hide")}
        if presenter is not None:
            url = {**url, "present": "1", **({"hide": ",".join(presenter)} if presenter else {})}
        query = urlencode(url)
        return f"{base}/{self.page}" + (f"?{query}" if query else "")

    def share_button(self) -> None:
        """A popover with the link to this exact view (every control and the seed), ready to copy, and a
        builder for a presenter link (large type, no sidebar, chosen controls hidden)."""
        url = self.url()
        with st.popover("🔗 Copy link to this view"):
            st.code(self.share_link(url=url), language=None, wrap_lines=True)
            st.caption("Use the copy icon at the right of the link. Whoever opens it sees this exact view, "
                       "with the same controls and random seed.")
            st.markdown("**For a projector**")
            hide = st.multiselect("Controls to hide", [p.name for p in self.params], key=f"_hide.{self.page}",
                                  format_func=lambda n: self.by_name[n].label)
            st.code(self.share_link(presenter=tuple(hide), url=url), language=None, wrap_lines=True)
            st.caption("Presenter mode: larger type, no sidebar, the full width of the screen, and only the "
                       "controls you keep.")
