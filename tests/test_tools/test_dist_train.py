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
