"""The self-supervised family: one encoder, two views, four ways to keep the embedding from collapsing.

Each step draws a batch x, two views v1 = A1(x) and v2 = A2(x) (noise, then an optional rotation),
embeds both, z = f(v), and minimises one of:
- simclr (Chen et al. 2020): InfoNCE over the 2B embeddings on the unit sphere with temperature
  `tau`; the other 2B - 2 embeddings of the batch are the negatives that push points apart.
- simsiam (Chen & He 2021): -(cos(h(z1), sg(z2)) + cos(h(z2), sg(z1))) / 2 with a predictor h
  and stop-gradient sg. `stop_grad = off` lets the gradient through both branches and
  `predictor = off` makes h the identity: either way the loss's minimum, -1, is reached by
  mapping every point to the same place, and the encoder goes there.
- byol (Grill et al. 2020): the same loss, but the target branch is a second encoder whose
  weights are an exponential moving average of the online encoder's (rate 1 - `momentum`); it
  never gets a gradient, so `stop_grad` does not apply. The target is averaged at every step
  whatever the objective, so switching to byol mid-run finds a target that lags the encoder as it
  should (and the target is module state: checkpoints and rewind restore it exactly).
- barlow (Zbontar et al. 2021): the cross-correlation matrix C of the two views' batch-
  standardised embeddings is pulled to the identity, sum (1 - C_ii)^2 + `lambda` sum_{i != j} C_ij^2:
  each dimension must agree across views and carry its own information.
The loss is the only per-step number; everything about the representation is measured at probes
on the frozen embeddings of fixed points (`measures.py`).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from genstep.engine.families.base import Family, make_optimizer, mlp, to_np
from genstep.engine.families.ssl import SslPayload
from genstep.engine.families.ssl import measures


def augment(x, noise, rotate, eps, u):
    """x + noise * eps, then rotated about the origin by (2u - 1) * rotate degrees."""
    v = x + noise * eps
    if rotate > 0:
        a = (2 * u - 1) * (rotate * math.pi / 180)
        c, s = torch.cos(a), torch.sin(a)
        v = torch.stack([c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1]], dim=1)
    return v


def negative_cosine(p, t):
    return -F.cosine_similarity(p, t, dim=1).mean()


def info_nce(z1, z2, tau):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    sim = (z @ z.T) / tau
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, partner)


def barlow_twins(z1, z2, lam):
    def standardise(z):
        return (z - z.mean(dim=0)) / (z.std(dim=0) + 1e-5)

    c = standardise(z1).T @ standardise(z2) / len(z1)
    diag = torch.diagonal(c)
    on = ((1 - diag) ** 2).sum()
    off = (c**2).sum() - (diag**2).sum()
    return on + lam * off


class SelfSupervised(Family):
    def __init__(self, sc, data, device, gen, probe_gen):
        super().__init__(sc, data, device, gen, probe_gen)
        m, t = sc.model, sc.train
        act = {"tanh": nn.Tanh, "relu": nn.ReLU}[m.activation]
        self.encoder = mlp([2] + [m.hidden] * m.depth + [m.embed], gen, act=act)
        self.predictor = mlp([m.embed, m.pred_hidden, m.embed], gen)
        self.target = copy.deepcopy(self.encoder).requires_grad_(False)  # BYOL's EMA encoder
        params = list(self.encoder.parameters()) + list(self.predictor.parameters())
        self.opt = make_optimizer(t.optimizer, params, t.lr)
        self.batch = sc.data.batch
        n = sc.probe.samples
        self.probe_real, self.probe_labels = data.sample(n, probe_gen)
        self.probe_eps = torch.randn(2, n, 2, generator=probe_gen, device=device)
        self.probe_u = torch.rand(2, n, generator=probe_gen, device=device)
        self.bounds = tuple(float(v) for v in data.bounds)

    def views(self, x, knobs, eps, u):
        return (augment(x, knobs["noise"], knobs["rotate"], eps[0], u[0]),
                augment(x, knobs["noise"], knobs["rotate"], eps[1], u[1]))

    def train_step(self, knobs, gen, step):
        x = self.data.sample(self.batch, gen)[0]
        eps = torch.randn((2,) + x.shape, generator=gen, device=x.device)
        u = torch.rand(2, len(x), generator=gen, device=x.device)
        v1, v2 = self.views(x, knobs, eps, u)
        z1, z2 = self.encoder(v1), self.encoder(v2)
        objective = knobs["objective"]
        if objective == "simclr":
            loss = info_nce(z1, z2, knobs["tau"])
        elif objective == "barlow":
            loss = barlow_twins(z1, z2, knobs["lambda"])
        else:
            h = self.predictor if knobs["predictor"] == "on" else (lambda z: z)
            p1, p2 = h(z1), h(z2)
            if objective == "byol":
                with torch.no_grad():
                    t1, t2 = self.target(v1), self.target(v2)
            elif knobs["stop_grad"] == "on":
                t1, t2 = z1.detach(), z2.detach()
            else:
                t1, t2 = z1, z2
            loss = (negative_cosine(p1, t2) + negative_cosine(p2, t1)) / 2
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        with torch.no_grad():  # target <- momentum * target + (1 - momentum) * online
            online = list(self.encoder.parameters())
            torch._foreach_lerp_(list(self.target.parameters()), online, 1.0 - knobs["momentum"])
        return {"loss": loss.detach()}

    def modules(self):
        return {"encoder": self.encoder, "predictor": self.predictor, "target": self.target}

    def optimizers(self):
        return {"ssl": self.opt}

    def probe(self, knobs, full=True):
        with torch.no_grad():
            v1, v2 = self.views(self.probe_real, knobs, self.probe_eps, self.probe_u)
            z, za, zb = (self.encoder(v) for v in (self.probe_real, v1, v2))
        zn = measures.unit(to_np(z))
        s = measures.spectrum(zn)
        out = {
            "real": to_np(self.probe_real), "fake": to_np(v1), "bounds": self.bounds,
            "real_labels": self.probe_labels.cpu().numpy(),
            "_zn": zn, "_za": measures.unit(to_np(za)), "_zb": measures.unit(to_np(zb)), "_spectrum": s,
        }
        if full:
            pca, explained = measures.pca2(zn)
            out["payload"] = SslPayload(view_b=to_np(v2), pca=pca, spectrum=s.astype(np.float32),
                                        pca_explained=explained)
        return out

    def measure(self, probed, knobs):
        zn = probed["_zn"]
        return {
            "z_std": measures.z_std(zn),
            "eff_rank": measures.eff_rank(probed["_spectrum"]),
            "alignment": measures.alignment(probed["_za"], probed["_zb"]),
            "uniformity": measures.uniformity(zn),
            "probe_acc": measures.probe_acc(zn, probed["real_labels"]),
        }
