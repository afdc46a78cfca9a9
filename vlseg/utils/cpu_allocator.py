"""Keep freed CPU memory in the process for the next step's tensors (glibc malloc).

A training or inference step on the CPU allocates and frees the same large activation
buffers every step (a ConvNeXt-T stage-1 MLP activation is 38 MiB at batch 8, 154 MiB at
32). glibc serves blocks above its mmap threshold (128 KiB, raised by itself up to 32 MiB)
with fresh ``mmap`` calls and gives them back with ``munmap`` when freed, and trims the
top of its heap when more than twice that lies free: so every step the kernel maps,
faults in and zeroes those pages again, 4 KiB at a time. Raising both thresholds with
``mallopt`` keeps freed blocks for reuse. Measured here on TMCA (batch 8, fp32, 2
threads, one benchmark.py run of 3 inference and 3 training steps after a warm-up each):
1.90 million page faults and 5.5 s of system time before, 0.64 million and 2.2 s after;
peak RSS 2.85 -> 3.01 GB, then flat over 40 training steps (no growth). Step speed-ups
are in docs/results.md ("Speed-up over e8e54bd"): the larger the batch, the larger.

This is what PyTorch's and Intel's CPU performance guides get with jemalloc or tcmalloc
under ``LD_PRELOAD``; glibc's own ``mallopt`` gets most of it without a second allocator
or a launcher, set from inside the process before the model runs. A freed block is not
reused at once for exactly the same size (torch asks for 64-byte-aligned memory, and
glibc 2.36's memalign then needs slightly more than the block), but the blocks of a step
merge when freed and the next steps fit in them. The tools apply it from the config's
``env_cfg.retain_freed_memory`` (True in ``configs/_base_/default_runtime.py``);
DataLoader workers forked afterwards inherit it.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import platform

from mmengine.config import Config

# mallopt(3) parameters, from glibc's malloc.h.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# The largest value mallopt's int takes: blocks above 2 GiB are still mapped and unmapped.
LARGEST_THRESHOLD = 2**31 - 1

_retained = False


def mallopt_available() -> bool:
    """Whether this process's C library is glibc (musl, macOS and Windows have no mallopt)."""
    return platform.system() == 'Linux' and platform.libc_ver()[0] == 'glibc'


def retain_freed_memory(enabled: bool = True) -> bool:
    """Make glibc keep freed blocks (and the heap's top) for reuse instead of unmapping them.

    Args:
        enabled: False leaves the allocator as it is (a process that already retains
            memory keeps doing so: glibc cannot be put back to its adaptive threshold).

    Returns:
        Whether freed memory is retained in this process from now on: False where the C
        library is not glibc (musl, macOS, Windows), which has no ``mallopt``.
    """
    global _retained
    if not enabled or _retained:
        return _retained
    if not mallopt_available():
        return False
    libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
    _retained = bool(libc.mallopt(M_MMAP_THRESHOLD, LARGEST_THRESHOLD)
                     and libc.mallopt(M_TRIM_THRESHOLD, LARGEST_THRESHOLD))
    return _retained


def retain_freed_memory_as_configured(cfg: Config) -> bool:
    """:func:`retain_freed_memory` as ``cfg.env_cfg.retain_freed_memory`` says (default on)."""
    env_cfg = cfg.get('env_cfg') or {}
    return retain_freed_memory(env_cfg.get('retain_freed_memory', True))
