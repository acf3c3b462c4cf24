"""A change plays at once: when a control change brings a new animation, it starts playing by itself.

A new run reaches the browser as a new chart element, or as new frames in the same one; either, in a place where
an animated chart stood before, is a run the viewer asked for: this fixed script (no user text goes into it)
presses its ▶ Play, through Plotly's own ``animate`` with the button's arguments. A chart seen for the first
time in a place (opening a page, a fresh link) waits for the viewer, and nothing plays by itself for someone
who asked for reduced motion (``?motion=reduced``).
"""

import streamlit as st

AUTOPLAY_JS = """<script>
(() => {
  if (window.__mmeAutoplay) return;
  window.__mmeAutoplay = true;
  const shown = new WeakMap();    // chart element -> its last frame when last seen (a new run brings new frames)
  const lastFrame = (gd) => gd._transitionData._frames[gd._transitionData._frames.length - 1];
  const places = new Set();       // places (page + chart key, or order on the page) that have shown a chart
  const reduced = () => new URLSearchParams(location.search).get('motion') === 'reduced';
  const animated = (gd) => gd.layout && (gd.layout.updatemenus || []).length && (gd.layout.updatemenus[0].buttons || []).length
    && gd._transitionData && (gd._transitionData._frames || []).length > 1;
  function placeOf(gd, index) {
    const holder = gd.closest('[class*="st-key-"]');
    const key = holder && [...holder.classList].find((c) => c.startsWith('st-key-'));
    return location.pathname + '|' + (key || 'chart-' + index);
  }
  function play(gd) {
    const button = gd.layout.updatemenus[0].buttons[0];
    if (window.Plotly && window.Plotly.animate) {
      window.Plotly.animate(gd, button.args[0], button.args[1]);
    } else {  // the same clicks a person makes
      const el = gd.querySelector('g.updatemenu-button');
      if (!el) return;
      const r = el.getBoundingClientRect();
      ['mousedown', 'mouseup', 'click'].forEach((type) => el.dispatchEvent(new MouseEvent(type,
        {bubbles: true, cancelable: true, view: window, clientX: r.left + 2, clientY: r.top + 2})));
    }
  }
  function scan() {
    pending = null;
    document.querySelectorAll('.js-plotly-plot').forEach((gd, index) => {
      if (!animated(gd) || shown.get(gd) === lastFrame(gd)) return;
      const updated = shown.has(gd);  // the same element, given a new run
      shown.set(gd, lastFrame(gd));
      const place = placeOf(gd, index);
      const replaces = updated || places.has(place);
      places.add(place);
      if (replaces && !reduced()) play(gd);
    });
  }
  let pending = null;
  new MutationObserver(() => { pending = pending || setTimeout(scan, 200); })
    .observe(document.body, {childList: true, subtree: true});
  scan();
})();
</script>"""


def autoplay_support() -> None:
    """Add the script to the page (it is invisible and installs itself once per tab)."""
    st.html(AUTOPLAY_JS, unsafe_allow_javascript=True, width="content")
