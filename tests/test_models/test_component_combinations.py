"""Every text source x image backbone x neck x decode head of vlseg's registry, combined.

The matrix is walked from the registry: a 2D component registered in vlseg without a
tiny preset here fails ``test_every_registered_component_is_in_the_matrix``, so a new
component joins the matrix. mmseg's ``FCNHead`` stands for "any mmseg head".

Each combination is wired the way a user edits a config: the head's ``in_channels`` /
``in_index`` and the text widths come from what the parts declare
(``vlseg.models.interfaces``: the backbone's ``out_channels`` and ``strides``, the text
source's ``out_channels`` and ``text_length``). Which combinations cannot work is
predicted here from the text keys alone (a part that reads token features cannot read
C2FVL's lesion vector, and the lesion-vector neck cannot read a language model), not
from the code under test: those must be refused at build time by
``IncompatibleComponentsError`` naming both parts and the keys; every other one must
build, train one step (forward and backward, finite losses, gradients reaching the
backbone and every text-reading part) and predict. A failure names the combination.
"""
from __future__ import annotations

import functools
import itertools
import math

import pytest
import torch
from captioned_batch import captioned_batch
from mmengine import ConfigDict

from vlseg.datasets.transforms import MaskToEdge
from vlseg.models.interfaces import IncompatibleComponentsError, feature_levels
from vlseg.registry import MODELS
from vlseg.utils import register_all_modules

SIZE = 32  # input side: the deepest maps (stride 32) are 1 x 1, the smallest all parts take
CAPTION = 'Bilateral pulmonary infection, two infected areas, upper left lung and lower right lung.'
OTHER_CAPTION = 'Unilateral pulmonary infection, one infected area, lower left lung.'
TOKEN_SOURCES = ('HFTextEncoder', 'WordFeatureEncoder')


def text_source(name: str, bert: str) -> dict:
    return {
        'HFTextEncoder': dict(type='HFTextEncoder', model_path=bert, max_length=8),
        'WordFeatureEncoder': dict(type='WordFeatureEncoder', model_path=bert, num_words=6),
        'LesionVectorEncoder': dict(type='LesionVectorEncoder'),
    }[name]


BACKBONES = {
    'TimmConvNeXt': dict(type='TimmConvNeXt', model_name='convnext_atto', with_global=True),
    'TimmFeatures': dict(type='TimmFeatures', model_name='resnet18', out_indices=(0, 1, 2, 3, 4)),
    'TimmVGG': dict(type='TimmVGG', model_name='vgg11'),
    'HybridCNNViT': dict(type='HybridCNNViT', base_channels=8, img_size=SIZE, num_heads=2),
    'IResNet': dict(type='IResNet', depth=50),
}
NECKS = (None, 'LesionVectorWeighting', 'LViTViTBranch')
HEADS = ('GuideDecoderHead', 'C2FVLHead', 'LViTHead', 'InfNetHead', 'FCNHead')
# Registered, and out of this 2D matrix on purpose (with the reason).
OUTSIDE = {'ResUNet3D': 'volumetric: VolumeSegmentor reads it, no 2D head does'}


@functools.cache
def spatial_maps(backbone_name: str) -> list[tuple[int, int, int]]:
    """``(index, channels, stride)`` of the backbone's maps (its pooled vector left out)."""
    levels = feature_levels(MODELS.build(BACKBONES[backbone_name]))
    return [(i, c, s) for i, (c, s) in enumerate(levels) if s is not None]


def input_size(backbone: str, neck) -> int:
    """``SIZE``; 64 where LViT's ViT path would get a 1 x 1 token grid on a stride-4 map."""
    return 64 if neck == 'LViTViTBranch' and SIZE // spatial_maps(backbone)[0][2] < 16 else SIZE


