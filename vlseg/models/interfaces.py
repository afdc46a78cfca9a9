"""What each component gives and reads, and the check that a segmentor's parts fit.

Mixing the parts of different methods is editing a config (``docs/user_guide.md``,
"Mixing components across methods"). The declarations below let
``LanguageGuidedSegmentor`` find a misfit when it is built and name the two parts and
the reason, instead of a shape error deep inside a forward pass. They are plain
attributes read with ``getattr``: an mmseg component without them still fits, and
what it does not declare is not checked.

Text sources (the ``text_encoder``), called as ``text_encoder(captions)``:
    ``text_keys``: the keys of the dict they return: ``'tokens'`` ``(B, L, C)`` with
    ``'mask'`` ``(B, L)`` and ``'pooled'`` ``(B, C)`` (language models), or
    ``'vector'`` ``(B, K)`` (a structured vector, C2FVL's lesion vector);
    ``out_channels``: ``C`` (``K`` for a vector); ``text_length``: ``L``.
Image backbones: ``out_channels`` and ``strides`` of their maps, shallow to deep, and
    ``global_channels`` when a pooled image vector follows the maps
    (``TimmConvNeXt(with_global=True)``; stride ``None`` here).
Text consumers (necks, decode heads, alignment losses): ``text_inputs``, the keys they
    read (empty or absent: image-only, and the segmentor passes them no text), and,
    where their weights fix them, ``text_channels`` and ``text_length``.
Necks: ``neck_out_channels(in_channels)``, the widths they return (the text-weighting
    necks keep them), and ``text_levels``, the indices of the maps they put the text into;
    without them, what follows a neck is not checked. The decode head must read one of
    those maps, or the neck's text never reaches the prediction.
Decode heads: mmseg's ``in_channels``, ``in_index`` and ``input_transform``.
Alignment losses: ``in_channels`` and ``feature_index`` (level name -> feature index).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Optional

from mmengine.logging import print_log
from torch import nn

TOKEN_KEYS = ('tokens', 'pooled')  # the keys whose width is the source's out_channels


class IncompatibleComponentsError(ValueError):
    """Two parts of a model that cannot be combined; the message names both and why."""


def name_of(module: object) -> str:
    return type(module).__name__


def as_list(value) -> list:
    """mmseg's ``in_index`` / ``in_channels``: one value or a list of them, as a list."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def feature_levels(backbone: nn.Module) -> Optional[list[tuple[int, Optional[int]]]]:
    """``(channels, stride)`` of each backbone output, or ``None`` when undeclared."""
    channels = getattr(backbone, 'out_channels', None)
    strides = getattr(backbone, 'strides', None)
    if not isinstance(channels, Sequence) or not isinstance(strides, Sequence):
        return None
    levels = [(int(c), int(s)) for c, s in zip(channels, strides)]
    if getattr(backbone, 'global_channels', None) is not None:
        levels.append((int(backbone.global_channels), None))
    return levels


def text_inputs(module: object) -> tuple[str, ...]:
    """The text keys ``module`` reads (``()``: an image-only component)."""
    return tuple(getattr(module, 'text_inputs', ()) or ())


def text_misfit(source: nn.Module, consumer: object) -> Optional[str]:
    """Why ``consumer`` cannot read what ``source`` gives, or ``None`` when it can."""
    wanted = text_inputs(consumer)
    given = getattr(source, 'text_keys', None)
    if not wanted or given is None:
        return None
    pair = f'{name_of(consumer)} cannot read the text of {name_of(source)}'
    missing = [key for key in wanted if key not in given]
    if missing:
        return (f'{pair}: it reads text{missing}, {name_of(source)} gives {sorted(given)} '
                "(a language model gives 'tokens'/'mask'/'pooled', LesionVectorEncoder "
                "'vector')")
    width = getattr(source, 'out_channels', None)
    expected = getattr(consumer, 'text_channels', None)
    if (width is not None and expected is not None and int(width) != int(expected)
            and any(key in TOKEN_KEYS for key in wanted)):
        return (f'{pair}: its text_channels is {expected}, {name_of(source)} gives width '
                f'{width} (set text_channels={width})')
    length = getattr(source, 'text_length', None)
    expected = getattr(consumer, 'text_length', None)
    if (length is not None and expected is not None and int(length) != int(expected)
            and 'tokens' in wanted):
        return (f'{pair}: its text_length is {expected}, {name_of(source)} gives {length} '
                f'tokens per caption (set text_length={length}, or the source\'s length)')
    return None


