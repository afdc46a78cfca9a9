import math

import pytest
import torch
import torch.nn.functional as F

import vlseg  # noqa: F401
from vlseg.models.losses import TSDMContrastiveLoss, pairwise_dice
from vlseg.registry import MODELS


def box_masks(boxes, size=16):
    """(B, size, size) long masks, one box (top, bottom, left, right) each (None: empty)."""
    masks = torch.zeros(len(boxes), size, size, dtype=torch.long)
    for index, box in enumerate(boxes):
        if box is not None:
            top, bottom, left, right = box
            masks[index, top:bottom, left:right] = 1
    return masks


def test_pairwise_dice_values_ignore_and_empty_masks():
    masks = box_masks([(0, 4, 0, 4), (0, 4, 0, 2), (8, 12, 8, 12), None, None])
    dice = pairwise_dice(masks)
    assert dice.shape == (5, 5)
    torch.testing.assert_close(dice, dice.t())
    assert dice[0, 0] == pytest.approx(1.0)
    assert dice[0, 1] == pytest.approx(2 * 8 / (16 + 8), abs=1e-6)
    assert dice[0, 2] == pytest.approx(0.0, abs=1e-6)
    assert dice[3, 4] == pytest.approx(1.0)  # two empty masks: same (absent) target
    assert dice[0, 3] == pytest.approx(0.0, abs=1e-6)
    # Pixels ignored in either mask of a pair are left out of that pair's Dice.
    ignored = masks.clone()
    ignored[1, :, 2:4] = 255
    assert pairwise_dice(ignored)[0, 1] == pytest.approx(1.0)
    # Soft masks (probabilities) work too.
    soft = masks.float() * 0.5
    assert pairwise_dice(soft)[0, 0] == pytest.approx(0.5, abs=1e-5)


def test_identical_masks_give_uniform_targets():
    loss = TSDMContrastiveLoss()
    masks = box_masks([(2, 8, 2, 8)] * 4)
    target = loss.target_distribution(masks, 4)
    torch.testing.assert_close(target, torch.full((4, 4), 0.25))


def test_disjoint_masks_give_one_hot_targets():
    loss = TSDMContrastiveLoss(tau1=0.1)
    masks = box_masks([(0, 4, 0, 4), (0, 4, 8, 12), (8, 12, 0, 4), (8, 12, 8, 12)])
    target = loss.target_distribution(masks, 4)
    torch.testing.assert_close(target, torch.eye(4), atol=1e-3, rtol=0)
    torch.testing.assert_close(target.sum(1), torch.ones(4))


def test_loss_is_lowest_when_similarities_match_the_targets():
    torch.manual_seed(0)
    # Two pairs of overlapping masks: {0, 1} and {2, 3}.
    masks = box_masks([(0, 6, 0, 6), (0, 6, 0, 5), (9, 15, 9, 15), (9, 15, 10, 15)])
    loss = TSDMContrastiveLoss(tau1=0.1, tau2=0.1)
    # Embeddings that agree with the mask groups (two directions) vs. random ones.
    group = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    matched = loss(group, group.clone(), masks)
    crossed = loss(group, group.flip(1), masks)
    random = torch.stack([loss(torch.randn(4, 2), torch.randn(4, 2), masks)
                          for _ in range(20)])
    assert matched < random.min()
    assert matched < crossed
    # Cross-entropy is minimal when prediction = target: lower bound = target entropy.
    target = loss.target_distribution(masks, 4)
    entropy = -(target * target.log()).sum(1).mean()
    assert matched >= entropy - 1e-5


def test_identity_mode_is_clip_cross_entropy_and_needs_no_masks():
    torch.manual_seed(0)
    image, text = torch.randn(4, 8), torch.randn(4, 8)
    loss = TSDMContrastiveLoss(target='identity', tau2=0.07)
    logits = F.normalize(image, dim=1) @ F.normalize(text, dim=1).t() / 0.07
    labels = torch.arange(4)
    clip = 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels))
    torch.testing.assert_close(loss(image, text), clip)
    # With disjoint masks TSDM is (almost) CLIP.
    masks = box_masks([(0, 4, 0, 4), (0, 4, 8, 12), (8, 12, 0, 4), (8, 12, 8, 12)])
    dice = TSDMContrastiveLoss(tau1=0.05)
    torch.testing.assert_close(dice(image, text, masks), clip, atol=1e-3, rtol=0)


def test_both_directions_are_averaged():
    torch.manual_seed(1)
    image, text = torch.randn(3, 5), torch.randn(3, 5)
    masks = box_masks([(0, 6, 0, 6), (2, 8, 2, 8), (10, 14, 10, 14)])
    loss = TSDMContrastiveLoss(tau1=0.2, tau2=0.5)
    target = loss.target_distribution(masks, 3)
    logits = F.normalize(image, dim=1) @ F.normalize(text, dim=1).t() / 0.5
    image_to_text = -(target * logits.log_softmax(1)).sum(1).mean()
    text_to_image = -(target * logits.t().log_softmax(1)).sum(1).mean()
    assert not math.isclose(image_to_text.item(), text_to_image.item(), rel_tol=1e-4)
    torch.testing.assert_close(loss(image, text, masks), 0.5 * (image_to_text + text_to_image))
    # Swapping image and text swaps the directions: same loss (targets are symmetric).
    torch.testing.assert_close(loss(text, image, masks), loss(image, text, masks))


def test_gradients_registry_and_errors():
    loss = MODELS.build(dict(type='TSDMContrastiveLoss', loss_weight=2.0))
    assert loss.loss_name == 'loss_tsdm'
    image = torch.randn(2, 4, requires_grad=True)
    text = torch.randn(2, 4, requires_grad=True)
    value = loss(image, text, box_masks([(0, 4, 0, 4), (4, 8, 4, 8)]))
    value.backward()
    assert image.grad is not None and text.grad is not None
    assert torch.isfinite(value)
    # A batch of one has one candidate: zero loss.
    assert loss(torch.randn(1, 4), torch.randn(1, 4), box_masks([None])) == 0
    with pytest.raises(ValueError, match='needs the batch'):
        loss(torch.randn(2, 4), torch.randn(2, 4))
    with pytest.raises(ValueError, match='target'):
        TSDMContrastiveLoss(target='onehot')
    with pytest.raises(ValueError, match='masks for a batch'):
        loss(torch.randn(2, 4), torch.randn(2, 4), box_masks([None]))
