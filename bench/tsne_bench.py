"""t-SNE: ``core.tsne.TSNE`` (``method="auto"``, a frame kept every 10th iteration, as the page runs it) against
scikit-learn's ``sklearn.manifold.TSNE`` (Barnes-Hut, its defaults) on the same data, in one run. Both use
every core: scikit-learn's gradient and neighbour search through OpenMP (by default), ours with ``n_jobs=-1``
(the page passes it from 3,000 points: the neighbour search on threads and, with ``method="fft"``, the
attraction on a helper process). Below 3,000 points ours runs on one thread, as the page runs it.

Both run perplexity 30, 1,000 iterations, ``random_state=0``. Quality is measured the same way for both: the
exact KL divergence of the final embedding against the nearest-neighbour P (``core.tsne.joint_probabilities_nn``,
the P both optimise from 2,500 points on; the full n × n P would take 3.2 GB at 20,000 points) over all pairs,
and ``sklearn.manifold.trustworthiness`` with 10 neighbours on a fixed sample of 2,000 points.

Ours runs in a child process, so that its time and peak memory (``ru_maxrss``) are its own (and its helper's,
reported apart); scikit-learn's runs in this one. At 2,000 points ``method="auto"`` takes the exact path, which this change left alone; it is also
timed as the last commit has it (``git archive HEAD core``, read-only) to check it is no slower.

Data: scikit-learn's digits (1,797 × 64) and copies shifted by one pixel up, down, left or right (8,985 images);
beyond that, those images again with Gaussian noise (σ = 1 on the 0–16 pixel scale) added, so no two rows are
equal.

Goals (a benchmark, not a test; exit code 1 and a MISSED line when one is missed): from 10,000 points ours takes
≤ 0.4× scikit-learn's time; at every size KL ≤ 1.02× scikit-learn's and trustworthiness within 0.005; at 2,000
points ours no slower than the last commit's (≤ 1.1×, for timing noise).

    python -m bench.tsne_bench                 # 2,000, 10,000 and 20,000 points
    python -m bench.tsne_bench 5000            # chosen sizes
    python -m bench.tsne_bench --crossover     # ms per iteration, exact repulsion against FFT, by n
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.tsne import TSNE, joint_probabilities_nn, kl_divergence  # noqa: E402

PERPLEXITY = 30.0
MAX_ITER = 1000
SNAPSHOT_EVERY = 10
TRUST_SAMPLE, TRUST_K = 2000, 10
GOAL_RATIO, GOAL_RATIO_FROM = 0.4, 10_000
GOAL_KL, GOAL_TRUST, GOAL_SAME_AS_BEFORE = 1.02, 0.005, 1.1
DEFAULT_SIZES = (2000, 10_000, 20_000)


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
    rng = np.random.default_rng(0)
    if n <= len(X):
        extra = rng.choice(np.arange(1797, len(X)), n - 1797, replace=False)
        return np.concatenate([X[:1797], X[np.sort(extra)]]), "digits + 1-px shifts"
    tiles = X[np.arange(n - len(X)) % len(X)] + rng.normal(0.0, 1.0, (n - len(X), X.shape[1]))
    return np.concatenate([X, tiles]), "digits + shifts + noisy tiles"


def run_ours(X, method="auto"):
    t = time.perf_counter()
    model = TSNE(perplexity=PERPLEXITY, max_iter=MAX_ITER, random_state=0, method=method,
                 snapshot_every=SNAPSHOT_EVERY).fit(X)
    return model, time.perf_counter() - t


def run_sklearn(X):
    from sklearn.manifold import TSNE as SkTSNE

    t = time.perf_counter()
    model = SkTSNE(perplexity=PERPLEXITY, max_iter=MAX_ITER, random_state=0).fit(X)
    return model, time.perf_counter() - t


def _child(n: int, out: str, core_path: str | None) -> None:
    """Runs in the child process: ours on ``dataset(n)``; writes the embedding, time and peak RSS to ``out``."""
    if core_path:  # the last commit's core, for the before/after check
        sys.path.insert(0, core_path)
        for name in [m for m in sys.modules if m == "core" or m.startswith("core.")]:
            del sys.modules[name]
    from core.tsne import TSNE as Model

    X, _ = dataset(n)
    helper_peak = _HelperPeak()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    jobs = -1 if n >= 3000 else None
    model = Model(perplexity=PERPLEXITY, max_iter=MAX_ITER, random_state=0, snapshot_every=SNAPSHOT_EVERY,
                  n_jobs=jobs).fit(X)
    seconds = time.perf_counter() - t
    helper_peak.stop()
    np.save(out + ".npy", model.embedding_)
    Path(out + ".json").write_text(json.dumps(dict(
        seconds=seconds, method=model.method_, n_iter=model.n_iter_, timings=model.timings_,
        frames=list(model.frames_.shape), frames_mb=model.frames_.nbytes / 1e6,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, rss_before_mb=rss_before / 1024,
        helper_rss_mb=helper_peak.mb)))


class _HelperPeak:
    """The peak memory (VmHWM, MB) of this process's children while it runs, read from /proc every 0.2 s: the
    FFT gradient's helper process. (``RUSAGE_CHILDREN`` would report the parent's size: the helper is forked,
    then replaced by a new Python.) 0 without /proc or without a helper."""

    def __init__(self):
        import threading

        self.mb, self._done = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self):
        from bench.load import _summed_kb, _tree  # its /proc readers (the classroom benchmark's memory)

        while not self._done.wait(0.2):
            for child in _tree(os.getpid())[1:] if os.path.isdir("/proc") else ():
                self.mb = max(self.mb, _summed_kb(child, "status", "VmHWM:") / 1024)

    def stop(self):
        self._done.set()
        self._thread.join()


def ours_in_child(n: int, core_path: str | None = None) -> tuple[np.ndarray, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ours")
        subprocess.run([sys.executable, "-m", "bench.tsne_bench", "--child", str(n), out, core_path or ""],
                       cwd=ROOT, check=True)
        return np.load(out + ".npy"), json.loads(Path(out + ".json").read_text())


def head_core() -> str | None:
    """The last commit's ``core`` package, extracted read-only into a temporary folder (None without git)."""
    tmp = tempfile.mkdtemp(prefix="tsne_head_")
    try:
        archive = subprocess.run(["git", "archive", "HEAD", "core"], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return tmp


def compare(n_values=DEFAULT_SIZES, before_up_to: int = 2500) -> list[dict]:
    """One row per n: ours (child process, with its peak RSS) and scikit-learn's wall time, exact KL on the
    nearest-neighbour P and trustworthiness (k = 10) on a 2,000-point sample; up to ``before_up_to`` points
    also the last commit's time."""
    from sklearn.manifold import trustworthiness

    before_core = head_core() if any(n <= before_up_to for n in n_values) else None
    rows = []
    for n in n_values:
        X, name = dataset(n)
        Y_ours, info = ours_in_child(n)
        before_s = None
        if before_core and n <= before_up_to:
            before_s = ours_in_child(n, before_core)[1]["seconds"]
        theirs, theirs_s = run_sklearn(X)
        P = joint_probabilities_nn(X, PERPLEXITY)
        sample = np.sort(np.random.default_rng(1).choice(n, min(n, TRUST_SAMPLE), replace=False))
        rows.append(dict(
            n=n, data=name, method=info["method"], ours_s=info["seconds"], sklearn_s=theirs_s,
            ratio=info["seconds"] / theirs_s, speedup=theirs_s / info["seconds"], before_s=before_s,
            ours_ms_per_iter=1e3 * info["timings"]["optimize"] / info["n_iter"],
            ours_setup_s=info["timings"]["probabilities"], peak_rss_mb=info["peak_rss_mb"],
            helper_rss_mb=info.get("helper_rss_mb", 0.0),
            kl_ours=kl_divergence(P, Y_ours), kl_sklearn=kl_divergence(P, theirs.embedding_),
            kl_sklearn_reported=float(theirs.kl_divergence_),
            trust_ours=trustworthiness(X[sample], Y_ours[sample], n_neighbors=TRUST_K),
            trust_sklearn=trustworthiness(X[sample], theirs.embedding_[sample], n_neighbors=TRUST_K),
            frames_shape=tuple(info["frames"]), frames_mb=info["frames_mb"],
        ))
        print(markdown(rows[-1:], header=len(rows) == 1), flush=True)
    if before_core:
        shutil.rmtree(before_core, ignore_errors=True)
    return rows


def misses(row: dict) -> list[str]:
    out = []
    if row["n"] >= GOAL_RATIO_FROM and row["ratio"] > GOAL_RATIO:
        out.append(f"{row['n']:,} points: {row['ratio']:.2f}× scikit-learn's time (goal ≤ {GOAL_RATIO}×)")
    if row["kl_ours"] > GOAL_KL * row["kl_sklearn"]:
        out.append(f"{row['n']:,} points: KL {row['kl_ours']:.4f} > {GOAL_KL}× scikit-learn's {row['kl_sklearn']:.4f}")
    if abs(row["trust_ours"] - row["trust_sklearn"]) > GOAL_TRUST:
        out.append(f"{row['n']:,} points: trustworthiness {row['trust_ours']:.4f} against scikit-learn's "
                   f"{row['trust_sklearn']:.4f} (goal within {GOAL_TRUST})")
    if row["before_s"] is not None and row["ours_s"] > GOAL_SAME_AS_BEFORE * row["before_s"]:
        out.append(f"{row['n']:,} points: {row['ours_s']:.1f} s, slower than the last commit's {row['before_s']:.1f} s")
    return out


def markdown(rows: list[dict], header: bool = True) -> str:
    head = ("| n | ours (method) | ours s | last commit s | ms/iter | sklearn s | ratio | KL ours | KL sklearn "
            "| trust. ours | trust. sklearn | peak RSS ours (helper) | frames |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)] if header else []
    for r in rows:
        before = f"{r['before_s']:.1f}" if r["before_s"] is not None else "—"
        lines.append(
            f"| {r['n']:,} | {r['method']} | {r['ours_s']:.1f} | {before} | {r['ours_ms_per_iter']:.1f} "
            f"| {r['sklearn_s']:.1f} | {r['ratio']:.2f}× | {r['kl_ours']:.4f} | {r['kl_sklearn']:.4f} "
            f"| {r['trust_ours']:.4f} | {r['trust_sklearn']:.4f} | {r['peak_rss_mb']:.0f} MB ({r['helper_rss_mb']:.0f}) "
            f"| {r['frames_shape'][0]}×{r['frames_shape'][1]}×{r['frames_shape'][2]} ({r['frames_mb']:.0f} MB) |")
    return "\n".join(lines)


def crossover(n_values=(2500, 3500, 5000, 7000, 10_000), repeats: int = 5) -> list[tuple]:
    """Milliseconds per gradient, the exact repulsion (``_Gradient``, one thread) against the FFT one, on the
    nearest-neighbour P of ``dataset(n)`` at the scale of a finished run's map (points spread over a square
    of side 2.2·√n, the extent the final maps had at 2,000 and 10,000 points) — where ``method="auto"`` switches."""
    from core import tsne
    from core.tsne_fft import FFTGradient

    out = []
    for n in n_values:
        X, _ = dataset(n)
        P = joint_probabilities_nn(X, PERPLEXITY)
        rng = np.random.default_rng(0)
        Y = rng.uniform(-1.1 * np.sqrt(n), 1.1 * np.sqrt(n), (n, 2)).astype(np.float32)
        times = {}
        for name, grad in (("exact", tsne._Gradient(P, 2, 1)), ("fft", FFTGradient(P, 2))):
            grad(Y)
            t = time.perf_counter()
            for _ in range(repeats):
                grad(Y)
            times[name] = 1e3 * (time.perf_counter() - t) / repeats
            grad.close()
        out.append((n, times["exact"], times["fft"]))
        print(f"| {n:,} | {times['exact']:.1f} | {times['fft']:.1f} |", flush=True)
    return out


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        _child(int(argv[1]), argv[2], argv[3] or None)
        return 0
    import sklearn

    print(f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, {os.cpu_count()} CPUs; perplexity "
          f"{PERPLEXITY:g}, {MAX_ITER} iterations, a frame every {SNAPSHOT_EVERY}, random_state 0\n", flush=True)
    if argv[:1] == ["--crossover"]:
        print("| n | exact repulsion ms/iter | FFT ms/iter |\n|---|---|---|", flush=True)
        crossover(tuple(int(a) for a in argv[1:]) or (2500, 3500, 5000, 7000, 10_000))
        return 0
    rows = compare(tuple(int(a) for a in argv) or DEFAULT_SIZES)
    missed = [m for r in rows for m in misses(r)]
    print()
    for m in missed:
        print(f"MISSED: {m}")
    if not missed:
        print("All goals met.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
