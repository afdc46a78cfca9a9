"""Polyp datasets (Kvasir-SEG, BKAI-IGH NeoPolyp) with medvlsm's prompts."""
from __future__ import annotations

import os.path as osp
from typing import Any

from vlseg.registry import DATASETS

from .layout_utils import entry_field, find_dir, index_files, load_json
from .text_seg_dataset import TextSegDataset

_SPLIT_FILES = {'valid': 'val', 'validation': 'val'}

#: Default caption of the polyp datasets: medvlsm's ``p6``, the one prompt of its
#: release that is a single string giving count, size, colour, shape and location
#: together, e.g. "two small white round polyp, located in top right, bottom right of
#: the image" (Kvasir ``anns/train.json``), the form of TMCA's polyp example. ``p1``
#: (the first non-empty prompt) is "polyp" for every image: one caption for the whole
#: dataset, which leaves the image-to-text half of a contrastive loss constant.
POLYP_PROMPT_KEY = 'p6'


@DATASETS.register_module()
class MedVLSMDataset(TextSegDataset):
    """A dataset in medvlsm's layout (naamiinepal/medvlsm, ``DATASETS.MD``).

    ::

        data_root                   # e.g. data/kvasir_polyp
        ├── anns
        │   ├── train.json
        │   ├── val.json
        │   └── test.json
        ├── images                  # the images of every split
        └── masks                   # named as each entry's "mask_name"

    Each ``anns/<split>.json`` is a list of entries ``{"img_name", "mask_name",
    "bbox", "prompts": {"p0": ..., "p9": ...}, ...}``. In medvlsm's release
    ``p0`` is the empty prompt, ``p1``-``p6`` are strings growing from "polyp"
    (the same for every image) by shape (``p2``), colour (``p3``), size (``p4``),
    count (``p5``) and location (``p6``: "one small pink round polyp, located in
    right of the image"), and ``p7``-``p9`` are lists of five variants adding a
    definition of a polyp (``p7``: to "polyp" alone; ``p8``: to ``p5``; ``p9``: to
    ``p6``; medvlsm draws one at random per step).

    The caption is ``prompts[prompt_key]`` (the key matched case-insensitively,
    so ``'P4'`` works); where that prompt is a list, its item ``prompt_index``
    is taken, so the caption is deterministic. With ``prompt_key=None`` the
    first prompt of the entry, in file order, that is not empty is used (``p1``
    in medvlsm's files, since ``p0`` is empty there); to train on the empty
    prompt, pass ``prompt_key='p0', require_text=False``. The whole ``prompts``
    dict, the chosen ``prompt_key`` and ``bbox`` travel with the record, so a
    transform may draw other prompts at training time.

    Entries are records in file order. An entry whose image or mask file is
    missing raises naming the file; an entry without the chosen prompt raises
    naming its image. Masks may be JPEG (Kvasir-SEG, BKAI): they are binarised
    by the loading transform, not here.

    Args:
        split: name of the annotation file: ``'train'``, ``'val'`` (alias
            ``'valid'``), ``'test'``, or another file of ``anns/``.
        prompt_key: which prompt is the caption (``'p0'``...``'p9'``); ``None``:
            the first non-empty one.
        prompt_index: item to take where the prompt is a list.
        ann_dir, img_dir, mask_dir: folder names under ``data_root``.
        kwargs: passed to :class:`TextSegDataset` (``data_root``, ``pipeline``...).
    """

    def __init__(self, split: str = 'train', prompt_key: str | None = None,
                 prompt_index: int = 0, ann_dir: str = 'anns', img_dir: str = 'images',
                 mask_dir: str = 'masks', **kwargs) -> None:
        self.prompt_key = prompt_key
        self.prompt_index = prompt_index
        self.ann_dir = ann_dir
        self.img_dir = img_dir
        self.mask_dir = mask_dir
        super().__init__(split=split, **kwargs)

    def _pick(self, value: Any, image: str, key: str) -> str | None:
        if isinstance(value, (list, tuple)):
            if not value:
                return None
            if not -len(value) <= self.prompt_index < len(value):
                raise IndexError(
                    f'{type(self).__name__}: prompt "{key}" of image {image} has '
                    f'{len(value)} items, prompt_index={self.prompt_index} is out of range')
            value = value[self.prompt_index]
        if value is None:
            return None
        text = str(value).strip()
        return text or None

    def select_prompt(self, prompts: dict, image: str) -> tuple[str | None, str | None]:
        """Return ``(key, caption)`` chosen from one entry's ``prompts``."""
        if self.prompt_key is None:
            for key, value in prompts.items():
                text = self._pick(value, image, key)
                if text:
                    return key, text
            return None, None
        keys = {str(k).lower(): k for k in prompts}
        key = keys.get(str(self.prompt_key).lower())
        if key is None:
            raise KeyError(
                f'{type(self).__name__}: image {image} has no prompt "{self.prompt_key}" '
                f'(it has {list(prompts)})')
        return key, self._pick(prompts[key], image, key)

    def load_records(self) -> list[dict]:
        root = self.data_root or ''
        name = _SPLIT_FILES.get(str(self.split).lower(), self.split)
        ann_path = osp.join(root, self.ann_dir, f'{name}.json')
        entries = load_json(ann_path, type(self).__name__)
        if not isinstance(entries, list):
            raise ValueError(f'{ann_path}: expected a list of entries (medvlsm format)')
        img_dir = find_dir(root, (self.img_dir,), f'{type(self).__name__} image folder')
        mask_dir = find_dir(root, (self.mask_dir,), f'{type(self).__name__} mask folder')
        images = index_files(img_dir)
        masks = index_files(mask_dir)

        records = []
        for index, entry in enumerate(entries):
            img_name = str(entry_field(entry, 'img_name', ann_path, index)).strip()
            mask_name = str(entry.get('mask_name') or img_name).strip()
            image = images.get(img_name.lower())
            if image is None:
                raise FileNotFoundError(
                    f'{ann_path}: entry "{img_name}" has no image "{img_name}" in {img_dir}')
            mask = masks.get(mask_name.lower())
            if mask is None:
                raise FileNotFoundError(
                    f'{ann_path}: entry "{img_name}" has no mask "{mask_name}" in {mask_dir}')
            img_path = osp.join(img_dir, image)
            prompts = dict(entry.get('prompts') or {})
            key, text = self.select_prompt(prompts, img_path)
            record = {
                'img_path': img_path,
                'seg_map_path': osp.join(mask_dir, mask),
                'text': text,
                'prompt_key': key,
                'prompts': prompts}
            if 'bbox' in entry:
                record['bbox'] = entry['bbox']
            records.append(record)
        return records


