"""tools/test.py needs only the split it tests (issue 16): no training data is built."""
import json

import cv2
import numpy as np
import torch
from tool_runner import run_tool

import vlseg  # noqa: F401
from vlseg.apis import init_model

CAPTION = 'unilateral pulmonary infection, one infected area, lower left lung.'
# Ariadne's configs carry EarlyStoppingHook, which reads the training loop before any run.
CONFIG = 'configs/ariadne/ariadne_convnext-t_minilm_qata_cov19_224x224.py'


def test_a_folder_with_only_a_test_split_is_enough(tmp_path, repo_root):
    root = tmp_path / 'qata'
    entries = []
    for index in range(2):
        for folder, value in (('images', 60 + 40 * index), ('masks', 255)):
            (root / 'images' / 'test' / folder).mkdir(parents=True, exist_ok=True)
            image = np.zeros((32, 32), np.uint8)
            image[8:24, 4:16] = value
            name = f'x{index}.png' if folder == 'images' else f'mask_x{index}.png'
            cv2.imwrite(str(root / 'images' / 'test' / folder / name), image)
        entries.append({'image_path': f'mask_x{index}.png', 'caption': CAPTION,
                        'pseudo_label': [0, 0, 1, 0, 0, 0]})
    (root / 'prompts').mkdir()
    (root / 'prompts' / 'annotation.json').write_text(json.dumps({'test': entries}))
    checkpoint = tmp_path / 'ariadne.pth'
    torch.save({'state_dict': init_model(str(repo_root / CONFIG)).state_dict()}, checkpoint)
    done = run_tool('tools/test.py', CONFIG, str(checkpoint), '--work-dir', str(tmp_path / 'w'),
                    '--cfg-options', f'data_root={root}', 'test_dataloader.num_workers=0',
                    'test_dataloader.persistent_workers=False')
    assert 'Dice_pooled' in done.stdout + done.stderr
