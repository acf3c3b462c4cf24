"""Change-to-picture time in a real Chromium (issue 22): ``python -m bench.browser``, and part of ``make bench``.

What a person waits for after moving a control is mostly shipping and drawing the new figure, not the script run,
so this is measured where the person sits: headless Chromium at 1280×720 against a real ``streamlit run``. On each
page it makes several distinct control changes the way a person does (an arrow key on a focused slider, a click on
a number box's +), each to a value this server has not computed yet (so no cache answers), and times from the
input event to the main chart — the highest chart with Play buttons, else the largest — holding a new figure
drawn at its column's width, plus one animation frame so that the figure has been painted. Beside it, the size
of that figure (its JSON, binary arrays counted as the base64 they travel as) and the bytes the websocket
brought, because smaller figures draw faster.

The reference, measured on the same page in the same run: a rerun that changes nothing (Streamlit's "R" key),
from the key to the run's end. A benchmark, not a test: it prints a table and exits 0; budgets are a column.

Old code, for a before/after comparison (the same venv serves it)::

    git worktree add --detach /tmp/mme-before <commit>
    python -m bench.browser --root /tmp/mme-before --port 8642
    git worktree remove --force /tmp/mme-before

Quicker runs: ``python -m bench.browser --pages fit-a-line optimizers --changes 5``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import RESULTS, Server, _die_with_parent, streamlit_command  # noqa: E402

VIEWPORT = {"width": 1280, "height": 720}
INTERACTIVE_BUDGET_S = 0.5  # fit a line, optimizers, calibration: a change should feel immediate
TRAINING_BUDGET_S = 1.5  # trainings and t-SNE, with visible progress


@dataclass(frozen=True)
class Change:
    """One control and how a person moves it: ``right`` / ``left`` = that arrow key on the focused slider (one
    step), ``step`` = a click on the number box's + (one step up). Each press moves on to a value not seen before
    in the run, so no cache answers. (Learning rates go down: up, the run diverges early and a longer run then
    draws the same picture.)"""

    control: str
    how: str = "right"


@dataclass(frozen=True)
class PageSpec:
    url_path: str
    changes: tuple[Change, ...]  # cycled through: change k moves changes[k % len]
    budget_s: float


PAGES = {
    "fit-a-line": PageSpec("fit-a-line", (Change("lr", "left"), Change("w0", "step")), INTERACTIVE_BUDGET_S),
    "optimizers": PageSpec("optimizers", (Change("condition"), Change("lr", "left")), INTERACTIVE_BUDGET_S),
    "calibration": PageSpec("calibration", (Change("t"), Change("cost_fp", "step"), Change("cost_fn", "step")),
                            INTERACTIVE_BUDGET_S),
    "decision-boundary": PageSpec("decision-boundary", (Change("noise"), Change("lr", "left")),
                                   TRAINING_BUDGET_S),
    "batch-size": PageSpec("batch-size", (Change("lr", "left"), Change("steps")), TRAINING_BUDGET_S),
    "pca-vs-tsne": PageSpec("pca-vs-tsne", (Change("perplexity"),), TRAINING_BUDGET_S),
}

#: Installed in every page before its own scripts. ``__bench.arm(i)`` remembers chart ``i``'s figure; the first
#: keydown or pointerdown after it starts the clock; each animation frame then checks whether chart ``i`` holds a
#: figure with other contents (a remount, or Plotly.react with new data), and stops the clock one frame later
#: (after the paint). Contents, not object identity: a rerun may hand Plotly equal figures as new objects.
#: Typed arrays (Plotly's decoded binary arrays) enter the signature as their length and sum, and the payload as
#: the base64 text they were sent as.
INSTRUMENT_JS = """
(() => {
  if (window.__bench) return;
  const B = window.__bench = {state: null, observer: null};
  const charts = () => [...document.querySelectorAll('.js-plotly-plot')];
  const app = () => document.querySelector('[data-testid="stApp"]');
  B.figure = (gd) => {
    let binary = 0, tokens = 0;
    const replacer = (k, v) => {
      if (!ArrayBuffer.isView(v)) return v;
      let s = 0;
      for (let i = 0; i < v.length; i += 1) s += v[i];
      const token = 'T' + v.length + ':' + s;
      binary += Math.ceil(v.byteLength / 3) * 4 + 30;  // {"dtype": "f4", "bdata": "..."}
      tokens += token.length + 2;
      return token;
    };
    try {
      const frames = (gd._transitionData && gd._transitionData._frames) || [];
      const text = JSON.stringify({data: gd.data, layout: gd.layout, frames: frames}, replacer);
      return {sig: text, bytes: text.length - tokens + binary, frames: frames.length};
    } catch (e) {
      return {sig: 'error:' + e, bytes: 0, frames: 0};
    }
  };
  B.mainIndex = () => {  // the one a person watches: the highest chart with Play buttons, else the largest
    let best = -1, area = 0, top = Infinity;
    charts().forEach((gd, i) => {
      if (gd.layout && (gd.layout.updatemenus || []).length && gd.getBoundingClientRect().top < top) {
        top = gd.getBoundingClientRect().top; best = i;
      }
    });
    if (best >= 0) return best;
    charts().forEach((gd, i) => { const a = gd.offsetWidth * gd.offsetHeight; if (a > area) { area = a; best = i; } });
    return best;
  };
  // Drawn where it shows: Streamlit sometimes draws a new chart before it knows the width of its column, and
  // again at that width a moment later; only the second is what a person sees.
  const settled = (gd) => gd.offsetWidth > 0 && Math.abs(gd._fullLayout.width - gd.offsetWidth) <= 2;
  B.arm = (index) => {
    const gd = charts()[index];
    B.state = {index, gd, data: gd && gd.data, layout: gd && gd.layout, sig: gd ? B.figure(gd).sig : null,
               t0: null, t1: null, seen: null, full: null, progress: null, payload: null, frames: 0, states: [],
               others: null};
    B.otherSigs = charts().map((c) => c === gd ? null : B.figure(c).sig);
    if (!B.observer && app()) {
      B.observer = new MutationObserver(() => {
        const s = B.state;
        if (s && s.t0 !== null) s.states.push([performance.now(), app().dataset.testScriptState]);
      });
      B.observer.observe(app(), {attributes: true, attributeFilter: ['data-test-script-state']});
    }
  };
  const start = () => { if (B.state && B.state.t0 === null) B.state.t0 = performance.now(); };
  window.addEventListener('keydown', start, true);
  window.addEventListener('pointerdown', start, true);
  B.checkOthers = () => {  // when the main chart did not change: the last other chart that did, if any
    const s = B.state;
    charts().forEach((c, i) => {
      if (i !== s.index && B.otherSigs[i] !== undefined && B.figure(c).sig !== B.otherSigs[i]) s.others = i;
    });
    return s.others;
  };
  function tick() {
    const s = B.state;
    if (s && s.t0 !== null && s.full === null) {
      if (s.progress === null && document.querySelector('[data-testid="stProgress"], [data-testid="stSpinner"]')) {
        s.progress = performance.now();
      }
      const gd = charts()[s.index];
      if (gd && gd._fullLayout && (gd !== s.gd || gd.data !== s.data || gd.layout !== s.layout)) {
        s.gd = gd; s.data = gd.data; s.layout = gd.layout;
        const fig = B.figure(gd);
        if (fig.sig !== s.sig) {
          s.sig = fig.sig;  // a later figure (a t-SNE's next map so far, then its replay) differs from this one
          if (s.seen === null) { s.pending = true; s.payload = fig.bytes; s.frames = fig.frames; }
          if (fig.frames > 0) { s.payload = fig.bytes; s.frames = fig.frames; s.pendingFull = true; }
        }
      }
      if (gd && gd._fullLayout && settled(gd)) {
        if (s.pending && s.seen === null) {
          s.pending = false; s.seen = performance.now();
          requestAnimationFrame(() => { s.t1 = performance.now(); });  // the frame after the one it was drawn in
        }
        if (s.pendingFull) {  // the animation itself (a page may first draw a run in progress without frames)
          s.pendingFull = false;
          requestAnimationFrame(() => { s.full = performance.now(); });
        }
      }
    }
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
})();
"""

#: The run that followed the input has ended (the app went busy and is idle again): its end time, else null.
RUN_END_JS = """() => {
  const s = window.__bench.state;
  const busy = s.states.findIndex(([, state]) => state !== 'notRunning');
  if (busy < 0) return null;
  const end = s.states.slice(busy).find(([, state]) => state === 'notRunning');
  return end ? end[0] : null;
}"""


@dataclass
class Sample:
    """One change: seconds from the input to the picture (or to the run's end when no chart changed)."""

    control: str
    seconds: float | None
    drawn: str  # "main" | "other chart" | "nothing" | "timeout"
    payload_bytes: int = 0
    ws_bytes: int = 0
    frames: int = 0
    progress_s: float | None = None
    run_s: float | None = None  # input to the end of the script run it caused (the server's part, roughly)
    animated_s: float | None = None  # input to the figure with frames painted, when a picture without came first


@dataclass
class PageResult:
    url_path: str
    budget_s: float
    samples: list[Sample] = field(default_factory=list)
    reference_s: list[float] = field(default_factory=list)
    load_s: float | None = None
    skipped: list[str] = field(default_factory=list)  # controls this code's page does not have
    error: str = ""


# ------------------------------------------------------------------------------------------------ pure parts


def spread(values: list[float]) -> dict | None:
    """Median, min and max of the numbers given (None when there are none)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def summarise(result: PageResult) -> dict:
    """The numbers of one page's row: change-to-picture spread (timeouts left out, counted), payloads (median
    over changes), the reference and the ratio of the medians."""
    timed = [s.seconds for s in result.samples if s.drawn != "timeout"]
    change, ref = spread(timed), spread(result.reference_s)
    payload = spread([s.payload_bytes for s in result.samples if s.payload_bytes])
    ws = spread([s.ws_bytes for s in result.samples if s.ws_bytes])
    return {
        "page": result.url_path, "budget_s": result.budget_s, "change": change, "reference": ref,
        "ratio": change["median"] / ref["median"] if change and ref and ref["median"] > 0 else None,
        "payload_mb": payload["median"] / 1e6 if payload else None, "ws_mb": ws["median"] / 1e6 if ws else None,
        "progress_s": (spread([s.progress_s for s in result.samples]) or {}).get("median"),
        "run_s": (spread([s.run_s for s in result.samples]) or {}).get("median"),
        "animated_s": (spread([s.animated_s for s in result.samples]) or {}).get("median"),
        "not_main": sum(s.drawn in ("other chart", "nothing") for s in result.samples),
        "timeouts": sum(s.drawn == "timeout" for s in result.samples),
        "within_budget": bool(change and change["median"] <= result.budget_s),
        "skipped": result.skipped, "error": result.error,
    }


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def table(summaries: list[dict], label: str = "") -> str:
    """A markdown table, one row per page."""
    lines = [f"**{label}**" if label else "",
             "| page | change → picture median (min–max), s | its script run ended, s | changes | figure MB | "
             "websocket MB/change | no-op rerun, s | ratio | budget | notes |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for s in summaries:
        change, ref = s["change"], s["reference"]
        timing = f"{_s(change['median'])} ({_s(change['min'])}–{_s(change['max'])})" if change else "—"
        notes = []
        if s["not_main"]:
            notes.append(f"{s['not_main']} without a new main figure")
        if s["timeouts"]:
            notes.append(f"{s['timeouts']} timed out")
        if s["progress_s"] is not None:
            notes.append(f"progress shown after {s['progress_s']:.2f} s")
        if s.get("animated_s") is not None:
            notes.append(f"the run drawn as it goes; its animation after {s['animated_s']:.2f} s")
        if s["skipped"]:
            notes.append("no control " + ", ".join(s["skipped"]))
        if s["error"]:
            notes.append(s["error"][:120])
        mb = "—" if s["payload_mb"] is None else f"{s['payload_mb']:.2f}"
        ws = "—" if s["ws_mb"] is None else f"{s['ws_mb']:.2f}"
        ratio = "—" if s["ratio"] is None else f"{s['ratio']:.1f}×"
        lines.append(f"| {s['page']} | {timing} | {_s(s['run_s'])} | {change['n'] if change else 0} | {mb} | {ws} | "
                     f"{_s(ref['median']) if ref else '—'} | {ratio} | ≤ {s['budget_s']:g} s median | "
                     f"{'; '.join(notes) or '—'} |")
    return "\n".join(line for line in lines if line)


def bench_rows(summaries: list[dict]) -> list[tuple]:
    """The same results as rows of ``make bench``'s table (measure, value, reference, ratio, goal)."""
    rows = []
    for s in summaries:
        change, ref = s["change"], s["reference"]
        size = "" if s["payload_mb"] is None else f" · figure {s['payload_mb']:.2f} MB"
        if s.get("animated_s") is not None:
            size += f" · drawn as it runs, animation after {s['animated_s']:.2f} s"
        value = (f"median {change['median']:.2f} s (min {change['min']:.2f}, max {change['max']:.2f}, "
                 f"{change['n']} changes){size}") if change else (s["error"] or "not measured")
        rows.append((f"browser: control change → new picture drawn, {s['page']} (Chromium 1280×720)", value,
                     f"rerun that changes nothing: {ref['median']:.2f} s" if ref else "—",
                     f"{s['ratio']:.1f}×" if s["ratio"] is not None else "—", f"≤ {s['budget_s']:g} s median"))
    return rows


# ------------------------------------------------------------------------------------------------- the browser


class AppServer(Server):
    """``streamlit run app.py`` from ``root`` (this checkout, or an old one in a git worktree), no warm-up."""

    def __init__(self, root: Path, port: int | None = None):
        super().__init__(port, log_dir=RESULTS, log_prefix="browser-bench-server")
        self.root = Path(root)

    def start(self) -> "AppServer":
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            streamlit_command(self.port), cwd=self.root, stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "ML_EXPLORER_WARM_UP": "0"},
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        return self


