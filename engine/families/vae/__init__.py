"""The VAE family: its scenario sections, Frame payload and metrics.

Torch-free: the encoder, decoders and the training step are in `train.py`, imported by `build`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from genstep.engine.config import _Strict
from genstep.engine.families.spec import FamilySpec, register

if TYPE_CHECKING:  # the payload holds numpy arrays; validating a scenario must not import numpy
    import numpy as np


class VaeModel(_Strict):
    latent: Annotated[int, Field(ge=1, le=64)] = 2
    hidden: Annotated[int, Field(ge=1, le=4096)] = 128
    depth: Annotated[int, Field(ge=1, le=8)] = 2
    decoder: Literal["gaussian", "autoregressive"] = "gaussian"
    decoder_sd: Annotated[float, Field(gt=0, le=100)] = 1.0  # Gaussian decoder's noise scale
    learn_sd: bool = False  # learn the decoder's noise scale instead of fixing it
    components: Annotated[int, Field(ge=1, le=64)] = 8  # autoregressive mixture decoder


class VaeTrain(_Strict):
    lr: Annotated[float, Field(gt=0, le=10)] = 1e-3
    optimizer: Literal["adam", "rmsprop", "sgd"] = "adam"
    beta: Annotated[float, Field(ge=0, le=100)] = 1.0
    free_bits: Annotated[float, Field(ge=0, le=100)] = 0.0  # nats per latent dimension
    warmup: Annotated[int, Field(ge=0, le=10_000_000)] = 0  # steps over which beta ramps from 0


@dataclass(frozen=True)
class VaePayload:
    """What the VAE adds to a Frame. The Frame's `fake` holds decoded prior samples."""

    recon: np.ndarray  # reconstructions of the frame's `real` points (N, 2)
    latent: np.ndarray  # posterior means of `real`, first two dimensions (N, 2)
    kl_per_dim: np.ndarray  # KL of each latent dimension, nats (latent,)


METRICS = {
    "loss": "the training objective: recon + beta × KL (with free bits and warm-up applied); nats/point",
    "elbo": "the true evidence lower bound -(recon + KL), beta = 1, no free bits: comparable across "
            "knobs; nats/point",
    "recon": "-log p(x given z), one z per point; nats/point",
    "kl": "KL(q(z given x) ‖ N(0, I)), summed over latent dimensions (per dimension in the app); nats",
    "beta": "the effective beta after warm-up",
    "active_units": "latent dimensions whose posterior mean varies over the data with variance ≥ 0.01 "
                    "(Burda et al. 2016); count",
    "mi": "mutual information between x and z under the encoder, minibatch estimate (He et al. 2019), "
          "at most log 1000; nats",
}


def _build(scenario, data, device, gen, probe_gen):
    from genstep.engine.families.vae.train import VAE

    return VAE(scenario, data, device, gen, probe_gen)


SPEC = register(FamilySpec(
    name="vae", title="variational autoencoder (beta, free bits, KL warm-up)",
    model=VaeModel, train=VaeTrain, build=_build, payload=VaePayload, metrics=METRICS,
    counts=("active_units",),
    charts={"losses": ("loss", "recon"), "divergences (nats) and W1": ("kl", "mi"),
            "parameters": ("active_units", "beta", "elbo")},
))
