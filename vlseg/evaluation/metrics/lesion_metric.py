"""Overlap metrics for binary lesion segmentation, per image and pooled.

Papers report these two ways, so :class:`LesionMetric` reports both:

* per image (macro): a score per image, then the mean over images; LViT
  (Li et al., IEEE TMI 2023) and C2FVL average Dice and IoU per image;
* pooled (micro): confusion counts summed over all pixels of the split, then
  one score; LanGuideMedSeg / Ariadne's Thread (Zhong et al., MICCAI 2023) and
  SGSeg (Ye et al., MICCAI 2024) report pooled Dice, Jaccard and pixel accuracy.

Scores (see :mod:`vlseg.evaluation.functional`)::

    Dice = 2TP / (2TP + FP + FN)   IoU = TP / (TP + FP + FN)
    Acc = (TP + TN) / N            Sen = TP / (TP + FN)      Spec = TN / (TN + FP)
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from prettytable import PrettyTable

from vlseg.registry import METRICS

from ..functional import SCORE_NAMES, confusion_counts, scores_from_counts

__all__ = ['LesionMetric']


@METRICS.register_module()
class LesionMetric(BaseMetric):
    """Dice, IoU, Acc, Sen, Spec of binary lesion masks, per image and pooled.

    Foreground is class 1 in ``pred_sem_seg`` and ``gt_sem_seg``; gt pixels
    equal to ``ignore_index`` are left out. ``process`` keeps only the four
    confusion counts (TP, FP, FN, TN) of each image, so memory stays tiny on
    large splits and results gather across ranks cheaply.

    For every name in ``metrics`` two keys are returned, in percent (x100, as
    mmseg's ``IoUMetric``) rounded to 2 decimals:

    * ``<name>_per_image``: mean over images of the per-image score (LViT,
      C2FVL protocol);
    * ``<name>_pooled``: score of the counts summed over the split (micro;
      LanGuideMedSeg, SGSeg protocol).

    Conventions for a ratio with zero denominator (0/0) in one image, e.g.
    empty ground truth: it scores ``empty_score`` (1 = perfect). Hence with an
    empty gt and an empty prediction Dice = IoU = Sen = Spec = Acc = 1; with an
    empty gt and a non-empty prediction Dice = IoU = 0 (every predicted pixel
    is a false positive) but Sen = 1 (there was no positive to miss) and Spec
    reflects the false positives. An image without foreground therefore pulls
    the per-image mean up or down by a whole image's weight, while it barely
    moves the pooled score.

    Args:
        metrics: Names among ``'Dice', 'IoU', 'Acc', 'Sen', 'Spec', 'Prec'``.
        ignore_index: gt label left out of all counts. Defaults to 255.
        empty_score: Score of a 0/0 ratio in an image. Defaults to 1.0.
        collect_device: Device for collecting results across ranks
            ('cpu' or 'gpu').
        prefix: Prefix added to the metric names (as ``BaseMetric``).
        collect_dir: Directory for collecting results on cpu (as ``BaseMetric``).
    """

    def __init__(self,
                 metrics: str | Sequence[str] = ('Dice', 'IoU', 'Acc', 'Sen', 'Spec'),
                 ignore_index: int = 255,
                 empty_score: float = 1.0,
                 collect_device: str = 'cpu',
                 prefix: str | None = None,
                 collect_dir: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if isinstance(metrics, str):
            metrics = [metrics]
        metrics = list(metrics)
        unknown = [m for m in metrics if m not in SCORE_NAMES]
        if unknown or not metrics:
            raise KeyError(f'metrics {unknown or metrics} not supported; choose from '
                           f'{SCORE_NAMES}')
        self.metrics = metrics
        self.ignore_index = ignore_index
        self.empty_score = float(empty_score)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Store the (TP, FP, FN, TN) counts of each image.

        Args:
            data_batch: A batch from the dataloader (unused).
            data_samples: Outputs of the model as dicts with
                ``pred_sem_seg['data']`` and ``gt_sem_seg['data']`` (1, H, W).
        """
        for data_sample in data_samples:
            pred = data_sample['pred_sem_seg']['data'].squeeze()
            gt = data_sample['gt_sem_seg']['data'].squeeze().to(pred.device)
            self.results.append(confusion_counts(pred, gt, ignore_index=self.ignore_index))

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Per-image means and pooled scores, in percent.

        Args:
            results: The (TP, FP, FN, TN) tuples of all images.

        Returns:
            ``{'<name>_per_image': ..., '<name>_pooled': ...}`` for each name.
        """
        logger: MMLogger = MMLogger.get_current_instance()
        counts = np.asarray(results, dtype=np.int64).reshape(-1, 4)
        if len(counts) == 0:
            raise ValueError('LesionMetric got no results to evaluate')
        per_image = scores_from_counts(*counts.T, empty_score=self.empty_score)
        pooled = scores_from_counts(*counts.sum(0), empty_score=self.empty_score)

        out: dict[str, float] = {}
        for name in self.metrics:
            out[f'{name}_per_image'] = float(np.round(np.mean(per_image[name]) * 100, 2))
            out[f'{name}_pooled'] = float(np.round(pooled[name] * 100, 2))

        table = PrettyTable()
        table.field_names = ['Metric (%)', 'per image (mean)', 'pooled (micro)']
        for name in self.metrics:
            table.add_row([name, f"{out[f'{name}_per_image']:.2f}",
                           f"{out[f'{name}_pooled']:.2f}"])
        print_log(f'Lesion metrics over {len(counts)} images:', logger=logger)
        print_log('\n' + table.get_string(), logger=logger)
        return out
