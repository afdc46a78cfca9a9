"""Parse and render QaTa-COV19 / MosMedData+ report-style captions.

The captions come from two releases of the same text:

* LViT's text for QaTa-COV19 and MosMedData+ (Li et al., "LViT: Language meets
  Vision Transformer in Medical Image Segmentation", IEEE TMI 2023;
  ``*_text.xlsx``, columns ``Image`` and ``Description``), e.g.
  ``"Bilateral pulmonary infection, two infected areas, all left lung and
  midlle lower right lung."``: capitalised, with typos (``midlle``), missing or
  doubled spaces, "all" for all three zones of a lung, zone words in any order,
  and a count that is sometimes the number of lungs rather than of zones.
* SGSeg's refined release of the QaTa-COV19 text (Ye et al., "Enabling Text-free
  Inference in Language-guided Segmentation of Chest X-rays via Self-guidance",
  MICCAI 2024; ``prompts/annotation.json``), e.g. ``"bilateral pulmonary
  infection, five infected areas, upper middle lower left lung and middle lower
  right lung."``: lower case, "all" spelled out, count = number of zones.

Both state three facts: sidedness (bilateral / unilateral), the count of
infected areas, and the infected zones (upper / middle / lower) of each lung.

Image-side convention: "left" and "right" are the side of the IMAGE (the
viewer's side), not the patient's side; on the QaTa masks about 97% of a
one-sided lesion lies on the named image half. The parser keeps them as
written: ``L-*`` zones are those the caption calls "left".

Grammar (case, whitespace and punctuation are free; ``[]`` optional)::

    caption  := side ["pulmonary"] ["infection(s)"] count ["infected"] ["area(s)"]
                location (["and"] location)*
    side     := "bilateral" | "unilateral"
    count    := "one" .. "six" | digits 1..6
    location := zone+ ("left" | "right") ["and" ("left" | "right")] ["lung(s)"]
    zone     := "upper" | "middle" | "lower" | "all"

Misspellings are corrected only through the explicit table :data:`TYPOS` and,
for words of five letters or more, a strict :func:`difflib.get_close_matches`
against the vocabulary (cutoff 0.85, unambiguous best match only). Anything
else raises :class:`CaptionParseError`, whose message names the source and the
exact words that could not be parsed.

Sidedness consistency: the word "bilateral"/"unilateral" is kept as written
(:attr:`LesionCaption.bilateral`) and is NOT checked against the zones by
default. On the real data it always agrees (all 2,700 records of SGSeg's
annotation.json in ``shared/data`` and the 111 LViT rows there: "bilateral"
exactly when both lungs have a zone, and SGSeg's ``pulmonary_infection`` field
is 2 exactly for "bilateral"), so a disagreement signals a corrupt caption
rather than a wording variant; pass ``strict=True`` to :func:`parse_caption` to
reject it, or read :attr:`LesionCaption.sides_consistent`. The count is never
checked against the zones (LViT sometimes counts lungs: "two infected areas, all
left lung and all right lung").
"""
from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    'LESION_VECTOR_DIM',
    'TYPOS',
    'ZONE_NAMES',
    'CaptionParseError',
    'LesionCaption',
    'lesion_vector_of',
    'parse_caption',
    'render_caption',
]

#: The six lung zones, in the order of SGSeg's ``pseudo_label``.
ZONE_NAMES = ('L-upper', 'L-middle', 'L-lower', 'R-upper', 'R-middle', 'R-lower')
#: Width of C2FVL's lesion vector (:meth:`LesionCaption.lesion_vector`).
LESION_VECTOR_DIM = 2 + len(ZONE_NAMES)

_NUMBER_WORDS = ('one', 'two', 'three', 'four', 'five', 'six')
_NUMBERS = {word: i + 1 for i, word in enumerate(_NUMBER_WORDS)}
_LEVELS = ('upper', 'middle', 'lower')
_SIDES = ('left', 'right')
_SIDE_WORDS = ('bilateral', 'unilateral')
_VOCABULARY = frozenset(
    _SIDE_WORDS + _NUMBER_WORDS + _LEVELS + _SIDES +
    ('all', 'pulmonary', 'infection', 'infections', 'infected', 'area', 'areas',
     'lung', 'lungs', 'and'))
