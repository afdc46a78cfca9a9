"""3D data path: NIfTI volumes in two layouts, transforms, per-volume Dice, preflight."""
import nibabel as nib
import numpy as np
import pytest
import torch

import vlseg  # noqa: F401
from vlseg.datasets import CTVolumeDataset
from vlseg.datasets.preflight import check_dataset
from vlseg.datasets.transforms import (
    LoadNiftiMask,
    LoadNiftiVolume,
    NormalizeCTIntensity,
    RandVolumePatchCrop,
)
from vlseg.evaluation import VolumeDiceMetric

AFFINE = np.diag([0.7, 0.7, 5.0, 1.0])


def save(path, array, affine=AFFINE):
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(array, affine), str(path))
    return str(path)


def test_release_layout_pairs_scans_with_masks_by_case(tmp_path):
    for name, mask_name in (('coronacases_org_001', 'coronacases_001'),
                            ('radiopaedia_4_85506_1', 'radiopaedia_4_85506_1')):
        save(tmp_path / 'ct_scans' / f'{name}.nii', np.zeros((8, 8, 4), np.int16))
        save(tmp_path / 'infection_mask' / f'{mask_name}.nii.gz', np.zeros((8, 8, 4), np.uint8))
    data = CTVolumeDataset(data_root=str(tmp_path), cases=['coronacases_org_001'], pipeline=[])
    record = data.get_data_info(0)
    assert len(data) == 1 and record['case'] == 'coronacases_001'  # the release's words dropped
    assert record['seg_map_path'].endswith('infection_mask/coronacases_001.nii.gz')
    assert record['runs'] is None and record['text'] == ''
    assert len(CTVolumeDataset(data_root=str(tmp_path), pipeline=[])) == 2
    with pytest.raises(FileNotFoundError, match='case "nope"'):
        CTVolumeDataset(data_root=str(tmp_path), cases=['nope'], pipeline=[])


def test_stacks_layout_reads_split_and_runs(tmp_path):
    for case in ('case_01', 'case_02'):
        save(tmp_path / 'images' / f'{case}.nii.gz', np.zeros((8, 8, 6), np.uint8))
        save(tmp_path / 'masks' / f'{case}.nii.gz', np.zeros((8, 8, 6), np.uint8))
    (tmp_path / 'split.json').write_text('{"train": ["case_01"], "test": ["case_02"]}')
    (tmp_path / 'runs.csv').write_text(
        'case,run,first_slice_index,last_slice_index\n'
        'case_01,1,0,1\ncase_01,2,2,5\ncase_02,1,0,5\n')
    train = CTVolumeDataset(layout='stacks', data_root=str(tmp_path), pipeline=[])
    assert train.get_data_info(0)['runs'] == [(0, 1), (2, 5)]
    test = CTVolumeDataset(layout='stacks', split='test', data_root=str(tmp_path), pipeline=[])
    assert test.get_data_info(0)['case'] == 'case_02' and test.get_data_info(0)['runs'] is None
    val = CTVolumeDataset(layout='stacks', split='val', data_root=str(tmp_path), pipeline=[])
    assert val.get_data_info(0)['case'] == 'case_02'  # no validation set: val reads test


def test_mask_of_another_shape_or_affine_names_both_files(tmp_path):
    volume = save(tmp_path / 'v.nii.gz', np.zeros((8, 8, 4), np.int16))
    wrong_shape = save(tmp_path / 'm1.nii.gz', np.zeros((8, 8, 5), np.uint8))
    wrong_affine = save(tmp_path / 'm2.nii.gz', np.zeros((8, 8, 4), np.uint8), np.eye(4))
    results = LoadNiftiVolume()(dict(img_path=volume))
    with pytest.raises(ValueError, match=r'm1\.nii\.gz.*\(8, 8, 5\).*v\.nii\.gz'):
        LoadNiftiMask()(dict(results, seg_map_path=wrong_shape))
    with pytest.raises(ValueError, match=r'm2\.nii\.gz and its volume .*v\.nii\.gz.*affines'):
        LoadNiftiMask()(dict(results, seg_map_path=wrong_affine))
    text = tmp_path / 'notes.txt'
    text.write_text('hello')
    with pytest.raises(ValueError, match=r'notes\.txt is not a NIfTI file'):
        LoadNiftiVolume()(dict(img_path=str(text)))
    broken = tmp_path / 'broken.nii.gz'
    broken.write_bytes(b'\x1f\x8b not really gzip')
    with pytest.raises(ValueError, match=r'cannot read volume .*broken\.nii\.gz'):
        LoadNiftiVolume()(dict(img_path=str(broken)))


def test_preflight_reads_volume_headers(tmp_path):
    for case, mask_shape in (('a', (8, 8, 4)), ('b', (8, 8, 3))):
        save(tmp_path / 'ct_scans' / f'{case}.nii.gz', np.zeros((8, 8, 4), np.int16))
        save(tmp_path / 'infection_mask' / f'{case}.nii.gz', np.zeros(mask_shape, np.uint8))
    problems = check_dataset(CTVolumeDataset(data_root=str(tmp_path), pipeline=[]))
    assert len(problems) == 1 and problems[0].file.endswith('infection_mask/b.nii.gz')
    assert 'has shape (8, 8, 3) but its volume' in problems[0].reason


