"""Inf-Net's evaluation protocol for lung infection segmentation.

Fan et al., "Inf-Net: Automatic COVID-19 Lung Infection Segmentation from CT
Images", IEEE TMI 2020, and its MATLAB tool (DengPingFan/Inf-Net
``EvaluationTool/main.m``, ``Fmeasure_calu.m``). Per image, the probability
map P is min-max normalised to [0, 1]; then

* Dice, Sen, Spec: averaged over the 256 thresholds t in linspace(0, 1, 256),
  binary map ``P >= t`` (Dice = Sen = 0 when TP = 0, as in ``Fmeasure_calu.m``);
  ``Spec_tool`` is the specificity as the tool computes it, 0 at every threshold
  where TP = 0, which is the Spec of the seed paper's Table 2 (always reported
  beside ``Spec``, the textbook TN / (TN + FP));
* S-measure (Fan et al., ICCV 2017), alpha = 0.5:
  ``S = alpha * S_o + (1 - alpha) * S_r`` on the normalised map;
* E-measure (Fan et al., IJCAI 2018): ``Q_E = mean((1 + xi)^2 / 4)`` of each
  binary map, averaged over the 256 thresholds (Inf-Net's ``E_phi^mean``);
* MAE = mean |P - GT|.

Each is then averaged over images (equal to the tool's mean over images of
each threshold, then over thresholds). The formulas are in
:mod:`vlseg.evaluation.functional`.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from prettytable import PrettyTable

from vlseg.registry import METRICS

from ..functional import mae, minmax_normalise, s_measure, threshold_curves

__all__ = ['InfNetMetric']

_KEYS = ('Dice', 'Sen', 'Spec', 'Spec_tool', 'S-measure', 'E-measure', 'MAE')


def foreground_probability(seg_logits: torch.Tensor) -> torch.Tensor:
    """Foreground (class 1) probability map (H, W) from mmseg ``seg_logits``.

    With one channel mmseg's ``postprocess_result`` already applied the
    sigmoid, so the channel is returned as is; with C >= 2 channels they are
    raw logits and the softmax probability of channel 1 is returned.
    """
    if seg_logits.dim() == 2:
        seg_logits = seg_logits[None]
    if seg_logits.shape[0] == 1:
        return seg_logits[0]
    return seg_logits.float().softmax(dim=0)[1]


@METRICS.register_module()
class InfNetMetric(BaseMetric):
    """Inf-Net's threshold-averaged Dice/Sen/Spec, S-measure, E-measure, MAE.

    Reads ``seg_logits['data']`` (C, H, W; C = 1: sigmoid probabilities, C = 2:
    logits, see :func:`foreground_probability`) and ``gt_sem_seg['data']``
    (foreground = 1; ``ignore_index`` pixels are left out, also of the min-max
    normalisation). Keys, as fractions in [0, 1] like Inf-Net's Table (the log
    shows 3 decimals): ``Dice``, ``Sen``, ``Spec``, ``Spec_tool`` (the MATLAB tool's
    and so Table 2's: 0 where TP = 0), ``S-measure``, ``E-measure``
    (mean over thresholds, Inf-Net's E_phi^mean), ``E-measure_max`` (max over
    thresholds of the image-averaged E-measure curve) and ``MAE``.

    Deviations from the MATLAB tool, by default (``code_compat=False``):

    * Min-max normalisation of the float map, without the tool's round trip
      through an 8-bit PNG (``MyTest_LungInf.py`` saves ``uint8`` maps).
    * Spec = TN / (TN + FP) at every threshold; ``Fmeasure_calu.m`` sets
      Spec = 0 whenever TP = 0 (that one is reported too, as ``Spec_tool``).
    * E-measure binarises with ``P >= t`` like the other scores and divides by
      N pixels (the paper); ``main.m`` binarises it with ``P > t`` and
      ``Enhancedmeasure.m`` divides by ``N - 1 + eps``.

    ``code_compat=True`` reproduces those three code behaviours (not the PNG
    quantisation), for comparison with published numbers.

    Args:
        num_thresholds: Number of thresholds in [0, 1]. Defaults to 256.
        alpha: S-measure balance. Defaults to 0.5.
        ignore_index: gt label left out. Defaults to 255.
        code_compat: Follow the MATLAB tool where it departs from the papers.
        collect_device: Device for collecting results across ranks.
        prefix: Prefix added to the metric names (as ``BaseMetric``).
        collect_dir: Directory for collecting results on cpu (as ``BaseMetric``).
    """

    def __init__(self,
                 num_thresholds: int = 256,
                 alpha: float = 0.5,
                 ignore_index: int = 255,
                 code_compat: bool = False,
                 collect_device: str = 'cpu',
                 prefix: str | None = None,
                 collect_dir: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if num_thresholds < 1:
            raise ValueError(f'num_thresholds must be >= 1, got {num_thresholds}')
        self.num_thresholds = int(num_thresholds)
        self.alpha = float(alpha)
        self.ignore_index = ignore_index
        self.code_compat = bool(code_compat)

    def evaluate_one(self, prob: np.ndarray, gt: np.ndarray) -> dict:
        """Scores of one image.

        Args:
            prob: Foreground probability map (H, W), any range.
            gt: Label map (H, W); 1 = foreground, ``ignore_index`` left out.

        Returns:
            dict with the per-image scalars of ``_KEYS`` and ``'E_curve'``
            (float32 E-measure per threshold).
        """
        valid = gt != self.ignore_index
        fg = gt == 1
        p = minmax_normalise(prob, valid=valid)
        curves = threshold_curves(p, fg, self.num_thresholds, valid=valid,
                                  spec_zero_if_no_tp=self.code_compat,
                                  e_n_minus_one=self.code_compat)
        e_curve = curves['e_measure']
        if self.code_compat:
            e_curve = threshold_curves(p, fg, self.num_thresholds, valid=valid, strict=True,
                                       e_n_minus_one=True)['e_measure']
        spec_tool = np.where(curves['tp'] > 0, curves['spec'], 0.0)
        return {
            'Dice': float(curves['dice'].mean()),
            'Sen': float(curves['sen'].mean()),
            'Spec': float(curves['spec'].mean()),
            'Spec_tool': float(spec_tool.mean()),
            'S-measure': s_measure(p, fg, alpha=self.alpha, valid=valid),
            'E-measure': float(e_curve.mean()),
            'MAE': mae(p, fg, valid=valid),
            'E_curve': e_curve.astype(np.float32),
        }

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Store the per-image scores.

        Args:
            data_batch: A batch from the dataloader (unused).
            data_samples: Model outputs as dicts with ``seg_logits['data']``
                (C, H, W) and ``gt_sem_seg['data']`` (1, H, W).
        """
        for data_sample in data_samples:
            prob = foreground_probability(data_sample['seg_logits']['data'])
            gt = data_sample['gt_sem_seg']['data'].squeeze()
            prob_np = prob.detach().float().cpu().numpy().astype(np.float64)
            gt_np = gt.detach().cpu().numpy()
            if prob_np.shape != gt_np.shape:
                raise ValueError(f'seg_logits {prob_np.shape} and gt_sem_seg {gt_np.shape} '
                                 'differ in size')
            self.results.append(self.evaluate_one(prob_np, gt_np))

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Average the per-image scores over images.

        Args:
            results: The per-image dicts stored by :meth:`process`.

        Returns:
            ``Dice``, ``Sen``, ``Spec``, ``Spec_tool``, ``S-measure``,
            ``E-measure``, ``E-measure_max``, ``MAE`` as fractions.
        """
        logger: MMLogger = MMLogger.get_current_instance()
        if len(results) == 0:
            raise ValueError('InfNetMetric got no results to evaluate')
        out = {k: float(np.mean([r[k] for r in results])) for k in _KEYS}
        e_curve = np.mean(np.stack([r['E_curve'] for r in results]).astype(np.float64), axis=0)
        out['E-measure_max'] = float(e_curve.max())
        order = ('Dice', 'Sen', 'Spec', 'Spec_tool', 'S-measure', 'E-measure', 'E-measure_max',
                 'MAE')
        out = {k: out[k] for k in order}

        table = PrettyTable()
        table.field_names = list(order)
        table.add_row([f'{out[k]:.3f}' for k in order])
        print_log(f'Inf-Net protocol over {len(results)} images '
                  f'({self.num_thresholds} thresholds; Spec_tool = Spec with 0 where TP = 0, '
                  'as the MATLAB tool and the seed\'s Table 2):', logger=logger)
        print_log('\n' + table.get_string(), logger=logger)
        return out
