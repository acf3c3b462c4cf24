"""t-SNE's attraction over a sparse P, in this process or on a helper process beside it.

The attraction on point i is ``Σ_j p_ij (1 + |y_i − y_j|²)⁻¹ (y_i − y_j)`` over P's nonzeros. :func:`attract`
runs over them row by row (both orders of each pair), in blocks of whole rows: each row's sum is one
``np.add.reduceat`` over its pairs, so nothing is scattered, and a block's arrays stay in a core's cache.

:class:`AttractionProcess` computes it on a second process while this one computes the repulsion, so that
``TSNE(method="fft", n_jobs=2)`` uses two cores the way scikit-learn's Barnes-Hut does with OpenMP. Threads
could not: NumPy's steps are short, and two threads of one interpreter spent the time handing its lock to each
other (measured at 10,000 points, 2 cores: the attraction beside the FFTs on a thread, 11.7 s a run against
12.2 s on one thread; the same two on two processes, each slowed by less than 10 %). The helper is started with
``python -m core.tsne_attraction`` (no ``multiprocessing``: that re-imports the parent's ``__main__``, which
under ``streamlit run`` is Streamlit), gets the pairs once, then each iteration's coordinates through a pipe
(80 kB at 10,000 points) and sends the forces back.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

#: Pairs of P per block: a block's arrays (~1 MB) stay in a core's cache between the steps (whole-array steps
#: over the ~1.15 million pairs of a 10,000-point run went through memory: 4.6 against 4.2 ms).
BLOCK_PAIRS = 32_768
#: Seconds the helper may take to start (import NumPy, read the pairs) before the run goes on without it.
STARTUP_TIMEOUT_S = 30.0


def row_blocks(indptr: np.ndarray, size: int = BLOCK_PAIRS) -> list[tuple]:
    """Blocks of whole rows of a CSR matrix with about ``size`` nonzeros each: per block its rows (a slice),
    its nonzeros (a slice), each row's count, where each nonempty row starts within the block and the
    nonempty rows' indices (``np.add.reduceat`` needs every start to open a nonempty segment)."""
    n = len(indptr) - 1
    cuts = np.unique(np.searchsorted(indptr, np.arange(0, indptr[-1], size), side="right") - 1)
    cuts = np.append(cuts[(cuts > 0) & (cuts < n)], n)
    blocks, r0 = [], 0
    for r1 in cuts:
        counts = np.diff(indptr[r0:r1 + 1])
        filled = np.flatnonzero(counts)
        if len(filled):
            blocks.append((slice(r0, r1), slice(int(indptr[r0]), int(indptr[r1])), counts,
                           indptr[r0:r1][filled] - indptr[r0], filled + r0))
        r0 = r1
    return blocks


def attract(axes: np.ndarray, cols: np.ndarray, p: np.ndarray, blocks: list, with_log_d: bool = False):
    """``(F, Σ p_ij log(1 + |y_i − y_j|²))``: F ``(d, n)`` float32, the attraction on each point, for the
    coordinates ``axes`` ``(d, n)`` float32 and P's nonzeros in row order (``cols``, ``p`` float32, ``blocks``
    from :func:`row_blocks`); the sum (float, accumulated in float64) only ``with_log_d``, else None.

    Float32 (the gradient is float32 anyway): each row's sum has ~100 terms; against a float64 reference the
    largest force is off by ~3e-6 of the largest."""
    F = np.zeros_like(axes)
    log_d = 0.0 if with_log_d else None
    for rows, pairs, counts, starts, filled in blocks:
        diff = np.repeat(axes[:, rows], counts, axis=1)  # y_i of each pair: rows are in order
        diff -= np.take(axes, cols[pairs], axis=1, mode="clip")  # "clip": no bounds check (measured 20 % less)
        D = np.einsum("ij,ij->j", diff, diff)
        D += 1.0
        if with_log_d:
            log_d += float(np.sum(p[pairs] * np.log(D, dtype=np.float64)))  # not BLAS: the same sum on any thread
        np.divide(p[pairs], D, out=D)
        diff *= D
        F[:, filled] = np.add.reduceat(diff, starts, axis=1)
    return F, log_d


class AttractionProcess:
    """:func:`attract` for one P on a helper process: :meth:`send` the coordinates, compute something else,
    then :meth:`receive` the forces. :meth:`close` (or the end of this process) ends the helper."""

    def __init__(self, n: int, cols: np.ndarray, p: np.ndarray, indptr: np.ndarray, d: int):
        self.n, self.d = n, d
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
                   OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        try:
            self.process = subprocess.Popen([sys.executable, "-m", "core.tsne_attraction", str(down_r), str(up_w)],
                                            pass_fds=(down_r, up_w), stdin=subprocess.DEVNULL, env=env, cwd=root)
        finally:
            os.close(down_r)
            os.close(up_w)
        self._down, self._up = Connection(down_w, readable=False), Connection(up_r, writable=False)
        self._message = np.empty(d * n + 1, np.float32)  # a flag (log D wanted), then the coordinates
        self._reply = bytearray(4 * d * n + 8)  # the forces, then Σ p log D as a float64 (NaN: not asked)
        try:
            self._down.send((n, d, cols.astype(np.int32), p.astype(np.float32), indptr.astype(np.int64)))
            if not self._up.poll(STARTUP_TIMEOUT_S) or self._up.recv_bytes() != b"ready":
                raise RuntimeError("The attraction's helper process did not start.")
        except BaseException:
            self.close()
            raise

    def send(self, axes: np.ndarray, with_log_d: bool) -> None:
        """Starts the attraction at ``axes`` ``(d, n)`` (and Σ p log D ``with_log_d``); :meth:`receive` it."""
        self._message[0] = 1.0 if with_log_d else 0.0
        self._message[1:] = axes.ravel()
        self._down.send_bytes(self._message)

    def receive(self) -> tuple[np.ndarray, float | None]:
        """``(F, log_d)`` as :func:`attract` returns them, for the last :meth:`send`."""
        size = self._up.recv_bytes_into(self._reply)
        if size != len(self._reply):
            raise RuntimeError("The attraction's helper process sent an incomplete answer.")
        F = np.frombuffer(self._reply, np.float32, self.d * self.n).reshape(self.d, self.n).copy()
        log_d = struct.unpack_from("d", self._reply, 4 * self.d * self.n)[0]
        return F, (None if np.isnan(log_d) else log_d)

    def close(self) -> None:
        """Closes the pipes, which ends the helper's loop, and waits for it (kills it after 5 s)."""
        for end in (self._down, self._up):
            try:
                end.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _serve(down: Connection, up: Connection) -> None:
    """The helper's loop: the pairs once, then per message the coordinates in and the forces out, until the
    pipe closes."""
    n, d, cols, p, indptr = down.recv()
    cols = cols.astype(np.intp)
    blocks = row_blocks(indptr)
    message = np.empty(d * n + 1, np.float32)
    up.send_bytes(b"ready")
    while True:
        try:
            down.recv_bytes_into(message)
        except (EOFError, OSError):
            return
        F, log_d = attract(message[1:].reshape(d, n), cols, p, blocks, bool(message[0]))
        up.send_bytes(F.tobytes() + struct.pack("d", float("nan") if log_d is None else log_d))


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False))
