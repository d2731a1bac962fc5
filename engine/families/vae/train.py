"""The VAE family (Kingma and Welling 2014) with the knobs of the posterior-collapse lecture.

loss = recon + beta_eff * KL_term, where
- recon = -log p(x | z), nats per data point, z drawn once from q(z | x) (reparameterised);
- KL_term = sum over latent dims of KL(q(z_i | x) || N(0, 1)), batch-averaged; with free bits
  (Kingma et al. 2016) each dimension's batch-mean KL counts as at least `free_bits` nats, so
  the optimiser gains nothing by pushing a dimension below that;
- beta_eff = beta, ramped linearly from 0 over the first `warmup` steps (Bowman et al. 2016).
`elbo` is always the true bound -(recon + KL) with beta = 1 and no free bits, so runs with
different knobs stay comparable.

Decoders: "gaussian" with a fixed or learned noise scale (Lucas et al. 2019 show a latent
direction only pays when the data's variance along it exceeds beta times the decoder variance),
and "autoregressive": p(x1 | z) p(x2 | x1, z), each a mixture of Gaussians, a decoder strong
enough to model the data with no help from z (the strong-decoder story of Bowman et al. 2016).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from genstep.engine import metrics
from genstep.engine.families.base import Family, make_optimizer, mlp, to_np
from genstep.engine.families.mixture import mix_draw, mix_logp, normal_logpdf
from genstep.engine.families.vae import VaePayload


class GaussianDecoder(nn.Module):
    def __init__(self, latent, hidden, depth, sd, learn_sd, gen):
        super().__init__()
        self.net = mlp([latent] + [hidden] * depth + [2], gen)
        log_sd = torch.full((2,), math.log(sd), device=gen.device)
        if learn_sd:
            self.log_sd = nn.Parameter(log_sd)
        else:
            self.register_buffer("log_sd", log_sd)

    def nll(self, x, z):
        return -normal_logpdf(x, self.net(z), self.log_sd).sum(dim=1)

    def show(self, z, noise):
        """Decoder means: with a broad fixed noise scale, samples would hide the structure."""
        return self.net(z)


class MixtureARDecoder(nn.Module):
    """p(x1 | z) p(x2 | x1, z), each a K-component Gaussian mixture."""

    def __init__(self, latent, hidden, depth, k, gen):
        super().__init__()
        self.k = k
        self.first = mlp([latent] + [hidden] * depth + [3 * k], gen)
        self.second = mlp([latent + 1] + [hidden] * depth + [3 * k], gen)

    def nll(self, x, z):
        lp1 = mix_logp(self.first(z), x[:, 0], self.k)
        lp2 = mix_logp(self.second(torch.cat([z, x[:, :1]], dim=1)), x[:, 1], self.k)
        return -(lp1 + lp2)

    def show(self, z, noise):
        """Samples drawn with fixed probe noise (u1, e1, u2, e2), so points move smoothly."""
        u1, e1, u2, e2 = noise
        x1 = mix_draw(self.first(z), u1, e1, self.k)
        x2 = mix_draw(self.second(torch.cat([z, x1[:, None]], dim=1)), u2, e2, self.k)
        return torch.stack([x1, x2], dim=1)


class VAE(Family):
    def __init__(self, sc, data, device, gen, probe_gen):
        super().__init__(sc, data, device, gen, probe_gen)
        m, t = sc.model, sc.train
        self.latent = m.latent
        self.encoder = mlp([2] + [m.hidden] * m.depth + [2 * m.latent], gen)
        if m.decoder == "gaussian":
            self.decoder = GaussianDecoder(m.latent, m.hidden, m.depth, m.decoder_sd, m.learn_sd, gen)
        else:
            self.decoder = MixtureARDecoder(m.latent, m.hidden, m.depth, m.components, gen)
        params = list(self.encoder.parameters()) + list(self.decoder.parameters())
        self.opt = make_optimizer(t.optimizer, params, t.lr)
        self.batch = sc.data.batch
        n = sc.probe.samples
        self.probe_real, self.probe_labels = data.sample(n, probe_gen)
        self.probe_prior = torch.randn(n, m.latent, generator=probe_gen, device=device)
        u = lambda: torch.rand(n, generator=probe_gen, device=device)  # noqa: E731
        e = lambda: torch.randn(n, generator=probe_gen, device=device)  # noqa: E731
        self.probe_draws = (u(), e(), u(), e())
        self.bounds = tuple(float(v) for v in data.bounds)

    def encode(self, x):
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(-12, 8)

    @staticmethod
    def effective_beta(knobs, step):
        w = knobs["warmup"]
        return knobs["beta"] * (min(1.0, (step + 1) / w) if w > 0 else 1.0)

    def train_step(self, knobs, gen, step):
        x = self.data.sample(self.batch, gen)[0]
        mu, logvar = self.encode(x)
        z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=gen, device=x.device)
        recon = self.decoder.nll(x, z).mean()
        kl_dims = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).mean(dim=0)
        kl = kl_dims.sum()
        kl_term = kl_dims.clamp(min=knobs["free_bits"]).sum() if knobs["free_bits"] > 0 else kl
        beta = self.effective_beta(knobs, step)
        loss = recon + beta * kl_term
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        recon, kl = recon.detach(), kl.detach()
        return {"loss": loss.detach(), "elbo": -(recon + kl), "recon": recon, "kl": kl,
                "beta": torch.tensor(float(beta), device=x.device)}

    def modules(self):
        return {"encoder": self.encoder, "decoder": self.decoder}

    def optimizers(self):
        return {"vae": self.opt}

    def probe(self, knobs, full=True):
        with torch.no_grad():
            mu, logvar = self.encode(self.probe_real)
            recon = self.decoder.show(mu, self.probe_draws)
            prior = self.decoder.show(self.probe_prior, self.probe_draws)
        mu_np, lv_np = to_np(mu), to_np(logvar)
        latent = mu_np[:, :2] if self.latent >= 2 else np.concatenate([mu_np, np.zeros_like(mu_np)], axis=1)
        return {
            "real": to_np(self.probe_real),
            "real_labels": self.probe_labels.cpu().numpy(),
            "fake": to_np(prior),
            "bounds": self.bounds,
            "payload": VaePayload(recon=to_np(recon), latent=latent, kl_per_dim=metrics.kl_per_dim(mu_np, lv_np)),
            "_mu": mu_np,
            "_logvar": lv_np,
        }

    def measure(self, probed, knobs):
        mu, lv = probed["_mu"], probed["_logvar"]
        return {"active_units": metrics.active_units(mu), "mi": metrics.mutual_information(mu[:1000], lv[:1000])}
