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
  // A rerun that draws the same figure again (a URL sync, a widget that changes nothing drawn) hands Plotly new
  // but equal frame objects, so a run is told by what its frames hold, not by which objects they are.
  const seen = new WeakMap();     // chart element -> its last frame object when last scanned (the fast path)
  const runs = new Map();         // place (page + chart key, or order on the page) -> signature of its run
  const frames = (gd) => gd._transitionData._frames;
  const signature = (gd) => frames(gd).length + ':' + JSON.stringify(frames(gd)[frames(gd).length - 1]);
  const reduced = () => new URLSearchParams(location.search).get('motion') === 'reduced';
  const animated = (gd) => gd.layout && (gd.layout.updatemenus || []).length && (gd.layout.updatemenus[0].buttons || []).length
    && gd._transitionData && (frames(gd) || []).length > 1;
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
      if (!animated(gd)) return;
      const last = frames(gd)[frames(gd).length - 1];
      if (seen.get(gd) === last) return;
      seen.set(gd, last);
      const place = placeOf(gd, index), run = signature(gd);
      const before = runs.get(place);
      runs.set(place, run);
      if (before !== undefined && before !== run && !reduced()) play(gd);
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
