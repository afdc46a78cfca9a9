"""SGSeg's self-guided segmentor: caption in training, its own report at test time."""
import numpy as np
import pytest
import torch
from captioned_batch import captioned_batch
from mmengine import ConfigDict
from mmengine.optim import build_optim_wrapper
from mmseg.models.decode_heads.decode_head import BaseDecodeHead

import vlseg  # noqa: F401
from vlseg.datasets.transforms import CaptionToLocationLabels
from vlseg.evaluation import LocationReportMetric
from vlseg.registry import MODELS
from vlseg.text import location_report
from vlseg.utils import register_all_modules

CAPTION = 'unilateral pulmonary infection, one infected area, lower left lung.'
#: What the fixed generator below predicts: L-upper and R-lower.
ZONE_PROBS = (0.9, 0.1, 0.2, 0.1, 0.3, 0.8)
REPORT = location_report(ZONE_PROBS)


@MODELS.register_module(force=True)
class _PooledTextHead(BaseDecodeHead):
    """Test head: adds a projection of the pooled text feature to every pixel."""
    text_inputs = ('pooled',)

    def __init__(self, text_channels, **kwargs):
        super().__init__(**kwargs)
        self.text_proj = torch.nn.Linear(text_channels, self.channels)

    def forward(self, inputs):
        features, text = inputs
        x = self._transform_inputs(features)
        return self.cls_seg(x + self.text_proj(text['pooled'])[:, :, None, None])


@MODELS.register_module(force=True)
class _FixedZones(torch.nn.Module):
    """Test report generator: the same six zone probabilities for every image."""

    def __init__(self):
        super().__init__()
        self.logits = torch.nn.Parameter(torch.logit(torch.tensor(ZONE_PROBS)))

    def forward(self, inputs):
        return self.logits.expand(inputs.shape[0], -1) + 0 * inputs.mean()

    def predict(self, inputs):
        return self(inputs).sigmoid()

    def loss(self, logits, labels):
        return {'loss_lerg': torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)}


def build(tiny_bert, report_generator=None, **kwargs):
    register_all_modules()
    torch.manual_seed(0)
    kwargs.setdefault('test_cfg', dict(mode='whole'))
    return MODELS.build(ConfigDict(
        type=kwargs.pop('type', 'SelfGuidedSegmentor'),
        data_preprocessor=dict(type='TextSegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1],
                               size_divisor=32),
        backbone=dict(type='UNet', in_channels=3, base_channels=8, num_stages=2,
                      strides=(1, 1), enc_num_convs=(1, 1), dec_num_convs=(1,),
                      downsamples=(True,), enc_dilations=(1, 1), dec_dilations=(1,)),
        text_encoder=dict(type='HFTextEncoder', model_path=tiny_bert, max_length=16),
        decode_head=dict(type='_PooledTextHead', text_channels=32, in_channels=8, channels=8,
                         num_classes=2, out_channels=1, threshold=0.5, in_index=-1,
                         loss_decode=dict(type='BinaryDiceLoss')),
        **({} if kwargs.get('no_generator') else dict(
            report_generator=report_generator or dict(type='_FixedZones'))),
        **{k: v for k, v in kwargs.items() if k != 'no_generator'}))


def batch(tmp_path, captions, labels=True):
    return captioned_batch(tmp_path, captions, [CaptionToLocationLabels()] if labels else [])


def test_test_time_text_is_chosen_by_test_cfg(tiny_bert, tmp_path):
    model = build(tiny_bert).eval()
    assert model.text_source == 'generated'
    plain = build(tiny_bert, type='LanguageGuidedSegmentor', no_generator=True).eval()
    plain.load_state_dict({k: v for k, v in model.state_dict().items()
                           if not k.startswith('report_generator.')})
    expected = {'generated': REPORT, 'caption': CAPTION, 'none': ''}
    for source, text in expected.items():
        model.test_cfg['text_source'] = source
        sample = model.test_step(batch(tmp_path, [CAPTION], labels=False))[0]
        assert sample.metainfo['text'] == text
        assert sample.metainfo['caption'] == CAPTION and sample.metainfo['report'] == REPORT
        np.testing.assert_allclose(sample.metainfo['location_probs'], ZONE_PROBS, rtol=1e-5)
        # The segmentor read exactly that text: the same logits as a plain
        # language-guided model given it as the caption.
        reference = plain.test_step(batch(tmp_path, [text], labels=False))[0]
        torch.testing.assert_close(sample.seg_logits.data, reference.seg_logits.data)
    # Images without a caption get the report, the others keep theirs (tools/infer.py).
    model.test_cfg['text_source'] = 'caption_or_generated'
    samples = model.test_step(batch(tmp_path, [CAPTION, ''], labels=False))
    assert [s.metainfo['text'] for s in samples] == [CAPTION, REPORT]
    with pytest.raises(ValueError, match='text_source'):
        build(tiny_bert, test_cfg=dict(mode='whole', text_source='oracle'))


