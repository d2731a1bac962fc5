"""Engine figures: Session.step against a plain torch loop, rewind, and CUDA against CPU.

- `engine_vs_bare`: the same networks (sizes read from the scenario now on disk), batch,
  optimizers, n_critic and loss, one intra-op thread, trained by a dozen lines of plain torch
  written here; blocks of steps of each run alternately in this process; the figure is the
  median over pairs of (engine steps per CPU second) / (bare steps per CPU second). Blocks are a
  whole number of probe and checkpoint periods, so every engine block pays for the same probes.
- `rewind_1000_s`: train 2,000 steps, rewind 1,000; CPU time, median of several.
- `gpu`: with CUDA, the engine on CUDA and on CPU, interleaved, and what `--device auto` picks.
"""

from __future__ import annotations

import cProfile
import math
import pstats
import time

from bench.common import Timer, interleave, load_scenario, median, pair_ratios, say, spread


# -- the reference: a plain torch loop -----------------------------------------------------------------


class BareGan:
    """The scenario's GAN, trained the way anyone would write it in plain torch."""

    def __init__(self, sc, device: str = "cpu", seed: int = 1):
        import torch
        from torch import nn

        m, t, d = sc.model, sc.train, sc.data
        if sc.family != "gan" or m.generator != "mlp":
            raise ValueError(f"the bare loop covers the GAN family's MLP generator, not {sc.family}/{m}")
        torch.manual_seed(seed)
        self.torch, self.device = torch, torch.device(device)

        def mlp(sizes):
            layers = []
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                layers.append(nn.Linear(a, b))
                if i < len(sizes) - 2:
                    layers.append(nn.ReLU())
            return nn.Sequential(*layers).to(self.device)

        ch, cd = m.critic_hidden or m.hidden, m.critic_depth or m.depth
        self.G = mlp([m.noise_dim] + [m.hidden] * m.depth + [2])
        self.D = mlp([2] + [ch] * cd + [1])
        opt = {"adam": lambda p, lr: torch.optim.Adam(p, lr=lr, betas=tuple(t.betas)),
               "rmsprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr),
               "sgd": lambda p, lr: torch.optim.SGD(p, lr=lr)}
        self.opt_g, self.opt_d = opt[t.opt_g](self.G.parameters(), t.lr_g), opt[t.opt_d](self.D.parameters(), t.lr_d)
        self.batch, self.noise_dim, self.n_critic = d.batch, m.noise_dim, t.n_critic
        self.loss, self.clip, self.gp = t.loss, t.clip, t.gp
        from genstep.engine import data as datalib  # the data points only; the sampler is written out below

        src = datalib.build(d)
        self.centres = None if src.centres is None else torch.tensor(src.centres, device=self.device)
        self.sd = src.sd
        self._sample = None if self.centres is not None else src.sample
        self.gen = torch.Generator(device=self.device)
        self.gen.manual_seed(seed)

    def real(self):
        torch = self.torch
        if self.centres is None:
            return self._sample(self.batch, self.gen)[0]
        idx = torch.randint(len(self.centres), (self.batch,), device=self.device, generator=self.gen)
        return self.centres[idx] + self.sd * torch.randn(self.batch, 2, device=self.device, generator=self.gen)

    def steps(self, n: int) -> None:
        torch, F = self.torch, self.torch.nn.functional
        G, D, B = self.G, self.D, self.batch
        for _ in range(n):
            for _ in range(self.n_critic):
                x = self.real()
                with torch.no_grad():
                    fake = G(torch.randn(B, self.noise_dim, device=self.device, generator=self.gen))
                dr, df = D(x), D(fake)
                if self.loss in ("ns", "minimax"):
                    loss_d = F.softplus(-dr).mean() + F.softplus(df).mean()
                elif self.loss == "lsgan":
                    loss_d = 0.5 * ((dr - 1) ** 2).mean() + 0.5 * (df**2).mean()
                else:
                    loss_d = df.mean() - dr.mean()
                    if self.loss == "wgan-gp":
                        eps = torch.rand(B, 1, device=self.device, generator=self.gen)
                        xh = (eps * x + (1 - eps) * fake).requires_grad_(True)
                        (g,) = torch.autograd.grad(D(xh).sum(), xh, create_graph=True)
                        loss_d = loss_d + self.gp * ((g.norm(dim=1) - 1) ** 2).mean()
                self.opt_d.zero_grad(set_to_none=True)
                loss_d.backward()
                self.opt_d.step()
                if self.loss == "wasserstein":
                    with torch.no_grad():
                        for p in D.parameters():
                            p.clamp_(-self.clip, self.clip)
            df = D(G(torch.randn(B, self.noise_dim, device=self.device, generator=self.gen)))
            if self.loss == "ns":
                loss_g = F.softplus(-df).mean()
            elif self.loss == "minimax":
                loss_g = -F.softplus(df).mean()
            elif self.loss == "lsgan":
                loss_g = 0.5 * ((df - 1) ** 2).mean()
            else:
                loss_g = -df.mean()
            self.opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            self.opt_g.step()
        if self.device.type == "cuda":
            torch.cuda.synchronize()


