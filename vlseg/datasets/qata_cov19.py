"""QaTa-COV19 chest X-rays with per-image captions, in the three public layouts.

Besides :class:`QaTaCOV19Dataset`, this module holds the small readers shared by
the other text datasets: a case-insensitive file index, a caption-table reader
(xlsx / csv) and :func:`read_lvit_split`, the reader of LViT's folder layout
(also used by :class:`vlseg.datasets.MosMedDataPlusDataset`).
"""
from __future__ import annotations

import json
import os
import os.path as osp
from collections.abc import Iterable, Sequence

from mmengine.logging import print_log

from vlseg.registry import DATASETS

from .text_seg_dataset import TextSegDataset

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')
MASK_PREFIX = 'mask_'

# Split names a config may use, and the canonical name each maps to.
_SPLIT_ALIASES = {
    'train': 'train',
    'val': 'val', 'valid': 'val', 'validation': 'val',
    'test': 'test',
}


def normalize_split(split: str, owner: str = 'dataset') -> str:
    """Map ``split`` to ``'train'``, ``'val'`` or ``'test'`` (``'valid'`` means ``'val'``)."""
    key = str(split).strip().lower()
    if key not in _SPLIT_ALIASES:
        raise ValueError(
            f'{owner}: unknown split "{split}"; use one of "train", "val" (alias "valid") '
            'or "test"')
    return _SPLIT_ALIASES[key]


