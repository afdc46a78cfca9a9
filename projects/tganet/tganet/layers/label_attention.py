"""TGANet's label attention: the text embedding reweights the channels of a decoder map.

Tomar et al., "TGANet: Text-guided attention for improved polyp segmentation", MICCAI
2022 (method, architecture figure: after each decoder block). As the authors' code
(``nikhilroxtomar/TGANet``, ``model.py``, ``label_attention``)::

    a = W_2 ReLU(W_1 t)          (two bias-free 1x1 convs on the text vector t)
    y = x * sigmoid(a)           (one weight per channel of the decoder map x)

and ``a`` itself is returned: TGANet adds it to the text vector that the next label
attention reads (``t_2 = t + a_1``, ``t_3 = t + a_1 + a_2``; see ``TGANetHead``). The 1x1
convolutions on a ``(B, C, 1, 1)`` vector are written as bias-free ``nn.Linear`` layers,
the same map.
"""
from __future__ import annotations

import torch.nn as nn
from torch import Tensor

from vlseg.registry import MODELS


@MODELS.register_module()
class TGANetLabelAttention(nn.Module):
    """Channel weights of a decoder map from the text vector.

    Args:
        channels: channels of the decoder map (128).
        text_channels: width of the text vector (128: ``TGANetAttributeEmbedding``'s
            output).
    """

    def __init__(self, channels: int, text_channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.text_channels = text_channels
        self.mlp = nn.Sequential(
            nn.Linear(text_channels, channels, bias=False), nn.ReLU(),
            nn.Linear(channels, channels, bias=False))

    def forward(self, x: Tensor, text: Tensor) -> tuple[Tensor, Tensor]:
        """``x`` ``(B, C, H, W)`` and ``text`` ``(B, text_channels)`` -> the attention
        logits ``(B, C)`` and the reweighted map ``(B, C, H, W)``."""
        if text.dim() != 2 or text.shape[1] != self.text_channels:
            raise ValueError(f'TGANetLabelAttention: expected a text vector of shape '
                             f'(B, {self.text_channels}), got {tuple(text.shape)}')
        logits = self.mlp(text)
        return logits, x * logits.sigmoid()[:, :, None, None]
