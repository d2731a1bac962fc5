"""What the engine hands to anyone who draws: plain numpy arrays, floats and strings.

A Frame is a side-effect-free probe of a Session at one step. Nothing in it is a tensor,
so the TUI (or a test, or a script) can hold on to it without touching torch.

Coordinates: every 2D array of points is (N, 2) float32 in data space, x then y.
`bounds` = (xmin, xmax, ymin, ymax) is the extent the picture should show.
`heat` is a (H, W) float32 grid of the critic/discriminator output sampled over `bounds`;
row 0 is y = ymin (bottom), column 0 is x = xmin (left).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Event:
    """A knob change: applied after `step` completed steps, before the next one."""

    step: int
    knob: str
    old: float | int | str
    new: float | int | str

    def as_dict(self) -> dict:
        return {"step": self.step, "knob": self.knob, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Note:
    """A lesson note that fired at `step` (by step number or by a metric condition)."""

    step: int
    text: str
    trigger: str  # e.g. "step 500" or "modes <= 2"


@dataclass(frozen=True)
class Curve:
    """One metric's history: steps and values, both 1-D and of equal length (downsampled)."""

    steps: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class ThetaLandscape:
    """For the disjoint-supports lesson: closed-form divergences as functions of theta."""

    theta: np.ndarray  # grid of theta values
    js: np.ndarray  # JS(P0, P_theta) on that grid (log 2 off zero, 0 at zero)
    w1: np.ndarray  # W1(P0, P_theta) = |theta|
    current: float  # where the generator is now


@dataclass(frozen=True)
class Frame:
    step: int
    scenario: str
    title: str
    family: str  # "gan" (adversarial family, any loss) or "vae"
    device: str
    seed: int
    status: str  # "ok" | "diverged"
    metrics: dict[str, float]  # latest value of every metric (cheap and sample-based)
    knobs: dict[str, float | int | str]  # current knob values
    bounds: tuple[float, float, float, float]
    real: np.ndarray  # data samples (N, 2)
    fake: np.ndarray  # generated samples from fixed probe noise (N, 2); VAE: prior samples
    real_labels: np.ndarray | None = None  # (N,) int cluster of each real point, if known
    heat: np.ndarray | None = None  # critic over `bounds` (GAN family)
    heat_label: str = ""  # what the heat map shows, e.g. "D(x)" or "critic f(x)"
    arrows: np.ndarray | None = None  # (M, 4): x, y, dx, dy of the generator's descent direction
    mode_centres: np.ndarray | None = None  # (K, 2)
    captured: np.ndarray | None = None  # (K,) bool: mode captured at this probe
    recon: np.ndarray | None = None  # VAE: reconstructions of `real` (N, 2)
    latent: np.ndarray | None = None  # VAE: posterior means of `real`, first two dims (N, 2)
    kl_per_dim: np.ndarray | None = None  # VAE: KL per latent dimension (nats)
    theta: ThetaLandscape | None = None  # disjoint-supports lesson only
    history: dict[str, Curve] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    notes: tuple[Note, ...] = ()  # every note fired so far, oldest first
    message: str = ""  # e.g. why the run stopped ("loss_d became nan at step 812")
