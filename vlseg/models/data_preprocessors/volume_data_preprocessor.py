"""Batching of 3D volumes: ``(1, X, Y, Z)`` tensors to ``(B, 1, X, Y, Z)`` on the device."""
from __future__ import annotations

from typing import Union

import torch
from mmengine.model import BaseDataPreprocessor

from vlseg.registry import MODELS


@MODELS.register_module()
class VolumeDataPreProcessor(BaseDataPreprocessor):
    """Move volumes and their samples to the device and stack same-sized volumes.

    Intensities are normalised in the pipeline (``NormalizeCTIntensity``), which
    knows whether the data are Hounsfield units. Training patches all have the patch
    size and stack into ``(B, 1, X, Y, Z)``; whole test volumes of different sizes
    stay a list, which ``VolumeSegmentor.predict`` reads one by one.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs: Union[list, torch.Tensor] = [v.float() for v in data['inputs']]
        if len({tuple(v.shape) for v in inputs}) == 1:
            inputs = torch.stack(inputs)
        elif training:
            raise ValueError('VolumeDataPreProcessor: training patches of different sizes '
                             f'{sorted({tuple(v.shape) for v in inputs})}; crop them to one '
                             'patch size (RandVolumePatchCrop)')
        return dict(inputs=inputs, data_samples=data.get('data_samples'))
