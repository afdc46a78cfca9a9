"""Readers shared by the dataset classes: case-insensitive file look-up, caption
tables (xlsx / csv), JSON annotations, split names, and LViT's folder layout
(used by QaTa-COV19 and MosMedData+). Every error names the file it is about.
"""
from __future__ import annotations

import json
import os
import os.path as osp
from collections.abc import Iterable, Sequence
from typing import Any

from mmengine.logging import print_log

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


def load_json(path: str, owner: str = 'dataset') -> Any:
    """Read a JSON annotation file; a missing or malformed file is an error naming it."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{owner}: annotation file not found: {path}')
    try:
        with open(path, encoding='utf-8') as file:
            return json.load(file)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f'{owner}: cannot parse annotation file {path}: {error}') from error


def entry_field(entry: Any, key: str, path: str, index: int) -> Any:
    """``entry[key]`` of record ``index`` of annotation file ``path``, or an error naming both."""
    if not isinstance(entry, dict) or key not in entry:
        raise KeyError(f'{path}: record {index} has no field "{key}": {entry!r:.200}')
    return entry[key]


class AnnotationFileError(ValueError):
    """An annotation file cannot be read, or is not of a kind vlseg reads."""


def read_annotation_records(path: str, split: str | None = None,
                            require_caption_key: bool = True
                            ) -> list[tuple[str, str, Any, Any]]:
    """``(split, image name, caption, pseudo_label)`` records of an annotation file.

    Reads SGSeg's ``prompts/annotation.json`` (``{split: [{image_path, caption, ...,
    pseudo_label}]}``, every split unless ``split``; a top-level list of records has
    split ``''``) or a caption table (LViT's ``*_text.xlsx``, a ``.csv`` with ``Image``
    and ``Description``: split ``''``, no pseudo_label). Captions and labels are
    returned as stored (``None`` or NaN where missing), for the tools that check
    them (``tools/misc/check_captions.py``, ``tools/dataset_converters/
    location_pseudo_labels.py``).

    Args:
        path: the annotation file.
        split: one split of an annotation.json.
        require_caption_key: a json record without a ``caption`` key is an error
            (otherwise its caption is ``None``).

    Raises:
        AnnotationFileError: naming the file (and the record) that cannot be read.
    """
    if not osp.isfile(path):
        raise AnnotationFileError(f'cannot read {path}: no such file')
    suffix = osp.splitext(path)[1].lower()
    if suffix in ('.xlsx', '.xls', '.csv'):
        if split is not None:
            raise AnnotationFileError(f'--split applies to annotation.json only, not to {path}')
        try:
            rows = read_caption_table(path)
        except Exception as e:  # any reader failure means unreadable
            raise AnnotationFileError(f'cannot read {path}: {e}') from e
        return [('', name, caption, None) for name, caption in rows]
    if suffix != '.json':
        raise AnnotationFileError(
            f'unknown annotation file {path}: expected .json, .xlsx, .xls or .csv')
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise AnnotationFileError(f'cannot read {path}: {e}') from e
    if isinstance(data, list):
        if split is not None:
            raise AnnotationFileError(f'{path} has no splits, --split {split} does not apply')
        groups = [('', data)]
    elif isinstance(data, dict):
        if split is not None and split not in data:
            raise AnnotationFileError(
                f'{path} has no split {split!r} (splits: {", ".join(map(str, data))})')
        groups = [(split, data[split])] if split is not None else list(data.items())
    else:
        raise AnnotationFileError(f'{path} is not an annotation file: expected an object of '
                                  'splits or a list of records')
    records = []
    for split_name, group in groups:
        if not isinstance(group, list):
            raise AnnotationFileError(
                f'{path} is not an annotation file: split {split_name!r} is not a list')
        for i, rec in enumerate(group):
            if not isinstance(rec, dict) or (require_caption_key and 'caption' not in rec):
                raise AnnotationFileError(f'{path} is not an annotation file: record {i} of '
                                          f'split {split_name!r} has no caption')
            name = str(rec.get('image_path', rec.get('image', f'#{i}')))
            records.append((str(split_name), name, rec.get('caption'), rec.get('pseudo_label')))
    return records
