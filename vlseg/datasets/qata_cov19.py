"""QaTa-COV19 chest X-rays with per-image captions, in the three public layouts."""
from __future__ import annotations

import os.path as osp

from vlseg.registry import DATASETS

from .layout_utils import (
    MASK_PREFIX,
    check_rows_matched,
    entry_field,
    find_dir,
    index_files,
    load_json,
    normalize_split,
    read_caption_table,
    read_lvit_split,
    strip_mask_prefix,
)
from .text_seg_dataset import TextSegDataset


@DATASETS.register_module()
class QaTaCOV19Dataset(TextSegDataset):
    """QaTa-COV19 chest X-rays with infection masks and one caption each.

    Images: QaTa-COV19-v2 (Qatar University / Tampere University, on Kaggle);
    text: LViT's annotation (HUANGLIZI/LViT), or SGSeg's refined version of it.
    Masks are 0/255; the loading transform binarises them. Three public
    layouts are read (names are matched case-insensitively everywhere).

    ``layout='sgseg'`` (ShuchangYe-bib/SGSeg ``data/QaTa``; splits ``train``,
    ``valid``, ``test``, and ``val`` is accepted for ``valid``)::

        data_root
        ├── images
        │   ├── train
        │   │   ├── images          # X.png
        │   │   └── masks           # mask_X.png
        │   ├── valid   (images, masks)
        │   └── test    (images, masks)
        └── prompts
            └── annotation.json     # {split: [{image_path: "mask_X.png", caption,
                                    #   pulmonary_infection, infected_area, pseudo_label}]}

    Every image of the split is a record; its annotation entry is the one whose
    ``image_path`` is ``mask_<image name>``. The entry's other fields
    (``pseudo_label``: SGSeg's 6 location labels, ``pulmonary_infection``,
    ``infected_area``) are carried into the record.

    ``layout='lvit'`` (HUANGLIZI/LViT): see :func:`read_lvit_split`::

        data_root
        ├── Train Folder   (Train_text.xlsx, img/X.png, labelcol/mask_X.png)
        ├── Val Folder     (Val_text.xlsx, img, labelcol)
        └── Test Folder    (Test_text.xlsx, img, labelcol)

    ``layout='languide'`` (Junelin2333/LanGuideMedSeg-MICCAI2023,
    ``utils/dataset.py`` and ``config/training.yaml``)::

        data_root                   # QaTa-COV19-v2
        ├── Train
        │   ├── Images              # X.png
        │   └── GTs                 # mask_X.png
        ├── Test    (Images, GTs)
        └── prompt
            ├── train.csv           # Image (mask_X.png), Description
            └── test.csv

    LanGuideMedSeg has no validation folder: it splits ``train.csv`` by row
    order, the first ``int(0.8 * N)`` rows for training and the rest for
    validation (no shuffling). ``split='train'`` / ``'val'`` reproduce that
    (``train_fraction`` sets the 0.8); ``'test'`` reads ``test.csv``. Each row
    is a record (image ``Images/<Image without mask_>``, mask ``GTs/<Image>``);
    an image of the folder that no row of the csv names raises when
    ``require_text`` is set.

    In every layout an image without a caption raises (naming it), and so does
    a caption row or entry whose image file does not exist (naming the file).

    Args:
        layout: ``'sgseg'``, ``'lvit'`` or ``'languide'``.
        split: ``'train'``, ``'val'`` (alias ``'valid'``) or ``'test'``.
        text_file: ``lvit`` only: caption file instead of ``<Split>_text.xlsx``,
            relative to the split folder or absolute.
        train_fraction: ``languide`` only: share of ``train.csv`` rows, in file
            order, that form the training split; the rest is validation.
        kwargs: passed to :class:`TextSegDataset` (``data_root``, ``pipeline``,
            ``require_text``, ``lazy_init``...).
    """

    LAYOUTS = ('sgseg', 'lvit', 'languide')

    def __init__(self, layout: str = 'sgseg', split: str = 'train',
                 text_file: str | None = None, train_fraction: float = 0.8,
                 **kwargs) -> None:
        if layout not in self.LAYOUTS:
            raise ValueError(f'QaTaCOV19Dataset: layout must be one of {self.LAYOUTS}, '
                             f'got "{layout}"')
        if not 0.0 < train_fraction < 1.0:
            raise ValueError(f'train_fraction must lie in (0, 1), got {train_fraction}')
        self.layout = layout
        self.text_file = text_file
        self.train_fraction = train_fraction
        super().__init__(split=split, **kwargs)

    def load_records(self) -> list[dict]:
        root = self.data_root or ''
        owner = f'{type(self).__name__}({self.layout})'
        if self.layout == 'lvit':
            return read_lvit_split(root, self.split, self.text_file, owner)
        if self.layout == 'languide':
            return self._load_languide(root, owner)
        return self._load_sgseg(root, owner)

    def _load_sgseg(self, root: str, owner: str) -> list[dict]:
        split = {'train': 'train', 'val': 'valid', 'test': 'test'}[
            normalize_split(self.split, owner)]
        img_dir = osp.join(root, 'images', split, 'images')
        mask_dir = osp.join(root, 'images', split, 'masks')
        ann_path = osp.join(root, 'prompts', 'annotation.json')
        annotation = load_json(ann_path, owner)
        if not isinstance(annotation, dict) or split not in annotation:
            raise KeyError(f'{owner}: {ann_path} has no split "{split}" '
                           f'(it has {sorted(annotation) if isinstance(annotation, dict) else []})')
        entries: dict[str, dict] = {}
        for index, entry in enumerate(annotation[split]):
            name = str(entry_field(entry, 'image_path', ann_path, index)).strip()
            entries[osp.basename(name).lower()] = entry
        images = index_files(img_dir)
        masks = index_files(mask_dir)

        records = []
        known: set[str] = set()
        for key, image_name in images.items():
            mask_name = masks.get((MASK_PREFIX + image_name).lower()) or masks.get(key)
            if mask_name is None:
                raise FileNotFoundError(
                    f'{owner}: no mask "{MASK_PREFIX + image_name}" for image '
                    f'{osp.join(img_dir, image_name)} in {mask_dir}')
            known.update((key, mask_name.lower()))
            entry = entries.get(mask_name.lower()) or entries.get(key) or {}
            record = {k: v for k, v in entry.items() if k not in ('image_path', 'caption')}
            caption = entry.get('caption')
            record.update(
                img_path=osp.join(img_dir, image_name),
                seg_map_path=osp.join(mask_dir, mask_name),
                text=caption.strip() if isinstance(caption, str) else None)
            records.append(record)
        captions = {k: (str(e['image_path']), e.get('caption')) for k, e in entries.items()}
        check_rows_matched(captions, known, f'{ann_path} [{split}]', img_dir,
                           expected=strip_mask_prefix)
        return records

    def _load_languide(self, root: str, owner: str) -> list[dict]:
        split = normalize_split(self.split, owner)
        folder = find_dir(root, ('Test',) if split == 'test' else ('Train',),
                          f'{owner} image folder')
        img_dir = find_dir(folder, ('Images',), f'{owner} image folder')
        mask_dir = find_dir(folder, ('GTs',), f'{owner} mask folder')
        csv_path = osp.join(find_dir(root, ('prompt',), f'{owner} prompt folder'),
                            'test.csv' if split == 'test' else 'train.csv')
        if not osp.isfile(csv_path):
            raise FileNotFoundError(f'{owner}: caption file not found: {csv_path}')
        rows = read_caption_table(csv_path)
        images = index_files(img_dir)
        masks = index_files(mask_dir)

        if self.require_text:
            named = {strip_mask_prefix(name).lower() for name, _ in rows}
            for key, image_name in images.items():
                if key not in named:
                    raise ValueError(
                        f'{owner}: image {osp.join(img_dir, image_name)} has no caption row '
                        f'in {csv_path}; every image requires one (set require_text=False '
                        'to ignore images without a caption)')

        if split != 'test':
            cut = int(self.train_fraction * len(rows))
            rows = rows[:cut] if split == 'train' else rows[cut:]
        records = []
        for name, text in rows:
            image_name = images.get(strip_mask_prefix(name).lower())
            if image_name is None:
                raise FileNotFoundError(
                    f'{csv_path}: caption row "{name}" has no image '
                    f'"{strip_mask_prefix(name)}" in {img_dir} (names are matched '
                    'case-insensitively)')
            mask_name = (masks.get(name.lower())
                         or masks.get((MASK_PREFIX + strip_mask_prefix(name)).lower()))
            if mask_name is None:
                raise FileNotFoundError(
                    f'{csv_path}: caption row "{name}" has no mask "{name}" in {mask_dir}')
            records.append({
                'img_path': osp.join(img_dir, image_name),
                'seg_map_path': osp.join(mask_dir, mask_name),
                'text': text})
        return records
