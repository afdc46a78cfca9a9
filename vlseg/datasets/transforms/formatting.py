"""Packing: images and masks as mmseg does, the caption in metainfo, text tensors as fields."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from mmseg.datasets.transforms import PackSegInputs

from vlseg.registry import TRANSFORMS

#: Tensors derived from the caption that samples carry as fields: training targets only
#: (the text itself reaches the model as the caption string in metainfo).
TEXT_FIELDS = ('gt_location_labels', )


@TRANSFORMS.register_module()
class PackTextSegInputs(PackSegInputs):
    """mmseg's ``PackSegInputs`` that also carries text.

    The raw caption goes into metainfo (key ``text``): that is the route that
    reaches ``EncoderDecoder.predict`` and slide inference unchanged, and the one the
    text sources read. Targets derived from it (SGSeg's location labels, or a
    project's ``text_fields``) become fields of the data sample, which the data
    preprocessor moves and batches.
    """

    def __init__(self, meta_keys: Sequence[str] = (
            'img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape',
            'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label', 'text'),
            text_fields: Sequence[str] = TEXT_FIELDS) -> None:
        super().__init__(meta_keys=tuple(meta_keys))
        self.text_fields = tuple(text_fields)

    def transform(self, results: dict) -> dict:
        results.setdefault('text', '')
        packed = super().transform(results)
        data_sample = packed['data_samples']
        for key in self.text_fields:
            if key in results:
                data_sample.set_field(torch.from_numpy(np.asarray(results[key])), key)
        return packed
