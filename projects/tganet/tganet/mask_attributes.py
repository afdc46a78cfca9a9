"""TGANet's training targets: polyp count and size derived from the ground-truth mask.

Tomar et al., "TGANet: Text-guided attention for improved polyp segmentation", MICCAI
2022 (method: the number of polyps, one or multiple, and the polyp size, small, medium
or large, relative to the image). The authors' code (``nikhilroxtomar/TGANet``,
``train.py`` ``DATASET.mask_to_text``, ``utils.mask_to_bbox``) computes them from the
augmented mask resized to the network input:

- count: ``one`` if the mask has exactly one connected region, else ``multiple``;
- size: the area of a region's *bounding box* over the image area ``a``:
  ``small`` if ``a < 0.10``, ``medium`` if ``0.10 <= a < 0.30``, ``large`` if
  ``a >= 0.30``; with several regions the code keeps the class of the last one it
  visits (scikit-image's label order: the region whose first pixel comes last in
  raster order).

:func:`mask_attributes` does this with options (``TGANetMaskAttributes`` is the pipeline
transform): ``size_measure='bbox'`` (the code) or ``'area'`` (mask pixels),
``size_component='last'`` (the code), ``'largest'`` or ``'all'`` (all regions together:
the union's pixels, or the bounding box of the union), the thresholds, and
``count_source='caption'`` to take the count from a QaTa-style report ("... two
infected areas ...": one if the caption's count is 1, else multiple; parsed by
``vlseg.text.parse_caption``).

Differences from the code: regions are the mask's 8-connected components (OpenCV);
the code labels the *contour pixels* of the mask (``find_contours`` at 128, then
``label``), where a region with a hole gives two contours and so counts as multiple, and
its boxes are those of the contours (the same boxes up to a pixel). An empty mask, on
which the code fails (``polyp_sizes`` stays ``None``), gets ``ignore_index`` for both
attributes here, and so does the count of an empty caption: the attribute losses skip
them. Pixels equal to ``ignore_index`` (e.g. the padding of a rotation) are background.
"""
from __future__ import annotations

from typing import Optional, Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from vlseg.registry import TRANSFORMS
from vlseg.text import parse_caption

#: Field the transform adds and the packing step carries to ``TGANetHead``.
ATTRIBUTES_KEY = 'gt_tganet_attributes'
COUNT_WORDS = ('one', 'multiple')
SIZE_WORDS = ('small', 'medium', 'large')


def size_class(fraction: float, thresholds: Sequence[float] = (0.10, 0.30)) -> int:
    """0 (small), 1 (medium) or 2 (large): ``fraction < t_1``, ``t_1 <= f < t_2``,
    ``f >= t_2``."""
    low, high = thresholds
    return 0 if fraction < low else (1 if fraction < high else 2)


def caption_count(caption: str, source: str = 'caption') -> Optional[int]:
    """0 (one) or 1 (multiple) from a report's count of infected areas; ``None`` for
    an empty caption. Raises ``CaptionParseError`` on a caption that does not parse."""
    if not caption.strip():
        return None
    return 0 if parse_caption(caption, source=source).count == 1 else 1


