"""The conv-norm-act units are mmcv ConvModules; checkpoints of their earlier form load."""
import torch
import torch.nn as nn

from vlseg.models.layers import ConvBN, ConvBNReLU, TokenConvBNReLU
from vlseg.models.layers.unetr_blocks import UnetConvBlock


class _OldTokenConvBNReLU(nn.Module):
    """TokenConvBNReLU as it was written before (named children conv / norm / act)."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, 3, padding=1)
        self.norm = nn.BatchNorm1d(out_channels)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.norm(self.conv(x)))


class _OldUnetConvBlock(nn.Module):
    """UnetConvBlock as it was written before (conv1 / norm1 / conv2 / norm2 / shortcut)."""

    def __init__(self, in_channels, out_channels, residual):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(out_channels)
        self.act = nn.LeakyReLU(0.01)
        self.residual = residual
        self.shortcut = (nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                       nn.BatchNorm2d(out_channels))
                         if residual and in_channels != out_channels else None)

    def forward(self, x):
        out = self.norm2(self.conv2(self.act(self.norm1(self.conv1(x)))))
        if self.residual:
            out = out + (x if self.shortcut is None else self.shortcut(x))
        return self.act(out)


def _randomise(module):
    torch.manual_seed(0)
    with torch.no_grad():
        for tensor in list(module.parameters()) + [b for b in module.buffers()
                                                   if b.dtype.is_floating_point]:
            tensor.copy_(torch.rand_like(tensor) + 0.5)
    return module.eval()


def test_old_checkpoints_load_and_compute_the_same():
    cases = [
        # The earlier definitions, written out: the authors' ConvBatchNorm and BasicConv2d
        # as nn.Sequential (keys 0.*, 1.*), ConvTransBN with named children.
        (nn.Sequential(nn.Conv2d(4, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU()),
         ConvBNReLU(4, 6), torch.randn(2, 4, 9, 9)),
        (nn.Sequential(nn.Conv2d(4, 6, (1, 3), padding=(0, 1), dilation=1, bias=False),
                       nn.BatchNorm2d(6)),
         ConvBN(4, 6, (1, 3), padding=(0, 1)), torch.randn(2, 4, 9, 9)),
        (_OldTokenConvBNReLU(4, 6), TokenConvBNReLU(4, 6), torch.randn(2, 4, 7)),
    ]
    # The GuideDecoder's UNETR conv block (MONAI's UnetBasicBlock / UnetResBlock).
    blocks = [(_OldUnetConvBlock(i, o, r), UnetConvBlock(i, o, residual=r),
               torch.randn(2, i, 9, 9)) for i, o, r in ((8, 6, False), (8, 6, True), (6, 6, True))]
    for old, new, x in cases:
        old = _randomise(old)
        missing, unexpected = new.load_state_dict(old.state_dict(), strict=True)
        assert not missing and not unexpected
        new.eval()
        torch.testing.assert_close(new(x), old(x))
        # Same parameters, as many: the authors' counts are kept.
        assert sum(p.numel() for p in new.parameters()) == sum(
            p.numel() for p in old.parameters())
        # And the new keys are mmcv's.
        assert {key.split('.')[0] for key in new.state_dict()} <= {'conv', 'bn'}
    for old, new, x in blocks:
        old = _randomise(old)
        missing, unexpected = new.load_state_dict(old.state_dict(), strict=True)
        assert not missing and not unexpected
        torch.testing.assert_close(new.eval()(x), old(x))
        assert {key.rsplit('.', 2)[-2] for key in new.state_dict()} <= {'conv', 'bn'}


def test_pytorch_default_init_is_kept():
    """ConvModule would draw Kaiming-normal weights and set BN to 1/0; the authors' code
    (and vlseg) keep PyTorch's defaults: the same draws as nn.Conv2d from the same seed."""
    torch.manual_seed(3)
    reference = nn.Conv2d(4, 6, 3, padding=1)
    torch.manual_seed(3)
    unit = ConvBNReLU(4, 6)
    unit.init_weights()
    torch.testing.assert_close(unit.conv.weight, reference.weight)
    torch.testing.assert_close(unit.conv.bias, reference.bias)


def test_token_reconstruct_and_lerg_projection_read_their_earlier_keys():
    from vlseg.models.layers.cnn_vit_layers import TokenReconstruct
    from vlseg.models.report_generators.hybrid_encoder import HybridEncoder

    old = _randomise(nn.ModuleDict(dict(conv=nn.Conv2d(6, 6, 1), norm=nn.BatchNorm2d(6))))
    new = TokenReconstruct(6, scale=2)
    assert not any(new.load_state_dict(old.state_dict(), strict=True))
    tokens = torch.randn(2, 4, 6)  # a 2 x 2 grid of 6-wide tokens
    grid = tokens.transpose(1, 2).reshape(2, 6, 2, 2)
    upsampled = torch.nn.functional.interpolate(grid, scale_factor=2, mode='nearest')
    torch.testing.assert_close(new.eval()(tokens, (2, 2), (4, 4)),
                               torch.relu(old['norm'](old['conv'](upsampled))))
    # LERG's input projections were nn.Sequential(conv, BN): keys 0.* and 1.*.
    encoder = HybridEncoder(in_channels=(8, 16), hidden_dim=16, num_heads=2, ffn_dim=32,
                            num_layers=1)
    state = {key.replace('.conv.', '.0.').replace('.bn.', '.1.')
             if key.startswith('input_proj.') else key: value
             for key, value in encoder.state_dict().items()}
    assert any(key.startswith('input_proj.0.0.') for key in state)
    assert not any(encoder.load_state_dict(state, strict=True))
