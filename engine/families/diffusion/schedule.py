"""Noise schedules of the forward process and the numbers read off them: numpy only, no torch.

The forward process q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I), t = 1..T, has the
closed form q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I) with
alpha_bar_t = prod_{s <= t} (1 - beta_s) (Ho et al. 2020, eq. 4). Arrays here are indexed by t:
`alpha_bar[0]` = 1 (the data), `alpha_bar[T]` = what is left of x_0 at the end.

- linear: beta_t evenly spaced from beta_start to beta_end (Ho et al. 2020: 1e-4 to 0.02 over
  T = 1000 steps, so that the betas add up to about 10 and alpha_bar_T = 4e-5).
- cosine: alpha_bar_t = f(t) / f(0), f(t) = cos^2(((t / T + s) / (1 + s)) pi / 2), s = 0.008,
  with each beta_t clipped at 0.999 (Nichol and Dhariwal 2021, eq. 17). It does not depend on
  beta_start or beta_end, and as a function of t / T it is the same for every T.
"""

from __future__ import annotations

import math

import numpy as np

COSINE_OFFSET = 0.008  # s in Nichol and Dhariwal (2021), eq. 17
MAX_BETA = 0.999  # their clip, which keeps the last steps from being singular
MIN_ALPHA_BAR = 1e-300  # alpha_bar never reaches 0 (float64 holds down to ~2e-308)


def betas(kind: str, T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """beta_1 .. beta_T as a (T,) float64 array."""
    if kind == "linear":
        return np.linspace(beta_start, beta_end, T, dtype=np.float64)
    if kind == "cosine":
        t = np.arange(T + 1, dtype=np.float64) / T
        f = np.cos((t + COSINE_OFFSET) / (1 + COSINE_OFFSET) * math.pi / 2) ** 2
        return np.minimum(1 - f[1:] / f[:-1], MAX_BETA)
    raise ValueError(f"unknown schedule {kind!r} (expected linear or cosine)")


def alpha_bar(kind: str, T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """alpha_bar_0 .. alpha_bar_T as a (T + 1,) float64 array; alpha_bar_0 = 1. Kept above
    MIN_ALPHA_BAR: a schedule of huge betas would otherwise reach 0 and a sampler step divide by it
    (the samples of such a schedule blow up to inf, which the metrics report, and nothing crashes)."""
    return np.maximum(np.concatenate([[1.0], np.cumprod(1 - betas(kind, T, beta_start, beta_end))]), MIN_ALPHA_BAR)


def signal_T(ab: np.ndarray) -> float:
    """sqrt(alpha_bar_T): the factor of x_0 that survives in x_T (0 = pure noise at the end)."""
    return float(math.sqrt(ab[-1]))


def prior_kl(ab: np.ndarray, x0: np.ndarray) -> float:
    """KL(q(x_T | x_0) || N(0, I)), nats, averaged over the points x0 (N, d): the L_T term of the
    bound. q(x_T | x_0) = N(sqrt(a) x_0, (1 - a) I), a = alpha_bar_T, so per point
    1/2 (a |x_0|^2 - d a - d log(1 - a)). 0 only when a = 0."""
    a = float(ab[-1])
    x0 = np.asarray(x0, dtype=np.float64)
    d = x0.shape[1]
    sq = float((x0**2).sum(axis=1).mean())
    return 0.5 * (a * sq - d * a - d * math.log1p(-a)) if a < 1 else math.inf


def strided(T: int, steps: int) -> np.ndarray:
    """The time steps a sampler with `steps` reverse steps visits, from 0 to T (steps + 1 values,
    evenly spaced and rounded; `steps` is capped at T). The sampler walks them backwards."""
    n = max(1, min(int(steps), int(T)))
    return np.unique(np.round(np.linspace(0, T, n + 1)).astype(np.int64))


def log_snr(ab: np.ndarray) -> np.ndarray:
    """lambda_t = log(alpha_bar_t / (1 - alpha_bar_t)), the log signal-to-noise ratio of x_t, for
    t = 1..T (a (T,) array, decreasing)."""
    a = ab[1:]
    return np.log(a) - np.log1p(-a)