def test_caption_zones_source_writes_the_captions_zones_as_a_report(tiny_bert, tmp_path):
    """The bound of generated text: the report of a generator that gets every zone right."""
    model = build(tiny_bert, test_cfg=dict(mode='whole', text_source='caption_zones')).eval()
    # LViT's wording, counting lungs: its zones in SGSeg's wording, counting zones.
    lvit = 'Bilateral pulmonary infection, two infected areas, all left lung and lower right lung.'
    sample = model.test_step(batch(tmp_path, [lvit], labels=False))[0]
    assert sample.metainfo['text'] == ('bilateral pulmonary infection, four infected areas, '
                                       'upper middle lower left lung and lower right lung.')
    assert sample.metainfo['report'] == REPORT  # the generator's own report is kept too
    with pytest.raises(ValueError, match=r"0\.png.*caption_zones"):
        model.test_step(batch(tmp_path, [''], labels=False))


def test_report_levels_feed_the_segmentors_backbone_to_the_generator(tiny_bert, tmp_path):
    """Option: LERG without a backbone reads the segmentor's levels; the backbone runs once."""
    # The tiny UNet gives [16 channels at stride 2, 8 channels at stride 1]: finest first.
    lerg = dict(type='LERG', in_channels=(8, 16), hidden_dim=16, num_queries=4,
                num_decoder_layers=1, num_heads=2, ffn_dim=16, fusion_blocks=1)
    model = build(tiny_bert, report_generator=lerg, report_levels=(1, 0))
    calls = []
    model.backbone.register_forward_hook(lambda module, args, out: calls.append(1))
    data = model.data_preprocessor(batch(tmp_path, [CAPTION, REPORT]), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert len(calls) == 1 and {'decode.loss_dice', 'loss_lerg'} <= set(losses)
    # The zone loss trains the shared backbone.
    losses['loss_lerg'].backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.backbone.parameters())
    model.eval()
    with torch.no_grad():
        features = model.backbone(data['inputs'])
        expected = model.report_generator.predict([features[1], features[0]])
        torch.testing.assert_close(model.generate_reports(data['inputs'])[1], expected)
    sample = model.test_step(batch(tmp_path, [CAPTION], labels=False))[0]
    assert sample.metainfo['text'] == sample.metainfo['report'] != ''
    with pytest.raises(ValueError, match='report_levels'):
        build(tiny_bert, report_generator=lerg)
    with pytest.raises(ValueError, match='report_levels'):
        build(tiny_bert, report_generator=dict(lerg, in_channels=None,
                                               backbone=dict(model_name='resnet18')),
              report_levels=(1, 0))


def test_training_adds_the_report_generators_loss(tiny_bert, tmp_path):
    lerg = dict(type='LERG', backbone=dict(model_name='resnet18'), hidden_dim=16,
                num_queries=4, num_decoder_layers=1, num_heads=2, ffn_dim=16, fusion_blocks=1)
    model = build(tiny_bert, report_generator=lerg)
    data = model.data_preprocessor(batch(tmp_path, [CAPTION, REPORT]), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert {'decode.loss_dice', 'loss_lerg', 'lerg_acc'} <= set(losses)
    # The targets are the captions' zones.
    targets = torch.stack([s.gt_location_labels for s in data['data_samples']])
    assert targets.tolist() == [[0, 0, 1, 0, 0, 0], [1, 0, 0, 0, 0, 1]]
    expected = model.report_generator.loss(model.report_generator(data['inputs']), targets)
    torch.testing.assert_close(losses['loss_lerg'], expected['loss_lerg'])
    losses['loss_lerg'].backward()
    assert all(p.grad is not None for p in model.report_generator.parameters() if p.requires_grad)
    optim_wrapper = build_optim_wrapper(model, dict(optimizer=dict(type='Adam', lr=1e-3)))
    log_vars = model.train_step(batch(tmp_path, [CAPTION, REPORT]), optim_wrapper)
    assert torch.isfinite(log_vars['loss'])
    assert 'train_steps' not in model.state_dict()  # counted only for the warm-up
    # Inference runs LERG and writes its report.
    model.eval()
    sample = model.test_step(batch(tmp_path, [CAPTION], labels=False))[0]
    assert sample.metainfo['text'] == sample.metainfo['report'] != ''


def test_missing_location_labels_name_the_image(tiny_bert, tmp_path):
    model = build(tiny_bert)
    data = model.data_preprocessor(batch(tmp_path, [CAPTION], labels=False), True)
    with pytest.raises(KeyError, match=r'0\.png.*CaptionToLocationLabels'):
        model.loss(data['inputs'], data['data_samples'])


def test_contrastive_warmup_option(tiny_bert, tmp_path):
    """The authors' code: a contrastive loss alone for the first steps, then Dice-CE + BCE."""
    warmup = dict(iters=1, alignment=dict(
        type='MultiLevelAlignment', levels=('out',), feature_index={'out': 1},
        in_channels={'out': 8}, text_channels=32,
        loss=dict(type='TSDMContrastiveLoss', target='identity', tau2=0.1)))
    model = build(tiny_bert, contrastive_warmup=warmup)
    data = model.data_preprocessor(batch(tmp_path, [CAPTION, REPORT]), True)
    first = model.loss(data['inputs'], data['data_samples'])
    assert [key for key in first if 'loss' in key] == ['loss_align']
    second = model.loss(data['inputs'], data['data_samples'])
    assert 'loss_align' not in second and {'decode.loss_dice', 'loss_lerg'} <= set(second)
    assert int(model.train_steps) == 2 and 'train_steps' in model.state_dict()
    with pytest.raises(ValueError, match='contrastive_warmup'):
        build(tiny_bert, contrastive_warmup=dict(warmup, steps=3))


def test_train_on_reports_option(tiny_bert, tmp_path):
    """Samples drawn for the report read the generator's report of the step, not the caption."""
    def encoded_captions(model, captions):
        read = []
        encode = model.text_encoder.forward

        def recording(captions):
            read.extend(captions)
            return encode(captions)
        model.text_encoder.forward = recording
        data = model.data_preprocessor(batch(tmp_path, captions), True)
        losses = model.loss(data['inputs'], data['data_samples'])
        return read, data['data_samples'], losses

    read, samples, losses = encoded_captions(build(tiny_bert, train_on_reports=1.0),
                                             [CAPTION, CAPTION])
    assert read == [REPORT, REPORT] and REPORT != CAPTION
    assert [s.metainfo['caption'] for s in samples] == [CAPTION, CAPTION]
    # The generator still learns the caption's zones (lower left lung), not the report's.
    labels = torch.tensor([[0., 0., 1., 0., 0., 0.]] * 2)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.logit(torch.tensor([ZONE_PROBS] * 2)), labels)
    assert torch.allclose(losses['loss_lerg'], expected, atol=1e-6)
    # The paper's default: the captions; a share in between draws per sample.
    assert encoded_captions(build(tiny_bert), [CAPTION])[0] == [CAPTION]
    model = build(tiny_bert, train_on_reports=0.5)
    drawn = []
    for _ in range(8):
        read = encoded_captions(model, [CAPTION] * 4)[0][-4:]
        assert set(read) <= {CAPTION, REPORT}
        drawn.append(read.count(REPORT))
    assert 8 <= sum(drawn) <= 24 and len(set(drawn)) > 1
    with pytest.raises(ValueError, match='train_on_reports'):
        build(tiny_bert, train_on_reports=1.5)


