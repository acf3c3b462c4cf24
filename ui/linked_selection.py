"""Linked views: points selected in one panel of a figure are highlighted in its other panel, in the browser.

The PCA vs t-SNE figure (``viz.embedding.side_by_side``) marks itself with ``layout.meta = {"linked": "pairs"}``:
its traces come in (left, right) pairs, trace 2g and 2g + 1 holding the same points in the same order. This fixed
script (no user text goes into it) listens to Plotly's ``plotly_selected`` on such a chart and gives every trace of
the pair the selected indices (``selectedpoints``, through ``Plotly.restyle``), so a box or lasso in either panel
lights up the same points in the other at once, with no round trip to the server (a rerun would redraw the
chart). A double-click clears both.

The server can highlight rows too (a clicked point and its nearest neighbours in the data): :func:`highlight`
writes the rows' numbers into an invisible element, and the script selects, in every trace of the chart with that
key, the points whose ``customdata`` (their row numbers) are among them.
"""

from __future__ import annotations

import streamlit as st

LINKED_JS = """<script>
(() => {
  if (window.__mmeLinked) return;
  window.__mmeLinked = true;
  const linked = (gd) => gd.layout && gd.layout.meta && gd.layout.meta.linked === 'pairs' && gd.data;
  const TYPED = {u1: Uint8Array, u2: Uint16Array, u4: Uint32Array, i4: Int32Array, f4: Float32Array,
                 f8: Float64Array};
  function rowsOf(gd, i) {  // a trace's customdata (row numbers), typed array spec or array
    const full = (gd._fullData || [])[i];
    let c = (full && full.customdata) || gd.data[i].customdata;
    if (c && c.bdata && TYPED[c.dtype]) {
      const bytes = Uint8Array.from(atob(c.bdata), (ch) => ch.charCodeAt(0));
      c = new TYPED[c.dtype](bytes.buffer);
    }
    return c || [];
  }
  function apply(gd, perTrace) {
    if (!window.Plotly || !window.Plotly.restyle) return;
    window.Plotly.restyle(gd, {selectedpoints: perTrace}, perTrace.map((_, i) => i)).catch(() => {});
  }
  function onSelected(gd, event) {
    if (!event || !event.points) return;
    const pairs = new Map();  // pair -> indices selected in either of its traces
    event.points.forEach((p) => {
      const pair = p.curveNumber >> 1, index = p.pointIndex !== undefined ? p.pointIndex : p.pointNumber;
      if (!pairs.has(pair)) pairs.set(pair, new Set());
      pairs.get(pair).add(index);
    });
    apply(gd, gd.data.map((_, i) => Array.from(pairs.get(i >> 1) || []).sort((a, b) => a - b)));
  }
  function highlightRows(gd, rows) {
    const wanted = new Set(rows);
    apply(gd, gd.data.map((_, i) => {
      const ids = rowsOf(gd, i), picked = [];
      for (let k = 0; k < ids.length; k++) if (wanted.has(Number(ids[k]))) picked.push(k);
      return picked;
    }));
  }
  const followed = new WeakSet();
  function follow(gd) {
    if (followed.has(gd) || typeof gd.on !== 'function' || !linked(gd)) return;
    followed.add(gd);
    gd.on('plotly_selected', (event) => onSelected(gd, event));
    gd.on('plotly_deselect', () => apply(gd, gd.data.map(() => null)));
  }
  function serverHighlights() {
    document.querySelectorAll('[data-mme-highlight]').forEach((el) => {
      const key = el.getAttribute('data-mme-highlight'), rows = el.getAttribute('data-rows') || '';
      const holder = document.querySelector('.st-key-' + CSS.escape(key));
      const gd = holder && holder.querySelector('.js-plotly-plot');
      if (!gd || !linked(gd) || gd.__mmeHighlighted === rows) return;
      gd.__mmeHighlighted = rows;
      highlightRows(gd, rows.split(' ').filter((r) => r !== '').map(Number));
    });
  }
  let pending = null;
  const scan = () => {
    pending = null;
    document.querySelectorAll('.js-plotly-plot').forEach(follow);
    serverHighlights();
  };
  new MutationObserver(() => { pending = pending || setTimeout(scan, 150); })
    .observe(document.body, {childList: true, subtree: true, attributes: true, attributeFilter: ['data-rows']});
  scan();
})();
</script>"""


def linked_selection_support() -> None:
    """Add the script to the page (it is invisible and installs itself once per tab)."""
    st.html(LINKED_JS, unsafe_allow_javascript=True, width="content")


def highlight(chart_key: str, rows) -> None:
    """Ask the script to select the points with these row numbers (``customdata``) in every trace of the chart
    drawn with ``key=chart_key``: an invisible element carrying whole numbers only."""
    numbers = " ".join(str(int(r)) for r in rows)
    st.html(f'<div data-mme-highlight="{chart_key}" data-rows="{numbers}" hidden></div>', width="content")
