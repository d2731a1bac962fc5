"""The diffusion family (DDPM, Ho et al. 2020): its scenario sections, Frame payload and metrics.

Torch-free: the noise-predicting network, the training step and the samplers are in `train.py`
and `sampling.py`, imported by `build`; the schedules are numpy (`schedule.py`), so the app's view
can show the forward process at any t from the payload without torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from genstep.engine.config import _Strict
from genstep.engine.families.spec import FamilySpec, register

if TYPE_CHECKING:  # the payload holds numpy arrays; validating a scenario must not import numpy
    import numpy as np


class DiffusionModel(_Strict):
    hidden: Annotated[int, Field(ge=1, le=4096)] = 128
    depth: Annotated[int, Field(ge=1, le=8)] = 3
    time_embed: Annotated[int, Field(ge=2, le=256, multiple_of=2)] = 16  # sinusoidal features of t / T
    trails: Annotated[int, Field(ge=0, le=500)] = 48  # reverse trajectories kept for the picture
    bound_points: Annotated[int, Field(ge=8, le=4096)] = 128  # probe points for nll_bound and loss_by_t
    bands: Annotated[int, Field(ge=1, le=100)] = 10  # bands of t in loss_by_t


class DiffusionTrain(_Strict):
    lr: Annotated[float, Field(gt=0, le=10)] = 1e-3
    optimizer: Literal["adam", "rmsprop", "sgd"] = "adam"
    schedule: Literal["linear", "cosine"] = "cosine"
    T: Annotated[int, Field(ge=2, le=1000)] = 100
    beta_start: Annotated[float, Field(gt=0, lt=1)] = 1e-4  # linear schedule only
    beta_end: Annotated[float, Field(gt=0, lt=1)] = 0.02  # linear schedule only
    sample_steps: Annotated[int, Field(ge=1, le=1000)] = 100  # reverse steps (capped at T)
    sampler: Literal["ddpm", "ddim"] = "ddpm"
    eta: Annotated[float, Field(ge=0, le=1)] = 0.0  # ddim only: 0 deterministic, 1 = ddpm
    ema: Annotated[float, Field(ge=0, lt=1)] = 0.995  # decay of the weights' moving average (0: off)


@dataclass(frozen=True)
class DiffusionPayload:
    """What the diffusion family adds to a Frame. The Frame's `fake` holds the probe's samples
    (drawn by the sampler in force at the last probe, from fixed noise).

    `alpha_bar` (T + 1,) lets a view noise the frame's `real` points to any t itself:
    x_t = sqrt(alpha_bar[t]) real + sqrt(1 - alpha_bar[t]) forward_noise."""

    alpha_bar: np.ndarray  # alpha_bar_0 .. alpha_bar_T of the schedule in force
    forward_noise: np.ndarray  # fixed N(0, I) noise, one row per `real` point (N, 2)
    trails: np.ndarray  # (K, S + 1, 2) reverse trajectories, x_T first, the sample last
    trail_t: np.ndarray  # (S + 1,) the t of each trajectory point, T first, 0 last
    first_x0: np.ndarray  # (K, 2) the first reverse step's prediction of x_0 for the trails' points
    loss_by_t: np.ndarray  # (B,) mean noise-prediction MSE per band of t, on the fixed probe
    band_edges: np.ndarray  # (B + 1,) band b holds t in [edges[b], edges[b + 1])
    probe_step: int  # the training step the samples and curves were probed at
    sampler: str  # e.g. "ddpm, 100 steps" or "ddim eta 0, 4 steps"


METRICS = {
    "loss": "the training loss: mean squared error of the predicted noise, (eps - eps_theta(x_t, t))^2 per coordinate, "
            "t uniform in 1..T; it cannot go below the Bayes-optimal denoiser's",
    "w1": "exact optimal-transport distance between `probe.w1_points` data and as many sampled points (the GAN "
          "family's estimator); data units",
    "w1_floor": "w1 between two independent data samples of `probe.w1_points` points each, averaged over 8 draws, "
                "computed once: what a perfect model scores; data units",
    "signal_T": "sqrt(alpha_bar_T): the share of x_0 left in x_T (0: the forward process ends in pure noise)",
    "prior_kl": "KL(q(x_T given x_0) ‖ N(0, I)) averaged over the data, the L_T term of the bound: what x_T still "
                "knows about x_0 plus how far the noised data are from the sampler's N(0, I); nats",
    "nll_bound": "upper bound on -log p(x), continuous-time form (Kingma et al. 2021): prior_kl + a Gaussian decoder "
                 "at t = 1 + 1/2 ∫ E(eps - eps_theta)^2 d log SNR by the trapezoid rule over the T noise levels, "
                 "on 128 fixed probe points; compare with the data's entropy; nats/point",
    "x0_gain": "sqrt(1 - alpha_bar_T) / sqrt(alpha_bar_T): how much the sampler's first step magnifies an error in "
               "the predicted noise into its prediction of x_0 (about 2,000 for the cosine schedule)",
    "reverse_steps": "reverse steps the sampler took at the last probe (sample_steps, capped at T); count",
    "x0_rms": "rms of the sampler's first predictions of x_0 (from x_T) over the probe's points: far above the "
              "data's own rms when x0_gain magnifies the network's errors; data units",
}


def _build(scenario, data, device, gen, probe_gen):
    from genstep.engine.families.diffusion.train import Diffusion

    return Diffusion(scenario, data, device, gen, probe_gen)


SPEC = register(FamilySpec(
    name="diffusion", title="diffusion: DDPM (linear, cosine schedules; DDPM and DDIM samplers)",
    model=DiffusionModel, train=DiffusionTrain, build=_build, payload=DiffusionPayload, metrics=METRICS,
    counts=("reverse_steps",),
    charts={"losses": ("loss",), "divergences (nats) and W1": ("w1", "w1_floor"),
            "likelihood (nats per point)": ("nll_bound", "prior_kl"), "schedule": ("signal_T",),
            "the first reverse step": ("x0_gain", "x0_rms")},
))