def _block_steps(sc, target: int) -> int:
    """A block: a whole number of probe and checkpoint periods, about `target` steps."""
    period = math.lcm(sc.probe.every, sc.probe.checkpoint_every)
    if period > 4 * target:  # a probe this rare: blocks of `target`; medians absorb the odd probe
        return target
    return period * max(1, round(target / period))


def _rate(fn, n: int, cuda: bool = False) -> tuple[float, float]:
    """(steps per CPU second of this thread, steps per wall second) for fn(n)."""
    if cuda:
        import torch

        torch.cuda.synchronize()
    with Timer() as t:
        fn(n)
        if cuda:
            import torch

            torch.cuda.synchronize()
    return n / max(t.cpu, 1e-9), n / max(t.wall, 1e-9)


def engine_vs_bare(quick: bool = False) -> dict:
    from genstep.engine import Session
    from genstep.engine.session import use_one_cpu_thread

    use_one_cpu_thread()
    sc = load_scenario()
    session = Session(sc, seed=0, device="cpu")
    bare = BareGan(sc)
    session.step(20)
    bare.steps(20)
    # size the blocks to ~0.5 s of CPU each
    with Timer() as t:
        bare.steps(20)
    target = max(20, int(0.5 / max(t.cpu / 20, 1e-6)))
    n = _block_steps(sc, target)
    pairs = 5 if quick else 12
    eng, ref = interleave(lambda: _rate(session.step, n), lambda: _rate(bare.steps, n), pairs)
    cpu_ratio = pair_ratios([e[0] for e in eng], [r[0] for r in ref])
    wall_ratio = pair_ratios([e[1] for e in eng], [r[1] for r in ref])
    out = {
        "engine_vs_bare": round(median(cpu_ratio), 3),
        "engine_vs_bare_wall": round(median(wall_ratio), 3),
        "engine_steps_per_cpu_s": round(median([e[0] for e in eng]), 1),
        "bare_steps_per_cpu_s": round(median([r[0] for r in ref]), 1),
        "engine_steps_per_wall_s": round(median([e[1] for e in eng]), 1),
        "block_steps": n, "pairs": pairs,
        "sizes": f"hidden {sc.model.hidden}, depth {sc.model.depth}, batch {sc.data.batch}, "
                 f"n_critic {sc.train.n_critic}, loss {sc.train.loss}, {sc.train.opt_g}/{sc.train.opt_d}",
    }
    out["engine_overhead"] = _where_the_engine_goes(session, n)
    say("engine_vs_bare",
        f"Session.step runs {out['engine_vs_bare']:.2f}x the steps/s of a plain torch loop "
        f"(CPU time, median of {pairs} interleaved pairs of {n} steps, pair range {spread(cpu_ratio)}; "
        f"wall-clock ratio {out['engine_vs_bare_wall']:.2f}); {out['sizes']}; "
        f"engine {out['engine_steps_per_cpu_s']:.0f} vs bare {out['bare_steps_per_cpu_s']:.0f} steps per CPU second. "
        f"Goal >= 0.90.")
    say("engine_vs_bare", "where the engine's extra time goes (share of one block, cProfile): "
        + ", ".join(f"{k} {v:.1%}" for k, v in out["engine_overhead"].items()))
    return out


def _where_the_engine_goes(session, n: int) -> dict:
    """Shares of a block's time spent in what a plain loop does not do (cProfile, cumulative)."""
    prof = cProfile.Profile()
    prof.enable()
    session.step(n)
    prof.disable()
    stats = pstats.Stats(prof).stats
    total = max(v[3] for v in stats.values())  # the outermost call: Session.step
    wanted = {"probe metrics every probe.every steps (_measure)": ("session.py", "_measure"),
              "of which W1 (exact assignment)": ("metrics.py", "wasserstein1"),
              "checkpoints (_checkpoint)": ("session.py", "_checkpoint"),
              "critic grad_norm": ("base.py", "grad_norm"),
              "history.add": ("history.py", "add"),
              "lesson notes": ("lesson.py", "check")}
    out = {}
    for label, (file, func) in wanted.items():
        cum = sum(v[3] for (f, _, name), v in stats.items() if f.endswith(file) and name == func)
        out[label] = cum / total if total else 0.0
    sync = sum(v[3] for (f, _, name), v in stats.items() if f == "~" and "'tolist'" in name)
    out["scalar sync (tolist)"] = sync / total if total else 0.0
    return out


