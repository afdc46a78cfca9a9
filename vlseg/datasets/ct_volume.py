"""3D CT volumes with infection masks, one NIfTI file per case, in two layouts."""
from __future__ import annotations

import csv
import os
import os.path as osp
from collections.abc import Sequence
from typing import Optional

from vlseg.registry import DATASETS

from .layout_utils import load_json, normalize_split
from .text_seg_dataset import TextSegDataset
from .transforms.volume import NIFTI_EXTENSIONS


def case_name(filename: str) -> str:
    """``coronacases_001.nii.gz`` -> ``coronacases_001``."""
    name = osp.basename(filename)
    for extension in NIFTI_EXTENSIONS:
        if name.lower().endswith(extension):
            return name[:-len(extension)]
    return osp.splitext(name)[0]


def _nifti_files(folder: str) -> dict[str, str]:
    """Case name (lower case) -> file, for the NIfTI files of ``folder``."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'folder not found: {folder}')
    return {case_name(name).lower(): osp.join(folder, name) for name in sorted(os.listdir(folder))
            if name.lower().endswith(NIFTI_EXTENSIONS) and not name.startswith('.')}


def _mask_for(case: str, masks: dict[str, str]) -> Optional[str]:
    # The release names masks like the scans, sometimes with a prefix or suffix
    # (coronacases_org_001 / coronacases_001): the same case name, or one containing it.
    key = case.lower()
    if key in masks:
        return masks[key]
    stripped = key.replace('_org', '')
    matches = [path for name, path in masks.items() if name.replace('_org', '') == stripped]
    return matches[0] if len(matches) == 1 else None


@DATASETS.register_module()
class CTVolumeDataset(TextSegDataset):
    """CT volumes and their infection masks, as NIfTI files (no text).

    Layouts (``layout``):

    - ``'covid19_ct_seg'``, the COVID-19-CT-Seg release (Ma et al., Zenodo 3757476),
      as the 3D RA-UNet paper uses it: ``data_root/ct_scans/*.nii[.gz]`` and
      ``data_root/infection_mask/*.nii[.gz]``, one file per case, paired by case name
      (``coronacases_org_001`` pairs with ``coronacases_001``). The release has no
      split: ``cases`` lists the cases of this split (``None``: all).
    - ``'stacks'``, ../shared/data/covid_ct_volumes: ``images/case_XX.nii.gz``,
      ``masks/case_XX.nii.gz``, ``split.json`` (``train`` / ``test`` case lists; ``val``
      reads ``test``, there is no validation set) and ``runs.csv``, the stretches of
      consecutive slices (lesion-free slices were dropped between them).

    Each record: ``img_path``, ``seg_map_path``, ``case``, ``runs`` (``[(first, last)]``
    slice ranges, inclusive; ``None`` when the whole volume is contiguous) and
    ``text=''``. The masks are read and checked against their volume (shape, affine)
    by ``LoadNiftiMask``; the data preflight checks every pair before training.
    """

    def __init__(self, layout: str = 'covid19_ct_seg', split: str = 'train',
                 cases: Optional[Sequence[str]] = None, require_text: bool = False,
                 **kwargs) -> None:
        if layout not in ('covid19_ct_seg', 'stacks'):
            raise ValueError(f"CTVolumeDataset: layout must be 'covid19_ct_seg' or 'stacks', "
                             f'got {layout!r}')
        self.layout = layout
        self.cases = None if cases is None else [str(c) for c in cases]
        super().__init__(split=split, require_text=require_text, **kwargs)

    def load_records(self) -> list[dict]:
        if self.layout == 'covid19_ct_seg':
            return self._records(self._path('ct_scans'), self._path('infection_mask'),
                                 self.cases, {})
        split = normalize_split(self.split, 'CTVolumeDataset')
        listed = load_json(self._path('split.json'), 'CTVolumeDataset(stacks)')
        key = 'test' if split == 'val' else split
        if key not in listed:
            raise KeyError(f'CTVolumeDataset(stacks): {self._path("split.json")} has no split '
                           f'"{key}"')
        cases = self.cases if self.cases is not None else listed[key]
        return self._records(self._path('images'), self._path('masks'), cases,
                             self._runs(self._path('runs.csv')))

    def _records(self, image_dir: str, mask_dir: str, cases: Optional[Sequence[str]],
                 runs: dict[str, list[tuple[int, int]]]) -> list[dict]:
        images, masks = _nifti_files(image_dir), _nifti_files(mask_dir)
        wanted = sorted(images) if cases is None else [c.lower() for c in cases]
        records = []
        for key in wanted:
            if key not in images:
                raise FileNotFoundError(f'CTVolumeDataset: no volume for case "{key}" in '
                                        f'{image_dir}')
            mask = _mask_for(key, masks)
            if mask is None:
                raise FileNotFoundError(f'CTVolumeDataset: no infection mask for '
                                        f'{images[key]} in {mask_dir}')
            case = case_name(images[key])
            case_runs = runs.get(case.lower())
            records.append(dict(img_path=images[key], seg_map_path=mask, case=case,
                                runs=case_runs if case_runs and len(case_runs) > 1 else None,
                                text=''))
        return records

    @staticmethod
    def _runs(path: str) -> dict[str, list[tuple[int, int]]]:
        """Case (lower case) -> its runs of consecutive slices, from ``runs.csv``."""
        if not osp.isfile(path):
            return {}
        runs: dict[str, list[tuple[int, int]]] = {}
        with open(path, newline='') as file:
            for row in csv.DictReader(file):
                try:
                    span = (int(row['first_slice_index']), int(row['last_slice_index']))
                except (KeyError, ValueError) as error:
                    raise ValueError(f'{path}: row {row} has no valid first_slice_index / '
                                     f'last_slice_index ({error})') from None
                runs.setdefault(row['case'].lower(), []).append(span)
        return runs
