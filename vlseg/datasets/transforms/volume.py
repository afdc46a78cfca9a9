"""Transforms of 3D CT volumes: NIfTI loading, intensity, patch crops, flips, packing.

Arrays keep the axis order of the NIfTI file (``X, Y, Z``, the last the slice axis),
so the affine stays valid for every voxel and a predicted mask is written back with
the input's affine unchanged. Patch sizes are given in the same order (e.g. the 3D
RA-UNet paper's 192 x 192 x 32: 192 x 192 in-plane, 32 slices).
"""
from __future__ import annotations

import os.path as osp
from collections.abc import Sequence
from typing import Optional

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmseg.structures import SegDataSample

from vlseg.registry import TRANSFORMS

NIFTI_EXTENSIONS = ('.nii', '.nii.gz')


def is_nifti(path: str) -> bool:
    """Whether ``path`` names a NIfTI file (``.nii`` or ``.nii.gz``)."""
    return str(path).lower().endswith(NIFTI_EXTENSIONS)


def load_nifti(path: str, what: str = 'volume'):
    """``(array, affine)`` of a 3D NIfTI file; errors name the file.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a NIfTI file, unreadable, or not 3D (a trailing axis of 1 is
            dropped).
    """
    import nibabel as nib

    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} file not found: {path}')
    if not is_nifti(path):
        raise ValueError(f'{path} is not a NIfTI file (.nii or .nii.gz); 3D {what}s are read '
                         'as NIfTI')
    try:
        image = nib.load(path)
        array = np.asanyarray(image.dataobj)
    except Exception as error:  # noqa: BLE001 - nibabel's many failure types, one message
        raise ValueError(f'cannot read {what} {path} as NIfTI: {error}') from None
    if array.ndim == 4 and array.shape[3] == 1:
        array = array[..., 0]
    if array.ndim != 3:
        raise ValueError(f'{what} {path} has shape {array.shape}; expected a 3D volume')
    return array, np.asarray(image.affine, dtype=np.float64)


@TRANSFORMS.register_module()
class LoadNiftiVolume(BaseTransform):
    """Load ``results['img_path']`` (NIfTI) as a float32 ``(X, Y, Z)`` volume.

    Added keys: ``img``, ``affine`` (4 x 4), ``ori_shape``, ``img_shape``.
    """

    def transform(self, results: dict) -> dict:
        volume, affine = load_nifti(results['img_path'], 'volume')
        results['img'] = volume.astype(np.float32)
        results['affine'] = affine
        results['ori_shape'] = results['img_shape'] = volume.shape
        return results


@TRANSFORMS.register_module()
class LoadNiftiMask(BaseTransform):
    """Load ``results['seg_map_path']`` (NIfTI) as a {0, 1} uint8 mask (label > 0).

    A mask whose shape or affine differs from its volume's is an error naming both
    files (a mask from another case, or resampled, would otherwise train silently).

    Added key: ``gt_seg_map``.
    """

    def __init__(self, affine_tolerance: float = 1e-3) -> None:
        self.affine_tolerance = affine_tolerance

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        mask, affine = load_nifti(path, 'mask')
        volume = results.get('img_path')
        if mask.shape != tuple(results['ori_shape']):
            raise ValueError(f'mask {path} has shape {mask.shape} but its volume {volume} has '
                             f'{tuple(results["ori_shape"])}')
        if 'affine' in results and not np.allclose(affine, results['affine'],
                                                   atol=self.affine_tolerance):
            raise ValueError(f'mask {path} and its volume {volume} have different affines '
                             f'(voxel-to-world maps):\n{affine}\nvs\n{results["affine"]}')
        results['gt_seg_map'] = (mask > 0).astype(np.uint8)
        return results


@TRANSFORMS.register_module()
class NormalizeCTIntensity(BaseTransform):
    """Clip the volume to ``window`` and map it linearly to [0, 1].

    ``window=(-1000, 1000)`` is the 3D RA-UNet paper's HU clipping for real CT in
    Hounsfield units; ``window=(0, 255)`` is the plain normalisation of 8-bit stacks
    that are not in HU (../shared/data/covid_ct_volumes). The config says which: the
    values are never used to guess.

    ``stored_ranges`` (``{case prefix: (low HU, high HU)}``) names cases stored as
    8-bit 0-255 that stand for that HU range; their values are mapped back to HU
    before the window. COVID-19-CT-Seg's ``radiopaedia`` volumes are such: the dataset
    authors lung-windowed them, [-1250, 250] HU -> [0, 255], while its ``coronacases``
    are in HU.
    """

    def __init__(self, window: Sequence[float] = (-1000.0, 1000.0),
                 stored_ranges: Optional[dict] = None) -> None:
        low, high = (float(v) for v in window)
        if not high > low:
            raise ValueError(f'NormalizeCTIntensity: window must be (low, high) with '
                             f'low < high, got {tuple(window)}')
        self.low, self.high = low, high
        self.stored_ranges = {str(k).lower(): (float(a), float(b))
                              for k, (a, b) in (stored_ranges or {}).items()}

    def transform(self, results: dict) -> dict:
        volume = results['img']
        case = str(results.get('case', '')).lower()
        for prefix, (low_hu, high_hu) in self.stored_ranges.items():
            if case.startswith(prefix):
                volume = low_hu + volume.astype(np.float32) / 255.0 * (high_hu - low_hu)
                break
        volume = np.clip(volume, self.low, self.high)
        results['img'] = ((volume - self.low) / (self.high - self.low)).astype(np.float32)
        return results


