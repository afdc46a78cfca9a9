import pytest
import torch

import vlseg  # noqa: F401
from vlseg.models.losses import MultiLevelAlignment
from vlseg.registry import MODELS

WIDTHS = {'s4': 4, 's8': 6, 's16': 8, 's32': 10, 'pooled': 10}


def features(batch=4):
    generator = torch.Generator().manual_seed(0)
    maps = [torch.randn(batch, c, s, s, generator=generator)
            for c, s in zip((4, 6, 8, 10), (16, 8, 4, 2))]
    return tuple(maps) + (torch.randn(batch, 10, generator=generator),)


def masks(batch=4, size=32):
    gt = torch.zeros(batch, size, size, dtype=torch.long)
    for index in range(batch):
        gt[index, 4 * index:4 * index + 10, 2:20] = 1
    gt[:, -2:] = 255  # padding
    return gt


def text(batch=4, channels=12):
    return dict(tokens=torch.randn(batch, 5, channels), mask=torch.ones(batch, 5),
                pooled=torch.randn(batch, channels))


def build(**kwargs):
    cfg = dict(type='MultiLevelAlignment', in_channels=WIDTHS, text_channels=12, embed_dim=16)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_all_levels_keys_and_mean():
    torch.manual_seed(0)
    module = build()
    assert module.levels == ('s8', 's16', 's32', 'pooled')
    outputs = module(features(), text(), masks())
    assert set(outputs) == {'loss_align', 'align_s8', 'align_s16', 'align_s32', 'align_pooled'}
    # Only the total is a loss for mmengine; the per-level values are logs.
    assert [key for key in outputs if 'loss' in key] == ['loss_align']
    per_level = torch.stack([outputs[f'align_{level}'] for level in module.levels])
    torch.testing.assert_close(outputs['loss_align'], per_level.mean())
    assert not any(outputs[f'align_{level}'].requires_grad for level in module.levels)
    outputs['loss_align'].backward()
    assert all(p.grad is not None for p in module.parameters())


@pytest.mark.parametrize('levels', [('pooled',), ('s32', 'pooled'), ('s8', 's16', 's32'),
                                    ('s4', 's8')])
def test_level_subsets(levels):
    module = build(levels=levels, loss_weight=0.5)
    assert set(module.image_proj) == set(levels) == set(module.text_proj)
    outputs = module(features(), text(), masks())
    assert set(outputs) == {'loss_align'} | {f'align_{level}' for level in levels}
    mean = torch.stack([outputs[f'align_{level}'] for level in levels]).mean()
    torch.testing.assert_close(outputs['loss_align'], 0.5 * mean)


def test_sequence_widths_identity_targets_and_masks_with_channel_axis():
    module = build(levels=('s16', 'pooled'), in_channels=(8, 10),
                   loss=dict(type='TSDMContrastiveLoss', target='identity'))
    assert module.in_channels == {'s16': 8, 'pooled': 10}
    outputs = module(features(), text(), masks()[:, None])
    assert torch.isfinite(outputs['loss_align'])


def test_clear_errors():
    with pytest.raises(ValueError, match='unknown levels'):
        build(levels=('s64',))
    with pytest.raises(ValueError, match='empty'):
        build(levels=())
    with pytest.raises(ValueError, match="must not contain 'loss'"):
        build(log_prefix='loss_')
    module = build(levels=('pooled',))
    with pytest.raises(IndexError, match='global vector'):
        module(features()[:4], text(), masks())
    with pytest.raises(KeyError, match='pooled'):
        module(features(), dict(tokens=torch.randn(4, 5, 12)), masks())
    with pytest.raises(ValueError, match='channels'):
        build(levels=('s8',), in_channels={'s8': 7})(features(), text(), masks())
    assert isinstance(module, MultiLevelAlignment)


def test_default_projects_the_text_into_each_levels_image_width():
    """TMCA's MAS: the text is projected into each level's image dimension; the image side
    of a level is its pooled map (or the global vector) as it is."""
    module = MODELS.build(dict(type='MultiLevelAlignment', in_channels=WIDTHS, text_channels=12))
    assert module.embed_dim is None
    for level in module.levels:
        assert module.text_proj[level].out_features == WIDTHS[level]
        assert isinstance(module.image_proj[level], torch.nn.Identity)
    feats, caption, gt = features(), text(), masks()
    outputs = module(feats, caption, gt)
    s16 = module.loss(feats[2].mean(dim=(2, 3)), module.text_proj['s16'](caption['pooled']), gt)
    torch.testing.assert_close(outputs['align_s16'], s16)
    pooled = module.loss(feats[4], module.text_proj['pooled'](caption['pooled']), gt)
    torch.testing.assert_close(outputs['align_pooled'], pooled)
