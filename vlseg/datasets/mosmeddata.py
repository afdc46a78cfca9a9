"""MosMedData+ CT slices with LViT's captions, in LViT's layout."""
from __future__ import annotations

from vlseg.registry import DATASETS

from .layout_utils import read_lvit_split
from .text_seg_dataset import TextSegDataset


@DATASETS.register_module()
class MosMedDataPlusDataset(TextSegDataset):
    """MosMedData+ lung-infection CT slices (2,729) with one caption each.

    Slices and masks: MosMedData+ (MosMed COVID-19 CT data and the
    medicalsegmentation.com set, as 2D slices); captions and the train / val /
    test split: LViT (HUANGLIZI/LViT, "MosMedData+" text annotations; test has
    273 slices). The layout is the same as LViT's QaTa-COV19 and is read by
    :func:`vlseg.datasets.qata_cov19.read_lvit_split`::

        data_root                       # MosMedDataPlus
        ├── Train Folder (or Train_Folder)
        │   ├── Train_text.xlsx         # columns Image (mask file name), Description
        │   ├── img                     # X.png
        │   └── labelcol                # X.png (the QaTa style mask_X.png is accepted too)
        ├── Val Folder
        │   ├── Val_text.xlsx
        │   ├── img
        │   └── labelcol
        └── Test Folder
            ├── Test_text.xlsx
            ├── img
            └── labelcol

    Captions are matched to images by file name, case-insensitively (the row
    of the mask's name, else of the image's name). An image without a caption
    raises naming it, and so does a caption row whose image is missing. Masks
    may hold 0/255 or 0/1: the loading transform binarises them.

    Args:
        split: ``'train'``, ``'val'`` (alias ``'valid'``) or ``'test'``.
        text_file: caption file instead of ``<Split>_text.xlsx``, relative to
            the split folder or absolute.
        kwargs: passed to :class:`TextSegDataset` (``data_root``, ``pipeline``...).
    """

    def __init__(self, split: str = 'train', text_file: str | None = None,
                 **kwargs) -> None:
        self.text_file = text_file
        super().__init__(split=split, **kwargs)

    def load_records(self) -> list[dict]:
        return read_lvit_split(self.data_root or '', self.split, self.text_file,
                               owner=type(self).__name__)
