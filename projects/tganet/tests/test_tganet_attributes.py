"""TGANet's attribute targets from masks (and QaTa captions), worked out by hand."""
import numpy as np
import pytest

from projects.tganet.tganet.mask_attributes import (
    ATTRIBUTES_KEY,
    TGANetMaskAttributes,
    caption_count,
    mask_attributes,
    size_class,
)
from vlseg.text import CaptionParseError

ONE, MULTIPLE = 0, 1
SMALL, MEDIUM, LARGE = 0, 1, 2


def blob(mask: np.ndarray, top: int, left: int, height: int, width: int) -> np.ndarray:
    mask[top:top + height, left:left + width] = 1
    return mask


def test_size_thresholds_are_the_papers():
    assert [size_class(f) for f in (0.0, 0.0999, 0.10, 0.2999, 0.30, 1.0)] == [
        SMALL, SMALL, MEDIUM, MEDIUM, LARGE, LARGE]
    assert size_class(0.15, (0.2, 0.5)) == SMALL


def test_one_region_and_its_bounding_box():
    # A 10 x 10 image: a 3 x 3 square is 9% of it (small); 4 x 4 is 16% (medium); 6 x 6 is
    # 36% (large).
    for side, size in ((3, SMALL), (4, MEDIUM), (6, LARGE)):
        mask = blob(np.zeros((10, 10), np.uint8), 2, 2, side, side)
        assert mask_attributes(mask) == (ONE, size)


def test_the_bounding_box_not_the_pixels():
    # An L of 7 pixels whose box is 4 x 4 = 16% of the image: medium by its box (the
    # authors), small by its pixels (7%).
    mask = np.zeros((10, 10), np.uint8)
    mask[2:6, 2] = 1
    mask[5, 2:6] = 1
    assert mask.sum() == 7
    assert mask_attributes(mask) == (ONE, MEDIUM)
    assert mask_attributes(mask, size_measure='area') == (ONE, SMALL)


def test_two_blobs_are_many_and_the_size_is_the_last_regions():
    # A large blob at the top, then a small one lower down (last in raster order).
    mask = np.zeros((20, 20), np.uint8)
    blob(mask, 0, 0, 12, 12)   # 144 / 400 = 36%: large
    blob(mask, 15, 15, 3, 3)   # 9 / 400 = 2%: small
    assert mask_attributes(mask) == (MULTIPLE, SMALL)  # the authors' code: the last region
    assert mask_attributes(mask, size_component='largest') == (MULTIPLE, LARGE)
    # All regions: 153 pixels = 38% (large); the union's box, 18 x 18 = 81% (large).
    assert mask_attributes(mask, size_measure='area', size_component='all') == (
        MULTIPLE, LARGE)
    assert mask_attributes(mask, size_component='all') == (MULTIPLE, LARGE)
    # Diagonal neighbours are one region (8-connectivity), two with 4-connectivity.
    diagonal = np.zeros((10, 10), np.uint8)
    diagonal[2, 2] = diagonal[3, 3] = 1
    assert mask_attributes(diagonal)[0] == ONE
    assert mask_attributes(diagonal, connectivity=4)[0] == MULTIPLE


def test_ignored_pixels_are_background_and_empty_masks_are_ignored():
    mask = np.full((10, 10), 255, np.uint8)  # e.g. a rotation's padding
    assert mask_attributes(mask) == (255, 255)
    blob(mask, 0, 0, 2, 2)
    assert mask_attributes(mask) == (ONE, SMALL)
    assert mask_attributes(np.zeros((4, 4), np.uint8), ignore_index=-1) == (-1, -1)
    # Specks below min_region_pixels do not count.
    specks = blob(np.zeros((20, 20), np.uint8), 0, 0, 10, 10)
    specks[18, 18] = 1
    assert mask_attributes(specks)[0] == MULTIPLE
    assert mask_attributes(specks, min_region_pixels=2) == (ONE, MEDIUM)


def test_count_from_a_qata_caption():
    assert caption_count('unilateral pulmonary infection, one infected area, lower left '
                         'lung.') == ONE
    assert caption_count('Bilateral pulmonary infection, two infected areas, upper left lung '
                         'and lower right lung.') == MULTIPLE
    assert caption_count('') is None
    with pytest.raises(CaptionParseError):
        caption_count('a polyp', source='x.png')


def test_transform_adds_the_field():
    mask = np.zeros((10, 10), np.uint8)
    blob(mask, 0, 0, 4, 4)
    blob(mask, 6, 6, 3, 3)
    results = TGANetMaskAttributes()(dict(gt_seg_map=mask.copy(), text=''))
    assert results[ATTRIBUTES_KEY].dtype == np.int64
    assert results[ATTRIBUTES_KEY].tolist() == [MULTIPLE, SMALL]
    # The caption's count replaces the mask's; the size stays the mask's.
    from_caption = TGANetMaskAttributes(count_source='caption', size_measure='area',
                                        size_component='all')
    one = 'unilateral pulmonary infection, one infected area, lower left lung.'
    assert from_caption(dict(gt_seg_map=mask.copy(), text=one))[ATTRIBUTES_KEY].tolist() == [
        ONE, MEDIUM]  # 25 pixels = 25%
    assert from_caption(dict(gt_seg_map=mask.copy(), text=''))[ATTRIBUTES_KEY].tolist() == [
        255, MEDIUM]
    # The data preflight's hook: a caption that does not parse fails before training.
    with pytest.raises(CaptionParseError):
        from_caption.check_caption('no idea', 'x.png')
    TGANetMaskAttributes().check_caption('no idea', 'x.png')  # the mask source reads none
    with pytest.raises(KeyError, match='LoadBinaryMask'):
        TGANetMaskAttributes()(dict(img_path='x.png'))


@pytest.mark.parametrize('options', [dict(count_source='report'), dict(size_measure='box'),
                                     dict(size_component='first'),
                                     dict(size_thresholds=(0.3, 0.1))])
def test_bad_options_fail_at_build_time(options):
    with pytest.raises(ValueError):
        TGANetMaskAttributes(**options)
