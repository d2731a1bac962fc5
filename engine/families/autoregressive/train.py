"""The autoregressive family: maximum likelihood on p(x) = p(first) p(second | first), exactly.

One step = one optimizer update on the training batch's negative log-likelihood. Nothing is
estimated on the way: the density is a product of two mixtures, so `nll` on the held-out probe is
the model's exact cross-entropy on those points (unlike a VAE's bound or a GAN, which has no
density at all), and where the data's density is known too (ring, grid), `kl_data_model` =
`nll` - `entropy` is KL(p_data || p_model) up to Monte Carlo error on the same points.
"""

from __future__ import annotations

import numpy as np
import torch

from genstep.engine import metrics
from genstep.engine.families.autoregressive import ArPayload, model, truth
from genstep.engine.families.base import Family, make_optimizer, to_np

HOLDOUT = 10_000  # held-out points for nll and entropy, drawn once per data set
HOLDOUT_SEED = 0xA12  # their own stream: the same points for every seed and every run
CURVE_POINTS = 121  # resolution of the marginal and conditional curves
SLICES = 41  # positions of the conditional's slice x_first = a

_HELD: dict[str, tuple] = {}  # data config -> (points, entropy, entropy_se): computed once


def held_out(cfg, data) -> tuple[torch.Tensor, float | None, float | None]:
    """The held-out probe (CPU tensor) and the data's entropy on it (None where unknown)."""
    key = cfg.model_dump_json()
    if key not in _HELD:
        g = torch.Generator()
        g.manual_seed(HOLDOUT_SEED)
        x = data.sample(HOLDOUT, g)[0].cpu()
        h, se = truth.entropy(data, x.numpy()) if truth.known(data) else (None, None)
        if len(_HELD) > 8:
            _HELD.clear()
        _HELD[key] = (x, h, se)
    return _HELD[key]


def extent(lo_hi) -> tuple[float, float]:
    """Where the data lie along one axis: the drawing bounds less their margin (engine.data pads the
    data's box by 15% of its side on each side)."""
    lo, hi = lo_hi
    pad = (hi - lo) * 0.15 / 1.3
    return lo + pad, hi - pad


