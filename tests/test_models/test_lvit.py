"""LViT baseline: per-word text features, text-conditioned ViT path, PLAM decoder."""
import pytest
import torch

import vlseg  # noqa: F401
from vlseg.models.backbones import HybridCNNViT
from vlseg.models.decode_heads import LViTHead
from vlseg.models.layers import PixelLevelAttention
from vlseg.models.necks import LViTViTBranch
from vlseg.models.text_encoders import WordFeatureEncoder
from vlseg.registry import MODELS
from vlseg.utils import register_all_modules

CAPTION = ('Bilateral pulmonary infection, two infected areas, upper left lung and lower '
           'right lung.')


def num_params(*modules) -> int:
    return sum(p.numel() for m in modules for p in m.parameters() if p.requires_grad)


def test_trainable_parameters_match_lvit():
    """LViT reports 29.7M trainable parameters (thop on the authors' model). Counted here:
    the CNN path (``inc``, ``down1..4``), the text convolutions (``text_module1..4``,
    768-d BERT words), ``downVit..downVit3`` (with ``CTBN3`` at the first level and
    ``CTBN`` from the second), the blocks of ``upVit..upVit3`` with their ``CTBN2``,
    ``reconstruct1..4``, ``up1..up4`` with their PLAMs and ``outc``: the modules the
    authors' forward uses (29,908,033; thop misses the 188,160 position embeddings,
    giving 29,719,873). The frozen BERT is not trainable."""
    backbone = HybridCNNViT(with_vit=False)
    neck = LViTViTBranch(text_channels=768)
    head = LViTHead()
    total = num_params(backbone, neck, head)
    assert abs(total - 29.7e6) / 29.7e6 < 0.02
    assert total == 29_908_033
    position_embeddings = sum(level.pos_embed.numel() for level in neck.down.levels)
    assert total - position_embeddings == 29_719_873
    assert num_params(head) == 3_984_384 + 696_444 + 65


def test_pixel_level_attention():
    torch.manual_seed(0)
    plam = PixelLevelAttention(16)
    x = torch.randn(2, 16, 5, 4)
    weights = plam.weights(x)
    assert weights.shape == (2, 1, 5, 4)
    torch.testing.assert_close(plam(x), weights * x)
    assert num_params(plam) == 2 * 16 ** 2 + 31
    with pytest.raises(ValueError, match='expected'):
        plam(torch.randn(1, 8, 5, 4))


def test_word_features_average_word_pieces(tiny_bert):
    """10 words, [CLS]/[SEP] dropped, a word's pieces averaged, short captions zero-padded."""
    torch.manual_seed(0)
    encoder = WordFeatureEncoder(model_path=tiny_bert, num_words=10, cache_size=0)
    caption = 'Unilateral midlle lung.'  # un ##ila ##tera ##l | mid ##lle | lung | .
    text = encoder(captions=[CAPTION, caption, ''])
    assert text['tokens'].shape == (3, 10, 32)
    assert text['mask'].tolist() == [[1] * 10, [1] * 4 + [0] * 6, [0] * 10]
    assert float(text['tokens'][1, 4:].abs().sum()) == 0
    assert float(text['tokens'][2].abs().sum()) == 0  # text-free
    # Reference: the model's word pieces of the second caption, averaged by hand.
    encoded = encoder.tokenizer([caption], return_tensors='pt')
    with torch.no_grad():
        pieces = encoder.model(**encoded).last_hidden_state[0]  # [CLS] 4 + 2 + 1 + 1 [SEP]
    expected = torch.stack([pieces[1:5].mean(0), pieces[5:7].mean(0), pieces[7], pieces[8]])
    torch.testing.assert_close(text['tokens'][1, :4], expected)
    torch.testing.assert_close(text['pooled'][1], expected.mean(0))
    # The first caption has 16 words with punctuation: the first 10 are kept.
    full = encoder(captions=[CAPTION])
    torch.testing.assert_close(full['tokens'][0], text['tokens'][0])


def test_word_feature_cache(tiny_bert):
    encoder = WordFeatureEncoder(model_path=tiny_bert)
    first = encoder(captions=[CAPTION, CAPTION, ''])
    again = encoder(captions=['', CAPTION])
    assert encoder.cache_info() == dict(hits=3, misses=2, size=2)
    torch.testing.assert_close(again['tokens'][1], first['tokens'][0])
    with pytest.raises(TypeError, match='captions'):
        encoder(captions=None)


def test_text_enters_the_first_vit_level():
    torch.manual_seed(0)
    backbone = HybridCNNViT(base_channels=8, with_vit=False)
    neck = LViTViTBranch(in_channels=(8, 16, 32, 64, 64), text_channels=12, num_heads=2).eval()
    features = backbone(torch.rand(2, 3, 32, 32))
    words = torch.randn(2, 10, 12)
    with torch.no_grad():
        fused = neck((features, dict(tokens=words)))
        other = neck((features, dict(tokens=-words)))
    assert [tuple(f.shape) for f in fused] == [tuple(f.shape) for f in features]
    assert not torch.allclose(fused[0], other[0])
    # The bottleneck is not fused.
    torch.testing.assert_close(fused[4], features[4])
    with pytest.raises(ValueError, match='expected'):
        neck((features, dict(tokens=torch.randn(2, 8, 12))))
    with pytest.raises(KeyError, match='tokens'):
        neck((features, dict(vector=torch.zeros(2, 8))))


def test_lvit_at_224():
    """The authors' setting: 196 text tokens match the 14 x 14 grid, no resizing."""
    torch.manual_seed(0)
    backbone = HybridCNNViT(with_vit=False).eval()
    neck = LViTViTBranch().eval()
    head = LViTHead().eval()
    with torch.no_grad():
        features = neck((backbone(torch.rand(1, 3, 224, 224)),
                         dict(tokens=torch.randn(1, 10, 768))))
        logits = head(features)
    assert logits.shape == (1, 1, 224, 224)
    assert torch.isfinite(logits).all()


def test_lvit_segmentor_reads_captions(tiny_bert):
    register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='LanguageGuidedSegmentor',
        backbone=dict(type='HybridCNNViT', base_channels=8, with_vit=False),
        text_encoder=dict(type='WordFeatureEncoder', model_path=tiny_bert),
        neck=dict(type='LViTViTBranch', in_channels=(8, 16, 32, 64, 64), text_channels=32,
                  num_heads=2),
        decode_head=dict(type='LViTHead', in_channels=(8, 16, 32, 64, 64), channels=8),
        test_cfg=dict(mode='whole'))).eval()
    x = torch.rand(1, 3, 32, 32)
    meta = dict(img_shape=(32, 32), ori_shape=(32, 32), pad_shape=(32, 32))
    with torch.no_grad():
        with_text = model.encode_decode(x, [dict(meta, text=CAPTION)])
        without = model.encode_decode(x, [dict(meta, text='')])
    assert with_text.shape == (1, 1, 32, 32)
    assert not torch.allclose(with_text, without)
