"""Adversarial objectives. Each is a pair of losses over the critic's raw outputs.

The networks never change when the objective does, so `loss` is a live knob: switching from the
standard GAN to WGAN-GP mid-run keeps the generator and the critic and only changes what they are
trained to do. The critic always outputs a raw score; the GAN losses read it as a logit.

- ns (Goodfellow et al. 2014, the "non-saturating" generator loss): D maximises
  log D(x) + log(1 - D(G(z))); G minimises -log D(G(z)).
- minimax (the same paper's formulation as a two-player game): G minimises log(1 - D(G(z))),
  whose gradient vanishes when D confidently rejects the samples.
- lsgan (Mao et al. 2017): least squares to targets 1 (real) and 0 (fake); G pulls towards 1.
- wasserstein (Arjovsky et al. 2017): the critic maximises E f(x) - E f(G(z)) with its weights
  clipped to [-clip, clip] after every update, a crude way to keep it K-Lipschitz.
- wgan-gp (Gulrajani et al. 2017): the same critic objective plus gp * (|grad f(x_hat)| - 1)^2 at
  random interpolates x_hat between real and generated points, instead of clipping.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def critic_loss(kind: str, critic, real, fake, dr, df, knobs, gen) -> torch.Tensor:
    if kind in ("ns", "minimax"):
        return F.softplus(-dr).mean() + F.softplus(df).mean()
    if kind == "lsgan":
        return 0.5 * ((dr - 1) ** 2).mean() + 0.5 * (df**2).mean()
    if kind == "wasserstein":
        return df.mean() - dr.mean()
    if kind == "wgan-gp":
        eps = torch.rand(real.shape[0], 1, generator=gen, device=real.device)
        x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
        penalty = ((g.norm(dim=1) - 1) ** 2).mean()
        return df.mean() - dr.mean() + knobs["gp"] * penalty
    raise ValueError(f"unknown loss {kind!r}")


def generator_loss_per_point(kind: str, df: torch.Tensor) -> torch.Tensor:
    if kind == "ns":
        return F.softplus(-df)  # -log sigmoid(df)
    if kind == "minimax":
        return -F.softplus(df)  # log(1 - sigmoid(df))
    if kind == "lsgan":
        return 0.5 * (df - 1) ** 2
    if kind in ("wasserstein", "wgan-gp"):
        return -df
    raise ValueError(f"unknown loss {kind!r}")


def after_critic_step(kind: str, critic, knobs) -> None:
    if kind == "wasserstein":
        c = knobs["clip"]
        with torch.no_grad():
            for p in critic.parameters():
                p.clamp_(-c, c)


def heat_view(kind: str, scores: torch.Tensor) -> tuple[torch.Tensor, str]:
    """What the heat map shows: D(x) as a probability for the GAN losses, raw scores otherwise."""
    if kind in ("ns", "minimax"):
        return torch.sigmoid(scores), "D(x)"
    if kind == "lsgan":
        return scores, "D(x) (least squares)"
    return scores, "critic f(x)"
