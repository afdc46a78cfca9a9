"""Loading of 2D medical images and binary lesion masks, with errors that name the file.

Grey images (X-ray, CT slices) become 3-channel so ImageNet-style backbones take
them unchanged; masks stored as 0/255 (QaTa, Inf-Net) or 0/1 become {0, 1}.
"""
from __future__ import annotations

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from vlseg.registry import TRANSFORMS


def read_image(path: str, flag: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    """Read an image file, raising an error that names it when it can't be decoded."""
    buffer = np.fromfile(path, dtype=np.uint8) if path else None
    if buffer is None or buffer.size == 0:
        raise ValueError(f'image file is empty or unreadable: {path}')
    image = cv2.imdecode(buffer, flag)
    if image is None:
        raise ValueError(f'cannot decode image (corrupt or unsupported format): {path}')
    return image


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Scale 16-bit or float images to 8 bit; 8-bit images pass unchanged."""
    if image.dtype == np.uint8:
        return image
    image = image.astype(np.float32)
    low, high = float(image.min()), float(image.max())
    scale = 255.0 / (high - low) if high > low else 0.0
    return ((image - low) * scale).round().astype(np.uint8)


@TRANSFORMS.register_module()
class LoadMedicalImageFromFile(BaseTransform):
    """Load ``results['img_path']`` as a 3-channel uint8 BGR image.

    Grey images are repeated to 3 channels (as LViT and LanGuideMedSeg do);
    16-bit images are min-max scaled to 8 bit; an alpha channel is dropped.

    Added keys: ``img``, ``img_shape``, ``ori_shape``.
    """

    def transform(self, results: dict) -> dict:
        image = to_uint8(read_image(results['img_path']))
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        elif image.shape[2] == 4:
            image = image[..., :3]
        elif image.shape[2] == 1:
            image = np.repeat(image, 3, axis=2)
        results['img'] = np.ascontiguousarray(image)
        results['img_shape'] = image.shape[:2]
        results['ori_shape'] = image.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadBinaryMask(BaseTransform):
    """Load ``results['seg_map_path']`` as a {0, 1} lesion mask.

    A pixel is lesion when it is above half the range of the mask's integer type
    (> 127 for 8-bit masks stored as 0/255, robust to JPEG masks such as
    Kvasir-SEG's; > 32767 for 16-bit ones), > 0.5 for float masks, or > 0 for
    masks stored as 0/1. A mask whose size differs from its image is an error
    naming both files, never silently resized.

    Added keys: ``gt_seg_map``; ``'gt_seg_map'`` is appended to ``seg_fields``.
    """

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        mask = read_image(path, cv2.IMREAD_UNCHANGED)
        if mask.ndim == 3:
            mask = mask[..., 0] if mask.shape[2] < 3 else cv2.cvtColor(
                mask[..., :3], cv2.COLOR_BGR2GRAY)
        if mask.dtype.kind == 'f':
            threshold = 0.5
        else:
            threshold = np.iinfo(mask.dtype).max // 2 if mask.max() > 1 else 0
        gt = (mask > threshold).astype(np.uint8)
        # Compare with the image as loaded: test pipelines load masks after Resize.
        image_shape = results.get('ori_shape', results.get('img_shape'))
        if image_shape is not None and gt.shape != tuple(image_shape[:2]):
            raise ValueError(
                f'mask {path} is {gt.shape[1]}x{gt.shape[0]} (WxH) but its image '
                f'{results.get("img_path")} is {image_shape[1]}x{image_shape[0]}')
        results['gt_seg_map'] = gt
        results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in results['seg_fields']:
            results['seg_fields'].append('gt_seg_map')
        return results
