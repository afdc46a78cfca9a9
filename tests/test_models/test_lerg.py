import math

import pytest
import torch
import torch.nn.functional as F

import vlseg  # noqa: F401
from vlseg.models.report_generators import LERG, LERG_CPU_PRESET, LocationAttentionAggregator
from vlseg.models.report_generators.hybrid_encoder import sincos_position_2d
from vlseg.registry import MODELS

# Tiny LERG: ResNet-18 S3/S4/S5, width 32, 5 queries, 2 decoder layers.
TINY = dict(backbone=dict(model_name='resnet18'), hidden_dim=32, num_queries=5,
            num_decoder_layers=2, num_heads=4, ffn_dim=64, fusion_blocks=1)


def images(batch=2, size=(64, 64), seed=0):
    return torch.randn(batch, 3, *size, generator=torch.Generator().manual_seed(seed))


def tiny(**overrides):
    torch.manual_seed(0)
    return LERG(**{**TINY, **overrides})


def test_output_shape_predict_and_registry():
    lerg = MODELS.build(dict(type='LERG', **TINY))
    assert isinstance(lerg, LERG)
    lerg.eval()
    x = images()
    logits = lerg(x)
    assert logits.shape == (2, 6)
    torch.testing.assert_close(lerg.predict(x), logits.sigmoid())
    # Any multiple of 32, and sizes that are not.
    for size in ((64, 96), (96, 32), (72, 72)):
        assert lerg(images(size=size)).shape == (2, 6)


def test_aggregator_is_softmax_weighted_sum_of_queries():
    lerg = tiny().eval()
    x = images()
    with torch.no_grad():
        logits, extra = lerg(x, return_attention=True)
        queries = lerg.extract_queries(x)
    torch.testing.assert_close(extra['queries'], queries)
    attention = extra['attention']
    assert attention.shape == (2, 5) and (attention >= 0).all()
    torch.testing.assert_close(attention.sum(1), torch.ones(2))
    # A = softmax(X q^T) X, by hand.
    q = lerg.aggregator.query.detach()
    for b in range(2):
        scores = [float(queries[b, n] @ q) for n in range(5)]
        norm = sum(math.exp(s) for s in scores)
        weights = torch.tensor([math.exp(s) / norm for s in scores])
        torch.testing.assert_close(attention[b], weights)
        expected = sum(weights[n] * queries[b, n] for n in range(5))
        torch.testing.assert_close(extra['aggregate'][b], expected)
    torch.testing.assert_close(logits, lerg.classifier(extra['aggregate']))


def test_aggregator_init_std():
    default = LocationAttentionAggregator(256)
    authors = LocationAttentionAggregator(256, init_std=1.0)
    assert 0.03 < default.query.std() < 0.1      # 256 ** -0.5 = 0.0625
    assert 0.8 < authors.query.std() < 1.2


def test_loss_is_bce_with_logits_and_accuracy():
    lerg = tiny(loss_weight=0.5)
    generator = torch.Generator().manual_seed(3)
    logits = torch.randn(4, 6, generator=generator, requires_grad=True)
    labels = torch.randint(0, 2, (4, 6), generator=generator)
    losses = lerg.loss(logits, labels)
    assert set(losses) == {'loss_lerg', 'lerg_acc'}
    p = logits.detach().sigmoid()
    y = labels.float()
    bce = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    torch.testing.assert_close(losses['loss_lerg'].detach(), 0.5 * bce)
    torch.testing.assert_close(
        losses['loss_lerg'], 0.5 * F.binary_cross_entropy_with_logits(logits, y))
    acc = ((p >= 0.5).long() == labels).float().mean()
    torch.testing.assert_close(losses['lerg_acc'], acc)
    assert not losses['lerg_acc'].requires_grad and losses['loss_lerg'].requires_grad
    with pytest.raises(ValueError, match='labels'):
        lerg.loss(logits, labels[:, :5])


def test_backward_reaches_every_part():
    lerg = tiny().train()
    labels = torch.tensor([[1, 0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 1]], dtype=torch.float32)
    lerg.loss(lerg(images()), labels)['loss_lerg'].backward()
    missing = [n for n, p in lerg.named_parameters() if p.grad is None]
    assert not missing, missing
    for part in (lerg.backbone, lerg.encoder.input_proj, lerg.encoder.aifi,
                 lerg.encoder.fpn_blocks, lerg.encoder.pan_blocks, lerg.decoder.layers,
                 lerg.decoder.query_content, lerg.decoder.query_pos,
                 lerg.decoder.level_embed, lerg.aggregator, lerg.classifier):
        assert sum(p.grad.abs().sum() for p in part.parameters()) > 0, part


