"""Latent-space metrics for VAEs: closed-form Gaussian KL, per-dimension KL, active units and
the mutual information between data and code. numpy only; nats throughout.

Split out of engine.metrics (which re-exports every name here) to keep each module about one
kind of quantity: engine.metrics compares 2D sample sets, this module reads encoder outputs.

Definitions
-----------

Gaussian KL (`gaussian_kl`): closed form for diagonal Gaussians,
KL(N(mu_p, sd_p^2) || N(mu_q, sd_q^2)) = sum_i [log(sd_q/sd_p) + (sd_p^2 + (mu_p - mu_q)^2)
/ (2 sd_q^2) - 1/2].

VAE latent metrics, for encoder outputs mu, logvar of shape (N, d) on a batch of data:

- `kl_per_dim`: batch mean of KL(q(z_i | x) || N(0, 1)) = 1/2 (mu^2 + exp(logvar) - 1 -
  logvar) per latent dimension (Kingma & Welling, 2014). Their sum is the ELBO's KL term.
- `active_units` (Burda, Grosse & Salakhutdinov, 2016): dimension i is active when
  Var_x(E_{q(z|x)}[z_i]) = Var_x(mu_i) >= threshold (0.01), variance over the batch with
  ddof = 0.
- `mutual_information`: I(x; z) under the encoder's aggregate posterior q(z) = E_x q(z|x)
  (Hoffman & Johnson, 2016), by the minibatch estimator of He et al. (2019, "Lagging
  inference networks"): one z_i ~ q(z | x_i) per data point and
  MI = mean_i [log q(z_i | x_i) - log q(z_i)], q(z_i) ~= 1/N sum_j q(z_i | x_j).
  He et al. evaluate the first term in closed form (the negative entropy); we evaluate it at
  the same draw z_i. The expectation is the same, but sharing the draw cancels most of the
  noise: identical posteriors give exactly 0, and since the mixture contains q(z_i|x_i)
  with weight 1/N, every term is <= log N, so the estimate never exceeds log N (the batch
  cannot resolve more than N distinct inputs).

Speed, measured with time.perf_counter on the development machine (2 CPU cores, numpy 2.4,
median of 200 calls): mutual_information, d = 2: 3.4 ms for N = 500, 60 ms for N = 2,500
(O(N^2 d)), so probe it on a few hundred points.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["gaussian_kl", "kl_per_dim", "active_units", "mutual_information"]

# the fixed seed used when mutual_information is given no generator: probing must not
# depend on (or advance) any global random state.
_MI_SEED = 0x6E57


def _points(x: np.ndarray, name: str) -> np.ndarray:
    """(N, D) float64 view of `x`; raises a readable error on the wrong shape."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (N, D), got shape {a.shape}")
    return a


def gaussian_kl(mu_p, sd_p, mu_q, sd_q) -> float:
    """KL(N(mu_p, diag sd_p^2) || N(mu_q, diag sd_q^2)) in nats, summed over dimensions.

    Arguments are scalars or arrays that broadcast together; sd are standard deviations
    (not variances), all > 0.
    """
    mp, sp, mq, sq = (np.asarray(v, dtype=np.float64) for v in (mu_p, sd_p, mu_q, sd_q))
    if np.any(sp <= 0) or np.any(sq <= 0):
        raise ValueError("standard deviations must be > 0")
    per_dim = np.log(sq / sp) + (sp**2 + (mp - mq) ** 2) / (2.0 * sq**2) - 0.5
    return float(np.sum(per_dim))


def _latents(mu: np.ndarray, logvar: np.ndarray | None = None):
    m = _points(mu, "mu")
    if logvar is None:
        return m
    lv = _points(logvar, "logvar")
    if lv.shape != m.shape:
        raise ValueError(f"mu {m.shape} and logvar {lv.shape} must have the same shape")
    return m, lv


def kl_per_dim(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """(d,) batch mean of KL(q(z_i|x) || N(0, 1)) per latent dimension, in nats."""
    m, lv = _latents(mu, logvar)
    return (0.5 * (m**2 + np.exp(lv) - 1.0 - lv)).mean(axis=0)


def active_units(mu: np.ndarray, threshold: float = 0.01) -> int:
    """Number of latent dimensions with Var_x(mu_i) >= threshold (Burda et al., 2016).

    mu: (N, d) posterior means over a batch of data; variance with ddof = 0.
    """
    m = _latents(mu)
    return int(np.count_nonzero(m.var(axis=0) >= threshold))


def mutual_information(
    mu: np.ndarray, logvar: np.ndarray, rng: np.random.Generator | None = None
) -> float:
    """Minibatch estimate of I(x; z) in nats under the aggregate posterior (He et al., 2019).

    One z_i ~ q(z|x_i) per row; MI = mean_i [log q(z_i|x_i) - log (1/N sum_j q(z_i|x_j))].
    Deterministic: with rng None a fixed-seed generator is used. The estimate is <= log N
    (and exactly 0 when all posteriors are equal); a slightly negative estimate is reported
    as 0. O(N^2 d) time, N^2 floats of memory:
    3.4 ms for N = 500, d = 2 on 2 cores.
    """
    m, lv = _latents(mu, logvar)
    n, d = m.shape
    if n == 0:
        raise ValueError("mutual_information needs at least one data point")
    if rng is None:
        rng = np.random.default_rng(_MI_SEED)
    sd = np.exp(0.5 * lv)
    z = m + sd * rng.standard_normal((n, d))

    # log q(z_i | x_j) for all pairs, (N, N): row i = draw, column j = component. Built one
    # latent dimension at a time, in place, so the intermediate is N x N, not N x N x d
    half_inv_var = 0.5 * np.exp(-lv)
    logq = np.empty((n, n))
    logq[...] = -0.5 * (d * math.log(2.0 * math.pi) + lv.sum(axis=1))[None, :]
    dev = np.empty((n, n))
    for k in range(d):
        np.subtract(z[:, k, None], m[None, :, k], out=dev)
        np.square(dev, out=dev)
        dev *= half_inv_var[None, :, k]
        logq -= dev

    log_own = np.diagonal(logq).copy()
    # log-sum-exp over components, by hand: scipy.special.logsumexp is ~3x slower at this
    # size. the row max is finite (>= the own term), so the shift is safe
    top = logq.max(axis=1)
    np.subtract(logq, top[:, None], out=logq)
    np.exp(logq, out=logq)
    log_agg = np.log(logq.sum(axis=1)) + top - math.log(n)
    # the true MI is never negative; with nearly equal posteriors the one-draw estimate can dip
    # a hair below 0 (seen: -0.001 on a collapsed VAE), which would only confuse a reader
    return max(0.0, float(np.mean(log_own - log_agg)))
