"""The 3D path through the tools: train, test and infer with the 3D quick-start config."""
import glob
import json

import nibabel as nib
import numpy as np
from tool_runner import REPO_ROOT, run_tool

import vlseg  # noqa: F401
from vlseg.datasets.synthetic_ct import synthetic_ct_volume

CONFIG = 'configs/quickstart/ra_unet3d_synthetic_ct_64x64x16.py'
FAST = ['train_cfg.max_epochs=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2']


def test_train_then_test_then_infer_a_volume(tmp_path):
    work = tmp_path / 'work'
    run_tool('tools/train.py', CONFIG, '--work-dir', str(work), '--cfg-options', *FAST)
    checkpoint = str(work / 'epoch_2.pth')
    tested = run_tool('tools/test.py', CONFIG, checkpoint, '--work-dir', str(tmp_path / 'test'),
                      '--out', str(tmp_path / 'pred'))
    assert sorted(p.name for p in (tmp_path / 'pred').iterdir()) == [
        'synthetic_004.nii.gz', 'synthetic_005.nii.gz']
    scores = json.load(open(glob.glob(str(tmp_path / 'test' / '*' / '*.json'))[0]))
    assert 0 <= scores['DSC'] <= 1 and 'DSC_synthetic_004' in scores
    assert 'SYNTHETIC' in tested.stdout + tested.stderr
    # A volume written here, of a size that is no multiple of the patch, with a rotated,
    # shifted affine: the mask comes back with exactly its shape and affine.
    volume, mask = synthetic_ct_volume((70, 52, 19), seed=7)
    angle = np.deg2rad(10)
    affine = np.array([[0.8 * np.cos(angle), -0.8 * np.sin(angle), 0, -120.0],
                       [0.8 * np.sin(angle), 0.8 * np.cos(angle), 0, 30.5],
                       [0, 0, 5.0, -200.0], [0, 0, 0, 1]])
    source = tmp_path / 'in' / 'patient_7.nii.gz'
    source.parent.mkdir()
    nib.save(nib.Nifti1Image(volume, affine), str(source))
    run_tool('tools/infer.py', CONFIG, checkpoint, str(source.parent), '--out-dir',
             str(tmp_path / 'out'))
    written = nib.load(str(tmp_path / 'out' / 'masks' / 'patient_7.nii.gz'))
    assert written.shape == (70, 52, 19)
    np.testing.assert_allclose(written.affine, affine, atol=1e-4)
    assert set(np.unique(np.asanyarray(written.dataobj))) <= {0, 1}
    # The inferencer gives the same mask, and writes it with the affine under out_dir/pred.
    from vlseg.apis import VLSegInferencer
    inferencer = VLSegInferencer(str(REPO_ROOT / CONFIG), checkpoint, device='cpu')
    result = inferencer(str(source), out_dir=str(tmp_path / 'api'))
    np.testing.assert_array_equal(result['predictions'], np.asanyarray(written.dataobj))
    again = nib.load(str(tmp_path / 'api' / 'pred' / 'patient_7.nii.gz'))
    np.testing.assert_allclose(again.affine, affine, atol=1e-4)
