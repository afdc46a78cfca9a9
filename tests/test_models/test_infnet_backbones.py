"""Inf-Net's backbones: iResNet's blocks, and weights from local files only."""
import pytest
import torch
import torch.nn as nn

import vlseg  # noqa: F401
from vlseg.models.backbones import IResNet, TimmFeatures, TimmVGG
from vlseg.models.backbones.iresnet import IResBottleneck


def test_iresnet_stage_wise_blocks():
    model = IResNet(depth=50)
    assert not any(isinstance(m, nn.MaxPool2d) for m in [model.conv1, model.bn1])
    stage = model.layer2  # 4 blocks: start, middle (ReLU only), middle, end
    positions = [block.position for block in stage]
    assert positions == ['start', 'middle', 'middle', 'end']
    start, first_middle, middle, end = stage
    # start: BN after conv3 and the improved shortcut (max-pool 3x3/2, conv1x1, BN)
    assert start.bn0 is None and start.bn3 is not None
    assert isinstance(start.downsample[0], nn.MaxPool2d)
    assert start.downsample[0].kernel_size == 3 and start.downsample[0].stride == 2
    assert start.conv2.stride == (2, 2)
    # the first middle block has no pre-BN; the others do; only start and end have bn3
    assert first_middle.bn0 is None and first_middle.bn3 is None
    assert middle.bn0 is not None and middle.bn3 is None
    assert end.bn0 is not None and end.bn3 is not None
    # the reference implementation's key names
    keys = set(model.state_dict())
    assert {'conv1.weight', 'layer2.0.downsample.1.weight', 'layer2.0.downsample.2.weight',
            'layer2.2.bn0.weight', 'layer2.3.bn3.weight'} <= keys
    assert 'layer2.1.bn0.weight' not in keys and 'layer2.1.bn3.weight' not in keys


def test_iresnet_end_block_normalises_after_the_addition():
    torch.manual_seed(0)
    block = IResBottleneck(16, 4, 'end').eval()
    x = torch.randn(2, 16, 5, 5)
    with torch.no_grad():
        out = block(x)
        residual = block.conv3(block.relu(block.bn2(block.conv2(
            block.relu(block.bn1(block.conv1(block.relu(block.bn0(x)))))))))
        torch.testing.assert_close(out, block.relu(block.bn3(residual + x)))


def test_iresnet_loads_reference_checkpoint(tmp_path):
    torch.manual_seed(0)
    source = IResNet(depth=50)
    state = dict(source.state_dict())
    state['fc.weight'] = torch.zeros(1000, 2048)  # the classifier, ignored
    state['fc.bias'] = torch.zeros(1000)
    path = tmp_path / 'iresnet50.pth'
    torch.save({'state_dict': {f'module.{k}': v for k, v in state.items()}}, path)
    torch.manual_seed(1)
    loaded = IResNet(depth=50, pretrained_path=str(path)).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(loaded(x), source.eval()(x)):
            torch.testing.assert_close(a, b)
    # a key that is neither the network's nor the classifier's raises, naming the file
    state['layer5.weight'] = torch.zeros(1)
    torch.save(state, path)
    with pytest.raises(RuntimeError, match='iresnet50.pth.*layer5.weight'):
        IResNet(depth=50, pretrained_path=str(path))


def test_timm_features_load_a_classification_state_dict(tmp_path):
    import timm
    torch.manual_seed(0)
    classifier = timm.create_model('resnet18', pretrained=False).eval()
    state = {k: v for k, v in classifier.state_dict().items()
             if not k.endswith('num_batches_tracked')}  # old releases lack them
    path = tmp_path / 'resnet18.pth'
    torch.save(state, path)
    backbone = TimmFeatures('resnet18', pretrained_path=str(path)).eval()
    assert backbone.out_channels == [64, 64, 128, 256, 512]
    assert backbone.strides == (2, 4, 8, 16, 32)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        expected = classifier.forward_features(x)
        torch.testing.assert_close(backbone(x)[-1], expected)

    del state['layer1.0.conv1.weight']
    torch.save(state, path)
    with pytest.raises(RuntimeError, match='layer1.0.conv1.weight'):
        TimmFeatures('resnet18', pretrained_path=str(path))
    with pytest.raises(FileNotFoundError, match='never download'):
        TimmFeatures('resnet18', pretrained_path=str(tmp_path / 'absent.pth'))


def test_timm_features_reject_unused_keys_but_classifier_and_untapped_layers(tmp_path):
    import timm
    torch.manual_seed(0)
    # A ResNet-34 file holds every tensor of a ResNet-18, plus its extra blocks.
    path = tmp_path / 'resnet34.pth'
    torch.save(timm.create_model('resnet34', pretrained=False).state_dict(), path)
    with pytest.raises(RuntimeError, match='resnet34.pth') as error:
        TimmFeatures('resnet18', pretrained_path=str(path))
    assert 'unexpected keys [layer1.2.conv1.weight' in str(error.value)
    # The classifier (fc.*) and the layers past the last tapped level may stay unused;
    # an EMA container is unwrapped.
    state = timm.create_model('resnet18', pretrained=False).state_dict()
    path = tmp_path / 'resnet18_ema.pth'
    torch.save({'state_dict_ema': state}, path)
    backbone = TimmFeatures('resnet18', pretrained_path=str(path), out_indices=(0, 1, 2))
    torch.testing.assert_close(backbone.model.layer2[0].conv1.weight,
                               state['layer2.0.conv1.weight'])
    state['extra.weight'] = torch.zeros(1)
    torch.save(state, path)
    with pytest.raises(RuntimeError, match='extra.weight'):
        TimmFeatures('resnet18', pretrained_path=str(path), out_indices=(0, 1, 2))


def test_vgg_pooling_and_torchvision_keys(tmp_path):
    # Blocks 1-3 only (out_indices 0..2): the same code path at a fraction of the size.
    taps = (0, 1, 2)
    vgg = TimmVGG(out_indices=taps)
    assert sum(isinstance(m, nn.MaxPool2d) for m in vgg.modules()) == 2
    # torchvision's vgg16 file: features.N.* plus classifier.*, which is ignored
    state = {k.replace('features_', 'features.'): v
             for k, v in vgg.model.state_dict().items()}
    state['classifier.6.bias'] = torch.zeros(1000)
    path = tmp_path / 'vgg16.pth'
    torch.save(state, path)
    loaded = TimmVGG(out_indices=taps, pretrained_path=str(path), pool='avg')
    assert not any(isinstance(m, nn.MaxPool2d) for m in loaded.modules())
    assert sum(isinstance(m, nn.AvgPool2d) for m in loaded.modules()) == 2
    for (name, a), b in zip(loaded.state_dict().items(), vgg.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)
