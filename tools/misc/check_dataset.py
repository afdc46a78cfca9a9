"""Check every record of a config's datasets, as training does before its first iteration.

    python tools/misc/check_dataset.py CONFIG [--splits train val test] [--decode]
        [--cfg-options data_root=PATH ...]

For each split the config has (training, validation, test loaders): every image and
mask exists and can be read (sizes from the file headers; ``--decode`` decodes every
file), every mask has the size of its image, and every caption is read by each
component of the run that parses captions (pipeline transforms such as
``CaptionToLocationLabels``, the model's ``LesionVectorEncoder``, the evaluator's
``LocationReportMetric``). Each problem is printed as ``FILE: reason``, then a summary
line per split. Exit status 0 when no problem is found, 1 otherwise.

``tools/train.py`` runs the same check (``DataPreflightHook``) unless the config sets
``data_preflight = False``.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmengine.config import DictAction

import vlseg  # noqa: F401
from vlseg.datasets.preflight import caption_checkers, check_dataset, count_records, describe
from vlseg.registry import DATASETS, METRICS, MODELS
from vlseg.utils import load_config, register_all_modules

LOADERS = {'train': 'train_dataloader', 'val': 'val_dataloader', 'test': 'test_dataloader'}
EVALUATORS = {'val': 'val_evaluator', 'test': 'test_evaluator'}


def checker_configs(node, registry) -> list[dict]:
    """Configs (found anywhere in ``node``) of registered classes that check captions."""
    found = []
    if isinstance(node, dict):
        kind = node.get('type')
        cls = registry.get(kind) if isinstance(kind, str) else None
        if cls is not None and callable(getattr(cls, 'check_caption', None)):
            found.append(node)
        for value in node.values():
            found += checker_configs(value, registry)
    elif isinstance(node, (list, tuple)):
        for value in node:
            found += checker_configs(value, registry)
    return found


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Check the datasets of a vlseg config')
    parser.add_argument('config')
    parser.add_argument('--splits', nargs='+', choices=sorted(LOADERS),
                        default=['train', 'val', 'test'])
    parser.add_argument('--decode', action='store_true',
                        help='decode every image and mask instead of reading headers')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    # Only the model's caption parsers are built (cheap); text encoders with weights are not.
    model_checkers = [MODELS.build(c) for c in checker_configs(cfg.get('model'), MODELS)]
    failed = False
    for split in args.splits:
        loader = cfg.get(LOADERS[split])
        if not loader:
            print(f'{split}: the config has no {LOADERS[split]}')
            continue
        start = time.perf_counter()
        try:
            dataset = DATASETS.build(loader['dataset'])
        except (ValueError, KeyError, FileNotFoundError) as error:  # the layout itself
            print(f'{split}: the dataset cannot be read: {error}')
            failed = True
            continue
        metrics = [METRICS.build(c) for c in checker_configs(
            cfg.get(EVALUATORS.get(split, '')), METRICS)]
        problems = check_dataset(dataset, model_checkers + caption_checkers(metrics),
                                 args.decode)
        for problem in problems:
            print(problem)
        failed |= bool(problems)
        print(f'{split}: {describe(dataset)}, {count_records(dataset)} records, {len(problems)} '
              f'problem(s), checked in {time.perf_counter() - start:.1f} s')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
