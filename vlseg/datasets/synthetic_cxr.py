"""SyntheticCXR: the embedded default dataset, generated from a seed on first use.

It exists so that the quick start and the tests run with no download. Every
image is drawn, not acquired: two lung fields on a brighter body, ribs, and
opacities (lesions) placed in named zones (upper / middle / lower third of the
left and right lung, as seen on the image). Its captions use QaTa-COV19's
wording (SGSeg's refined style, via :func:`vlseg.text.render_caption`) and state
sidedness, count and zones, so the text carries real information about where
the lesions are. Results on it are checks that the software runs; they are
never results on real data, and every record says so (``synthetic=True``).
"""
from __future__ import annotations

import json
import logging
import os
import os.path as osp
import tempfile
from typing import Callable, Optional

import cv2
import numpy as np
from mmengine.logging import print_log

from vlseg.registry import DATASETS
from vlseg.text import render_caption

from .layout_utils import load_json, normalize_split
from .text_seg_dataset import TextSegDataset

GENERATOR_VERSION = 1
SPLIT_SIZES = dict(train=320, val=64, test=64)
ZONES_PER_LUNG = 3


def default_cache_root() -> str:
    """``$VLSEG_CACHE`` or ``~/.cache/vlseg``."""
    return os.environ.get('VLSEG_CACHE', osp.join(osp.expanduser('~'), '.cache', 'vlseg'))


def _lung_fields(size: int, rng: np.random.Generator) -> list[tuple[int, int, int, int]]:
    """(centre x, centre y, half-width, half-height) of the image-left and image-right lung."""
    jitter = rng.uniform(-0.02, 0.02, size=4) * size
    half_w, half_h = int(0.16 * size), int(0.33 * size)
    centre_y = int(0.5 * size + jitter[0])
    return [(int(0.30 * size + jitter[1]), centre_y, half_w, half_h),
            (int(0.70 * size + jitter[2]), centre_y, half_w, half_h)]


def draw_sample(size: int, zones: np.ndarray, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
    """Draw one chest X-ray-like image and its lesion mask for 6 zone flags.

    Zone order is ``vlseg.text.ZONE_NAMES``: image-left upper/middle/lower, then
    image-right upper/middle/lower. Each flagged zone gets one or two soft
    opacities inside that third of that lung field.
    """
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    body = 150 + 40 * np.exp(-((xx - size / 2) ** 2) / (2 * (0.45 * size) ** 2))
    image = np.broadcast_to(body, (size, size)).astype(np.float32).copy()
    lungs = np.zeros((size, size), np.float32)
    mask = np.zeros((size, size), np.uint8)
    fields = _lung_fields(size, rng)
    for cx, cy, hw, hh in fields:
        field = ((xx - cx) / hw) ** 2 + ((yy - cy) / hh) ** 2 <= 1.0
        lungs[field] = 1.0
    lungs = cv2.GaussianBlur(lungs, (0, 0), sigmaX=size / 64)
    image -= 95 * lungs
    # Ribs: faint bright arcs across the lung fields.
    for k in range(6):
        y0 = 0.22 * size + k * 0.1 * size
        rib = np.exp(-((yy - y0 - 0.004 * (xx - size / 2) ** 2 / size * 4) ** 2) / 8.0)
        image += 18 * rib * lungs
    for lung_index, (cx, cy, hw, hh) in enumerate(fields):
        top = cy - hh
        for zone_index in range(ZONES_PER_LUNG):
            if not zones[lung_index * ZONES_PER_LUNG + zone_index]:
                continue
            band_top = top + zone_index * 2 * hh / ZONES_PER_LUNG
            band_height = 2 * hh / ZONES_PER_LUNG
            for _ in range(int(rng.integers(1, 3))):
                ly = band_top + rng.uniform(0.3, 0.7) * band_height
                lx = cx + rng.uniform(-0.45, 0.45) * hw
                ry = rng.uniform(0.18, 0.32) * band_height
                rx = rng.uniform(0.25, 0.45) * hw
                blob = ((xx - lx) / rx) ** 2 + ((yy - ly) / ry) ** 2
                mask[(blob <= 1.0) & (lungs > 0.5)] = 1
                image += rng.uniform(45, 70) * np.exp(-blob * 1.5) * lungs
    image += rng.normal(0, 7, size=(size, size))
    image = cv2.GaussianBlur(image, (0, 0), sigmaX=0.7)
    return np.clip(image, 0, 255).astype(np.uint8), mask


def _random_zones(rng: np.random.Generator) -> np.ndarray:
    """Zone flags with QaTa-like variety: one- and two-sided, 1-6 zones."""
    while True:
        zones = rng.random(6) < rng.choice([0.2, 0.4, 0.7])
        if zones.any():
            return zones


def generate_synthetic_cxr(root: str, seed: int = 0, size: int = 128,
                           split_sizes: Optional[dict] = None) -> str:
    """Write the dataset under ``root`` unless a complete copy is there already.

    Layout: ``images/{split}/synthetic_NNNN.png``, ``masks/{split}/synthetic_NNNN.png``
    (0/255) and ``annotations/{split}.json`` (list of image, mask, caption, zones).
    Generation writes into a temporary folder first and renames it, so parallel
    workers or an interrupted run never leave a half-written dataset.
    """
    split_sizes = split_sizes or SPLIT_SIZES

    def write(staging: str) -> None:
        _write_synthetic_cxr(staging, seed, size, split_sizes)

    return build_once(root, write)


def build_once(root: str, write: Callable[[str], None]) -> str:
    """Make ``root`` with ``write(folder)`` unless a complete copy is there (``COMPLETE``).

    ``write`` fills a temporary folder beside ``root``, which is then renamed to ``root``, so
    parallel workers or ranks, or an interrupted run, never leave a half-written dataset.
    """
    done_flag = osp.join(root, 'COMPLETE')
    if osp.exists(done_flag):
        return root
    parent = osp.dirname(osp.abspath(root))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f'.{osp.basename(root)}-', dir=parent)
    write(staging)
    with open(osp.join(staging, 'COMPLETE'), 'w') as file:
        file.write('complete\n')
    try:
        os.rename(staging, root)
    except OSError:  # another process finished first
        import shutil
        shutil.rmtree(staging, ignore_errors=True)
        if not osp.exists(done_flag):
            raise
    return root


