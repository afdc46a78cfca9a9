import cv2
import numpy as np
import pytest
import torch

import vlseg  # noqa: F401
from vlseg.datasets.transforms import (
    CaptionToLocationLabels,
    DropCaption,
    LoadBinaryMask,
    LoadMedicalImageFromFile,
    PackTextSegInputs,
    RandomFlipWithCaption,
)
from vlseg.datasets.transforms.text import swap_sides
from vlseg.models import TextSegDataPreProcessor, stack_text_fields

CAPTION = ('bilateral pulmonary infection, three infected areas, '
           'upper middle left lung and lower right lung.')


@pytest.fixture
def sample(tmp_path):
    image = np.tile(np.arange(8, dtype=np.uint8) * 30, (6, 1))
    mask = np.zeros((6, 8), np.uint8)
    mask[1:3, 0:3] = 255
    cv2.imwrite(str(tmp_path / 'x.png'), image)
    cv2.imwrite(str(tmp_path / 'mask_x.png'), mask)
    return dict(img_path=str(tmp_path / 'x.png'), seg_map_path=str(tmp_path / 'mask_x.png'),
                text=CAPTION)


def load(results):
    return LoadBinaryMask()(LoadMedicalImageFromFile()(results))


def test_grey_image_becomes_three_channels_and_mask_binary(sample):
    results = load(sample)
    assert results['img'].shape == (6, 8, 3) and results['img'].dtype == np.uint8
    assert (results['img'][..., 0] == results['img'][..., 2]).all()
    assert set(np.unique(results['gt_seg_map'])) == {0, 1}
    assert results['gt_seg_map'].sum() == 6
    assert results['seg_fields'] == ['gt_seg_map']


def test_sixteen_bit_image_and_zero_one_mask(tmp_path):
    cv2.imwrite(str(tmp_path / 'a.png'), (np.arange(12).reshape(3, 4) * 5000).astype(np.uint16))
    cv2.imwrite(str(tmp_path / 'm.png'), np.eye(3, 4, dtype=np.uint8))
    results = load(dict(img_path=str(tmp_path / 'a.png'), seg_map_path=str(tmp_path / 'm.png')))
    assert results['img'].max() == 255 and results['img'].min() == 0
    assert results['gt_seg_map'].sum() == 3


def test_corrupt_image_names_the_file(tmp_path):
    bad = tmp_path / 'broken.png'
    bad.write_bytes(b'\x89PNG not really')
    with pytest.raises(ValueError, match='broken.png'):
        LoadMedicalImageFromFile()(dict(img_path=str(bad)))
    empty = tmp_path / 'empty.png'
    empty.write_bytes(b'')
    with pytest.raises(ValueError, match='empty.png'):
        LoadMedicalImageFromFile()(dict(img_path=str(empty)))


def test_mask_of_wrong_size_names_both_files(sample, tmp_path):
    cv2.imwrite(sample['seg_map_path'], np.zeros((5, 8), np.uint8))
    with pytest.raises(ValueError, match=r'mask_x.png is 8x5.*x.png is 8x6'):
        load(sample)


def test_missing_or_empty_caption_is_an_error_naming_the_image(sample):
    with pytest.raises(ValueError, match='x.png has no caption'):
        CaptionToLocationLabels()(dict(sample, text=None))
    with pytest.raises(ValueError, match='x.png has an empty caption'):
        CaptionToLocationLabels()(dict(sample, text=' '))


def test_location_labels(sample):
    labels = CaptionToLocationLabels()(dict(sample))['gt_location_labels']
    np.testing.assert_array_equal(labels, [1, 1, 0, 0, 0, 1])
    assert not CaptionToLocationLabels(allow_empty=True)(
        dict(sample, text=''))['gt_location_labels'].any()


def test_drop_caption_keeps_the_original(sample):
    results = DropCaption()(dict(sample))
    assert results['text'] == '' and results['dropped_text'] == CAPTION
    with pytest.raises(ValueError):
        DropCaption(prob=2)


