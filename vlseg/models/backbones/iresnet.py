"""iResNet (improved residual networks) as Inf-Net's five-level feature pyramid.

Duta et al., "Improved Residual Networks for Image and Video Recognition", ICPR
2020; reference code ``iduta/iresnet`` ``models/iresnet.py``. No well-kept library
ships it, so it is written here from the paper and that code; the seed paper
("Image Segmentation for COVID-19", Table 2) uses iResNet-50 as one of Inf-Net's
six backbones.

- Stem: conv7x7/2 (64) + BN + ReLU, **no max-pool**.
- Four stages of bottlenecks ([3, 4, 6, 3] for depth 50), every stage strided 2:
  the first stage takes the stem pooling's role, so the strides are 4, 8, 16, 32
  as in ResNet.
- Stage-wise blocks (the paper's Fig. 2): the *start* block is
  conv1x1-BN-ReLU-conv3x3(stride)-BN-ReLU-conv1x1-BN plus a projection shortcut of
  max-pool 3x3/2, conv1x1 and BN (improved shortcut); *middle* blocks are
  pre-activation, BN-ReLU-conv1x1-BN-ReLU-conv3x3-BN-ReLU-conv1x1 (the first
  middle block has ReLU only before conv1: the start block ended in BN); the *end*
  block is a middle block that adds BN + ReLU after the addition.

Output: ``(stem, stage1, stage2, stage3, stage4)``, 64/256/512/1024/2048 channels
at strides 2/4/8/16/32, the levels Inf-Net reads from a ResNet (``InfNetHead``
takes 1..4). Module names follow the reference code (``conv1``, ``bn1``,
``layer1.0.bn0`` ... ``downsample.1``/``downsample.2``), so its ImageNet
checkpoint (``iresnet50.pth``) loads as it is, its classifier ``fc`` aside.
Initialisation as the reference: Kaiming normal (fan-out) convolutions, BN
weight 1 and bias 0.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule

from vlseg.registry import MODELS

from .weight_loading import check_weight_source, load_state_dict_strictly, read_state_dict


class IResBottleneck(nn.Module):
    """One iResNet bottleneck: a stage's ``'start'``, ``'middle'`` or ``'end'`` block.

    Args:
        in_channels: input width.
        planes: bottleneck width (output = ``4 * planes``).
        position: ``'start'`` (strided, projection shortcut, BN after conv3),
            ``'middle'`` (pre-activation) or ``'end'`` (pre-activation, BN + ReLU after
            the addition).
        pre_bn: for middle and end blocks, BN before the first ReLU (``False`` for the
            block right after the start block).
        stride: stride of the start block's conv3x3 and shortcut.
    """

    expansion = 4

    def __init__(self, in_channels: int, planes: int, position: str, pre_bn: bool = True,
                 stride: int = 1) -> None:
        super().__init__()
        out_channels = planes * self.expansion
        self.position = position
        self.bn0 = nn.BatchNorm2d(in_channels) if position != 'start' and pre_bn else None
        self.conv1 = nn.Conv2d(in_channels, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels) if position in ('start', 'end') else None
        self.relu = nn.ReLU()
        self.downsample = None
        if position == 'start':
            self.downsample = nn.Sequential(
                nn.MaxPool2d(kernel_size=3, stride=stride, padding=1),
                nn.Conv2d(in_channels, out_channels, 1, bias=False),
                nn.BatchNorm2d(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.position != 'start':
            out = self.relu(out if self.bn0 is None else self.bn0(out))
        out = self.relu(self.bn1(self.conv1(out)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.conv3(out)
        if self.position == 'start':
            out = self.bn3(out)
        out = out + (self.downsample(x) if self.downsample is not None else x)
        if self.position == 'end':
            out = self.relu(self.bn3(out))
        return out


def make_stage(in_channels: int, planes: int, num_blocks: int, stride: int) -> nn.Sequential:
    """A start block, middle blocks (the first without pre-BN) and an end block."""
    blocks = [IResBottleneck(in_channels, planes, 'start', stride=stride)]
    width = planes * IResBottleneck.expansion
    for index in range(1, num_blocks):
        position = 'end' if index == num_blocks - 1 else 'middle'
        blocks.append(IResBottleneck(width, planes, position, pre_bn=index > 1))
    return nn.Sequential(*blocks)


@MODELS.register_module()
class IResNet(BaseModule):
    """iResNet-50/101/152 returning the stem and the four stages.

    Args:
        depth: 50, 101 or 152.
        pretrained_path: local ImageNet state dict of the reference iResNet
            (``iduta/iresnet`` key names); ``fc.*`` is ignored, every other tensor
            must be there and every other key used (else an error names the file
            and the keys). ``None``: the reference's random initialisation.
        out_indices: levels to return (0 = stem, 1..4 = stages). The stem map is
            returned by default (Inf-Net's f1) although ``InfNetHead`` reads 1..4.
        init_cfg: mmengine init config; not combinable with ``pretrained_path``.

    Attributes:
        out_channels: channels of the returned maps.
        strides: their strides.
    """

    arch_settings = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}

    def __init__(self,
                 depth: int = 50,
                 pretrained_path: Optional[str] = None,
                 out_indices: Sequence[int] = (0, 1, 2, 3, 4),
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if depth not in self.arch_settings:
            raise ValueError(f'IResNet: depth must be one of {sorted(self.arch_settings)}, '
                             f'got {depth}')
        check_weight_source('IResNet', pretrained_path, init_cfg)
        self.out_indices = tuple(int(i) for i in out_indices)
        if not all(0 <= i <= 4 for i in self.out_indices):
            raise ValueError(f'IResNet: out_indices must be in 0..4, got {self.out_indices}')
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        in_channels = 64
        channels = [64]
        for index, (planes, num_blocks) in enumerate(zip((64, 128, 256, 512),
                                                         self.arch_settings[depth])):
            self.add_module(f'layer{index + 1}',
                            make_stage(in_channels, planes, num_blocks, stride=2))
            in_channels = planes * IResBottleneck.expansion
            channels.append(in_channels)
        all_strides = (2, 4, 8, 16, 32)
        self.out_channels: list[int] = [channels[i] for i in self.out_indices]
        self.strides: tuple[int, ...] = tuple(all_strides[i] for i in self.out_indices)

        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.constant_(module.weight, 1)
                nn.init.constant_(module.bias, 0)
        self.pretrained_path = pretrained_path
        if pretrained_path is not None:
            self.load_pretrained(pretrained_path)

    def load_pretrained(self, path: str) -> None:
        """Load the reference iResNet's ImageNet state dict (see ``pretrained_path``)."""
        unused = load_state_dict_strictly(
            self, read_state_dict(path, 'IResNet'), path, 'IResNet',
            hint='Expected the ImageNet state dict of the reference iResNet (iduta/iresnet '
                 'key names).')
        print_log(f'IResNet: loaded {path}; unused classifier keys: {unused}', logger='current')

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = self.relu(self.bn1(self.conv1(x)))
        outs = [x]
        for index in range(1, 5):
            x = getattr(self, f'layer{index}')(x)
            outs.append(x)
        return tuple(outs[i] for i in self.out_indices)
