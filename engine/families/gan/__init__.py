"""The adversarial family (GAN, WGAN, WGAN-GP): its scenario sections, Frame payload and metrics.

Torch-free: the networks and the training step are in `train.py`, imported by `build`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from engine.config import Finite, _Strict
from engine.families.spec import FamilySpec, register

if TYPE_CHECKING:  # the payload holds numpy arrays; validating a scenario must not import numpy
    import numpy as np

LOSSES = ("ns", "minimax", "lsgan", "wasserstein", "wgan-gp")


class GanModel(_Strict):
    generator: Literal["mlp", "shift"] = "mlp"
    hidden: Annotated[int, Field(ge=1, le=4096)] = 128
    depth: Annotated[int, Field(ge=1, le=8)] = 2
    critic_hidden: Annotated[int, Field(ge=1, le=4096)] | None = None
    critic_depth: Annotated[int, Field(ge=1, le=8)] | None = None
    noise_dim: Annotated[int, Field(ge=1, le=256)] = 2
    theta0: Finite = 1.0  # shift generator only: where theta starts


class GanTrain(_Strict):
    loss: Literal["ns", "minimax", "lsgan", "wasserstein", "wgan-gp"] = "ns"
    lr_g: Annotated[float, Field(gt=0, le=10)] = 1e-3
    lr_d: Annotated[float, Field(gt=0, le=10)] = 1e-3
    opt_g: Literal["adam", "rmsprop", "sgd"] = "adam"
    opt_d: Literal["adam", "rmsprop", "sgd"] = "adam"
    betas: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]] = (0.5, 0.999)
    n_critic: Annotated[int, Field(ge=1, le=100)] = 1
    d_warmup: Annotated[int, Field(ge=0, le=100000)] = 0  # critic steps before the first G step
    clip: Annotated[float, Field(gt=0, le=100)] = 0.01
    gp: Annotated[float, Field(ge=0, le=1000)] = 10.0


@dataclass(frozen=True)
class ThetaLandscape:
    """For the disjoint-supports lesson: closed-form divergences as functions of theta."""

    theta: np.ndarray  # grid of theta values
    js: np.ndarray  # JS(P0, P_theta) on that grid (log 2 off zero, 0 at zero)
    w1: np.ndarray  # W1(P0, P_theta) = |theta|
    current: float  # where the generator is now


@dataclass(frozen=True)
class GanPayload:
    """What the adversarial family adds to a Frame.

    `heat` is a (H, W) grid of the critic's output over the frame's `bounds` (row 0 = ymin,
    column 0 = xmin); `arrows` (M, 4) = x, y, dx, dy of the generator's descent direction."""

    heat: np.ndarray | None = None
    heat_label: str = ""  # what the heat map shows, e.g. "D(x)" or "critic f(x)"
    arrows: np.ndarray | None = None
    mode_centres: np.ndarray | None = None  # (K, 2), for mixture data
    captured: np.ndarray | None = None  # (K,) bool: mode captured at this probe
    theta: ThetaLandscape | None = None  # the one-parameter (shift) generator only


METRICS = {
    "loss_d": "the critic's (discriminator's) loss under the current objective",
    "loss_g": "the generator's loss under the current objective",
    "grad_norm_d": "L2 norm of the critic's gradient at its last update of the step",
    "modes": "modes captured by 2,500 samples (a high-quality sample is nearest to it; VEEGAN/PacGAN)",
    "modes_total": "the number of modes of the data",
    "modes_seen": "modes captured at any probe so far (far above modes when the generator hops)",
    "hq": "fraction of samples within 3 sd of their nearest mode centre (0..1)",
    "rev_kl_modes": "KL(histogram of high-quality samples over modes || uniform), nats: 0 spread evenly, log K on one mode",
    "kl_grid": "KL(data || generated) on a histogram grid, nats",
    "js_grid": "Jensen-Shannon divergence on a histogram grid, nats (at most log 2 = 0.693)",
    "w1": "Wasserstein-1 distance between data and samples (exact optimal transport on a subsample)",
    "theta": "disjoint supports: the generator's one parameter, the line's position",
    "grad_theta": "disjoint supports: d loss_g / d theta, the gradient the generator receives",
    "w1_true": "disjoint supports: W1 in closed form, |theta|",
    "js_true": "disjoint supports: JS in closed form, log 2 unless theta = 0",
}


def _build(scenario, data, device, gen, probe_gen):
    from engine.families.gan.train import Adversarial

    return Adversarial(scenario, data, device, gen, probe_gen)


SPEC = register(FamilySpec(
    name="gan", title="adversarial: GAN (ns, minimax, lsgan), WGAN (clipping), WGAN-GP",
    model=GanModel, train=GanTrain, build=_build, payload=GanPayload, records=(ThetaLandscape,),
    metrics=METRICS,
    counts=("modes", "modes_total", "modes_seen"),
    charts={"losses": ("loss_d", "loss_g"),
            "divergences (nats) and W1": ("kl_grid", "js_grid", "w1", "w1_true", "js_true"),
            "mode coverage": ("modes", "hq", "rev_kl_modes"),
            "parameters": ("theta", "grad_theta", "grad_norm_d")},
))
