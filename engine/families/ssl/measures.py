"""What a self-supervised representation is worth, measured on frozen embeddings (numpy only).

Every function takes embeddings as an (N, d) array, one row per point, and works on the rows
l2-normalised (`unit`), the space every objective here compares embeddings in (SimSiam and BYOL
through cosine similarity, SimCLR through InfoNCE on the sphere; Barlow Twins standardises each
dimension instead, and is measured on the sphere too, so one scale serves all four).

- `z_std`: the standard deviation over points of each normalised dimension, averaged over
  dimensions. Embeddings spread evenly over the sphere in d dimensions give about 1/sqrt(d); a
  collapsed embedding (every point at the same place) gives 0. SimSiam's paper (Chen & He 2021,
  figure 2) uses it to show collapse without stop-gradient.
- `spectrum` / `eff_rank`: the singular values of the (N, d) normalised embedding matrix (not
  centred, so a collapse onto one point leaves exactly one non-zero value), and their effective
  rank exp(H(p)), p_k = s_k / sum s (Roy & Vetterli 2007; used for embeddings by Garrido et al.
  2023). It runs from 1 (one direction: collapse) to d (all directions used equally); an
  embedding whose spectrum has lost dimensions while `z_std` still looks fine has collapsed
  dimensionally (Jing et al. 2022), and `eff_rank` is the number that shows it.
- `alignment` and `uniformity` (Wang & Isola 2020, alpha = 2, t = 2): E|f(x) - f(x')|^2 over the
  two views of each point (0 when the views agree; a collapse is perfectly aligned) and
  log E exp(-2|f(x) - f(y)|^2) over pairs of distinct points (0 when collapsed; the more
  negative, the more evenly the points cover the sphere; about -3.8 for points uniform on the
  sphere in 32 dimensions, -4 in the limit).
- `probe_acc`: a linear read-out of the data's cluster (mode index) from the frozen embedding:
  ridge regression of one-hot labels on [embedding, 1] in closed form, fitted on the first half
  of the points and scored (arg max) on the second half. The ridge penalty is absolute on the
  unit sphere, so differences between points far smaller than the penalty's scale (a collapsed
  embedding's residue) cannot be read out: they carry no usable information.
"""

from __future__ import annotations

import numpy as np

RIDGE = 1e-2  # the probe's penalty per fitting point, on unit-norm embeddings
UNIFORMITY_POINTS = 400  # pairs among this many points (80k pairs) estimate uniformity


def unit(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, np.float64)
    return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)


def z_std(zn: np.ndarray) -> float:
    return float(zn.std(axis=0).mean())


def spectrum(zn: np.ndarray) -> np.ndarray:
    """Singular values of the normalised embedding matrix, largest first (d values): the square
    roots of the eigenvalues of its d x d Gram matrix (far cheaper than an SVD of N x d; values
    below about 1e-7 of the largest are rounding noise, far under anything the view shows)."""
    ev = np.linalg.eigvalsh(zn.T @ zn)[::-1]
    return np.sqrt(np.maximum(ev, 0.0))


def eff_rank(s: np.ndarray) -> float:
    s = np.asarray(s, np.float64)
    total = s.sum()
    if total <= 0:
        return 1.0
    p = s[s > 0] / total
    return float(np.exp(-(p * np.log(p)).sum()))


def alignment(zn_a: np.ndarray, zn_b: np.ndarray) -> float:
    return float(((zn_a - zn_b) ** 2).sum(axis=1).mean())


def uniformity(zn: np.ndarray, n: int = UNIFORMITY_POINTS) -> float:
    z = zn[:n]
    m = len(z)
    # on the unit sphere |a - b|^2 = 2 - 2 a.b, so exp(-2 |a - b|^2) = exp(4 a.b - 4), in [e^-8, 1]
    pair = np.exp(4.0 * (z @ z.T) - 4.0)
    off = (pair.sum() - np.trace(pair)) / (m * (m - 1))  # distinct pairs only
    return float(np.log(off))


def probe_acc(zn: np.ndarray, labels: np.ndarray, ridge: float = RIDGE) -> float:
    """Held-out accuracy of a closed-form ridge read-out of the labels (first half fits, second scores)."""
    labels = np.asarray(labels)
    classes, y = np.unique(labels, return_inverse=True)
    if len(classes) < 2:
        return float("nan")
    half = len(zn) // 2
    x = np.concatenate([zn, np.ones((len(zn), 1))], axis=1)
    xf, yf = x[:half], np.eye(len(classes))[y[:half]]
    reg = ridge * half * np.eye(x.shape[1])
    reg[-1, -1] = 0.0  # the intercept is not penalised
    w = np.linalg.solve(xf.T @ xf + reg, xf.T @ yf)
    return float((np.argmax(x[half:] @ w, axis=1) == y[half:]).mean())


def pca2(zn: np.ndarray) -> tuple[np.ndarray, float]:
    """The points on their two leading principal axes, and the fraction of variance those hold.

    Signs are fixed (each axis points where its largest loading is positive) so the picture does
    not flip between probes."""
    c = zn - zn.mean(axis=0)
    ev, vecs = np.linalg.eigh(c.T @ c)  # ascending
    axes = vecs[:, ::-1][:, :2].T
    axes = axes * np.where(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)] < 0, -1.0, 1.0)[:, None]
    proj = c @ axes.T
    total = float(np.maximum(ev, 0).sum())
    return proj.astype(np.float32), float(np.maximum(ev[::-1][:2], 0).sum() / total) if total > 0 else 0.0