def wait_idle(pg, timeout_ms: int = 120_000) -> None:
    """The script run is over, the app connected and nothing is still loading."""
    time.sleep(0.15)  # let a requested rerun start, so the previous run's "notRunning" is not read
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]'
                         '[data-test-connection-state="CONNECTED"]', timeout=timeout_ms)
    pg.wait_for_function("() => !document.querySelector('[data-testid=stSkeleton]')", timeout=timeout_ms)


def control_locator(pg, page: str, change: Change):
    """The element a person presses for ``change`` (None when this code's page has no such control); an
    expander holding it is opened first, as a person would."""
    holder = pg.locator(f".st-key-{page}-{change.control}")

    def pick():
        slider, step = holder.get_by_role("slider").first, holder.locator('[data-testid="stNumberInputStepUp"]').first
        target = slider if change.how in ("right", "left") else step
        if holder.count() and target.count() == 0:  # older code may draw the control as the other kind of widget
            target = step if target is slider else slider
        return target

    target = pick()
    if target.count() == 0 or not target.is_visible():
        _open_expanders(pg, holder)
        target = pick()  # a slider in a closed expander has no knob yet: look again
    if target.count() == 0:
        return None
    target.wait_for(state="visible", timeout=5_000)
    return target


def _open_expanders(pg, target) -> None:
    """Open the page's closed expanders one by one until ``target`` (a control's container) shows (Streamlit
    draws an expander's widgets only once it is open)."""
    # not the Math & code panel: opening it is a change of view (it is in the link), not a way to a control
    closed = pg.locator('[data-testid="stMain"] [data-testid="stExpander"] details:not([open]) > summary',
                        has_not_text="Math & code")
    for _ in range(closed.count()):
        if target.count() and target.is_visible():
            return
        closed.first.click()
        time.sleep(0.3)


