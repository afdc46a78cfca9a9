"""Data preprocessor that batches text alongside images."""
from __future__ import annotations

from typing import Any, Sequence

import torch
from mmseg.models.data_preprocessor import SegDataPreProcessor

from vlseg.registry import MODELS

#: The pipeline transform that derives each text field from the caption.
FIELD_TRANSFORMS = {
    'gt_location_labels': 'CaptionToLocationLabels',
}


def check_text_fields(data_samples: Sequence, keys: Sequence[str]) -> None:
    """Raise, naming the images, for the samples that lack one of ``keys``.

    A missing field means the pipeline lacks the transform that derives it from
    the caption (named in the message, e.g. ``CaptionToLocationLabels``).
    """
    for key in keys:
        missing = [str(sample.metainfo.get('img_path', f'sample {index} of the batch'))
                   for index, sample in enumerate(data_samples) if key not in sample]
        if missing:
            transform = FIELD_TRANSFORMS.get(key, 'the transform that derives it from the '
                                                  'caption')
            raise KeyError(
                f'text field "{key}" is missing for image {", ".join(missing)}: add '
                f'{transform} to the pipeline, before PackTextSegInputs')


def stack_text_fields(data_samples: Sequence, keys: Sequence[str]) -> dict[str, torch.Tensor]:
    """Stack per-sample text tensors into ``(B, ...)`` batch tensors, one per key."""
    check_text_fields(data_samples, keys)
    return {key: torch.stack([sample.get(key) for sample in data_samples]) for key in keys}


@MODELS.register_module()
class TextSegDataPreProcessor(SegDataPreProcessor):
    """mmseg's ``SegDataPreProcessor`` plus text.

    Images are normalised, padded and stacked as mmseg does; the data samples keep
    their captions in metainfo (what the text sources read) and their caption-derived
    training targets as fields (``PackTextSegInputs``; :func:`stack_text_fields`
    batches them for the losses).

    Args:
        per_image_zscore: normalise each channel of each image by its own mean and
            (population) standard deviation instead of ``mean``/``std``:
            LanGuideMedSeg's MONAI ``NormalizeIntensityd(channel_wise=True)``. For grey
            images repeated to 3 channels it is the same as one z-score of the image; for
            colour images (polyps) each channel gets its own.
        channels_last: give the model its images in channels-last memory format
            (``torch.channels_last``): convolutions then run on NHWC data without
            reorders, which oneDNN (CPU) and cuDNN (tensor cores) prefer; whether it is
            faster is measured per model (``tools/analysis_tools/benchmark.py``), so it
            is a config choice. Results are the same up to float rounding.
        kwargs: passed to ``SegDataPreProcessor``.
    """

    def __init__(self, per_image_zscore: bool = False, channels_last: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if per_image_zscore and self._enable_normalize:
            raise ValueError('TextSegDataPreProcessor: per_image_zscore=True replaces mean/std; '
                             'set mean=None and std=None')
        self.per_image_zscore = per_image_zscore
        self.channels_last = channels_last

    def forward(self, data: dict, training: bool = False) -> dict[str, Any]:
        if self.per_image_zscore:
            data = dict(data)
            data['inputs'] = [self._zscore(image) for image in data['inputs']]
        result = super().forward(data, training)
        if self.channels_last:
            result['inputs'] = result['inputs'].contiguous(memory_format=torch.channels_last)
        return result

    @staticmethod
    def _zscore(image: torch.Tensor) -> torch.Tensor:
        """Per-channel z-score of a ``(C, H, W)`` image; a constant channel becomes 0."""
        image = image.float()
        mean = image.mean(dim=(1, 2), keepdim=True)
        std = image.std(dim=(1, 2), keepdim=True, unbiased=False)
        return (image - mean) / std.clamp_min(1e-6)
