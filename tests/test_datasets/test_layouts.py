"""Dataset readers for every public layout, on tiny fixtures built in tmp_path."""
from __future__ import annotations

import json
import os.path as osp
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

import vlseg  # noqa: F401  (applies the stack fixes before mmseg is imported)
from vlseg.datasets import (
    BKAIPolypDataset,
    COVIDCTDataset,
    CTSliceDataset,
    KvasirSEGDataset,
    MosMedDataPlusDataset,
    QaTaCOV19Dataset,
    TextSegDataset,
)
from vlseg.registry import DATASETS

CAP_A = 'unilateral pulmonary infection, one infected area, lower right lung.'
CAP_B = 'bilateral pulmonary infection, two infected areas, upper left lung and upper right lung.'


def png(path: Path, value: int = 0, ext: str = '') -> Path:
    """Write an 8x8 single-channel image (``ext`` overrides the suffix)."""
    path = path.with_suffix(ext) if ext else path
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full((8, 8), value, np.uint8))
    return path


def build(cls, root: Path, **kwargs) -> TextSegDataset:
    return cls(data_root=str(root), pipeline=[], lazy_init=False, **kwargs)


def names(dataset: TextSegDataset, key: str = 'img_path') -> list[str]:
    return [osp.basename(dataset.get_data_info(i)[key]) for i in range(len(dataset))]


def texts(dataset: TextSegDataset) -> dict[str, str]:
    return {osp.basename(dataset.get_data_info(i)['img_path']): dataset.get_data_info(i)['text']
            for i in range(len(dataset))}


# ----------------------------------------------------------------------------- registry
def test_registered():
    for name in ('QaTaCOV19Dataset', 'MosMedDataPlusDataset', 'KvasirSEGDataset',
                 'BKAIPolypDataset', 'COVIDCTDataset', 'CTSliceDataset'):
        assert issubclass(DATASETS.get(name), TextSegDataset)


# ----------------------------------------------------------------------------- SGSeg
def make_sgseg(root: Path, drop_caption: str | None = None,
               orphan_entry: bool = False) -> Path:
    ann = {}
    for split, stems in (('train', ['covid_1', 'covid_2']), ('valid', ['covid_3']),
                         ('test', ['Sub-S01_dx'])):
        entries = []
        for i, stem in enumerate(stems):
            png(root / 'images' / split / 'images' / f'{stem}.png', 10)
            png(root / 'images' / split / 'masks' / f'mask_{stem}.png', 255)
            if stem == drop_caption:
                continue
            entries.append({'image_path': f'mask_{stem}.png'.lower() if split == 'test'
                            else f'mask_{stem}.png',
                            'caption': CAP_B if i else CAP_A, 'pulmonary_infection': 1 + i,
                            'infected_area': 1 + i, 'pseudo_label': [0, 0, 0, 0, 0, 1 + i]})
        ann[split] = entries
    if orphan_entry:
        ann['train'].append({'image_path': 'mask_covid_99.png', 'caption': CAP_A,
                             'pseudo_label': [0] * 6})
    (root / 'prompts').mkdir(parents=True, exist_ok=True)
    (root / 'prompts' / 'annotation.json').write_text(json.dumps(ann))
    return root


def test_qata_sgseg_records(tmp_path):
    root = make_sgseg(tmp_path / 'qata')
    train = build(QaTaCOV19Dataset, root, layout='sgseg', split='train')
    assert names(train) == ['covid_1.png', 'covid_2.png']
    assert names(train, 'seg_map_path') == ['mask_covid_1.png', 'mask_covid_2.png']
    info = train.get_data_info(1)
    assert info['img_path'] == str(root / 'images' / 'train' / 'images' / 'covid_2.png')
    assert info['text'] == CAP_B
    assert info['pseudo_label'] == [0, 0, 0, 0, 0, 2]
    assert info['infected_area'] == 2 and info['pulmonary_infection'] == 2
    assert 'image_path' not in info and 'caption' not in info
    # 'val' is an alias of SGSeg's 'valid'.
    for split in ('val', 'valid'):
        val = build(QaTaCOV19Dataset, root, layout='sgseg', split=split)
        assert names(val) == ['covid_3.png'] and val.get_data_info(0)['text'] == CAP_A
    # Entry names match the files case-insensitively.
    test = build(QaTaCOV19Dataset, root, layout='sgseg', split='test')
    assert names(test) == ['Sub-S01_dx.png'] and test.get_data_info(0)['text'] == CAP_A


