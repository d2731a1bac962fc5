"""A grid of terminal cells that the renderers draw into, turned into textual `Strip`s at the end.

Three layers, drawn in this order by convention:
- cells: half-block glyphs (upper half = one colour, lower half = another), for heat maps;
- dots: braille glyphs, 2x4 dots per cell; several coloured layers (a later layer's colour wins
  in a cell they share, the dots are the union);
- text: tick labels, legends, markers.

Everything is numpy arrays of code points and colour ids, so drawing is vectorised; only the final
conversion walks rows and merges runs of equal style into one Segment each.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from .colors import style_of

BRAILLE = 0x2800
UPPER_HALF = 0x2580
# bit of each dot in a braille cell, indexed [row 0..3][column 0..1]
BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], np.uint8)


class Canvas:
    """`width` x `height` cells; braille resolution is (2*width) x (4*height) dots."""

    def __init__(self, width: int, height: int) -> None:
        self.width = max(0, width)
        self.height = max(0, height)
        shape = (self.height, self.width)
        self.chars = np.full(shape, 0x20, np.uint32)
        self.fg = np.zeros(shape, np.int32)
        self.bg = np.zeros(shape, np.int32)
        self.under = np.zeros(shape, np.int32)  # background kept under dots and text
        self.bits = np.zeros(shape, np.uint8)

    # -- layers ------------------------------------------------------------------------------

    def cells(self, top: np.ndarray, bottom: np.ndarray, under: np.ndarray, x0=0, y0=0) -> None:
        """Half-block cells: (h, w) colour ids for the upper and lower halves of each cell.

        `under` is the one colour a cell keeps as background when dots or text cover it.
        """
        h, w = top.shape
        sl = np.s_[y0 : y0 + h, x0 : x0 + w]
        self.chars[sl] = UPPER_HALF
        self.fg[sl] = top
        self.bg[sl] = bottom
        self.under[sl] = under
        self.bits[sl] = 0

    def dots(self, mask: np.ndarray, color: int, x0: int = 0, y0: int = 0) -> None:
        """Braille dots from a boolean mask of (4*h, 2*w) dots; row 0 is the top.

        Placed with its top-left cell at (x0, y0).
        """
        hp, wp = mask.shape
        h, w = hp // 4, wp // 2
        if h == 0 or w == 0:
            return
        m = mask[: 4 * h, : 2 * w].reshape(h, 4, w, 2)
        bits = np.einsum("iajb,ab->ij", m.astype(np.uint8), BRAILLE_BITS, dtype=np.uint32)
        bits = bits.astype(np.uint8)
        hit = bits > 0
        if not hit.any():
            return
        sl = np.s_[y0 : y0 + h, x0 : x0 + w]
        cell_bits = self.bits[sl]
        cell_bits[hit] |= bits[hit]
        self.chars[sl][hit] = BRAILLE + cell_bits[hit].astype(np.uint32)
        self.fg[sl][hit] = color
        self.bg[sl][hit] = self.under[sl][hit]

    def text(self, x: int, y: int, s: str, color: int, clip: bool = True) -> int:
        """Write a single-width string at cell (x, y); returns how many cells were written."""
        if not (0 <= y < self.height) or not s:
            return 0
        if x < 0:
            s, x = s[-x:], 0
        if clip:
            s = s[: max(0, self.width - x)]
        n = len(s)
        if n == 0:
            return 0
        codes = np.frombuffer(s.encode("utf-32-le"), np.uint32)
        self.chars[y, x : x + n] = codes
        self.fg[y, x : x + n] = color
        self.bg[y, x : x + n] = self.under[y, x : x + n]
        self.bits[y, x : x + n] = 0
        return n

    def fill_bg(self, color: int, x0=0, y0=0, w=None, h=None) -> None:
        """Set the background colour of a block of cells (kept under later dots and text)."""
        sl = np.s_[y0 : y0 + (h or self.height), x0 : x0 + (w or self.width)]
        self.bg[sl] = color
        self.under[sl] = color

    def paste(self, other: "Canvas", x0: int, y0: int) -> None:
        """Copy another canvas into this one with its top-left cell at (x0, y0) (clipped)."""
        h = max(0, min(other.height, self.height - y0))
        w = max(0, min(other.width, self.width - x0))
        dst = np.s_[y0 : y0 + h, x0 : x0 + w]
        for name in ("chars", "fg", "bg", "under", "bits"):
            getattr(self, name)[dst] = getattr(other, name)[:h, :w]

    # -- output ------------------------------------------------------------------------------

    def strips(self, base: Style | None = None) -> list[Strip]:
        """One Strip per row, with runs of equal style merged into single segments.

        `base` (the widget's own style) goes under every segment, so id 0 shows the theme.
        """
        if self.width == 0:
            return [Strip([], 0) for _ in range(self.height)]
        key = (self.fg.astype(np.int64) << 32) | self.bg.astype(np.int64)
        # a cell starts a new run where its style differs from its left neighbour
        change = np.ones((self.height, self.width), bool)
        change[:, 1:] = key[:, 1:] != key[:, :-1]
        rows, cols = np.nonzero(change)
        run_keys = key[rows, cols].tolist()
        text = self.chars.tobytes().decode("utf-32-le")
        styles: dict[int, Style] = {}
        for k in set(run_keys):
            style = style_of(k >> 32, k & 0xFFFFFFFF)
            styles[k] = base + style if base is not None else style
        out: list[Strip] = []
        width = self.width
        bounds = np.searchsorted(rows, np.arange(self.height + 1)).tolist()
        cols = cols.tolist()
        for row in range(self.height):
            a, b = bounds[row], bounds[row + 1]
            starts = cols[a:b] + [width]
            offset = row * width
            segments = [
                Segment(text[offset + x0 : offset + x1], styles[k])
                for x0, x1, k in zip(starts, starts[1:], run_keys[a:b])
            ]
            out.append(Strip(segments, width))
        return out

    def plain(self) -> list[str]:
        """The characters only, one string per row (for tests and text screenshots)."""
        text = self.chars.tobytes().decode("utf-32-le")
        return [text[r * self.width : (r + 1) * self.width] for r in range(self.height)]
