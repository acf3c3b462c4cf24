"""t-SNE: ``core.tsne.TSNE`` (exact repulsion, a frame kept at every iteration) against scikit-learn's
``sklearn.manifold.TSNE`` (Barnes-Hut, its defaults) on the same data, in the same process.

Both run perplexity 30, 1,000 iterations, ``random_state=0``. Quality is measured the same way for both: the
exact KL divergence of the final embedding against the full P (``core.tsne.kl_divergence``; scikit-learn's own
``kl_divergence_`` is Barnes-Hut's estimate on the nearest-neighbour P and is listed apart) and
``sklearn.manifold.trustworthiness`` with 5 neighbours.

Data: the first n rows of scikit-learn's digits (1,797 × 64) for n ≤ 1,797; for larger n the digits plus
copies shifted by one pixel up, down, left or right (8,985 images, a fixed random choice of them beyond the
1,797 originals), so the extra points are plausible digits rather than jittered duplicates.

    python bench/tsne_bench.py            # 500, 1000, 1797, 5000 points
    python bench/tsne_bench.py 1797       # chosen sizes
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.tsne import TSNE, joint_probabilities, kl_divergence  # noqa: E402

PERPLEXITY = 30.0
MAX_ITER = 1000


def shifted_digits() -> np.ndarray:
    """The 1,797 digits followed by each shifted one pixel up, down, left and right (8,985 × 64)."""
    from sklearn.datasets import load_digits

    images = load_digits().images
    shifted = [images]
    for axis, step in ((1, -1), (1, 1), (2, -1), (2, 1)):
        moved = np.roll(images, step, axis=axis)
        edge = (slice(None),) * axis + ((0 if step == 1 else -1),)
        moved[edge] = 0.0  # what rolls over the edge is blank, not wrapped around
        shifted.append(moved)
    return np.concatenate(shifted).reshape(-1, 64)


def dataset(n: int) -> tuple[np.ndarray, str]:
    X = shifted_digits()
    if n <= 1797:
        return X[:n], "digits" if n == 1797 else f"digits[:{n}]"
    if n > len(X):
        raise ValueError(f"at most {len(X)} points (digits and their four one-pixel shifts), got {n}")
    extra = np.random.default_rng(0).choice(np.arange(1797, len(X)), n - 1797, replace=False)
    return np.concatenate([X[:1797], X[np.sort(extra)]]), "digits + 1-px shifts"


def run_ours(X):
    t = time.perf_counter()
    model = TSNE(perplexity=PERPLEXITY, max_iter=MAX_ITER, random_state=0, snapshot_every=1).fit(X)
    return model, time.perf_counter() - t


def run_sklearn(X):
    from sklearn.manifold import TSNE as SkTSNE

    t = time.perf_counter()
    model = SkTSNE(perplexity=PERPLEXITY, max_iter=MAX_ITER, random_state=0).fit(X)
    return model, time.perf_counter() - t


def compare(n_values=(500, 1000, 1797, 5000), repeats: int = 1) -> list[dict]:
    """One row per n: wall time (best of ``repeats``, ours and scikit-learn's runs interleaved), exact KL and
    trustworthiness of both final embeddings, our time per iteration and the size of our frames."""
    from sklearn.manifold import trustworthiness

    rows = []
    for n in n_values:
        X, name = dataset(n)
        ours_s, theirs_s = [], []
        for _ in range(repeats):
            ours, t = run_ours(X)
            ours_s.append(t)
            theirs, t = run_sklearn(X)
            theirs_s.append(t)
        P = joint_probabilities(X, PERPLEXITY)
        rows.append(dict(
            n=n, data=name, method=ours.method_,
            ours_s=min(ours_s), sklearn_s=min(theirs_s), speedup=min(theirs_s) / min(ours_s),
            ours_ms_per_iter=1e3 * ours.timings_["optimize"] / ours.n_iter_,
            ours_setup_s=ours.timings_["probabilities"],
            kl_ours=kl_divergence(P, ours.embedding_), kl_sklearn=kl_divergence(P, theirs.embedding_),
            kl_sklearn_reported=float(theirs.kl_divergence_),
            trust_ours=trustworthiness(X, ours.embedding_, n_neighbors=5),
            trust_sklearn=trustworthiness(X, theirs.embedding_, n_neighbors=5),
            frames_shape=ours.frames_.shape, frames_mb=ours.frames_.nbytes / 1e6,
        ))
        del P
    return rows


def markdown(rows: list[dict]) -> str:
    head = ("| n | data | ours (method) | ours s | ms/iter | sklearn s | speed-up | exact KL ours | exact KL sklearn "
            "| sklearn's own KL | trust. ours | trust. sklearn | frames |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['n']} | {r['data']} | {r['method']} | {r['ours_s']:.2f} | {r['ours_ms_per_iter']:.2f} "
            f"| {r['sklearn_s']:.2f} | {r['speedup']:.2f}x | {r['kl_ours']:.4f} | {r['kl_sklearn']:.4f} "
            f"| {r['kl_sklearn_reported']:.4f} | {r['trust_ours']:.4f} | {r['trust_sklearn']:.4f} "
            f"| {r['frames_shape'][0]}×{r['frames_shape'][1]}×{r['frames_shape'][2]} ({r['frames_mb']:.0f} MB) |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    import sklearn

    n_values = tuple(int(a) for a in argv) or (500, 1000, 1797, 5000)
    print(f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, {os.cpu_count()} CPUs; "
          f"perplexity {PERPLEXITY:g}, {MAX_ITER} iterations, random_state 0\n")
    print(markdown(compare(n_values)))


if __name__ == "__main__":
    main(sys.argv[1:])
