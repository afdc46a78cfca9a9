import glob
import json
import os
import socket

import pytest
from tool_runner import QUICKSTART, REPO_ROOT, TINY, run_tool


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_two_processes_on_cpu_with_gloo(tmp_path):
    work, probe = tmp_path / 'work', tmp_path / 'probe'
    tests_dir = os.path.dirname(os.path.abspath(__file__))
    config = tmp_path / 'probed.py'
    config.write_text(
        f"_base_ = ['{REPO_ROOT / QUICKSTART}']\n"
        "custom_imports = dict(imports=['dist_probe'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='FiniteLossHook'),\n"
        f"                dict(type='RankLossProbeHook', out_dir='{probe}')]\n")
    run_tool('bash', 'tools/dist_train.sh', str(config), '2', '--work-dir', str(work),
             '--cfg-options', *TINY, 'train_cfg.max_iters=3', 'train_cfg.val_interval=3',
             'default_hooks.checkpoint.interval=3',
             env=dict(PORT=str(free_port()), PYTHONPATH=tests_dir, CUDA_VISIBLE_DEVICES='',
                      OMP_NUM_THREADS='1'),
             timeout=400)
    ranks = [json.load(open(probe / f'rank{r}.json')) for r in (0, 1)]
    assert ranks[0]['world_size'] == ranks[1]['world_size'] == 2
    assert len(ranks[0]['losses']) == 3
    assert ranks[0]['losses'] == pytest.approx(ranks[1]['losses'], rel=1e-6)
    # Only rank 0 writes checkpoints and logs: one log file, one checkpoint per save.
    assert sorted(os.path.basename(p) for p in glob.glob(str(work / '*.pth'))) == [
        'best_Dice_per_image_iter_3.pth', 'iter_3.pth']
    assert len(glob.glob(str(work / '*' / '*.log'))) == 1


def test_multi_scale_steps_are_synchronised_on_two_processes(tmp_path):
    """Inf-Net's base config under torchrun: MultiScaleStepDDP takes one optimiser step per
    training scale on every rank, each with all-reduced gradients (mmengine's own DDP
    wrapper would take one step per iteration)."""
    work, probe = tmp_path / 'work', tmp_path / 'probe'
    tests_dir = os.path.dirname(os.path.abspath(__file__))
    bases = [f"'{REPO_ROOT}/configs/_base_/{name}.py'" for name in (
        'models/infnet_res2net50', 'datasets/synthetic_cxr', 'default_runtime',
        'schedules/schedule_infnet_adam_100ep')]
    config = tmp_path / 'infnet_tiny.py'
    config.write_text(
        f"_base_ = [{', '.join(bases)}]\n"
        "custom_imports = dict(imports=['dist_probe'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='FiniteLossHook'),\n"
        f"                dict(type='MultiScaleStepProbeHook', out_dir='{probe}')]\n"
        "model = dict(train_scales=(0.5, 1.0),\n"
        "             backbone=dict(model_name='resnet18'),\n"
        "             decode_head=dict(in_channels=(64, 128, 256, 512), channels=8,\n"
        "                              edge_channels=8, ra_channels=(8, 8, 16)))\n"
        "train_pipeline = [dict(type='LoadMedicalImageFromFile'), dict(type='LoadBinaryMask'),\n"
        "                  dict(type='Resize', scale=(64, 64), keep_ratio=False),\n"
        "                  dict(type='MaskToEdge', method='gradient'),\n"
        "                  dict(type='PackTextSegInputs')]\n"
        "train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,\n"
        "                        dataset=dict(pipeline=train_pipeline))\n"
        "val_dataloader = dict(num_workers=0, persistent_workers=False)\n"
        "test_dataloader = dict(num_workers=0, persistent_workers=False)\n"
        "train_cfg = dict(max_iters=2, val_interval=100)\n"
        "default_hooks = dict(logger=dict(interval=1),\n"
        "                     checkpoint=dict(interval=100, save_last=False))\n")
    run_tool('bash', 'tools/dist_train.sh', str(config), '2', '--work-dir', str(work),
             env=dict(PORT=str(free_port()), PYTHONPATH=tests_dir, CUDA_VISIBLE_DEVICES='',
                      OMP_NUM_THREADS='1'),
             timeout=400)
    ranks = [json.load(open(probe / f'multi_scale_rank{r}.json')) for r in (0, 1)]
    for rank in ranks:
        assert rank['world_size'] == 2 and rank['wrapper'] == 'MultiScaleStepDDP'
        # Two optimiser steps (scales 0.5 and 1 of the 64x64 batch) per iteration.
        assert rank['steps'] == [[2], [4]]
        assert rank['sizes'] == [[32, 64], [32, 64]]
    # The ranks train on different images, yet end every iteration with the same weights:
    # each step's gradients were all-reduced.
    assert ranks[0]['images'] != ranks[1]['images']
    for checksums0, checksums1 in zip(ranks[0]['checksums'], ranks[1]['checksums']):
        assert checksums0 == pytest.approx(checksums1, rel=1e-12)
