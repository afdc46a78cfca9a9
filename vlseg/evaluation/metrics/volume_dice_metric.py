"""Per-volume Dice of 3D segmentations (the 3D RA-UNet paper's DSC), and NIfTI output.

The 3D RA-UNet seed reports the Dice similarity coefficient of each test volume and
their mean (Table 1: 0.6813 for RA-UNet, 0.6641 for the 3D U-Net). ``DSC`` here is that
mean over volumes, in [0, 1] as the paper writes it; ``DSC_pooled`` pools the voxels of
all volumes; ``DSC_<case>`` is each volume's. A volume with no lesion in the mask and
none predicted scores 1.
"""
from __future__ import annotations

import os
import os.path as osp
from collections.abc import Sequence
from typing import Optional

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from prettytable import PrettyTable

from vlseg.registry import METRICS

__all__ = ['VolumeDiceMetric', 'save_nifti_mask']


def save_nifti_mask(mask: np.ndarray, affine: np.ndarray, path: str) -> None:
    """Write a uint8 mask as NIfTI with ``affine`` (the input volume's)."""
    import nibabel as nib

    folder = osp.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    nib.save(nib.Nifti1Image(np.asarray(mask, np.uint8), np.asarray(affine, np.float64)), path)


@METRICS.register_module()
class VolumeDiceMetric(BaseMetric):
    """Dice of each volume, their mean (``DSC``) and the pooled Dice (``DSC_pooled``).

    Args:
        output_dir: also write each predicted mask there as ``<case>.nii.gz`` with the
            input volume's affine (``None``: write nothing).
        collect_device, prefix, collect_dir: as ``BaseMetric``.
    """

    def __init__(self, output_dir: Optional[str] = None, collect_device: str = 'cpu',
                 prefix: Optional[str] = None, collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        self.output_dir = output_dir

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            name = sample.get('case') or osp.basename(str(sample.get('img_path', 'volume')))
            if 'pred_volume' not in sample or 'gt_volume' not in sample:
                raise KeyError(f'VolumeDiceMetric: {name} lacks pred_volume or gt_volume (a '
                               'VolumeSegmentor and a pipeline with LoadNiftiMask)')
            pred = np.asarray(sample['pred_volume'].cpu())[0].astype(bool)
            truth = np.asarray(sample['gt_volume'].cpu())[0].astype(bool)
            if pred.shape != truth.shape:
                raise ValueError(f'VolumeDiceMetric: {name}: prediction {pred.shape} and mask '
                                 f'{truth.shape} differ in shape')
            if self.output_dir is not None:
                save_nifti_mask(pred, sample['affine'], osp.join(self.output_dir,
                                                                 f'{name}.nii.gz'))
            overlap = int((pred & truth).sum())
            self.results.append((name, overlap, int(pred.sum()), int(truth.sum())))

    def compute_metrics(self, results: list) -> dict[str, float]:
        if not results:
            raise ValueError('VolumeDiceMetric got no volumes to evaluate')
        scores = [1.0 if predicted + truth == 0 else 2 * overlap / (predicted + truth)
                  for _, overlap, predicted, truth in results]
        overlap = sum(r[1] for r in results)
        total = sum(r[2] + r[3] for r in results)
        out = {'DSC': float(np.mean(scores)),
               'DSC_pooled': 1.0 if total == 0 else 2 * overlap / total}
        names = [r[0] for r in results]
        if len(set(names)) != len(names):
            raise ValueError(f'VolumeDiceMetric: volumes share a case name: {sorted(names)}')
        out.update({f'DSC_{name}': value for name, value in zip(names, scores)})
        table = PrettyTable(['volume', 'DSC', 'lesion voxels', 'predicted voxels'])
        for (name, _, predicted, truth), score in zip(results, scores):
            table.add_row([name, f'{score:.4f}', truth, predicted])
        table.add_row(['mean', f'{out["DSC"]:.4f}', '', ''])
        print_log('\n' + table.get_string(), logger=MMLogger.get_current_instance())
        return out
