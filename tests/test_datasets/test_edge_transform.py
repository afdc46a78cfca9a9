"""MaskToEdge: Inf-Net's edge target derived from the mask in the pipeline."""
import numpy as np
import pytest

import vlseg  # noqa: F401
from vlseg.datasets.transforms import MaskToEdge, PackTextSegInputs
from vlseg.datasets.transforms.edge import mask_edges


def square_mask():
    mask = np.zeros((12, 12), np.uint8)
    mask[4:8, 4:8] = 1
    return mask


def test_gradient_edges_are_the_two_pixel_band():
    edge = mask_edges(square_mask(), method='gradient')
    expected = np.zeros((12, 12), np.uint8)
    expected[4:8, 4:8] = 1
    expected[5:7, 5:7] = 0           # the inner ring of the square ...
    expected[3, 4:8] = expected[8, 4:8] = 1
    expected[4:8, 3] = expected[4:8, 8] = 1  # ... and the outer ring, without corners (cross)
    np.testing.assert_array_equal(edge, expected)


def test_canny_edges_lie_on_the_boundary():
    mask = square_mask()
    edge = mask_edges(mask, method='canny')
    assert edge.dtype == np.uint8 and set(np.unique(edge)) == {0, 1}
    rows, cols = np.nonzero(edge)
    assert len(rows) > 0
    # every edge pixel touches the boundary band, none is deep inside or far outside
    assert edge[5:7, 5:7].sum() == 0
    assert rows.min() >= 3 and rows.max() <= 8 and cols.min() >= 3 and cols.max() <= 8
    assert mask_edges(np.zeros((12, 12), np.uint8)).sum() == 0


def test_transform_adds_a_seg_field_keeps_ignore_and_packs():
    mask = square_mask()
    mask[0, :] = 255
    results = dict(img=np.zeros((12, 12, 3), np.uint8), gt_seg_map=mask, seg_fields=['gt_seg_map'],
                   img_shape=(12, 12), ori_shape=(12, 12), img_path='x.png')
    results = MaskToEdge(method='gradient')(results)
    assert results['seg_fields'] == ['gt_seg_map', 'gt_edge_map']
    assert (results['gt_edge_map'][0] == 255).all()
    packed = PackTextSegInputs()(results)['data_samples']
    assert packed.gt_edge_map.data.shape == (1, 12, 12)
    assert packed.gt_edge_map.data[0, 4, 4] == 1


def test_transform_errors():
    with pytest.raises(ValueError, match='canny'):
        MaskToEdge(method='sobel')
    with pytest.raises(ValueError, match='gradient'):
        mask_edges(square_mask(), method='sobel')
    with pytest.raises(KeyError, match='LoadBinaryMask'):
        MaskToEdge()(dict(img_path='x.png'))
