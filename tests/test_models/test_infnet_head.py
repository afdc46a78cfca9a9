"""InfNetHead: output shapes, deep supervision losses, prediction, and the backbones' taps."""
import pytest
import torch
import torch.nn as nn
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import vlseg  # noqa: F401
from vlseg.models.decode_heads.infnet_head import MAP_NAMES
from vlseg.registry import MODELS

# A narrow head on random maps shaped like a ResNet's f1..f5 at a 64x64 input.
CHANNELS = (8, 16, 24, 32, 40)
SIZES = (32, 16, 8, 4, 2)


def narrow_head(**kwargs):
    cfg = dict(type='InfNetHead', in_channels=CHANNELS[1:], channels=8, edge_channels=8,
               ra_channels=(8, 8, 16))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def features(batch=2):
    torch.manual_seed(0)
    return [torch.randn(batch, c, s, s) for c, s in zip(CHANNELS, SIZES)]


def samples(batch=2, size=64, with_edge=True):
    out = []
    for _ in range(batch):
        mask = torch.zeros(1, size, size, dtype=torch.long)
        mask[:, 16:40, 8:30] = 1
        sample = SegDataSample(metainfo=dict(img_shape=(size, size), pad_shape=(size, size)))
        sample.gt_sem_seg = PixelData(data=mask)
        if with_edge:
            edge = torch.zeros_like(mask)
            edge[:, 16, 8:30] = 1
            sample.gt_edge_map = PixelData(data=edge)
        out.append(sample)
    return out


def test_forward_shapes():
    head = narrow_head().eval()
    with torch.no_grad():
        coarse, s5, s4, s3, edge = head(features())
    # S_g at f3's resolution, S_5/S_4/S_3 at f5/f4/f3's, the edge map at f2's.
    assert coarse.shape == (2, 1, 8, 8)
    assert s5.shape == (2, 1, 2, 2)
    assert s4.shape == (2, 1, 4, 4)
    assert s3.shape == (2, 1, 8, 8)
    assert edge.shape == (2, 1, 16, 16)


def test_deep_supervision_losses_and_every_parameter_gets_a_gradient():
    head = narrow_head()
    losses = head.loss(features(), samples(), train_cfg={})
    keys = [f'loss_structure_{name}' for name in MAP_NAMES] + ['loss_edge']
    assert set(keys) <= set(losses)
    assert set(losses) - set(keys) == {'acc_seg'}
    total = sum(losses[k] for k in keys)
    assert torch.isfinite(total)
    total.backward()
    # No unused parameters (DDP-safe, and no leftover conv_seg).
    assert all(p.grad is not None for p in head.parameters())


def test_each_map_has_its_own_loss():
    head = narrow_head()
    feats = features()
    maps = head(feats)
    losses = head.loss_by_feat(maps, samples())
    # S_3 is refined from S_4, S_5 and S_g, so their losses differ.
    values = [losses[f'loss_structure_{name}'].item() for name in MAP_NAMES]
    assert len(set(round(v, 6) for v in values)) == 4


def test_missing_edge_target_names_the_transform():
    head = narrow_head()
    with pytest.raises(KeyError, match='MaskToEdge'):
        head.loss(features(), samples(with_edge=False), train_cfg={})


def test_predict_uses_the_last_reverse_attention_map():
    head = narrow_head().eval()
    feats = features(1)
    metas = [dict(img_shape=(64, 64), pad_shape=(64, 64))]
    with torch.no_grad():
        pred = head.predict(feats, metas, test_cfg={})
        s3 = head(feats)[MAP_NAMES.index('s3')]
    assert pred.shape == (1, 1, 64, 64)
    expected = torch.nn.functional.interpolate(s3, size=(64, 64), mode='bilinear',
                                               align_corners=False)
    torch.testing.assert_close(pred, expected)


def test_head_checks_its_inputs():
    with pytest.raises(ValueError, match='four maps'):
        MODELS.build(dict(type='InfNetHead', in_channels=(256, 512, 1024),
                          in_index=(1, 2, 3)))
    head = narrow_head()
    with pytest.raises(ValueError, match='channels'):
        head([torch.randn(1, c + 1, s, s) for c, s in zip(CHANNELS, SIZES)])


def test_norm_and_act_cfg_build_the_layers():
    default = narrow_head()
    assert any(isinstance(m, nn.BatchNorm2d) for m in default.modules())
    assert isinstance(default.rfb3.act, nn.ReLU) and isinstance(default.ra5.act, nn.ReLU)
    head = narrow_head(norm_cfg=dict(type='GN', num_groups=1), act_cfg=dict(type='LeakyReLU'))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in head.modules())
    assert sum(isinstance(m, nn.GroupNorm) for m in head.modules()) == sum(
        isinstance(m, nn.BatchNorm2d) for m in default.modules())
    assert all(isinstance(block.act, nn.LeakyReLU)
               for block in (head.rfb3, head.rfb4, head.rfb5, head.ra3, head.ra4, head.ra5))
    # the same layers; the norms are named by their type, as mmcv's ConvModule names them
    assert [n.replace('.gn.', '.bn.') for n, _ in head.named_parameters()] == [
        n for n, _ in default.named_parameters()]
    with torch.no_grad():
        assert head(features())[3].shape == (2, 1, 8, 8)
    with pytest.raises(ValueError, match='norm_cfg'):
        narrow_head(norm_cfg=None)


@pytest.mark.parametrize('backbone, strides', [
    (dict(type='TimmVGG', model_name='vgg16'), (1, 2, 4, 8, 16)),
    (dict(type='IResNet', depth=50), (2, 4, 8, 16, 32)),
])
def test_backbone_taps(backbone, strides):
    model = MODELS.build(backbone).eval()
    assert tuple(model.strides) == strides
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == list(model.out_channels)
    assert [o.shape[-1] for o in outs] == [64 // s for s in strides]
