"""The data's own density, where it is known: what the model's exact likelihood is measured against.

The ring and the grid are equal-weight mixtures of isotropic Gaussians (centres c_k, one sd), so
their log-density, their marginals and their conditionals are exact:
- p(x) = 1/K sum_k N(x; c_k, sd^2 I);
- p(x_i) = 1/K sum_k N(x_i; c_k,i, sd^2), the marginal of one coordinate;
- p(x_j | x_i = a) = sum_k w_k(a) N(x_j; c_k,j, sd^2) with w_k(a) proportional to N(a; c_k,i, sd^2):
  the components are isotropic, so knowing x_i only reweights them (Bayes' rule on the component).
On the ring a vertical slice x1 = a crosses the circle twice for most a: the true conditional
p(x2 | x1 = a) has two separated bumps, which one Gaussian cannot fit.

numpy, float64; nothing here depends on torch.
"""

from __future__ import annotations

import math

import numpy as np


def known(data) -> bool:
    """Whether `data` is a Gaussian mixture whose density this module can evaluate."""
    return getattr(data, "centres", None) is not None and getattr(data, "sd", None) is not None


def _log_normal(x: np.ndarray, mean: np.ndarray, sd: float) -> np.ndarray:
    return -0.5 * ((x - mean) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    top = a.max(axis=axis, keepdims=True)
    return (top + np.log(np.exp(a - top).sum(axis=axis, keepdims=True))).squeeze(axis)


def log_density(data, x: np.ndarray) -> np.ndarray:
    """log p_data(x) for (N, 2) points: (N,)."""
    x = np.asarray(x, dtype=np.float64)
    c = np.asarray(data.centres, dtype=np.float64)
    terms = _log_normal(x[:, None, 0], c[None, :, 0], data.sd) + _log_normal(x[:, None, 1], c[None, :, 1], data.sd)
    return _logsumexp(terms, axis=1) - math.log(len(c))


def entropy(data, x: np.ndarray) -> tuple[float, float]:
    """(h, its standard error): the Monte Carlo estimate -mean log p_data(x) over points x drawn
    from the data, and sd(log p_data(x)) / sqrt(N)."""
    lp = log_density(data, x)
    return float(-lp.mean()), float(lp.std(ddof=1) / math.sqrt(len(lp)))


def marginal(data, first: int, axis: np.ndarray) -> np.ndarray:
    """p_data(x_first) on `axis` (R,)."""
    c = np.asarray(data.centres, dtype=np.float64)[:, first]
    return np.exp(_log_normal(np.asarray(axis, np.float64)[:, None], c[None, :], data.sd)).mean(axis=1)


def conditional(data, first: int, slices: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """p_data(x_second | x_first = a) for each a in `slices` (S,), on `grid` (R,): (S, R)."""
    c = np.asarray(data.centres, dtype=np.float64)
    second = 1 - first
    logw = _log_normal(np.asarray(slices, np.float64)[:, None], c[None, :, first], data.sd)  # (S, K)
    w = np.exp(logw - _logsumexp(logw, axis=1)[:, None])
    bumps = np.exp(_log_normal(np.asarray(grid, np.float64)[:, None], c[None, :, second], data.sd))  # (R, K)
    return w @ bumps.T