def rewind(quick: bool = False) -> dict:
    """Rewind 1,000 steps from step 2,000 (a checkpoint sits at 1,000 when the cadence divides it),
    and the worst case of the same distance: from 2,000 + ck - 1 to 1,000 + ck - 1, where ck - 1
    steps replay after the restore. Alternated; CPU time of this thread, medians."""
    from genstep.engine import Session
    from genstep.engine.session import use_one_cpu_thread

    use_one_cpu_thread()
    sc = load_scenario()
    session = Session(sc, seed=0, device="cpu")
    ck = sc.probe.checkpoint_every
    off = (ck - 1) % 1000 if ck > 1 else 0
    repeats = 1 if quick else 2
    at, worst = [], []

    def go(start: int, into: list) -> None:
        if session.steps < start:
            session.step(start - session.steps)
        with Timer() as t:
            session.rewind(start - 1000)
        into.append((t.cpu, t.wall))

    for _ in range(repeats):
        go(2000, at)
        go(2000 + off, worst)
    go(2000, at)
    out = {
        "rewind_1000_s": round(median([c for c, _ in at]), 4),
        "rewind_1000_wall_s": round(median([w for _, w in at]), 4),
        "rewind_worst_s": round(median([c for c, _ in worst]), 4),
        "rewind_worst_wall_s": round(median([w for _, w in worst]), 4),
        "checkpoint_every": ck,
    }
    say("rewind_1000_s",
        f"rewinding from step 2,000 to 1,000 takes {out['rewind_1000_s'] * 1000:.1f} ms of CPU (median of "
        f"{len(at)}; wall {out['rewind_1000_wall_s'] * 1000:.1f} ms): checkpoints every {ck} steps, so it restores "
        f"the one at step {1000 // ck * ck} and replays {1000 % ck}. Goal <= 0.5 s.")
    say("rewind_1000_s",
        f"the worst case for the same distance (from {2000 + off} to {1000 + off}: restore, then {off} steps "
        f"replayed): {out['rewind_worst_s']:.3f} s CPU (median of {len(worst)}; wall {out['rewind_worst_wall_s']:.3f} s).")
    return out


def gpu(quick: bool = False) -> dict:
    import torch

    from genstep.engine import Session
    from genstep.engine.session import resolve_device, use_one_cpu_thread

    if not torch.cuda.is_available():
        say("gpu", "no GPU: torch sees no CUDA device, so there is no CUDA figure on this machine.")
        return {"gpu": None, "gpu_note": "no GPU"}
    use_one_cpu_thread()
    sc = load_scenario()
    auto, why = resolve_device("auto", sc)
    cpu_s, cuda_s = Session(sc, seed=0, device="cpu"), Session(sc, seed=0, device="cuda")
    bare = BareGan(sc, device="cuda")
    for s in (cpu_s, cuda_s):
        s.step(20)
    bare.steps(20)
    n = _block_steps(sc, 200)
    pairs = 3 if quick else 5
    f_cuda, f_cpu = interleave(lambda: _rate(cuda_s.step, n, cuda=True)[1],
                               lambda: _rate(cpu_s.step, n)[1], pairs)
    f_eng, f_bare = interleave(lambda: _rate(cuda_s.step, n, cuda=True)[1],
                               lambda: _rate(bare.steps, n, cuda=True)[1], pairs)
    cuda_rate, cpu_rate = median(f_cuda), median(f_cpu)
    faster = "cuda" if cuda_rate > cpu_rate else "cpu"
    out = {"gpu": torch.cuda.get_device_name(0),
           "gpu_steps_per_s": round(cuda_rate, 1), "gpu_cpu_steps_per_s": round(cpu_rate, 1),
           "gpu_vs_cpu": round(median(pair_ratios(f_cuda, f_cpu)), 3),
           "gpu_engine_vs_bare": round(median(pair_ratios(f_eng, f_bare)), 3),
           "gpu_auto_picks": auto, "gpu_auto_is_faster": auto == faster, "gpu_auto_reason": why}
    say("gpu", f"{out['gpu']}: the engine runs {cuda_rate:.0f} steps/s on CUDA and {cpu_rate:.0f} on one "
        f"CPU thread (wall clock, median of {pairs} interleaved pairs of {n} steps; CUDA/CPU "
        f"{out['gpu_vs_cpu']:.2f}); on CUDA the engine runs {out['gpu_engine_vs_bare']:.2f}x the plain loop. "
        f"--device auto picks {auto} ({'the faster one' if auto == faster else 'NOT the faster one'}): {why}")
    return out


if __name__ == "__main__":
    import sys

    t0 = time.perf_counter()
    quick = "--quick" in sys.argv
    print(engine_vs_bare(quick))
    print(rewind(quick))
    print(gpu(quick))
    print(f"{time.perf_counter() - t0:.1f} s")
