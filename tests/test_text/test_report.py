import itertools

import pytest

from vlseg.text import location_report, location_reports, parse_caption


def test_the_datasets_own_sentence():
    """The QaTa caption of the methods' shared example, written from six probabilities."""
    probs = [0.9, 0.1, 0.2, 0.1, 0.3, 0.8]  # L-upper and R-lower above 0.5
    assert location_report(probs, style='lvit') == (
        'Bilateral pulmonary infection, two infected areas, upper left lung and lower right '
        'lung.')
    assert location_report(probs) == (
        'bilateral pulmonary infection, two infected areas, upper left lung and lower right '
        'lung.')


@pytest.mark.parametrize('style', ['sgseg', 'lvit'])
def test_every_zone_set_reads_back_to_its_labels(style):
    for zones in itertools.product((0, 1), repeat=6):
        if not any(zones):
            continue
        probs = [0.2 + 0.7 * z for z in zones]
        report = location_report(probs, style=style)
        assert parse_caption(report).location_labels() == list(zones), report


def test_threshold_and_min_zones():
    probs = [0.45, 0.1, 0.1, 0.3, 0.1, 0.1]
    assert location_report(probs, threshold=0.4) == (
        'unilateral pulmonary infection, one infected area, upper left lung.')
    # Nothing reaches 0.5: the most probable zone is reported (QaTa always names one) ...
    assert location_report(probs) == location_report(probs, threshold=0.4)
    # ... or the two most probable, or nothing at all.
    assert parse_caption(location_report(probs, min_zones=2)).location_labels() == [
        1, 0, 0, 1, 0, 0]
    assert location_report(probs, min_zones=0) == ''
    assert location_reports([probs, [1] * 6]) == [
        location_report(probs), location_report([1] * 6)]
    with pytest.raises(ValueError, match='six|6 zone'):
        location_report([0.5] * 5)


def test_a_report_that_does_not_read_back_is_an_error(monkeypatch):
    import vlseg.text.report as report_module
    monkeypatch.setattr(report_module, 'render_caption',
                        lambda zones, style: 'unilateral pulmonary infection, one infected '
                                             'area, lower left lung.')
    with pytest.raises(ValueError, match='reads back as zones'):
        location_report([0.9, 0.1, 0.1, 0.1, 0.1, 0.9])
