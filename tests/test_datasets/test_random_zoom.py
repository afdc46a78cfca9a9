import numpy as np
import pytest

import vlseg  # noqa: F401
from vlseg.datasets.transforms import RandomZoom
from vlseg.registry import TRANSFORMS


def results(mask):
    image = np.repeat((mask * 200)[..., None], 3, axis=2).astype(np.uint8)
    return dict(img=image, gt_seg_map=mask.astype(np.uint8), seg_fields=['gt_seg_map'])


def test_zoom_in_crops_the_centre_as_monai():
    """MONAI Zoom(keep_size=True): resize by z (nearest for masks), then a central crop."""
    mask = np.zeros((4, 4), np.uint8)
    mask[1, 1] = 1
    out = RandomZoom(min_zoom=2.0, max_zoom=2.0, prob=1.0)(results(mask))
    # 8x8 after zooming, pixel (1, 1) covers rows/cols 2-3; the central crop starts at 2.
    expected = np.zeros((4, 4), np.uint8)
    expected[0:2, 0:2] = 1
    np.testing.assert_array_equal(out['gt_seg_map'], expected)
    assert out['img'].shape == (4, 4, 3)


def test_zoom_out_pads_with_the_border_as_monai():
    mask = np.zeros((4, 4), np.uint8)
    mask[:2, :2] = 1
    out = RandomZoom(min_zoom=0.5, max_zoom=0.5, prob=1.0)(results(mask))
    # 2x2 after zooming ([[1, 0], [0, 0]]), padded by one pixel each side, repeating the edge.
    expected = np.zeros((4, 4), np.uint8)
    expected[:2, :2] = 1
    np.testing.assert_array_equal(out['gt_seg_map'], expected)
    out = RandomZoom(min_zoom=0.75, max_zoom=0.75, prob=1.0)(results(np.ones((5, 5))))
    assert out['gt_seg_map'].shape == (5, 5) and out['gt_seg_map'].all()


def test_probability_and_range():
    np.random.seed(0)
    zoom = TRANSFORMS.build(dict(type='RandomZoom', min_zoom=0.95, max_zoom=1.2, prob=0.0))
    mask = np.eye(6, dtype=np.uint8)
    assert (zoom(results(mask))['gt_seg_map'] == mask).all()
    with pytest.raises(ValueError, match='min_zoom'):
        RandomZoom(min_zoom=1.2, max_zoom=0.95)
    with pytest.raises(ValueError, match='prob'):
        RandomZoom(prob=1.5)
