"""3D CT volumes with infection masks, one NIfTI file per case, in two layouts."""
from __future__ import annotations

import csv
import os
import os.path as osp
import re
from collections.abc import Sequence
from typing import Optional

from vlseg.registry import DATASETS

from .layout_utils import load_json, normalize_split
from .text_seg_dataset import TextSegDataset
from .transforms.volume import NIFTI_EXTENSIONS

#: Extra words of the scan names in the COVID-19-CT-Seg release (``coronacases_org_001``,
#: ``radiopaedia_org_covid-19-pneumonia-4_85506_1-dcm``) that the mask names lack.
_RELEASE_WORDS = re.compile(r'_org(?=[_-]|$)|covid-19-pneumonia-|-dcm$')


def case_name(path: str) -> str:
    """File name without ``.nii`` / ``.nii.gz``."""
    name = osp.basename(path)
    for extension in NIFTI_EXTENSIONS:
        if name.lower().endswith(extension):
            return name[:-len(extension)]
    return osp.splitext(name)[0]


def case_key(name: str) -> str:
    """Case name with the release's extra words dropped, lower case
    (``coronacases_org_001`` -> ``coronacases_001``)."""
    return _RELEASE_WORDS.sub('', name.lower())


def find_mask(image_path: str, masks: Sequence[str]) -> str:
    """The mask volume of ``image_path`` among ``masks``: the same case name, else the
    same :func:`case_key` (``coronacases_org_001`` <-> ``coronacases_001``)."""
    name = case_name(image_path)
    exact = [m for m in masks if case_name(m) == name]
    if len(exact) == 1:
        return exact[0]
    key = case_key(name)
    loose = [m for m in masks if case_key(case_name(m)) == key]
    if len(loose) == 1:
        return loose[0]
    if not loose:
        raise FileNotFoundError(
            f'no mask volume for {image_path}: expected "{name}.nii(.gz)" or, without the '
            f'release words, "{key}.nii(.gz)" in the mask folder')
    raise ValueError(f'several mask volumes match {image_path}: {sorted(loose)}')


def nifti_files(folder: str) -> list[str]:
    """The NIfTI files of ``folder``, sorted."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'folder not found: {folder}')
    return [osp.join(folder, name) for name in sorted(os.listdir(folder))
            if name.lower().endswith(NIFTI_EXTENSIONS) and not name.startswith('.')]


@DATASETS.register_module()
class CTVolumeDataset(TextSegDataset):
    """CT volumes and their infection masks, as NIfTI files (no text).

    Layouts (``layout``):

    - ``'covid19_ct_seg'``, the COVID-19-CT-Seg release (Ma et al., Zenodo 3757476),
      as the 3D RA-UNet paper uses it: ``data_root/ct_scans/*.nii[.gz]`` and
      ``data_root/infection_mask/*.nii[.gz]``, one file per case, paired by case name
      (:func:`find_mask`: ``coronacases_org_001`` pairs with ``coronacases_001``); a
      record's ``case`` is the name without the release's extra words. The release
      has no split: ``cases`` lists the cases of this split (``None``: all).
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
        images = {case_key(case_name(path)): path for path in nifti_files(image_dir)}
        masks = nifti_files(mask_dir)
        wanted = sorted(images) if cases is None else [case_key(c) for c in cases]
        records = []
        for key in wanted:
            if key not in images:
                raise FileNotFoundError(f'CTVolumeDataset: no volume for case "{key}" in '
                                        f'{image_dir}')
            case_runs = runs.get(key)
            records.append(dict(img_path=images[key], seg_map_path=find_mask(images[key], masks),
                                case=key,
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
