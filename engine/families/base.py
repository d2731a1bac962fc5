"""The torch side of a method family: the small interface it implements, and shared pieces.

A family owns its networks and optimizers and knows how to take one training step and how to
probe itself for a Frame. The Session owns everything else (the step loop, knobs, events,
checkpoints, rewind, history). What a family declares without torch (its scenario sections,
payload, metric glossary) is its `FamilySpec` (`spec.py`), whose `build` makes one of these.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


class Family:
    """Base class: `train_step`, `modules`, `optimizers`, `probe` and `measure` must be implemented."""

    def __init__(self, scenario, data, device: torch.device, gen: torch.Generator, probe_gen: torch.Generator):
        self.sc = scenario
        self.data = data
        self.device = device

    # -- training -------------------------------------------------------------------------------
    def train_step(self, knobs: dict, gen: torch.Generator, step: int) -> dict[str, torch.Tensor]:
        """One training step. Returns the cheap scalars as 0-d tensors (no .item() here: the
        session syncs once for all of them)."""
        raise NotImplementedError

    # learning-rate knobs: knob name -> the attribute holding the optimizer it sets
    lr_knobs: dict[str, str] = {"lr": "opt"}

    def on_knob(self, name: str, value) -> None:
        """Apply a knob that lives outside `knobs`: by default a learning rate of `lr_knobs`, which
        lives inside its optimizer. A family with other such knobs extends this (and calls it)."""
        if name in self.lr_knobs:
            set_lr(getattr(self, self.lr_knobs[name]), value)

    # -- sub-steps (optional): one player updated alone, between two steps ------------------------
    players: dict[str, str] = {}  # who can be updated alone: name -> short label, e.g. {"critic": "D"}

    def update_alone(self, player: str, knobs: dict, gen: torch.Generator, step: int) -> dict[str, torch.Tensor]:
        """One update of `player` alone, drawing only from `gen` (so rewind can replay it); returns
        that update's scalars as 0-d tensors, like `train_step`."""
        raise NotImplementedError

    def update_counts(self) -> dict[str, int]:
        """Updates each player has had so far (name -> count), sub-steps included; part of the
        state that checkpoints keep (`extra_state`)."""
        return {}

    # -- state ----------------------------------------------------------------------------------
    def modules(self) -> dict[str, nn.Module]:
        raise NotImplementedError

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def extra_state(self) -> dict:
        return {}

    def load_extra_state(self, state: dict) -> None:
        pass

    def parameters_finite(self) -> str | None:
        """Name of the first module whose parameters hold NaN/inf, or None."""
        for name, m in self.modules().items():
            for p in m.parameters():
                if not torch.isfinite(p).all():
                    return f"{name} weights"
        return None

    # -- probing --------------------------------------------------------------------------------
    def probe(self, knobs: dict, full: bool = True) -> dict:
        """What the Frame shows, as numpy, computed without touching training state.

        Always: "real" and "fake" ((N, 2) float32 points: data and what the model makes of it) and
        "bounds" (xmin, xmax, ymin, ymax). With full=True also "payload" (the spec's payload
        dataclass), and optionally "real_labels" ((N,) int cluster of each real point) and "view"
        (which registered view draws it, when not the family's own; e.g. "gan-disjoint").
        With full=False, only what `measure` needs (no heat map, no arrows). Keys starting with
        "_" are private to `measure`."""
        raise NotImplementedError

    def measure(self, probed: dict, knobs: dict) -> dict[str, float]:
        """Sample-based metrics from a probe."""
        raise NotImplementedError


def mlp(sizes: list[int], gen: torch.Generator, act=nn.ReLU) -> nn.Sequential:
    """An MLP whose weights are drawn from `gen` only (PyTorch's default init scheme, our RNG).

    Built with skip_init so constructing it never touches torch's global RNG."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = torch.nn.utils.skip_init(nn.Linear, a, b, device=gen.device)
        bound = 1.0 / math.sqrt(a)  # nn.Linear's default: kaiming_uniform(a=sqrt 5) == U(-1/sqrt(fan_in), ..)
        with torch.no_grad():
            lin.weight.uniform_(-bound, bound, generator=gen)
            lin.bias.uniform_(-bound, bound, generator=gen)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


def make_optimizer(kind: str, params, lr: float, betas=(0.5, 0.999)) -> torch.optim.Optimizer:
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(betas))
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    raise ValueError(f"unknown optimizer {kind!r}")


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    for g in opt.param_groups:
        g["lr"] = lr


def to_np(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float32).numpy()


def grad_norm(params) -> torch.Tensor:
    """The global L2 norm of the gradients; one fused call (per-tensor norms cost 3-5% of a step)."""
    grads = [p.grad.detach() for p in params if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