def press(pg, target, change: Change) -> None:
    if target.get_attribute("data-testid") != "stNumberInputStepUp":  # a slider (a step is up: so is it then)
        target.focus()
        if change.how == "step":
            change = Change(change.control, "right")
        pg.keyboard.press("ArrowRight" if change.how == "right" else "ArrowLeft")
    else:
        target.click()


def measure_change(pg, page: str, change: Change, ws_bytes: list[int], timeout_s: float,
                   settle_s: float = 2.0) -> Sample | None:
    """One control change, timed from its input event to the main chart's new figure painted."""
    target = control_locator(pg, page, change)
    if target is None:
        return None
    index = pg.evaluate("() => __bench.mainIndex()")
    pg.evaluate("i => __bench.arm(i)", index)
    ws_bytes[0] = 0
    press(pg, target, change)
    deadline = time.monotonic() + timeout_s
    run_end_seen = None
    while time.monotonic() < deadline:
        state = pg.evaluate("() => ({t0: __bench.state.t0, t1: __bench.state.t1})")
        if state["t1"] is not None:
            sample = _sample(pg, change, ws_bytes[0], "main")
            sample.run_s = _run_seconds(pg, deadline)
            sample.animated_s = _animated_seconds(pg, sample.seconds, min(deadline, time.monotonic() + settle_s))
            if sample.animated_s is not None:  # the replay's size, not the picture drawn while it was computed
                sample.payload_bytes, sample.frames = pg.evaluate("() => [__bench.state.payload, __bench.state.frames]")
            return sample
        if state["t0"] is not None and pg.evaluate(RUN_END_JS) is not None:
            run_end_seen = run_end_seen or time.monotonic()
            if time.monotonic() - run_end_seen > settle_s:  # the run is over and the main chart kept its figure
                return _fallback(pg, change, ws_bytes[0])
        time.sleep(0.05)
    return Sample(change.control, None, "timeout", ws_bytes=ws_bytes[0])


