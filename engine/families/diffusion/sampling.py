"""The reverse process: the samplers, and the bound and loss profile measured on a fixed probe.

One reverse step from t to an earlier t' (t' = t - 1 for the full chain, further when strided)
follows DDIM's generalised step (Song et al. 2021, eq. 12):

    x0_hat = (x_t - sqrt(1 - a_t) eps_theta(x_t, t)) / sqrt(a_t)
    x_t'   = sqrt(a_t') x0_hat + sqrt(1 - a_t' - sigma^2) eps_theta + sigma z,  z ~ N(0, I)
    sigma^2 = eta^2 (1 - a_t') / (1 - a_t) (1 - a_t / a_t')

with a = alpha_bar. eta = 1 gives the posterior variance beta~ of the (strided) forward process:
that is ancestral DDPM sampling (Ho et al. 2020, Algorithm 2, with sigma_t^2 = beta~_t), which is
what `sampler = "ddpm"` runs; `sampler = "ddim"` uses the scenario's eta (0: deterministic). The
last step (t' = 0) adds no noise and returns x0_hat, as Algorithm 2 does.

Everything here is called under torch.no_grad() with noise from a generator seeded afresh at
each call, so the same model gives the same samples and no training randomness is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from genstep.engine.families.diffusion import schedule

CHUNK_ROWS = 16384  # rows per forward pass in the bound (bounds memory at T = 1000)


@dataclass
class Reverse:
    samples: torch.Tensor  # (N, 2)
    trails: torch.Tensor  # (K, S + 1, 2)
    trail_t: np.ndarray  # (S + 1,)
    first_x0: torch.Tensor  # (N, 2): x0_hat at the first step


def sample(net, ab: np.ndarray, T: int, steps: int, eta: float, n: int, keep: int,
           seed: int, device) -> Reverse:
    """n samples from x_T ~ N(0, I) with `steps` reverse steps (capped at T); the first `keep`
    points' whole trajectories are kept. `ab` is alpha_bar_0..T (numpy float64): the step's
    coefficients are plain floats, so a step costs one network pass and a few fused ops."""
    g = torch.Generator(device=device)
    g.manual_seed(seed)
    taus = schedule.strided(T, steps)
    x = torch.randn(n, 2, generator=g, device=device)
    s = torch.empty(n, device=device)
    trail = [x[:keep]]
    first_x0 = None
    for i in range(len(taus) - 1, 0, -1):
        t, tp = int(taus[i]), int(taus[i - 1])
        a_t, a_p = float(ab[t]), float(ab[tp])
        eps = net(x, s.fill_(t / T))
        x0 = (x - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)
        if first_x0 is None:
            first_x0 = x0
        if eta is None:  # ddpm: the posterior mean, and the variance beta' = 1 - a_t / a_p
            sig2 = 1 - a_t / a_p
            x = torch.add(math.sqrt(a_p) * sig2 / (1 - a_t) * x0, x, alpha=math.sqrt(a_t / a_p) * (1 - a_p) / (1 - a_t))
        else:
            sig2 = eta**2 * (1 - a_p) / (1 - a_t) * (1 - a_t / a_p)
            x = torch.add(math.sqrt(a_p) * x0, eps, alpha=math.sqrt(max(1 - a_p - sig2, 0.0)))
        if tp > 0 and sig2 > 0:
            x.add_(torch.randn(n, 2, generator=g, device=device), alpha=math.sqrt(sig2))
        trail.append(x[:keep])
    return Reverse(x, torch.stack(trail, dim=1), taus[::-1].copy(), first_x0)


def errors_by_t(net, x0: torch.Tensor, ab: torch.Tensor, T: int, seed: int) -> torch.Tensor:
    """|eps - eps_theta(x_t, t)|^2 (summed over the 2 coordinates) for every probe point and every
    t = 1..T, one fixed noise draw each: a (T, M) tensor. One batched pass, in chunks."""
    g = torch.Generator(device=x0.device)
    g.manual_seed(seed)
    m = x0.shape[0]
    eps = torch.randn(T, m, 2, generator=g, device=x0.device)
    a = ab[1:, None, None]
    xt = (a.sqrt() * x0[None] + (1 - a).sqrt() * eps).reshape(-1, 2)
    s = (torch.arange(1, T + 1, device=x0.device, dtype=torch.float32) / T).repeat_interleave(m)
    eps = eps.reshape(-1, 2)
    out = torch.empty(T * m, device=x0.device)
    for i in range(0, T * m, CHUNK_ROWS):
        j = i + CHUNK_ROWS
        out[i:j] = ((eps[i:j] - net(xt[i:j], s[i:j])) ** 2).sum(dim=1)
    return out.reshape(T, m)


def nll_bound(err: np.ndarray, ab: np.ndarray, x0: np.ndarray) -> float:
    """The continuous-time variational bound on -log p(x_0) (Kingma et al. 2021, "Variational
    diffusion models", sec. 3-4), in nats per point, from `errors_by_t`:

        prior_kl + d/2 log(2 pi e / SNR_1) + 1/2 integral over lambda of E|eps - eps_theta|^2

    lambda = log SNR runs from lambda_T to lambda_1, and the integral is taken with the trapezoid
    rule over the T noise levels the network is trained at. The middle term is their Gaussian
    decoder p(x_0 | x_1) = N(x_1 / sqrt(alpha_bar_1), I / SNR_1). With the Bayes-optimal denoiser the
    bound comes within a few hundredths of a nat of the data's entropy (tests/test_diffusion.py);
    Ho et al.'s discrete-time bound (their eq. 5) stays about 1 nat above it even then, because its
    first steps change the noise level by large factors however large T is."""
    lam = schedule.log_snr(ab)
    e = err.mean(axis=1)  # mean over the probe points, per t
    d = np.asarray(x0).shape[1]
    integral = 0.5 * float(np.sum((lam[:-1] - lam[1:]) * (e[:-1] + e[1:]) / 2))
    decoder = 0.5 * d * math.log(2 * math.pi * math.e / math.exp(lam[0]))
    return float(schedule.prior_kl(ab, x0) + decoder + integral)


def loss_by_band(err: np.ndarray, bands: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean squared error per coordinate (the training loss's units) in `bands` bands of t."""
    T = err.shape[0]
    b = max(1, min(bands, T))
    edges = np.round(np.linspace(1, T + 1, b + 1)).astype(np.int64)
    per_t = err.mean(axis=1) / 2
    return np.array([per_t[lo - 1:hi - 1].mean() for lo, hi in zip(edges[:-1], edges[1:])]), edges