def test_flip_swaps_sides_in_caption(sample):
    assert swap_sides('Left lung and right lung') == 'Right lung and left lung'
    results = RandomFlipWithCaption(prob=1.0)(load(dict(sample)))
    assert results['text'] == CAPTION.replace('left', 'L').replace('right', 'left').replace(
        'L', 'right')
    assert results['gt_seg_map'][1:3, 5:8].all()
    with pytest.raises(ValueError, match='horizontal'):
        RandomFlipWithCaption(direction='vertical')


def test_pack_and_preprocess_keep_the_caption_and_its_targets(sample):
    pipeline = [LoadMedicalImageFromFile(), LoadBinaryMask(), CaptionToLocationLabels(),
                PackTextSegInputs()]
    packed = []
    for caption in (CAPTION, 'unilateral pulmonary infection, one infected area, lower left '
                             'lung.'):
        results = dict(sample, text=caption)
        for transform in pipeline:
            results = transform(results)
        packed.append(results)
    # The caption string is what reaches the model (metainfo); only targets are fields.
    data_sample = packed[0]['data_samples']
    assert data_sample.metainfo['text'] == CAPTION
    assert 'text_token_ids' not in data_sample
    preprocessor = TextSegDataPreProcessor(mean=[0, 0, 0], std=[1, 1, 1], size_divisor=8)
    batch = preprocessor(dict(inputs=[p['inputs'] for p in packed],
                              data_samples=[p['data_samples'] for p in packed]), training=True)
    assert batch['inputs'].shape == (2, 3, 8, 8)
    labels = stack_text_fields(batch['data_samples'], ('gt_location_labels',))
    assert labels['gt_location_labels'].tolist() == [[1, 1, 0, 0, 0, 1], [0, 0, 1, 0, 0, 0]]
    with pytest.raises(KeyError, match='gt_location_labels.*x.png.*CaptionToLocationLabels'):
        unlabelled = PackTextSegInputs()(load(dict(sample)))['data_samples']
        stack_text_fields([packed[0]['data_samples'], unlabelled], ('gt_location_labels',))


def test_per_image_zscore_is_channel_wise():
    """MONAI NormalizeIntensity(channel_wise=True), LanGuideMedSeg's: each channel by its own
    mean and population std; a constant channel becomes 0."""
    preprocessor = TextSegDataPreProcessor(per_image_zscore=True)
    half = torch.tensor([[0, 0], [1, 1]], dtype=torch.uint8)      # half the pixels each value
    image = torch.stack([half * 2, 10 + half * 20, torch.full((2, 2), 7, dtype=torch.uint8)])
    out = preprocessor(dict(inputs=[image]), training=False)['inputs'][0]
    signs = half.float() * 2 - 1                                  # -1 on the low value, +1 high
    torch.testing.assert_close(out, torch.stack([signs, signs, torch.zeros(2, 2)]))
    with pytest.raises(ValueError, match='mean=None'):
        TextSegDataPreProcessor(per_image_zscore=True, mean=[0, 0, 0], std=[1, 1, 1])


def test_flip_swaps_location_labels_and_refuses_derived_text(sample):
    flipped = RandomFlipWithCaption(prob=1.0)(load(dict(sample, pseudo_label=[1, 1, 0, 0, 0, 1])))
    assert flipped['pseudo_label'] == [0, 0, 1, 1, 1, 0]
    labelled = CaptionToLocationLabels()(load(dict(sample)))
    with pytest.raises(RuntimeError, match='before the text transforms'):
        RandomFlipWithCaption(prob=1.0)(labelled)


def test_sixteen_bit_mask_thresholds_at_half_range(tmp_path):
    cv2.imwrite(str(tmp_path / 'a.png'), np.zeros((2, 3), np.uint8))
    cv2.imwrite(str(tmp_path / 'm.png'), np.array([[0, 200, 40000], [65535, 0, 0]], np.uint16))
    results = load(dict(img_path=str(tmp_path / 'a.png'), seg_map_path=str(tmp_path / 'm.png')))
    np.testing.assert_array_equal(results['gt_seg_map'], [[0, 0, 1], [1, 0, 0]])
