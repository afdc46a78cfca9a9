import cv2
import numpy as np
import pytest
import torch

import vlseg  # noqa: F401
from vlseg.datasets.transforms import (
    CaptionToLesionVector,
    CaptionToLocationLabels,
    DropCaption,
    LoadBinaryMask,
    LoadMedicalImageFromFile,
    PackTextSegInputs,
    RandomFlipWithCaption,
    TokenizeCaption,
)
from vlseg.datasets.transforms.text import swap_sides
from vlseg.models import TextSegDataPreProcessor

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


def test_tokenize_caption_with_embedded_tokenizer(sample):
    results = TokenizeCaption(max_length=24)(dict(sample))
    assert results['text_token_ids'].shape == (24,)
    assert results['text_token_ids'].dtype == np.int64
    assert 5 < results['text_attention_mask'].sum() < 24
    empty = TokenizeCaption(max_length=24)(dict(sample, text=''))
    assert empty['text_attention_mask'].sum() == 2  # [CLS] [SEP] only
    short = TokenizeCaption(max_length=8)(dict(sample))
    assert short['text_token_ids'].shape == (8,) and short['text_attention_mask'].all()


def test_missing_or_empty_caption_is_an_error_naming_the_image(sample):
    with pytest.raises(ValueError, match='x.png has no caption'):
        TokenizeCaption()(dict(sample, text=None))
    with pytest.raises(ValueError, match='x.png has an empty caption'):
        TokenizeCaption(allow_empty=False)(dict(sample, text=' '))
    with pytest.raises(ValueError, match='x.png has an empty caption'):
        CaptionToLocationLabels()(dict(sample, text=''))


def test_lesion_vector_and_location_labels(sample):
    vector = CaptionToLesionVector()(dict(sample))['text_lesion_vector']
    np.testing.assert_array_equal(vector, [1, 3, 1, 1, 0, 0, 0, 1])
    labels = CaptionToLocationLabels()(dict(sample))['gt_location_labels']
    np.testing.assert_array_equal(labels, [1, 1, 0, 0, 0, 1])
    no_text = CaptionToLesionVector()(dict(sample, text=''))['text_lesion_vector']
    assert not no_text.any()
    # C2FVL Sec. 3.3's own example, exactly.
    paper = CaptionToLesionVector()(dict(sample, text=(
        'Bilateral pulmonary infection, two infected areas, upper middle left lung and '
        'middle lower right lung')))['text_lesion_vector']
    assert paper.dtype == np.float32 and paper.tolist() == [1, 2, 1, 1, 0, 0, 1, 1]


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


def test_pack_and_preprocess_batch_text(sample):
    pipeline = [LoadMedicalImageFromFile(), LoadBinaryMask(), TokenizeCaption(),
                CaptionToLesionVector(), PackTextSegInputs()]
    packed = []
    for caption in (CAPTION, ''):
        results = dict(sample, text=caption)
        for transform in pipeline:
            results = transform(results)
        packed.append(results)
    data_sample = packed[0]['data_samples']
    assert data_sample.metainfo['text'] == CAPTION
    assert data_sample.text_token_ids.shape == (24,)
    preprocessor = TextSegDataPreProcessor(
        mean=[0, 0, 0], std=[1, 1, 1], size_divisor=8, text_keys=('text_token_ids',))
    batch = preprocessor(dict(inputs=[p['inputs'] for p in packed],
                              data_samples=[p['data_samples'] for p in packed]), training=True)
    assert batch['inputs'].shape == (2, 3, 8, 8)
    text = preprocessor.batch_text(batch['data_samples'],
                                   ('text_token_ids', 'text_attention_mask',
                                    'text_lesion_vector'))
    assert text['text_token_ids'].shape == (2, 24)
    assert text['text_lesion_vector'].shape == (2, 8)
    assert text['captions'] == [CAPTION, '']
    with pytest.raises(KeyError, match='gt_location_labels.*x.png'):
        preprocessor.batch_text(batch['data_samples'], ('gt_location_labels',))


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
    tokenised = TokenizeCaption()(load(dict(sample)))
    with pytest.raises(RuntimeError, match='before the text transforms'):
        RandomFlipWithCaption(prob=1.0)(tokenised)


def test_sixteen_bit_mask_thresholds_at_half_range(tmp_path):
    cv2.imwrite(str(tmp_path / 'a.png'), np.zeros((2, 3), np.uint8))
    cv2.imwrite(str(tmp_path / 'm.png'), np.array([[0, 200, 40000], [65535, 0, 0]], np.uint16))
    results = load(dict(img_path=str(tmp_path / 'a.png'), seg_map_path=str(tmp_path / 'm.png')))
    np.testing.assert_array_equal(results['gt_seg_map'], [[0, 0, 1], [1, 0, 0]])
