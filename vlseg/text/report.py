"""SGSeg's templated report: six location probabilities written as a QaTa caption.

Ye et al., "Enabling Text-free Inference in Language-guided Segmentation of Chest
X-rays via Self-guidance", MICCAI 2024 (SGSeg), Sec. 2: the localization-enhanced
report generator (LERG) predicts the six lung zones [L-upper, L-middle, L-lower,
R-upper, R-middle, R-lower], and the zones above a threshold are rendered with the
dataset's own template (sidedness, count of infected areas, zones per lung) into
the report that replaces the caption at inference.

The report goes through :func:`vlseg.text.render_caption` and is read back with
:func:`vlseg.text.parse_caption`; a report whose parse does not give back the
rendered zones is an error (never a silent empty caption), so a text source that
parses captions (C2FVL's lesion vector) sees exactly the predicted zones.

Every QaTa caption names at least one zone (the dataset has no report for a lung
without infection), so when no probability reaches the threshold the ``min_zones``
most probable zones are reported (1 by default); ``min_zones=0`` reports nothing
(``''``, the text-free caption) in that case instead. The authors' code (``SGSeg.gen``
in ``utils/model.py``) writes ``"no infection."`` there, a sentence no QaTa caption
has and the caption grammar does not read; its template is otherwise the one here
(``style='sgseg'``).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .caption import ZONE_NAMES, parse_caption, render_caption

__all__ = ['location_report', 'location_reports']


def location_report(probabilities: Sequence[float], threshold: float = 0.5,
                    style: str = 'sgseg', min_zones: int = 1) -> str:
    """The caption of one image's six zone probabilities.

    Args:
        probabilities: six probabilities in :data:`ZONE_NAMES` order (image sides).
        threshold: a zone is reported when its probability is ``>= threshold``.
        style: the dataset's wording, ``'sgseg'`` or ``'lvit'`` (``render_caption``).
        min_zones: zones reported (the most probable) when none reaches the threshold.

    Returns:
        e.g. ``'bilateral pulmonary infection, two infected areas, lower left lung and
        lower right lung.'``; ``''`` when nothing is reported.

    Raises:
        ValueError: not six probabilities, or a report that the caption parser does
            not read back to the same zones.
    """
    probs = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if probs.shape[0] != len(ZONE_NAMES):
        raise ValueError(f'location_report: expected {len(ZONE_NAMES)} zone probabilities, '
                         f'got {probs.shape[0]}')
    if not 0 <= min_zones <= len(ZONE_NAMES):
        raise ValueError(f'location_report: min_zones must be in [0, {len(ZONE_NAMES)}], '
                         f'got {min_zones}')
    zones = probs >= threshold
    if not zones.any():
        if min_zones == 0:
            return ''
        zones[np.argsort(-probs, kind='stable')[:min_zones]] = True
    report = render_caption(zones.tolist(), style=style)
    read_back = parse_caption(report, source='generated report').location_labels()
    if read_back != zones.astype(int).tolist():
        raise ValueError(f'generated report {report!r} reads back as zones {read_back}, '
                         f'not the predicted {zones.astype(int).tolist()}')
    return report


def location_reports(probabilities: Sequence[Sequence[float]], threshold: float = 0.5,
                     style: str = 'sgseg', min_zones: int = 1) -> list[str]:
    """:func:`location_report` of each row of a ``(B, 6)`` array of probabilities."""
    return [location_report(row, threshold, style, min_zones)
            for row in np.asarray(probabilities, dtype=np.float64).reshape(-1, len(ZONE_NAMES))]
