"""Evaluation: lesion segmentation metrics and their functional API."""
from .functional import (
    EPS,
    SCORE_NAMES,
    confusion_counts,
    e_measure,
    e_measure_from_counts,
    mae,
    minmax_normalise,
    s_measure,
    scores_from_counts,
    threshold_curves,
)
from .metrics import InfNetMetric, LesionMetric, LocationReportMetric, VolumeDiceMetric

__all__ = [
    'EPS',
    'SCORE_NAMES',
    'InfNetMetric',
    'LesionMetric',
    'LocationReportMetric',
    'VolumeDiceMetric',
    'confusion_counts',
    'e_measure',
    'e_measure_from_counts',
    'mae',
    'minmax_normalise',
    's_measure',
    'scores_from_counts',
    'threshold_curves',
]
