"""Mixtures of K one-dimensional Gaussians as network outputs: exact log-density and sampling.

Shared by the VAE's autoregressive decoder and the autoregressive family. A mixture is a row of
3K numbers per point, as a network's last layer gives them: K logits (the weights, through a
softmax), K means and K log standard deviations (clamped to [LOG_SD_MIN, LOG_SD_MAX], so a
component can neither collapse onto a point, where the density is unbounded, nor spread without
end). Sampling takes its uniform and normal draws as arguments, so a probe can pass the same
fixed noise every time and its points move smoothly from frame to frame.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
LOG_SD_MIN, LOG_SD_MAX = -7.0, 5.0


def normal_logpdf(x, mean, log_sd):
    """log N(x; mean, exp(log_sd)^2), elementwise."""
    return -0.5 * ((x - mean) / log_sd.exp()) ** 2 - log_sd - HALF_LOG_2PI


def split(params: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(N, 3K) -> logits, means, raw log standard deviations, each (N, K)."""
    return params.split(k, dim=1)


def mix_logp(params: torch.Tensor, x: torch.Tensor, k: int) -> torch.Tensor:
    """log p(x) of each point's mixture: params (N, 3K), x (N,) -> (N,)."""
    logits, mean, log_sd = split(params, k)
    log_sd = log_sd.clamp(LOG_SD_MIN, LOG_SD_MAX)
    return torch.logsumexp(F.log_softmax(logits, dim=1) + normal_logpdf(x[:, None], mean, log_sd), dim=1)


def mix_draw(params: torch.Tensor, u: torch.Tensor, e: torch.Tensor, k: int) -> torch.Tensor:
    """One sample per point: the component is picked by inverting the weights' CDF at u (N,)
    uniform, then mean + sd * e, e (N,) standard normal."""
    logits, mean, log_sd = split(params, k)
    cdf = torch.softmax(logits, dim=1).cumsum(dim=1)
    idx = torch.searchsorted(cdf, u[:, None].contiguous()).clamp(max=k - 1)
    pick = lambda t: t.gather(1, idx)[:, 0]  # noqa: E731
    return pick(mean) + pick(log_sd.clamp(LOG_SD_MIN, LOG_SD_MAX)).exp() * e
