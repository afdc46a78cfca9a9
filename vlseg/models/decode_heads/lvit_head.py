"""LViT's decoder: a U-Net decoder with a pixel-level attention module on every skip.

Li et al., "LViT: Language meets Vision Transformer in Medical Image Segmentation",
IEEE TMI 2023; authors' code ``HUANGLIZI/LViT`` ``nets/LViT.py`` (``UpblockAttention``
with ``PixLevelModule``, ``outc``). C2FVL's decoder (``C2FVLHead``) is this decoder
with VLABs instead of PLAMs and auxiliary alignment heads, so this head is
``C2FVLHead`` with LViT's defaults: ``skip_attention=PixelLevelAttention``, no
alignment loss, loss ``0.5 Dice + 0.5 CE`` (the paper; the code's squared-denominator
Dice + class-balanced BCE is ``BinaryDiceLoss(squared_denominator=True)`` +
``ClassBalancedBCELoss`` in ``loss_decode``).

Parameters at the authors' setting: decoder 3,984,384 + PLAMs 696,444 (``2 C^2 + 31``
per skip) + ``conv_seg`` 65. Differences from the authors' code: logits out (the code
applies a sigmoid), names differ, see ``C2FVLHead``.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, Optional, Sequence

from vlseg.registry import MODELS

from .c2fvl_head import C2FVLHead

_DEFAULT_SKIP_ATTENTION = MappingProxyType(dict(type='PixelLevelAttention'))  # read-only


@MODELS.register_module()
class LViTHead(C2FVLHead):
    """LViT's decoder (see the module docstring); arguments as ``C2FVLHead``."""

    def __init__(self,
                 in_channels: Sequence[int] = (64, 128, 256, 512, 512),
                 channels: int = 64,
                 skip_attention: Optional[Mapping] = _DEFAULT_SKIP_ATTENTION,
                 alignment_loss: Optional[Mapping] = None,
                 **kwargs) -> None:
        super().__init__(in_channels=in_channels, channels=channels,
                         skip_attention=skip_attention, alignment_loss=alignment_loss, **kwargs)
