"""2D slices written by ``tools/dataset_converters/ct_volumes_to_slices.py``."""
from __future__ import annotations

import os.path as osp
from collections.abc import Sequence

from vlseg.registry import DATASETS

from .layout_utils import index_files
from .text_seg_dataset import TextSegDataset


def slice_case(name: str) -> str:
    """``coronacases_001_042.png`` -> ``coronacases_001`` (the case of a slice)."""
    return osp.splitext(name)[0].rsplit('_', 1)[0]


@DATASETS.register_module()
class CTSliceDataset(TextSegDataset):
    """CT slices converted from NIfTI volumes, without text.

    The converter's output (``tools/dataset_converters/ct_volumes_to_slices.py``)::

        data_root
        ├── images      # {case}_{idx:03d}.png, 8-bit, HU window scaled to 0-255
        └── masks       # {case}_{idx:03d}.png, 0 / 255

    Image and mask pair by identical file name (case-insensitive). The
    converter writes no split: pass ``cases`` (case names, e.g.
    ``['coronacases_001', 'radiopaedia_4_85506_1']``) to keep the slices of
    those cases, so that splits go by patient, never by slice. Every record
    has ``text=''`` and ``case``.

    Args:
        split: recorded only (``'train'``, ``'val'``, ``'test'``).
        cases: case names to keep; ``None`` keeps every slice.
        img_dir, mask_dir: folder names under ``data_root``.
        kwargs: passed to :class:`TextSegDataset` (``data_root``, ``pipeline``...).
    """

    def __init__(self, split: str = 'train', cases: Sequence[str] | None = None,
                 img_dir: str = 'images', mask_dir: str = 'masks',
                 require_text: bool = False, **kwargs) -> None:
        self.cases = None if cases is None else [str(c) for c in cases]
        self.img_dir = img_dir
        self.mask_dir = mask_dir
        super().__init__(split=split, require_text=require_text, **kwargs)

    def load_records(self) -> list[dict]:
        root = self.data_root or ''
        img_dir = osp.join(root, self.img_dir)
        mask_dir = osp.join(root, self.mask_dir)
        images = index_files(img_dir)
        masks = index_files(mask_dir)
        wanted = None if self.cases is None else {c.lower() for c in self.cases}
        if wanted is not None:
            found = {slice_case(name).lower() for name in images.values()}
            missing = sorted(c for c in self.cases if c.lower() not in found)
            if missing:
                raise FileNotFoundError(
                    f'{type(self).__name__}: no slices of case(s) {missing} in {img_dir}')
        records = []
        for key, name in images.items():
            case = slice_case(name)
            if wanted is not None and case.lower() not in wanted:
                continue
            if key not in masks:
                raise FileNotFoundError(
                    f'{type(self).__name__}: image {osp.join(img_dir, name)} has no mask '
                    f'"{name}" in {mask_dir}')
            records.append({
                'img_path': osp.join(img_dir, name),
                'seg_map_path': osp.join(mask_dir, masks[key]),
                'text': '',
                'case': case})
        return records
