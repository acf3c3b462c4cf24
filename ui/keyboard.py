"""Keyboard access to the Plotly animation controls.

Streamlit's own widgets are keyboard-operable, but Plotly draws its Play / Pause / Reset buttons and its step
slider as SVG shapes that Tab never reaches. This fixed script (no user text goes into it) makes them
reachable: each button becomes a focusable ``role=button`` that Enter or Space presses, and the step slider a
focusable ``role=slider`` that the arrow keys, Home and End move one frame at a time (by sending Plotly the
same pointer events a mouse would). It runs once per browser tab and follows charts as Streamlit redraws them.
"""

import streamlit as st

KEYBOARD_JS = """<script>
(() => {
  if (window.__mmeKeyboard) return;
  window.__mmeKeyboard = true;
  const press = (el, type, x, y) => el.dispatchEvent(new MouseEvent(type, {bubbles: true, cancelable: true,
      view: window, clientX: x, clientY: y, buttons: type === 'mouseup' ? 0 : 1}));
  // Plotly's own geometry: step i of n sits at stepInset + (railLength − 2·stepInset)·i/(n − 1) on the rail.
  const STEP_INSET = 10;
  const sliderOf = (plot) => (((plot.closest('.js-plotly-plot') || plot)._fullLayout || {}).sliders || [])[0];
  function stepTo(plot, index) {
    const slider = sliderOf(plot), rail = plot.querySelector('g.slider-container .slider-rail-touch-rect');
    if (!slider || !rail) return;
    const n = (slider.steps || []).length;
    index = Math.max(0, Math.min(n - 1, index));
    const r = rail.getBoundingClientRect();
    const x = r.left + STEP_INSET + (r.width - 2 * STEP_INSET) * (n > 1 ? index / (n - 1) : 0);
    const y = r.top + r.height / 2;
    press(rail, 'mousedown', x, y);
    press(window, 'mouseup', x, y);
  }
  function label(plot) {
    plot.querySelectorAll('g.updatemenu-button').forEach((button) => {
      if (button.getAttribute('tabindex') === '0') return;
      const raw = (button.textContent || '').trim();
      const speed = raw.match(/^([\\d.]+)\\s*×$/);
      const word = raw.replace(/[^A-Za-z ]/g, '').trim();
      button.setAttribute('tabindex', '0');
      button.setAttribute('role', 'button');
      button.setAttribute('aria-label', speed ? `Play at ${speed[1]}× speed` : `${word || 'Control'} the animation`);
      button.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          const r = button.getBoundingClientRect();
          ['mousedown', 'mouseup', 'click'].forEach((t) => press(button, t, r.left + 2, r.top + 2));
        }
      });
    });
    const rail = plot.querySelector('g.slider-container');
    if (rail && rail.getAttribute('tabindex') !== '0') {
      rail.setAttribute('tabindex', '0');
      rail.setAttribute('role', 'slider');
      rail.setAttribute('aria-label', 'animation step (arrow keys step one frame)');
      rail.addEventListener('keydown', (e) => {
        const slider = sliderOf(plot);
        if (!slider) return;
        const n = (slider.steps || []).length, now = slider.active || 0;
        const to = {ArrowRight: now + 1, ArrowUp: now + 1, ArrowLeft: now - 1, ArrowDown: now - 1,
                    Home: 0, End: n - 1, PageUp: now + 10, PageDown: now - 10}[e.key];
        if (to === undefined) return;
        e.preventDefault();
        stepTo(plot, to);
      });
    }
    if (rail) {
      const slider = sliderOf(plot);
      if (slider) {
        rail.setAttribute('aria-valuemin', '0');
        rail.setAttribute('aria-valuemax', String((slider.steps || []).length - 1));
        rail.setAttribute('aria-valuenow', String(slider.active || 0));
      }
    }
  }
  let pending = null;  // animations mutate the SVG on every frame: rescan at most a few times a second
  const scan = () => { pending = null; document.querySelectorAll('.js-plotly-plot').forEach(label); };
  new MutationObserver(() => { pending = pending || setTimeout(scan, 250); })
    .observe(document.body, {childList: true, subtree: true});
  scan();
})();
</script>"""


def keyboard_support() -> None:
    """Add the script to the page (it is invisible and installs itself once per tab)."""
    st.html(KEYBOARD_JS, unsafe_allow_javascript=True, width="content")
