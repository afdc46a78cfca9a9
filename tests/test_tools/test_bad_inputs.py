"""Bad inputs through the tools (issue 16): fail fast before training, keep going past
bad files at inference, and never lose a checkpoint to a crash."""
import glob
import json
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
import torch
from tool_runner import QUICKSTART, REPO_ROOT, TINY, run_tool

import vlseg  # noqa: F401
from vlseg.engine import AtomicLocalBackend, CheckpointError, inspect_checkpoint
from vlseg.engine.atomic_local_backend import partial_path

GOOD = 'unilateral pulmonary infection, one infected area, lower left lung.'
UNREADABLE = 'the lesion is somewhere near the heart.'
C2FVL = 'configs/c2fvl/c2fvl_unet-vit_qata_cov19_224x224.py'


def qata(root, splits):
    """SGSeg's QaTa layout; ``splits``: {split: [(name, caption, mask size)]}, images 32x32."""
    annotation = {}
    for split, records in splits.items():
        folder = root / 'images' / split
        (folder / 'images').mkdir(parents=True)
        (folder / 'masks').mkdir(parents=True)
        for name, _, mask_size in records:
            cv2.imwrite(str(folder / 'images' / name), np.full((32, 32), 90, np.uint8))
            cv2.imwrite(str(folder / 'masks' / f'mask_{name}'),
                        np.zeros((mask_size, mask_size), np.uint8))
        annotation[split] = [{'image_path': f'mask_{name}', 'caption': caption}
                             for name, caption, _ in records]
    (root / 'prompts').mkdir()
    (root / 'prompts' / 'annotation.json').write_text(json.dumps(annotation))
    return root


