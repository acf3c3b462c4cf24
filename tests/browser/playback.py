"""What a person sees while an animation plays: every panel's drawing, sampled in the browser before each paint.

A screenshot waits for a quiet moment to paint, so it misses a panel that blanks between two frames. A
``requestAnimationFrame`` callback runs right before every paint: what it counts is what was painted.
"""

#: Per panel (Plotly subplot) of the first chart with Play buttons: how many marks of each kind are drawn.
#: "surface": contour fills, heatmap and layout images; "points": markers; "lines": scatter lines and bars.
PANELS_JS = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g => g.layout && (g.layout.updatemenus || []).length);
  if (!gd) return null;
  const panels = {};
  gd.querySelectorAll('.cartesianlayer > g.subplot').forEach((g) => {
    const id = [...g.classList].find((c) => c !== 'subplot');
    panels[id] = {
      surface: g.querySelectorAll('.contourlayer path.contourfill, .contourlayer .heatmapcoloring image, .heatmaplayer image, .imagelayer image').length
        + [...gd.querySelectorAll('.layer-below .imagelayer image, .layer-subplot .imagelayer image')].filter(
            (im) => (im.closest('g.subplot') || {}).classList ? im.closest('g.subplot').classList.contains(id) : false).length,
      points: g.querySelectorAll('.scatterlayer path.point').length,
      lines: g.querySelectorAll('.scatterlayer path.js-line, .barlayer path').length,
    };
  });
  return panels;
}"""

#: Start sampling ``PANELS_JS`` before every paint into ``window.__panelSamples``.
START_JS = """() => {
  window.__panelSamples = []; window.__sampling = true;
  const panels = (%s);
  const tick = () => { if (!window.__sampling) return; window.__panelSamples.push(panels()); requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}""" % PANELS_JS

STOP_JS = "() => { window.__sampling = false; return window.__panelSamples; }"


def blanks(before: dict, samples: list[dict]) -> dict[str, dict[str, int]]:
    """For every panel and kind of mark drawn in ``before``: in how many ``samples`` it was gone."""
    gone: dict[str, dict[str, int]] = {}
    for panel, kinds in before.items():
        for kind, count in kinds.items():
            if count:
                missing = sum(1 for s in samples if not s or not (s.get(panel) or {}).get(kind))
                if missing:
                    gone.setdefault(panel, {})[kind] = missing
    return gone


def painted_during_play(context, page, chart, boxes: list, play_ms: int = 6000) -> list[list]:
    """Every frame the compositor painted (DevTools' screencast, PNG) while ``chart`` played for ``play_ms`` with
    the CPU throttled 4x, each cut to the page ``boxes`` (``[x0, y0, x1, y1]``): pixels, what a person saw, where
    counting a panel's elements cannot tell a drawn picture from an element still waiting for its redraw."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    cdp = context.new_cdp_session(page)
    shots = []

    def keep(event):
        shots.append(base64.b64decode(event["data"]))
        cdp.send("Page.screencastFrameAck", {"sessionId": event["sessionId"]})

    cdp.on("Page.screencastFrame", keep)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    cdp.send("Page.startScreencast", {"format": "png", "everyNthFrame": 1})
    chart.locator("g.updatemenu-button", has_text="Play").first.click()
    page.wait_for_timeout(play_ms)
    chart.locator("g.updatemenu-button", has_text="Pause").first.click()
    page.wait_for_timeout(500)
    cdp.send("Page.stopScreencast")
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    frames = [np.asarray(Image.open(io.BytesIO(png)).convert("RGB")) for png in shots]
    return [[f[y0:y1, x0:x1] for x0, y0, x1, y1 in boxes] for f in frames]


def screenshot_pixels(page):
    """The viewport as an RGB array."""
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB"))


def white_share(pixels) -> float:
    """The share of pure white pixels: a map panel whose picture is not drawn is white but for its points."""
    return float((pixels == 255).all(axis=2).mean())
