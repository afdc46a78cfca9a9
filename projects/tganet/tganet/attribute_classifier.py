"""TGANet's auxiliary attribute classifier: polyp count and size from the deepest features.

Tomar et al., "TGANet: Text-guided attention for improved polyp segmentation", MICCAI
2022 (method, architecture figure: "auxiliary attribute classification" on the last encoder level,
trained with cross-entropy). As the authors' code (``nikhilroxtomar/TGANet``,
``model.py``, ``text_classifier``)::

    g = avgpool(x_4)                                   (B, 1024): ResNet-50 layer3
    count logits = W_2c ReLU(W_1c g)                   2 classes: one, multiple
    size logits  = W_2s ReLU(W_1s g)                   3 classes: small, medium, large

with two separate bias-free MLPs of hidden width ``in_channels // 8``. At training and at
inference alike the softmax of these logits weights the attribute words' embeddings
(``TGANetAttributeEmbedding``): TGANet needs no text at test time.
"""
from __future__ import annotations

from typing import Sequence

import torch.nn as nn
from torch import Tensor

from vlseg.registry import MODELS


@MODELS.register_module()
class TGANetAttributeClassifier(nn.Module):
    """Two MLP heads on the globally pooled deepest feature map.

    Args:
        in_channels: channels of the deepest encoder map (1024 for ResNet-50's layer3).
        num_classes: classes of (count, size): ``(2, 3)``.
        reduction: hidden width = ``in_channels // reduction`` (8, as the authors).
    """

    def __init__(self, in_channels: int = 1024, num_classes: Sequence[int] = (2, 3),
                 reduction: int = 8) -> None:
        super().__init__()
        if len(num_classes) != 2:
            raise ValueError(f'TGANetAttributeClassifier: num_classes is (count, size), got '
                             f'{num_classes}')
        self.in_channels = in_channels
        self.num_classes = tuple(int(n) for n in num_classes)
        hidden = max(in_channels // reduction, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.count = nn.Sequential(nn.Linear(in_channels, hidden, bias=False), nn.ReLU(),
                                   nn.Linear(hidden, self.num_classes[0], bias=False))
        self.size = nn.Sequential(nn.Linear(in_channels, hidden, bias=False), nn.ReLU(),
                                  nn.Linear(hidden, self.num_classes[1], bias=False))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``x`` ``(B, in_channels, H, W)`` -> count logits ``(B, 2)``, size logits
        ``(B, 3)``."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'TGANetAttributeClassifier: expected (B, {self.in_channels}, H, '
                             f'W) features, got {tuple(x.shape)}')
        pooled = self.pool(x).flatten(1)
        return self.count(pooled), self.size(pooled)
