"""Slice NIfTI CT volumes and their infection masks into 2D PNG pairs.

Written for the COVID-19 CT lung and infection segmentation dataset (Ma et al.,
20 cases: 10 ``coronacases`` and 10 ``radiopaedia``), but any NIfTI volumes
with same-shaped masks work. Output (read by ``vlseg.datasets.CTSliceDataset``)::

    OUT
    ├── images/{case}_{idx:03d}.png     # 8-bit: HU clipped to the window, scaled to 0-255
    └── masks/{case}_{idx:03d}.png      # 0 / 255 (every mask label > 0 is lesion)

``idx`` is the slice's index along ``--axis`` in the volume (so ``--only-lesion``
keeps true indices) and ``case`` is the mask's file name without ``.nii(.gz)``.

Matching image and mask volumes, by case name (file name without ``.nii`` or
``.nii.gz``):

1. the same name in the mask folder, e.g. ``coronacases_001.nii.gz`` <->
   ``Infection_Mask/coronacases_001.nii.gz``;
2. else the same name once the extra words of the image names in the public
   release are dropped (``_org``, ``covid-19-pneumonia-``, a trailing ``-dcm``;
   case-insensitive), e.g. ``coronacases_org_001.nii.gz`` <->
   ``coronacases_001.nii.gz`` and
   ``radiopaedia_org_covid-19-pneumonia-4_85506_1-dcm.nii.gz`` <->
   ``radiopaedia_4_85506_1.nii.gz``.

A volume without a mask, or one whose mask has another shape, raises. Note that
in that release the ``radiopaedia`` volumes are stored already scaled to 0-255
rather than in HU: convert them in a second run with ``--window 0 255``.

Example::

    python tools/dataset_converters/ct_volumes_to_slices.py \\
        data/COVID-19-CT-Seg/20_ncov_scan data/COVID-19-CT-Seg/Infection_Mask \\
        data/ct_slices --window -1000 1000 --only-lesion
"""
from __future__ import annotations

import argparse
import glob
import os
import os.path as osp
import sys
from collections.abc import Sequence

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from vlseg.datasets.ct_volume import case_name, find_mask  # noqa: E402
from vlseg.datasets.transforms.volume import NIFTI_EXTENSIONS, load_nifti  # noqa: E402


def is_nifti_file(path: str) -> bool:
    return osp.isfile(path) and path.lower().endswith(NIFTI_EXTENSIONS)


def list_volumes(spec: str) -> list[str]:
    """NIfTI files in a folder, or matching a glob pattern, sorted."""
    paths = [osp.join(spec, n) for n in os.listdir(spec)] if osp.isdir(spec) \
        else glob.glob(spec)
    volumes = sorted(p for p in paths if is_nifti_file(p))
    if not volumes:
        raise FileNotFoundError(f'no NIfTI volume (.nii, .nii.gz) found at {spec}')
    return volumes


def window_to_uint8(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Clip to ``[low, high]`` and scale linearly to 0-255 (rounded)."""
    if high <= low:
        raise ValueError(f'window must have low < high, got {low}, {high}')
    scaled = (np.clip(values.astype(np.float32), low, high) - low) * (255.0 / (high - low))
    return np.rint(scaled).astype(np.uint8)


def convert(images: str, masks: str, out: str, window: tuple[float, float] = (-1000, 1000),
            axis: int = -1, only_lesion: bool = False, rot90: int = 1) -> list[tuple[str, str]]:
    """Write the slices of every volume; return the ``(image, mask)`` PNG paths.

    Args:
        images: folder of image volumes, or a glob pattern.
        masks: folder of infection-mask volumes.
        out: output folder (``images/`` and ``masks/`` are created in it).
        window: HU range ``(low, high)`` clipped and scaled to 0-255.
        axis: slicing axis of the volume array (-1, the last: axial for the
            usual NIfTI orientation).
        only_lesion: keep only slices whose mask has a lesion pixel.
        rot90: quarter turns (``np.rot90``) applied to every 2D slice, image
            and mask alike; 1 shows NIfTI axial slices in the usual orientation.
    """
    import cv2

    mask_paths = list_volumes(masks)
    os.makedirs(osp.join(out, 'images'), exist_ok=True)
    os.makedirs(osp.join(out, 'masks'), exist_ok=True)
    written: list[tuple[str, str]] = []
    for image_path in list_volumes(images):
        mask_path = find_mask(image_path, mask_paths)
        volume = load_nifti(image_path, 'volume')[0]
        lesion = load_nifti(mask_path, 'mask')[0] > 0
        if volume.shape != lesion.shape:
            raise ValueError(f'{image_path} has shape {volume.shape} but its mask '
                             f'{mask_path} has {lesion.shape}')
        case = case_name(mask_path)
        volume = window_to_uint8(np.moveaxis(volume, axis, 0), *window)
        lesion = np.moveaxis(lesion, axis, 0)
        for idx in range(volume.shape[0]):
            if only_lesion and not lesion[idx].any():
                continue
            name = f'{case}_{idx:03d}.png'
            image = np.ascontiguousarray(np.rot90(volume[idx], rot90))
            mask = np.ascontiguousarray(np.rot90(lesion[idx], rot90)).astype(np.uint8) * 255
            pair = (osp.join(out, 'images', name), osp.join(out, 'masks', name))
            if not (cv2.imwrite(pair[0], image) and cv2.imwrite(pair[1], mask)):
                raise OSError(f'could not write {pair[0]} / {pair[1]}')
            written.append(pair)
    return written


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Slice NIfTI CT volumes and infection masks into PNG pairs '
                    '({out}/images/{case}_{idx:03d}.png, {out}/masks/...).')
    parser.add_argument('images', help='folder of image volumes, or a glob pattern')
    parser.add_argument('masks', help='folder of infection-mask volumes')
    parser.add_argument('out', help='output folder')
    parser.add_argument('--window', type=float, nargs=2, default=(-1000.0, 1000.0),
                        metavar=('LOW', 'HIGH'),
                        help='HU window clipped and scaled to 0-255 (default -1000 1000)')
    parser.add_argument('--axis', type=int, default=-1,
                        help='slicing axis (default -1, the last: axial)')
    parser.add_argument('--only-lesion', action='store_true',
                        help='keep only slices that contain infection')
    parser.add_argument('--rot90', type=int, default=1,
                        help='quarter turns applied to every slice (default 1)')
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    written = convert(args.images, args.masks, args.out, window=tuple(args.window),
                      axis=args.axis, only_lesion=args.only_lesion, rot90=args.rot90)
    cases = {osp.basename(p[0]).rsplit('_', 1)[0] for p in written}
    print(f'wrote {len(written)} slice pairs of {len(cases)} case(s) to {args.out}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
