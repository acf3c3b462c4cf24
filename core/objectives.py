"""2-D loss surfaces for the optimizer explorer: value, analytic gradient and Hessian, vectorised over grids.

Every surface is an :class:`Objective`. ``p`` is an array whose last axis holds ``(x, y)``: shape ``(2,)`` for
one point, ``(n, 2)`` for several racers, ``(H, W, 2)`` for a grid. ``value`` returns shape ``p.shape[:-1]``,
``gradient`` the same shape as ``p``, ``hessian`` ``p.shape + (2,)``.

Points must be finite (a NaN or infinite point is refused with a ``ValueError``). Far outside the domain a
surface can exceed the largest float: it is then inf (or NaN where two infinities meet), without a warning,
and the race reports the racer that got there as diverged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from core.validation import check_array, check_float

#: Largest parameter of a surface (condition number, Rosenbrock's b, Rastrigin's A): values over the domain
#: then stay far below float64's limit.
MAX_PARAMETER = 1e6


@dataclass(frozen=True)
class Objective:
    """A 2-D surface f(x, y) with its exact derivatives, the box worth drawing and its known minima."""

    name: str
    label: str
    latex: str
    value_fn: Callable[[np.ndarray], np.ndarray]
    gradient_fn: Callable[[np.ndarray], np.ndarray]
    hessian_fn: Callable[[np.ndarray], np.ndarray]
    domain: tuple[tuple[float, float], tuple[float, float]]
    minima: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))

    def value(self, p) -> np.ndarray:
        return self._at(self.value_fn, p)

    def gradient(self, p) -> np.ndarray:
        return self._at(self.gradient_fn, p)

    def hessian(self, p) -> np.ndarray:
        return self._at(self.hessian_fn, p)

    @staticmethod
    def _at(fn, p) -> np.ndarray:
        p = check_array("points", p)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow far from the domain: inf, see the module doc
            return fn(p)


# --- small helpers shared by the surfaces -------------------------------------------------------------------

def _split(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the x and y parts of ``p``, or raise if its last axis is not ``(x, y)``."""
    if p.ndim == 0 or p.shape[-1] != 2:
        raise ValueError(f"points must have (x, y) on their last axis, got an array of shape {p.shape}.")
    return p[..., 0], p[..., 1]


def _vector(fx, fy) -> np.ndarray:
    """Stack two partial derivatives into shape ``(..., 2)``; constants are broadcast to the grid."""
    return np.stack(np.broadcast_arrays(fx, fy), axis=-1)


def _matrix(fxx, fxy, fyy) -> np.ndarray:
    """Stack second derivatives into symmetric ``(..., 2, 2)`` matrices (the same ``fxy`` fills both corners)."""
    fxx, fxy, fyy = np.broadcast_arrays(fxx, fxy, fyy)
    return np.stack([np.stack([fxx, fxy], axis=-1), np.stack([fxy, fyy], axis=-1)], axis=-2)


def _sum_of_squares(residuals):
    """Value, gradient and Hessian functions of :math:`f = \\sum_i r_i^2`.

    ``residuals(x, y)`` returns one tuple ``(r, r_x, r_y, r_xx, r_xy, r_yy)`` per residual. The chain rule
    gives :math:`\\nabla f = 2 \\sum_i r_i \\nabla r_i` and
    :math:`\\nabla^2 f = 2 \\sum_i (\\nabla r_i \\nabla r_i^\\top + r_i \\nabla^2 r_i)`; the first part alone is the
    Gauss-Newton approximation, which is why Rosenbrock, Beale and Himmelblau are written this way.
    """
    def value(p):
        return sum(r ** 2 for r, *_ in residuals(*_split(p)))

    def gradient(p):
        terms = residuals(*_split(p))
        return _vector(sum(2 * r * rx for r, rx, _, *_ in terms), sum(2 * r * ry for r, _, ry, *_ in terms))

    def hessian(p):
        terms = residuals(*_split(p))
        return _matrix(sum(2 * (rx * rx + r * rxx) for r, rx, ry, rxx, rxy, ryy in terms),
                       sum(2 * (rx * ry + r * rxy) for r, rx, ry, rxx, rxy, ryy in terms),
                       sum(2 * (ry * ry + r * ryy) for r, rx, ry, rxx, rxy, ryy in terms))

    return value, gradient, hessian


