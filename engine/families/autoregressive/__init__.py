"""The autoregressive family: p(x) = p(x1) p(x2 | x1), exactly, one coordinate at a time.

Its scenario sections, Frame payload and metrics. Torch-free: the model and the training step are
in `model.py` and `train.py`, imported by `build`; the data's own density (for the entropy and
the true curves) is in `truth.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from genstep.engine.config import _Strict
from genstep.engine.families.spec import FamilySpec, register

if TYPE_CHECKING:  # the payload holds numpy arrays; validating a scenario must not import numpy
    import numpy as np

ORDERS = ("x1x2", "x2x1")  # which coordinate the chain rule takes first


class ArModel(_Strict):
    hidden: Annotated[int, Field(ge=1, le=4096)] = 128  # width of the conditional network
    depth: Annotated[int, Field(ge=1, le=8)] = 2  # hidden layers of the conditional network
    activation: Literal["tanh", "relu"] = "tanh"


class ArTrain(_Strict):
    lr: Annotated[float, Field(gt=0, le=10)] = 3e-3
    optimizer: Literal["adam", "rmsprop", "sgd"] = "adam"
    components: Annotated[int, Field(ge=1, le=64)] = 16  # K: Gaussians in each conditional
    order: Literal["x1x2", "x2x1"] = "x1x2"


@dataclass(frozen=True)
class ArPayload:
    """What the autoregressive family adds to a Frame. The Frame's `fake` holds model samples.

    "first" and "second" are the coordinates in the chain rule's order (`order`): x1 and x2 for
    "x1x2", x2 and x1 for "x2x1". Densities are exact, not estimated."""

    density: np.ndarray  # (H, W) model log-density over the frame's bounds (row 0 = ymin, col 0 = xmin)
    order: str  # "x1x2" or "x2x1"
    components: int  # K, the mixture size in use
    axis: np.ndarray  # (R,) values of the first coordinate, for the marginal curve
    marginal: np.ndarray  # (R,) model p(first) on `axis`
    slices: np.ndarray  # (S,) values a of the first coordinate at which the conditional is shown
    grid: np.ndarray  # (R,) values of the second coordinate, for the conditional curves
    conditional: np.ndarray  # (S, R) model p(second | first = a) on `grid`, one row per slice
    marginal_true: np.ndarray | None = None  # the data's own curves, where its density is known
    conditional_true: np.ndarray | None = None
    mode_centres: np.ndarray | None = None  # (M, 2), for mixture data
    captured: np.ndarray | None = None  # (M,) bool: mode captured at this probe


METRICS = {
    "loss": "the training objective: the model's negative log-likelihood on the training batch; nats/point",
    "nll": "exact negative log-likelihood -log p(x1) - log p(x2 given x1) of the model on a fixed held-out probe "
           "(10,000 data points drawn once per data set, the same for every seed); nats/point",
    "entropy": "the data's differential entropy, -mean log p_data(x) over the same held-out points (ring and grid: "
               "Gaussian mixtures with a known density; computed once); the floor of any model's nll; nats/point",
    "entropy_se": "Monte Carlo standard error of `entropy` as an estimate of the true entropy: sd of "
                  "log p_data(x) over the held-out points / sqrt(10,000); nats",
    "kl_data_model": "nll - entropy = the held-out mean of log p_data(x) / p_model(x): KL(p_data ‖ p_model) "
                     "estimated on paired points, so its error is far below entropy_se; >= 0 up to that error; nats",
    "modes": "modes captured by 2,500 model samples, defined as for the gan family (VEEGAN, PacGAN); count",
    "modes_total": "the number of modes of the data (mixtures only); count",
    "hq": "fraction of model samples within 3 standard deviations of their nearest mode centre, as for the "
          "gan family (a perfect model scores 0.989); 0..1",
    "w1": "exact optimal-transport distance between `probe.w1_points` data and as many model samples, as for "
          "the gan family (it over-estimates the population W1 by O(n^-1/2)); data units",
    "components": "K, the Gaussians in each mixture conditional (the `components` knob); count",
}


def _build(scenario, data, device, gen, probe_gen):
    from genstep.engine.families.autoregressive.train import Autoregressive

    return Autoregressive(scenario, data, device, gen, probe_gen)


SPEC = register(FamilySpec(
    name="autoregressive", title="autoregressive: p(x1) p(x2 given x1), mixture conditionals, exact likelihood",
    model=ArModel, train=ArTrain, build=_build, payload=ArPayload, metrics=METRICS,
    counts=("components", "modes", "modes_total"),
    charts={"losses": ("loss", "nll", "entropy"), "divergences (nats) and W1": ("kl_data_model", "w1"),
            "mode coverage": ("modes", "hq"), "parameters": ("components",)},
))
