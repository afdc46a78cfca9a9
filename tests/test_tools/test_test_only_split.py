"""tools/test.py and tools/infer.py need only what they read (issue 16): a folder with
only a test split is enough, for every config family; no training data is built."""
import json

import cv2
import numpy as np
import pytest
import torch
from tool_runner import run_tool

import vlseg  # noqa: F401
from vlseg.apis import VLSegInferencer

CAPTION = 'unilateral pulmonary infection, one infected area, lower left lung.'
SGSEG_LAYOUT = ['test_dataloader.dataset.layout=sgseg']
# (config, how its test folder is laid out, extra options). Ariadne's and TMCA's configs
# carry EarlyStoppingHook, which reads the training loop before any run.
FAMILIES = {
    'ariadne': ('configs/ariadne/ariadne_convnext-t_minilm_qata_cov19_224x224.py', 'qata', []),
    'tmca': ('configs/tmca/tmca_convnext-t_minilm_qata_cov19_224x224.py', 'qata', []),
    'c2fvl': ('configs/c2fvl/c2fvl_unet-vit_qata_cov19_224x224.py', 'qata', SGSEG_LAYOUT),
    'lvit': ('configs/lvit/lvit_unet-vit_minilm_qata_cov19_224x224.py', 'qata', SGSEG_LAYOUT),
    'sgseg': ('configs/sgseg/sgseg_convnext-t_minilm_lerg-cpu_qata_cov19_224x224.py', 'qata',
              []),
    'infnet': ('configs/infnet/infnet_res2net50_covid_ct_352x352.py', 'covid_ct', []),
}


def _write(path, value, size=32):
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.zeros((size, size), np.uint8)
    image[8:24, 4:16] = value
    cv2.imwrite(str(path), image)


def qata_test_only(root):
    """SGSeg's QaTa layout holding a test split and nothing else."""
    entries = []
    for index in range(2):
        _write(root / 'images' / 'test' / 'images' / f'x{index}.png', 60 + 40 * index)
        _write(root / 'images' / 'test' / 'masks' / f'mask_x{index}.png', 255)
        entries.append({'image_path': f'mask_x{index}.png', 'caption': CAPTION,
                        'pseudo_label': [0, 0, 1, 0, 0, 0]})
    (root / 'prompts').mkdir()
    (root / 'prompts' / 'annotation.json').write_text(json.dumps({'test': entries}))
    return root


def covid_ct_test_only(root):
    """Inf-Net's layout with its testing set only (no TrainingSet folder)."""
    test = root / 'Dataset' / 'TestingSet' / 'LungInfection-Test'
    for index in range(2):
        _write(test / 'Imgs' / f'{index}.png', 60 + 40 * index)
        _write(test / 'GT' / f'{index}.png', 255)
    return root


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_a_folder_with_only_a_test_split_is_enough(family, tmp_path, repo_root):
    config, layout, options = FAMILIES[family]
    root = (qata_test_only if layout == 'qata' else covid_ct_test_only)(tmp_path / 'data')
    checkpoint = tmp_path / 'model.pth'
    model = VLSegInferencer(str(repo_root / config), device='cpu').model
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    done = run_tool('tools/test.py', config, str(checkpoint), '--work-dir', str(tmp_path / 'w'),
                    '--cfg-options', f'data_root={root}', 'test_dataloader.num_workers=0',
                    'test_dataloader.persistent_workers=False', *options)
    out = done.stdout + done.stderr
    assert 'Dice' in out and 'data preflight: 2 records of the test data' in out
    if family == 'ariadne':
        # Inference reads no dataset at all: the config's data_root need not exist.
        image = next((root / 'images' / 'test' / 'images').iterdir())
        run_tool('tools/infer.py', config, str(checkpoint), str(image), '--out-dir',
                 str(tmp_path / 'inf'), '--cfg-options', 'data_root=/nonexistent')
        assert (tmp_path / 'inf' / 'masks' / image.name).is_file()