def _polish(gradient_fn, hessian_fn, starts, steps: int = 20) -> np.ndarray:
    """Refine approximate minima with Newton's method.

    Published minima carry six decimals, so their gradient is only ~1e-5; a few Newton steps with the exact
    Hessian bring it to round-off, so a marker sits exactly where an optimiser ends up.
    """
    p = np.array(starts, dtype=float)
    for _ in range(steps):
        p = p - np.linalg.solve(hessian_fn(p), gradient_fn(p)[..., None])[..., 0]
    return p


# --- the surfaces ---------------------------------------------------------------------------------------------

def quadratic_bowl(condition: float = 10.0, angle: float = 0.0) -> Objective:
    """Elliptic bowl whose curvatures differ by ``condition``, turned by ``angle`` degrees.

    .. math:: f(\\mathbf p) = \\tfrac12 \\mathbf p^\\top A \\mathbf p, \\qquad
              A = R_\\theta \\operatorname{diag}(1, \\kappa) R_\\theta^\\top

    The curvature is 1 along :math:`R_\\theta e_x = (\\cos\\theta, \\sin\\theta)` and :math:`\\kappa` along
    :math:`R_\\theta e_y = (-\\sin\\theta, \\cos\\theta)`. The larger :math:`\\kappa`, the narrower the valley and
    the more gradient descent zig-zags; the only minimum is the origin.

    Parameters
    ----------
    condition : float, default 10
        Condition number :math:`\\kappa \\ge 1` of the Hessian (largest over smallest eigenvalue), at most 1e6.
    angle : float, default 0
        Rotation :math:`\\theta` of the principal axes, in degrees, counter-clockwise.

    Returns
    -------
    Objective
        Gradient :math:`A\\mathbf p`, Hessian :math:`A` everywhere.

    Raises
    ------
    ValueError
        If ``condition`` is not a finite number in [1, 1e6], or ``angle`` is not finite.
    """
    condition = check_float("condition", condition, low=1.0, high=MAX_PARAMETER)
    angle = check_float("angle", angle)
    c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    # R diag(1, κ) Rᵀ written out entry by entry, so A is exactly symmetric (a matrix product may differ by an ulp).
    a = np.array([[c * c + condition * s * s, (1.0 - condition) * s * c],
                  [(1.0 - condition) * s * c, s * s + condition * c * c]])

    def value(p):
        _split(p)  # only to refuse points that are not (x, y) pairs
        return 0.5 * np.einsum("...i,ij,...j->...", p, a, p)

    def gradient(p):
        _split(p)
        return p @ a  # = A p, because A is symmetric

    def hessian(p):
        _split(p)
        return np.broadcast_to(a, p.shape + (2,)).copy()  # a copy, so callers may write into it

    return Objective(
        name="bowl",
        label=f"Quadratic bowl (κ = {condition:g}, θ = {angle:g}°)",
        latex=(r"f(\mathbf p) = \tfrac12\,\mathbf p^\top R_{%g^\circ}\,\operatorname{diag}(1,\ %g)\,"
               r"R_{%g^\circ}^\top\,\mathbf p" % (angle, condition, angle)),
        value_fn=value, gradient_fn=gradient, hessian_fn=hessian,
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        minima=np.array([[0.0, 0.0]]),
    )


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Objective:
    """Rosenbrock's banana valley: easy to find, slow to follow.

    .. math:: f(x, y) = (a - x)^2 + b\\,(y - x^2)^2

    The floor of the curved valley :math:`y = x^2` is almost flat while its walls are steep (curvature ratio
    about :math:`b`), so gradient descent bounces across it and creeps along it. Minimum :math:`f = 0` at
    :math:`(a, a^2)`.

    Parameters
    ----------
    a : float, default 1
        Where the minimum lies, :math:`(a, a^2)`; within ±1000.
    b : float, default 100
        Steepness of the valley walls, > 0 and at most 1e6.

    Raises
    ------
    ValueError
        If ``a`` is not a number within ±1000 or ``b`` is not a number in (0, 1e6].
    """
    a = check_float("a", a, low=-1000.0, high=1000.0)
    b = check_float("b", b, low=0.0, low_inclusive=False, high=MAX_PARAMETER)
    rb = np.sqrt(b)

    def residuals(x, y):  # f = r1² + r2² with r1 = a − x, r2 = √b (y − x²)
        return [(a - x, -1.0, 0.0, 0.0, 0.0, 0.0),
                (rb * (y - x * x), -2.0 * rb * x, rb, -2.0 * rb, 0.0, 0.0)]

    value, gradient, hessian = _sum_of_squares(residuals)
    half_width = 2.0 * max(1.0, abs(a))  # the classic (−2, 2) × (−1, 3) box, grown to keep (a, a²) inside
    height = max(1.0, a * a)
    return Objective(
        name="rosenbrock",
        label="Rosenbrock banana valley" + ("" if (a, b) == (1.0, 100.0) else f" (a = {a:g}, b = {b:g})"),
        latex=r"f(x, y) = (%g - x)^2 + %g\,(y - x^2)^2" % (a, b),
        value_fn=value, gradient_fn=gradient, hessian_fn=hessian,
        domain=((-half_width, half_width), (-height, 3.0 * height)),
        minima=np.array([[a, a * a]]),
    )


