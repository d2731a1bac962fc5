"""genstep's own numpy renderers: braille dots, half-block cells, axes, colour maps.

One renderer per kind of picture, shared by every panel:
- `charts.scatter_chart` (points in braille over an optional heat map, with arrows),
- `charts.line_chart` (curves with labelled vertical markers),
- `cells.vbars` (bars in eighths of a cell).
They draw into a `Canvas` of code points and colour ids and end as textual `Strip`s.
"""

from .canvas import Canvas
from .charts import Marker, Series, line_chart, scatter_chart

__all__ = ["Canvas", "Marker", "Series", "line_chart", "scatter_chart"]
