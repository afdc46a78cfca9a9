"""The speed layers change speed, not results: fused attention, fp32 islands, channels-last,
and the bf16 optimiser wrapper."""
import pytest
import torch
from torch import nn

from vlseg.engine import AutocastOptimWrapper
from vlseg.models.layers import FastDepthwiseConv2d, MultiheadAttention, use_fast_depthwise


@pytest.mark.parametrize('heads', [1, 4])
def test_attention_equals_torch_multihead_attention_and_loads_its_weights(heads):
    torch.manual_seed(0)
    reference = nn.MultiheadAttention(32, heads, batch_first=True)
    ours = MultiheadAttention(32, heads)
    assert sorted(ours.state_dict()) == sorted(reference.state_dict())
    ours.load_state_dict(reference.state_dict())
    query, key = torch.randn(2, 10, 32), torch.randn(2, 7, 32)
    value = torch.randn(2, 7, 32)
    padding = torch.zeros(2, 7, dtype=torch.bool)
    padding[1, 4:] = True  # the second sample has 4 real keys
    expected = reference(query, key, value, key_padding_mask=padding, need_weights=False)[0]
    torch.testing.assert_close(ours(query, key, value, key_padding_mask=padding), expected)
    expected = reference(query, query, query, need_weights=False)[0]
    torch.testing.assert_close(ours(query, query, query), expected)


def test_attention_is_softmax_qk_v_written_out():
    """One head: out_proj(softmax(q k^T / sqrt(d)) v) with q, k, v the in-projections."""
    torch.manual_seed(1)
    attention = MultiheadAttention(8, 1)
    x, memory = torch.randn(1, 5, 8), torch.randn(1, 3, 8)
    w_q, w_k, w_v = attention.in_proj_weight.chunk(3)
    b_q, b_k, b_v = attention.in_proj_bias.chunk(3)
    q, k, v = x @ w_q.T + b_q, memory @ w_k.T + b_k, memory @ w_v.T + b_v
    weights = torch.softmax(q @ k.transpose(1, 2) / 8 ** 0.5, dim=-1)
    expected = attention.out_proj(weights @ v)
    torch.testing.assert_close(attention(x, memory, memory), expected)


def test_fast_depthwise_conv_is_the_same_conv_channels_last_and_fp32_under_autocast():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(8, 8, 7, padding=3, groups=8), nn.Conv2d(8, 4, 3))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert use_fast_depthwise(model) == 1  # only the depthwise one
    assert type(model[0]) is FastDepthwiseConv2d and type(model[1]) is nn.Conv2d
    assert model.state_dict().keys() == before.keys()
    x = torch.randn(2, 8, 12, 12)
    plain = nn.functional.conv2d(x, before['0.weight'], before['0.bias'], padding=3, groups=8)
    out = model[0](x)
    assert out.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(out, plain)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        inside = model[0](x)
        after = model[1](inside)
    assert inside.dtype == torch.float32 and after.dtype == torch.bfloat16
    torch.testing.assert_close(inside, plain)


def test_convnext_backbone_uses_fast_depthwise_convs_with_the_same_keys_and_outputs():
    from vlseg.models.backbones import TimmConvNeXt

    torch.manual_seed(0)
    backbone = TimmConvNeXt(out_indices=(0, 1, 2, 3))
    plain = TimmConvNeXt(out_indices=(0, 1, 2, 3), fast_depthwise=False)
    kinds = [type(m) for m in backbone.modules() if isinstance(m, nn.Conv2d)]
    assert kinds.count(FastDepthwiseConv2d) == 18  # ConvNeXt-T: 3 + 3 + 9 + 3 blocks
    assert not any(isinstance(m, FastDepthwiseConv2d) for m in plain.modules())
    plain.load_state_dict(backbone.state_dict())  # same keys, same shapes
    x = torch.randn(1, 3, 64, 64)
    for fast, slow in zip(backbone.eval()(x), plain.eval()(x)):
        torch.testing.assert_close(fast, slow, rtol=1e-4, atol=1e-4)


