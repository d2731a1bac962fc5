"""A family that lives only in tests/: one 2D Gaussian (mean and per-axis log sd) fitted by maximum
likelihood. It proves that a family is new files, not edits: nothing outside tests/ names it.

Registering it (`register_toy()`) adds the engine family "toy-gauss"; `register_toy_view()` adds
its view. Its ML fit has a closed form to check against: the data's mean and per-axis sd.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from pydantic import Field
from rich.text import Text

from genstep.engine.config import _Strict
from genstep.engine.families import FamilySpec, register

NAME = "toy-gauss"


class ToyModel(_Strict):
    init_sd: Annotated[float, Field(gt=0, le=100)] = 0.5


class ToyTrain(_Strict):
    lr: Annotated[float, Field(gt=0, le=10)] = 0.05


@dataclass(frozen=True)
class ToyPayload:
    mean: np.ndarray  # (2,)
    sd: np.ndarray  # (2,)


def _build(sc, data, device, gen, probe_gen):
    import torch
    from torch import nn

    from genstep.engine.families.base import Family, set_lr, to_np

    class ToyGauss(Family):
        def __init__(self):
            super().__init__(sc, data, device, gen, probe_gen)
            self.net = nn.Module()
            self.net.mean = nn.Parameter(torch.zeros(2, device=device))
            self.net.log_sd = nn.Parameter(torch.full((2,), math.log(sc.model.init_sd), device=device))
            self.opt = torch.optim.Adam(self.net.parameters(), lr=sc.train.lr)
            n = sc.probe.samples
            self.probe_real, self.probe_labels = data.sample(n, probe_gen)
            self.probe_noise = torch.randn(n, 2, generator=probe_gen, device=device)

        def nll(self, x):
            z = (x - self.net.mean) / self.net.log_sd.exp()
            return (0.5 * z**2 + self.net.log_sd + 0.5 * math.log(2 * math.pi)).sum(dim=1)

        def train_step(self, knobs, gen, step):
            loss = self.nll(data.sample(sc.data.batch, gen)[0]).mean()
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            return {"nll": loss.detach()}

        def on_knob(self, name, value):
            if name == "lr":
                set_lr(self.opt, value)

        def modules(self):
            return {"gauss": self.net}

        def optimizers(self):
            return {"gauss": self.opt}

        def probe(self, knobs, full=True):
            with torch.no_grad():
                fake = self.net.mean + self.net.log_sd.exp() * self.probe_noise
            out = {"real": to_np(self.probe_real), "fake": to_np(fake), "bounds": tuple(data.bounds),
                   "real_labels": self.probe_labels.cpu().numpy()}
            if full:
                out["payload"] = ToyPayload(to_np(self.net.mean), to_np(self.net.log_sd.exp()))
            return out

        def measure(self, probed, knobs):
            sd = self.net.log_sd.detach().exp()
            return {"sd_x": float(sd[0]), "sd_y": float(sd[1])}

    return ToyGauss()


def register_toy() -> FamilySpec:
    return register(FamilySpec(
        name=NAME, title="one Gaussian fitted by maximum likelihood (tests only)",
        model=ToyModel, train=ToyTrain, build=_build, payload=ToyPayload,
        metrics={"nll": "negative log-likelihood of a batch, nats per point",
                 "sd_x": "the fitted sd along x", "sd_y": "the fitted sd along y"},
    ))


def register_toy_view():
    from genstep.tui.render import colors
    from genstep.tui.render.axes import fmt_value
    from genstep.tui.views import register_view
    from genstep.tui.views.base import View

    class ToyView(View):
        curve_groups = {"losses": ("negative log-likelihood", ("nll",)),
                        "divergences": ("fitted sd", ("sd_x", "sd_y"))}
        picture_caption = ("data vs the fitted Gaussian", "data vs fit")
        lesson_title = "the maximum-likelihood fit"

        def headline(self, frame):
            return f"sd {fmt_value(float(frame.payload.sd[0]))}, {fmt_value(float(frame.payload.sd[1]))}"

        def lesson(self, panel, frame, width, height):
            canvas = super().lesson(panel, frame, width, height)
            p = frame.payload
            canvas.text(1, height - 1, f"mean ({fmt_value(float(p.mean[0]))}, {fmt_value(float(p.mean[1]))})",
                        colors.GOOD)
            return canvas

        def lesson_legend(self, panel, frame):
            return Text("ML fit: the data's mean and sd")

    return register_view(NAME, ToyView)
