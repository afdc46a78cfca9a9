"""Parameters and FLOPs of a config's model for one input.

    python tools/analysis_tools/get_flops.py CONFIG [--size 224 224]

Counts the forward pass of the whole segmentor (``mode='tensor'``) on one image
prepared by the config's test pipeline and data preprocessor, with mmengine's
``FlopAnalyzer`` (one fused multiply-add counts as one FLOP, as fvcore does).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.config import DictAction

import vlseg  # noqa: F401
from vlseg.registry import MODELS
from vlseg.utils import load_config, register_all_modules
from vlseg.utils.dummy_data import make_batch


class _TensorForward(torch.nn.Module):
    """Binds the data samples so the tracer sees a tensor-only forward."""

    def __init__(self, model, data_samples):
        super().__init__()
        self.model = model
        self.data_samples = data_samples

    def forward(self, inputs):
        return self.model(inputs, self.data_samples, mode='tensor')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Count parameters and FLOPs of a model')
    parser.add_argument('config')
    parser.add_argument('--size', type=int, nargs=2, default=[224, 224], metavar=('H', 'W'))
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    model = MODELS.build(cfg.model).eval()
    data = model.data_preprocessor(make_batch(cfg, 1, tuple(args.size), 'test'), False)
    wrapped = _TensorForward(model, data['data_samples'])
    with torch.no_grad():
        flops = FlopAnalyzer(wrapped, (data['inputs'],)).unsupported_ops_warnings(False)
        total_flops = flops.total()
    params = parameter_count(model)['']
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    result = dict(input_shape=list(data['inputs'].shape), gflops=round(total_flops / 1e9, 3),
                  params_m=round(params / 1e6, 3), trainable_params_m=round(trainable / 1e6, 3))
    for key, value in result.items():
        print(f'{key:20s} {value}')
    return result


if __name__ == '__main__':
    main()
