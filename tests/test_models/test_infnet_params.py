"""Inf-Net's parameter counts per backbone, against the authors' models.

Counted: the backbone as built here (no ImageNet classifier) + ``InfNetHead``,
i.e. the modules Inf-Net's forward uses. The authors' figures:

- Res2Net Inf-Net: 33.1M built, 31.1M used: their encoder also builds Res2Net's
  ImageNet classifier ``fc`` (2048 x 1000 + 1000 = 2,049,000), never called.
- ResNet Inf-Net: 30.9M (their ResNet class has no classifier).
- VGG16 Inf-Net: 34.3M built, 21.3M used: ``B2_VGG`` also builds a second copy of
  conv blocks 4-5 (``conv4_2``, ``conv5_2``) that the forward never reads.

ResNeXt, ResNeSt and iResNet have no authors' model: their counts are pinned.
timm models are built with ``pretrained=False`` (conftest sets the hub offline).
"""
import pytest
import torch.nn as nn

import vlseg  # noqa: F401
from vlseg.registry import MODELS

RESNET_CHANNELS = (256, 512, 1024, 2048)
BACKBONES = {
    'res2net50': dict(type='TimmFeatures', model_name='res2net50d'),
    'resnet50': dict(type='TimmFeatures', model_name='resnet50'),
    'resnext50': dict(type='TimmFeatures', model_name='resnext50_32x4d'),
    'resnest50': dict(type='TimmFeatures', model_name='resnest50d'),
    'iresnet50': dict(type='IResNet', depth=50),
    'vgg16': dict(type='TimmVGG', model_name='vgg16'),
}
HEAD_CHANNELS = {'vgg16': (128, 256, 512, 512)}
# Exact counts of backbone + head, measured (the head: 7,403,369 on ResNet-like encoders,
# 6,584,169 on VGG16).
EXPECTED = {
    'res2net50': 31_072_721,
    'resnet50': 30_911_401,
    'resnext50': 30_383_273,
    'resnest50': 32_837_609,
    'iresnet50': 30_911_401,  # iResNet adds no parameters to ResNet (Duta et al.)
    'vgg16': 21_298_857,
}
# Modules the authors build but never use.
RES2NET_CLASSIFIER = 2048 * 1000 + 1000
VGG_UNUSED_BLOCKS_4_5 = (256 * 512 * 9 + 512) + 5 * (512 * 512 * 9 + 512)
# (figure in millions, what it includes) per variant.
AUTHORS = {
    'res2net50': [(31.1, 0), (33.1, RES2NET_CLASSIFIER)],
    'resnet50': [(30.9, 0)],
    'vgg16': [(21.3, 0), (34.3, VGG_UNUSED_BLOCKS_4_5)],
}


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize('name', sorted(BACKBONES))
def test_parameter_count(name):
    backbone = MODELS.build(BACKBONES[name])
    head = MODELS.build(dict(type='InfNetHead',
                             in_channels=HEAD_CHANNELS.get(name, RESNET_CHANNELS)))
    used = n_params(backbone) + n_params(head)
    assert used == EXPECTED[name]
    for figure, unused in AUTHORS.get(name, []):
        assert abs(used + unused - figure * 1e6) / (figure * 1e6) < 0.02, (name, figure)


def test_head_parameters_do_not_depend_on_the_backbone_beyond_its_widths():
    head = MODELS.build(dict(type='InfNetHead'))
    assert n_params(head) == 7_403_369
    assert not hasattr(head, 'conv_seg')  # mmseg's unused classifier is removed
