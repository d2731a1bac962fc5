"""Test-wide settings."""

import os

# one intra-op thread per test process: the models are tiny, and with pytest -n 2 on 2 cores
# two threads per worker oversubscribe the machine (measured: ~10x slower steps).
os.environ.setdefault("OMP_NUM_THREADS", "1")

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass
