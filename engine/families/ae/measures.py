"""What the autoencoder lessons measure beyond the shared metrics: numpy only.

`latent_coverage` asks how much of the prior N(0, I) lies where some data point's posterior is.
Decoding a prior sample z is only meaningful where the decoder was trained, that is, near codes it
saw: in a "hole" (prior mass no posterior reaches) the decoder's output is an extrapolation, and
for mixture data it usually lands off the data.

Definition. For prior samples z_1..z_M and the posteriors q(z | x_i) = N(mu_i, diag sd_i^2) of data
points x_1..x_N, a prior sample is *covered* when it lies within `n_sd` (3) standard deviations of
at least one posterior, in that posterior's own metric:

    min_i  sum_k (z_k - mu_ik)^2 / sd_ik^2  <=  n_sd^2,

and `latent_coverage` is the covered fraction of the M prior samples: a Monte Carlo estimate of the
prior mass of the union of the posteriors' 3-sd ellipsoids (binomial standard error
sqrt(c (1 - c) / M), at most 0.01 for M = 2,500). 3 sd mirrors the `hq` of mode coverage; the
ellipsoid of one 2D Gaussian holds 1 - e^-4.5 = 98.9% of its mass. The union grows with N, so values
compare between runs with the same N (the family uses the probe's first 1,000 data points).

Readings: a posterior collapsed onto the prior (sd = 1, mu = 0) covers 98.9% in 2D; a well-trained
VAE's aggregate posterior fills most of the prior; posteriors much narrower than the gaps between
them leave holes; a deterministic encoder's posteriors are points (sd = 0), which cover no prior
mass at all, so its coverage is 0 by definition, and every decoded prior sample is an
extrapolation.
"""

from __future__ import annotations

import numpy as np


def latent_coverage(prior: np.ndarray, mu: np.ndarray, sd: np.ndarray | None, n_sd: float = 3.0,
                    chunk: int = 512) -> float:
    """Fraction of `prior` (M, d) samples within `n_sd` posterior sd of at least one posterior
    N(mu_i, diag sd_i^2), mu and sd (N, d). sd None (a deterministic encoder) gives 0.0.

    O(M N d) time, chunk x N floats of memory; 2,500 x 1,000 in 2D: about 20 ms on 2 cores.
    """
    z = np.asarray(prior, dtype=np.float64)
    m = np.asarray(mu, dtype=np.float64)
    if z.ndim != 2 or m.ndim != 2 or z.shape[1] != m.shape[1]:
        raise ValueError(f"prior {z.shape} and mu {m.shape} must be (M, d) and (N, d)")
    if sd is None or len(z) == 0 or len(m) == 0:
        return 0.0
    s = np.asarray(sd, dtype=np.float64)
    if s.shape != m.shape:
        raise ValueError(f"mu {m.shape} and sd {s.shape} must have the same shape")
    if not (s > 0).all():
        raise ValueError("posterior sd must be > 0 (pass sd=None for a deterministic encoder)")
    inv_sd = 1.0 / s
    limit = n_sd * n_sd
    covered = 0
    for start in range(0, len(z), chunk):
        block = z[start:start + chunk]
        d2 = np.zeros((len(block), len(m)))
        for k in range(m.shape[1]):
            dev = (block[:, k, None] - m[None, :, k]) * inv_sd[None, :, k]
            d2 += dev * dev
        covered += int(np.count_nonzero(d2.min(axis=1) <= limit))
    return covered / len(z)
