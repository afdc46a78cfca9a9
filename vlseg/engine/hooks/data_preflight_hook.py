"""Check every record of the data before the first iteration (vlseg.datasets.preflight)."""
from __future__ import annotations

import time
from typing import Any

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from vlseg.datasets.preflight import (
    DatasetCheckError,
    caption_checkers,
    check_dataset,
    count_records,
    describe,
)
from vlseg.registry import HOOKS


@HOOKS.register_module()
class DataPreflightHook(Hook):
    """Run the data preflight on the training and validation sets before training (and
    on the test set before a test), and stop with every problem listed.

    The captions are read by every caption checker of the run: the dataset's pipeline
    transforms, the model's modules (C2FVL's ``LesionVectorEncoder``) and the
    evaluator's metrics (``LocationReportMetric``). The tools add this hook to every run
    unless the config sets ``data_preflight = False`` (``configs/_base_/default_runtime.py``).

    Args:
        decode: decode every image and mask instead of reading their headers.
    """

    priority = 'VERY_HIGH'

    def __init__(self, decode: bool = False) -> None:
        self.decode = decode

    @staticmethod
    def _model_checkers(runner) -> list[Any]:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        return caption_checkers(model.modules())

    def _check(self, runner, what: str, loop) -> None:
        if loop is None or not hasattr(loop, 'dataloader'):
            return
        dataset = loop.dataloader.dataset
        evaluator = getattr(loop, 'evaluator', None)
        checkers = self._model_checkers(runner) + caption_checkers(
            getattr(evaluator, 'metrics', []))
        start = time.perf_counter()
        problems = check_dataset(dataset, checkers, self.decode)
        name = f'{what} data {describe(dataset)}'
        if problems:
            for problem in problems:
                print_log(f'data preflight: {problem}', logger='current', level=40)
            raise DatasetCheckError(name, problems)
        print_log(f'data preflight: {count_records(dataset)} records of the {name} checked in '
                  f'{time.perf_counter() - start:.1f} s, no problems', logger='current')

    def before_train(self, runner) -> None:
        self._check(runner, 'training', runner.train_loop)
        self._check(runner, 'validation', getattr(runner, '_val_loop', None))

    def before_test(self, runner) -> None:
        self._check(runner, 'test', runner.test_loop)
