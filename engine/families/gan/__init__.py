"""The adversarial family (GAN, WGAN, WGAN-GP): its scenario sections, Frame payload and metrics.

Torch-free: the networks and the training step are in `train.py`, imported by `build`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from genstep.engine.config import Finite, _Strict
from genstep.engine.families.spec import FamilySpec, register

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
    # probe the critic layer by layer (grad_norms in the frame, grad_norm_ratio, lipschitz_est): a
    # second backward pass at every probe, on the probe points only, so it is off unless asked for
    layer_grads: bool = False
    # the judge of `sampler = "drs"` (gan/judge.py): a logistic classifier of data against samples
    # on `judge_features` random Fourier features of scale `judge_scale` (in 1 / data units), then
    # two hidden layers of `judge_hidden`. Built only in a scenario that can sample with it (its
    # [train] sampler is "drs" or it has a `sampler` knob); trained one step per step from then on.
    judge_features: Annotated[int, Field(ge=1, le=1024)] = 64
    judge_scale: Annotated[float, Field(gt=0, le=1000)] = 8.0
    judge_hidden: Annotated[int, Field(ge=1, le=4096)] = 128


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
    # how shown samples are drawn: "direct" = G(z); "drs" = discriminator rejection sampling
    # (Azadi et al. 2019) with the judge, from `drs_pool` candidates per shown sample (the more,
    # the stricter: about 1 in drs_pool is kept)
    sampler: Literal["direct", "drs"] = "direct"
    drs_pool: Annotated[int, Field(ge=2, le=200)] = 50
    # samples (shown, and the judge's) from an exponential moving average of the generator's
    # weights with this decay per generator update (Yazici et al. 2019); 0 = the generator itself.
    # Any change of it (turning it on included) restarts the average at the current weights.
    ema: Annotated[float, Field(ge=0, lt=1)] = 0.0
    judge_lr: Annotated[float, Field(gt=0, le=10)] = 1e-3


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
    # (L,) with model.layer_grads: the critic's gradient norm at each linear layer's input, mean
    # over the probe points, in the order backprop visits them (the output layer first)
    grad_norms: np.ndarray | None = None
    # sampler = "drs": the generator's own samples G(z) for the probe's noise, before rejection
    # (the frame's `fake` are the kept ones)
    raw: np.ndarray | None = None


METRICS = {
    "loss_d": "the critic's objective on the last batch (depends on `loss`; nats for ns/minimax)",
    "loss_g": "the generator's objective on the last batch (depends on `loss`; nats for ns/minimax)",
    "grad_norm_d": "norm of the critic's parameter gradient at its last update",
    "modes": "modes captured: a mode counts when at least one high-quality sample is nearest to it "
             "(Srivastava et al. 2017, VEEGAN; Lin et al. 2018, PacGAN); count",
    "modes_total": "the number of modes of the data (mixtures only); count",
    "modes_seen": "distinct modes captured at any probe so far: well above `modes` when a collapsed "
                  "generator hops from mode to mode; count",
    "hq": "fraction of samples within 3 standard deviations of their nearest mode centre (a perfect "
          "generator scores 1 - e^-4.5 = 0.989); 0..1",
    "rev_kl_modes": "KL(q ‖ uniform) of the high-quality samples' histogram over modes: 0 when spread "
                    "evenly, log K on one mode; nats",
    "kl_grid": "KL(data ‖ model) between histograms on a 41x41 grid over the data's box plus one overflow "
               "cell; the model's histogram gets 0.1 pseudo-counts per cell (a floor of about 0.06 nats "
               "for a perfect model); nats",
    "js_grid": "Jensen-Shannon divergence between the same grid histograms; nats (at most log 2)",
    "w1": "exact optimal-transport distance between `probe.w1_points` data and as many generated points, "
          "independent of the critic; over-estimates the population W1 by O(n^-1/2) (the floor for two "
          "samples of the data: ~0.34 at 128 points on the ring); data units",
    "grad_norm_ratio": "the critic's gradient norm at its input layer over that at its output layer (per-layer "
                       "norms `grad_norms`, in the order backprop visits them): below 1 it vanishes on the way "
                       "down, above 1 it explodes (Gulrajani et al. 2017, Fig. 1b); only with `model.layer_grads`",
    "lipschitz_est": "the largest norm of the critic's input gradient over the probe points (data and samples): "
                     "a lower bound on its Lipschitz constant, 1 for the ideal WGAN critic; only with "
                     "`model.layer_grads`",
    "loss_j": "the DRS judge's logistic loss, data against samples, on the last batch (log 4 = 1.39 when it "
              "cannot tell them apart); only in a scenario with the `sampler` knob; nats",
    "accept_rate": "sampler = drs: the share of candidate samples that rejection keeps, about 1 / drs_pool by "
                   "construction (1 for sampler = direct); 0..1",
    "modes_raw": "`modes` of the samples G(z) before rejection (from the averaged generator when `ema` is on; "
                 "equal to `modes` for sampler = direct); count",
    "hq_raw": "`hq` of the samples G(z) before rejection (from the averaged generator when `ema` is on); 0..1",
    "theta": "disjoint supports: the generator's one parameter, the line's position",
    "grad_theta": "disjoint supports: the generator loss's gradient on theta",
    "w1_true": "disjoint supports: W1 in closed form, abs(theta) (Arjovsky et al. 2017, Example 1)",
    "js_true": "disjoint supports: JS in closed form, log 2 for theta ≠ 0 (Arjovsky et al. 2017, Example 1)",
}


def _build(scenario, data, device, gen, probe_gen):
    from genstep.engine.families.gan.train import Adversarial

    return Adversarial(scenario, data, device, gen, probe_gen)


SPEC = register(FamilySpec(
    name="gan", title="adversarial: GAN (ns, minimax, lsgan), WGAN (clipping), WGAN-GP",
    model=GanModel, train=GanTrain, build=_build, payload=GanPayload, records=(ThetaLandscape,),
    metrics=METRICS,
    counts=("modes", "modes_total", "modes_seen", "modes_raw"),
    charts={"losses": ("loss_d", "loss_g", "loss_j"),
            "divergences (nats) and W1": ("kl_grid", "js_grid", "w1", "w1_true", "js_true"),
            "mode coverage": ("modes", "hq", "rev_kl_modes", "modes_raw", "hq_raw", "accept_rate"),
            "parameters": ("theta", "grad_theta", "grad_norm_d"),
            "critic gradients": ("grad_norm_ratio", "lipschitz_est")},
))
