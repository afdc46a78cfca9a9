import glob
import json
import os.path as osp

import torch
from tool_runner import QUICKSTART, TINY, run_tool

import vlseg  # noqa: F401  (allow-lists mmengine's checkpoint objects for weights-only loads)


def test_train_then_test_then_infer(tmp_path):
    work = tmp_path / 'work'
    run_tool('tools/train.py', QUICKSTART, '--work-dir', str(work), '--cfg-options', *TINY)
    best = glob.glob(str(work / 'best_Dice_per_image_iter_*.pth'))
    assert len(best) == 1, 'the best checkpoint by Dice is kept'
    assert glob.glob(str(work / '*' / 'vis_data' / 'events.out.tfevents.*')), 'TensorBoard'
    assert glob.glob(str(work / '*' / 'vis_data' / 'vis_image' / '*.png')), 'val overlays'
    log = open(glob.glob(str(work / '*' / '*.log'))[0]).read()
    assert 'eta:' in log and 'Dice_per_image' in log
    # Checkpoints load with weights-only (safe) loading.
    torch.load(best[0], weights_only=True)

    # tools/test.py on the validation images reproduces, from the checkpoint alone, the
    # scores validation gave the best model in training.
    tested = run_tool('tools/test.py', QUICKSTART, best[0], '--work-dir', str(tmp_path / 'test'),
                      '--cfg-options', *TINY, 'test_dataloader.dataset.split=val')
    out = tested.stdout + tested.stderr
    for key in ('Dice_per_image', 'IoU_per_image', 'Dice_pooled', 'IoU_pooled'):
        assert key in out
    best_iter = int(best[0].rsplit('_', 1)[1].split('.')[0])
    val_scores = [json.loads(line) for line in open(glob.glob(
        str(work / '*' / 'vis_data' / 'scalars.json'))[0]) if 'Dice_per_image' in line]
    val_at_best = next(s for s in val_scores if s['step'] == best_iter)
    test_scores = json.load(open(glob.glob(str(tmp_path / 'test' / '*' / '*.json'))[0]))
    for key in ('Dice_per_image', 'Dice_pooled', 'IoU_pooled'):
        assert test_scores[key] == val_at_best[key], key

    images = sorted(glob.glob(osp.join(osp.dirname(_first_test_image(tmp_path)), '*.png')))[:2]
    run_tool('tools/infer.py', QUICKSTART, best[0], *images, '--out-dir', str(tmp_path / 'inf'),
             '--caption', 'unilateral pulmonary infection, one infected area, lower left lung.')
    for sub in ('masks', 'overlays'):
        assert len(glob.glob(str(tmp_path / 'inf' / sub / '*.png'))) == 2
    text_free = run_tool('tools/infer.py', QUICKSTART, best[0], images[0], '--out-dir',
                         str(tmp_path / 'inf2'))
    assert 'text-free' in text_free.stdout


def _first_test_image(tmp_path):
    from vlseg.datasets import SyntheticCXRDataset

    dataset = SyntheticCXRDataset(split='test', pipeline=[])
    return dataset.get_data_info(0)['img_path']


def test_nan_loss_stops_naming_the_iteration(tmp_path):
    done = run_tool('tools/train.py', QUICKSTART, '--work-dir', str(tmp_path),
                    '--cfg-options', *TINY, 'model.decode_head.loss_decode.0.loss_weight=nan',
                    check=False)
    assert done.returncode != 0
    assert 'NonFiniteLossError' in done.stderr
    assert 'at iteration 1' in done.stderr and 'synthetic_train_' in done.stderr
    assert not glob.glob(str(tmp_path / '*.pth'))


def test_resume_continues_exactly(tmp_path):
    deterministic = ['randomness.deterministic=True', 'randomness.seed=0']
    straight, halves = tmp_path / 'straight', tmp_path / 'halves'
    run_tool('tools/train.py', QUICKSTART, '--work-dir', str(straight), '--cfg-options',
             *TINY, *deterministic, 'train_cfg.val_interval=100')
    run_tool('tools/train.py', QUICKSTART, '--work-dir', str(halves), '--cfg-options',
             *TINY, *deterministic, 'train_cfg.val_interval=100', 'train_cfg.max_iters=2')
    resumed = run_tool('tools/train.py', QUICKSTART, '--work-dir', str(halves), '--resume',
                       '--cfg-options', *TINY, *deterministic, 'train_cfg.val_interval=100')
    assert 'resumed epoch: 0, iter: 2' in resumed.stdout + resumed.stderr
    a = torch.load(straight / 'iter_4.pth', weights_only=True)
    b = torch.load(halves / 'iter_4.pth', weights_only=True)
    assert a['meta']['iter'] == b['meta']['iter'] == 4
    for key, value in a['state_dict'].items():
        torch.testing.assert_close(b['state_dict'][key], value, rtol=1e-5, atol=1e-6,
                                   msg=f'weights differ at {key}')
    state_a, state_b = a['optimizer']['state'], b['optimizer']['state']
    for index in state_a:
        torch.testing.assert_close(state_b[index]['exp_avg'], state_a[index]['exp_avg'],
                                   rtol=1e-5, atol=1e-7)
    assert a['param_schedulers'] == b['param_schedulers']
