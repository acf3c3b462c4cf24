"""Keyboard access to the Plotly animation controls.

Streamlit's own widgets are keyboard-operable, but Plotly draws its Play / Pause / Reset buttons and its step
slider as SVG shapes that Tab never reaches. This fixed script (no user text goes into it) makes them
reachable: each button becomes a focusable ``role=button`` that Enter or Space presses, and the step slider a
focusable ``role=slider`` that the arrow keys, Home and End move one frame at a time (by running the step's
own command through Plotly's API, so no mouse drag is begun and none is left behind). It runs once per browser
tab and follows charts as Streamlit redraws them.
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
  const sliderOf = (plot) => ((plot.layout || {}).sliders || [])[0];
  // Run the step's own command (Plotly.animate to its frame) through Plotly's API, as the slider does when
  // clicked; Plotly then moves the slider to that frame. No pointer event is sent, so no drag is begun: a
  // mousedown on the rail starts one that only a mouseup reaching the chart element ends (one sent to window
  // never gets there), and an open drag makes the step follow the pointer and stalls Play.
  // Streamlit's Plotly bundle publishes the API as window.Plotly; should a later one not, click the rail.
  function stepTo(plot, index) {
    const slider = sliderOf(plot);
    if (!slider) return;
    const steps = slider.steps || [];
    const step = steps[Math.max(0, Math.min(steps.length - 1, index))];
    const api = window.Plotly;
    if (!step) return;
    if (api && typeof api[step.method] === 'function') {
      const at = steps.indexOf(step);
      // the next key press or Play interrupts this animation, which rejects its promise: that is expected
      let done = Promise.resolve(api[step.method](plot, ...(step.args || [])));
      // Plotly moves the slider itself only when an animation reaches the step's frame; after any other method
      // (a threshold slider's relayout) the knob and its readout must be moved to the step too
      if (step.method !== 'animate') done = done.then(() => api.relayout(plot, {'sliders[0].active': at}));
      done.catch(() => {});
    } else {
      clickRail(plot, steps.indexOf(step), steps.length);
    }
  }
  function clickRail(plot, index, n) {
    const rail = plot.querySelector('g.slider-container .slider-rail-touch-rect');
    if (!rail) return;
    const r = rail.getBoundingClientRect();
    const x = r.left + STEP_INSET + (r.width - 2 * STEP_INSET) * (n > 1 ? index / (n - 1) : 0);
    const y = r.top + r.height / 2;
    press(rail, 'mousedown', x, y);
    press(rail, 'mouseup', x, y);  // it bubbles to the chart element, where Plotly listens for the drag's end
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
    syncValue(plot);
    // frames played without redraw change no SVG children, so the scan below never sees them: follow Plotly's
    // own events to keep the announced value current
    if (rail && typeof plot.on === 'function' && !followed.has(plot)) {
      followed.add(plot);
      ['plotly_animatingframe', 'plotly_animated', 'plotly_sliderchange'].forEach(
        (name) => plot.on(name, () => setTimeout(() => syncValue(plot), 0)));
    }
  }
  const followed = new WeakSet();
  function syncValue(plot) {
    const rail = plot.querySelector('g.slider-container');
    const slider = sliderOf(plot);
    if (!rail || !slider) return;
    rail.setAttribute('aria-valuemin', '0');
    rail.setAttribute('aria-valuemax', String((slider.steps || []).length - 1));
    rail.setAttribute('aria-valuenow', String(slider.active || 0));
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