def _pad_to(array: np.ndarray, shape: Sequence[int], value: float) -> np.ndarray:
    pad = [(0, max(0, s - a)) for a, s in zip(array.shape, shape)]
    if not any(after for _, after in pad):
        return array
    return np.pad(array, pad, mode='constant', constant_values=value)


@TRANSFORMS.register_module()
class RandVolumePatchCrop(BaseTransform):
    """A random ``patch_size`` patch, inside one contiguous run of slices.

    Volumes whose slices are not all consecutive (``results['runs']``: ``(first,
    last)`` slice ranges, inclusive; one run covering every slice when absent) are
    cropped inside one run, drawn with probability proportional to its length, so a
    patch never spans a gap where slices were dropped. With probability
    ``lesion_ratio`` the patch is centred on a random lesion voxel of that run (as
    nnU-Net's foreground oversampling), else anywhere. A volume or run smaller than
    the patch along an axis is padded at its end (volume with its minimum, mask with
    0), so the patch always has ``patch_size``.
    """

    def __init__(self, patch_size: Sequence[int] = (192, 192, 32),
                 lesion_ratio: float = 0.33) -> None:
        if len(patch_size) != 3 or min(patch_size) < 1:
            raise ValueError(f'RandVolumePatchCrop: patch_size must be 3 positive sizes, '
                             f'got {patch_size}')
        if not 0 <= lesion_ratio <= 1:
            raise ValueError(f'RandVolumePatchCrop: lesion_ratio must be in [0, 1], '
                             f'got {lesion_ratio}')
        self.patch_size = tuple(int(s) for s in patch_size)
        self.lesion_ratio = float(lesion_ratio)

    def _run(self, results: dict, depth: int) -> tuple[int, int]:
        runs = results.get('runs') or [(0, depth - 1)]
        lengths = np.array([last - first + 1 for first, last in runs], dtype=np.float64)
        first, last = runs[int(np.random.choice(len(runs), p=lengths / lengths.sum()))]
        return int(first), int(last) + 1

    def transform(self, results: dict) -> dict:
        volume, mask = results['img'], results.get('gt_seg_map')
        first, stop = self._run(results, volume.shape[2])
        volume = volume[:, :, first:stop]
        mask = None if mask is None else mask[:, :, first:stop]
        centre = None
        if mask is not None and np.random.rand() < self.lesion_ratio:
            lesions = np.argwhere(mask > 0)
            if len(lesions):
                centre = lesions[np.random.randint(len(lesions))]  # one voxel, all axes
        starts = []
        for axis, (size, patch) in enumerate(zip(volume.shape, self.patch_size)):
            room = max(0, size - patch)
            if centre is not None:
                starts.append(int(np.clip(centre[axis] - patch // 2, 0, room)))
            else:
                starts.append(np.random.randint(room + 1))
        window = tuple(slice(s, s + p) for s, p in zip(starts, self.patch_size))
        results['img'] = _pad_to(volume[window], self.patch_size, float(volume.min()))
        if mask is not None:
            results['gt_seg_map'] = _pad_to(mask[window], self.patch_size, 0)
        results['img_shape'] = self.patch_size
        results['patch_origin'] = (starts[0], starts[1], first + starts[2])
        return results


@TRANSFORMS.register_module()
class RandFlipVolume(BaseTransform):
    """Flip the volume (and mask) along each of ``axes`` with probability ``prob``."""

    def __init__(self, prob: float = 0.5, axes: Sequence[int] = (0, 1, 2)) -> None:
        self.prob = float(prob)
        self.axes = tuple(int(a) for a in axes)

    def transform(self, results: dict) -> dict:
        for axis in self.axes:
            if np.random.rand() < self.prob:
                results['img'] = np.flip(results['img'], axis)
                if 'gt_seg_map' in results:
                    results['gt_seg_map'] = np.flip(results['gt_seg_map'], axis)
        return results


@TRANSFORMS.register_module()
class PackVolumeInputs(BaseTransform):
    """Pack a volume as ``inputs`` ``(1, X, Y, Z)`` float32 and a ``SegDataSample`` with
    the mask as field ``gt_volume`` ``(1, X, Y, Z)`` uint8 and the metainfo (``img_path``,
    ``seg_map_path``, ``affine``, ``ori_shape``, ``img_shape``, ``case``...)."""

    def __init__(self, meta_keys: Sequence[str] = (
            'img_path', 'seg_map_path', 'affine', 'ori_shape', 'img_shape', 'case',
            'patch_origin', 'synthetic')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        volume = np.ascontiguousarray(results['img'], dtype=np.float32)
        sample = SegDataSample()
        if 'gt_seg_map' in results:
            mask = np.ascontiguousarray(results['gt_seg_map'], dtype=np.uint8)
            sample.set_field(torch.from_numpy(mask)[None], 'gt_volume')
        sample.set_metainfo({key: results[key] for key in self.meta_keys if key in results})
        return dict(inputs=torch.from_numpy(volume)[None], data_samples=sample)