def test_hu_clipping_and_plain_normalisation():
    volume = np.array([[[-2000.0, -1000.0, 0.0, 1000.0, 3000.0]]], np.float32)
    hu = NormalizeCTIntensity((-1000, 1000))(dict(img=volume))['img']
    np.testing.assert_allclose(hu.ravel(), [0, 0, 0.5, 1, 1])
    stacks = NormalizeCTIntensity((0, 255))(dict(img=np.array([[[0.0, 51.0, 255.0]]])))['img']
    np.testing.assert_allclose(stacks.ravel(), [0, 0.2, 1])
    with pytest.raises(ValueError, match='low < high'):
        NormalizeCTIntensity((5, 5))
    # Radiopaedia's 8-bit volumes stand for [-1250, 250] HU: 0 -> -1250 (clipped to -1000,
    # 0.0), 85 -> -750 (0.125), 255 -> 250 (0.625); other cases are read as HU.
    release = NormalizeCTIntensity((-1000, 1000), stored_ranges={'radiopaedia': (-1250, 250)})
    stored = np.array([[[0.0, 85.0, 255.0]]], np.float32)
    mapped = release(dict(img=stored, case='radiopaedia_4_85506_1'))['img']
    np.testing.assert_allclose(mapped.ravel(), [0, 0.125, 0.625], atol=1e-6)
    as_hu = release(dict(img=stored, case='coronacases_001'))['img']
    np.testing.assert_allclose(as_hu.ravel(), [0.5, 0.5425, 0.6275], atol=1e-6)


def test_patches_stay_inside_one_run_and_small_volumes_are_padded():
    np.random.seed(0)
    # Slices 0-9 and 10-29 are two runs; the voxel value is the slice index.
    volume = np.broadcast_to(np.arange(30, dtype=np.float32), (20, 20, 30)).copy()
    mask = np.zeros((20, 20, 30), np.uint8)
    mask[5:8, 5:8, 20] = 1
    crop = RandVolumePatchCrop(patch_size=(16, 16, 8), lesion_ratio=0.0)
    for _ in range(50):
        out = crop(dict(img=volume, gt_seg_map=mask, runs=[(0, 9), (10, 29)]))
        slices = out['img'][0, 0]
        assert out['img'].shape == (16, 16, 8)
        assert (slices < 10).all() or (slices >= 10).all(), slices  # never across the gap
    centred = RandVolumePatchCrop(patch_size=(16, 16, 8), lesion_ratio=1.0)
    for _ in range(10):
        out = centred(dict(img=volume, gt_seg_map=mask, runs=[(0, 9), (10, 29)]))
        if out['patch_origin'][2] >= 10:  # the run that has the lesion
            assert out['gt_seg_map'].sum() == 9
    # Two lesion voxels far apart: every lesion-centred patch holds one (the centre is one
    # voxel, not a mix of their coordinates).
    sparse = np.zeros((40, 40, 40), np.uint8)
    sparse[2, 2, 2] = sparse[37, 37, 37] = 1
    tiny = RandVolumePatchCrop(patch_size=(4, 4, 4), lesion_ratio=1.0)
    assert all(tiny(dict(img=sparse.astype(np.float32), gt_seg_map=sparse))['gt_seg_map'].sum()
               == 1 for _ in range(50))
    # A run of 3 slices and a volume smaller than the patch in-plane: padded to the patch.
    small = crop(dict(img=np.ones((10, 12, 3), np.float32), gt_seg_map=np.ones((10, 12, 3),
                                                                              np.uint8)))
    assert small['img'].shape == (16, 16, 8) and small['gt_seg_map'].sum() == 10 * 12 * 3


def test_volume_dice_metric_by_hand(tmp_path):
    metric = VolumeDiceMetric(output_dir=str(tmp_path / 'out'))
    a_pred = torch.zeros(1, 4, 4, 2, dtype=torch.uint8)
    a_pred[0, :2] = 1  # 16 voxels
    a_true = torch.zeros_like(a_pred)
    a_true[0, :1] = 1  # 8 voxels, all inside the prediction: Dice 2*8/(16+8) = 2/3
    b = torch.zeros_like(a_pred)  # nothing to find, nothing found: 1
    metric.process({}, [dict(case='a', pred_volume=a_pred, gt_volume=a_true, affine=AFFINE),
                        dict(case='b', pred_volume=b, gt_volume=b, affine=AFFINE)])
    scores = metric.compute_metrics(metric.results)
    assert scores['DSC_a'] == pytest.approx(2 / 3) and scores['DSC_b'] == 1.0
    assert scores['DSC'] == pytest.approx((2 / 3 + 1) / 2)
    assert scores['DSC_pooled'] == pytest.approx(2 / 3)
    written = nib.load(str(tmp_path / 'out' / 'a.nii.gz'))
    np.testing.assert_allclose(written.affine, AFFINE, rtol=1e-6)  # NIfTI stores float32
    np.testing.assert_array_equal(np.asanyarray(written.dataobj), a_pred[0].numpy())