def _write_synthetic_cxr(staging: str, seed: int, size: int, split_sizes: dict) -> None:
    for split_index, (split, count) in enumerate(sorted(split_sizes.items())):
        rng = np.random.default_rng([seed, split_index])
        os.makedirs(osp.join(staging, 'images', split))
        os.makedirs(osp.join(staging, 'masks', split))
        records = []
        for index in range(count):
            zones = _random_zones(rng)
            image, mask = draw_sample(size, zones, rng)
            name = f'synthetic_{split}_{index:04d}.png'
            cv2.imwrite(osp.join(staging, 'images', split, name), image)
            cv2.imwrite(osp.join(staging, 'masks', split, name), mask * 255)
            records.append(dict(image=name, mask=name, caption=render_caption(zones),
                                zones=[int(z) for z in zones]))
        os.makedirs(osp.join(staging, 'annotations'), exist_ok=True)
        with open(osp.join(staging, 'annotations', f'{split}.json'), 'w') as file:
            json.dump(records, file, indent=1)
    with open(osp.join(staging, 'synthetic.json'), 'w') as file:
        json.dump(dict(version=GENERATOR_VERSION, seed=seed, size=size,
                       split_sizes=split_sizes, synthetic=True), file)


@DATASETS.register_module()
class SyntheticCXRDataset(TextSegDataset):
    """Synthetic chest X-rays with lesion masks and QaTa-style captions.

    Generated deterministically from ``seed`` into
    ``{cache_root}/synthetic_cxr/v{version}-seed{seed}-{size}px`` on first use
    (about 450 images of ``size`` pixels, a few seconds). Not real data: use it to
    check that a pipeline runs, never to report accuracy.

    Args:
        split: ``'train'``, ``'val'`` or ``'test'``.
        seed: generator seed; the same seed gives the same images anywhere.
        size: image side in pixels.
        data_root: where to generate; default under :func:`default_cache_root`.
    """

    def __init__(self, split: str = 'train', seed: int = 0, size: int = 128,
                 data_root: Optional[str] = None, **kwargs) -> None:
        split = normalize_split(split, type(self).__name__)
        self.seed = seed
        self.size = size
        if data_root is None:
            data_root = osp.join(default_cache_root(), 'synthetic_cxr',
                                 f'v{GENERATOR_VERSION}-seed{seed}-{size}px')
        generate_synthetic_cxr(data_root, seed=seed, size=size)
        super().__init__(split=split, data_root=data_root, **kwargs)

    def load_records(self) -> list[dict]:
        print_log(f'SyntheticCXRDataset ({self.split}): drawn images, not real data; results '
                  'on it check that the software runs and are never accuracy on X-rays',
                  logger='current', level=logging.WARNING)
        entries = load_json(self._path('annotations', f'{self.split}.json'), type(self).__name__)
        return [
            dict(img_path=self._path('images', self.split, entry['image']),
                 seg_map_path=self._path('masks', self.split, entry['mask']),
                 text=entry['caption'], synthetic=True)
            for entry in entries
        ]
