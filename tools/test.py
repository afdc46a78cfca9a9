"""Test a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--show-dir DIR]``.

Arguments follow mmsegmentation's ``tools/test.py``; metrics are those of the
config's ``test_evaluator``. Testing never builds the training data: the config's
training loader, schedule, optimiser and training-only hooks (``EarlyStoppingHook``,
which reads the training loop before the run) are dropped, so a folder that holds only
a test split is enough.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import DictAction
from mmengine.runner import Runner

import vlseg  # noqa: F401
from vlseg.datasets.preflight import DatasetCheckError
from vlseg.engine import CheckpointError, inspect_checkpoint
from vlseg.utils import enable_amp, load_run_config, register_all_modules


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a vlseg segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the evaluation metrics')
    parser.add_argument('--out', type=str,
                        help='save predicted label maps (PNG, lesion = 1; 3D models: '
                        'CASE.nii.gz with the volume\'s affine) to this folder')
    parser.add_argument('--show-dir', help='save overlay pictures of predictions here')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: bf16 autocast on a CPU, fp16 on CUDA')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. data_root=/data/qata')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


#: Custom hooks that need the training loop (and so the training data) before the run.
TRAINING_ONLY_HOOKS = ('EarlyStoppingHook',)


def build_runner(args) -> Runner:
    register_all_modules()
    try:
        inspect_checkpoint(args.checkpoint)
    except CheckpointError as error:
        raise SystemExit(f'tools/test.py: {error}') from None
    cfg = load_run_config(args.config, args.cfg_options, args.launcher, args.work_dir)
    cfg.load_from = args.checkpoint
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler'):
        cfg[key] = None
    if args.amp:
        enable_amp(cfg, train=False)
    cfg.custom_hooks = [hook for hook in cfg.get('custom_hooks') or []
                        if hook['type'].split('.')[-1] not in TRAINING_ONLY_HOOKS]
    if args.show_dir and cfg.model.get('type') == 'VolumeSegmentor':
        raise SystemExit('tools/test.py: --show-dir draws 2D overlays; for a 3D model use '
                         '--out DIR (NIfTI masks with each volume\'s affine)')
    if args.show_dir:
        hook = cfg.default_hooks.visualization
        hook['draw'] = True
        hook['interval'] = 1
        cfg.visualizer['save_dir'] = args.show_dir
        cfg.visualizer['vis_backends'] = [dict(type='LocalVisBackend')]
    if args.out is not None:
        cfg.test_evaluator = [cfg.test_evaluator] if isinstance(
            cfg.test_evaluator, dict) else list(cfg.test_evaluator)
        volume_metrics = [metric for metric in cfg.test_evaluator
                          if metric['type'].split('.')[-1] == 'VolumeDiceMetric']
        for metric in volume_metrics:  # 3D: NIfTI masks with each volume's affine
            metric['output_dir'] = args.out
        if not volume_metrics:
            cfg.test_evaluator.append(dict(type='IoUMetric', format_only=True,
                                           output_dir=args.out))
    return Runner.from_cfg(cfg)


def main(argv=None) -> dict:
    args = parse_args(argv)
    runner = build_runner(args)
    try:
        return runner.test()
    except DatasetCheckError as error:  # every bad record listed: no traceback to read
        raise SystemExit(f'tools/test.py: {error}') from None


if __name__ == '__main__':
    main()
