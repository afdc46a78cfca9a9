"""Modules kept in fp32 under autocast: the casts chosen per layer type, by measurement.

CPU bf16 autocast speeds up dense convolutions and matrix products (AMX), but not every
op: on this project's CPUs (2 threads, channels-last) a depthwise 7 x 7 convolution
(ConvNeXt's ``conv_dw``, batch 8, 96 channels at 56 x 56) takes 87 ms forward and backward
in bf16 against 38 ms in fp32, where a dense 3 x 3 one is 4.6 times faster in bf16. So
under autocast the layers given to :func:`keep_fp32` run in fp32 (their input cast up,
autocast off inside them); outside autocast nothing changes. Parameters and state-dict
keys are the module's own: the class is swapped for a subclass with the same state.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn


class Float32Conv2d(nn.Conv2d):
    """``nn.Conv2d`` that runs in fp32 when autocast is on (see the module docstring)."""

    def forward(self, x: Tensor) -> Tensor:
        device_type = x.device.type
        if not torch.is_autocast_enabled(device_type):
            return super().forward(x)
        with torch.autocast(device_type, enabled=False):
            return super().forward(x.float())


def is_depthwise_conv(module: nn.Module) -> bool:
    """A 2D convolution with one input channel per group (``groups == in_channels > 1``)."""
    return (type(module) is nn.Conv2d and module.groups > 1
            and module.groups == module.in_channels)


def keep_fp32(model: nn.Module,
              predicate: Callable[[nn.Module], bool] = is_depthwise_conv) -> int:
    """Make the ``nn.Conv2d`` modules of ``model`` that ``predicate`` selects
    :class:`Float32Conv2d`; returns how many."""
    count = 0
    for module in model.modules():
        if type(module) is nn.Conv2d and predicate(module):
            module.__class__ = Float32Conv2d
            count += 1
    return count
