"""3D segmentor: a volumetric network, a 1x1x1 sigmoid output, Dice loss, sliding windows.

The 3D RA-UNet seed ends its U-Net with a 1x1x1 convolution and a sigmoid, trained
with the Dice loss (``BinaryDiceLoss``, V-Net's soft Dice, here per volume). Whole
volumes are segmented by sliding windows of the training patch size (the RA block's
learned position terms fix it) with overlap and Gaussian weighting of each window's
output (MONAI's ``sliding_window_inference``, nnU-Net's scheme); a volume smaller
than the patch is padded and cropped back.

Data samples carry 3D tensors as fields: ``gt_volume`` and, after ``predict``,
``pred_volume`` (``(1, X, Y, Z)`` uint8, lesion = 1) at the input volume's size,
beside the metainfo (``affine``, ``case``...) that ``VolumeDiceMetric`` and
``tools/infer.py`` use to score and write the masks.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmseg.structures import SegDataSample
from torch import Tensor

from vlseg.registry import MODELS


@MODELS.register_module()
class VolumeSegmentor(BaseModel):
    """Binary 3D segmentation of volumes.

    Args:
        backbone: a volumetric network returning ``(B, C, X, Y, Z)`` features, with
            ``out_channels`` (and ``patch_size`` when its input size is fixed, as
            ``ResUNet3D`` with RA).
        loss_decode: loss on ``(B, 1, X, Y, Z)`` logits and ``(B, X, Y, Z)`` labels
            (default ``BinaryDiceLoss``, per volume).
        threshold: lesion where the sigmoid probability is ``>=`` it.
        test_cfg: sliding-window inference: ``roi_size`` (default the backbone's
            ``patch_size``), ``overlap`` (0.5), ``sw_batch_size`` (1), ``mode``
            (``'gaussian'``) and ``sigma_scale`` (0.125, nnU-Net's).
        data_preprocessor: default ``VolumeDataPreProcessor``.
        init_cfg: mmengine init config.
    """

    def __init__(self, backbone: dict, loss_decode: Optional[dict] = None,
                 threshold: float = 0.5, test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor or dict(
            type='VolumeDataPreProcessor'), init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.cls_seg = nn.Conv3d(self.backbone.out_channels, 1, 1)
        self.loss_decode = MODELS.build(loss_decode or dict(type='BinaryDiceLoss'))
        self.threshold = float(threshold)
        patch = getattr(self.backbone, 'patch_size', None)
        self.test_cfg = dict(roi_size=patch, overlap=0.5, sw_batch_size=1, mode='gaussian',
                             sigma_scale=0.125)
        unknown = sorted(set(test_cfg or {}) - set(self.test_cfg))
        if unknown:
            raise ValueError(f'VolumeSegmentor: unknown test_cfg keys {unknown}; known: '
                             f'{sorted(self.test_cfg)}')
        self.test_cfg.update(test_cfg or {})
        roi = self.test_cfg['roi_size']
        if roi is None:
            raise ValueError('VolumeSegmentor: test_cfg.roi_size (the sliding-window size) is '
                             'needed: the backbone has no patch_size')
        self.test_cfg['roi_size'] = tuple(int(s) for s in roi)
        if patch is not None and getattr(self.backbone, 'ra_level', None) is not None \
                and self.test_cfg['roi_size'] != tuple(patch):
            raise ValueError(f'VolumeSegmentor: sliding windows of {self.test_cfg["roi_size"]}, '
                             f'but the backbone learned its positions for {tuple(patch)}')

    def _forward(self, inputs: Tensor, data_samples=None) -> Tensor:
        """``(B, 1, X, Y, Z)`` lesion logits of same-sized volumes (patches)."""
        return self.cls_seg(self.backbone(inputs))

    def forward(self, inputs: Union[Tensor, Sequence[Tensor]],
                data_samples: Optional[list] = None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs)
        raise RuntimeError(f'VolumeSegmentor: invalid mode "{mode}"')

    def loss(self, inputs: Tensor, data_samples: list) -> dict:
        missing = [s.metainfo.get('img_path', '?') for s in data_samples if 'gt_volume' not in s]
        if missing:
            raise KeyError(f'VolumeSegmentor: no gt_volume for {missing}: the training pipeline '
                           'needs LoadNiftiMask before PackVolumeInputs')
        target = torch.stack([s.gt_volume[0] for s in data_samples]).long()
        loss = self.loss_decode(self._forward(inputs), target)
        return {getattr(self.loss_decode, 'loss_name', 'loss_dice'): loss}

    @torch.no_grad()
    def segment_volume(self, volume: Tensor) -> Tensor:
        """Lesion probability ``(1, 1, X, Y, Z)`` of one ``(1, 1, X, Y, Z)`` volume."""
        from monai.inferers import sliding_window_inference

        cfg = self.test_cfg
        # Windows are blended in fp32 even when the network runs in bf16 (--amp).
        logits = sliding_window_inference(
            volume, roi_size=cfg['roi_size'], sw_batch_size=int(cfg['sw_batch_size']),
            predictor=lambda window: self._forward(window).float(),
            overlap=float(cfg['overlap']), mode=cfg['mode'],
            sigma_scale=float(cfg['sigma_scale']), padding_mode='constant',
            cval=float(volume.min()))
        return logits.sigmoid()

    def predict(self, inputs: Union[Tensor, Sequence[Tensor]],
                data_samples: Optional[list] = None) -> list:
        volumes = list(inputs) if isinstance(inputs, (list, tuple)) else list(inputs.unbind(0))
        if data_samples is None:
            data_samples = [SegDataSample() for _ in volumes]
        for volume, sample in zip(volumes, data_samples):
            probability = self.segment_volume(volume[None])[0]
            sample.set_field((probability >= self.threshold).to(torch.uint8), 'pred_volume')
        return data_samples
