import math

import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import vlseg  # noqa: F401
from vlseg.models.backbones import TimmConvNeXt  # noqa: F401  (registers it)
from vlseg.models.decode_heads import GuideDecoderHead
from vlseg.models.decode_heads.guide_decoder_head import SubpixelUpsample2d, sinusoidal_positions
from vlseg.registry import MODELS

# LanGuideMedSeg's decoder at the QaTa setting (decoder16/8/4 + SubpixelUpsample +
# UnetOutBlock, text projections included), counted from the authors' code with
# MONAI 1.0.1: 10,484,569 + 2,772,397 + 768,802 + 332,160 + 25.
AUTHORS_DECODER_PARAMS = 14_357_953


def pyramid(batch=2, sizes=(16, 8, 4, 2), with_global=True):
    feats = [torch.randn(batch, c, s, s) for c, s in zip((96, 192, 384, 768), sizes)]
    if with_global:
        feats.append(torch.randn(batch, 768))  # TimmConvNeXt's global vector: ignored
    return tuple(feats)


def text_dict(batch=2, length=24, channels=768, seed=0):
    generator = torch.Generator().manual_seed(seed)
    mask = torch.ones(batch, length, dtype=torch.long)
    mask[:, 18:] = 0
    return dict(tokens=torch.randn(batch, length, channels, generator=generator), mask=mask,
                pooled=torch.randn(batch, channels, generator=generator))


def test_parameter_count_matches_the_authors():
    head = GuideDecoderHead()
    count = sum(p.numel() for p in head.parameters())
    assert count == AUTHORS_DECODER_PARAMS
    assert abs(count - 14.36e6) / 14.36e6 < 0.02
    assert head.text_inputs == ('tokens',)


def test_forward_shapes_and_registry():
    head = MODELS.build(dict(type='GuideDecoderHead'))
    logits = head((pyramid(), text_dict()))
    assert logits.shape == (2, 1, 64, 64)
    # the authors' text-free path (guide layers skipped)
    assert head((pyramid(), None)).shape == (2, 1, 64, 64)
    # input side not a multiple of 32 (72 -> ConvNeXt maps 18, 9, 4, 2)
    assert head((pyramid(1, (18, 9, 4, 2)), text_dict(1))).shape == (1, 1, 72, 72)


def make_samples(batch=2, size=64):
    samples = []
    for i in range(batch):
        label = torch.zeros(1, size, size, dtype=torch.long)
        label[:, 8 + i:30, 10:40] = 1
        label[:, 0, 0] = 255  # ignored pixel
        sample = SegDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                                             pad_shape=(size, size)))
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return samples


def test_loss_and_predict():
    head = GuideDecoderHead(loss_decode=[
        dict(type='BinaryDiceLoss', loss_weight=1.0),
        dict(type='mmseg.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0,
             avg_non_ignore=True)])
    samples = make_samples()
    losses = head.loss((pyramid(), text_dict()), samples, train_cfg=dict())
    assert set(losses) == {'loss_dice', 'loss_ce', 'acc_seg'}
    for value in losses.values():
        assert torch.isfinite(value).all()
    assert 0 <= losses['acc_seg'].item() <= 100
    (losses['loss_dice'] + losses['loss_ce']).backward()
    stage = head.stages[0].guide
    assert stage.scale.grad is not None and stage.text_proj.token_mix.weight.grad is not None
    head.eval()
    with torch.no_grad():
        logits = head.predict((pyramid(), text_dict()), [s.metainfo for s in samples],
                              test_cfg=dict())
    assert logits.shape == (2, 1, 64, 64)


def test_text_changes_the_output():
    torch.manual_seed(0)
    head = GuideDecoderHead().eval()
    feats = pyramid()
    with torch.no_grad():
        first = head((feats, text_dict(seed=1)))
        same = head((feats, text_dict(seed=1)))
        other = head((feats, text_dict(seed=2)))
    torch.testing.assert_close(first, same)
    assert (first - other).abs().max() > 1e-4


def test_padding_mask_option():
    torch.manual_seed(0)
    head = GuideDecoderHead(mask_padded_tokens=True).eval()
    feats, text = pyramid(), text_dict()
    changed = dict(text, tokens=text['tokens'].clone())
    changed['tokens'][:, 18:] += 5.0  # only padded positions change
    with torch.no_grad():
        torch.testing.assert_close(head((feats, text)), head((feats, changed)))


def test_skip_attention_option():
    """``skip_attention=dict(type='VLAB')``: one VLAB per skip (widths 384, 192, 96), whose
    output is the skip the up block concatenates; ``None`` (the paper) adds nothing."""
    def vlab_params(c):  # C2FVL Eq. 4-6: 1x1 conv C -> C, then the MLP C -> C/2 -> C
        return (c * c + c) + (c * (c // 2) + c // 2) + ((c // 2) * c + c)

    torch.manual_seed(0)
    plain = GuideDecoderHead()
    head = GuideDecoderHead(skip_attention=dict(type='VLAB')).eval()
    added = sum(p.numel() for p in head.parameters()) - sum(
        p.numel() for p in plain.parameters())
    assert added == sum(vlab_params(c) for c in (384, 192, 96))
    assert [type(stage.skip_attention).__name__ for stage in head.stages] == ['VLAB'] * 3
    seen = []
    head.stages[0].up.register_forward_pre_hook(lambda module, args: seen.append(args[1]))
    feats = pyramid()
    with torch.no_grad():
        head((feats, text_dict()))
        expected = head.stages[0].skip_attention(feats[2])
    torch.testing.assert_close(seen[0], expected)
    assert not torch.allclose(expected, feats[2])


def test_clear_errors():
    head = GuideDecoderHead()
    with pytest.raises(TypeError, match='image_features, text'):
        head(pyramid())
    with pytest.raises(KeyError, match='tokens'):
        head((pyramid(), dict(pooled=torch.randn(2, 768))))
    with pytest.raises(ValueError, match='text_length'):
        head((pyramid(), text_dict(length=16)))
    with pytest.raises(ValueError, match='text_lengths'):
        GuideDecoderHead(text_lengths=(24, 12))


def test_positions_and_subpixel_init():
    pe = sinusoidal_positions(10, 8)
    assert pe[3, 0].item() == pytest.approx(math.sin(3))
    assert pe[3, 1].item() == pytest.approx(math.cos(3))
    assert pe[3, 2].item() == pytest.approx(math.sin(3 / 10000 ** (2 / 8)))
    up = SubpixelUpsample2d(8, 2, scale=4)
    weight = up.conv.weight
    # ICNR: the 16 filters PixelShuffle merges into one output channel start equal
    assert all(torch.equal(weight[i], weight[i - i % 16]) for i in range(weight.shape[0]))
    assert up(torch.randn(1, 8, 5, 5)).shape == (1, 2, 20, 20)


def test_on_the_convnext_backbone():
    backbone = MODELS.build(dict(type='TimmConvNeXt'))
    head = GuideDecoderHead(in_channels=backbone.out_channels)
    with torch.no_grad():
        logits = head((backbone(torch.randn(1, 3, 64, 64)), text_dict(1)))
    assert logits.shape == (1, 1, 64, 64)
