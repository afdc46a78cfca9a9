"""A least-recently-used cache of per-caption tensors, shared by vlseg's frozen text encoders.

A frozen text encoder's features depend on the caption alone, and the datasets have
few distinct captions (about 60 on QaTa-COV19), so ``HFTextEncoder`` and
``WordFeatureEncoder`` keep them per caption string. The cache lives in the process
(each DDP rank fills its own) and is not part of any state dict. The encoders decide
what an entry holds (a tuple of tensors) and when a look-up is a hit; this class
holds the entries, their recency and the counters.
"""
from __future__ import annotations

from collections import OrderedDict

import torch
from torch import Tensor


class CaptionCache:
    """Per-caption tuples of tensors, least recently used first out.

    Args:
        capacity: most captions kept after ``evict``; ``0`` keeps none.

    Attributes:
        hits, misses: counters the owner updates (rows served from the cache,
            captions computed); ``info()`` reports them.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError(f'CaptionCache: capacity must be >= 0, got {capacity}')
        self.capacity = int(capacity)
        self._entries: OrderedDict[str, tuple[Tensor, ...]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __contains__(self, caption: object) -> bool:
        return caption in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, caption: str) -> tuple[Tensor, ...]:
        return self._entries[caption]

    def fetch(self, caption: str, device: torch.device) -> tuple[Tensor, ...]:
        """The entry of ``caption``, moved (once, in place) to ``device``; recency unchanged."""
        entry = self._entries[caption]
        if any(t.device != device for t in entry):
            entry = tuple(t.to(device) for t in entry)
            self._entries[caption] = entry
        return entry

    def touch(self, caption: str) -> None:
        """Mark ``caption`` as the most recently used."""
        self._entries.move_to_end(caption)

    def put(self, caption: str, entry: tuple[Tensor, ...]) -> None:
        """Store (or replace) the entry of ``caption`` as the most recently used.

        Floating-point tensors are kept in fp32: an entry computed under bf16 autocast
        (``--amp``) then serves fp32 runs (validation, test) at full precision too."""
        entry = tuple(t.float() if t.is_floating_point() else t for t in entry)
        self._entries[caption] = entry
        self._entries.move_to_end(caption)

    def evict(self) -> None:
        """Drop the least recently used entries beyond ``capacity``."""
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def info(self) -> dict:
        """``dict(hits, misses, size)``."""
        return dict(hits=self.hits, misses=self.misses, size=len(self._entries))

    def clear(self) -> None:
        """Drop every entry and reset the counters."""
        self._entries.clear()
        self.hits = 0
        self.misses = 0
