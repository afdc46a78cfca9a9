"""Train a segmentor: ``python tools/train.py CONFIG [--work-dir DIR] [--resume] [--amp]``.

Arguments follow mmsegmentation's ``tools/train.py``.
"""
import argparse
import logging
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import DictAction
from mmengine.logging import print_log
from mmengine.runner import Runner

import vlseg  # noqa: F401  (stack fixes before mmseg.models is imported)
from vlseg.utils import load_run_config, register_all_modules


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a vlseg segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', const='auto', default=None,
        help='resume from CKPT, or from the latest checkpoint in the work dir when no '
        'path is given')
    parser.add_argument(
        '--amp', action='store_true', default=False,
        help='enable automatic mixed precision training')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. data_root=/data/qata '
        'train_cfg.max_iters=2000')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_runner(args) -> Runner:
    register_all_modules()
    cfg = load_run_config(args.config, args.cfg_options, args.launcher, args.work_dir)
    if args.amp:
        if cfg.optim_wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            print_log('AMP training is already enabled in your config.', logger='current',
                      level=logging.WARNING)
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if 'runner_type' in cfg:
        from vlseg.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def main(argv=None) -> None:
    args = parse_args(argv)
    runner = build_runner(args)
    runner.train()


if __name__ == '__main__':
    main()