def test_training_reports_every_bad_record_before_the_first_iteration(tmp_path):
    # C2FVL's LesionVectorEncoder parses the captions inside the model.
    root = qata(tmp_path / 'qata', {
        'train': [('a.png', GOOD, 32), ('b.png', GOOD, 24), ('c.png', UNREADABLE, 32)],
        'valid': [('v.png', GOOD, 32)]})
    layout = [f'{loader}.dataset.layout=sgseg' for loader in
              ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    done = run_tool('tools/train.py', C2FVL, '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                    f'data_root={root}', 'train_dataloader.num_workers=0',
                    'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
                    'val_dataloader.persistent_workers=False', *layout, check=False)
    out = done.stdout + done.stderr
    assert done.returncode != 0 and '2 problem(s) found before the run' in out
    assert 'Traceback' not in out
    assert 'mask_b.png: mask is 24x24 (WxH) but its image' in out
    assert 'c.png: caption' in out and 'LesionVectorEncoder' in out
    assert 'Iter(train)' not in out
    # The same check alone, and the switch that turns it off.
    alone = run_tool('tools/misc/check_dataset.py', C2FVL, '--splits', 'train', 'val',
                     '--cfg-options', f'data_root={root}', *layout, check=False)
    assert alone.returncode == 1 and 'mask_b.png' in alone.stdout and 'c.png' in alone.stdout
    assert 'train: QaTaCOV19Dataset' in alone.stdout and '3 records, 2 problem(s)' in alone.stdout
    unchecked = run_tool('tools/train.py', C2FVL, '--work-dir', str(tmp_path / 'w2'),
                         '--cfg-options', f'data_root={root}', 'data_preflight=False',
                         'train_dataloader.num_workers=0',
                         'train_dataloader.persistent_workers=False',
                         'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
                         *layout, check=False)
    out = unchecked.stdout + unchecked.stderr
    assert unchecked.returncode != 0 and 'data preflight' not in out  # fails in the loop


def test_infer_writes_every_good_image_and_lists_the_bad_ones(tmp_path):
    work = tmp_path / 'work'
    run_tool('tools/train.py', QUICKSTART, '--work-dir', str(work), '--cfg-options', *TINY,
             'train_cfg.max_iters=2')
    checkpoint = str(work / 'iter_2.pth')
    folder = tmp_path / 'images'
    folder.mkdir()
    for index in range(3):
        cv2.imwrite(str(folder / f'g{index}.png'), np.full((64, 64), 40 * index, np.uint8))
    (folder / 'broken.png').write_bytes(b'\x89PNG\r\n\x1a\n truncated')
    done = run_tool('tools/infer.py', QUICKSTART, checkpoint, str(folder), '--out-dir',
                    str(tmp_path / 'out'), '--batch-size', '2', check=False)
    assert done.returncode == 1
    assert sorted(os.listdir(tmp_path / 'out' / 'masks')) == ['g0.png', 'g1.png', 'g2.png']
    assert 'broken.png' in done.stderr and 'cannot decode image' in done.stderr
    assert '1 of 4 images could not be segmented' in done.stderr
    failures = (tmp_path / 'out' / 'failures.csv').read_text()
    assert 'broken.png' in failures


@pytest.mark.parametrize('kind', ['image', 'truncated', 'weights-only'])
def test_a_file_that_is_not_a_checkpoint_is_named(kind, tmp_path):
    path = tmp_path / f'{kind}.pth'
    if kind == 'image':
        cv2.imwrite(str(tmp_path / 'x.png'), np.zeros((8, 8), np.uint8))
        os.replace(tmp_path / 'x.png', path)
    else:
        torch.save({'state_dict': {'w': torch.zeros(1000)}}, path)
        if kind == 'truncated':
            data = path.read_bytes()
            path.write_bytes(data[:len(data) // 2])
    expected = {'image': 'is not a PyTorch checkpoint (a torch.save file): it is a PNG image',
                'truncated': 'is not a complete checkpoint',
                'weights-only': 'cannot resume a run: it has no optimizer, meta'}[kind]
    with pytest.raises(CheckpointError, match=f'{path}.*' if kind != 'weights-only' else None):
        inspect_checkpoint(str(path), resume=True)
    if kind != 'weights-only':
        done = run_tool('tools/test.py', QUICKSTART, str(path), check=False)
        assert done.returncode != 0 and f'{path} {expected}' in done.stderr
        assert 'Traceback' not in done.stderr
    else:
        done = run_tool('tools/train.py', QUICKSTART, '--work-dir', str(tmp_path / 'w'),
                        '--resume', str(path), check=False)
        assert done.returncode != 0 and expected in done.stderr


def test_atomic_write_never_leaves_a_partial_file_under_the_final_name(tmp_path, monkeypatch):
    target = tmp_path / 'iter_2.pth'
    backend = AtomicLocalBackend()
    backend.put(b'complete', target)
    assert target.read_bytes() == b'complete' and not os.path.exists(partial_path(target))

    class Crashing:  # the process dies half-way through the write
        def __init__(self, real):
            self.real = real

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.real.close()

        def write(self, data):
            self.real.write(data[:len(data) // 2])
            raise KeyboardInterrupt

    real_open = open
    monkeypatch.setattr('builtins.open', lambda path, mode='r', *a, **k: Crashing(
        real_open(path, mode, *a, **k)) if 'w' in mode else real_open(path, mode, *a, **k))
    with pytest.raises(KeyboardInterrupt):
        backend.put(b'a newer checkpoint', target)
    monkeypatch.undo()
    assert target.read_bytes() == b'complete'  # the old file, whole
    assert not os.path.exists(partial_path(target))


def _weights(path):
    return torch.load(path, weights_only=True)['state_dict']


def test_sigkill_during_training_resumes_to_the_same_weights(tmp_path):
    options = [*TINY, 'randomness.deterministic=True', 'randomness.seed=0',
               'train_cfg.val_interval=100', 'train_cfg.max_iters=12',
               'default_hooks.checkpoint.max_keep_ckpts=-1']
    straight = tmp_path / 'straight'
    run_tool('tools/train.py', QUICKSTART, '--work-dir', str(straight), '--cfg-options',
             *options)
    killed = tmp_path / 'killed'
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    process = subprocess.Popen(
        [sys.executable, 'tools/train.py', QUICKSTART, '--work-dir', str(killed),
         '--cfg-options', *options], cwd=REPO_ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill it as soon as a checkpoint is being written (its partial file exists) or,
    # failing that, right after the first one is complete.
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if glob.glob(str(killed / '.iter_*.pth.partial')) or glob.glob(str(killed / 'iter_*')):
            break
        time.sleep(0.001)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (killed / 'iter_12.pth').exists(), 'the run finished before it was killed'
    complete = sorted(glob.glob(str(killed / 'iter_*.pth')))
    for path in complete:  # whatever is under a checkpoint's name is whole
        inspect_checkpoint(path, resume=True)
    # A truncated newer checkpoint, as a non-atomic writer would leave it, is skipped.
    newer = killed / 'iter_10.pth'
    data = (straight / 'iter_10.pth').read_bytes()
    newer.write_bytes(data[:len(data) // 3])
    resumed = run_tool('tools/train.py', QUICKSTART, '--work-dir', str(killed), '--resume',
                       '--cfg-options', *options)
    out = resumed.stdout + resumed.stderr
    assert f'--resume: skipping {newer}' in out and 'is not a complete checkpoint' in out
    a, b = _weights(straight / 'iter_12.pth'), _weights(killed / 'iter_12.pth')
    for key, value in a.items():
        torch.testing.assert_close(b[key], value, rtol=1e-5, atol=1e-6,
                                   msg=f'weights differ at {key}')
