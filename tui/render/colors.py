"""Colours for the live panels: a small palette of ids, colour maps and cached styles.

Every picture is drawn into integer colour ids (numpy arrays), and ids become rich `Style`s only
once, when a row is turned into segments. Id 0 means "the widget's own colour" (the theme's).

The maps are chosen to read for colour-blind users and to survive the drop to 256 colours:
- `SEQUENTIAL`: viridis-like (dark violet -> teal -> yellow); lightness rises monotonically, so the
  order of values reads even in grey.
- `DIVERGING`: blue (low) -> dark neutral (middle) -> orange (high), five steps of the 256-colour
  palette, kept dark so that bright dots drawn over it stay visible. Blue/orange is the pair that deuteranopes and protanopes separate.
- `CATEGORICAL`: the Okabe-Ito set, for series (curves).
- `CLUSTERS`: nine colours for the clusters of a dataset (the VAE's 3x3 grid), taken from the
  256-colour cube itself so no terminal shifts them, at least mid-light so braille dots read on a
  dark background, and picked (greedy max-min) so that every pair stays apart, CIELAB
  distance >= 24, for normal vision and under simulated deuteranopia, protanopia and tritanopia
  (Machado et al. 2009). Okabe-Ito plus a ninth colour could not do that: its pink and grey are
  7 apart for a deuteranope. Labels past nine reuse the colours.
"""

from __future__ import annotations

import numpy as np
from rich.color import Color, ColorSystem
from rich.style import Style

_RGB: list[tuple[int, int, int] | None] = [None]  # id 0: the theme's colour
_IDS: dict[tuple[int, int, int], int] = {}
_STYLES: dict[int, Style] = {}


def color_id(rgb: str | tuple[int, int, int]) -> int:
    """The palette id of a colour given as '#rrggbb' or an (r, g, b) triple."""
    if isinstance(rgb, str):
        h = rgb.lstrip("#")
        rgb = (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))
    rgb = tuple(int(c) for c in rgb)
    found = _IDS.get(rgb)
    if found is None:
        found = _IDS[rgb] = len(_RGB)
        _RGB.append(rgb)
    return found


def rgb_of(cid: int) -> tuple[int, int, int] | None:
    """The (r, g, b) of a palette id; None for id 0 (the theme's colour)."""
    return _RGB[cid]


def style_of(fg: int, bg: int) -> Style:
    """The rich Style for a foreground/background pair of ids, built once and cached."""
    key = fg * 65536 + bg
    style = _STYLES.get(key)
    if style is None:
        f, b = _RGB[fg], _RGB[bg]
        style = Style(
            color=Color.from_rgb(*f) if f else None,
            bgcolor=Color.from_rgb(*b) if b else None,
        )
        _STYLES[key] = style
    return style


def _snap256(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """The colour a 256-colour terminal shows for `rgb` (so both kinds of terminal agree)."""
    c = Color.from_rgb(*rgb).downgrade(ColorSystem.EIGHT_BIT).get_truecolor()
    return (c.red, c.green, c.blue)


def _lum(rgb: tuple[int, int, int]) -> float:
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def _ramp(anchors: list[str], levels: int, monotone: bool = False) -> np.ndarray:
    """Interpolate anchor colours into palette ids (low to high), snapped to the 256 palette.

    Neighbouring levels that snap to the same colour are merged; with `monotone`, a level darker
    than the one before it is dropped, so lightness keeps increasing in every terminal.
    """
    rgb = np.array([[int(a[i : i + 2], 16) for i in (1, 3, 5)] for a in anchors], float)
    t = np.linspace(0.0, len(anchors) - 1, levels)
    lo = np.minimum(t.astype(int), len(anchors) - 2)
    frac = (t - lo)[:, None]
    mixed = np.rint(rgb[lo] * (1 - frac) + rgb[lo + 1] * frac).astype(int)
    kept: list[tuple[int, int, int]] = []
    for c in mixed:
        snapped = _snap256(tuple(int(v) for v in c))
        if kept and (snapped == kept[-1] or (monotone and _lum(snapped) < _lum(kept[-1]))):
            continue
        kept.append(snapped)
    return np.array([color_id(c) for c in kept], np.int32)


# viridis-like anchors (lightness increases monotonically)
SEQUENTIAL = _ramp(["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"], 48, monotone=True)
# blue (critic says "fake") -> neutral -> orange (critic says "real"), picked from the 256-colour
# palette itself (an interpolated dark ramp collapses to repeated greys there); dark enough that
# white and yellow dots drawn over it stay readable
DIVERGING = np.array(
    [color_id(c) for c in ("#005faf", "#005f87", "#303030", "#875f00", "#af5f00")],
    np.int32,
)
# Okabe-Ito, in an order where neighbours differ in lightness too
CATEGORICAL = np.array(
    [
        color_id(c)
        for c in ("#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7")
    ]
    + [color_id("#bbbbbb")],
    np.int32,
)

CLUSTERS = np.array(
    [
        color_id(c)
        for c in ("#5fafd7", "#ff8700", "#ffffd7", "#87875f", "#d700ff", "#afff87", "#5fffff", "#af5f87", "#d7afaf")
    ],
    np.int32,
)


def cluster_color(label: int) -> int:
    """The palette id for cluster `label` (0, 1, 2, ...)."""
    return int(CLUSTERS[int(label) % len(CLUSTERS)])


# named colours used by the panels
REAL = color_id("#e8e8e8")  # data: near-white
FAKE = color_id("#ffd700")  # generated: yellow
REJECTED = color_id("#7a6a20")  # generated, then rejected by a sampler (DRS): dim yellow
RECON = color_id("#e69f00")  # VAE reconstructions: orange
PRIOR = color_id("#56b4e9")  # VAE prior samples: sky blue
ARROW = color_id("#56b4e9")
ARROW_TIP = color_id("#cdeeff")
AXIS = color_id("#8a8a8a")  # tick labels and frame
MARKER = color_id("#b58cd9")  # knob-change markers (violet: distinct from every series)
NOW = color_id("#e8e8e8")
GOOD = color_id("#009e73")
BAD = color_id("#d55e00")


def map_values(values: np.ndarray, cmap: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map values to palette ids of `cmap` over [lo, hi] (clipped; NaN -> the lowest colour)."""
    span = hi - lo if hi > lo else 1.0
    t = np.nan_to_num((values - lo) / span, nan=0.0, posinf=1.0, neginf=0.0)
    idx = np.clip((t * len(cmap)).astype(np.int64), 0, len(cmap) - 1)
    return cmap[idx]


def diverging_range(values: np.ndarray) -> tuple[float, float]:
    """A range for a diverging map: centred on the median, wide enough for the 2nd-98th percentile.

    Centring on the median (not 0) keeps the picture informative for critics whose output has an
    arbitrary offset (a WGAN critic); the low side is still "more fake", the high side "more real".
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return -1.0, 1.0
    mid = float(np.median(finite))
    lo, hi = np.percentile(finite, [2, 98])
    half = max(hi - mid, mid - lo, 1e-9)
    return mid - half, mid + half
