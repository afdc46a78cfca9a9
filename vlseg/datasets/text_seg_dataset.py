"""Base class of every vlseg 2D dataset: binary lesion masks with a caption each."""
from __future__ import annotations

import os.path as osp

from mmseg.datasets import BaseSegDataset

from vlseg.registry import DATASETS


@DATASETS.register_module()
class TextSegDataset(BaseSegDataset):
    """A binary segmentation dataset whose every sample carries its caption.

    Subclasses read one public layout in :meth:`load_records` and return one
    dict per sample with ``img_path``, ``seg_map_path`` and ``text`` (the raw
    caption, ``''`` where the dataset has no text); extra keys (e.g. SGSeg's
    ``pseudo_label``) travel along to the pipeline. The caption is kept raw:
    text transforms derive tokens, lesion vectors or location labels from it.

    Args:
        split: which split of the layout to read (``'train'``, ``'val'``, ``'test'``).
        require_text: raise, naming the image, when a sample has no caption or
            an empty one. Datasets without text set it to ``False``.
        kwargs: passed to :class:`mmseg.datasets.BaseSegDataset` (``data_root``,
            ``pipeline``, ``test_mode``, ``indices``...).
    """

    METAINFO = dict(classes=('background', 'lesion'), palette=[[0, 0, 0], [255, 0, 0]])

    def __init__(self, split: str = 'train', require_text: bool = True, **kwargs) -> None:
        self.split = split
        self.require_text = require_text
        kwargs.setdefault('reduce_zero_label', False)
        super().__init__(**kwargs)

    def load_records(self) -> list[dict]:
        """Return one dict per sample: ``img_path``, ``seg_map_path``, ``text``."""
        raise NotImplementedError(f'{type(self).__name__} must implement load_records()')

    def load_data_list(self) -> list[dict]:
        records = self.load_records()
        if not records:
            raise FileNotFoundError(
                f'{type(self).__name__}: no samples found for split "{self.split}" under '
                f'data_root "{self.data_root}"')
        data_list, missing = [], []
        for record in records:
            text = record.get('text')
            if self.require_text and (not isinstance(text, str) or not text.strip()):
                missing.append(f'  {record["img_path"]}: '
                               f'{"no" if text is None else "an empty"} caption')
                continue
            info = dict(record)
            info['text'] = '' if text is None else str(text)
            info.setdefault('label_map', self.label_map)
            info.setdefault('reduce_zero_label', self.reduce_zero_label)
            info.setdefault('seg_fields', [])
            data_list.append(info)
        if missing:
            # Every sample without a caption at once, so one pass fixes the annotation.
            raise ValueError(
                f'{type(self).__name__}: {len(missing)} sample(s) of split "{self.split}" '
                'have no caption (field "text"); this dataset requires one for every '
                'image. Fix the annotation, or set require_text=False for text-free use:\n'
                + '\n'.join(missing))
        return data_list

    def _path(self, *parts: str) -> str:
        """Join ``parts`` under ``data_root``."""
        return osp.join(self.data_root or '', *parts)