def _run_seconds(pg, deadline: float) -> float | None:
    while time.monotonic() < deadline:
        end = pg.evaluate(RUN_END_JS)
        if end is not None:
            return (end - pg.evaluate("() => __bench.state.t0")) / 1e3
        time.sleep(0.05)
    return None


def _animated_seconds(pg, first_s: float, deadline: float) -> float | None:
    """When the first new picture had no frames (PCA vs t-SNE's map while the run goes): seconds from the input to
    the animated figure painted, waiting until ``deadline`` (after the run's end) for it; else None."""
    while True:
        s = pg.evaluate("() => { const s = __bench.state; return {t0: s.t0, full: s.full}; }")
        if s["full"] is not None:
            seconds = (s["full"] - s["t0"]) / 1e3
            return seconds if seconds > first_s + 0.02 else None  # the first picture was the animation
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)


def _sample(pg, change: Change, ws: int, drawn: str) -> Sample:
    s = pg.evaluate("() => { const s = __bench.state; return {t0: s.t0, t1: s.t1, payload: s.payload, "
                    "frames: s.frames, progress: s.progress}; }")
    progress = (s["progress"] - s["t0"]) / 1e3 if s["progress"] is not None else None
    return Sample(change.control, (s["t1"] - s["t0"]) / 1e3, drawn, s["payload"] or 0, ws, s["frames"], progress)