class Autoregressive(Family):
    def __init__(self, sc, data, device, gen, probe_gen):
        super().__init__(sc, data, device, gen, probe_gen)
        m, t = sc.model, sc.train
        self._gen = gen  # the session's generator: rebuilt heads draw from it, so replay is exact
        self.trunk = model.trunk(m.hidden, m.depth, m.activation, gen)
        self.heads = model.MixtureHeads(m.hidden, device)
        self.bounds = tuple(float(v) for v in data.bounds)
        self._ranges = (extent(self.bounds[:2]), extent(self.bounds[2:]))  # x1's and x2's, for the heads' init
        self._order = t.order  # the order in use (on_knob and checkpoints keep it), for rebuilt heads' ranges
        self._rebuild(t.components, t.order)
        self.opt = make_optimizer(t.optimizer, self._params(), t.lr, betas=(0.9, 0.999))
        self.batch = sc.data.batch
        n = sc.probe.samples
        self.probe_real, self.probe_labels = data.sample(n, probe_gen)
        u = lambda: torch.rand(n, generator=probe_gen, device=device)  # noqa: E731
        e = lambda: torch.randn(n, generator=probe_gen, device=device)  # noqa: E731
        self.probe_noise = (u(), e(), u(), e())
        held, self.entropy, self.entropy_se = held_out(sc.data, data)
        self.held = held.to(device)
        self._views: dict[str, dict] = {}  # order -> the fixed grids (and true curves) of the picture

    def _params(self):
        return list(self.trunk.parameters()) + list(self.heads.parameters())

    def _rebuild(self, k: int, order: str) -> None:
        first, second = self._ranges if order == "x1x2" else self._ranges[::-1]
        self.heads.rebuild(k, self._gen, first, second)

    @staticmethod
    def ordered(x: torch.Tensor, order: str) -> torch.Tensor:
        """Points (x1, x2) as (first, second), and back: the flip is its own inverse."""
        return x if order == "x1x2" else x.flip(1)

    def log_prob(self, x: torch.Tensor, order: str) -> torch.Tensor:
        return model.log_prob(self.trunk, self.heads, self.ordered(x, order))

    # -- training -------------------------------------------------------------------------------
    def train_step(self, knobs, gen, step):
        x = self.data.sample(self.batch, gen)[0]
        loss = -self.log_prob(x, knobs["order"]).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"loss": loss.detach(), "components": torch.tensor(float(self.heads.k), device=loss.device)}

    def on_knob(self, name, value):
        super().on_knob(name, value)  # lr
        if name == "order":
            self._order = value  # the weights are kept: the same networks now read the other coordinate first
        elif name == "components":
            # new heads of the new size (the trunk is kept); their Adam moments start afresh
            for p in self.heads.parameters():
                self.opt.state.pop(p, None)
            self._rebuild(int(value), self._order)

    def extra_state(self):
        return {"order": self._order}

    def load_extra_state(self, state):
        self._order = state["order"]

    def modules(self):
        return {"trunk": self.trunk, "heads": self.heads}

    def optimizers(self):
        return {"ar": self.opt}

    # -- probing --------------------------------------------------------------------------------
    def _fixed(self, order: str) -> dict:
        """The picture's grids for one order, and the data's true curves on them (computed once)."""
        v = self._views.get(order)
        if v is None:
            f = 0 if order == "x1x2" else 1
            b = self.bounds
            axes = (b[0], b[1]), (b[2], b[3])
            axis = np.linspace(*axes[f], CURVE_POINTS)
            grid = np.linspace(*axes[1 - f], CURVE_POINTS)
            slices = np.linspace(*self._ranges[f], SLICES)  # where the data are
            v = {"axis": axis, "grid": grid, "slices": slices}
            if truth.known(self.data):
                v["marginal_true"] = truth.marginal(self.data, f, axis).astype(np.float32)
                v["conditional_true"] = truth.conditional(self.data, f, slices, grid).astype(np.float32)
            k = self.sc.probe.heat
            xs = torch.linspace(self.bounds[0], self.bounds[1], k, device=self.device)
            ys = torch.linspace(self.bounds[2], self.bounds[3], k, device=self.device)
            gy, gx = torch.meshgrid(ys, xs, indexing="ij")  # row 0 = ymin
            v["heat"] = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
            self._views[order] = v
        return v

    def probe(self, knobs, full=True):
        order = knobs["order"]
        with torch.no_grad():
            fake = self.ordered(model.sample(self.trunk, self.heads, self.probe_noise), order)
        out = {"real": to_np(self.probe_real), "fake": to_np(fake), "bounds": self.bounds}
        if not full:
            return out
        v = self._fixed(order)
        t = lambda a: torch.as_tensor(a, dtype=torch.float32, device=self.device)  # noqa: E731
        with torch.no_grad():
            density = self.log_prob(v["heat"], order)
            marginal, cond = model.curves(self.trunk, self.heads, t(v["axis"]), t(v["slices"]), t(v["grid"]))
        k = self.sc.probe.heat
        centres = captured = None
        if self.data.centres is not None:
            centres = self.data.centres
            captured = metrics.mode_coverage(out["fake"], centres, self.data.sd).captured
        out["real_labels"] = self.probe_labels.cpu().numpy()
        out["payload"] = ArPayload(
            density=to_np(density).reshape(k, k), order=order, components=self.heads.k,
            axis=v["axis"].astype(np.float32), marginal=to_np(marginal),
            slices=v["slices"].astype(np.float32), grid=v["grid"].astype(np.float32), conditional=to_np(cond),
            marginal_true=v.get("marginal_true"), conditional_true=v.get("conditional_true"),
            mode_centres=centres, captured=captured)
        return out

    def measure(self, probed, knobs):
        with torch.no_grad():
            lp = self.log_prob(self.held, knobs["order"])
        nll = float(-lp.double().mean())
        out = {"nll": nll}
        if self.entropy is not None:
            out.update(entropy=self.entropy, entropy_se=self.entropy_se, kl_data_model=nll - self.entropy)
        real, fake = probed["real"], probed["fake"]
        if self.data.centres is not None:
            ms = metrics.mode_coverage(fake, self.data.centres, self.data.sd)
            out.update(modes=ms.modes, modes_total=ms.modes_total, hq=ms.hq)
        out["w1"] = metrics.wasserstein1(real, fake, n=self.sc.probe.w1_points)
        return out
