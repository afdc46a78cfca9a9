"""TGANetHead and its text module on random features of tiny widths."""
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from projects.tganet.tganet import TGANetAttributeEmbedding, TGANetHead
from projects.tganet.tganet.mask_attributes import ATTRIBUTES_KEY
from vlseg.registry import MODELS

WIDTHS = (4, 8, 16, 32)  # x_1..x_4 at strides 2, 4, 8, 16
CHANNELS = 16


def tiny_head(**kwargs) -> TGANetHead:
    embedding = dict(type='TGANetAttributeEmbedding', embed_dims=6, out_channels=CHANNELS)
    embedding.update(kwargs.pop('embedding', {}))
    return MODELS.build(dict(type='TGANetHead', in_channels=WIDTHS, channels=CHANNELS,
                             attribute_embedding=embedding, **kwargs))


def features(batch: int = 2, size: int = 32) -> list[torch.Tensor]:
    return [torch.randn(batch, c, size // s, size // s) for c, s in zip(WIDTHS, (2, 4, 8, 16))]


def samples(attributes, size: int = 32) -> list[SegDataSample]:
    out = []
    for index, (count, size_class) in enumerate(attributes):
        sample = SegDataSample(metainfo=dict(img_path=f'img_{index}.png', img_shape=(size, size),
                                             pad_shape=(size, size)))
        mask = torch.zeros(1, size, size, dtype=torch.long)
        mask[:, 4:12, 4:12] = 1
        sample.gt_sem_seg = PixelData(data=mask)
        sample.set_field(torch.tensor([count, size_class]), ATTRIBUTES_KEY)
        out.append(sample)
    return out


def test_forward_shapes_and_loss():
    torch.manual_seed(0)
    head = tiny_head()
    mask, count, size = head(features())
    assert mask.shape == (2, 1, 16, 16)  # stride 2; upsampled by the loss / prediction
    assert count.shape == (2, 2) and size.shape == (2, 3)
    losses = head.loss(features(), samples([(0, 2), (1, 255)]), {})
    assert set(losses) == {'loss_dice', 'loss_ce', 'loss_count', 'loss_size', 'acc_count',
                           'acc_size', 'acc_seg'}
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total)
    total.backward()
    assert head.attribute_classifier.size[0].weight.grad is not None
    assert head.attribute_embedding.fusion[0].weight.grad is not None
    assert head.attribute_embedding.word_vectors.requires_grad is False  # frozen table


def test_ignored_attributes_are_left_out_of_their_loss():
    torch.manual_seed(0)
    head = tiny_head()
    feats = features()
    all_ignored = head.loss(feats, samples([(255, 255), (255, 255)]), {})
    assert all_ignored['loss_count'].item() == 0 and all_ignored['loss_size'].item() == 0
    # The CE of the one valid sample, whatever the ignored one's label.
    _, count_logits, _ = head(feats)
    one = head.loss(feats, samples([(1, 0), (255, 0)]), {})['loss_count']
    expected = torch.nn.functional.cross_entropy(count_logits[:1], torch.tensor([1]))
    torch.testing.assert_close(one, expected)


def test_the_text_is_weighted_by_the_predicted_probabilities():
    torch.manual_seed(0)
    head = tiny_head().eval()
    feats = features(batch=1)
    count_logits, size_logits = head.attribute_classifier(feats[3])
    text = head.text_vector(count_logits, size_logits)
    embedding = head.attribute_embedding
    manual = embedding.fusion((embedding.word_vectors[None] * torch.cat(
        [count_logits.softmax(1), size_logits.softmax(1)], 1)[:, :, None]).flatten(1))
    torch.testing.assert_close(text, manual)
    # Teacher forcing: the ground truth's one-hot vectors, where it is valid.
    forced = head.text_vector(count_logits, size_logits, torch.tensor([[1, 2]]))
    one_hot = embedding(torch.tensor([[0., 1.]]), torch.tensor([[0., 0., 1.]]))
    torch.testing.assert_close(forced, one_hot)
    unforced = head.text_vector(count_logits, size_logits, torch.tensor([[255, 255]]))
    torch.testing.assert_close(unforced, text)


def test_text_free_inference_builds_the_prompt_from_predicted_attributes():
    torch.manual_seed(0)
    head = tiny_head().eval()

    class Fixed(torch.nn.Module):
        in_channels, num_classes = WIDTHS[-1], (2, 3)

        def forward(self, x):  # image 0: one large; image 1: multiple small
            batch = x.shape[0]
            return (torch.tensor([[5., 0.], [0., 5.]])[:batch],
                    torch.tensor([[0., 0., 5.], [5., 0., 0.]])[:batch])

    head.attribute_classifier = Fixed()
    predicted = head.predict_attributes(features())
    assert predicted['count'].tolist() == [0, 1] and predicted['size'].tolist() == [2, 0]
    assert predicted['text'] == ['one large sized polyp', 'multiple small sized polyps']
    # predict() reads no caption and no ground truth: image metas are all it gets.
    metas = [dict(img_shape=(32, 32), pad_shape=(32, 32))] * 2
    with torch.no_grad():
        logits = head.predict(features(), metas, {})
    assert logits.shape == (2, 1, 32, 32)


def test_teacher_forcing_reads_the_ground_truth_in_training():
    torch.manual_seed(0)
    head = tiny_head(text_from='ground_truth')
    seen = {}
    original = head.text_vector

    def spy(count_logits, size_logits, attributes=None):
        seen['attributes'] = attributes
        return original(count_logits, size_logits, attributes)

    head.text_vector = spy
    head.loss(features(), samples([(0, 1), (1, 2)]), {})
    assert seen['attributes'].tolist() == [[0, 1], [1, 2]]
    head.eval()
    head.predict(features(), [dict(img_shape=(32, 32), pad_shape=(32, 32))] * 2, {})
    assert seen['attributes'] is None


def test_missing_attributes_name_the_transform():
    head = tiny_head()
    bad = samples([(0, 0)])
    del bad[0].gt_tganet_attributes
    with pytest.raises(KeyError, match='TGANetMaskAttributes.*img_0.png|img_0.png.*'
                                       'TGANetMaskAttributes'):
        head.loss(features(batch=1), bad, {})


def test_attribute_loss_on_probabilities_is_the_authors_double_softmax():
    torch.manual_seed(0)
    head = tiny_head(attribute_loss_on_probs=True)
    feats = features()
    _, count_logits, _ = head(feats)
    loss = head.loss(feats, samples([(0, 0), (1, 1)]), {})['loss_count']
    expected = torch.nn.functional.cross_entropy(count_logits.softmax(1), torch.tensor([0, 1]))
    torch.testing.assert_close(loss, expected)


def test_word_vectors_from_a_file(tmp_path):
    import numpy as np

    table = np.arange(5 * 6, dtype=np.float32).reshape(5, 6)
    np.save(tmp_path / 'words.npy', table)
    embedding = TGANetAttributeEmbedding(embed_dims=6, out_channels=4,
                                         embeddings_path=str(tmp_path / 'words.npy'),
                                         frozen=False)
    assert isinstance(embedding.word_vectors, torch.nn.Parameter)
    torch.testing.assert_close(embedding.word_vectors.detach(), torch.from_numpy(table))
    with pytest.raises(ValueError, match='shape'):
        TGANetAttributeEmbedding(embed_dims=7, embeddings_path=str(tmp_path / 'words.npy'))
    # The random table is the same in every process (its own seed).
    torch.testing.assert_close(TGANetAttributeEmbedding().word_vectors,
                               TGANetAttributeEmbedding().word_vectors)


@pytest.mark.parametrize('kwargs, match', [
    (dict(out_channels=2), 'one sigmoid channel'),
    (dict(text_from='caption'), 'text_from'),
    (dict(input_transform='resize_concat'), 'multiple_select'),
    (dict(embedding=dict(out_channels=8)), 'out_channels must equal channels'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tiny_head(**kwargs)
