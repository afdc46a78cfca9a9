"""Random isotropic zoom that keeps the image size (LanGuideMedSeg's augmentation).

Ariadne's Thread / LanGuideMedSeg (Zhong et al., MICCAI 2023; authors' code
``Junelin2333/LanGuideMedSeg-MICCAI2023``, ``utils/dataset.py``) augment the training
images with MONAI's ``RandZoomd(min_zoom=0.95, max_zoom=1.2, mode=['bicubic',
'nearest'], prob=0.1)``; TMCA builds on that pipeline. This is the same operation on
mmseg's ``results`` dict, with MONAI's semantics (``keep_size=True``):

- with probability ``prob`` one factor ``z ~ U(min_zoom, max_zoom)`` is drawn for
  both axes; the image is resized to ``floor(H z) x floor(W z)`` (bicubic), every
  map of ``seg_fields`` likewise (nearest);
- back to ``H x W``: a zoomed-in result is cropped centrally, a zoomed-out one is
  padded by repeating its border (MONAI's default ``padding_mode='edge'``); the odd
  pixel of a crop or pad goes to the end, as in MONAI.

The caption is kept: at most 1/1.2 of each side remains, so a zone named in the
caption may lose its edge, as in the authors' training.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from vlseg.registry import TRANSFORMS


def _zoom_keep_size(array: np.ndarray, factor: float, interpolation: int) -> np.ndarray:
    height, width = array.shape[:2]
    zoomed_h, zoomed_w = max(1, math.floor(height * factor)), max(1, math.floor(width * factor))
    zoomed = cv2.resize(array, (zoomed_w, zoomed_h), interpolation=interpolation)
    if zoomed.ndim < array.ndim:  # cv2 drops a trailing channel axis of size 1
        zoomed = zoomed[..., None]
    pads, slices = [], []
    for original, size in ((height, zoomed_h), (width, zoomed_w)):
        diff = original - size
        half = abs(diff) // 2
        pads.append((half, diff - half) if diff > 0 else (0, 0))
        slices.append(slice(half, half + original) if diff < 0 else slice(None))
    zoomed = zoomed[slices[0], slices[1]]
    pads += [(0, 0)] * (array.ndim - 2)
    return np.ascontiguousarray(np.pad(zoomed, pads, mode='edge'))


@TRANSFORMS.register_module()
class RandomZoom(BaseTransform):
    """MONAI's ``RandZoom`` (isotropic, ``keep_size=True``) for image and masks.

    Args:
        min_zoom, max_zoom: range of the zoom factor (LanGuideMedSeg: 0.95, 1.2).
        prob: probability of zooming a sample (LanGuideMedSeg: 0.1).

    Modified keys: ``img`` and every key of ``seg_fields``; sizes are unchanged.
    """

    def __init__(self, min_zoom: float = 0.95, max_zoom: float = 1.2, prob: float = 0.1) -> None:
        if not 0 < min_zoom <= max_zoom:
            raise ValueError(f'RandomZoom: need 0 < min_zoom <= max_zoom, got {min_zoom}, '
                             f'{max_zoom}')
        if not 0 <= prob <= 1:
            raise ValueError(f'RandomZoom: prob must be in [0, 1], got {prob}')
        self.min_zoom = float(min_zoom)
        self.max_zoom = float(max_zoom)
        self.prob = float(prob)

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        factor = float(np.random.uniform(self.min_zoom, self.max_zoom))
        results['img'] = _zoom_keep_size(results['img'], factor, cv2.INTER_CUBIC)
        for key in results.get('seg_fields', []):
            results[key] = _zoom_keep_size(results[key], factor, cv2.INTER_NEAREST)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(min_zoom={self.min_zoom}, '
                f'max_zoom={self.max_zoom}, prob={self.prob})')