def index_files(folder: str, extensions: Sequence[str] = IMG_EXTENSIONS) -> dict[str, str]:
    """Map each lower-cased file name in ``folder`` to its real name.

    Only files ending in one of ``extensions`` (case-insensitive) count; hidden
    files (``.DS_Store``) are skipped. Two names differing only in case raise,
    since every look-up here is case-insensitive.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'folder not found: {folder}')
    suffixes = tuple(ext.lower() for ext in extensions)
    index: dict[str, str] = {}
    for name in sorted(os.listdir(folder)):
        if name.startswith('.') or not name.lower().endswith(suffixes):
            continue
        if not osp.isfile(osp.join(folder, name)):
            continue
        key = name.lower()
        if key in index:
            raise ValueError(
                f'{folder} holds "{index[key]}" and "{name}", which differ only in case; '
                'file names are matched case-insensitively, so one must go')
        index[key] = name
    return index


def find_dir(parent: str, candidates: Iterable[str], what: str) -> str:
    """Return the first of ``candidates`` that is a folder under ``parent``.

    Exact names are tried first, then a case-insensitive match, so that both
    ``Train Folder`` and ``Train_Folder`` (or ``img`` and ``Img``) are found.
    """
    candidates = list(candidates)
    for name in candidates:
        path = osp.join(parent, name)
        if osp.isdir(path):
            return path
    if osp.isdir(parent):
        wanted = {c.lower() for c in candidates}
        for name in sorted(os.listdir(parent)):
            if name.lower() in wanted and osp.isdir(osp.join(parent, name)):
                return osp.join(parent, name)
    raise FileNotFoundError(
        f'{what} not found under {parent}: looked for '
        + ', '.join(f'"{c}"' for c in candidates))


def strip_mask_prefix(name: str) -> str:
    """``mask_X.png`` -> ``X.png`` (only a leading ``mask_``, any case)."""
    return name[len(MASK_PREFIX):] if name.lower().startswith(MASK_PREFIX) else name


_NAME_COLUMNS = ('image', 'path', 'image_path', 'img_name', 'name')
_TEXT_COLUMNS = ('description', 'text', 'caption', 'prompt')


def read_caption_table(path: str) -> list[tuple[str, str | None]]:
    """Read ``(file name, caption)`` rows from an LViT-style xlsx or csv.

    LViT's ``*_text.xlsx`` and LanGuideMedSeg's ``prompt/*.csv`` both have the
    columns ``Image`` (the mask's file name) and ``Description``; older
    LanGuideMedSeg csvs name them ``path`` and ``text``. Column names are
    matched case-insensitively. Rows without a file name are skipped; an empty
    caption is returned as ``None`` (the dataset then raises for that image).
    Row order is kept.
    """
    import pandas as pd

    ext = osp.splitext(path)[1].lower()
    if ext in ('.xlsx', '.xls'):
        frame = pd.read_excel(path)
    elif ext == '.csv':
        frame = pd.read_csv(path)
    else:
        raise ValueError(f'caption table must be .xlsx, .xls or .csv: {path}')
    columns = {str(c).strip().lower(): c for c in frame.columns}
    name_col = next((columns[c] for c in _NAME_COLUMNS if c in columns), None)
    text_col = next((columns[c] for c in _TEXT_COLUMNS if c in columns), None)
    if name_col is None or text_col is None:
        raise ValueError(
            f'{path}: expected an image-name column ({"/".join(_NAME_COLUMNS)}) and a '
            f'caption column ({"/".join(_TEXT_COLUMNS)}), found {list(frame.columns)}')
    rows: list[tuple[str, str | None]] = []
    for name, text in zip(frame[name_col].tolist(), frame[text_col].tolist()):
        if not isinstance(name, str) or not name.strip():
            continue
        caption = text.strip() if isinstance(text, str) and text.strip() else None
        rows.append((name.strip(), caption))
    return rows


def caption_map(rows: Iterable[tuple[str, str | None]],
                source: str) -> dict[str, tuple[str, str | None]]:
    """Key caption rows by lower-cased file name.

    A repeated name with the same caption is ignored; with a different caption
    the last row wins (as LViT's own ``read_text`` dict does) and a warning
    names it.
    """
    out: dict[str, tuple[str, str | None]] = {}
    for name, text in rows:
        key = name.lower()
        if key in out and out[key][1] != text:
            print_log(
                f'{source}: "{name}" has more than one caption; using the last one',
                logger='current', level=30)
        out[key] = (name, text)
    return out


def check_rows_matched(captions: dict[str, tuple[str, str | None]], known: set[str],
                       source: str, folder: str, expected=None) -> None:
    """Raise for the first caption row whose file is not among ``known`` keys.

    Args:
        captions: rows from :func:`caption_map`.
        known: lower-cased names that exist (images and their masks).
        source: the caption file, for the message.
        folder: the image folder, for the message.
        expected: optional ``name -> image name`` to name the missing image.
    """
    for key, (name, _) in captions.items():
        if key not in known:
            image = expected(name) if expected else name
            raise FileNotFoundError(
                f'{source}: caption row "{name}" has no image "{image}" in {folder} '
                '(names are matched case-insensitively)')


# --------------------------------------------------------------------------- LViT layout
LVIT_SPLIT_FOLDERS = {
    'train': ('Train Folder', 'Train_Folder'),
    'val': ('Val Folder', 'Val_Folder'),
    'test': ('Test Folder', 'Test_Folder'),
}
LVIT_TEXT_FILES = {
    'train': ('Train_text.xlsx', 'Train_text.csv'),
    'val': ('Val_text.xlsx', 'Val_text.csv'),
    'test': ('Test_text.xlsx', 'Test_text.csv'),
}
# LViT's train_model.py reads QaTa's train and val captions from one file here.
LVIT_JOINT_TEXT = osp.join('Train_Folder', 'Train_Val_text.xlsx')


def lvit_mask_candidates(image_name: str) -> list[str]:
    """Mask names LViT pairs with ``image_name`` (first match wins).

    QaTa-COV19 in LViT: image ``X.png`` <-> mask ``mask_X.png`` (LViT's Covid19
    branch: ``image = mask.replace('mask_', '')``). MoNuSeg and MosMedData+:
    the mask has the image's stem with ``.png`` (``mask = image[:-3] + 'png'``).
    """
    stem = osp.splitext(image_name)[0]
    return [MASK_PREFIX + image_name, MASK_PREFIX + stem + '.png', image_name, stem + '.png']


def read_lvit_split(root: str, split: str, text_file: str | None = None,
                    owner: str = 'LViT layout') -> list[dict]:
    """Records of one split of LViT's layout (QaTa-COV19, MosMedData+, MoNuSeg).

    Layout (HUANGLIZI/LViT README "Format Preparation" writes ``Train_Folder``;
    copies in circulation also write ``Train Folder``, with a space; both are
    accepted, and so are other capitals)::

        root
        ├── Train Folder / Train_Folder
        │   ├── Train_text.xlsx     # columns Image (mask file name), Description
        │   ├── img                 # X.png
        │   └── labelcol            # mask_X.png (QaTa) or X.png (MosMedData+)
        ├── Val Folder   (Val_text.xlsx, img, labelcol)
        └── Test Folder  (Test_text.xlsx, img, labelcol)

    Every image in ``img`` becomes a record; its mask is the first existing of
    :func:`lvit_mask_candidates`. Its caption is the row keyed by the mask's
    name (as LViT's loader looks it up), else by the image's name, both
    case-insensitively; an image without a row gets ``text=None`` (the dataset
    raises, naming it). A caption row naming no image of the split raises.
    When the split's own text file is absent, train and val fall back to
    ``Train_Folder/Train_Val_text.xlsx`` (LViT's training script reads both
    splits from it); rows of the other split are then expected and allowed.

    Args:
        root: the dataset folder (``data_root``).
        split: ``'train'``, ``'val'`` or ``'test'``.
        text_file: caption file to use instead, relative to the split folder
            or absolute.
        owner: name used in error messages.
    """
    split = normalize_split(split, owner)
    folder = find_dir(root, LVIT_SPLIT_FOLDERS[split], f'{owner} {split} folder')
    img_dir = find_dir(folder, ('img',), f'{owner} image folder')
    mask_dir = find_dir(folder, ('labelcol',), f'{owner} mask folder')
    images = index_files(img_dir)
    masks = index_files(mask_dir)

    strict_rows = True
    if text_file is not None:
        text_path = text_file if osp.isabs(text_file) else osp.join(folder, text_file)
        if not osp.isfile(text_path):
            raise FileNotFoundError(f'{owner}: caption file not found: {text_path}')
    else:
        text_path = next((osp.join(folder, n) for n in LVIT_TEXT_FILES[split]
                          if osp.isfile(osp.join(folder, n))), None)
        if text_path is None and split in ('train', 'val'):
            joint = [osp.join(root, LVIT_JOINT_TEXT),
                     osp.join(root, LVIT_JOINT_TEXT.replace('_Folder', ' Folder'))]
            text_path = next((p for p in joint if osp.isfile(p)), None)
            strict_rows = False
        if text_path is None:
            raise FileNotFoundError(
                f'{owner}: no caption file for split "{split}" in {folder} (expected '
                f'{LVIT_TEXT_FILES[split][0]})')
    captions = caption_map(read_caption_table(text_path), text_path)

    records = []
    known: set[str] = set()
    for key, image_name in images.items():
        mask_name = next((masks[c.lower()] for c in lvit_mask_candidates(image_name)
                          if c.lower() in masks), None)
        if mask_name is None:
            raise FileNotFoundError(
                f'{owner}: no mask for image {osp.join(img_dir, image_name)} in {mask_dir} '
                f'(tried {", ".join(lvit_mask_candidates(image_name))})')
        known.update((key, mask_name.lower()))
        row = captions.get(mask_name.lower()) or captions.get(key)
        records.append({
            'img_path': osp.join(img_dir, image_name),
            'seg_map_path': osp.join(mask_dir, mask_name),
            'text': row[1] if row else None})
    if strict_rows:
        check_rows_matched(captions, known, text_path, img_dir, expected=strip_mask_prefix)
    return records


# --------------------------------------------------------------------------- dataset
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
        if not osp.isfile(ann_path):
            raise FileNotFoundError(f'{owner}: annotation file not found: {ann_path}')
        with open(ann_path, encoding='utf-8') as f:
            annotation = json.load(f)
        if split not in annotation:
            raise KeyError(f'{owner}: {ann_path} has no split "{split}" '
                           f'(it has {sorted(annotation)})')
        entries: dict[str, dict] = {}
        for entry in annotation[split]:
            name = str(entry['image_path']).strip()
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
