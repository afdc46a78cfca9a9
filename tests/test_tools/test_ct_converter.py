"""tools/dataset_converters/ct_volumes_to_slices.py on tiny NIfTI volumes."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import nibabel as nib
import numpy as np
import pytest

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'dataset_converters' / \
    'ct_volumes_to_slices.py'


def load_tool():
    spec = importlib.util.spec_from_file_location('ct_volumes_to_slices', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def save(path: Path, data: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, np.eye(4)), str(path))


def make_case(root: Path, image_name: str, mask_name: str, lesion_slices=(1, 2),
              shape=(6, 5, 4)) -> None:
    """A volume whose voxels sweep -2000..2000 HU, and a mask with lesions in some slices."""
    volume = np.linspace(-2000, 2000, int(np.prod(shape)), dtype=np.float32).reshape(shape)
    volume[0, 0, :] = -1000     # window low  -> 0
    volume[0, 1, :] = 0         # centre      -> 128 (127.5 rounded)
    volume[0, 2, :] = 1000      # window high -> 255
    mask = np.zeros(shape, np.uint8)
    for k in lesion_slices:
        mask[1:3, 1:3, k] = 2   # any label > 0 is lesion
    save(root / 'scans' / image_name, volume)
    save(root / 'masks' / mask_name, mask)


def test_convert_all_slices(tmp_path):
    tool = load_tool()
    make_case(tmp_path, 'coronacases_001.nii.gz', 'coronacases_001.nii.gz')
    out = tmp_path / 'out'
    assert tool.main([str(tmp_path / 'scans'), str(tmp_path / 'masks'), str(out)]) == 0
    images = sorted(p.name for p in (out / 'images').iterdir())
    assert images == [f'coronacases_001_{k:03d}.png' for k in range(4)]
    assert sorted(p.name for p in (out / 'masks').iterdir()) == images

    image = cv2.imread(str(out / 'images' / 'coronacases_001_000.png'), cv2.IMREAD_UNCHANGED)
    mask = cv2.imread(str(out / 'masks' / 'coronacases_001_001.png'), cv2.IMREAD_UNCHANGED)
    assert image.dtype == np.uint8 and image.shape == (5, 6)   # rot90 of a 6x5 slice
    # Undo the default quarter turn to read voxels by their (x, y) index.
    raw = np.rot90(image, -1)
    assert (raw[0, 0], raw[0, 1], raw[0, 2]) == (0, 128, 255)
    assert raw.min() == 0 and raw.max() == 255                  # clipped outside the window
    assert set(np.unique(mask)) == {0, 255}
    assert np.rot90(mask, -1)[1:3, 1:3].min() == 255 and mask.sum() == 4 * 255
    empty = cv2.imread(str(out / 'masks' / 'coronacases_001_000.png'), cv2.IMREAD_UNCHANGED)
    assert not empty.any()


def test_only_lesion_window_axis_and_release_names(tmp_path):
    tool = load_tool()
    # Names as in the public release: images carry "_org" / "covid-19-pneumonia-" / "-dcm".
    make_case(tmp_path, 'coronacases_org_001.nii.gz', 'coronacases_001.nii.gz')
    make_case(tmp_path, 'radiopaedia_org_covid-19-pneumonia-4_85506_1-dcm.nii',
              'radiopaedia_4_85506_1.nii.gz', lesion_slices=(3,))
    out = tmp_path / 'out'
    pairs = tool.convert(str(tmp_path / 'scans' / '*.nii*'), str(tmp_path / 'masks'), str(out),
                         window=(0, 255), only_lesion=True)
    names = sorted(Path(p[0]).name for p in pairs)
    assert names == ['coronacases_001_001.png', 'coronacases_001_002.png',
                     'radiopaedia_4_85506_1_003.png']
    image = cv2.imread(pairs[0][0], cv2.IMREAD_UNCHANGED)
    assert np.rot90(image, -1)[0, 1] == 0 and np.rot90(image, -1)[0, 2] == 255

    # Slicing along the first axis, no rotation.
    axis0 = tool.convert(str(tmp_path / 'scans' / 'coronacases*'), str(tmp_path / 'masks'),
                         str(tmp_path / 'axis0'), axis=0, rot90=0)
    assert len(axis0) == 6
    assert cv2.imread(axis0[0][0], cv2.IMREAD_UNCHANGED).shape == (5, 4)


def test_errors(tmp_path):
    tool = load_tool()
    make_case(tmp_path, 'case_a.nii.gz', 'case_a.nii.gz')
    save(tmp_path / 'scans' / 'case_b.nii.gz', np.zeros((6, 5, 4), np.float32))
    with pytest.raises(FileNotFoundError, match='case_b'):
        tool.main([str(tmp_path / 'scans'), str(tmp_path / 'masks'), str(tmp_path / 'out')])
    save(tmp_path / 'masks' / 'case_b.nii.gz', np.zeros((6, 5, 3), np.uint8))
    with pytest.raises(ValueError, match='shape'):
        tool.main([str(tmp_path / 'scans'), str(tmp_path / 'masks'), str(tmp_path / 'out')])
    with pytest.raises(FileNotFoundError, match='no NIfTI'):
        tool.main([str(tmp_path / 'nothing'), str(tmp_path / 'masks'), str(tmp_path / 'out')])


def test_output_reads_as_ct_slice_dataset(tmp_path):
    tool = load_tool()
    make_case(tmp_path, 'coronacases_001.nii.gz', 'coronacases_001.nii.gz')
    make_case(tmp_path, 'coronacases_002.nii.gz', 'coronacases_002.nii.gz', lesion_slices=(0,))
    out = tmp_path / 'out'
    tool.main([str(tmp_path / 'scans'), str(tmp_path / 'masks'), str(out), '--only-lesion',
               '--window', '-1000', '1000'])

    import vlseg  # noqa: F401
    from vlseg.datasets import CTSliceDataset

    data = CTSliceDataset(data_root=str(out), pipeline=[], lazy_init=False,
                          cases=['coronacases_002'])
    assert len(data) == 1
    info = data.get_data_info(0)
    assert Path(info['img_path']).name == 'coronacases_002_000.png'
    assert Path(info['seg_map_path']).parent.name == 'masks' and info['text'] == ''
    assert len(CTSliceDataset(data_root=str(out), pipeline=[], lazy_init=False)) == 3