def test_qata_sgseg_missing_caption_names_image(tmp_path):
    root = make_sgseg(tmp_path / 'qata', drop_caption='covid_2')
    with pytest.raises(ValueError, match=r'covid_2\.png.*caption'):
        build(QaTaCOV19Dataset, root, layout='sgseg', split='train')
    # Text-free use is still possible.
    data = build(QaTaCOV19Dataset, root, layout='sgseg', split='train', require_text=False)
    assert texts(data) == {'covid_1.png': CAP_A, 'covid_2.png': ''}


def test_qata_sgseg_entry_without_image_raises(tmp_path):
    root = make_sgseg(tmp_path / 'qata', orphan_entry=True)
    with pytest.raises(FileNotFoundError, match=r'mask_covid_99\.png.*covid_99\.png'):
        build(QaTaCOV19Dataset, root, layout='sgseg', split='train')


def test_qata_bad_arguments(tmp_path):
    root = make_sgseg(tmp_path / 'qata')
    with pytest.raises(ValueError, match='layout'):
        build(QaTaCOV19Dataset, root, layout='kaggle')
    with pytest.raises(ValueError, match='unknown split'):
        build(QaTaCOV19Dataset, root, layout='sgseg', split='dev')


# ----------------------------------------------------------------------------- LViT
def make_lvit(root: Path, mask_style: str = 'prefix', folder_sep: str = ' ',
              rows: dict | None = None) -> Path:
    """LViT layout; rows: split -> {xlsx Image name: Description}."""
    stems = {'train': ['covid_1', 'covid_2'], 'val': ['covid_3'], 'test': ['covid_4']}
    default_rows = {}
    for split, split_stems in stems.items():
        folder = root / f'{split.capitalize()}{folder_sep}Folder'
        default_rows[split] = {}
        for i, stem in enumerate(split_stems):
            png(folder / 'img' / f'{stem}.png', 10)
            mask = f'mask_{stem}.png' if mask_style == 'prefix' else f'{stem}.png'
            png(folder / 'labelcol' / mask, 255)
            default_rows[split][mask] = CAP_B if i else CAP_A
    rows = rows or default_rows
    for split, split_rows in rows.items():
        folder = root / f'{split.capitalize()}{folder_sep}Folder'
        frame = pd.DataFrame({'Image': list(split_rows), 'Description': list(split_rows.values())})
        frame.to_excel(folder / f'{split.capitalize()}_text.xlsx', index=False)
    return root


@pytest.mark.parametrize('folder_sep', [' ', '_'])
def test_qata_lvit_records(tmp_path, folder_sep):
    root = make_lvit(tmp_path / 'qata', folder_sep=folder_sep)
    train = build(QaTaCOV19Dataset, root, layout='lvit', split='train')
    assert names(train) == ['covid_1.png', 'covid_2.png']
    assert names(train, 'seg_map_path') == ['mask_covid_1.png', 'mask_covid_2.png']
    assert texts(train) == {'covid_1.png': CAP_A, 'covid_2.png': CAP_B}
    folder = root / f'Train{folder_sep}Folder'
    assert train.get_data_info(0)['img_path'] == str(folder / 'img' / 'covid_1.png')
    assert train.get_data_info(0)['seg_map_path'] == str(folder / 'labelcol' / 'mask_covid_1.png')
    val = build(QaTaCOV19Dataset, root, layout='lvit', split='valid')
    assert names(val) == ['covid_3.png']
    test = build(QaTaCOV19Dataset, root, layout='lvit', split='test')
    assert texts(test) == {'covid_4.png': CAP_A}


