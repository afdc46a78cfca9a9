"""MultiScaleStepEncoderDecoder: Inf-Net's one optimiser step per training scale."""
import pytest
import torch
import torch.nn as nn
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import vlseg  # noqa: F401
from vlseg.models.segmentors import multi_scale_step_encoder_decoder as msed
from vlseg.models.segmentors.multi_scale_step_encoder_decoder import resize_label, scaled_size
from vlseg.models.wrappers import MultiScaleStepDDP
from vlseg.registry import MODELS
from vlseg.utils import register_all_modules


def test_scaled_size_rounds_like_the_authors():
    # int(round(352 * rate / 32) * 32) for rate in 0.75, 1, 1.25
    assert [scaled_size((352, 352), s, 32) for s in (0.75, 1.0, 1.25)] == [
        (256, 256), (352, 352), (448, 448)]


def test_resize_label_soft_or_nearest_keeps_ignore():
    label = torch.zeros(1, 8, 8, dtype=torch.long)
    label[:, :, :4] = 1
    label[:, 0, :] = 255
    soft = resize_label(label, (12, 12), 'bilinear', 255)
    assert soft.dtype == torch.float32
    # nearest: output rows 0 and 1 come from the ignored input row 0
    assert (soft[:, :2] == 255).all()
    inner = soft[:, 2:]
    assert ((inner > 0) & (inner < 1)).any() and inner.max() <= 1
    hard = resize_label(label, (12, 12), 'nearest', 255)
    assert hard.dtype == torch.long and set(hard.unique().tolist()) == {0, 1, 255}


def tiny_model(**head):
    register_all_modules()
    return MODELS.build(dict(
        type='MultiScaleStepEncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0.0] * 3, std=[255.0] * 3,
                               size_divisor=32, pad_val=0, seg_pad_val=255),
        train_scales=(0.75, 1.0, 1.25),
        backbone=dict(type='TimmFeatures', model_name='resnet18'),
        decode_head=dict(type='InfNetHead', in_channels=(64, 128, 256, 512), channels=8,
                         edge_channels=8, ra_channels=(8, 8, 16), **head)))


def batch(size=96):
    torch.manual_seed(0)
    samples = []
    for _ in range(2):
        mask = torch.zeros(1, size, size, dtype=torch.long)
        mask[:, 20:60, 30:70] = 1
        sample = SegDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size)))
        sample.gt_sem_seg = PixelData(data=mask)
        sample.gt_edge_map = PixelData(data=(mask - torch.roll(mask, 1, -1)).abs())
        samples.append(sample)
    inputs = [torch.randint(0, 256, (3, size, size), dtype=torch.uint8) for _ in range(2)]
    return dict(inputs=inputs, data_samples=samples)


def test_train_step_takes_one_clipped_step_per_scale():
    model = tiny_model()
    optim_wrapper = build_optim_wrapper(model, dict(
        type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4),
        clip_grad=dict(type='value', clip_value=0.5)))
    sizes, label_sizes, clips = [], [], []
    model.backbone.register_forward_pre_hook(lambda m, args: sizes.append(args[0].shape[-1]))
    head_loss = model.decode_head.loss_by_feat

    def recording_loss(seg_logits, samples):
        label_sizes.append(tuple(s.gt_edge_map.shape for s in samples))
        return head_loss(seg_logits, samples)

    model.decode_head.loss_by_feat = recording_loss
    clip_func = optim_wrapper.clip_func
    optim_wrapper.clip_func = lambda *a, **k: (clips.append(k), clip_func(*a, **k))[1]
    model.train()
    log_vars = model.train_step(batch(96), optim_wrapper)
    # 96 * 0.75 = 72 -> 64, 96, 96 * 1.25 = 120 -> 128 (multiples of 32)
    assert sizes == [64, 96, 128]
    assert [shapes[0] for shapes in label_sizes] == [(64, 64), (96, 96), (128, 128)]
    assert clips == [dict(clip_value=0.5)] * 3
    state = optim_wrapper.optimizer.state_dict()['state']
    assert all(int(s['step']) == 3 for s in state.values())
    assert torch.isfinite(log_vars['loss'])
    assert 'decode.loss_edge' in log_vars
    # Logged values are detached means over the scales.
    assert not any(value.requires_grad for value in log_vars.values())


def test_gradient_accumulation_is_refused():
    model = tiny_model()
    optim_wrapper = build_optim_wrapper(model, dict(
        type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4), accumulative_counts=2))
    model.train()
    with pytest.raises(ValueError, match='accumulative_counts'):
        model.train_step(batch(64), optim_wrapper)
    assert not optim_wrapper.optimizer.state  # refused before any step


def test_rescaled_labels_keep_the_heads_ignore_index():
    model = tiny_model(ignore_index=7)
    data = model.data_preprocessor(batch(64), True)
    data['data_samples'][0].gt_sem_seg.data[:, :8] = 7
    _, samples = model.rescale_batch(data['inputs'], data['data_samples'], 1.5)
    label = samples[0].gt_sem_seg.data
    assert label.shape[-2:] == (96, 96)
    assert (label[:, :12] == 7).all() and not (label[:, 12:] == 7).any()
    # ignored pixels are not blended into the soft labels next to them
    assert label[label != 7].max() <= 1


def test_loss_outside_the_per_scale_loop_raises_in_distributed_runs(monkeypatch):
    model = tiny_model().train()
    data = model.data_preprocessor(batch(64), True)
    model.loss(data['inputs'], data['data_samples'])  # one process: a plain loss call
    monkeypatch.setattr(msed, 'get_world_size', lambda: 2)
    with pytest.raises(RuntimeError, match='MultiScaleStepDDP'):
        model.loss(data['inputs'], data['data_samples'])


def test_ddp_wrapper_needs_the_per_scale_loop():
    with pytest.raises(TypeError, match='multi_scale_train_step'):
        MultiScaleStepDDP(nn.Linear(2, 2))