# Words long enough for fuzzy matching; number words and short words are never
# guessed (e.g. "none" must not become "one").
_FUZZY_VOCABULARY = sorted(w for w in _VOCABULARY if len(w) >= 5 and w not in _NUMBERS)
_FUZZY_CUTOFF = 0.85

#: Known misspellings (lower case) and their correction.
TYPOS = {
    'midlle': 'middle',
    'middel': 'middle',
    'midle': 'middle',
    'miidle': 'middle',
    'mddle': 'middle',
    'lowe': 'lower',
    'lowr': 'lower',
    'lwoer': 'lower',
    'loewr': 'lower',
    'uper': 'upper',
    'uppper': 'upper',
    'uppe': 'upper',
    'lft': 'left',
    'lefft': 'left',
    'rigth': 'right',
    'rihgt': 'right',
    'righ': 'right',
    'lunng': 'lung',
    'lng': 'lung',
    'aera': 'area',
    'aeras': 'areas',
    'bilaterial': 'bilateral',
    'unilaterial': 'unilateral',
    'pulmonery': 'pulmonary',
    'infecton': 'infection',
}

# Punctuation is a separator; anything else that is not a letter or a digit is
# kept inside its word so that the word is reported as unparseable.
_SPLIT_RE = re.compile(r"[\s,.;:!?()\"']+")


class CaptionParseError(ValueError):
    """A caption does not follow the QaTa / MosMedData+ report grammar.

    Attributes:
        source: identifier of the caption (file, record) given by the caller.
        reason: what went wrong, naming the words that could not be parsed.
        words: those words as written in the caption (empty for an empty one).
        text: the caption that failed (``None`` when it was missing), so a caller
            holding several captions can tell whose it was.
    """

    def __init__(self, source: str, reason: str, words: Sequence[str] = (),
                 text: str | None = None) -> None:
        self.source = source
        self.reason = reason
        self.words = tuple(words)
        self.text = text
        super().__init__(f'{source}: {reason}')


@dataclass(frozen=True)
class LesionCaption:
    """The three facts of a caption.

    Attributes:
        bilateral: True when the caption says "bilateral", False for
            "unilateral" (as written; see :attr:`sides_consistent`).
        count: number of infected areas as written (LViT sometimes counts lungs).
        zones: six flags in :data:`ZONE_NAMES` order; "left"/"right" are image sides.
    """

    bilateral: bool
    count: int
    zones: tuple[bool, ...]

    def __post_init__(self) -> None:
        zones = tuple(bool(z) for z in self.zones)
        if len(zones) != len(ZONE_NAMES):
            raise ValueError(f'zones must have {len(ZONE_NAMES)} flags, got {len(zones)}')
        object.__setattr__(self, 'zones', zones)
        object.__setattr__(self, 'bilateral', bool(self.bilateral))
        object.__setattr__(self, 'count', int(self.count))

    @property
    def sides_consistent(self) -> bool:
        """Whether "bilateral"/"unilateral" matches the lungs that have a zone."""
        return self.bilateral == (any(self.zones[:3]) and any(self.zones[3:]))

    def location_labels(self) -> list[int]:
        """The six zone flags as 0/1 ints: SGSeg's ``pseudo_label``."""
        return [int(z) for z in self.zones]

    def lesion_vector(self) -> list[float]:
        """C2FVL's 8-dim text vector.

        ``[bilateral, count, L-upper, L-middle, L-lower, R-upper, R-middle,
        R-lower]`` (C2FVL Sec. 3.3): ``bilateral`` is a flag, 1.0 for "bilateral"
        and 0.0 for "unilateral", as the paper's example ("Bilateral pulmonary
        infection, two infected areas, upper middle left lung and middle lower
        right lung" -> ``[1, 2, 1, 1, 0, 0, 1, 1]``) has it (the authors' code reads
        this entry from a spreadsheet column ``bilateral`` they did not publish).
        ``count`` is the count as written (float) and the zone flags are 0.0 / 1.0.
        """
        return [float(self.bilateral), float(self.count)] + [
            float(z) for z in self.zones
        ]


class _Token:
    __slots__ = ('raw', 'word')

    def __init__(self, word: str, raw: str) -> None:
        self.word = word  # normalised (lower case, typo corrected)
        self.raw = raw  # as written


