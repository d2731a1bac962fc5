"""Method families by name (see `spec.py`). The shipped families register themselves when their
spec modules (torch-free) are imported here; adding one is a new folder and one line below."""

from genstep.engine.families.spec import FAMILIES, FamilySpec, chart_groups, glossary, register, unregister
from genstep.engine.families import gan, vae, diffusion, autoregressive, ae, ssl  # noqa: E402,F401 - shipped families register on import

__all__ = ["FAMILIES", "FamilySpec", "chart_groups", "glossary", "register", "unregister"]
