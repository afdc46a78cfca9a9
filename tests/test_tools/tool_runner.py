"""Run the repository's tools as a user would: in a subprocess, from the repo root."""
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = 'configs/quickstart/unet_s4_synthetic_cxr_128x128.py'
# Shrinks the quick-start run to seconds: few iterations, 8 validation images,
# loaders in the main process, a deterministic model (no dropout).
TINY = [
    'train_cfg.max_iters=4', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
    'default_hooks.logger.interval=1', 'default_hooks.visualization.interval=4',
    'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False', 'val_dataloader.dataset.indices=8',
    'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
    'test_dataloader.dataset.indices=8', 'model.decode_head.dropout_ratio=0',
]


def run_tool(*args, timeout=300, env=None, check=True):
    """Run ``python tools/...`` (or any command) and return the completed process."""
    command = [sys.executable, *args] if str(args[0]).endswith('.py') else list(args)
    full_env = dict(os.environ, **(env or {}))
    full_env['PYTHONPATH'] = str(REPO_ROOT) + os.pathsep + full_env.get('PYTHONPATH', '')
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=timeout, env=full_env)
    if check and done.returncode != 0:
        raise AssertionError(f'{" ".join(map(str, command))} failed ({done.returncode}):\n'
                             f'{done.stdout[-3000:]}\n{done.stderr[-5000:]}')
    return done