def head_misfit(producer: str, channels: Sequence[int], head: nn.Module) -> Optional[str]:
    """Why ``head`` cannot read maps of ``channels`` (made by ``producer``), or ``None``."""
    in_index = getattr(head, 'in_index', None)
    in_channels = getattr(head, 'in_channels', None)
    if in_index is None or in_channels is None:
        return None
    indices, wanted = as_list(in_index), as_list(in_channels)
    if getattr(head, 'input_transform', None) == 'resize_concat':
        wanted = [None] * len(indices)  # one concatenated width: checked by the head
    pair = f'{name_of(head)} cannot read the maps of {producer}'
    if any(not -len(channels) <= i < len(channels) for i in indices):
        return (f'{pair}: in_index {list(in_index) if len(indices) > 1 else in_index} but '
                f'{producer} gives {len(channels)} outputs')
    given = [channels[i] for i in indices]
    if any(w is not None and int(w) != g for w, g in zip(wanted, given)):
        widths = given if len(given) > 1 else given[0]
        return (f'{pair}: in_channels {in_channels} at in_index {in_index}, but those maps '
                f'have {widths} channels (set in_channels={widths})')
    return None


def unreached_text(neck: nn.Module, head: nn.Module, num_levels: int) -> Optional[str]:
    """Why the text a neck puts into some maps never reaches ``head``, or ``None``."""
    levels = getattr(neck, 'text_levels', None)
    in_index = getattr(head, 'in_index', None)
    if not text_inputs(neck) or levels is None or in_index is None:
        return None
    read = {i % num_levels for i in as_list(in_index)}
    written = {i % num_levels for i in levels}
    if read & written:
        return None
    return (f'{name_of(head)} cannot read the text {name_of(neck)} adds: it reads maps '
            f'{sorted(read)}, the text is in maps {sorted(written)} only, so the prediction '
            'would ignore the text (change the head\'s in_index or the neck\'s levels)')


def alignment_misfit(producer: str, channels: Sequence[int], alignment: nn.Module
                     ) -> Optional[str]:
    """Why an alignment loss cannot read the features of ``producer``, or ``None``."""
    widths = getattr(alignment, 'in_channels', None)
    indices = getattr(alignment, 'feature_index', None)
    if not isinstance(widths, dict) or not isinstance(indices, dict):
        return None
    for level, index in indices.items():
        pair = f'{name_of(alignment)} cannot align level {level!r} of {producer}'
        if not -len(channels) <= index < len(channels):
            return (f'{pair}: its feature_index is {index}, {producer} gives '
                    f'{len(channels)} outputs')
        if int(widths[level]) != channels[index]:
            return (f'{pair}: in_channels[{level!r}] is {widths[level]}, feature {index} has '
                    f'{channels[index]} channels')
    return None


def check_components(text_encoder: nn.Module, backbone: nn.Module,
                     neck: Optional[nn.Module], heads: Sequence[nn.Module],
                     alignment: Optional[nn.Module] = None) -> None:
    """Raise :class:`IncompatibleComponentsError` when two of the parts do not fit."""
    consumers = [m for m in (neck, *heads, alignment) if m is not None]
    for consumer in consumers:
        reason = text_misfit(text_encoder, consumer)
        if reason:
            raise IncompatibleComponentsError(reason)
    if getattr(text_encoder, 'text_keys', None) and not any(map(text_inputs, consumers)):
        print_log(f'No part of the model reads the text of {name_of(text_encoder)}: it '
                  'segments from the image alone (the neck, heads and alignment read no '
                  'text keys)', logger='current', level=logging.WARNING)
    levels = feature_levels(backbone)
    if levels is None:
        return
    channels = [c for c, _ in levels]
    producer = name_of(backbone)
    if neck is not None:
        if not hasattr(neck, 'neck_out_channels'):
            return
        try:
            channels = list(neck.neck_out_channels(channels))
        except ValueError as error:
            raise IncompatibleComponentsError(
                f'{name_of(neck)} cannot read the maps of {producer}: {error}') from error
        producer = f'{producer} through {name_of(neck)}'
        # The decode head makes the prediction (auxiliary heads may read other maps).
        reason = unreached_text(neck, heads[0], len(channels)) if heads else None
        if reason:
            raise IncompatibleComponentsError(reason)
    for module, misfit in [(head, head_misfit) for head in heads] + [
            (alignment, alignment_misfit)]:
        if module is not None:
            reason = misfit(producer, channels, module)
            if reason:
                raise IncompatibleComponentsError(reason)
