"""The autoencoder family's torch side: one encoder, the VAE's Gaussian decoder, and the `encoder`
knob that decides what the code is.

- encoder = "deterministic" (the plain autoencoder): z = mu(x), no sampling, and the loss is the
  distortion alone, whatever `beta` says. The encoder's second head (log-variance) exists but is
  unused and untrained; the rate of a point posterior is infinite, so no `rate` (nor `elbo`, `mi`)
  is reported while it is in force.
- encoder = "stochastic" (the beta-VAE): z = mu + sd * eps, eps ~ N(0, I) from the session's
  generator, and loss = distortion + beta * rate (Higgins et al. 2017). beta = 1 is the VAE
  (Kingma and Welling 2014), whose loss is -ELBO.

rate = KL(q(z|x) || N(0, I)) summed over latent dimensions and distortion = -log p(x|z), nats per
point, batch means (Alemi et al. 2018): the VAE's kl and recon under the names of the
rate-distortion plane. Their sum is never below the data's differential entropy (payload.entropy,
computed once by Monte Carlo for mixture data).
"""

from __future__ import annotations

import numpy as np
import torch

from genstep.engine import metrics
from genstep.engine.families.ae import AePayload
from genstep.engine.families.ae.measures import latent_coverage
from genstep.engine.families.base import Family, make_optimizer, mlp, to_np
from genstep.engine.families.vae.train import GaussianDecoder

COVERAGE_POSTERIORS = 1000  # data points whose posteriors latent_coverage (and mi) read
ENTROPY_POINTS = 100_000  # Monte Carlo points for the data's entropy: standard error ~0.003 nats
_ENTROPY: dict[tuple, tuple[float, float]] = {}  # computed once per mixture, shared by sessions


def data_entropy(data) -> tuple[float | None, float | None]:
    """(h, standard error) of the data's differential entropy in nats, or (None, None) when it is
    not a Gaussian mixture. Draws from a fixed numpy stream, never from a session's generator."""
    if data.centres is None or data.sd is None:
        return None, None
    key = (np.asarray(data.centres, np.float64).tobytes(), float(data.sd))
    if key not in _ENTROPY:
        _ENTROPY[key] = metrics.mixture_entropy(data, ENTROPY_POINTS)
    return _ENTROPY[key]


class Autoencoder(Family):
    def __init__(self, sc, data, device, gen, probe_gen):
        super().__init__(sc, data, device, gen, probe_gen)
        m, t = sc.model, sc.train
        self.latent = m.latent
        self.encoder = mlp([2] + [m.hidden] * m.depth + [2 * m.latent], gen)
        self.decoder = GaussianDecoder(m.latent, m.hidden, m.depth, m.decoder_sd, m.learn_sd, gen)
        params = list(self.encoder.parameters()) + list(self.decoder.parameters())
        self.opt = make_optimizer(t.optimizer, params, t.lr, t.betas)
        self.batch = sc.data.batch
        n = sc.probe.samples
        self.probe_real, self.probe_labels = data.sample(n, probe_gen)
        self.probe_prior = torch.randn(n, m.latent, generator=probe_gen, device=device)
        self.probe_eps = torch.randn(n, m.latent, generator=probe_gen, device=device)  # codes z ~ q(z | x)
        self.bounds = tuple(float(v) for v in data.bounds)
        self.entropy, self.entropy_se = data_entropy(data)

    def encode(self, x):
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(-12, 8)

    def train_step(self, knobs, gen, step):
        x = self.data.sample(self.batch, gen)[0]
        mu, logvar = self.encode(x)
        if knobs["encoder"] == "deterministic":
            distortion = self.decoder.nll(x, mu).mean()
            loss = distortion
            out = {"loss": loss, "distortion": distortion}
        else:
            z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=gen, device=x.device)
            distortion = self.decoder.nll(x, z).mean()
            rate = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(dim=1).mean()
            loss = distortion + knobs["beta"] * rate
            out = {"loss": loss, "distortion": distortion, "rate": rate, "elbo": -(distortion + rate)}
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {k: v.detach() for k, v in out.items()}

    def modules(self):
        return {"encoder": self.encoder, "decoder": self.decoder}

    def optimizers(self):
        return {"ae": self.opt}

    def probe(self, knobs, full=True):
        stochastic = knobs["encoder"] == "stochastic"
        with torch.no_grad():
            mu, logvar = self.encode(self.probe_real)
            prior = self.decoder.show(self.probe_prior, None)
            recon = self.decoder.show(mu, None) if full else None
        mu_np, lv_np = to_np(mu), to_np(logvar)
        sd_np = np.exp(0.5 * lv_np) if stochastic else np.zeros_like(mu_np)
        codes = mu_np + sd_np * to_np(self.probe_eps)
        out = {
            "real": to_np(self.probe_real),
            "real_labels": self.probe_labels.cpu().numpy(),
            "fake": to_np(prior),
            "bounds": self.bounds,
            "_mu": mu_np,
            "_logvar": lv_np if stochastic else None,
        }
        if full:
            two = lambda a: a[:, :2] if self.latent >= 2 else np.concatenate([a, np.zeros_like(a)], axis=1)  # noqa: E731
            kl = metrics.kl_per_dim(mu_np, lv_np) if stochastic else np.full(self.latent, np.inf)
            out["payload"] = AePayload(
                recon=to_np(recon), latent=two(mu_np), latent_sd=two(sd_np), codes=two(codes), kl_per_dim=kl.astype(np.float32),
                stochastic=stochastic, entropy=self.entropy, entropy_se=self.entropy_se,
                modes=None if self.data.centres is None else len(self.data.centres))
        return out

    def measure(self, probed, knobs):
        mu, lv = probed["_mu"], probed["_logvar"]
        real, fake = probed["real"], probed["fake"]
        n = COVERAGE_POSTERIORS
        out = {"active_units": metrics.active_units(mu)}
        if lv is not None:
            out["mi"] = metrics.mutual_information(mu[:n], lv[:n])
        out["latent_coverage"] = latent_coverage(to_np(self.probe_prior), mu[:n],
                                                 None if lv is None else np.exp(0.5 * lv[:n]))
        if self.data.centres is not None:
            out["prior_hq"] = metrics.mode_coverage(fake, self.data.centres, self.data.sd).hq
        out["prior_w1"] = metrics.wasserstein1(real, fake, self.sc.probe.w1_points)
        return out