def _normalise(raw: str) -> str | None:
    """Return the vocabulary word for ``raw`` or None when it has none."""
    word = raw.lower()
    if word in _VOCABULARY or word.isdigit():
        return word
    if word in TYPOS:
        return TYPOS[word]
    if len(word) >= 5 and word.isalpha():
        scored = sorted(
            ((difflib.SequenceMatcher(None, word, cand).ratio(), cand)
             for cand in _FUZZY_VOCABULARY), reverse=True)
        best, second = scored[0], scored[1]
        if best[0] >= _FUZZY_CUTOFF and best[0] > second[0]:
            return best[1]
    return None


def _quote(tokens: Sequence[_Token]) -> str:
    return ' '.join(t.raw for t in tokens)


def parse_caption(text: str, source: str = 'caption', *, strict: bool = False) -> LesionCaption:
    """Parse a QaTa-COV19 / MosMedData+ caption (LViT or SGSeg wording).

    Args:
        text: the caption, e.g. ``"Unilateral pulmonary infection, one infected
            area, lower right lung."``.
        source: identifier put at the start of error messages (file, record).
        strict: also reject a caption whose "bilateral"/"unilateral" does not
            match the lungs it names (never seen in the real data).

    Returns:
        The parsed :class:`LesionCaption`.

    Raises:
        CaptionParseError: the caption is empty or does not follow the grammar;
            the message names ``source`` and the words that could not be parsed.
    """
    if text is None:
        raise CaptionParseError(source, 'caption is empty (missing value)')
    if not isinstance(text, str):
        raise TypeError(f'{source}: caption must be a str, got {type(text).__name__}')
    raws = [w for w in _SPLIT_RE.split(text) if w]
    if not raws:
        raise CaptionParseError(source, f'caption is empty: {text!r}', text=text)

    tokens = []
    unknown = []
    for raw in raws:
        word = _normalise(raw)
        if word is None:
            unknown.append(raw)
        tokens.append(_Token(word or '', raw))
    if unknown:
        words = ', '.join(repr(w) for w in unknown)
        raise CaptionParseError(
            source, f'cannot parse word(s) {words} in caption {text!r}', unknown, text)

    def fail(reason: str, bad: Sequence[_Token]) -> CaptionParseError:
        return CaptionParseError(
            source, f'{reason}: {_quote(bad)!r} in caption {text!r}', [t.raw for t in bad],
            text)

    n = len(tokens)
    i = 0

    def at(j: int) -> str:
        return tokens[j].word if j < n else ''

    # Sidedness.
    if at(i) not in _SIDE_WORDS:
        raise fail("expected 'bilateral' or 'unilateral' first, got", tokens[i:i + 1])
    bilateral = at(i) == 'bilateral'
    i += 1
    if at(i) == 'pulmonary':
        i += 1
    if at(i) in ('infection', 'infections'):
        i += 1

    # Count of infected areas.
    word = at(i)
    if word.isdigit() or word in _NUMBERS:
        count = int(word) if word.isdigit() else _NUMBERS[word]
        if not 1 <= count <= len(ZONE_NAMES):
            raise fail(f'count of infected areas must be 1..{len(ZONE_NAMES)}',
                       tokens[i:i + 1])
        i += 1
    else:
        if i >= n:
            raise fail('caption ends before the number of infected areas, after',
                       tokens[-1:])
        raise fail('expected the number of infected areas (one..six), got',
                   tokens[i:i + 1])
    if at(i) == 'infected':
        i += 1
    if at(i) in ('area', 'areas'):
        i += 1

    # Locations: zone words, a side (or "left and right"), optional "lung(s)".
    zones = [False] * len(ZONE_NAMES)
    n_locations = 0
    while i < n:
        start = i
        levels = set()
        while at(i) in _LEVELS or at(i) == 'all':
            levels.update(_LEVELS if at(i) == 'all' else (at(i), ))
            i += 1
        if not levels:
            raise fail('expected a lung zone (upper, middle, lower or all), got',
                       tokens[i:i + 1])
        if at(i) not in _SIDES:
            raise fail("lung zone not followed by 'left' or 'right'", tokens[start:i + 1])
        sides = [at(i)]
        i += 1
        if at(i) == 'and' and at(i + 1) in _SIDES:
            sides.append(at(i + 1))
            i += 2
        if at(i) in ('lung', 'lungs'):
            i += 1
        for side in sides:
            offset = 0 if side == 'left' else 3
            for k, level in enumerate(_LEVELS):
                if level in levels:
                    zones[offset + k] = True
        n_locations += 1
        if at(i) == 'and':
            if i + 1 >= n:
                raise fail("nothing after 'and'", tokens[i:])
            i += 1
    if n_locations == 0:
        raise CaptionParseError(
            source, f'no lung location (e.g. "lower left lung") in caption {text!r}',
            text=text)

    result = LesionCaption(bilateral=bilateral, count=count, zones=tuple(zones))
    if strict and not result.sides_consistent:
        side_word = tokens[0].raw
        raise CaptionParseError(
            source,
            f'{side_word!r} does not match the lungs named in caption {text!r}',
            [side_word], text)
    return result


