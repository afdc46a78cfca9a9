import pytest
import torch

import vlseg  # noqa: F401
from vlseg.models.decode_heads import GuideDecoderHead
from vlseg.models.layers import LTEM
from vlseg.registry import MODELS

# Small GuideDecoderHead: 4 levels of widths 8/16/32/64, 6 tokens of width 16.
HEAD = dict(in_channels=(8, 16, 32, 64), channels=8, text_channels=16, text_length=6,
            text_lengths=(6, 4, 3), upsample_channels=4)


def pyramid(batch=2, sizes=(16, 8, 4, 2)):
    generator = torch.Generator().manual_seed(0)
    return tuple(torch.randn(batch, c, s, s, generator=generator)
                 for c, s in zip((8, 16, 32, 64), sizes))


def text_dict(batch=2):
    generator = torch.Generator().manual_seed(1)
    return dict(tokens=torch.randn(batch, 6, 16, generator=generator),
                mask=torch.ones(batch, 6, dtype=torch.long),
                pooled=torch.randn(batch, 16, generator=generator))


def test_attention_sums_to_one_over_regions():
    ltem = LTEM(image_channels=32, text_channels=16, embed_dim=8, tau=0.1)
    weights = ltem.attention(torch.randn(3, 32, 4, 5), torch.randn(3, 16))
    assert weights.shape == (3, 1, 4, 5)
    assert (weights >= 0).all()
    torch.testing.assert_close(weights.flatten(1).sum(1), torch.ones(3))
    # Lower temperature: sharper weights.
    sharp = LTEM(32, 16, embed_dim=8, tau=0.01)
    sharp.load_state_dict(ltem.state_dict())
    image, text = torch.randn(1, 32, 4, 5), torch.randn(1, 16)
    assert sharp.attention(image, text).max() > ltem.attention(image, text).max()


def test_output_shape_and_modes():
    torch.manual_seed(0)
    image, text = torch.randn(2, 32, 4, 4), torch.randn(2, 16)
    decoded = torch.randn(2, 16, 8, 8)
    outputs = {}
    for mode in ('residual', 'scaled', 'plain'):
        torch.manual_seed(0)  # the same projections in every mode
        ltem = MODELS.build(dict(type='LTEM', image_channels=32, text_channels=16, embed_dim=8,
                                 mode=mode))
        outputs[mode] = ltem(image, text, decoded)
        assert outputs[mode].shape == decoded.shape
    # residual = decoded + scaled; plain = scaled / N (N = 16 regions).
    torch.testing.assert_close(outputs['residual'], decoded + outputs['scaled'])
    torch.testing.assert_close(outputs['plain'] * 16, outputs['scaled'])
    # Decoded maps not exactly twice the size (inputs not a multiple of 32).
    assert LTEM(32, 16)(torch.randn(1, 32, 4, 4), torch.randn(1, 16),
                        torch.randn(1, 16, 9, 9)).shape == (1, 16, 9, 9)
    with pytest.raises(ValueError, match='mode'):
        LTEM(32, 16, mode='gate')
    with pytest.raises(ValueError, match='image map'):
        LTEM(32, 16).attention(torch.randn(1, 8, 4, 4), torch.randn(1, 16))


def test_guide_decoder_with_ltem_runs_and_differs():
    torch.manual_seed(0)
    plain = GuideDecoderHead(**HEAD)
    torch.manual_seed(0)
    enhanced = GuideDecoderHead(**HEAD, ltem=dict(embed_dim=8, tau=0.1))
    # Same decoder weights; the LTEMs are extra modules, one per stage but the last.
    missing, unexpected = enhanced.load_state_dict(plain.state_dict(), strict=False)
    assert unexpected == [] and all(key.startswith('ltems.') for key in missing)
    assert len(enhanced.ltems) == 2
    assert [m.image_channels for m in enhanced.ltems] == [64, 32]
    plain.eval()
    enhanced.eval()
    feats, text = pyramid(), text_dict()
    out_plain = plain((feats, text))
    out_enhanced = enhanced((feats, text))
    assert out_enhanced.shape == out_plain.shape == (2, 1, 64, 64)
    assert not torch.allclose(out_plain, out_enhanced)
    # The text-free path skips the LTEMs.
    torch.testing.assert_close(plain((feats, None)), enhanced((feats, None)))
    # Weights from the backbone maps instead of the stage inputs.
    backbone = GuideDecoderHead(**HEAD, ltem=dict(embed_dim=8, source='backbone'))
    backbone.load_state_dict(enhanced.state_dict())
    backbone.eval()
    assert not torch.allclose(backbone((feats, text)), out_enhanced)
    # Gradients reach the LTEM projections.
    enhanced.train()
    enhanced((feats, text)).sum().backward()
    assert all(p.grad is not None for p in enhanced.ltems.parameters())


def test_guide_decoder_ltem_needs_pooled_text():
    head = GuideDecoderHead(**HEAD, ltem=dict(embed_dim=8))
    text = text_dict()
    del text['pooled']
    with pytest.raises(KeyError, match='pooled'):
        head((pyramid(), text))
    with pytest.raises(ValueError, match='source'):
        GuideDecoderHead(**HEAD, ltem=dict(source='skip'))


def test_default_head_has_no_ltem():
    head = GuideDecoderHead()
    assert head.ltems is None
    assert not any(name.startswith('ltems') for name, _ in head.named_parameters())


def test_default_is_the_papers_multiplication():
    """TMCA: the upsampled region weights w multiply the decoded feature, out = x * w."""
    torch.manual_seed(0)
    ltem = LTEM(32, 16, embed_dim=8)
    image, text, decoded = torch.randn(2, 32, 4, 4), torch.randn(2, 16), torch.randn(2, 16, 8, 8)
    weights = torch.nn.functional.interpolate(ltem.attention(image, text), scale_factor=2,
                                              mode='bilinear', align_corners=False)
    torch.testing.assert_close(ltem(image, text, decoded), decoded * weights)