def test_qata_lvit_case_insensitive_and_image_keyed_rows(tmp_path):
    # LViT's own test text names files with other capitals; rows may also be keyed
    # by the image name rather than the mask name.
    rows = {'train': {'MASK_COVID_1.PNG': 'Unilateral pulmonary infection, one infected area, '
                                          'lower right lung.',
                      'Covid_2.png': CAP_B},
            'val': {'mask_covid_3.png': CAP_A}, 'test': {'mask_covid_4.png': CAP_A}}
    root = make_lvit(tmp_path / 'qata', rows=rows)
    train = build(QaTaCOV19Dataset, root, layout='lvit', split='train')
    assert texts(train)['covid_1.png'].startswith('Unilateral')
    assert texts(train)['covid_2.png'] == CAP_B


def test_qata_lvit_missing_caption_and_missing_image(tmp_path):
    rows = {'train': {'mask_covid_1.png': CAP_A}, 'val': {'mask_covid_3.png': CAP_A},
            'test': {'mask_covid_4.png': CAP_A, 'mask_covid_77.png': CAP_B}}
    root = make_lvit(tmp_path / 'qata', rows=rows)
    with pytest.raises(ValueError, match=r'covid_2\.png.*caption'):
        build(QaTaCOV19Dataset, root, layout='lvit', split='train')
    with pytest.raises(FileNotFoundError, match=r'mask_covid_77\.png.*covid_77\.png'):
        build(QaTaCOV19Dataset, root, layout='lvit', split='test')


def test_qata_lvit_joint_train_val_text(tmp_path):
    # LViT's train_model.py reads QaTa train and val captions from
    # Train_Folder/Train_Val_text.xlsx; rows of the other split are expected there.
    root = make_lvit(tmp_path / 'qata', folder_sep='_', rows={'test': {'mask_covid_4.png': CAP_A}})
    joint = {'mask_covid_1.png': CAP_A, 'mask_covid_2.png': CAP_B, 'mask_covid_3.png': CAP_B}
    pd.DataFrame({'Image': list(joint), 'Description': list(joint.values())}).to_excel(
        root / 'Train_Folder' / 'Train_Val_text.xlsx', index=False)
    assert len(build(QaTaCOV19Dataset, root, layout='lvit', split='train')) == 2
    val = build(QaTaCOV19Dataset, root, layout='lvit', split='val')
    assert texts(val) == {'covid_3.png': CAP_B}


def test_qata_lvit_missing_mask_raises(tmp_path):
    root = make_lvit(tmp_path / 'qata')
    (root / 'Train Folder' / 'labelcol' / 'mask_covid_2.png').unlink()
    with pytest.raises(FileNotFoundError, match=r'no mask for image .*covid_2\.png'):
        build(QaTaCOV19Dataset, root, layout='lvit', split='train')


def test_mosmeddata_lvit_layout_same_name_masks(tmp_path):
    root = make_lvit(tmp_path / 'mosmed', mask_style='same')
    train = build(MosMedDataPlusDataset, root, split='train')
    assert names(train) == names(train, 'seg_map_path') == ['covid_1.png', 'covid_2.png']
    assert texts(train) == {'covid_1.png': CAP_A, 'covid_2.png': CAP_B}
    assert len(build(MosMedDataPlusDataset, root, split='test')) == 1


def test_mosmeddata_errors(tmp_path):
    rows = {'train': {'covid_1.png': CAP_A, 'covid_2.png': CAP_B, 'ghost.png': CAP_A},
            'val': {'covid_3.png': CAP_A}, 'test': {}}
    root = make_lvit(tmp_path / 'mosmed', mask_style='same', rows=rows)
    with pytest.raises(FileNotFoundError, match=r'ghost\.png'):
        build(MosMedDataPlusDataset, root, split='train')
    with pytest.raises(ValueError, match=r'covid_4\.png.*caption'):
        build(MosMedDataPlusDataset, root, split='test')