def _fallback(pg, change: Change, ws: int) -> Sample:
    """The main chart kept its figure: time to the run's end, saying whether another chart changed."""
    other = pg.evaluate("() => __bench.checkOthers()")
    t0 = pg.evaluate("() => __bench.state.t0")
    run_s = (pg.evaluate(RUN_END_JS) - t0) / 1e3
    return Sample(change.control, run_s, "other chart" if other is not None else "nothing", ws_bytes=ws, run_s=run_s)


def measure_reference(pg, repeats: int = 3) -> list[float]:
    """A rerun that changes nothing ("R" with nothing focused): from the key to the run's end."""
    times = []
    for _ in range(repeats):
        wait_idle(pg)
        pg.evaluate("() => { document.activeElement && document.activeElement.blur(); __bench.arm(-1); }")
        pg.keyboard.press("r")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            end = pg.evaluate(RUN_END_JS)
            if end is not None:
                times.append((end - pg.evaluate("() => __bench.state.t0")) / 1e3)
                break
            time.sleep(0.05)
    return times


def bench_page(browser, base_url: str, spec: PageSpec, n_changes: int, timeout_s: float,
               shots: Path | None = None) -> PageResult:
    result = PageResult(spec.url_path, spec.budget_s)
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.add_init_script(INSTRUMENT_JS)
    ws_bytes = [0]

    def on_socket(ws):
        ws.on("framereceived", lambda payload: ws_bytes.__setitem__(0, ws_bytes[0] + len(payload)))

    pg.on("websocket", on_socket)
    try:
        t = time.monotonic()
        pg.goto(f"{base_url}/{spec.url_path}")
        wait_idle(pg, 180_000)
        pg.wait_for_selector(".js-plotly-plot", timeout=180_000)
        result.load_s = time.monotonic() - t
        result.reference_s = measure_reference(pg)
        missing = set()
        for k in range(n_changes * 3):  # a page lacking some controls moves the ones it has
            if len(result.samples) >= n_changes:
                break
            change = spec.changes[k % len(spec.changes)]
            if change.control in missing:
                continue
            wait_idle(pg)
            sample = measure_change(pg, spec.url_path, change, ws_bytes, timeout_s)
            if sample is None:
                missing.add(change.control)
                if missing == {c.control for c in spec.changes}:
                    break
                continue
            result.samples.append(sample)
            print(f"  {spec.url_path} {change.control}: {_s(sample.seconds)} s ({sample.drawn}, "
                  f"figure {sample.payload_bytes / 1e6:.2f} MB, websocket {sample.ws_bytes / 1e6:.2f} MB)",
                  file=sys.stderr, flush=True)
        result.skipped = sorted(missing)
        if shots is not None:
            pg.screenshot(path=str(shots / f"browser-bench-{spec.url_path}.png"))
    except Exception as exc:  # a page that fails is reported in its row; the others are still measured
        result.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    finally:
        context.close()
    return result


