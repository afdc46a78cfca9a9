"""One mixed-precision training step and one inference batch of every method on CUDA
(fp16 with dynamic loss scaling, ``AmpOptimWrapper``), through benchmark.py as
``tools/train.py --amp`` sets it up. Skipped where no GPU is present: no test needs one.

On a GPU machine, ``python -m pytest tests/test_tools/test_cuda_amp.py -s`` prints each
method's figures (step time, inference latency, peak memory) for the speed issue's note.
"""
import json
import os.path as osp
import sys

import pytest
import torch
from tool_runner import REPO_ROOT

sys.path.insert(0, osp.join(str(REPO_ROOT), 'tools', 'analysis_tools'))

import benchmark  # noqa: E402

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason='no CUDA device here: the CUDA AMP path is checked '
                                'only on a machine with a GPU')

# Each method at a small batch and its own input size; the MiniLM configs (embedded text
# model) stand for their CXR-BERT twins, which read a user's local folder.
METHODS = {
    'unet': ('configs/unet/unet_qata_cov19_224x224.py', ['224', '224']),
    'ariadne': ('configs/ariadne/ariadne_convnext-t_minilm_qata_cov19_224x224.py',
                ['224', '224']),
    'tmca': ('configs/tmca/tmca_convnext-t_minilm_qata_cov19_224x224.py', ['224', '224']),
    'sgseg': ('configs/sgseg/sgseg_convnext-t_minilm_lerg-cpu_qata_cov19_224x224.py',
              ['224', '224']),
    'c2fvl': ('configs/c2fvl/c2fvl_unet-vit_qata_cov19_224x224.py', ['224', '224']),
    'lvit': ('configs/lvit/lvit_unet-vit_minilm_qata_cov19_224x224.py', ['224', '224']),
    'infnet_res2net50': ('configs/infnet/infnet_res2net50_covid_ct_352x352.py', ['352', '352']),
    'infnet_vgg16': ('configs/infnet/infnet_vgg16_covid_ct_352x352.py', ['352', '352']),
    'ra_unet3d': ('configs/ra_unet3d/ra_unet3d_covid-ct-volumes_128x128x32.py',
                  ['160', '160', '64']),
}


@pytest.mark.parametrize('method', list(METHODS))
def test_one_amp_training_step_on_cuda(method):
    config, size = METHODS[method]
    batch = '1' if len(size) == 3 else '2'
    figures = benchmark.main([str(REPO_ROOT / config), '--device', 'cuda', '--amp',
                              '--batch-size', batch, '--size', *size, '--iters', '1',
                              '--warmup', '1'])
    assert figures['device'] == 'cuda' and figures['amp']
    assert figures['train_s_per_iter'] > 0 and figures['inference_ms_per_batch'] > 0
    print(json.dumps(dict(method=method, **figures)))
