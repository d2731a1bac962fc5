"""The model: p(first) p(second | first), each a mixture of K Gaussians, with an exact density.

- p(first) is a mixture whose 3K parameters (logits, means, log standard deviations) are learned
  directly: the first coordinate has no input to condition on.
- p(second | first) is a mixture whose 3K parameters an MLP computes from the first coordinate
  (a plain conditional network, not a MADE: with two coordinates the masks of a MADE would only
  rebuild the same two factors).
"first" and "second" are x1 and x2, or x2 and x1: the family flips the points before they get
here (the `order` knob).

Everything whose size depends on K lives in `MixtureHeads`: the marginal's parameters and the
conditional network's last layer. Changing K rebuilds them (new weights drawn from the session's
generator) and keeps the trunk, the layers that read the first coordinate. The heads keep their
Parameter objects across a rebuild (only their data change shape), so the optimizer and the
session's checkpoints always see the heads in use, and restoring a checkpoint taken at another K
resizes them to it.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from genstep.engine.families.base import mlp
from genstep.engine.families.mixture import mix_draw, mix_logp


class MixtureHeads(nn.Module):
    """The K-sized parts: `marginal` (3K,) and the conditional's last layer (hidden -> 3K)."""

    def __init__(self, hidden: int, device):
        super().__init__()
        self.hidden = hidden
        self.marginal = nn.Parameter(torch.empty(0, device=device))
        self.weight = nn.Parameter(torch.empty(0, hidden, device=device))
        self.bias = nn.Parameter(torch.empty(0, device=device))

    @property
    def k(self) -> int:
        return self.marginal.shape[0] // 3

    def rebuild(self, k: int, gen: torch.Generator, first: tuple[float, float], second: tuple[float, float]) -> None:
        """New heads for K = k, the random values drawn from `gen`. `first` and `second` are the
        ranges (lo, hi) of the two coordinates: the components' means start evenly spaced over
        them and their standard deviations at the spacing, so K components tile the range and
        every bump of the data has one nearby (means drawn at random leave gaps, and a mixture
        fitted by gradient descent does not move a component across a gap: one broad component
        then covers two bumps for good); the weights start equal (the marginal) or nearly so (the
        conditional: its last layer gets a layer's default init)."""
        dev = gen.device

        def spread(lo, hi):
            means = torch.linspace(lo, hi, 2 * k + 1, device=dev)[1::2]  # the centres of k equal cells
            return means, torch.full((k,), math.log((hi - lo) / k), device=dev)

        bound = 1.0 / math.sqrt(self.hidden)  # nn.Linear's default init, from our generator
        with torch.no_grad():
            m1, s1 = spread(*first)
            self.marginal.data = torch.cat([torch.zeros(k, device=dev), m1, s1])
            self.weight.data = torch.empty(3 * k, self.hidden, device=dev).uniform_(-bound, bound, generator=gen)
            logits = torch.empty(k, device=dev).uniform_(-bound, bound, generator=gen)
            m2, s2 = spread(*second)
            self.bias.data = torch.cat([logits, m2, s2])
        for p in self.parameters():
            p.grad = None

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # a checkpoint taken at another K: take its shapes first, then its values
        for name, p in self._parameters.items():
            t = state_dict.get(prefix + name)
            if t is not None and t.shape != p.shape:
                p.data = torch.empty(t.shape, dtype=p.dtype, device=p.device)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def first(self, n: int) -> torch.Tensor:
        return self.marginal.expand(n, -1)

    def second(self, h: torch.Tensor) -> torch.Tensor:
        return F.linear(h, self.weight, self.bias)


def trunk(hidden: int, depth: int, activation: str, gen: torch.Generator) -> nn.Sequential:
    """The conditional network up to its last hidden layer: first coordinate -> features."""
    act = nn.Tanh if activation == "tanh" else nn.ReLU
    net = mlp([1] + [hidden] * depth, gen, act)
    net.append(act())
    return net


def log_prob(trunk_net: nn.Module, heads: MixtureHeads, x: torch.Tensor) -> torch.Tensor:
    """Exact log p(x) = log p(first) + log p(second | first) for (N, 2) points in the model's order."""
    k = heads.k
    return mix_logp(heads.first(x.shape[0]), x[:, 0], k) + mix_logp(heads.second(trunk_net(x[:, :1])), x[:, 1], k)


def sample(trunk_net: nn.Module, heads: MixtureHeads, noise) -> torch.Tensor:
    """Ancestral sampling, one coordinate at a time, from given draws (u1, e1, u2, e2)."""
    u1, e1, u2, e2 = noise
    k = heads.k
    first = mix_draw(heads.first(u1.shape[0]), u1, e1, k)
    second = mix_draw(heads.second(trunk_net(first[:, None])), u2, e2, k)
    return torch.stack([first, second], dim=1)


def curves(trunk_net: nn.Module, heads: MixtureHeads, axis: torch.Tensor, slices: torch.Tensor,
           grid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """p(first) on `axis` (R,), and p(second | first = a) on `grid` (R',) for each a in `slices`
    (S,): shapes (R,) and (S, R')."""
    k = heads.k
    marginal = mix_logp(heads.first(axis.shape[0]), axis, k).exp()
    params = heads.second(trunk_net(slices[:, None]))  # (S, 3K)
    s, r = slices.shape[0], grid.shape[0]
    cond = mix_logp(params.repeat_interleave(r, dim=0), grid.repeat(s), k).exp().reshape(s, r)
    return marginal, cond