def beale() -> Objective:
    """Beale's function: flat middle, steep rising corners.

    .. math:: f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2

    Values span five orders of magnitude over :math:`[-4.5, 4.5]^2`, which is hard on a fixed learning rate.
    Minimum :math:`f = 0` at :math:`(3, 0.5)`.
    """
    def residuals(x, y):  # r_i = c_i − x + x yⁱ for i = 1, 2, 3
        terms = []
        for i, c in ((1, 1.5), (2, 2.25), (3, 2.625)):
            yi, yi1 = y ** i, y ** (i - 1)
            ryy = i * (i - 1) * x * y ** max(i - 2, 0)  # zero for i = 1; avoids y⁻¹ at y = 0
            terms.append((c - x + x * yi, yi - 1.0, i * x * yi1, 0.0, i * yi1, ryy))
        return terms

    value, gradient, hessian = _sum_of_squares(residuals)
    return Objective(
        name="beale",
        label="Beale",
        latex=r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        value_fn=value, gradient_fn=gradient, hessian_fn=hessian,
        domain=((-4.5, 4.5), (-4.5, 4.5)),
        minima=np.array([[3.0, 0.5]]),
    )


# Published to six decimals; ``himmelblau`` polishes them with Newton's method.
_HIMMELBLAU_MINIMA = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]


def himmelblau() -> Objective:
    """Himmelblau's function: four equally deep minima, so where you start decides where you end.

    .. math:: f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2

    :math:`f = 0` at :math:`(3, 2)`, :math:`(-2.805118, 3.131312)`, :math:`(-3.779310, -3.283186)` and
    :math:`(3.584428, -1.848126)`; a local maximum sits near :math:`(-0.27, -0.92)` and four saddles between.
    """
    def residuals(x, y):  # r1 = x² + y − 11, r2 = x + y² − 7
        return [(x * x + y - 11.0, 2.0 * x, 1.0, 2.0, 0.0, 0.0),
                (x + y * y - 7.0, 1.0, 2.0 * y, 0.0, 0.0, 2.0)]

    value, gradient, hessian = _sum_of_squares(residuals)
    return Objective(
        name="himmelblau",
        label="Himmelblau (four minima)",
        latex=r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        value_fn=value, gradient_fn=gradient, hessian_fn=hessian,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        minima=_polish(gradient, hessian, _HIMMELBLAU_MINIMA),
    )


def rastrigin(A: float = 10.0) -> Objective:
    """Rastrigin's function: a bowl covered in a regular grid of local minima.

    .. math:: f(x, y) = 2A + \\sum_{i=1}^{2} \\left(p_i^2 - A\\cos(2\\pi p_i)\\right)

    There is a local minimum near every integer point; the global one is :math:`f = 0` at the origin.
    Gradient descent stops in whichever dimple it starts in.

    Parameters
    ----------
    A : float, default 10
        Depth of the ripples, >= 0 (0 leaves the plain bowl :math:`x^2 + y^2`) and at most 1e6.
    """
    A = check_float("A", A, low=0.0, high=MAX_PARAMETER)
    w = 2.0 * np.pi

    def value(p):
        x, y = _split(p)
        return 2.0 * A + (x * x - A * np.cos(w * x)) + (y * y - A * np.cos(w * y))

    def gradient(p):
        _split(p)
        return 2.0 * p + A * w * np.sin(w * p)  # the same formula acts on x and y, the last axis

    def hessian(p):
        x, y = _split(p)  # separable in x and y, so the Hessian is diagonal
        return _matrix(2.0 + A * w * w * np.cos(w * x), 0.0, 2.0 + A * w * w * np.cos(w * y))

    return Objective(
        name="rastrigin",
        label="Rastrigin (many local minima)",
        latex=r"f(x, y) = %g + x^2 - %g\cos(2\pi x) + y^2 - %g\cos(2\pi y)" % (2.0 * A, A, A),
        value_fn=value, gradient_fn=gradient, hessian_fn=hessian,
        domain=((-5.12, 5.12), (-5.12, 5.12)),
        minima=np.array([[0.0, 0.0]]),
    )