# ----------------------------------------------------------------------------- LanGuideMedSeg
def make_languide(root: Path, n_train: int = 10, extra_image: bool = False,
                  ghost_row: bool = False) -> Path:
    train_rows, test_rows = [], []
    for i in range(n_train):
        png(root / 'Train' / 'Images' / f'covid_{i}.png', 10)
        png(root / 'Train' / 'GTs' / f'mask_covid_{i}.png', 255)
        train_rows.append((f'mask_covid_{i}.png', f'{CAP_A} #{i}'))
    for i in range(2):
        png(root / 'Test' / 'Images' / f'test_{i}.png', 10)
        png(root / 'Test' / 'GTs' / f'mask_test_{i}.png', 255)
        test_rows.append((f'mask_test_{i}.png', CAP_B))
    if extra_image:
        png(root / 'Test' / 'Images' / 'uncaptioned.png', 10)
        png(root / 'Test' / 'GTs' / 'mask_uncaptioned.png', 255)
    if ghost_row:
        test_rows.append(('mask_ghost.png', CAP_B))
    (root / 'prompt').mkdir(parents=True, exist_ok=True)
    for name, rows in (('train', train_rows), ('test', test_rows)):
        pd.DataFrame(rows, columns=['Image', 'Description']).to_csv(
            root / 'prompt' / f'{name}.csv', index=False)
    return root


def test_qata_languide_split_reproduces_row_order_cut(tmp_path):
    root = make_languide(tmp_path / 'v2', n_train=10)
    train = build(QaTaCOV19Dataset, root, layout='languide', split='train')
    val = build(QaTaCOV19Dataset, root, layout='languide', split='val')
    # LanGuideMedSeg: rows[:int(0.8 * N)] train, rows[int(0.8 * N):] valid, csv order.
    assert names(train) == [f'covid_{i}.png' for i in range(8)]
    assert names(val) == ['covid_8.png', 'covid_9.png']
    assert val.get_data_info(0)['text'] == f'{CAP_A} #8'
    assert val.get_data_info(0)['seg_map_path'] == str(root / 'Train' / 'GTs' / 'mask_covid_8.png')
    test = build(QaTaCOV19Dataset, root, layout='languide', split='test')
    assert names(test) == ['test_0.png', 'test_1.png']
    odd = build(QaTaCOV19Dataset, root, layout='languide', split='train', train_fraction=0.5)
    assert len(odd) == 5


def test_qata_languide_errors(tmp_path):
    root = make_languide(tmp_path / 'a', extra_image=True)
    with pytest.raises(ValueError, match=r'uncaptioned\.png.*caption'):
        build(QaTaCOV19Dataset, root, layout='languide', split='test')
    assert len(build(QaTaCOV19Dataset, root, layout='languide', split='test',
                     require_text=False)) == 2
    root = make_languide(tmp_path / 'b', ghost_row=True)
    with pytest.raises(FileNotFoundError, match=r'mask_ghost\.png.*ghost\.png'):
        build(QaTaCOV19Dataset, root, layout='languide', split='test')


# ----------------------------------------------------------------------------- medvlsm polyps
def make_medvlsm(root: Path, ext: str = '.jpg', missing_image: bool = False) -> Path:
    def entry(stem: str, shape: str) -> dict:
        return {'bbox': [0, 0, 4, 4], 'cat': 0, 'segment_id': stem,
                'img_name': f'{stem}{ext}', 'mask_name': f'{stem}{ext}',
                'prompts': {'p0': '', 'p1': 'polyp', 'p2': f'{shape} polyp',
                            'p6': f'one small pink {shape} polyp, located in {stem}',
                            'p7': [f'{shape} polyp variant {k}' for k in range(5)]}}

    splits = {'train': ['a1', 'a2'], 'val': ['b1'], 'test': ['c1']}
    (root / 'anns').mkdir(parents=True, exist_ok=True)
    for split, stems in splits.items():
        for stem in stems:
            png(root / 'images' / stem, 120, ext=ext)
            png(root / 'masks' / stem, 250, ext=ext)  # JPEG masks are not exactly 0/255
        entries = [entry(s, 'round' if i == 0 else 'oval') for i, s in enumerate(stems)]
        if missing_image and split == 'test':
            entries.append(entry('ghost', 'round'))
        (root / 'anns' / f'{split}.json').write_text(json.dumps(entries))
    return root


