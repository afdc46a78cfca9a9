"""C2FVL's structured text source: captions -> the 8-dim lesion vector.

Shan et al., "Coarse-to-Fine COVID-19 Segmentation via Vision-Language Alignment",
ICASSP 2023 (Sec. 2, the text vector); authors' code ``HUANGLIZI/C2FVL``
``Load_Dataset.py`` and ``utils.py`` (``read_attr``: eight columns ``bilateral, number,
lupper, lmiddle, llower, rupper, rmiddle, rlower`` of a spreadsheet the authors
derived from LViT's captions and did not publish).

Here the vector comes from the caption through the project's one caption parser
(``vlseg.text.lesion_vector_of``: ``parse_caption``, ``LesionCaption.lesion_vector``,
memoised per caption string), in the model, so that training and inference (where only
the caption strings reach the model) share one path::

    [bilateral, count, L-upper, L-middle, L-lower, R-upper, R-middle, R-lower]

``bilateral`` is a flag, 1 for "bilateral" and 0 for "unilateral", as the paper's example
(Sec. 3.3: "Bilateral pulmonary infection, two infected areas, upper middle left lung and
middle lower right lung" -> [1, 2, 1, 1, 0, 0, 1, 1]); the authors' code reads it from their
unpublished spreadsheet's ``bilateral`` column. A unilateral caption therefore zeroes the
channels this entry weights (every 8th channel, Eq. 3), as in the paper. ``count`` is the
number of infected areas as written (1-6; LViT's text sometimes counts lungs), zone flags
are 0/1, and "left"/"right" are image sides. An empty caption (text-free,
``DropCaption``) gives the zero vector, which zeroes every feature C2FVL weights with it
(the paper's "text vector zeroed" setting).
"""
from __future__ import annotations

from typing import Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor

from vlseg.registry import MODELS
from vlseg.text import LESION_VECTOR_DIM, lesion_vector_of


@MODELS.register_module()
class LesionVectorEncoder(BaseModule):
    """Text source returning ``{'vector': (B, 8)}`` parsed from the captions.

    Parsing is memoised per caption string (``lesion_vector_of``), so the per-step
    parsing costs a dictionary look-up; the module has no parameters.

    Args:
        strict: reject captions whose "bilateral"/"unilateral" contradicts the
            lungs they name (``parse_caption(strict=True)``).

    Attributes:
        out_channels: 8, the width of ``vector``.
        text_keys: what it returns (``vlseg.models.interfaces``).
    """

    text_keys = ('vector',)

    def __init__(self, strict: bool = False) -> None:
        super().__init__()
        self.strict = strict
        self.out_channels = LESION_VECTOR_DIM
        # Tracks the model's device, so the vectors are made where the features live.
        self.register_buffer('_device_anchor', torch.zeros(0), persistent=False)

    def vector(self, caption: str) -> tuple[float, ...]:
        """The lesion vector of one caption (zeros for ``''``)."""
        return lesion_vector_of(caption, strict=self.strict)

    def check_caption(self, caption: str, source: str) -> None:
        """Raise ``CaptionParseError`` naming ``source`` if ``caption`` does not parse
        (the data preflight, before training)."""
        lesion_vector_of(caption, strict=self.strict, source=source)

    def forward(self, captions: Sequence[str]) -> dict[str, Tensor]:
        """``captions`` (the ``B`` raw captions, ``''`` = text-free) -> ``{'vector': (B, 8)}``."""
        if captions is None or isinstance(captions, str):
            raise TypeError('LesionVectorEncoder: give captions, a sequence of strings (the '
                            'vector is parsed from the caption text)')
        rows = [self.vector(str(caption)) for caption in captions]
        vectors = torch.tensor(rows, dtype=torch.float32, device=self._device_anchor.device)
        return dict(vector=vectors.reshape(len(rows), LESION_VECTOR_DIM))

    def extra_repr(self) -> str:
        return f'strict={self.strict}'
