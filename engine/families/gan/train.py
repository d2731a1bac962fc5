"""The adversarial family: a generator and a critic/discriminator, any objective of objectives.py.

One step = `n_critic` critic updates, then one generator update. The "shift" generator is the
one-parameter model of Arjovsky et al. 2017, Example 1: P_theta = (theta, Z), Z ~ U[0, 1], so the
closed forms W1 = |theta| and JS = log 2 (theta != 0) can be reported beside the estimates.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn

from genstep.engine import metrics
from genstep.engine.families.gan import objectives as obj
from genstep.engine.families.base import Family, grad_norm, make_optimizer, mlp, to_np
from genstep.engine.families.gan import GanPayload, ThetaLandscape
from genstep.engine.families.gan.judge import POOL_MAX, Judge, drs_keep

LOG2 = math.log(2.0)


class ShiftGenerator(nn.Module):
    """x = (theta, z): a vertical line at horizontal position theta."""

    def __init__(self, theta0: float, device):
        super().__init__()
        self.theta = nn.Parameter(torch.tensor([float(theta0)], device=device))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.theta.expand(z.shape[0], 1), z[:, :1]], dim=1)


class Adversarial(Family):
    def __init__(self, sc, data, device, gen, probe_gen):
        super().__init__(sc, data, device, gen, probe_gen)
        m, t = sc.model, sc.train
        self.shift = m.generator == "shift"
        if self.shift:
            self.generator = ShiftGenerator(m.theta0, device)
            self.noise_dim = 1
        else:
            self.noise_dim = m.noise_dim
            self.generator = mlp([m.noise_dim] + [m.hidden] * m.depth + [2], gen)
        ch, cd = m.critic_hidden or m.hidden, m.critic_depth or m.depth
        self.critic = mlp([2] + [ch] * cd + [1], gen)
        self._critic_params = list(self.critic.parameters())  # the same tensors for the whole run
        self.opt_g = make_optimizer(t.opt_g, self.generator.parameters(), t.lr_g, t.betas)
        self.opt_d = make_optimizer(t.opt_d, self.critic.parameters(), t.lr_d, t.betas)
        self.batch = sc.data.batch
        self._updates = {"critic": 0, "generator": 0}  # sub-steps included (the app's status line)
        if data.centres is not None:
            # modes captured at any probe so far: far above `modes` when the generator hops
            self._seen = np.zeros(len(data.centres), dtype=bool)
        # fixed probe inputs, drawn once from the probe generator: points move smoothly between frames
        n = sc.probe.samples
        self.probe_noise = self.noise(n, probe_gen)
        self.probe_real, self.probe_labels = data.sample(n, probe_gen)
        self._heat_grids: dict[tuple, torch.Tensor] = {}
        self.bounds = tuple(float(v) for v in data.bounds)
        # an exponential moving average of the generator's weights, to sample from (Yazici et al.
        # 2019): built only where the scenario can switch it on
        self.g_ema = None
        if t.ema > 0 or "ema" in sc.knobs:
            self.g_ema = copy.deepcopy(self.generator).requires_grad_(False)
        # discriminator rejection sampling (judge.py): the judge exists only where the scenario can
        # switch it on; it draws from its own RNG, seeded from the probe's
        self.judge = None
        if t.sampler == "drs" or "sampler" in sc.knobs:
            self.judge = Judge(m, t, probe_gen)
            # the candidates: the probe's own noise first (so `raw` is what sampler = direct shows),
            # then up to POOL_MAX - 1 times as many more, and one uniform draw each for the accept test
            self.pool_noise = torch.cat([self.probe_noise, self.noise((POOL_MAX - 1) * n, probe_gen)])
            self.pool_u = torch.rand(POOL_MAX * n, generator=probe_gen, device=probe_gen.device)

    def view_bounds(self) -> tuple[float, float, float, float]:
        """The extent to draw. The shift generator's line can be flung far from the data (ns,
        a large clip), so its view widens with |theta|: a function of the state, no memory."""
        if not self.shift:
            return self.bounds
        theta = abs(float(self.generator.theta.detach()[0]))
        r = max(abs(self.sc.model.theta0), 1.0)
        if theta > r:  # zoom out in doublings, so the picture does not wobble as theta moves
            r *= 2.0 ** math.ceil(math.log2(theta / r))
        r *= 1.3
        return (-r, r, 0.5 - r, 0.5 + r)

    def heat_grid(self, bounds) -> torch.Tensor:
        grid = self._heat_grids.get(bounds)
        if grid is None:
            k = self.sc.probe.heat
            xs = torch.linspace(bounds[0], bounds[1], k, device=self.device)
            ys = torch.linspace(bounds[2], bounds[3], k, device=self.device)
            gy, gx = torch.meshgrid(ys, xs, indexing="ij")  # row 0 = ymin
            grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
            if len(self._heat_grids) > 8:
                self._heat_grids.clear()
            self._heat_grids[bounds] = grid
        return grid

    def noise(self, n: int, gen: torch.Generator) -> torch.Tensor:
        if self.shift:
            return torch.rand(n, 1, generator=gen, device=gen.device)
        return torch.randn(n, self.noise_dim, generator=gen, device=gen.device)

    # -- training -------------------------------------------------------------------------------
    lr_knobs = {"lr_g": "opt_g", "lr_d": "opt_d"}
    players = {"critic": "D", "generator": "G"}  # sub-steps: either one updated alone (GAN Lab's keys)

    def train_step(self, knobs, gen, step):
        kind = knobs["loss"]
        n_critic = knobs["n_critic"] + (self.sc.train.d_warmup if step == 0 else 0)
        for i in range(n_critic):
            loss_d, gn = self._critic_update(kind, knobs, gen, norm=i == n_critic - 1)  # only the last is reported
        gout = self._generator_update(kind, gen, knobs)
        out = {"loss_d": loss_d, "loss_g": gout.pop("loss_g"), "grad_norm_d": gn}
        out.update(gout)
        if self.judge is not None:  # trained whatever the sampler, so switching to drs acts at once
            out["loss_j"] = self.judge.update(self.data, self.sampling_net(knobs), self.noise, self.batch)
        return out

    def sampling_net(self, knobs) -> nn.Module:
        """The network samples are shown from: the weights' moving average when `ema` is on."""
        return self.g_ema if self.g_ema is not None and knobs["ema"] > 0 else self.generator

    def update_alone(self, player, knobs, gen, step):
        kind = knobs["loss"]
        if player == "critic":
            loss_d, gn = self._critic_update(kind, knobs, gen, norm=True)
            return {"loss_d": loss_d, "grad_norm_d": gn}
        return self._generator_update(kind, gen, knobs)

    def update_counts(self):
        return dict(self._updates)

    def _critic_update(self, kind, knobs, gen, norm):
        """One critic update on a fresh batch of data and of samples; its loss and, if `norm`, the
        norm of its parameter gradient."""
        G, D = self.generator, self.critic
        real = self.data.sample(self.batch, gen)[0]
        with torch.no_grad():
            fake = G(self.noise(self.batch, gen))
        dr, df = D(real), D(fake)
        loss_d = obj.critic_loss(kind, D, real, fake, dr, df, knobs, gen)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        gn = grad_norm(self._critic_params) if norm else None
        self.opt_d.step()
        obj.after_critic_step(kind, D, knobs)
        self._updates["critic"] += 1
        return loss_d.detach(), gn

    def _generator_update(self, kind, gen, knobs):
        """One generator update against the critic as it stands; its loss (and theta's gradient and
        value for the shift generator)."""
        G, D = self.generator, self.critic
        fake = G(self.noise(self.batch, gen))
        loss_g = obj.generator_loss_per_point(kind, D(fake)).mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        out = {"loss_g": loss_g.detach()}
        if self.shift:
            out["grad_theta"] = G.theta.grad.detach()[0].clone()
        self.opt_g.step()
        if self.shift:
            theta = G.theta.detach()[0]
            out["theta"] = theta.clone()
            out["w1_true"] = theta.abs()
            out["js_true"] = torch.where(theta != 0, torch.tensor(LOG2, device=theta.device), torch.zeros_like(theta))
        if self.g_ema is not None and knobs["ema"] > 0:
            with torch.no_grad():
                torch._foreach_lerp_(list(self.g_ema.parameters()), list(G.parameters()), 1.0 - knobs["ema"])
        self._updates["generator"] += 1
        return out

    def on_knob(self, name, value):
        super().on_knob(name, value)
        if name == "ema" and self.g_ema is not None:  # (re)start the average at the current weights
            self.g_ema.load_state_dict(self.generator.state_dict())

    def extra_state(self):
        state = {"updates": dict(self._updates)}
        if self.data.centres is not None:
            state["seen"] = self._seen.copy()
        if self.judge is not None:
            state["judge_rng"] = self.judge.gen.get_state()
        return state

    def load_extra_state(self, state):
        if "seen" in state:
            self._seen = state["seen"].copy()
        self._updates = dict(state.get("updates", {"critic": 0, "generator": 0}))
        if self.judge is not None:
            self.judge.gen.set_state(state["judge_rng"])

    def modules(self):
        extra = {"judge": self.judge.net} if self.judge is not None else {}
        if self.g_ema is not None:
            extra["generator_ema"] = self.g_ema
        return {"generator": self.generator, "critic": self.critic, **extra}

    def optimizers(self):
        judge = {"judge": self.judge.opt} if self.judge is not None else {}
        return {"generator": self.opt_g, "critic": self.opt_d, **judge}

    # -- probing --------------------------------------------------------------------------------
    def probe(self, knobs, full=True):
        kind = knobs["loss"]
        G, D = self.generator, self.critic
        fake, raw, accept = self._sample(knobs)
        bounds = self.view_bounds()
        out = {"real": to_np(self.probe_real), "fake": to_np(fake), "bounds": bounds}
        if raw is not None:  # a scenario with the judge: G(z) before rejection (the same points for direct)
            out["_raw"], out["_accept"] = (out["fake"] if raw is fake else to_np(raw)), accept
        if self.sc.model.layer_grads:
            out["_layer_grads"] = self.layer_grads(fake)
        if not full:  # just what the metrics need
            return out
        with torch.no_grad():
            heat, heat_label = obj.heat_view(kind, D(self.heat_grid(bounds)))
        k = self.sc.probe.heat
        out["real_labels"] = self.probe_labels.cpu().numpy()
        arrows = None
        m = self.sc.probe.arrows
        if m:
            # where the generator's loss pushes its samples: -d loss_g / d x, input gradient only
            x = fake[:m].clone().requires_grad_(True)
            with torch.enable_grad():
                (g,) = torch.autograd.grad(obj.generator_loss_per_point(kind, D(x)).sum(), x)
            arrows = np.concatenate([to_np(x), -to_np(g)], axis=1)
        centres = captured = landscape = None
        if self.data.centres is not None:
            centres = self.data.centres
            captured = metrics.mode_coverage(out["fake"], centres, self.data.sd).captured
        if self.sc.model.layer_grads:
            out["view"] = "gan-layers"  # the critic's gradient layer by layer (tui/views/gan.py)
        if self.shift:
            out["view"] = "gan-disjoint"
            theta = float(G.theta.detach()[0])
            r = (bounds[1] - bounds[0]) / 2 / 1.3 * 1.2
            grid = np.linspace(-r, r, 241)
            landscape = ThetaLandscape(grid, np.where(np.abs(grid) < 1e-12, 0.0, LOG2), np.abs(grid), theta)
        norms = out["_layer_grads"][0] if "_layer_grads" in out else None
        out["payload"] = GanPayload(heat=to_np(heat).reshape(k, k), heat_label=heat_label, arrows=arrows,
                                    mode_centres=centres, captured=captured, theta=landscape, grad_norms=norms,
                                    raw=out["_raw"] if knobs["sampler"] == "drs" else None)
        return out

    def _sample(self, knobs) -> tuple[torch.Tensor, torch.Tensor | None, float]:
        """(shown samples, G(z) for the probe noise before rejection, share kept). Without a judge
        the second is None; with sampler = direct it is the first itself and the share is 1; with
        drs the shown ones are those of `drs_pool` candidates per shown sample (a fixed pool) that
        rejection keeps: about `probe.samples` of them, at most that many."""
        n = len(self.probe_noise)
        with torch.no_grad():
            G = self.sampling_net(knobs)
            if self.judge is None or knobs["sampler"] != "drs":
                fake = G(self.probe_noise)
                return fake, (None if self.judge is None else fake), 1.0
            k = int(knobs["drs_pool"]) * n
            # in chunks that stay in cache: 3x faster on a CPU than one pass over 125,000 points
            parts, logits = [], []
            for z in self.pool_noise[:k].split(4096):
                parts.append(G(z))
                logits.append(self.judge.net(parts[-1])[:, 0])
            cand, logits = torch.cat(parts), torch.cat(logits)
            keep = drs_keep(logits, self.pool_u[:k], n)
        return cand[keep][:n], cand[:n], float(keep.float().mean())

    def layer_grads(self, fake: torch.Tensor) -> tuple[np.ndarray, float]:
        """The critic's gradient layer by layer, on the probe points (data and samples): for each
        linear layer, the norm of d f(x) / d (that layer's input), averaged over the points, in the
        order backprop visits the layers (the output layer first); and the largest input-gradient
        norm, max |grad_x f(x)|, a lower bound on the critic's Lipschitz constant.

        For the Wasserstein losses d f(x) is exactly one point's share of the critic loss's gradient.
        A separate backward pass through torch.autograd.grad: no parameter's .grad is touched, no
        optimizer steps, nothing is drawn, so probing never changes training."""
        x = torch.cat([self.probe_real, fake]).detach().requires_grad_(True)
        inputs, h = [], x
        with torch.enable_grad():
            for layer in self.critic:
                if isinstance(layer, nn.Linear):
                    inputs.append(h)
                h = layer(h)
            grads = torch.autograd.grad(h.sum(), inputs)  # f(x_i) depends on x_i alone: per-point gradients
        norms = torch.stack([g.norm(dim=1).mean() for g in reversed(grads)])
        return to_np(norms).astype(np.float64), float(grads[0].norm(dim=1).max())

    def measure(self, probed, knobs):
        real, fake = probed["real"], probed["fake"]
        out = {}
        if self.data.centres is not None:
            ms = metrics.mode_coverage(fake, self.data.centres, self.data.sd)
            self._seen |= ms.captured
            out.update(modes=ms.modes, modes_total=ms.modes_total, modes_seen=int(self._seen.sum()),
                       hq=ms.hq, rev_kl_modes=ms.rev_kl_modes)
            if "_raw" in probed:
                raw = ms if probed["_raw"] is fake else metrics.mode_coverage(probed["_raw"], self.data.centres, self.data.sd)
                out.update(modes_raw=raw.modes, hq_raw=raw.hq, accept_rate=probed["_accept"])
        if "_layer_grads" in probed:
            norms, lip = probed["_layer_grads"]
            out["grad_norm_ratio"] = float(norms[-1] / max(norms[0], 1e-30))  # input layer over output layer
            out["lipschitz_est"] = lip
        kl, js = metrics.grid_divergences(real, fake)
        out.update(kl_grid=kl, js_grid=js, w1=metrics.wasserstein1(real, fake, n=self.sc.probe.w1_points))
        return out
