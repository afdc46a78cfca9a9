"""Losses computed in fp32 under autocast (``--amp``).

Under bf16 autocast a head's logits arrive in bf16 (8 bits of mantissa): a Dice ratio or
a softmax over a batch similarity matrix computed from them carries errors of about 0.4%,
which a loss near its optimum cannot afford. Every vlseg loss module's ``forward`` is
wrapped by :func:`fp32_loss`: its floating-point tensor arguments (also inside lists,
tuples and dicts) are cast to fp32 and autocast is off inside, so the loss and its gradient
are fp32 whatever precision the network ran in; the gradient flows back through the cast.
mmseg's ``CrossEntropyLoss`` needs nothing: ``cross_entropy`` is on autocast's fp32 list.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch


def _to_fp32(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.float() if value.is_floating_point() else value
    if isinstance(value, (list, tuple)):
        return type(value)(_to_fp32(item) for item in value)
    if isinstance(value, dict):
        return {key: _to_fp32(item) for key, item in value.items()}
    return value


def fp32_loss(forward: Callable) -> Callable:
    """Decorate a loss module's ``forward``: fp32 inputs, autocast off (see above)."""

    @functools.wraps(forward)
    def wrapper(self, *args, **kwargs):
        if not (torch.is_autocast_enabled('cpu') or torch.is_autocast_enabled('cuda')):
            return forward(self, *args, **kwargs)
        with torch.autocast('cpu', enabled=False), torch.autocast('cuda', enabled=False):
            return forward(self, *_to_fp32(args), **_to_fp32(kwargs))

    return wrapper
