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
from vlseg.datasets.preflight import DatasetCheckError
from vlseg.engine import CheckpointError, find_resumable_checkpoint, inspect_checkpoint
from vlseg.utils import enable_amp, load_run_config, register_all_modules


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a vlseg segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', const='auto', default=None,
        help='resume from CKPT, or, when no path is given, from the newest checkpoint of '
        'the work dir that loads (newer ones that do not are skipped, and said so)')
    parser.add_argument(
        '--amp', action='store_true', default=False,
        help='mixed precision: bf16 autocast on a CPU (no loss scaling), fp16 with '
        'dynamic loss scaling on CUDA; validation in the same precision')
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


def resumable_checkpoint(work_dir: str):
    """``--resume`` without a path: the newest checkpoint of ``work_dir`` that loads, each
    newer one skipped being said, with why; ``None`` (start afresh) when there is none."""
    path, skipped = find_resumable_checkpoint(work_dir)
    for skipped_path, reason in skipped:
        print_log(f'--resume: skipping {skipped_path}: {reason}', logger='current',
                  level=logging.WARNING)
    if path is None:
        print_log(f'--resume: no checkpoint to resume from in {work_dir}; training starts '
                  'from the beginning (from load_from, if the config sets it)',
                  logger='current', level=logging.WARNING)
    else:
        print_log(f'--resume: resuming from {path}', logger='current')
    return path


def build_runner(args) -> Runner:
    register_all_modules()
    cfg = load_run_config(args.config, args.cfg_options, args.launcher, args.work_dir)
    if args.amp:
        enable_amp(cfg)
    try:
        if args.resume == 'auto':
            path = resumable_checkpoint(cfg.work_dir)
            # Nothing loadable: a fresh run (mmengine's own search would read the
            # work dir's last_checkpoint pointer, which may name the file just skipped).
            cfg.resume = path is not None
            if path is not None:
                cfg.load_from = path
        elif args.resume is not None:
            inspect_checkpoint(args.resume, resume=True)
            cfg.resume = True
            cfg.load_from = args.resume
        elif cfg.get('load_from'):
            inspect_checkpoint(cfg.load_from)
    except CheckpointError as error:
        raise SystemExit(f'tools/train.py: {error}') from None
    if 'runner_type' in cfg:
        from vlseg.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def main(argv=None) -> None:
    args = parse_args(argv)
    runner = build_runner(args)
    try:
        runner.train()
    except DatasetCheckError as error:  # every bad record listed: no traceback to read
        raise SystemExit(f'tools/train.py: {error}') from None


if __name__ == '__main__':
    main()
