"""LViT's pixel-level attention module (PLAM) on a skip connection.

Li et al., "LViT: Language meets Vision Transformer in Medical Image Segmentation",
IEEE TMI 2023 (PLAM, Fig. 2); authors' code ``HUANGLIZI/LViT`` ``nets/pixlevel.py``
(``PixLevelModule``). Written from that code.

Two branches, each a 1x1 conv (no bias) and ReLU; one is averaged over the channels,
the other max-pooled over the channels, giving ``a`` and ``m`` ``(B, 1, H, W)``. The
three maps ``[a, m, a + m]`` go through a per-pixel MLP ``3 -> 6 -> 1`` (ReLU) and
the result multiplies the input pixel-wise. ``LViTHead`` puts one on each skip.
Parameters at width C: ``2 C^2 + 31``. The authors also build a ``conv_sig`` (1x1
conv + sigmoid) that the forward never calls; it is not built here.

The gate is ``vlseg.models.layers.AvgMaxPixelGate``, shared with the spatial VLAB of
C2FVL's code (``VLAB(gate='spatial')``, which adds a per-pixel Linear to each branch
and feeds ``a + m`` alone to a ``1 -> 4 -> 1`` MLP).
"""
from __future__ import annotations

from typing import Optional, Union

from vlseg.registry import MODELS

from .pixel_gate import AvgMaxPixelGate


@MODELS.register_module()
class PixelLevelAttention(AvgMaxPixelGate):
    """LViT's PLAM: a per-pixel gate from channel-mean and channel-max maps.

    ``weights(x)`` gives the ``(B, 1, H, W)`` pixel weights, ``forward(x)`` their
    product with ``x``.

    Args:
        channels: width ``C`` of the skip map.
        init_cfg: mmengine init config.
    """

    def __init__(self, channels: int, init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(channels, branch_linear=False, mlp_inputs='all', hidden_channels=6,
                         init_cfg=init_cfg)

    def extra_repr(self) -> str:
        return f'channels={self.channels}'
