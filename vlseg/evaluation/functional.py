"""Functional metrics for binary lesion segmentation (foreground = class 1).

Pure functions on numpy arrays (``confusion_counts`` also takes torch tensors,
so counting can stay on the GPU). The metric classes in
:mod:`vlseg.evaluation.metrics` are thin wrappers around these.

Overlap scores from the confusion counts TP, FP, FN, TN (``scores_from_counts``)::

    Dice = 2 TP / (2 TP + FP + FN)          IoU (Jaccard) = TP / (TP + FP + FN)
    Acc  = (TP + TN) / (TP + FP + FN + TN)  Prec = TP / (TP + FP)
    Sen  = TP / (TP + FN)   (recall)        Spec = TN / (TN + FP)

A ratio whose denominator is 0 ("0/0": nothing to find and nothing wrongly found)
scores ``empty_score`` (1, perfect) by default. With an empty ground truth and a
non-empty prediction, Dice = IoU = 0 (their denominators are FP > 0) while
Sen = 0/0 = 1: there were no positives to miss.

Inf-Net protocol (Fan et al., "Inf-Net: Automatic COVID-19 Lung Infection
Segmentation from CT Images", IEEE TMI 2020; MATLAB tool DengPingFan/Inf-Net
``EvaluationTool/main.m`` and ``Fmeasure_calu.m``): the probability map is
min-max normalised per image (``minmax_normalise``), binarised at 256 thresholds
t in linspace(0, 1, 256) (``P >= t``) and Dice, Sen, Spec, E-measure are
averaged over the thresholds (``threshold_curves``); following the tool,
Dice = Sen = 0 whenever TP = 0. Structure and error measures:

* S-measure (Fan et al., "Structure-measure: A New Way to Evaluate Foreground
  Maps", ICCV 2017), ``s_measure``: ``S = alpha * S_o + (1 - alpha) * S_r``,
  alpha = 0.5.

  - object-aware ``S_o = mu * O_FG + (1 - mu) * O_BG``, mu = mean(GT), with
    ``O = 2 x / (x^2 + 1 + sigma_x + eps)``, x and sigma_x the mean and
    standard deviation (N - 1 normalised, as MATLAB's ``std``) of P over the
    foreground (O_FG) or of 1 - P over the background (O_BG);
  - region-aware ``S_r = sum_k w_k ssim_k``: the image is split into four
    quadrants at the rounded centroid of GT, ``w_k`` = area fraction of quadrant
    k and ``ssim_k = 4 x y s_xy / ((x^2 + y^2)(s_x^2 + s_y^2) + eps)`` over its
    pixels (1 when numerator and denominator are both 0, else 0 when the
    numerator is 0);
  - special cases: GT all background -> ``1 - mean(P)``; GT all foreground ->
    ``mean(P)``; negative S is clipped to 0.

* E-measure (Fan et al., "Enhanced-alignment Measure for Binary Foreground Map
  Evaluation", IJCAI 2018), ``e_measure``: with the bias matrices
  ``phi_FM = FM - mean(FM)`` and ``phi_GT = GT - mean(GT)``, the alignment
  ``xi = 2 phi_GT * phi_FM / (phi_GT^2 + phi_FM^2 + eps)``, the enhanced
  alignment ``phi = (1 + xi)^2 / 4`` and ``Q_E = sum(phi) / (w h)``. Special
  cases: GT all background -> ``phi = 1 - FM``; GT all foreground -> ``phi = FM``.
  Since FM and GT are binary, phi takes four values, one per confusion cell, so
  ``e_measure_from_counts`` evaluates it from TP/FP/FN/TN, for all thresholds at
  once.

* MAE = mean |P - GT| (``mae``).

Pixels where ``valid`` is False (the metrics pass ``gt != ignore_index``) are
left out of every statistic; for the S-measure, quadrants are still cut at the
centroid but each quadrant's SSIM and weight use its valid pixels only.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    'EPS',
    'SCORE_NAMES',
    'confusion_counts',
    'e_measure',
    'e_measure_from_counts',
    'mae',
    'minmax_normalise',
    's_measure',
    'scores_from_counts',
    'threshold_curves',
]

#: MATLAB's ``eps`` (float64 machine epsilon), as in the reference MATLAB code.
EPS = float(np.finfo(np.float64).eps)

#: Names understood by :func:`scores_from_counts`.
SCORE_NAMES = ('Dice', 'IoU', 'Acc', 'Sen', 'Spec', 'Prec')


def _to_numpy(x: Any) -> np.ndarray:
    """Return ``x`` as a numpy array (detaching / moving torch tensors)."""
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _valid_mask(gt: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    if valid is None:
        return np.ones(gt.shape, dtype=bool)
    valid = np.asarray(valid, dtype=bool)
    if valid.shape != gt.shape:
        raise ValueError(f'valid mask shape {valid.shape} != gt shape {gt.shape}')
    return valid


def _check_same_shape(a: Any, b: Any, names: str = 'pred, gt') -> None:
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f'shape mismatch ({names}): {tuple(a.shape)} vs {tuple(b.shape)}')


def confusion_counts(pred: Any, gt: Any, ignore_index: int | None = 255,
                     fg_label: int = 1) -> tuple[int, int, int, int]:
    """Confusion counts of a binary prediction against a label map.

    Args:
        pred: Predicted label map (numpy array or torch tensor, any shape);
            pixels equal to ``fg_label`` (or ``True``) are positive.
        gt: Ground-truth label map, same shape; ``fg_label`` is positive,
            ``ignore_index`` is left out, any other value is negative.
        ignore_index: Label of pixels to exclude (mmseg's 255); None keeps all.
        fg_label: Foreground label.

    Returns:
        ``(TP, FP, FN, TN)`` as Python ints, over the non-ignored pixels.
    """
    _check_same_shape(pred, gt)
    p = pred == fg_label
    g = gt == fg_label
    if ignore_index is not None:
        valid = gt != ignore_index
        p = p & valid
        n_valid = int(valid.sum())
    else:
        n_valid = int(np.prod(tuple(gt.shape)))
    tp = int((p & g).sum())
    n_pred = int(p.sum())
    n_gt = int(g.sum())
    fp = n_pred - tp
    fn = n_gt - tp
    tn = n_valid - tp - fp - fn
    return tp, fp, fn, tn


def _ratio(num: Any, den: Any, empty: float) -> Any:
    """``num / den``, and ``empty`` where ``den == 0`` (scalar or array-wise)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.where(den > 0, num / np.where(den > 0, den, 1.0), empty)
    return float(out) if out.ndim == 0 else out


def scores_from_counts(tp: Any, fp: Any, fn: Any, tn: Any,
                       empty_score: float = 1.0) -> dict[str, Any]:
    """Dice, IoU, Acc, Sen, Spec and Prec (fractions in [0, 1]) from counts.

    Works element-wise on scalars or on arrays of per-image counts (returning
    arrays of per-image scores). A ratio with a zero denominator takes
    ``empty_score``: e.g. empty ground truth and empty prediction give
    Dice = IoU = Sen = 1, and empty ground truth with a non-empty prediction
    gives Dice = IoU = 0 but Sen = 1 (no positive could be missed).

    Args:
        tp, fp, fn, tn: True/false positives, false/true negatives.
        empty_score: Value of a 0/0 ratio.

    Returns:
        dict with keys ``'Dice', 'IoU', 'Acc', 'Sen', 'Spec', 'Prec'``.
    """
    tp, fp, fn, tn = (np.asarray(v, dtype=np.float64) for v in (tp, fp, fn, tn))
    return {
        'Dice': _ratio(2 * tp, 2 * tp + fp + fn, empty_score),
        'IoU': _ratio(tp, tp + fp + fn, empty_score),
        'Acc': _ratio(tp + tn, tp + fp + fn + tn, empty_score),
        'Sen': _ratio(tp, tp + fn, empty_score),
        'Spec': _ratio(tn, tn + fp, empty_score),
        'Prec': _ratio(tp, tp + fp, empty_score),
    }


def minmax_normalise(prob: Any, valid: np.ndarray | None = None) -> np.ndarray:
    """Min-max normalise a map to [0, 1]: ``(P - min) / (max - min)``.

    Min and max are taken over the ``valid`` pixels. No epsilon is added, so
    the maximum maps to exactly 1 (as MATLAB's ``mapminmax`` in Inf-Net's tool,
    which makes the threshold t = 1 select the maximum); a constant map becomes
    all zeros.

    Args:
        prob: Probability (or any score) map.
        valid: Optional boolean mask of the pixels to use for min and max.

    Returns:
        float64 array of the same shape.
    """
    p = _to_numpy(prob).astype(np.float64)
    vals = p if valid is None else p[_valid_mask(p, valid)]
    if vals.size == 0:
        return np.zeros_like(p)
    lo, hi = float(vals.min()), float(vals.max())
    if not hi > lo:
        return np.zeros_like(p)
    return np.clip((p - lo) / (hi - lo), 0.0, 1.0)


def e_measure_from_counts(tp: Any, fp: Any, fn: Any, tn: Any,
                          n_minus_one: bool = False) -> Any:
    """E-measure of a binary map from its confusion counts (array-wise).

    ``FM`` and ``GT`` are binary, so ``phi`` of the E-measure takes one value
    per confusion cell: ``Q_E = (TP phi_11 + FP phi_10 + FN phi_01 + TN phi_00) / N``
    with ``phi_fg = (1 + xi_fg)^2 / 4``, ``xi_fg = 2 a b / (a^2 + b^2 + eps)``,
    ``a = f - mean(FM)``, ``b = g - mean(GT)``. Special cases as in
    :func:`e_measure`.

    Args:
        tp, fp, fn, tn: Counts (scalars or arrays of equal shape, e.g. one
            entry per threshold).
        n_minus_one: Divide by ``N - 1 + eps`` as Inf-Net's MATLAB
            ``Enhancedmeasure.m`` does (a perfect map then scores N / (N - 1)),
            instead of the paper's ``N``.

    Returns:
        float, or float64 array shaped like the counts.
    """
    tp, fp, fn, tn = (np.asarray(v, dtype=np.float64) for v in (tp, fp, fn, tn))
    n = tp + fp + fn + tn
    n_safe = np.where(n > 0, n, 1.0)
    mu_f = (tp + fp) / n_safe
    mu_g = (tp + fn) / n_safe

    def phi(f: float, g: float) -> np.ndarray:
        a = f - mu_f
        b = g - mu_g
        xi = 2.0 * a * b / (a * a + b * b + EPS)
        return (xi + 1.0) ** 2 / 4.0

    total = tp * phi(1, 1) + fp * phi(1, 0) + fn * phi(0, 1) + tn * phi(0, 0)
    # GT all background: phi = 1 - FM (sum = pixels predicted 0 = TN);
    # GT all foreground: phi = FM (sum = TP).
    total = np.where(tp + fn == 0, tn, np.where(fp + tn == 0, tp, total))
    den = n - 1.0 + EPS if n_minus_one else n_safe
    out = np.where(n > 0, total / den, 0.0)
    return float(out) if out.ndim == 0 else out


def e_measure(pred_binary: Any, gt: Any, valid: np.ndarray | None = None,
              n_minus_one: bool = False) -> float:
    """Enhanced-alignment measure (Fan et al., IJCAI 2018) of a binary map.

    Direct pixel-wise implementation of ``Q_E = mean((1 + xi)^2 / 4)`` with
    ``xi = 2 phi_GT phi_FM / (phi_GT^2 + phi_FM^2 + eps)``; if GT is all
    background ``phi = 1 - FM``, if all foreground ``phi = FM``.

    Args:
        pred_binary: Binary foreground map (nonzero = foreground).
        gt: Binary ground truth (nonzero = foreground).
        valid: Optional boolean mask of the pixels to evaluate.
        n_minus_one: Divide by ``N - 1 + eps`` like the MATLAB code.

    Returns:
        The E-measure (1 for a perfect map with the paper's ``N``).
    """
    fm = _to_numpy(pred_binary)
    g = _to_numpy(gt)
    _check_same_shape(fm, g)
    m = _valid_mask(g, valid)
    fm = (fm[m] != 0).astype(np.float64)
    g = (g[m] != 0).astype(np.float64)
    n = fm.size
    if n == 0:
        return 0.0
    if g.sum() == 0:
        enhanced = 1.0 - fm
    elif g.sum() == n:
        enhanced = fm
    else:
        a = fm - fm.mean()
        b = g - g.mean()
        align = 2.0 * a * b / (a * a + b * b + EPS)
        enhanced = (align + 1.0) ** 2 / 4.0
    den = n - 1.0 + EPS if n_minus_one else float(n)
    return float(enhanced.sum() / den)


def _counts_at_thresholds(prob: np.ndarray, gt: np.ndarray, thresholds: np.ndarray,
                          strict: bool) -> tuple[np.ndarray, ...]:
    """TP, FP, FN, TN of ``prob >= t`` (``> t`` if strict) for every t."""
    side = 'right' if strict else 'left'
    pos = np.sort(prob[gt])
    neg = np.sort(prob[~gt])
    tp = pos.size - np.searchsorted(pos, thresholds, side=side)
    fp = neg.size - np.searchsorted(neg, thresholds, side=side)
    return tp, fp, pos.size - tp, neg.size - fp


def threshold_curves(prob_norm: Any, gt: Any, num_thresholds: int = 256,
                     valid: np.ndarray | None = None, strict: bool = False,
                     spec_zero_if_no_tp: bool = False,
                     e_n_minus_one: bool = False) -> dict[str, np.ndarray]:
    """Dice, Sen, Spec and E-measure at each of ``num_thresholds`` thresholds.

    The map is binarised at every t in ``linspace(0, 1, num_thresholds)`` as
    ``prob_norm >= t`` (``> t`` if ``strict``); all thresholds are evaluated at
    once from sorted values (O(N log N)), exactly as a loop would.

    Conventions of Inf-Net's ``Fmeasure_calu.m``: Dice = 0 and Sen = 0 when
    TP = 0 (also for an empty ground truth and empty prediction). Spec is
    ``TN / (TN + FP)`` (1 when there are no negatives); with
    ``spec_zero_if_no_tp=True`` it is 0 whenever TP = 0, as that MATLAB code
    does, to reproduce published numbers.

    Args:
        prob_norm: Map in [0, 1] (already min-max normalised).
        gt: Binary ground truth (nonzero = foreground).
        num_thresholds: Number of thresholds (Inf-Net: 256).
        valid: Optional boolean mask of the pixels to evaluate.
        strict: Use ``>`` instead of ``>=``.
        spec_zero_if_no_tp: Reproduce the MATLAB code's Spec = 0 when TP = 0.
        e_n_minus_one: E-measure denominator ``N - 1 + eps`` (MATLAB code).

    Returns:
        dict of float64 arrays of length ``num_thresholds``: ``'thresholds'``,
        ``'tp'``, ``'fp'``, ``'fn'``, ``'tn'``, ``'dice'``, ``'sen'``,
        ``'spec'``, ``'e_measure'``.
    """
    p = _to_numpy(prob_norm).astype(np.float64)
    g = _to_numpy(gt)
    _check_same_shape(p, g, 'prob_norm, gt')
    m = _valid_mask(g, valid)
    p, g = p[m], g[m] != 0
    thresholds = np.linspace(0.0, 1.0, num_thresholds)
    tp, fp, fn, tn = _counts_at_thresholds(p, g, thresholds, strict)
    tp, fp, fn, tn = (v.astype(np.float64) for v in (tp, fp, fn, tn))
    has_tp = tp > 0
    dice = np.where(has_tp, 2 * tp / np.maximum(2 * tp + fp + fn, 1.0), 0.0)
    sen = np.where(has_tp, tp / np.maximum(tp + fn, 1.0), 0.0)
    spec = _ratio(tn, tn + fp, 1.0)
    spec = np.atleast_1d(spec)
    if spec_zero_if_no_tp:
        spec = np.where(has_tp, spec, 0.0)
    e = np.atleast_1d(e_measure_from_counts(tp, fp, fn, tn, n_minus_one=e_n_minus_one))
    return {'thresholds': thresholds, 'tp': tp, 'fp': fp, 'fn': fn, 'tn': tn,
            'dice': dice, 'sen': sen, 'spec': spec, 'e_measure': e}


def _round_half_away(x: float) -> int:
    """MATLAB's ``round`` (halves away from zero) for non-negative x."""
    return int(np.floor(x + 0.5))


def _object_score(x: np.ndarray) -> float:
    """``O = 2 mean / (mean^2 + 1 + std + eps)``, std N - 1 normalised."""
    if x.size == 0:
        return 0.0
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if x.size > 1 else 0.0
    return 2.0 * mean / (mean * mean + 1.0 + std + EPS)


def _ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Global SSIM of one quadrant, as ``ssim`` in ``StructureMeasure.m``."""
    n = x.size
    mx, my = float(x.mean()), float(y.mean())
    dx, dy = x - mx, y - my
    sx2 = float((dx * dx).sum()) / (n - 1 + EPS)
    sy2 = float((dy * dy).sum()) / (n - 1 + EPS)
    sxy = float((dx * dy).sum()) / (n - 1 + EPS)
    alpha = 4.0 * mx * my * sxy
    beta = (mx * mx + my * my) * (sx2 + sy2)
    if alpha != 0:
        return alpha / (beta + EPS)
    return 1.0 if beta == 0 else 0.0


def s_measure(pred_prob: Any, gt: Any, alpha: float = 0.5,
              valid: np.ndarray | None = None) -> float:
    """Structure measure (Fan et al., ICCV 2017) of a map in [0, 1].

    ``S = alpha * S_o + (1 - alpha) * S_r`` (see the module docstring), with
    the special cases GT all background -> ``1 - mean(P)``, GT all foreground
    -> ``mean(P)``, and negative S clipped to 0. The GT centroid is rounded
    with MATLAB's ``round`` (1-based indices, halves away from zero) as in the
    reference ``StructureMeasure.m``. A quadrant without pixels has weight 0 and
    is skipped (the MATLAB code would return NaN there).

    Args:
        pred_prob: 2-D map with values in [0, 1].
        gt: 2-D binary ground truth (nonzero = foreground).
        alpha: Balance between object- and region-aware terms (0.5).
        valid: Optional boolean mask of the pixels to evaluate.

    Returns:
        The S-measure in [0, 1].
    """
    p = _to_numpy(pred_prob).astype(np.float64)
    g = _to_numpy(gt) != 0
    _check_same_shape(p, g, 'pred_prob, gt')
    if p.ndim != 2:
        raise ValueError(f's_measure expects 2-D maps, got shape {p.shape}')
    m = _valid_mask(g, valid)
    g = g & m
    n_valid = int(m.sum())
    if n_valid == 0:
        return 0.0
    y = float(g.sum()) / n_valid
    if y == 0:
        return 1.0 - float(p[m].mean())
    if y == 1:
        return float(p[m].mean())

    # Object-aware term.
    o_fg = _object_score(p[g])
    o_bg = _object_score(1.0 - p[m & ~g])
    s_object = y * o_fg + (1.0 - y) * o_bg

    # Region-aware term: quadrants at the (1-based, rounded) GT centroid.
    rows, cols = np.nonzero(g)
    cx = _round_half_away(float(cols.mean()) + 1.0)
    cy = _round_half_away(float(rows.mean()) + 1.0)
    s_region = 0.0
    for rs in (slice(0, cy), slice(cy, None)):
        for cs in (slice(0, cx), slice(cx, None)):
            qm = m[rs, cs]
            n_q = int(qm.sum())
            if n_q == 0:
                continue
            s_region += n_q / n_valid * _ssim(p[rs, cs][qm], g[rs, cs][qm].astype(np.float64))

    q = alpha * s_object + (1.0 - alpha) * s_region
    return max(q, 0.0)


def mae(prob: Any, gt: Any, valid: np.ndarray | None = None) -> float:
    """Mean absolute error ``mean(|P - GT|)`` between a map in [0, 1] and a binary GT."""
    p = _to_numpy(prob).astype(np.float64)
    g = (_to_numpy(gt) != 0).astype(np.float64)
    _check_same_shape(p, g, 'prob, gt')
    m = _valid_mask(g, valid)
    if not m.any():
        return 0.0
    return float(np.abs(p[m] - g[m]).mean())