@DATASETS.register_module()
class KvasirSEGDataset(MedVLSMDataset):
    """Kvasir-SEG polyps (1,000 images, Simula) with medvlsm's prompts.

    medvlsm's ``data/kvasir_polyp`` (naamiinepal/medvlsm)::

        data_root                   # kvasir_polyp
        ├── anns
        │   ├── train.json          # [{img_name: "cju2rqo702wpx0855fn7d5cxh.jpg",
        │   ├── val.json            #   mask_name: "cju2rqo702wpx0855fn7d5cxh.jpg",
        │   └── test.json           #   bbox, prompts: {p0: "", p1: "polyp", ...}}]
        ├── images                  # *.jpg
        └── masks                   # *.jpg (JPEG masks; binarised on loading)

    The caption defaults to ``p6`` (see :data:`POLYP_PROMPT_KEY`), not the first
    non-empty prompt; ``prompt_key=None`` restores that. See :class:`MedVLSMDataset`
    for the other arguments.
    """

    def __init__(self, *args, prompt_key: str | None = POLYP_PROMPT_KEY, **kwargs) -> None:
        super().__init__(*args, prompt_key=prompt_key, **kwargs)


@DATASETS.register_module()
class BKAIPolypDataset(MedVLSMDataset):
    """BKAI-IGH NeoPolyp polyps (Kaggle challenge) with medvlsm's prompts.

    medvlsm's ``data/bkai_polyp`` (naamiinepal/medvlsm)::

        data_root                   # bkai_polyp
        ├── anns
        │   ├── train.json          # [{img_name: "<hash>.jpeg", mask_name: "<hash>.jpeg",
        │   ├── val.json            #   bbox, prompts: {p0: "", p1: "polyp", ...}}]
        │   └── test.json
        ├── images                  # *.jpeg
        └── masks                   # *.jpeg, binary (0 / 255) after medvlsm's preparation

    The caption defaults to ``p6`` (see :data:`POLYP_PROMPT_KEY`), not the first
    non-empty prompt; ``prompt_key=None`` restores that. See :class:`MedVLSMDataset`
    for the other arguments.
    """

    def __init__(self, *args, prompt_key: str | None = POLYP_PROMPT_KEY, **kwargs) -> None:
        super().__init__(*args, prompt_key=prompt_key, **kwargs)
