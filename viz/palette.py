"""One colour-blind-safe palette for the whole app (Okabe & Ito, 2008), and shapes for classes.

Colour carries meaning consistently: the same role is the same colour on every page, and class labels are
told apart by marker shape as well as colour, so nothing depends on seeing hue alone.
"""

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: What each colour means across the app.
ROLE = {
    "data": OKABE_ITO["sky_blue"],
    "model": OKABE_ITO["vermillion"],
    "truth": OKABE_ITO["bluish_green"],
    "path": OKABE_ITO["vermillion"],
    "start": OKABE_ITO["black"],
    "optimum": OKABE_ITO["bluish_green"],
    "gradient": OKABE_ITO["reddish_purple"],
    "secant": OKABE_ITO["orange"],
    "tangent": OKABE_ITO["blue"],
    "residual": "#9E9E9E",
}

#: Class k is drawn in CLASS_COLORS[k] with marker CLASS_SYMBOLS[k].
CLASS_COLORS = [OKABE_ITO[c] for c in ("blue", "orange", "bluish_green", "reddish_purple", "sky_blue",
                                       "vermillion", "yellow", "black")]
CLASS_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "cross", "star", "triangle-down"]

#: A sequential colour scale that stays readable in grey and for colour-blind viewers (loss surfaces).
SEQUENTIAL = "Viridis"


def class_style(k: int) -> dict:
    """Marker colour and symbol for class ``k`` (cycles after eight classes)."""
    return {"color": CLASS_COLORS[k % len(CLASS_COLORS)], "symbol": CLASS_SYMBOLS[k % len(CLASS_SYMBOLS)]}
