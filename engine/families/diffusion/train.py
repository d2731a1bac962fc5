"""The diffusion family: DDPM on 2D points (Ho et al. 2020), "mess it up, then Ctrl+Z".

Training (Ho et al. Algorithm 1): draw x_0 from the data, t uniform in 1..T and eps ~ N(0, I), noise
x_0 to x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps in one jump, and regress the noise:
loss = |eps - eps_theta(x_t, t)|^2, averaged over the batch and the two coordinates.

The network is an MLP on (x_t, sinusoidal features of t / T). It sees t as a fraction of the
chain, so when T changes mid-run it keeps its meaning ("three quarters of the way to noise"); how
much noise that fraction means is the schedule's business, so changing the schedule, T or
beta_end keeps the network but moves the noise levels under it (the loss-by-t profile shows where
it has to relearn). The schedule is a pure function of the knobs, computed when first needed and
kept by its key, so a rewind across a schedule change replays exactly.

Samples come from a moving average of the weights (decay `ema`, ramped in over the first steps),
as in Ho et al. (who use 0.9999 over 800k steps); `ema = 0` samples with the trained weights.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from genstep.engine import metrics
from genstep.engine.families.base import Family, make_optimizer, mlp, to_np
from genstep.engine.families.diffusion import DiffusionPayload, schedule
from genstep.engine.families.diffusion import sampling

FLOOR_DRAWS = 8  # independent data-against-data W1 draws averaged into w1_floor


class NoisePredictor(nn.Module):
    """eps_theta(x_t, t): an MLP on x_t and sinusoidal features of 1000 t / T (Vaswani et al.
    2017's frequencies, as Ho et al. embed t)."""

    def __init__(self, hidden: int, depth: int, embed: int, gen: torch.Generator):
        super().__init__()
        self.net = mlp([2 + embed] + [hidden] * depth + [2], gen)
        k = torch.arange(embed // 2, dtype=torch.float32, device=gen.device)
        self.register_buffer("freqs", torch.exp(-math.log(1000.0) * k / (embed // 2)))

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        a = (1000.0 * s)[:, None] * self.freqs[None]
        return self.net(torch.cat([x, torch.sin(a), torch.cos(a)], dim=1))


def schedule_key(knobs) -> tuple:
    return (knobs["schedule"], int(knobs["T"]), float(knobs["beta_start"]), float(knobs["beta_end"]))


def sampler_key(knobs) -> tuple:
    eta = None if knobs["sampler"] == "ddpm" else float(knobs["eta"])
    return (min(int(knobs["sample_steps"]), int(knobs["T"])), eta)


def describe_sampler(knobs) -> str:
    steps, eta = sampler_key(knobs)
    name = "ddpm" if eta is None else f"ddim eta {eta:g}"
    return f"{name}, {steps} step{'s' if steps != 1 else ''}"


class Diffusion(Family):
    def __init__(self, sc, data, device, gen, probe_gen):
        super().__init__(sc, data, device, gen, probe_gen)
        m, t = sc.model, sc.train
        self.net = NoisePredictor(m.hidden, m.depth, m.time_embed, gen)
        self.ema = NoisePredictor(m.hidden, m.depth, m.time_embed, gen)
        self.ema.load_state_dict(self.net.state_dict())
        self.ema.requires_grad_(False)
        self._live = list(self.net.parameters())
        self._avg = list(self.ema.parameters())
        self.opt = make_optimizer(t.optimizer, self.net.parameters(), t.lr, betas=(0.9, 0.999))
        self.batch = sc.data.batch
        self._schedules: dict[tuple, tuple[np.ndarray, torch.Tensor]] = {}
        # fixed probe inputs, drawn once: samples move only because the model moved
        n = sc.probe.samples
        self.probe_real, self.probe_labels = data.sample(n, probe_gen)
        self.forward_noise = torch.randn(n, 2, generator=probe_gen, device=device)
        self.bound_x0 = data.sample(m.bound_points, probe_gen)[0]
        self._sample_seed, self._bound_seed = (int(v) for v in torch.randint(2**62, (2,), generator=probe_gen))
        k = sc.probe.w1_points
        self.w1_floor = float(np.mean([
            metrics.wasserstein1(to_np(data.sample(k, probe_gen)[0]), to_np(data.sample(k, probe_gen)[0]), n=k)
            for _ in range(FLOOR_DRAWS)]))
        self.bounds = tuple(float(v) for v in data.bounds)
        self._real_np = to_np(self.probe_real)
        self._cache: dict | None = None  # the last probe's result, served to frames until the next
        self._steps = 0  # training steps taken (for the frame's "probed at step N")

    # -- the schedule -------------------------------------------------------------------------------
    def alpha_bar(self, knobs) -> tuple[np.ndarray, torch.Tensor]:
        key = schedule_key(knobs)
        got = self._schedules.get(key)
        if got is None:
            ab = schedule.alpha_bar(*key)
            if len(self._schedules) > 8:
                self._schedules.clear()
            got = self._schedules[key] = (ab, torch.tensor(ab, dtype=torch.float32, device=self.device))
        return got

    # -- training -----------------------------------------------------------------------------------
    def train_step(self, knobs, gen, step):
        T = int(knobs["T"])
        ab = self.alpha_bar(knobs)[1]
        x0 = self.data.sample(self.batch, gen)[0]
        t = torch.randint(1, T + 1, (self.batch,), generator=gen, device=x0.device)
        eps = torch.randn(x0.shape, generator=gen, device=x0.device)
        a = ab[t][:, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        loss = ((self.net(xt, t.float() / T) - eps) ** 2).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self._average(step)
        self._steps = step + 1
        return {"loss": loss.detach()}

    @torch.no_grad()
    def _average(self, step: int) -> None:
        decay = min(self.sc.train.ema, (1 + step) / (10 + step))  # a pure function of the step: rewinds replay it
        if decay <= 0:
            torch._foreach_copy_(self._avg, self._live)
        else:
            torch._foreach_lerp_(self._avg, self._live, 1 - decay)

    # on_knob: lr as in the base class. schedule, T, beta_start, beta_end are read from the knobs at
    # the next step (alpha_bar); sample_steps, sampler, eta at the next probe. The network is kept.

    def modules(self):
        return {"network": self.net, "average": self.ema}

    def optimizers(self):
        return {"network": self.opt}

    def extra_state(self):
        return {"steps": self._steps}

    def load_extra_state(self, state):
        self._steps = state.get("steps", 0)
        self._cache = None  # the weights changed under it (rewind, divergence recovery)

    # -- probing --------------------------------------------------------------------------------------
    @torch.no_grad()
    def _probe_now(self, knobs) -> dict:
        T = int(knobs["T"])
        ab_np, ab = self.alpha_bar(knobs)
        steps, eta = sampler_key(knobs)
        rev = sampling.sample(self.ema, ab_np, T, steps, eta, len(self.probe_real), self.sc.model.trails,
                              self._sample_seed, self.device)
        err = to_np(sampling.errors_by_t(self.ema, self.bound_x0, ab, T, self._bound_seed)).astype(np.float64)
        loss_by_t, edges = sampling.loss_by_band(err, self.sc.model.bands)
        fake = to_np(rev.samples)
        first = to_np(rev.first_x0)
        t_first = int(rev.trail_t[0])
        metrics_out = {
            "w1_floor": self.w1_floor,
            "signal_T": schedule.signal_T(ab_np),
            "prior_kl": schedule.prior_kl(ab_np, self._real_np),
            "nll_bound": sampling.nll_bound(err, ab_np, to_np(self.bound_x0)),
            "x0_gain": math.sqrt((1 - ab_np[t_first]) / ab_np[t_first]),
            "x0_rms": float(np.sqrt((first.astype(np.float64) ** 2).sum(axis=1).mean())),
            "reverse_steps": float(len(rev.trail_t) - 1),
        }
        payload = dict(alpha_bar=ab_np, trails=to_np(rev.trails), trail_t=rev.trail_t,
                       first_x0=first[: self.sc.model.trails], loss_by_t=loss_by_t, band_edges=edges,
                       sampler=describe_sampler(knobs))
        return {"key": (schedule_key(knobs), sampler_key(knobs)), "fake": fake, "metrics": metrics_out,
                "payload": payload, "step": self._steps}

    def probe(self, knobs, full=True):
        key = (schedule_key(knobs), sampler_key(knobs))
        if not full or self._cache is None or self._cache["key"] != key:
            self._cache = self._probe_now(knobs)
        c = self._cache
        out = {"real": self._real_np, "fake": c["fake"], "bounds": self.bounds, "_metrics": c["metrics"]}
        if full:
            out["real_labels"] = self.probe_labels.cpu().numpy()
            out["payload"] = DiffusionPayload(forward_noise=to_np(self.forward_noise), probe_step=c["step"], **c["payload"])
        return out

    def measure(self, probed, knobs):
        w1 = metrics.wasserstein1(probed["real"], probed["fake"], n=self.sc.probe.w1_points)
        return {"w1": w1, **probed["_metrics"]}