@pytest.mark.parametrize(('cls', 'ext'), [(KvasirSEGDataset, '.jpg'),
                                          (BKAIPolypDataset, '.jpeg')])
def test_polyp_prompts(tmp_path, cls, ext):
    root = make_medvlsm(tmp_path / 'polyp', ext=ext)
    default = build(cls, root, split='train')
    # The polyp datasets default to p6 (count, size, colour, shape, location).
    assert texts(default) == {f'a1{ext}': 'one small pink round polyp, located in a1',
                              f'a2{ext}': 'one small pink oval polyp, located in a2'}
    info = default.get_data_info(0)
    assert info['prompt_key'] == 'p6' and info['bbox'] == [0, 0, 4, 4]
    assert info['seg_map_path'] == str(root / 'masks' / f'a1{ext}')
    assert set(info['prompts']) == {'p0', 'p1', 'p2', 'p6', 'p7'}
    # p0 is empty in medvlsm's files: prompt_key=None takes the first non-empty prompt.
    first = build(cls, root, split='train', prompt_key=None)
    assert texts(first) == {f'a1{ext}': 'polyp', f'a2{ext}': 'polyp'}
    assert first.get_data_info(0)['prompt_key'] == 'p1'
    p2 = build(cls, root, split='train', prompt_key='P2')
    assert texts(p2) == {f'a1{ext}': 'round polyp', f'a2{ext}': 'oval polyp'}
    p7 = build(cls, root, split='train', prompt_key='p7', prompt_index=3)
    assert texts(p7)[f'a2{ext}'] == 'oval polyp variant 3'
    assert texts(build(cls, root, split='train', prompt_key='p7'))[f'a1{ext}'] == \
        'round polyp variant 0'
    assert names(build(cls, root, split='valid')) == [f'b1{ext}']
    # The empty prompt needs require_text=False.
    with pytest.raises(ValueError, match=rf'a1{ext}.*caption'):
        build(cls, root, split='train', prompt_key='p0')
    assert set(texts(build(cls, root, split='train', prompt_key='p0',
                           require_text=False)).values()) == {''}


def test_polyp_errors(tmp_path):
    root = make_medvlsm(tmp_path / 'polyp', missing_image=True)
    with pytest.raises(FileNotFoundError, match=r'ghost\.jpg'):
        build(KvasirSEGDataset, root, split='test')
    with pytest.raises(KeyError, match=r'a1\.jpg.*p9'):
        build(KvasirSEGDataset, root, split='train', prompt_key='p9')
    with pytest.raises(IndexError, match='prompt_index'):
        build(KvasirSEGDataset, root, split='train', prompt_key='p7', prompt_index=5)
    (root / 'masks' / 'a2.jpg').unlink()
    with pytest.raises(FileNotFoundError, match=r'no mask "a2\.jpg"'):
        build(KvasirSEGDataset, root, split='train')


# ----------------------------------------------------------------------------- Inf-Net COVID CT
def make_covid_ct(root: Path, edges: bool = True) -> Path:
    train = root / 'Dataset' / 'TrainingSet' / 'LungInfection-Train' / 'Doctor-label'
    test = root / 'Dataset' / 'TestingSet' / 'LungInfection-Test'
    for stem in ('0', '2', '10'):
        png(train / 'Imgs' / stem, 50, ext='.jpg')
        png(train / 'GT' / stem, 255, ext='.png')
        if edges:
            png(train / 'Edge' / stem, 255, ext='.png')
    for stem in ('18', '6'):
        png(test / 'Imgs' / stem, 50, ext='.jpg')
        png(test / 'GT' / stem, 255, ext='.png')
    return root


