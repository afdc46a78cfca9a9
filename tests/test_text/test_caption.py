"""Tests for vlseg.text.caption (QaTa-COV19 / MosMedData+ caption parser)."""
import itertools
import re

import pytest

from vlseg.text import (
    TYPOS,
    ZONE_NAMES,
    CaptionParseError,
    LesionCaption,
    lesion_vector_of,
    parse_caption,
    render_caption,
)

ALL_ZONES = [z for z in itertools.product((0, 1), repeat=6) if any(z)]


@pytest.mark.parametrize(('text', 'bilateral', 'count', 'zones'), [
    # SGSeg refined wording.
    (('bilateral pulmonary infection, five infected areas, upper middle lower left lung '
      'and middle lower right lung.'), True, 5, (1, 1, 1, 0, 1, 1)),
    ('unilateral pulmonary infection, one infected area, lower right lung.',
     False, 1, (0, 0, 0, 0, 0, 1)),
    ('unilateral pulmonary infection, two infected areas, upper middle left lung.',
     False, 2, (1, 1, 0, 0, 0, 0)),
    # LViT original wording: capitals, "all", count of lungs rather than zones.
    ('Bilateral pulmonary infection, two infected areas, all left lung and all right lung.',
     True, 2, (1, 1, 1, 1, 1, 1)),
    ('Unilateral pulmonary infection, one infected area, all left lung.',
     False, 1, (1, 1, 1, 0, 0, 0)),
    # Missing space after the comma.
    ('Bilateral pulmonary infection, two infected areas,lower left lung and all right lung.',
     True, 2, (0, 0, 1, 1, 1, 1)),
    # Double spaces.
    (('Bilateral pulmonary infection, two infected areas,  middle lower left lung and lower '
      'right lung.'), True, 2, (0, 1, 1, 0, 0, 1)),
    # Typo "midlle".
    (('Bilateral pulmonary infection, two infected areas, upper midlle left lung and lower '
      'right lung.'), True, 2, (1, 1, 0, 0, 0, 1)),
    # Zone words out of order; "upper lower" skips the middle zone.
    (('Bilateral pulmonary infection, two infected areas, middle upper left lung and all '
      'right lung.'), True, 2, (1, 1, 0, 1, 1, 1)),
    (('Bilateral pulmonary infection, three infected areas, all left lung and upper lower '
      'right lung.'), True, 3, (1, 1, 1, 1, 0, 1)),
    # No trailing period, "lungs", digits, odd case and whitespace, other typos.
    ('  UNILATERAL Pulmonary Infection ,  3 infected areas , Uper Middel Lowe RIGHT lungs ',
     False, 3, (0, 0, 0, 1, 1, 1)),
    ('bilateral pulmonary infection two infected area lower left lung lower right lung',
     True, 2, (0, 0, 1, 0, 0, 1)),
    # "left and right" sharing zones; fuzzy match of a long word.
    ('Bilateral pulmonary infecton, two infected areas, lower left and right lungs.',
     True, 2, (0, 0, 1, 0, 0, 1)),
    ('Bilateral pulmonary infektion, two infected areas, lower left and right lungs.',
     True, 2, (0, 0, 1, 0, 0, 1)),
])
def test_parse(text, bilateral, count, zones):
    cap = parse_caption(text)
    assert cap.bilateral is bilateral
    assert cap.count == count
    assert cap.zones == tuple(bool(z) for z in zones)
    assert cap.location_labels() == list(zones)