def test_autocast_optim_wrapper_trains_in_bf16_with_fp32_parameters():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.LazyLinear(1))
    model(torch.randn(1, 3, 8, 8))
    wrapper = AutocastOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    with wrapper.optim_context(model):
        hidden = model[0](torch.randn(2, 3, 8, 8))
        loss = model[2](model[1](hidden)).float().pow(2).mean()
    assert hidden.dtype == torch.bfloat16
    before = model[0].weight.detach().clone()
    wrapper.update_params(loss)
    assert model[0].weight.dtype == torch.float32
    assert not torch.equal(model[0].weight, before)
    with pytest.raises(ValueError, match='bfloat16 only'):
        with AutocastOptimWrapper(dtype='float16', optimizer=torch.optim.SGD(
                model.parameters(), lr=0.1)).optim_context(model):
            pass


def test_enable_amp_picks_the_wrapper_of_the_device():
    from mmengine.config import Config

    from vlseg.utils import enable_amp

    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='SGD')),
                      val_cfg=dict(type='ValLoop'), test_cfg=dict(type='TestLoop')))
    enable_amp(cfg, 'cpu')
    assert cfg.optim_wrapper.type == 'AutocastOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.val_cfg.fp16 and cfg.test_cfg.fp16
    cuda = Config(dict(optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='SGD'))))
    enable_amp(cuda, 'cuda')
    assert cuda.optim_wrapper.type == 'AmpOptimWrapper'


def test_channels_last_preprocessor_gives_nhwc_inputs_and_the_same_logits():
    from vlseg.models.data_preprocessors import TextSegDataPreProcessor

    torch.manual_seed(0)
    data = dict(inputs=[torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8)
                        for _ in range(2)])
    plain = TextSegDataPreProcessor(per_image_zscore=True)(data)['inputs']
    nhwc = TextSegDataPreProcessor(per_image_zscore=True, channels_last=True)(data)['inputs']
    assert nhwc.is_contiguous(memory_format=torch.channels_last)
    assert not plain.is_contiguous(memory_format=torch.channels_last)
    conv = nn.Conv2d(3, 8, 3)
    torch.testing.assert_close(conv(nhwc), conv(plain))


def test_losses_are_fp32_under_autocast():
    """A Dice loss from bf16 logits equals the fp32 loss of the same (rounded) logits."""
    from vlseg.models.losses import BinaryDiceLoss

    torch.manual_seed(0)
    logits = torch.randn(2, 1, 16, 16).to(torch.bfloat16).float().requires_grad_()
    target = (torch.rand(2, 16, 16) > 0.5).long()
    loss = BinaryDiceLoss()
    expected = loss(logits, target)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        got = loss(logits.to(torch.bfloat16), target)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, expected)
    got.backward()
    assert logits.grad is not None and logits.grad.dtype == torch.float32


def test_autocast_loops_give_fp32_outputs_and_restore_the_step():
    """The loops cast the outputs up and leave the model's step as they found it (a compiled
    step that mmengine set on the instance stays)."""
    from types import SimpleNamespace

    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample

    from vlseg.engine.amp_loops import _FP32Outputs

    class Model(nn.Module):
        def test_step(self, data):
            sample = SegDataSample()
            sample.seg_logits = PixelData(data=torch.ones(1, 2, 2, dtype=torch.bfloat16))
            return [sample]

    class OneStepLoop:  # stands in for mmengine's TestLoop.run
        def run(self):
            return self.runner.model.test_step({})

    class Loop(_FP32Outputs, OneStepLoop):
        step_name = 'test_step'

    for compiled in (False, True):
        model = Model()
        if compiled:
            model.test_step = model.test_step  # an instance attribute, as torch.compile's
        before = vars(model).get('test_step')
        loop = Loop()
        loop.runner = SimpleNamespace(model=model)
        outputs = loop.run()
        assert outputs[0].seg_logits.data.dtype == torch.float32
        assert vars(model).get('test_step') is before
