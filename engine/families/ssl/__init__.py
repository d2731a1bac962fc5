"""The self-supervised family (SimCLR, SimSiam, BYOL, Barlow Twins): scenario sections, payload, metrics.

Torch-free: the encoder, predictor, target network and the four objectives are in `train.py`,
imported by `build`; the representation metrics (numpy) are in `measures.py`.

An encoder maps a 2D point to a d-dimensional embedding. Each training step draws a batch, makes
two augmented views of every point (additive Gaussian noise of scale `noise`, then an optional
random rotation about the origin of up to `rotate` degrees) and pulls the two embeddings of a
point together under the chosen objective. What keeps the embedding from shrinking to one point
(collapse) is the objective's own device: negatives (SimCLR), predictor + stop-gradient (SimSiam),
predictor + a slow target network (BYOL), decorrelation (Barlow Twins).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, create_model

from genstep.engine.config import _Strict
from genstep.engine.families.spec import FamilySpec, register

if TYPE_CHECKING:  # the payload holds numpy arrays; validating a scenario must not import numpy
    import numpy as np

OBJECTIVES = ("simclr", "simsiam", "byol", "barlow")


class SslModel(_Strict):
    embed: Annotated[int, Field(ge=2, le=256)] = 32  # d, the embedding's dimension
    hidden: Annotated[int, Field(ge=1, le=4096)] = 64
    depth: Annotated[int, Field(ge=1, le=8)] = 2
    pred_hidden: Annotated[int, Field(ge=1, le=4096)] = 16  # the predictor's bottleneck (SimSiam: d/4)
    activation: Literal["tanh", "relu"] = "tanh"  # the encoder's hidden layers


# `lambda` is a Python keyword, so the section is built with create_model: the field (and the
# knob) keeps the paper's name; code reads it as knobs["lambda"] or getattr(train, "lambda").
SslTrain = create_model(
    "SslTrain", __base__=_Strict,
    __doc__="The [train] section of an ssl scenario; every field can be a knob.",
    objective=(Literal["simclr", "simsiam", "byol", "barlow"], "simsiam"),
    lr=(Annotated[float, Field(gt=0, le=10)], 1e-3),
    optimizer=(Literal["adam", "rmsprop", "sgd"], "adam"),
    noise=(Annotated[float, Field(ge=0, le=100)], 0.3),  # augmentation: sd of the additive noise
    rotate=(Annotated[float, Field(ge=0, le=180)], 0.0),  # augmentation: max rotation, degrees
    stop_grad=(Literal["on", "off"], "on"),  # simsiam: no gradient through the target branch
    predictor=(Literal["on", "off"], "on"),  # simsiam and byol: the predictor MLP (off = identity)
    momentum=(Annotated[float, Field(ge=0, le=1)], 0.99),  # byol: EMA rate of the target network
    tau=(Annotated[float, Field(gt=0, le=100)], 0.2),  # simclr: InfoNCE temperature
    **{"lambda": (Annotated[float, Field(ge=0, le=100)], 0.005)},  # barlow: off-diagonal weight
)


@dataclass(frozen=True)
class SslPayload:
    """What the self-supervised family adds to a Frame.

    The Frame's `real` holds the probe's data points and `fake` their first augmented view (the
    second is `view_b`), so the picture shows what the augmentation does to the data. `pca` is
    the 2D PCA of the l2-normalised embeddings of `real` (same order, so the Frame's
    `real_labels` colour it by cluster); `spectrum` the singular values of that embedding matrix,
    largest first (d values; `eff_rank` is computed from them)."""

    view_b: np.ndarray  # (N, 2) the second augmented view of `real`
    pca: np.ndarray  # (N, 2) embeddings projected on their two leading principal axes
    spectrum: np.ndarray  # (d,) singular values of the (N, d) normalised embedding matrix
    pca_explained: float = 0.0  # fraction of the embeddings' variance the two axes hold


METRICS = {
    "loss": "the objective in force on the last batch: simsiam and byol -cos(prediction, target) "
            "averaged over both views (minimum -1); simclr InfoNCE (nats); barlow the Barlow Twins sum",
    "z_std": "sd over points of the l2-normalised embeddings, averaged over dimensions: about 1/sqrt(d) "
             "when spread over the sphere, 0 when collapsed to a point (Chen & He 2021)",
    "eff_rank": "effective rank of the normalised embedding matrix, exp(entropy of its normalised singular "
                "values) (Roy & Vetterli 2007): 1 = one direction (collapse) to d; dimensions",
    "alignment": "E‖f(x) - f(x')‖² over the two views of each point, normalised embeddings (Wang & Isola "
                 "2020): 0 = views agree (also when collapsed); 0..4",
    "uniformity": "log E exp(-2‖f(x) - f(y)‖²) over pairs of points, normalised embeddings (Wang & Isola "
                  "2020): 0 = collapsed, about -3.8 spread evenly over the sphere in 32 dimensions",
    "probe_acc": "held-out accuracy of a linear (ridge) read-out of the data's cluster from the frozen "
                 "embeddings, refitted at each probe; chance = 1/clusters; 0..1",
}


def _build(scenario, data, device, gen, probe_gen):
    from genstep.engine.families.ssl.train import SelfSupervised

    return SelfSupervised(scenario, data, device, gen, probe_gen)


SPEC = register(FamilySpec(
    name="ssl", title="self-supervised: SimCLR, SimSiam, BYOL, Barlow Twins",
    model=SslModel, train=SslTrain, build=_build, payload=SslPayload, metrics=METRICS,
    charts={"losses": ("loss",), "collapse": ("z_std", "eff_rank"),
            "alignment and uniformity": ("alignment", "uniformity"), "linear probe": ("probe_acc",)},
))