def test_vectors():
    cap = parse_caption('bilateral pulmonary infection, three infected areas, '
                        'upper left lung and middle lower right lung.')
    assert cap.location_labels() == [1, 0, 0, 0, 1, 1]
    assert cap.lesion_vector() == [1.0, 3.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    uni = parse_caption('unilateral pulmonary infection, one infected area, lower right lung.')
    assert uni.lesion_vector() == [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    assert all(isinstance(v, float) for v in uni.lesion_vector())
    assert len(ZONE_NAMES) == 6 and ZONE_NAMES[0] == 'L-upper' and ZONE_NAMES[5] == 'R-lower'


def test_lesion_vector_of_the_papers_example():
    """C2FVL Sec. 3.3 encodes exactly this sentence as [1, 2, 1, 1, 0, 0, 1, 1]."""
    text = ('Bilateral pulmonary infection, two infected areas, upper middle left lung and '
            'middle lower right lung')
    assert lesion_vector_of(text) == (1.0, 2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0)
    assert parse_caption(text).lesion_vector() == [1, 2, 1, 1, 0, 0, 1, 1]
    assert lesion_vector_of('  ') == (0.0, ) * 8


def test_lesion_caption_is_frozen_and_checked():
    cap = LesionCaption(bilateral=1, count=2, zones=(1, 0, 0, 0, 0, 1))
    assert cap.zones == (True, False, False, False, False, True) and cap.bilateral is True
    with pytest.raises(AttributeError):
        cap.count = 3
    with pytest.raises(ValueError, match='6 flags'):
        LesionCaption(bilateral=True, count=1, zones=(1, 0))


def test_error_names_source_and_words():
    with pytest.raises(CaptionParseError) as info:
        parse_caption('Bilateral pulmonary infection, two infected areas, lower foo lung '
                      'and qux right lung.', source='Test_text.xlsx: img_1.png')
    msg = str(info.value)
    assert msg.startswith('Test_text.xlsx: img_1.png: ')
    assert "'foo'" in msg and "'qux'" in msg
    assert info.value.words == ('foo', 'qux')
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(('text', 'bad'), [
    ('pulmonary infection, one infected area, lower left lung.', 'pulmonary'),
    ('bilateral pulmonary infection, none infected areas, lower left lung.', 'none'),
    ('bilateral pulmonary infection, infected areas, lower left lung.', 'infected'),
    ('bilateral pulmonary infection, seven infected areas, lower left lung.', 'seven'),
    ('bilateral pulmonary infection, 9 infected areas, lower left lung.', '9'),
    ('unilateral pulmonary infection, one infected area, lower lung.', 'lower lung'),
    ('unilateral pulmonary infection, one infected area, left lung.', 'left'),
    ('unilateral pulmonary infection, one infected area, lower left lung and', 'and'),
    ('unilateral pulmonary infection, one infected area, lower left lung lung.', 'lung'),
])
def test_structural_errors_name_the_words(text, bad):
    with pytest.raises(CaptionParseError, match='rec7') as info:
        parse_caption(text, source='rec7')
    assert repr(bad) in str(info.value)


def test_no_location_is_an_error():
    with pytest.raises(CaptionParseError, match='no lung location'):
        parse_caption('Bilateral pulmonary infection, two infected areas.', 'x')


@pytest.mark.parametrize('text', ['', '   ', '\t\n', ' . , '])
def test_empty_caption(text):
    with pytest.raises(CaptionParseError, match=r'^src\.csv: row 3: caption is empty'):
        parse_caption(text, 'src.csv: row 3')


def test_every_listed_typo_is_corrected():
    templates = [
        ('bilateral pulmonary infection, two infected areas, upper middle lower left lung '
         'and lower right lung.'),
        'unilateral pulmonary infection, one infected area, lower left lung.',
    ]
    assert TYPOS['midlle'] == 'middle'
    for wrong, right in TYPOS.items():
        template = next(t for t in templates if re.search(rf'\b{right}\b', t))
        typo_text = re.sub(rf'\b{right}\b', wrong, template, count=1)
        assert parse_caption(typo_text) == parse_caption(template), typo_text


def test_sidedness_as_written_and_strict():
    text = 'Unilateral pulmonary infection, two infected areas, lower left lung and ' \
        'lower right lung.'
    cap = parse_caption(text)
    assert cap.bilateral is False and not cap.sides_consistent
    assert cap.lesion_vector()[0] == 0.0  # the word as written: unilateral
    with pytest.raises(CaptionParseError, match="'Unilateral'"):
        parse_caption(text, 'r', strict=True)
    ok = 'Bilateral pulmonary infection, two infected areas, all left lung and all right lung.'
    assert parse_caption(ok, strict=True).sides_consistent


def test_render_examples():
    assert render_caption((1, 1, 1, 0, 1, 1)) == (
        'bilateral pulmonary infection, five infected areas, upper middle lower left lung '
        'and middle lower right lung.')
    assert render_caption([0, 0, 0, 0, 0, 1]) == (
        'unilateral pulmonary infection, one infected area, lower right lung.')
    assert render_caption((True, True, True, False, True, True), style='lvit') == (
        'Bilateral pulmonary infection, five infected areas, all left lung and middle lower '
        'right lung.')


@pytest.mark.parametrize('style', ['sgseg', 'lvit'])
def test_render_round_trip(style):
    assert len(ALL_ZONES) == 63
    for zones in ALL_ZONES:
        text = render_caption(zones, style=style)
        cap = parse_caption(text, strict=True)
        assert cap.location_labels() == list(zones), text
        assert cap.count == sum(zones)


def test_render_errors():
    with pytest.raises(ValueError, match='no infected zone'):
        render_caption((0, 0, 0, 0, 0, 0))
    with pytest.raises(ValueError, match='6 flags'):
        render_caption((1, 0, 0))
    with pytest.raises(ValueError, match='style'):
        render_caption((1, 0, 0, 0, 0, 0), style='other')