def test_config_options_change_shapes():
    lerg = tiny(num_queries=7, hidden_dim=48, num_decoder_layers=3, num_encoder_layers=2,
                num_zones=4, fusion_blocks=2).eval()
    x = images()
    with torch.no_grad():
        feats = lerg.encoder(list(lerg.backbone(x)))
        logits, extra = lerg(x, return_attention=True)
    assert [tuple(f.shape) for f in feats] == [(2, 48, 8, 8), (2, 48, 4, 4), (2, 48, 2, 2)]
    assert extra['queries'].shape == (2, 7, 48)
    assert extra['attention'].shape == (2, 7)
    assert logits.shape == (2, 4)
    assert len(lerg.decoder.layers) == 3 and len(lerg.encoder.aifi) == 2
    assert len(lerg.encoder.fpn_blocks[0].blocks) == 2
    no_aifi = tiny(num_encoder_layers=0)
    assert len(no_aifi.encoder.aifi) == 0 and no_aifi(x).shape == (2, 6)


def test_invalid_configs():
    with pytest.raises(ValueError, match='double in stride'):
        LERG(**{**TINY, 'backbone': dict(model_name='resnet18', out_indices=(1, 3, 4))})
    with pytest.raises(ValueError, match='divisible'):
        LERG(**{**TINY, 'hidden_dim': 30})


def test_in_channels_option_reads_given_feature_maps():
    """Without a backbone LERG is the same head on the feature maps it is given."""
    with_backbone = tiny().eval()
    on_features = LERG(**{**TINY, 'backbone': None, 'in_channels': (128, 256, 512)}).eval()
    assert on_features.backbone is None
    on_features.load_state_dict({k: v for k, v in with_backbone.state_dict().items()
                                 if not k.startswith('backbone.')})
    x = images()
    with torch.no_grad():
        feats = list(with_backbone.backbone(x))
        torch.testing.assert_close(on_features(feats), with_backbone(x))
    with pytest.raises(ValueError, match='channels'):
        on_features([f[:, :8] for f in feats])
    with pytest.raises(ValueError, match='not both'):
        LERG(**{**TINY, 'in_channels': (128, 256, 512)})


def test_sincos_positions_follow_row_major_order():
    dim, height, width = 8, 2, 3
    pos = sincos_position_2d(height, width, dim)
    omega = 1.0 / 10000 ** (torch.arange(2) / 2)
    for y in range(height):
        for x in range(width):
            row = pos[y * width + x]
            torch.testing.assert_close(row[:2], torch.sin(x * omega))
            torch.testing.assert_close(row[2:4], torch.cos(x * omega))
            torch.testing.assert_close(row[4:6], torch.sin(y * omega))
            torch.testing.assert_close(row[6:], torch.cos(y * omega))


def test_backbone_pretrained_path(tmp_path):
    import timm
    source = timm.create_model('resnet18', pretrained=False)
    path = str(tmp_path / 'resnet18.pth')
    torch.save(source.state_dict(), path)
    lerg = LERG(**{**TINY, 'backbone': dict(model_name='resnet18', pretrained_path=path)})
    torch.testing.assert_close(lerg.backbone.model.conv1.weight, source.conv1.weight)
    torch.testing.assert_close(lerg.backbone.model.layer4[1].conv2.weight,
                               source.layer4[1].conv2.weight)


def test_paper_default_and_cpu_preset_build():
    lerg = LERG()
    assert lerg.backbone.model_name == 'resnet50'
    assert list(lerg.backbone.out_channels) == [512, 1024, 2048]
    assert lerg.strides == (8, 16, 32)
    assert lerg.decoder.query_content.num_embeddings == 300
    assert len(lerg.decoder.layers) == 6 and len(lerg.encoder.aifi) == 1
    assert lerg.hidden_dim == 256
    assert len(lerg.encoder.fpn_blocks[0].blocks) == 3
    lerg.eval()
    with torch.no_grad():
        assert lerg(images(batch=1)).shape == (1, 6)
    params = sum(p.numel() for p in lerg.parameters())
    cpu = LERG(**LERG_CPU_PRESET)
    assert cpu.backbone.model_name == 'resnet18' and cpu.hidden_dim == 128
    assert sum(p.numel() for p in cpu.parameters()) < params
    print(f'LERG params: paper default {params}, CPU preset '
          f'{sum(p.numel() for p in cpu.parameters())}')


def test_overfits_a_fixed_batch():
    lerg = tiny().train()
    x = images(batch=4, seed=5)
    labels = torch.tensor([[1, 0, 0, 0, 0, 1], [0, 1, 1, 0, 0, 0],
                           [1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 0, 0]], dtype=torch.float32)
    optimizer = torch.optim.Adam(lerg.parameters(), lr=1e-3)
    history = []
    for _ in range(15):
        loss = lerg.loss(lerg(x), labels)['loss_lerg']
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    assert history[-1] < 0.5 * history[0], history