def test_covid_ct_records(tmp_path):
    root = make_covid_ct(tmp_path / 'ct')
    train = build(COVIDCTDataset, root, split='train')
    assert names(train) == ['0.jpg', '2.jpg', '10.jpg']
    assert names(train, 'seg_map_path') == ['0.png', '2.png', '10.png']
    edge_dir = root / 'Dataset' / 'TrainingSet' / 'LungInfection-Train' / 'Doctor-label' / 'Edge'
    assert train.get_data_info(2)['edge_path'] == str(edge_dir / '10.png')
    assert set(texts(train).values()) == {''}
    test = build(COVIDCTDataset, root, split='test')
    assert names(test) == ['6.jpg', '18.jpg']
    assert 'edge_path' not in test.get_data_info(0)
    assert names(build(COVIDCTDataset, root, split='val')) == ['6.jpg', '18.jpg']
    # data_root may be the Dataset folder itself.
    assert len(build(COVIDCTDataset, root / 'Dataset', split='train')) == 3


def test_covid_ct_without_edges_and_errors(tmp_path):
    root = make_covid_ct(tmp_path / 'ct', edges=False)
    train = build(COVIDCTDataset, root, split='train')
    assert 'edge_path' not in train.get_data_info(0)
    gt = root / 'Dataset' / 'TrainingSet' / 'LungInfection-Train' / 'Doctor-label' / 'GT'
    (gt / '2.png').unlink()
    with pytest.raises(FileNotFoundError, match=r'2\.jpg has no mask'):
        build(COVIDCTDataset, root, split='train')
    png(gt / '2', 255, ext='.png')
    png(gt / '99', 255, ext='.png')
    with pytest.raises(FileNotFoundError, match=r'99\.png has no image'):
        build(COVIDCTDataset, root, split='train')


# ----------------------------------------------------------------------------- CT slices
def test_ct_slice_dataset(tmp_path):
    root = tmp_path / 'slices'
    for name in ('coronacases_001_010.png', 'coronacases_001_011.png', 'radiopaedia_4_1_005.png'):
        png(root / 'images' / name, 10)
        png(root / 'masks' / name, 255)
    data = build(CTSliceDataset, root)
    assert len(data) == 3 and data.get_data_info(0)['case'] == 'coronacases_001'
    assert data.get_data_info(0)['text'] == ''
    one = build(CTSliceDataset, root, cases=['radiopaedia_4_1'])
    assert names(one) == ['radiopaedia_4_1_005.png']
    with pytest.raises(FileNotFoundError, match='nope'):
        build(CTSliceDataset, root, cases=['nope'])
    (root / 'masks' / 'coronacases_001_011.png').unlink()
    with pytest.raises(FileNotFoundError, match=r'coronacases_001_011\.png has no mask'):
        build(CTSliceDataset, root)


# ----------------------------------------------------------------------------- real data
def test_real_qata_sgseg(shared_data):
    root = shared_data / 'qata_cov19'
    for split, size in (('train', 2000), ('val', 400), ('test', 300)):
        data = build(QaTaCOV19Dataset, root, layout='sgseg', split=split)
        assert len(data) == size
        infos = [data.get_data_info(i) for i in range(len(data))]
        assert all(info['text'].strip() for info in infos)
        assert all(len(info['pseudo_label']) == 6 for info in infos)
        assert all(osp.basename(info['seg_map_path']) == 'mask_' + osp.basename(info['img_path'])
                   for info in infos)


def test_real_covid_ct(shared_data):
    root = shared_data / 'covid_ct'
    train = build(COVIDCTDataset, root, split='train')
    test = build(COVIDCTDataset, root, split='test')
    assert (len(train), len(test)) == (50, 48)
    assert all(osp.isfile(train.get_data_info(i)['edge_path']) for i in range(len(train)))


def test_corrupt_annotation_json_names_the_file(tmp_path):
    from vlseg.datasets.layout_utils import entry_field, load_json

    bad = tmp_path / 'annotation.json'
    bad.write_text('{"train": [')
    with pytest.raises(ValueError, match='annotation.json'):
        load_json(str(bad))
    with pytest.raises(KeyError, match=r'annotation.json: record 3 has no field "caption"'):
        entry_field({'image_path': 'x'}, 'caption', str(bad), 3)
