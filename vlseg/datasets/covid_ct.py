"""COVID-19 CT lung-infection slices in Inf-Net's release layout (no text)."""
from __future__ import annotations

import os.path as osp

from vlseg.registry import DATASETS

from .layout_utils import index_files, normalize_split
from .text_seg_dataset import TextSegDataset


def _by_stem(index: dict[str, str]) -> dict[str, str]:
    """Re-key a :func:`index_files` index by lower-cased stem."""
    out: dict[str, str] = {}
    for name in index.values():
        stem = osp.splitext(name)[0].lower()
        if stem in out:
            raise ValueError(f'two files share the stem "{stem}": {out[stem]}, {name}')
        out[stem] = name
    return out


@DATASETS.register_module()
class COVIDCTDataset(TextSegDataset):
    """The 100-slice COVID-19 CT segmentation set as released by Inf-Net.

    Slices from the medicalsegmentation.com COVID-19 CT segmentation dataset,
    split by Inf-Net (DengPingFan/Inf-Net, ``Dataset/``): 50 training and 48
    test slices (two slices are left out), JPG images, binary PNG masks, and
    Inf-Net's edge maps for training::

        data_root
        └── Dataset
            ├── TrainingSet
            │   └── LungInfection-Train
            │       └── Doctor-label
            │           ├── Imgs        # 0.jpg ...
            │           ├── GT          # 0.png ...
            │           └── Edge        # 0.png ... (edge maps of GT)
            └── TestingSet
                └── LungInfection-Test
                    ├── Imgs            # 18.jpg ...
                    └── GT              # 18.png ...

    ``data_root`` may also be the ``Dataset`` folder itself. Images and masks
    pair by file stem, case-insensitively (Inf-Net pairs the two sorted lists,
    which is the same for this release); an image without a mask, or a mask
    without an image, raises naming the file. When the ``Edge`` folder exists
    (training), each record also has ``edge_path``. There is no text: every
    record has ``text=''`` and ``require_text`` defaults to ``False``. The
    multi-class masks (``MultiClassInfection-*``) are not read.

    Inf-Net has no validation split; ``split='val'`` reads the test slices, so
    that a config's validation loop can run on them.

    Args:
        split: ``'train'`` or ``'test'`` (``'val'``: the test slices).
        label_source: folder under ``LungInfection-Train`` that holds the
            training labels: ``'Doctor-label'`` (default) or another label
            set laid out the same way (e.g. Inf-Net's semi-supervised pseudo
            labels).
        kwargs: passed to :class:`TextSegDataset` (``data_root``, ``pipeline``...).
    """

    def __init__(self, split: str = 'train', label_source: str = 'Doctor-label',
                 require_text: bool = False, **kwargs) -> None:
        self.label_source = label_source
        super().__init__(split=split, require_text=require_text, **kwargs)

    def _split_dir(self) -> str:
        root = self.data_root or ''
        if not osp.isdir(osp.join(root, 'Dataset')) and osp.isdir(osp.join(root, 'TrainingSet')):
            base = root
        else:
            base = osp.join(root, 'Dataset')
        if normalize_split(self.split, type(self).__name__) == 'train':
            return osp.join(base, 'TrainingSet', 'LungInfection-Train', self.label_source)
        return osp.join(base, 'TestingSet', 'LungInfection-Test')

    def load_records(self) -> list[dict]:
        folder = self._split_dir()
        img_dir = osp.join(folder, 'Imgs')
        gt_dir = osp.join(folder, 'GT')
        edge_dir = osp.join(folder, 'Edge')
        images = _by_stem(index_files(img_dir))
        gts = _by_stem(index_files(gt_dir, ('.png',)))
        edges = _by_stem(index_files(edge_dir, ('.png',))) if osp.isdir(edge_dir) else None

        for stem, gt in gts.items():
            if stem not in images:
                raise FileNotFoundError(
                    f'{type(self).__name__}: mask {osp.join(gt_dir, gt)} has no image '
                    f'"{stem}.*" in {img_dir}')
        records = []
        for stem, image in sorted(images.items(), key=lambda kv: _natural_key(kv[0])):
            img_path = osp.join(img_dir, image)
            if stem not in gts:
                raise FileNotFoundError(
                    f'{type(self).__name__}: image {img_path} has no mask "{stem}.png" '
                    f'in {gt_dir}')
            record = {'img_path': img_path, 'seg_map_path': osp.join(gt_dir, gts[stem]), 'text': ''}
            if edges is not None:
                if stem not in edges:
                    raise FileNotFoundError(
                        f'{type(self).__name__}: image {img_path} has no edge map '
                        f'"{stem}.png" in {edge_dir}')
                record['edge_path'] = osp.join(edge_dir, edges[stem])
            records.append(record)
        return records


def _natural_key(stem: str) -> tuple:
    """Order ``2`` before ``10`` (Inf-Net's slices are numbered)."""
    return (0, int(stem), '') if stem.isdigit() else (1, 0, stem)
