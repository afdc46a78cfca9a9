"""SyntheticCT: the embedded default 3D data, CT-like volumes generated from a seed.

It exists so that the 3D quick start and the tests run with no download. Each
volume is drawn, not acquired, in Hounsfield units: air (-1000) around an
elliptic body (soft tissue, 40 HU) holding two lungs (-850 HU) with a few
ground-glass lesions (-300 HU, blobs of random size, only inside the lungs), plus
noise. It is written in the COVID-19-CT-Seg layout (``ct_scans/``,
``infection_mask/``, NIfTI with a 0.8 x 0.8 x 5 mm affine), so it goes through the
same dataset class and transforms as the real release. Results on it are checks
that the software runs, never results on real data: every record says
``synthetic=True`` and the dataset says so when it is built.
"""
from __future__ import annotations

import json
import logging
import os
import os.path as osp
from collections.abc import Sequence
from typing import Optional

import numpy as np
from mmengine.logging import print_log

from vlseg.registry import DATASETS

from .ct_volume import CTVolumeDataset
from .synthetic_cxr import build_once, default_cache_root

GENERATOR_VERSION = 2
#: Voxel size (mm) written into the affine: thick-slice CT.
SPACING = (0.8, 0.8, 5.0)


def synthetic_ct_volume(shape: Sequence[int] = (96, 96, 24), seed: int = 0,
                        num_lesions: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """One CT-like volume (int16 HU) and its lesion mask (uint8), shape ``(X, Y, Z)``."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-1, 1, shape[0])[:, None, None]
    y = np.linspace(-1, 1, shape[1])[None, :, None]
    z = np.linspace(-1, 1, shape[2])[None, None, :]
    body = np.broadcast_to((x / 0.9) ** 2 + (y / 0.7) ** 2 <= 1, tuple(shape))
    lungs = np.zeros(shape, bool)
    for side in (-1, 1):
        lungs |= ((x - 0.42 * side) / 0.3) ** 2 + (y / 0.45) ** 2 + (z / 1.1) ** 2 <= 1
    lungs &= body
    volume = np.full(shape, -1000.0)
    volume[body] = 40.0
    volume[lungs] = -850.0
    mask = np.zeros(shape, bool)
    lung_voxels = np.argwhere(lungs)
    for _ in range(num_lesions):
        centre = lung_voxels[rng.integers(len(lung_voxels))] / (np.array(shape) - 1) * 2 - 1
        radii = rng.uniform(0.08, 0.2, 3) * np.array([1, 1, 2.5])
        blob = (((x - centre[0]) / radii[0]) ** 2 + ((y - centre[1]) / radii[1]) ** 2
                + ((z - centre[2]) / radii[2]) ** 2) <= 1
        mask |= blob & lungs
    volume[mask] = -300.0
    volume += rng.normal(0, 25, shape)
    return volume.round().astype(np.int16), mask.astype(np.uint8)


def generate_synthetic_ct(root: str, num_cases: int = 6, shape: Sequence[int] = (96, 96, 24),
                          seed: int = 0) -> str:
    """Write ``num_cases`` volumes in the COVID-19-CT-Seg layout under ``root`` (once; safe
    with several processes: :func:`vlseg.datasets.synthetic_cxr.build_once`)."""
    import nibabel as nib

    def write(staging: str) -> None:
        affine = np.diag([*SPACING, 1.0])
        for folder in ('ct_scans', 'infection_mask'):
            os.makedirs(osp.join(staging, folder))
        for index in range(num_cases):
            volume, mask = synthetic_ct_volume(shape, seed * 1000 + index)
            name = f'synthetic_{index:03d}.nii.gz'
            nib.save(nib.Nifti1Image(volume, affine), osp.join(staging, 'ct_scans', name))
            nib.save(nib.Nifti1Image(mask, affine), osp.join(staging, 'infection_mask', name))
        with open(osp.join(staging, 'synthetic.json'), 'w') as file:
            json.dump(dict(version=GENERATOR_VERSION, num_cases=num_cases, shape=list(shape),
                           seed=seed, note='SYNTHETIC CT-like volumes drawn by vlseg, not '
                           'patient data'), file)

    return build_once(root, write)


@DATASETS.register_module()
class SyntheticCTDataset(CTVolumeDataset):
    """Synthetic CT volumes (``generate_synthetic_ct``), generated on first use.

    Args:
        split: ``'train'`` (the first ``num_cases - 2`` cases), ``'val'`` or ``'test'``
            (the last two).
        data_root: where to generate; default ``{cache}/synthetic_ct/v{version}-...``.
        num_cases, shape, seed: of the generator.
    """

    def __init__(self, split: str = 'train', data_root: Optional[str] = None,
                 num_cases: int = 6, shape: Sequence[int] = (96, 96, 24), seed: int = 0,
                 **kwargs) -> None:
        if data_root is None:
            data_root = osp.join(default_cache_root(), 'synthetic_ct',
                                 f'v{GENERATOR_VERSION}-seed{seed}-{num_cases}x'
                                 + 'x'.join(str(s) for s in shape))
        generate_synthetic_ct(data_root, num_cases, shape, seed)
        names = [f'synthetic_{i:03d}' for i in range(num_cases)]
        cases = names[:-2] if split == 'train' else names[-2:]
        print_log(f'SyntheticCTDataset ({split}): {len(cases)} SYNTHETIC volumes drawn by '
                  f'vlseg in {data_root}; scores on them are software checks, not results',
                  logger='current', level=logging.WARNING)
        super().__init__(layout='covid19_ct_seg', split=split, cases=cases,
                         data_root=data_root, **kwargs)

    def load_records(self) -> list[dict]:
        return [dict(record, synthetic=True) for record in super().load_records()]
