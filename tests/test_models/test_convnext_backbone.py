# conftest.py sets HF_HUB_OFFLINE=1; timm models are built with pretrained=False.
import pytest
import torch

import vlseg  # noqa: F401
from vlseg.models.backbones import TimmConvNeXt
from vlseg.registry import MODELS

# ConvNeXt-Tiny without its classifier: timm convnext_tiny has 28,589,128 parameters
# including head.norm (1,536) and head.fc (769,000); the stages alone have 27,818,592.
# The 27.82M of the papers is the Hugging Face ConvNextModel (stages + final LayerNorm),
# 27,820,128 = our features + the global norm.
CONVNEXT_TINY_FEATURES = 27_818_592
CONVNEXT_TINY_WITH_NORM = 27_820_128


def n_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.fixture(scope='module')
def timm_tiny():
    import timm
    torch.manual_seed(0)
    model = timm.create_model('convnext_tiny', pretrained=False).eval()
    with torch.no_grad():  # a head norm that is not the identity, to see it load
        model.head.norm.weight.uniform_(0.5, 1.5)
        model.head.norm.bias.normal_()
    return model


def test_shapes_strides_and_global_vector():
    backbone = MODELS.build(dict(type='TimmConvNeXt'))
    assert backbone.out_channels == [96, 192, 384, 768]
    assert backbone.strides == (4, 8, 16, 32)
    assert backbone.global_channels == 768
    with torch.no_grad():
        outs = backbone(torch.randn(2, 3, 64, 64))
    assert len(outs) == 5
    for out, channels, size in zip(outs, (96, 192, 384, 768), (16, 8, 4, 2)):
        assert out.shape == (2, channels, size, size)
    assert outs[4].shape == (2, 768)
    # the global vector is LayerNorm(mean of the last map)
    expected = backbone.global_norm(outs[3].mean(dim=(2, 3)))
    torch.testing.assert_close(outs[4], expected)


def test_parameter_count_matches_convnext_tiny():
    with_norm = n_params(TimmConvNeXt())
    features = n_params(TimmConvNeXt(with_global=False))
    assert features == CONVNEXT_TINY_FEATURES
    assert with_norm == CONVNEXT_TINY_WITH_NORM
    assert abs(with_norm - 27.82e6) / 27.82e6 < 0.02


def test_without_global_and_subset_of_stages():
    backbone = TimmConvNeXt(out_indices=(1, 2, 3), with_global=False)
    assert backbone.out_channels == [192, 384, 768] and backbone.strides == (8, 16, 32)
    with torch.no_grad():
        outs = backbone(torch.randn(1, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 192, 8, 8), (1, 384, 4, 4), (1, 768, 2, 2)]
    with pytest.raises(ValueError, match='last stage'):
        TimmConvNeXt(out_indices=(0, 1, 2), with_global=True)


@pytest.mark.parametrize('suffix', ['.pth', '.safetensors'])
def test_loads_a_local_timm_state_dict(tmp_path, timm_tiny, suffix):
    path = str(tmp_path / f'convnext_tiny{suffix}')
    state = timm_tiny.state_dict()
    if suffix == '.pth':
        torch.save(state, path)
    else:
        from safetensors.torch import save_file
        save_file({k: v.contiguous() for k, v in state.items()}, path)
    backbone = TimmConvNeXt(pretrained_path=path).eval()
    torch.testing.assert_close(backbone.model.stem_0.weight, timm_tiny.stem[0].weight)
    torch.testing.assert_close(backbone.global_norm.weight, timm_tiny.head.norm.weight)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        outs = backbone(x)
        deepest = timm_tiny.forward_features(x)
        pooled = timm_tiny.forward_head(deepest, pre_logits=True)
    torch.testing.assert_close(outs[3], deepest)
    torch.testing.assert_close(outs[4], pooled)
    # mmengine's init_weights (run by the Runner) keeps the loaded weights
    before = backbone.model.stages_3.blocks[2].mlp.fc2.weight.clone()
    backbone.init_weights()
    torch.testing.assert_close(backbone.model.stages_3.blocks[2].mlp.fc2.weight, before)


def test_wrong_path_and_wrong_keys_raise_naming_the_file(tmp_path, timm_tiny):
    missing = str(tmp_path / 'nowhere' / 'convnext_tiny.pth')
    with pytest.raises(FileNotFoundError, match='nowhere/convnext_tiny.pth'):
        TimmConvNeXt(pretrained_path=missing)
    state = dict(timm_tiny.state_dict())
    del state['stages.1.blocks.0.conv_dw.weight']
    state['extra.weight'] = torch.zeros(1)
    bad = str(tmp_path / 'bad.pth')
    torch.save(state, bad)
    with pytest.raises(RuntimeError, match='bad.pth') as error:
        TimmConvNeXt(pretrained_path=bad)
    assert 'stages.1.blocks.0.conv_dw.weight' in str(error.value)
    assert 'extra.weight' in str(error.value)


def test_frozen_stages():
    backbone = TimmConvNeXt(frozen_stages=1, with_global=False)
    backbone.train()
    assert not any(p.requires_grad for p in backbone.model.stem_0.parameters())
    assert not any(p.requires_grad for p in backbone.model.stages_0.parameters())
    assert all(p.requires_grad for p in backbone.model.stages_1.parameters())
    assert not backbone.model.stages_0.training and backbone.model.stages_1.training
