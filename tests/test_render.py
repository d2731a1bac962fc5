"""The renderers, checked by what a user would see: which cell, which dot, which colour, which label."""

import numpy as np
from rich.color import Color, ColorSystem

from genstep.tui.render import colors
from genstep.tui.render.axes import draw_axes, nice_ticks, tick_label
from genstep.tui.render.canvas import BRAILLE, Canvas
from genstep.tui.render.cells import vbars
from genstep.tui.render.charts import Marker, Series, line_chart, scatter_chart
from genstep.tui.render.dots import Viewport, line, scatter


def vp(w=10, h=5):
    return Viewport(0, 0, w, h, 0.0, 1.0, 0.0, 1.0)


def test_point_at_top_left_lights_the_first_dot_of_the_first_cell():
    canvas = Canvas(10, 5)
    scatter(canvas, vp(), np.array([[0.0, 0.999]]), colors.FAKE)
    assert canvas.chars[0, 0] == BRAILLE + 0x01  # ⠁
    assert canvas.fg[0, 0] == colors.FAKE
    assert (canvas.chars[:, 1:] == 0x20).all() and (canvas.chars[1:, :] == 0x20).all()


def test_point_at_bottom_right_lights_the_last_dot_of_the_last_cell():
    canvas = Canvas(10, 5)
    scatter(canvas, vp(), np.array([[0.999, 0.0001]]), colors.FAKE)
    assert canvas.chars[4, 9] == BRAILLE + 0x80  # ⢀
    assert canvas.plain()[4][9] == "⢀"


def test_points_outside_or_nan_are_left_out():
    canvas = Canvas(10, 5)
    scatter(canvas, vp(), np.array([[2.0, 0.5], [np.nan, 0.5], [0.5, -3]]), colors.FAKE)
    assert (canvas.chars == 0x20).all()


def test_layers_share_a_cell_with_the_union_of_dots_and_the_later_colour():
    canvas = Canvas(10, 5)
    scatter(canvas, vp(), np.array([[0.0, 0.999]]), colors.REAL)  # left column, top dot
    scatter(canvas, vp(), np.array([[0.06, 0.999]]), colors.FAKE)  # right column, top dot
    assert canvas.chars[0, 0] == BRAILLE + 0x01 + 0x08  # ⠉
    assert canvas.fg[0, 0] == colors.FAKE


def test_a_rising_line_is_connected_from_bottom_left_to_top_right():
    canvas = Canvas(10, 5)
    line(canvas, vp(), np.array([0.0, 1.0]), np.array([0.0, 1.0]), colors.FAKE)
    rows = canvas.plain()
    assert rows[4][0] != " " and rows[0][9] != " "
    # every column has a dot: no gaps
    assert all(any(r[c] != " " for r in rows) for c in range(10))


def test_heat_map_high_value_gets_the_high_colour_and_low_the_low():
    grid = np.zeros((8, 8))
    grid[-1, -1] = 1.0  # row -1 = ymax, col -1 = xmax: the top-right corner
    grid[0, 0] = -1.0  # bottom-left
    canvas = scatter_chart(30, 12, [], (0, 1, 0, 1), heat=grid, heat_range=(-1.0, 1.0))
    v = draw_axes(Canvas(30, 12), (0, 1, 0, 1), aspect=True)
    top_right = canvas.fg[v.y0, v.x0 + v.w - 1]
    bottom_left = canvas.bg[v.y0 + v.h - 1, v.x0]
    assert top_right == colors.DIVERGING[-1]
    assert bottom_left == colors.DIVERGING[0]


def test_scatter_chart_has_tick_labels_on_both_axes():
    canvas = scatter_chart(40, 16, [(np.zeros((1, 2)), colors.REAL)], (-2, 2, -2, 2))
    text = "\n".join(canvas.plain())
    assert "-2" in text and "0" in text and "2" in text
    bottom = canvas.plain()[-1]
    assert "0" in bottom  # x labels on the last row


def test_line_chart_shows_step_ticks_and_labelled_knob_markers():
    xs = np.arange(0, 2001, 10.0)
    canvas = line_chart(60, 12, [Series("loss", xs, np.sin(xs / 300), colors.CATEGORICAL[0])],
                        [Marker(1000, "lr_g=2e-4")])
    rows = canvas.plain()
    assert "lr_g=2e-4" in rows[0]
    assert "1k" in rows[-1] and "2k" in rows[-1]
    # the marker's dots are drawn in its own colour somewhere in its column
    assert (canvas.fg == colors.MARKER).any()


def test_dashed_line_has_gaps_solid_has_none():
    xs = np.linspace(0, 1, 50)
    solid = line_chart(40, 6, [Series("a", xs, xs * 0 + 0.5, 1)], xrange=(0, 1), yrange=(0, 1))
    dashed = line_chart(40, 6, [Series("a", xs, xs * 0 + 0.5, 1, dashed=True)], xrange=(0, 1), yrange=(0, 1))
    assert solid.bits.any(axis=0).sum() > dashed.bits.any(axis=0).sum()


def test_nice_ticks_and_labels():
    assert list(nice_ticks(0, 10, 5)) == [0, 2, 4, 6, 8, 10]
    assert list(nice_ticks(-1, 1, 4)) == [-1, -0.5, 0, 0.5, 1]
    assert tick_label(1500, 500) == "1.5k"
    assert tick_label(0.25, 0.25) == "0.25"
    assert tick_label(-1e-17, 0.5) == "0"
    assert tick_label(2e-4, 1e-4) == "2e-04"


def test_vbars_heights_in_eighths():
    canvas = Canvas(6, 2)
    vbars(canvas, 0, 0, 2, np.array([1.0, 0.5, 0.0]), 1.0, np.array([1, 1, 1], np.int32), bar_w=1, gap=1)
    rows = canvas.plain()
    assert rows[0][0] == "█" and rows[1][0] == "█"  # full
    assert rows[0][2] == " " and rows[1][2] == "█"  # half: the lower cell only
    assert rows[1][4] == " "  # zero


def test_strips_merge_runs_of_equal_style():
    canvas = Canvas(20, 1)
    canvas.text(0, 0, "abc", colors.AXIS)
    strip = canvas.strips()[0]
    assert strip.cell_length == 20
    assert [seg.text for seg in strip] == ["abc", " " * 17]


def _luminance(cid: int) -> float:
    downgraded = Color.from_rgb(*colors.rgb_of(int(cid))).downgrade(ColorSystem.EIGHT_BIT)
    r, g, b = downgraded.get_truecolor()
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_sequential_map_stays_ordered_in_256_colours():
    lum = [_luminance(c) for c in colors.SEQUENTIAL]
    assert all(b >= a - 1e-9 for a, b in zip(lum, lum[1:]))
    assert lum[-1] - lum[0] > 100


def test_diverging_map_ends_are_blue_and_orange_in_256_colours():
    low = Color.from_rgb(*colors.rgb_of(int(colors.DIVERGING[0]))).downgrade(ColorSystem.EIGHT_BIT)
    high = Color.from_rgb(*colors.rgb_of(int(colors.DIVERGING[-1]))).downgrade(ColorSystem.EIGHT_BIT)
    lr, lg, lb = low.get_truecolor()
    hr, hg, hb = high.get_truecolor()
    assert lb > lr and hr > hb  # blue low end, orange high end
    assert low != high