def neck_config(name, maps, source, size) -> dict | None:
    if name is None:
        return None
    if name == 'LesionVectorWeighting':  # the skips, as C2FVL (not the bottleneck)
        return dict(type=name, levels=[i for i, _, _ in maps[:-1]])
    side = size // maps[0][2]  # LViT's ViT path on the first 4 maps: a 2 x 2 token grid
    return dict(type=name, in_channels=[c for _, c, _ in maps], img_size=side,
                patch_sizes=[side // 2 >> i for i in range(4)], num_heads=2,
                text_channels=source['out_channels'],
                text_length=source['text_length'] or 8)


def head_config(name, maps, source) -> dict:
    widths = [c for _, c, _ in maps]
    index = [i for i, _, _ in maps]
    if name == 'GuideDecoderHead':
        return dict(type=name, in_channels=widths[-4:], in_index=index[-4:],
                    channels=widths[-4], text_channels=source['out_channels'],
                    text_length=source['text_length'] or 8, text_lengths=(8, 6, 4),
                    upsample_channels=8)
    if name in ('C2FVLHead', 'LViTHead'):
        extra = {} if name == 'LViTHead' else dict(alignment_loss=dict(
            type='CosineAlignmentLoss', weights=[0.5] * (len(widths) - 2)))
        return dict(type=name, in_channels=widths, in_index=index, channels=widths[0],
                    **extra)
    if name == 'InfNetHead':
        return dict(type=name, in_channels=widths[-4:], in_index=index[-4:], channels=8,
                    edge_channels=8, ra_channels=(8, 8, 16))
    return dict(type='FCNHead', in_channels=widths[-1], in_index=index[-1], channels=8,
                num_convs=1, num_classes=2, out_channels=1, threshold=0.5,
                loss_decode=dict(type='BinaryDiceLoss'))


def expected_refusal(source: str, backbone: str, neck, head: str):
    """``(the part that refuses, why)`` or ``None``, predicted from the parts' roles: the
    text keys (a token reader cannot read the lesion vector, the lesion-vector neck cannot
    read a language model), LViT's ViT path (its four widths must grow with depth), and
    whether the head reads a map the neck put the text into (``FCNHead`` reads the last)."""
    maps = spatial_maps(backbone)
    widths = [c for _, c, _ in maps][:4]
    if neck == 'LViTViTBranch' and any(b <= a for a, b in zip(widths, widths[1:])):
        return neck, 'widths'
    tokens = source in TOKEN_SOURCES
    if (neck == 'LViTViTBranch' and not tokens) or (neck == 'LesionVectorWeighting'
                                                     and tokens):
        return neck, 'keys'
    if head == 'GuideDecoderHead' and not tokens:
        return head, 'keys'
    if head == 'FCNHead' and neck is not None:
        with_text = range(len(maps) - 1) if neck == 'LesionVectorWeighting' else range(4)
        if maps[-1][0] not in with_text:
            return head, 'unreached'
    return None


@pytest.fixture(scope='module')
def registry():
    register_all_modules()
    return MODELS


@pytest.fixture(scope='module')
def declared(tiny_bert, registry):
    """What each tiny text source declares (width, tokens per caption)."""
    out = {}
    for name in ('HFTextEncoder', 'WordFeatureEncoder', 'LesionVectorEncoder'):
        module = MODELS.build(text_source(name, tiny_bert))
        out[name] = dict(out_channels=module.out_channels,
                         text_length=getattr(module, 'text_length', None))
    return out


@pytest.fixture(scope='module')
def batches(tmp_path_factory):
    """Two captioned images with masks and edge maps, at each input size."""
    return {size: captioned_batch(tmp_path_factory.mktemp(f'combination_batch_{size}'),
                                  [CAPTION, CAPTION], [MaskToEdge()], size=size)
            for size in (SIZE, 64)}


def registered(prefix: str) -> set[str]:
    return {name for name, cls in MODELS.module_dict.items()
            if cls.__module__.startswith(f'vlseg.models.{prefix}')}


def test_every_registered_component_is_in_the_matrix(registry):
    assert registered('text_encoders') == {'HFTextEncoder', 'WordFeatureEncoder',
                                           'LesionVectorEncoder'}
    assert registered('backbones') == set(BACKBONES) | set(OUTSIDE)
    assert registered('necks') == set(NECKS) - {None}
    assert registered('decode_heads') == set(HEADS) - {'FCNHead'}


COMBINATIONS = list(itertools.product(
    ('HFTextEncoder', 'WordFeatureEncoder', 'LesionVectorEncoder'), BACKBONES, NECKS, HEADS))


def run_combination(source_name, backbone_name, neck_name, head_name, bert, declared,
                    batches):
    source = text_source(source_name, bert)
    maps = spatial_maps(backbone_name)
    size = input_size(backbone_name, neck_name)
    batch = batches[size]
    model_cfg = ConfigDict(
        type='LanguageGuidedSegmentor',
        data_preprocessor=dict(type='TextSegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1],
                               size_divisor=32),
        backbone=BACKBONES[backbone_name], text_encoder=source,
        neck=neck_config(neck_name, maps, declared[source_name], size),
        decode_head=head_config(head_name, maps, declared[source_name]),
        test_cfg=dict(mode='whole'))
    torch.manual_seed(0)
    refusal = expected_refusal(source_name, backbone_name, neck_name, head_name)
    if refusal is not None:
        with pytest.raises(IncompatibleComponentsError) as error:
            MODELS.build(model_cfg)
        message, (part, why) = str(error.value), refusal
        assert part in message, message
        assert {'keys': "text['", 'widths': 'widths must grow',
                'unreached': 'would ignore the text'}[why] in message, message
        if why == 'keys':
            assert source_name in message, message
        return 'refused'
    model = MODELS.build(model_cfg)
    model.train()
    data = model.data_preprocessor(batch, True)
    losses = model.loss(data['inputs'], data['data_samples'])
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert math.isfinite(float(total.detach())), losses
    total.backward()
    readers = [m for m in (model.neck if model.with_neck else None, model.decode_head)
               if m is not None and getattr(m, 'text_inputs', ())]
    for part in [model.backbone] + readers:
        if any(True for _ in part.parameters()):
            assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in
                       part.parameters()), f'no gradient reached {type(part).__name__}'
    model.eval()
    if readers:  # the text reaches the prediction: another caption, other logits
        with torch.no_grad():
            data = model.data_preprocessor(batch, False)
            metas = [sample.metainfo for sample in data['data_samples']]
            logits = model.encode_decode(data['inputs'], metas)
            other = model.encode_decode(data['inputs'], [dict(meta, text=OTHER_CAPTION)
                                                         for meta in metas])
        assert not torch.allclose(logits, other), 'the caption does not change the logits'
    with torch.no_grad():
        predictions = model.test_step(dict(inputs=batch['inputs'],
                                           data_samples=batch['data_samples']))
    assert predictions[0].pred_sem_seg.data.shape[-2:] == (size, size)
    return 'ran'


@pytest.mark.parametrize('source,backbone,neck,head', COMBINATIONS,
                         ids=['-'.join(str(x) for x in c) for c in COMBINATIONS])
def test_combination(source, backbone, neck, head, tiny_bert, declared, batches, registry):
    try:
        run_combination(source, backbone, neck, head, tiny_bert, declared, batches)
    except Exception as error:  # name the combination, keep the cause
        raise AssertionError(f'text source {source} x backbone {backbone} x neck {neck} x '
                             f'head {head}: {type(error).__name__}: {error}') from error


def test_matrix_size(registry):
    refused = [c for c in COMBINATIONS if expected_refusal(*c) is not None]
    assert len(COMBINATIONS) == 3 * 5 * 3 * 5
    # 225 combinations; refused at build time: the lesion vector under LViT's neck or the
    # GuideDecoder (35), a language model under the lesion-vector neck (50), LViT's neck on
    # ResNet-18, whose stem and first stage are both 64 wide (10 more), FCNHead on the one
    # map a text neck leaves without text (11); 119 train and predict.
    assert len(refused) == 106
