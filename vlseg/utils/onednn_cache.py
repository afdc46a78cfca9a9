"""oneDNN's primitive cache, sized to hold every convolution of a training step.

On the CPU, PyTorch runs convolutions (and their reorders) through oneDNN, which builds
a primitive, a kernel JIT-compiled for one shape, layout and direction, and keeps it in
an LRU cache of 1024 entries by default. A step that uses more primitives than the cache
holds evicts and compiles them again every step. Inf-Net with Res2Net-50 does: its
multi-scale step runs each of ~160 convolutions at three input sizes, forward, backward
to data and to weights. Counted with ``ONEDNN_VERBOSE=profile_create``: 846 cache misses
(compilations) in its first step, and with 1024 entries 630 in every later step. With
4096 entries no step after the first compiles any, and its fp32 training step at batch 2
is 1.20x faster (two alternating runs against the same checkout with the option off:
1.24x, 1.16x). The other models here (170-640 misses in their first step) compile none
after it with the default either.

oneDNN reads the capacity from ``ONEDNN_PRIMITIVE_CACHE_CAPACITY`` (or the older
``DNNL_PRIMITIVE_CACHE_CAPACITY``) once, when the process creates its first primitive,
so it is set in the environment before the model runs: the tools do it from the config's
``env_cfg.onednn_primitive_cache_capacity`` (4096 in ``configs/_base_/default_runtime.py``)
when they load it. A variable the user set wins. The cache grows only with the distinct
shapes a run meets (about 0.2 MiB of resident memory per new convolution shape, measured
here), not with the capacity.
"""
from __future__ import annotations

import os
from typing import Optional

from mmengine.config import Config

#: The variables oneDNN reads, the first one set wins.
CAPACITY_VARIABLES = ('ONEDNN_PRIMITIVE_CACHE_CAPACITY', 'DNNL_PRIMITIVE_CACHE_CAPACITY')
DEFAULT_CAPACITY = 4096


def set_primitive_cache_capacity(capacity: int) -> str:
    """Ask oneDNN for a primitive cache of ``capacity`` entries in this process (and in
    the processes it starts).

    Takes effect only before the process's first oneDNN primitive (its first convolution
    on the CPU); a variable already set, by the user or an earlier call, is left as it is.

    Returns:
        The value of the variable oneDNN will read.
    """
    if int(capacity) < 0:
        raise ValueError(f'oneDNN primitive cache capacity must be >= 0, got {capacity}')
    for name in CAPACITY_VARIABLES:
        if os.environ.get(name):
            return os.environ[name]
    os.environ[CAPACITY_VARIABLES[0]] = str(int(capacity))
    return os.environ[CAPACITY_VARIABLES[0]]


def primitive_cache_capacity_as_configured(cfg: Config) -> Optional[str]:
    """:func:`set_primitive_cache_capacity` with ``cfg.env_cfg.onednn_primitive_cache_capacity``
    (:data:`DEFAULT_CAPACITY` when absent; ``None`` leaves oneDNN's default)."""
    env_cfg = cfg.get('env_cfg') or {}
    capacity = env_cfg.get('onednn_primitive_cache_capacity', DEFAULT_CAPACITY)
    return None if capacity is None else set_primitive_cache_capacity(capacity)
