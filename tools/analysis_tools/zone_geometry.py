"""How far the captions' six location zones follow the lesion masks' geometry.

    python tools/analysis_tools/zone_geometry.py DATA_ROOT [--fit-split train]
        [--eval-split test] [--pred-dir DIR] [--size 224]

SGSeg's report generator (LERG) learns six labels per image, ``[L-upper, L-middle,
L-lower, R-upper, R-middle, R-lower]``, from the captions (``vlseg.text.parse_caption``;
"left"/"right" are image sides, as the captions write them). This tool asks how much of
them the lesion's position in the image explains: a zone is named when the mask's share of
lesion pixels inside it passes a threshold, the zones being the two halves of the image
split at the middle column and, in each, three bands cut at two row fractions. The two
fractions and the threshold are fitted on the ``--fit-split`` masks (a grid search for the
best mean agreement with the captions), then the rule's agreement with the ``--eval-split``
captions is printed per zone, its mean and the share of images with all six right, for
the label prior (each zone's most frequent value), the reference masks and, with
``--pred-dir``, a model's masks (``tools/infer.py``'s ``masks/NAME.png``, by image name).

So it bounds what a locator that finds the lesion could give (the rule on the reference
masks) and measures what the model's own masks give. Ours (an analysis of SGSeg's report
generator in docs/results.md), no part of the paper. Images are read through
:class:`vlseg.datasets.QaTaCOV19Dataset` (``layout='sgseg'``), masks resized to ``--size``
squares (nearest).
"""
from __future__ import annotations

import argparse
import itertools
import os.path as osp
import sys
from collections.abc import Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import cv2
import numpy as np

from vlseg.datasets import QaTaCOV19Dataset
from vlseg.text import ZONE_NAMES, CaptionParseError, parse_caption

#: The grid the rule is fitted over: the two row fractions and the lesion-share threshold.
UPPER_ENDS = (0.25, 0.3, 0.35, 0.4)
MIDDLE_ENDS = (0.5, 0.55, 0.6, 0.65, 0.7)
THRESHOLDS = (0.005, 0.01, 0.02, 0.05, 0.1)


def lesion_rows(mask: np.ndarray) -> np.ndarray:
    """``(2, H)``: lesion pixels in each row of the image's left and right halves (every
    zone is one band of one of them)."""
    width = mask.shape[1]
    return np.stack((mask[:, :width // 2].sum(1), mask[:, width // 2:].sum(1)))


def zone_shares(rows: np.ndarray, upper_end: float, middle_end: float) -> np.ndarray:
    """Share of the lesion in each zone, in ``ZONE_NAMES`` order, from :func:`lesion_rows`."""
    height = rows.shape[1]
    total = max(int(rows.sum()), 1)
    ends = (0, int(upper_end * height), int(middle_end * height), height)
    return np.asarray([side[ends[band]:ends[band + 1]].sum() / total
                       for side in rows for band in range(3)])


def fit_rule(masks: Sequence[np.ndarray], labels: np.ndarray) -> tuple[float, float, float, float]:
    """``(upper_end, middle_end, threshold, agreement)`` of the grid's best rule, for masks
    given as :func:`lesion_rows`."""
    best = None
    for upper_end, middle_end in itertools.product(UPPER_ENDS, MIDDLE_ENDS):
        shares = np.stack([zone_shares(rows, upper_end, middle_end) for rows in masks])
        for threshold in THRESHOLDS:
            agreement = float(((shares > threshold) == labels).mean())
            if best is None or agreement > best[3]:
                best = (upper_end, middle_end, threshold, agreement)
    return best


def agreement_line(name: str, zones: np.ndarray, labels: np.ndarray) -> str:
    per_zone = (zones == labels).mean(0) * 100
    cells = ', '.join(f'{zone} {value:.1f}' for zone, value in zip(ZONE_NAMES, per_zone))
    return (f'{name}: {cells}; mean {per_zone.mean():.1f}%, all six right '
            f'{(zones == labels).all(1).mean() * 100:.1f}%')


def read_split(data_root: str, split: str, size: int, pred_dir: str | None = None):
    """Reference masks, caption labels and (with ``pred_dir``) predicted masks of a split,
    each mask as its :func:`lesion_rows`."""
    dataset = QaTaCOV19Dataset(data_root=data_root, split=split, layout='sgseg', pipeline=[])
    masks, labels, predicted = [], [], []
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        try:
            labels.append(parse_caption(info['text']).location_labels())
        except CaptionParseError as error:
            raise SystemExit(f'zone_geometry: {info["img_path"]}: {error}') from None
        masks.append(read_mask(info['seg_map_path'], size))
        if pred_dir:
            name = osp.splitext(osp.basename(info['img_path']))[0] + '.png'
            predicted.append(read_mask(osp.join(pred_dir, name), size))
    return masks, np.asarray(labels, dtype=bool), predicted


def read_mask(path: str, size: int) -> np.ndarray:
    """:func:`lesion_rows` of the mask at ``path``, resized to ``size`` squares."""
    mask = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise SystemExit(f'zone_geometry: cannot read the mask {path}')
    return lesion_rows(cv2.resize((mask > 127).astype(np.uint8), (size, size),
                                  interpolation=cv2.INTER_NEAREST))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root', help='a QaTa-COV19 folder in SGSeg\'s layout')
    parser.add_argument('--fit-split', default='train')
    parser.add_argument('--eval-split', default='test')
    parser.add_argument('--pred-dir', help='predicted masks of the eval split (NAME.png)')
    parser.add_argument('--size', type=int, default=224, help='masks resized to this square')
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    fit_masks, fit_labels, _ = read_split(args.data_root, args.fit_split, args.size)
    upper_end, middle_end, threshold, agreement = fit_rule(fit_masks, fit_labels)
    print(f'rule fitted on {len(fit_masks)} {args.fit_split} masks: bands end at rows '
          f'{upper_end:g} and {middle_end:g} of the height, a zone named where it holds more '
          f'than {threshold:g} of the lesion (agreement {agreement * 100:.1f}%)')
    masks, labels, predicted = read_split(args.data_root, args.eval_split, args.size,
                                          args.pred_dir)

    def zones(of):
        return np.stack([zone_shares(m, upper_end, middle_end) > threshold for m in of])

    prior = np.tile(fit_labels.mean(0) > 0.5, (len(labels), 1))
    print(agreement_line(f'{args.eval_split}, label prior (each zone\'s most frequent '
                         f'{args.fit_split} value)', prior, labels))
    print(agreement_line(f'{args.eval_split}, reference masks', zones(masks), labels))
    if predicted:
        print(agreement_line(f'{args.eval_split}, {args.pred_dir}', zones(predicted), labels))
    return 0


if __name__ == '__main__':
    sys.exit(main())