def test_location_report_metric_by_hand():
    metric = LocationReportMetric()
    # Caption zones L-lower; report zones L-upper + R-lower: 3 of 6 zones wrong.
    # Second image: report = caption: all right.
    metric.process({}, [dict(img_path='a.png', caption=CAPTION, report=REPORT),
                        dict(img_path='b.png', caption=REPORT, report=REPORT)])
    res = metric.compute_metrics(metric.results)
    assert res['ZoneAcc_L-upper'] == 50.0 and res['ZoneAcc_L-middle'] == 100.0
    assert res['ZoneAcc_L-lower'] == 50.0 and res['ZoneAcc_R-lower'] == 50.0
    assert res['ZoneAcc_mean'] == pytest.approx(100 * 9 / 12)
    assert res['ExactMatch'] == 50.0
    with pytest.raises(ValueError, match='c.png has no caption'):
        metric.process({}, [dict(img_path='c.png', caption='', report=REPORT)])


def test_location_targets_from_a_sample_without_location_name_it():
    from vlseg.text import CaptionParseError
    with pytest.raises(ValueError, match='x.png has an empty caption'):
        CaptionToLocationLabels()(dict(img_path='x.png', text=''))
    with pytest.raises(CaptionParseError, match='y.png'):
        CaptionToLocationLabels()(dict(img_path='y.png', text='bilateral pulmonary infection.'))


def test_train_report_generator_only_option(tiny_bert, tmp_path):
    """The second stage trains the generator alone: the segmentor is not run nor changed."""
    model = build(tiny_bert, train_report_generator_only=True)
    model.train()
    segmentor = {k: v.clone() for k, v in model.state_dict().items()
                 if not k.startswith('report_generator.')}
    calls = []
    model.backbone.register_forward_hook(lambda *args: calls.append('backbone'))
    model.text_encoder.register_forward_hook(lambda *args: calls.append('text'))
    optim_wrapper = build_optim_wrapper(model, dict(optimizer=dict(type='AdamW', lr=0.1)))
    data = model.data_preprocessor(batch(tmp_path, [CAPTION, CAPTION]), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {'loss_lerg'} and calls == []
    # The caption's zones (lower left lung) are the target, as in the joint training.
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.logit(torch.tensor([ZONE_PROBS] * 2)), torch.tensor([[0., 0., 1., 0., 0., 0.]] * 2))
    assert torch.allclose(losses['loss_lerg'], expected, atol=1e-6)
    before = model.report_generator.logits.detach().clone()
    optim_wrapper.update_params(losses['loss_lerg'])
    assert not torch.equal(model.report_generator.logits, before)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in segmentor.items())
    with pytest.raises(ValueError, match='train_report_generator_only'):
        build(tiny_bert, train_report_generator_only=True, train_on_reports=0.5)
