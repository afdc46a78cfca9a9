"""3D residual U-Net and the RA block (3D RA-UNet seed), and the volume segmentor."""
import pytest
import torch

import vlseg  # noqa: F401
from vlseg.models.backbones import ResUNet3D
from vlseg.models.backbones.res_unet3d import PositionalSelfAttention3D, RABlock3D
from vlseg.registry import MODELS
from vlseg.utils import register_all_modules

PATCH = (32, 32, 16)


def test_levels_blocks_and_where_the_ra_block_sits():
    register_all_modules()
    net = ResUNet3D(patch_size=PATCH)
    assert net.channels == [16, 32, 64, 128, 256]
    # Two residual blocks per encoder level (after the strided conv below level 0).
    assert [len(stage) for stage in net.encoder] == [2, 3, 3, 3, 3]
    # Decoder levels 128, 64, 32, 16: one residual block each, RA after the 128 one.
    ra = [m for m in net.modules() if isinstance(m, RABlock3D)]
    assert len(ra) == 1 and net.decoder[0][-1] is ra[0]
    assert ra[0].attention.size == (4, 4, 2)  # the patch at stride 8
    assert ra[0].reduce.conv.out_channels == 32 and ra[0].attention.num_heads == 4
    out = net(torch.randn(2, 1, *PATCH))
    assert out.shape == (2, 16, *PATCH)
    baseline = ResUNet3D(patch_size=PATCH, ra_level=None)
    assert not any(isinstance(m, RABlock3D) for m in baseline.modules())
    assert baseline(torch.randn(1, 1, 48, 32, 16)).shape == (1, 16, 48, 32, 16)


def test_attention_is_softmax_of_q_dot_k_plus_position_terms():
    """logits = q . (k + w_d + w_h + w_w) / sqrt(d), per head (BoTNet's content-position
    term, in 3D); written out with einsum from the module's own weights."""
    torch.manual_seed(0)
    size, heads, channels = (3, 4, 2), 2, 8
    attention = PositionalSelfAttention3D(channels, size, heads)
    x = torch.randn(2, channels, *size)
    q, k, v = attention.qkv(x).reshape(2, 3, heads, channels // heads, -1).unbind(1)
    d, h, w = size
    position = torch.zeros(heads, channels // heads, d, h, w)
    for i in range(d):
        for j in range(h):
            for m in range(w):
                position[..., i, j, m] = (attention.pos_d[..., i, 0, 0]
                                          + attention.pos_h[..., 0, j, 0]
                                          + attention.pos_w[..., 0, 0, m])
    keys = k + position.reshape(heads, channels // heads, -1)
    logits = torch.einsum('bhcn,bhcm->bhnm', q, keys) / (channels // heads) ** 0.5
    expected = torch.einsum('bhnm,bhcm->bhcn', logits.softmax(-1), v).reshape(2, channels, *size)
    torch.testing.assert_close(attention(x), expected, rtol=1e-5, atol=1e-5)
    # Without the position terms the output differs: they are in the keys.
    plain = torch.einsum('bhcn,bhcm->bhnm', q, k) / (channels // heads) ** 0.5
    other = torch.einsum('bhnm,bhcm->bhcn', plain.softmax(-1), v).reshape(2, channels, *size)
    assert not torch.allclose(attention(x), other, atol=1e-4)


def test_learned_positions_fix_the_input_size():
    net = ResUNet3D(patch_size=PATCH)
    with pytest.raises(ValueError, match='sliding windows'):
        net(torch.randn(1, 1, 64, 32, 16))
    with pytest.raises(ValueError, match='multiple of 16'):
        ResUNet3D(patch_size=(30, 32, 16))
    with pytest.raises(ValueError, match='ra_level'):
        ResUNet3D(patch_size=PATCH, ra_level=4)


def segmentor(**test_cfg):
    register_all_modules()
    torch.manual_seed(0)
    return MODELS.build(dict(type='VolumeSegmentor', backbone=dict(
        type='ResUNet3D', channels=(4, 8, 8, 16, 16), patch_size=PATCH), test_cfg=test_cfg))


def test_sliding_windows_cover_volumes_of_any_size():
    model = segmentor().eval()
    # A volume of exactly one patch: the window is the whole volume.
    volume = torch.randn(1, 1, *PATCH)
    torch.testing.assert_close(model.segment_volume(volume), model._forward(volume).sigmoid())
    # Larger and smaller than the patch (padded, then cropped back).
    for shape in ((50, 40, 20), (20, 24, 10)):
        samples = model.predict([torch.randn(1, *shape)])
        assert samples[0].pred_volume.shape == (1, *shape)
        assert samples[0].pred_volume.dtype == torch.uint8
    with pytest.raises(ValueError, match='learned its positions'):
        segmentor(roi_size=(64, 64, 16))


def test_dice_loss_per_volume():
    model = segmentor()
    inputs = torch.randn(2, 1, *PATCH)
    from mmseg.structures import SegDataSample
    samples = []
    for index in range(2):
        sample = SegDataSample()
        mask = torch.zeros(1, *PATCH, dtype=torch.uint8)
        mask[:, 4:12, 4:12, 2:6] = 1
        sample.set_field(mask, 'gt_volume')
        samples.append(sample)
    loss = model.loss(inputs, samples)['loss_dice']
    probability = model._forward(inputs)[:, 0].sigmoid()
    truth = torch.stack([s.gt_volume[0] for s in samples]).float()
    dice = (2 * (probability * truth).sum((1, 2, 3)) + 1) / (
        probability.sum((1, 2, 3)) + truth.sum((1, 2, 3)) + 1)
    torch.testing.assert_close(loss, (1 - dice).mean())
    loss.backward()
    assert model.backbone.decoder[0][-1].attention.pos_d.grad is not None
