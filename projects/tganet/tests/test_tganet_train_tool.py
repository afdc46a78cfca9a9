"""``tools/train.py`` runs the project's QaTa config from the project folder, for two
iterations on a tiny synthetic QaTa-COV19 folder in SGSeg's layout (no core change: the
config's ``custom_imports`` loads the project)."""
import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
from mmengine.config import Config

REPO_ROOT = Path(__file__).resolve().parents[3]
CONFIG = 'projects/tganet/configs/tganet_r50_qata_cov19_224x224.py'
CAPTIONS = ('unilateral pulmonary infection, one infected area, lower left lung.',
            'bilateral pulmonary infection, two infected areas, upper left lung and lower '
            'right lung.')


def make_qata(root: Path, size: int = 64) -> Path:
    """SGSeg's layout: images/{split}/{images,masks}/, prompts/annotation.json."""
    rng = np.random.default_rng(0)
    annotation = {}
    for split, count in (('train', 4), ('valid', 2), ('test', 2)):
        entries = []
        for index in range(count):
            stem = f'covid_{split}_{index}'
            image = rng.integers(0, 256, (size, size), dtype=np.uint8)
            mask = np.zeros((size, size), np.uint8)
            mask[8:8 + 4 * (index + 2), 10:30] = 255
            for folder, name, array in (('images', f'{stem}.png', image),
                                        ('masks', f'mask_{stem}.png', mask)):
                path = root / 'images' / split / folder / name
                path.parent.mkdir(parents=True, exist_ok=True)
                assert cv2.imwrite(str(path), array)
            entries.append(dict(image_path=f'mask_{stem}.png', caption=CAPTIONS[index % 2]))
        annotation[split] = entries
    (root / 'prompts').mkdir(parents=True)
    (root / 'prompts' / 'annotation.json').write_text(json.dumps(annotation))
    return root


def test_train_tool_runs_the_project_config(tmp_path):
    data = make_qata(tmp_path / 'qata')
    work = tmp_path / 'work'
    loaders = [f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader',
                                                'test_dataloader')
               for key in ('num_workers=0', 'persistent_workers=False')]
    command = [sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(work),
               '--cfg-options', f'data_root={data}', 'train_dataloader.batch_size=2',
               'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
               'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
               'default_hooks.visualization.draw=False', *loaders]
    # 64x64 inputs instead of 224x224: the Resize steps' positions, read from the config.
    cfg = Config.fromfile(str(REPO_ROOT / CONFIG))
    for loader in ('train_dataloader', 'val_dataloader'):
        steps = [step['type'] for step in cfg[loader].dataset.pipeline]
        command.append(f'{loader}.dataset.pipeline.{steps.index("Resize")}.scale=(64,64)')
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
                          env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    log = open(glob.glob(str(work / '*' / '*.log'))[0]).read()
    for key in ('loss_count', 'loss_size', 'loss_dice', 'acc_count', 'Dice_per_image'):
        assert key in log, key
    assert glob.glob(str(work / 'best_Dice_per_image_iter_2.pth'))
