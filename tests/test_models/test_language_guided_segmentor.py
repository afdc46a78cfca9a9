import torch
from captioned_batch import captioned_batch
from mmengine import ConfigDict
from mmengine.optim import build_optim_wrapper
from mmseg.models.decode_heads.decode_head import BaseDecodeHead

import vlseg  # noqa: F401
from vlseg.registry import MODELS
from vlseg.utils import register_all_modules

CAPTION = 'unilateral pulmonary infection, one infected area, lower left lung.'


@MODELS.register_module(force=True)
class _TextBiasHead(BaseDecodeHead):
    """Test head: adds a projection of the pooled text feature to every pixel."""
    text_inputs = ('pooled',)

    def __init__(self, text_channels, **kwargs):
        super().__init__(**kwargs)
        self.text_proj = torch.nn.Linear(text_channels, self.channels)
        self.seen_text = []

    def forward(self, inputs):
        features, text = inputs
        self.seen_text.append(text)
        x = self._transform_inputs(features)
        return self.cls_seg(x + self.text_proj(text['pooled'])[:, :, None, None])


def build(tiny_bert, head_type='_TextBiasHead'):
    register_all_modules()
    head = dict(type=head_type, in_channels=8, channels=8, num_classes=2, out_channels=1,
                threshold=0.5, in_index=-1, loss_decode=dict(type='BinaryDiceLoss'))
    if head_type == '_TextBiasHead':
        head['text_channels'] = 32
    else:
        head.update(num_convs=1, concat_input=False)
    return MODELS.build(ConfigDict(
        type='LanguageGuidedSegmentor',
        data_preprocessor=dict(type='TextSegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1],
                               size_divisor=8),
        backbone=dict(type='UNet', in_channels=3, base_channels=8, num_stages=2,
                      strides=(1, 1), enc_num_convs=(1, 1), dec_num_convs=(1,),
                      downsamples=(True,), enc_dilations=(1, 1), dec_dilations=(1,)),
        text_encoder=dict(type='HFTextEncoder', model_path=tiny_bert, max_length=16),
        decode_head=head, test_cfg=dict(mode='whole')))


def batch(tmp_path, captions):
    return captioned_batch(tmp_path, captions, [])


def test_text_reaches_the_head_in_training_and_inference(tiny_bert, tmp_path):
    model = build(tiny_bert)
    data = batch(tmp_path, [CAPTION, ''])
    optim_wrapper = build_optim_wrapper(model, dict(optimizer=dict(type='Adam', lr=1e-3)))
    log_vars = model.train_step(data, optim_wrapper)
    assert torch.isfinite(log_vars['loss'])
    assert model.decode_head.seen_text[-1]['tokens'].shape == (2, 16, 32)
    model.eval()
    with_text = model.test_step(batch(tmp_path, [CAPTION, CAPTION]))
    text_free = model.test_step(batch(tmp_path, ['', '']))
    # Inference tokenises the captions of the metainfo; the text changes the output.
    assert not torch.allclose(with_text[0].seg_logits.data, text_free[0].seg_logits.data)
    # Training and inference read the same text: the captions of the metainfo.
    model.decode_head.seen_text.clear()
    model.test_step(batch(tmp_path, [CAPTION, '']))
    torch.testing.assert_close(
        model.decode_head.seen_text[-1]['pooled'],
        model.extract_text([s.metainfo for s in data['data_samples']])['pooled'])


def test_mmseg_heads_still_fit(tiny_bert, tmp_path):
    model = build(tiny_bert, head_type='FCNHead')
    optim_wrapper = build_optim_wrapper(model, dict(optimizer=dict(type='Adam', lr=1e-3)))
    log_vars = model.train_step(batch(tmp_path, [CAPTION]), optim_wrapper)
    assert torch.isfinite(log_vars['loss'])
    model.eval()
    assert model._forward(torch.rand(1, 3, 32, 32)).shape[1] == 1


def test_alignment_loss_appears_and_back_propagates(tiny_bert, tmp_path):
    register_all_modules()
    torch.manual_seed(0)
    # The small UNet backbone returns (16 channels at 1/2, 8 channels at 1/1).
    model = MODELS.build(ConfigDict(
        type='LanguageGuidedSegmentor',
        data_preprocessor=dict(type='TextSegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1],
                               size_divisor=8),
        backbone=dict(type='UNet', in_channels=3, base_channels=8, num_stages=2,
                      strides=(1, 1), enc_num_convs=(1, 1), dec_num_convs=(1,),
                      downsamples=(True,), enc_dilations=(1, 1), dec_dilations=(1,)),
        text_encoder=dict(type='HFTextEncoder', model_path=tiny_bert, max_length=16),
        decode_head=dict(type='_TextBiasHead', text_channels=32, in_channels=8, channels=8,
                         num_classes=2, out_channels=1, threshold=0.5, in_index=-1,
                         loss_decode=dict(type='BinaryDiceLoss')),
        alignment=dict(type='MultiLevelAlignment', levels=('deep', 'out'),
                       feature_index={'deep': 0, 'out': 1}, in_channels={'deep': 16, 'out': 8},
                       text_channels=32, embed_dim=8),
        test_cfg=dict(mode='whole')))
    assert model.with_alignment
    data = model.data_preprocessor(batch(tmp_path, [CAPTION, 'bilateral pulmonary infection.',
                                                    '']), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert {'decode.loss_dice', 'loss_align', 'align_deep', 'align_out'} <= set(losses)
    assert torch.isfinite(losses['loss_align'])
    model.zero_grad()
    losses['loss_align'].backward()
    assert all(p.grad is not None for p in model.alignment.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.backbone.parameters())
    # mmengine optimises the total only; per-level values are logged.
    total, log_vars = model.parse_losses(losses)
    torch.testing.assert_close(total, losses['decode.loss_dice'] + losses['loss_align'])
    assert 'align_deep' in log_vars
    # Inference does not need the alignment module.
    model.eval()
    assert model.test_step(batch(tmp_path, [CAPTION]))[0].pred_sem_seg.data.shape \
        == (1, 32, 32)
    assert not build(tiny_bert).with_alignment
