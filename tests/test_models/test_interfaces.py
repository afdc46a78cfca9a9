"""The declared interfaces of components and the segmentor's build-time check."""
import pytest
from torch import nn

from vlseg.models.interfaces import (
    IncompatibleComponentsError,
    check_components,
    feature_levels,
)


class Source(nn.Module):
    text_keys = ('tokens', 'mask', 'pooled')

    def __init__(self, width=32, length=8):
        super().__init__()
        self.out_channels, self.text_length = width, length


class VectorSource(nn.Module):
    text_keys = ('vector',)
    out_channels = 8


class Backbone(nn.Module):
    out_channels = [16, 32, 64, 128]
    strides = (4, 8, 16, 32)


class Head(nn.Module):
    def __init__(self, in_channels=(16, 32, 64, 128), in_index=(0, 1, 2, 3), reads=(),
                 text_channels=None, text_length=None, input_transform='multiple_select'):
        super().__init__()
        self.in_channels, self.in_index, self.input_transform = in_channels, in_index, \
            input_transform
        self.text_inputs = reads
        if text_channels is not None:
            self.text_channels = text_channels
        if text_length is not None:
            self.text_length = text_length


class WidthKeepingNeck(nn.Module):
    text_inputs = ('vector',)

    def neck_out_channels(self, in_channels):
        return list(in_channels)


class Alignment(nn.Module):
    text_inputs = ('pooled',)

    def __init__(self, widths, indices, text_channels=32):
        super().__init__()
        self.in_channels, self.feature_index, self.text_channels = widths, indices, text_channels


def refusal(*parts) -> str:
    with pytest.raises(IncompatibleComponentsError) as error:
        check_components(*parts)
    return str(error.value)


def test_parts_that_fit_pass():
    check_components(Source(), Backbone(), None,
                     [Head(reads=('tokens', 'mask'), text_channels=32, text_length=8)],
                     Alignment({'s8': 32, 's32': 128}, {'s8': 1, 's32': 3}))
    check_components(VectorSource(), Backbone(), WidthKeepingNeck(), [Head()])
    # A single-map head (mmseg's FCNHead form) on the deepest map.
    check_components(Source(), Backbone(), None, [Head(in_channels=128, in_index=-1)])


def test_missing_text_keys_name_both_parts_and_the_keys():
    message = refusal(VectorSource(), Backbone(), None, [Head(reads=('tokens',))])
    assert message.startswith('Head cannot read the text of VectorSource')
    assert "text['tokens']" in message and "['vector']" in message
    message = refusal(Source(), Backbone(), WidthKeepingNeck(), [Head()])
    assert message.startswith('WidthKeepingNeck cannot read the text of Source')


def test_text_width_and_length_must_match_the_source():
    message = refusal(Source(width=384), Backbone(), None,
                      [Head(reads=('tokens',), text_channels=768)])
    assert 'text_channels is 768' in message and 'set text_channels=384' in message
    message = refusal(Source(length=24), Backbone(), None,
                      [Head(reads=('tokens',), text_channels=32, text_length=10)])
    assert 'text_length is 10' in message and 'gives 24 tokens' in message
    # The length binds token readers only: a pooled-feature reader takes any length.
    check_components(Source(length=24), Backbone(), None,
                     [Head(reads=('pooled',), text_channels=32, text_length=10)])


def test_head_widths_and_indices_are_checked_against_the_maps():
    message = refusal(Source(), Backbone(), None, [Head(in_channels=(16, 32, 64, 256))])
    assert message.startswith('Head cannot read the maps of Backbone')
    assert 'set in_channels=[16, 32, 64, 128]' in message
    message = refusal(Source(), Backbone(), None, [Head(in_index=(1, 2, 3, 4))])
    assert 'in_index [1, 2, 3, 4]' in message and 'gives 4 outputs' in message
    # Through a neck that keeps the widths, the message names the path.
    message = refusal(VectorSource(), Backbone(), WidthKeepingNeck(),
                      [Head(in_channels=(1, 2, 3, 4))])
    assert 'maps of Backbone through WidthKeepingNeck' in message


def test_alignment_levels_are_checked():
    message = refusal(Source(), Backbone(), None, [Head()],
                      Alignment({'s8': 64}, {'s8': 1}))
    assert "in_channels['s8'] is 64, feature 1 has 32 channels" in message


def test_undeclared_parts_are_not_checked():
    """An mmseg component without declarations still fits (nothing to check)."""
    check_components(nn.Identity(), nn.Identity(), None, [nn.Identity()])
    assert feature_levels(nn.Identity()) is None


def test_pooled_image_vector_is_a_level_without_stride():
    backbone = Backbone()
    backbone.global_channels = 128
    assert feature_levels(backbone)[-1] == (128, None)
    check_components(Source(), backbone, None, [Head()],
                     Alignment({'pooled': 128}, {'pooled': 4}))


def test_segmentor_refuses_a_misfit_when_built(tiny_bert):
    from mmengine import ConfigDict

    from vlseg.registry import MODELS
    from vlseg.utils import register_all_modules
    register_all_modules()
    cfg = ConfigDict(
        type='LanguageGuidedSegmentor',
        data_preprocessor=dict(type='TextSegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1]),
        backbone=dict(type='TimmConvNeXt', model_name='convnext_atto'),
        text_encoder=dict(type='HFTextEncoder', model_path=tiny_bert, max_length=8),
        decode_head=dict(type='GuideDecoderHead', in_channels=(40, 80, 160, 320),
                         channels=40, text_channels=32, text_length=24, text_lengths=(8, 6, 4)))
    with pytest.raises(IncompatibleComponentsError, match='text_length is 24.*gives 8 tokens'):
        MODELS.build(cfg)
    cfg.decode_head.text_length = 8
    model = MODELS.build(cfg)
    assert model.decode_head.text_inputs == ('tokens',)


def test_the_decode_head_must_read_a_map_the_text_neck_wrote():
    neck = WidthKeepingNeck()
    neck.text_levels = (0, 1, 2)  # the deepest map (3) stays without text
    message = refusal(VectorSource(), Backbone(), neck, [Head(in_channels=128, in_index=3)])
    assert message.startswith('Head cannot read the text WidthKeepingNeck adds')
    assert 'maps [3]' in message and 'maps [0, 1, 2] only' in message
    # An auxiliary head (not the first) may read it: it does not make the prediction.
    check_components(VectorSource(), Backbone(), neck,
                     [Head(), Head(in_channels=128, in_index=-1)])
