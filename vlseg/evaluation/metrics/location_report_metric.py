"""How well generated reports locate the lesions: SGSeg's six-zone label accuracy.

SGSeg (Ye et al., MICCAI 2024) replaces the caption at inference by the report its
LERG writes (``SelfGuidedSegmentor``). This metric compares the zones each report names
(:func:`vlseg.text.parse_caption` of the report) with the zones of the sample's
caption, the ground truth that the pseudo-labels come from: per-zone accuracy for
[L-upper, L-middle, L-lower, R-upper, R-middle, R-lower], their mean, and exact match
(all six right), in percent.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from prettytable import PrettyTable

from vlseg.registry import METRICS
from vlseg.text import ZONE_NAMES, parse_caption

__all__ = ['LocationReportMetric']


@METRICS.register_module()
class LocationReportMetric(BaseMetric):
    """Zone accuracy of generated reports against the captions.

    Reads each predicted sample's ``report`` and ``caption`` (metainfo set by
    ``SelfGuidedSegmentor``). Keys: ``ZoneAcc_<zone>`` for each of the six zones,
    ``ZoneAcc_mean`` and ``ExactMatch``, in percent.

    Args:
        collect_device, prefix, collect_dir: as ``BaseMetric``.
    """

    def __init__(self, collect_device: str = 'cpu', prefix: str | None = None,
                 collect_dir: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)

    def check_caption(self, caption: str, source: str) -> list[int]:
        """The caption's six zones, the truth a report is scored against; raises when
        there is no caption or it does not parse (also the data preflight)."""
        if not caption.strip():
            raise ValueError(f'LocationReportMetric: {source} has no caption to score its '
                             'report against')
        return parse_caption(caption, source=str(source)).location_labels()

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            name = sample.get('img_path', 'a test sample')
            if 'report' not in sample:
                raise KeyError(f'LocationReportMetric: no generated report for {name}: the '
                               'model is not a SelfGuidedSegmentor')
            truth = self.check_caption(sample.get('caption') or '', name)
            report = sample['report']
            predicted = (parse_caption(report, source=f'report of {name}').location_labels()
                         if report else [0] * len(ZONE_NAMES))
            self.results.append((np.asarray(predicted) == np.asarray(truth)))

    def compute_metrics(self, results: list) -> dict[str, float]:
        if not results:
            raise ValueError('LocationReportMetric got no results to evaluate')
        correct = np.stack(results).astype(np.float64)
        out = {f'ZoneAcc_{zone}': 100 * correct[:, i].mean()
               for i, zone in enumerate(ZONE_NAMES)}
        out['ZoneAcc_mean'] = 100 * correct.mean()
        out['ExactMatch'] = 100 * correct.all(axis=1).mean()
        table = PrettyTable()
        table.field_names = list(out)
        table.add_row([f'{value:.2f}' for value in out.values()])
        print_log(f'Generated reports against the captions, {len(results)} images:',
                  logger=MMLogger.get_current_instance())
        print_log('\n' + table.get_string(), logger=MMLogger.get_current_instance())
        return {key: float(value) for key, value in out.items()}
