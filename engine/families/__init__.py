"""Method families by name. Adding a family: a new file here and one line in FAMILIES."""

from engine.families.base import Family
from engine.families.gan import Adversarial
from engine.families.vae import VAE

FAMILIES: dict[str, type[Family]] = {"gan": Adversarial, "vae": VAE}

__all__ = ["FAMILIES", "Family"]
