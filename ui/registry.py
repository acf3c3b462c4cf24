"""The explorers the app serves: one entry each, read by the router, the home page and the tests."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Explorer:
    """``path`` is relative to the repo root; ``url_path`` is where the page is served; ``module`` holds its
    declarations and computations (``explorers/<name>.py``: ``PARAMS``, ``PRESETS``, ``KEY``, ``MORE``,
    ``warm``), importable without running the page."""

    path: str
    title: str
    icon: str
    url_path: str
    summary: str
    module: str = ""

    def declarations(self):
        """The explorer's declarations module, imported."""
        return importlib.import_module(self.module)

    @property
    def screenshot(self) -> Path:
        return ROOT / "docs" / "screenshots" / f"{self.url_path}.png"


EXPLORERS = [
    Explorer("pages/fit-a-line.py", "Fit a line with gradient descent", "📉", "fit-a-line",
             "Watch a line slide into place as (w, b) walks downhill on the mean-squared-error bowl — "
             "and see why one learning rate crawls, one converges and one explodes.",
             module="explorers.fit_line"),
    Explorer("pages/optimizers.py", "Optimizers racing on loss surfaces", "🏁", "optimizers",
             "SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam and AdamW race from the same start over bowls, "
             "valleys, saddles and your own formula — with every update's numbers spelled out.",
             module="explorers.optimizers"),
    Explorer("pages/decision-boundary.py", "Decision boundaries: a network learning live", "🧠", "decision-boundary",
             "A NumPy neural network trains on circles, spirals, XOR and logic gates: the boundary forms, each "
             "hidden unit finds its feature, and the weights grow — TensorFlow Playground, with the math shown.",
             module="explorers.boundary"),
    Explorer("pages/batch-size.py", "Batch size: noise, speed and the solution found", "🎲", "batch-size",
             "Batch sizes 1 to full race on one loss surface; the gradient cloud shrinks as Σ/B; a sweep finds the "
             "critical batch size; and small batches end in flatter minima.",
             module="explorers.batch_size"),
    Explorer("pages/pca-vs-tsne.py", "PCA vs t-SNE", "🔭", "pca-vs-tsne",
             "The same points through PCA's projection and t-SNE's optimisation, replayed iteration by iteration — "
             "with the traps Distill warned about (sizes, distances, clusters from noise) and numbers that "
             "measure each view.",
             module="explorers.embeddings"),
    Explorer("pages/calibration.py", "Calibration and thresholds", "⚖️", "calibration",
             "Is 0.9 really 90 %? Reliability diagrams before and after Platt, isotonic and temperature scaling; "
             "one slider moving the threshold through histograms, ROC, precision–recall and costs; and the "
             "“99 % accurate” model that never finds a crash.",
             module="explorers.calibration"),
]


def explorer(url_path: str) -> Explorer:
    return next(e for e in EXPLORERS if e.url_path == url_path)