def run(root: Path = ROOT, pages: list[str] | None = None, n_changes: int = 5, port: int | None = None,
        timeout_s: float = 90.0, shots: Path | None = None) -> list[PageResult]:
    """Serve ``root``'s app, open each page in headless Chromium and measure its changes."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS

    chromium = shutil.which("chromium")
    if chromium is None:
        raise RuntimeError("chromium is not installed (make browser installs Debian's)")
    specs = [PAGES[p] for p in (pages or PAGES)]
    with AppServer(root, port) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            return [bench_page(browser, server.url, spec, n_changes, timeout_s, shots) for spec in specs]
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", nargs="+", choices=list(PAGES), help="pages to measure (default: all)")
    parser.add_argument("--changes", type=int, default=5, help="control changes per page (default 5)")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose app is served (default: this one)")
    parser.add_argument("--port", type=int, default=None, help="server port (default: a free one)")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for one change's picture")
    parser.add_argument("--label", default="", help="heading of the table (e.g. 'before: 0b9dd29')")
    parser.add_argument("--json", type=Path, help="also write every sample here")
    parser.add_argument("--screenshots", type=Path, help="a screenshot of each page after its changes, here")
    args = parser.parse_args(argv)
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    results = run(args.root.resolve(), args.pages, args.changes, args.port, args.timeout, args.screenshots)
    summaries = [summarise(r) for r in results]
    print(table(summaries, args.label or f"change → picture, {args.root.resolve()}"))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"root": str(args.root.resolve()), "pages": [asdict(r) for r in results],
                                         "summaries": summaries}, indent=1))
    return 0  # a benchmark, not a test: the budgets are a column of the table


if __name__ == "__main__":
    sys.exit(main())