@functools.lru_cache(maxsize=8192)
def _cached_lesion_vector(text: str, strict: bool) -> tuple[float, ...]:
    return tuple(parse_caption(text, strict=strict).lesion_vector())


def lesion_vector_of(caption: str, strict: bool = False,
                     source: str = 'caption') -> tuple[float, ...]:
    """C2FVL's 8-dim lesion vector of a caption (:meth:`LesionCaption.lesion_vector`).

    The one path from a caption to the vector, used by the model's text source
    ``LesionVectorEncoder``. An empty
    caption (``''`` or blanks: the text-free mode) gives the zero vector. Parsing
    is memoised per ``(caption, strict)`` (an LRU cache of 8192 captions), so a model
    that parses its batch's captions every step parses each distinct caption once.

    Args:
        caption: the caption.
        strict: as :func:`parse_caption`.
        source: identifier put at the start of error messages (file, record).

    Returns:
        ``LESION_VECTOR_DIM`` floats.

    Raises:
        CaptionParseError: a non-empty caption does not follow the grammar (the
            message names ``source``).
    """
    if not isinstance(caption, str):
        raise TypeError(f'{source}: caption must be a str, got {type(caption).__name__}')
    if not caption.strip():
        return (0.0, ) * LESION_VECTOR_DIM
    try:
        return _cached_lesion_vector(caption, strict)
    except CaptionParseError as error:  # failures are not cached; name the caller's source
        raise CaptionParseError(source, error.reason, error.words, caption) from None


def render_caption(zones: Sequence[bool | int], style: str = 'sgseg') -> str:
    """Write the QaTa caption for six zone flags (inverse of :func:`parse_caption`).

    Args:
        zones: six flags in :data:`ZONE_NAMES` order (image sides).
        style: ``'sgseg'`` (SGSeg's refined wording: lower case, "upper middle
            lower" spelled out) or ``'lvit'`` (LViT's wording: capitalised, "all"
            for all three zones of a lung). In both the count is the number of
            zones, sidedness follows the zones and the left lung comes first.

    Returns:
        e.g. ``'unilateral pulmonary infection, one infected area, lower right
        lung.'``

    Raises:
        ValueError: unknown style, not six flags, or no zone at all (QaTa has no
            caption for an image without infection).
    """
    if style not in ('sgseg', 'lvit'):
        raise ValueError(f"style must be 'sgseg' or 'lvit', got {style!r}")
    flags = [bool(z) for z in zones]
    if len(flags) != len(ZONE_NAMES):
        raise ValueError(f'zones must have {len(ZONE_NAMES)} flags, got {len(flags)}')
    count = sum(flags)
    if count == 0:
        raise ValueError('no infected zone: QaTa captions always name at least one zone')
    parts = []
    for offset, side in ((0, 'left'), (3, 'right')):
        side_flags = flags[offset:offset + 3]
        if not any(side_flags):
            continue
        if style == 'lvit' and all(side_flags):
            levels = 'all'
        else:
            levels = ' '.join(lv for lv, f in zip(_LEVELS, side_flags) if f)
        parts.append(f'{levels} {side} lung')
    sidedness = 'bilateral' if len(parts) == 2 else 'unilateral'
    areas = 'infected area' if count == 1 else 'infected areas'
    caption = (f'{sidedness} pulmonary infection, {_NUMBER_WORDS[count - 1]} {areas}, '
               f"{' and '.join(parts)}.")
    if style == 'lvit':
        caption = caption[0].upper() + caption[1:]
    return caption
