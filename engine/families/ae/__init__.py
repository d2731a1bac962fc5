"""The autoencoder family: a plain autoencoder and a beta-VAE behind one `encoder` knob, measured
on the rate-distortion plane (Alemi et al. 2018, "Fixing a Broken ELBO"). Its scenario sections,
Frame payload and metrics.

Why a family beside `vae` rather than inside it: the autoencoder lessons report their own metrics
(`rate`, `distortion`, `prior_hq`, `prior_w1`, `latent_coverage`) under the rate-distortion names,
and a knob (`encoder`) that switches the encoder between a point and a distribution; adding them
to `vae` would change what every VAE lesson reports (its `--json` finals are pinned bit for bit).
The networks are the VAE's own: the decoder is `engine.families.vae.train.GaussianDecoder`.

Torch-free: the training side is in `train.py`, imported by `build`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from genstep.engine.config import _Strict
from genstep.engine.families.spec import FamilySpec, register

if TYPE_CHECKING:  # the payload holds numpy arrays; validating a scenario must not import numpy
    import numpy as np


class AeModel(_Strict):
    latent: Annotated[int, Field(ge=1, le=64)] = 2
    hidden: Annotated[int, Field(ge=1, le=4096)] = 64
    depth: Annotated[int, Field(ge=1, le=8)] = 2
    decoder_sd: Annotated[float, Field(gt=0, le=100)] = 0.1  # the Gaussian decoder's noise scale
    learn_sd: bool = False  # learn the decoder's noise scale instead of fixing it


class AeTrain(_Strict):
    lr: Annotated[float, Field(gt=0, le=10)] = 1e-3
    optimizer: Literal["adam", "rmsprop", "sgd"] = "adam"
    betas: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]] = (0.9, 0.999)  # Adam's
    # deterministic: z = mu(x), no sampling, and no KL in the loss (a point posterior has infinite
    # KL to the prior), whatever beta says: the plain autoencoder. stochastic: z ~ N(mu, sd^2) and
    # loss = distortion + beta * rate: the beta-VAE (beta = 1: the VAE and its ELBO).
    encoder: Literal["deterministic", "stochastic"] = "stochastic"
    beta: Annotated[float, Field(ge=0, le=10_000)] = 1.0


@dataclass(frozen=True)
class AePayload:
    """What the autoencoder family adds to a Frame. The Frame's `fake` holds decoded prior samples
    (decoder means of z ~ N(0, I), fixed probe noise)."""

    recon: np.ndarray  # reconstructions (decoder means at the posterior mean) of `real` (N, 2)
    latent: np.ndarray  # posterior means (the codes) of `real`, first two dimensions (N, 2)
    latent_sd: np.ndarray  # posterior standard deviations, first two dimensions (N, 2); 0 when deterministic
    codes: np.ndarray  # one draw z ~ q(z | x) per point of `real` (fixed probe noise), first two dimensions (N, 2):
    #                    where the decoder is trained; equal to `latent` when deterministic
    kl_per_dim: np.ndarray  # KL of each latent dimension, nats (latent,); inf when deterministic
    stochastic: bool  # the encoder in force at this frame
    entropy: float | None  # the data's differential entropy, nats (mixtures; None otherwise)
    entropy_se: float | None  # its Monte Carlo standard error
    modes: int | None  # mixture components of the data (log modes = the rate that names one); None otherwise


METRICS = {
    "loss": "the training objective: distortion + beta × rate with a stochastic encoder, distortion alone "
            "with a deterministic one; nats/point",
    "rate": "KL(q(z given x) ‖ N(0, I)) summed over latent dimensions: what the code costs (Alemi et al. "
            "2018); absent while the encoder is deterministic, whose point posterior has infinite rate; nats",
    "distortion": "-log p(x given z), one z per point (z = mu with a deterministic encoder): how badly "
                  "the code describes x; nats/point",
    "elbo": "-(rate + distortion), the evidence lower bound with beta = 1; on average never above -H(data) (the "
            "rate-distortion panel's line); nats/point",
    "active_units": "latent dimensions whose posterior mean varies over the data with variance ≥ 0.01 "
                    "(Burda et al. 2016); count",
    "mi": "mutual information between x and z under the stochastic encoder, minibatch estimate (He et al. "
          "2019), at most log 1000; nats",
    "prior_hq": "fraction of 2,500 decoded prior samples (decoder means at z ~ N(0, I)) within 3 standard "
                "deviations of their nearest mode centre: the GAN's hq for what the model generates "
                "(mixtures only); 0..1",
    "prior_w1": "exact optimal-transport distance between `probe.w1_points` decoded prior samples and as "
                "many data points; data units",
    "latent_coverage": "fraction of 2,500 prior samples z ~ N(0, I) within 3 posterior standard deviations "
                       "(Mahalanobis) of at least one of 1,000 data points' posteriors q(z given x); "
                       "1 - latent_coverage is the prior mass in the holes; 0 with a deterministic "
                       "encoder, whose posteriors are points; 0..1",
}


def _build(scenario, data, device, gen, probe_gen):
    from genstep.engine.families.ae.train import Autoencoder

    return Autoencoder(scenario, data, device, gen, probe_gen)


SPEC = register(FamilySpec(
    name="ae", title="autoencoders: plain and beta-VAE, on the rate-distortion plane",
    model=AeModel, train=AeTrain, build=_build, payload=AePayload, metrics=METRICS,
    counts=("active_units",),
    charts={"rate and distortion (nats)": ("rate", "distortion", "elbo"),
            "generation from the prior": ("prior_hq", "prior_w1", "latent_coverage")},
))
