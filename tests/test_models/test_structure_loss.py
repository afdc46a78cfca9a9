"""Inf-Net's structure loss on hand-made masks."""
import math

import pytest
import torch
import torch.nn.functional as F

import vlseg  # noqa: F401
from vlseg.models.losses import StructureLoss, structure_loss, structure_weight
from vlseg.models.losses.structure_loss import box_mean


def half_plane(size=64, split=32):
    """Foreground = the columns left of ``split``, as (1, 1, size, size)."""
    mask = torch.zeros(1, 1, size, size)
    mask[..., :split] = 1
    return mask


def test_weight_map_values():
    weight = structure_weight(half_plane())[0, 0]
    # Row 32: the 31x31 window spans rows 17..47, all inside the image.
    # Last foreground column 31: window columns 16..46 hold 16 foreground columns of 31.
    assert weight[32, 31].item() == pytest.approx(1 + 5 * (1 - 16 / 31))
    # First background column 32: columns 17..47, 15 foreground.
    assert weight[32, 32].item() == pytest.approx(1 + 5 * 15 / 31)
    # Column 20: columns 5..35, 27 foreground.
    assert weight[32, 20].item() == pytest.approx(1 + 5 * (1 - 27 / 31))
    # Far from the boundary the weight is 1 ...
    assert weight[32, 60].item() == pytest.approx(1.0)
    # ... except near the image border, where the zero padding counts in the mean (as the
    # authors' avg_pool2d): column 0 sees columns -15..15, 16 of them foreground.
    assert weight[32, 0].item() == pytest.approx(1 + 5 * (1 - 16 / 31))
    # The running-sum box mean equals the authors' k x k avg_pool2d: exactly on {0, 1}
    # masks, to float rounding on soft ones, also for a window wider than the image.
    soft = torch.rand(2, 1, 40, 48, generator=torch.Generator().manual_seed(0))
    binary = (soft > 0.6).float()
    for k in (1, 3, 31, 61):
        torch.testing.assert_close(box_mean(binary, k), F.avg_pool2d(binary, k, 1, k // 2),
                                   rtol=0, atol=0)
        reference = 1 + 5 * (F.avg_pool2d(soft, k, 1, k // 2) - soft).abs()
        torch.testing.assert_close(structure_weight(soft, k), reference)


def test_values_by_hand_on_a_three_by_three_mask():
    """One foreground pixel in the middle of a 3x3 image, 3x3 window, constant logit ln 3.

    Weight: every 3x3 window (zero padding counted) holds the centre pixel, so the local
    mean is 1/9 everywhere: w = 1 + 5 * 8/9 = 49/9 at the centre, 1 + 5/9 = 14/9 at the 8
    background pixels; sum(w) = 49/9 + 8 * 14/9 = 161/9.
    P = sigmoid(ln 3) = 3/4; BCE = ln(1 + e^z) - g z = ln 4 - g ln 3.
    wIoU: inter = 49/9 * 3/4 = 49/12, union = 161/9 * 3/4 + 49/9 = 679/36,
    1 - (49/12 + 1) / (679/36 - 49/12 + 1) = 1 - 549/1704 = 385/568.
    """
    mask = torch.zeros(1, 1, 3, 3)
    mask[..., 1, 1] = 1
    logits = torch.full((1, 1, 3, 3), math.log(3))
    weight = structure_weight(mask, kernel_size=3)[0, 0]
    assert weight[1, 1].item() == pytest.approx(49 / 9)
    assert weight[0, 0].item() == pytest.approx(14 / 9)  # a corner
    assert weight[0, 1].item() == pytest.approx(14 / 9)  # an edge
    wiou = 385 / 568
    # The paper: BCE weighted by w, (sum(w) ln 4 - 49/9 ln 3) / sum(w) = ln 4 - 49/161 ln 3.
    weighted = math.log(4) - 49 / 161 * math.log(3) + wiou
    # weighted_bce=False: the plain mean BCE, ln 4 - ln 3 / 9 (one foreground pixel of 9).
    unweighted = math.log(4) - math.log(3) / 9 + wiou
    assert structure_loss(logits, mask, kernel_size=3).item() == pytest.approx(weighted)
    assert structure_loss(logits, mask, kernel_size=3, weighted_bce=False).item() == (
        pytest.approx(unweighted))


def test_weighted_and_unweighted_bce():
    torch.manual_seed(0)
    mask = half_plane().repeat(2, 1, 1, 1)
    logits = torch.randn(2, 1, 64, 64)
    weight = structure_weight(mask)
    bce = F.binary_cross_entropy_with_logits(logits, mask, reduction='none')
    prob = logits.sigmoid()
    inter = (prob * mask * weight).sum((2, 3))
    wiou = 1 - (inter + 1) / (((prob + mask) * weight).sum((2, 3)) - inter + 1)
    wbce = (weight * bce).sum((2, 3)) / weight.sum((2, 3))
    torch.testing.assert_close(structure_loss(logits, mask), (wbce + wiou).mean())
    # weighted_bce=False (the authors' code): the BCE is the plain mean per image, while
    # the IoU keeps its weight.
    unweighted = structure_loss(logits, mask, weighted_bce=False)
    torch.testing.assert_close(unweighted, (bce.mean((2, 3)) + wiou).mean())
    assert not torch.isclose(unweighted, structure_loss(logits, mask))


def test_module_interface_ignore_and_weight():
    torch.manual_seed(0)
    label = half_plane()[:, 0].long()  # (B, H, W) as decode heads pass it
    logits = torch.randn(1, 1, 64, 64)
    loss = StructureLoss(loss_weight=2.0)
    assert loss.loss_name == 'loss_structure'
    value = loss(logits, label)
    torch.testing.assert_close(value, 2 * structure_loss(logits, label[:, None].float()))
    # Ignored pixels do not count: changing the logits there changes nothing.
    label[:, 50:] = 255
    changed = logits.clone()
    changed[..., 50:, :] = 10.0
    torch.testing.assert_close(loss(logits, label), loss(changed, label))
    # A confident correct prediction scores lower than a wrong one.
    target = half_plane()
    good = structure_loss((target * 2 - 1) * 10, target)
    bad = structure_loss((1 - target * 2) * 10, target)
    assert good < 0.01 < bad


def test_soft_targets_are_accepted():
    mask = F.interpolate(half_plane(), size=(48, 48), mode='bilinear', align_corners=True)
    assert ((mask > 0) & (mask < 1)).any()
    assert torch.isfinite(StructureLoss()(torch.zeros(1, 1, 48, 48), mask[:, 0]))


def test_rejects_multi_channel_logits():
    with pytest.raises(ValueError, match='one-channel'):
        StructureLoss()(torch.zeros(1, 2, 8, 8), torch.zeros(1, 8, 8))