def saddle() -> Objective:
    """A saddle point at the origin between two minima.

    .. math:: f(x, y) = x^2 - y^2 + \\tfrac14 y^4

    The gradient vanishes at the origin, where the Hessian is :math:`\\operatorname{diag}(2, -2)`: a saddle.
    Gradient descent started exactly on the line :math:`y = 0` converges to it; the smallest nudge in
    :math:`y` sends it to one of the minima :math:`f = -1` at :math:`(0, \\pm\\sqrt2)`.
    """
    def value(p):
        x, y = _split(p)
        return x * x - y * y + 0.25 * y ** 4

    def gradient(p):
        x, y = _split(p)
        return _vector(2.0 * x, -2.0 * y + y ** 3)

    def hessian(p):
        _, y = _split(p)
        return _matrix(2.0, 0.0, -2.0 + 3.0 * y * y)

    root2 = np.sqrt(2.0)
    return Objective(
        name="saddle",
        label="Saddle point",
        latex=r"f(x, y) = x^2 - y^2 + \tfrac14 y^4",
        value_fn=value, gradient_fn=gradient, hessian_fn=hessian,
        domain=((-2.0, 2.0), (-2.5, 2.5)),
        minima=np.array([[0.0, -root2], [0.0, root2]]),
    )


def plateau_cliff() -> Objective:
    """A high plateau that ends in a steep cliff above a round well.

    .. math:: f(x, y) = \\underbrace{1 + \\tanh(8x)}_{\\text{cliff}}
                      + \\underbrace{1 - e^{-r^2}}_{\\text{well}}
                      + \\underbrace{r^2 / 200}_{\\text{tilt}},
              \\qquad r^2 = (x + 1.5)^2 + y^2

    * For :math:`x \\gtrsim 1` the cliff term is 2 and the well term 1: a plateau at height about 3 whose only
      slope is the faint tilt, :math:`|\\nabla f| \\approx r / 100 \\lesssim 0.05`. Plain gradient descent crawls
      there; methods that normalise the step (Adam, RMSProp) do not.
    * Across :math:`x = 0` the cliff drops by 2 within about :math:`\\pm 0.15`; its slope reaches 8, so a step
      size that was fine on the plateau throws the point far past the well.
    * Below the cliff the well has its minimum :math:`f \\approx 0` near :math:`(-1.5, 0)` (exactly there but for
      the :math:`10^{-10}` tail of the tanh). Far to the left the surface flattens again at height about 1.

    Every term is smooth, so the gradient and Hessian exist everywhere.
    """
    k, centre, tilt = 8.0, np.array([-1.5, 0.0]), 1.0 / 200.0

    def parts(p):
        x, y = _split(p)
        dx, dy = x - centre[0], y - centre[1]
        t = np.tanh(k * x)
        sech2 = 1.0 - t * t  # sech² = 1 − tanh²; unlike 1/cosh², it cannot overflow far from the cliff
        well = np.exp(-(dx * dx + dy * dy))
        return dx, dy, t, sech2, well

    def value(p):
        dx, dy, t, _, well = parts(p)
        return (1.0 + t) + (1.0 - well) + tilt * (dx * dx + dy * dy)

    def gradient(p):
        dx, dy, _, sech2, well = parts(p)
        return _vector(k * sech2 + 2.0 * dx * well + 2.0 * tilt * dx, 2.0 * dy * well + 2.0 * tilt * dy)

    def hessian(p):
        dx, dy, t, sech2, well = parts(p)
        return _matrix(-2.0 * k * k * t * sech2 + 2.0 * well * (1.0 - 2.0 * dx * dx) + 2.0 * tilt,
                       -4.0 * dx * dy * well,
                       2.0 * well * (1.0 - 2.0 * dy * dy) + 2.0 * tilt)

    return Objective(
        name="plateau",
        label="Plateau and cliff",
        latex=r"f(x, y) = 1 + \tanh(8x) + 1 - e^{-r^2} + \tfrac{r^2}{200},\quad r^2 = (x + 1.5)^2 + y^2",
        value_fn=value, gradient_fn=gradient, hessian_fn=hessian,
        domain=((-4.0, 3.0), (-2.5, 2.5)),
        minima=_polish(gradient, hessian, [centre]),
    )


#: URL-friendly name -> factory; call with no arguments for the default surface.
OBJECTIVES: dict[str, Callable[..., Objective]] = {
    "bowl": quadratic_bowl,
    "rosenbrock": rosenbrock,
    "beale": beale,
    "himmelblau": himmelblau,
    "rastrigin": rastrigin,
    "saddle": saddle,
    "plateau": plateau_cliff,
}