def mask_attributes(mask: np.ndarray, size_measure: str = 'bbox',
                    size_component: str = 'last',
                    size_thresholds: Sequence[float] = (0.10, 0.30), connectivity: int = 8,
                    min_region_pixels: int = 1, ignore_index: int = 255
                    ) -> tuple[int, int]:
    """``(count, size)`` class indices of a ``(H, W)`` label map (1 = lesion).

    See the module docstring; ``min_region_pixels`` drops smaller regions first (1: keep
    every region, as the authors). An empty mask gives ``(ignore_index, ignore_index)``.
    """
    if size_measure not in ('bbox', 'area'):
        raise ValueError(f"size_measure must be 'bbox' or 'area', got {size_measure!r}")
    if size_component not in ('last', 'largest', 'all'):
        raise ValueError(f"size_component must be 'last', 'largest' or 'all', got "
                         f'{size_component!r}')
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f'mask_attributes: expected a (H, W) mask, got shape {mask.shape}')
    lesion = (mask == 1).astype(np.uint8)
    num, _, stats, _ = cv2.connectedComponentsWithStats(lesion, connectivity=connectivity)
    # Row r of stats: x, y, w, h, area of region r (0 = background), in raster order.
    regions = [stats[r] for r in range(1, num) if stats[r, cv2.CC_STAT_AREA] >= min_region_pixels]
    if not regions:
        return ignore_index, ignore_index
    count = 0 if len(regions) == 1 else 1
    image_area = float(mask.shape[0] * mask.shape[1])

    def bbox_area(x0: int, y0: int, x1: int, y1: int) -> float:
        return float((x1 - x0) * (y1 - y0))

    def measure(stat: np.ndarray) -> float:
        x, y, w, h, area = (int(v) for v in stat)
        return bbox_area(x, y, x + w, y + h) if size_measure == 'bbox' else float(area)

    if size_component == 'last':
        value = measure(regions[-1])
    elif size_component == 'largest':
        value = max(measure(stat) for stat in regions)
    elif size_measure == 'area':
        value = float(sum(int(stat[cv2.CC_STAT_AREA]) for stat in regions))
    else:  # the bounding box of all regions together
        x0 = min(int(s[0]) for s in regions)
        y0 = min(int(s[1]) for s in regions)
        x1 = max(int(s[0] + s[2]) for s in regions)
        y1 = max(int(s[1] + s[3]) for s in regions)
        value = bbox_area(x0, y0, x1, y1)
    return count, size_class(value / image_area, size_thresholds)


@TRANSFORMS.register_module()
class TGANetMaskAttributes(BaseTransform):
    """Add TGANet's attribute targets ``(count, size)`` of the sample's mask.

    Put it in the training pipeline after the mask is loaded, augmented and resized to
    the network input (as the authors), and carry the field with
    ``PackTextSegInputs(text_fields=('gt_tganet_attributes',))``. Test pipelines need it
    not: TGANet predicts the attributes itself.

    Args:
        count_source: ``'mask'`` (connected regions, the authors) or ``'caption'`` (the
            report's count of infected areas, QaTa-COV19 / MosMedData+ captions).
        size_measure, size_component, size_thresholds, connectivity, min_region_pixels,
            ignore_index: see :func:`mask_attributes`.

    Added key: ``gt_tganet_attributes`` (int64, 2): the count class (0 one, 1 multiple)
    and the size class (0 small, 1 medium, 2 large), ``ignore_index`` where undefined.
    """

    def __init__(self, count_source: str = 'mask', size_measure: str = 'bbox',
                 size_component: str = 'last',
                 size_thresholds: Sequence[float] = (0.10, 0.30), connectivity: int = 8,
                 min_region_pixels: int = 1, ignore_index: int = 255) -> None:
        if count_source not in ('mask', 'caption'):
            raise ValueError(f"TGANetMaskAttributes: count_source must be 'mask' or "
                             f"'caption', got {count_source!r}")
        if len(size_thresholds) != 2 or not 0 < size_thresholds[0] < size_thresholds[1]:
            raise ValueError(f'TGANetMaskAttributes: size_thresholds must be two increasing '
                             f'fractions, got {size_thresholds}')
        self.count_source = count_source
        self.options = dict(size_measure=size_measure, size_component=size_component,
                            size_thresholds=tuple(size_thresholds), connectivity=connectivity,
                            min_region_pixels=min_region_pixels, ignore_index=ignore_index)
        mask_attributes(np.zeros((2, 2), np.uint8), **self.options)  # checks the options
        self.ignore_index = ignore_index

    def check_caption(self, caption: str, source: str) -> None:
        """Raise as :meth:`transform` would on ``caption`` (vlseg's data preflight)."""
        if self.count_source == 'caption':
            caption_count(caption, source)

    def transform(self, results: dict) -> dict:
        if 'gt_seg_map' not in results:
            raise KeyError(f'TGANetMaskAttributes: no gt_seg_map for '
                           f'{results.get("img_path", "<unknown image>")}: load the mask '
                           '(LoadBinaryMask) before this transform')
        count, size = mask_attributes(results['gt_seg_map'], **self.options)
        if self.count_source == 'caption':
            from_caption = caption_count(str(results.get('text') or ''),
                                         str(results.get('img_path', 'caption')))
            count = self.ignore_index if from_caption is None else from_caption
        results[ATTRIBUTES_KEY] = np.array([count, size], np.int64)
        return results

    def __repr__(self) -> str:
        options = ', '.join(f'{key}={value!r}' for key, value in self.options.items())
        return f'{type(self).__name__}(count_source={self.count_source!r}, {options})'
