import pytest
import torch

import vlseg  # noqa: F401
from vlseg.models import BinaryDiceLoss
from vlseg.registry import MODELS


def logits_of(probabilities):
    p = torch.tensor(probabilities, dtype=torch.float64)
    return torch.log(p / (1 - p))[None, None]


def test_dice_of_the_lesion_by_hand():
    # p = [0.9, 0.1 / 0.8, 0.2], g = [1, 0 / 1, 0]
    # sum(pg) = 1.7, sum(p) = 2.0, sum(g) = 2 -> dice = (3.4 + 1) / (4 + 1) = 0.88
    pred = logits_of([[0.9, 0.1], [0.8, 0.2]])
    target = torch.tensor([[[1, 0], [1, 0]]])
    assert BinaryDiceLoss()(pred, target).item() == pytest.approx(0.12)
    # squared: sum(p^2) = .81 + .01 + .64 + .04 = 1.5 -> (3.4 + 1) / (1.5 + 2 + 1) = 0.97778
    squared = BinaryDiceLoss(squared_denominator=True)(pred, target).item()
    assert squared == pytest.approx(1 - 4.4 / 4.5)


def test_ignore_index_and_two_channel_logits():
    pred = logits_of([[0.9, 0.1], [0.8, 0.2]])
    target = torch.tensor([[[1, 0], [255, 0]]])
    # valid: p = [0.9, 0.1, 0.2], g = [1, 0, 0]: (1.8 + 1) / (1.2 + 1 + 1) = 0.875
    assert BinaryDiceLoss()(pred, target).item() == pytest.approx(0.125)
    two_channel = torch.cat([torch.zeros_like(pred), pred], dim=1)  # softmax([0, x])[1] = sig(x)
    assert BinaryDiceLoss()(two_channel, target).item() == pytest.approx(0.125)


def test_empty_prediction_is_penalised_unlike_mmseg_one_channel_dice():
    # Predicting no lesion on a lesion image must cost almost the full loss.
    pred = torch.full((1, 1, 4, 4), -20.0)
    target = torch.zeros(1, 4, 4, dtype=torch.long)
    target[0, :2, :2] = 1
    ours = MODELS.build(dict(type='BinaryDiceLoss', smooth=0.0))(pred, target)
    assert ours.item() == pytest.approx(1.0, abs=1e-6)


def test_per_image_versus_batch():
    pred = torch.cat([logits_of([[0.9, 0.9]]), logits_of([[0.5, 0.5]])])
    target = torch.tensor([[[1, 1]], [[0, 0]]])
    per_image = BinaryDiceLoss(smooth=1.0)(pred, target).item()
    # image 1: (3.6 + 1) / (1.8 + 2 + 1) = 0.95833; image 2: 1 / (1 + 1) = 0.5
    assert per_image == pytest.approx(1 - (4.6 / 4.8 + 0.5) / 2)
    batch = BinaryDiceLoss(smooth=1.0, per_image=False)(pred, target).item()
    # pooled: (3.6 + 1) / (2.8 + 2 + 1)
    assert batch == pytest.approx(1 - 4.6 / 5.8)
    assert BinaryDiceLoss(loss_name='loss_lesion_dice').loss_name == 'loss_lesion_dice'


@pytest.mark.parametrize('config', [
    'configs/ariadne/ariadne_convnext-t_cxrbert_qata_cov19_224x224.py',
    'configs/tmca/tmca_convnext-t_cxrbert_qata_cov19_224x224.py'])
def test_ariadne_and_tmca_dice_is_per_image_as_monai_dice_ce(config):
    """MONAI DiceCELoss() (batch=False, smooth 1e-5), the authors' loss: the Dice of each
    image, then the mean. A perfect image and a missed lesion give (0 + 1) / 2."""
    import os.path as osp

    from vlseg.utils import load_config
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    dice_cfg = load_config(osp.join(root, config)).model.decode_head.loss_decode[0]
    loss = MODELS.build(dice_cfg)
    pred = torch.full((2, 1, 2, 2), -30.0, dtype=torch.float64)
    pred[0, 0, 0] = 30.0                                   # image 1: exactly its mask
    target = torch.zeros(2, 2, 2, dtype=torch.long)
    target[:, 0] = 1                                       # both images: the top row
    # MONAI: 1 - (2 I + 1e-5) / (P + G + 1e-5) per image: 0 for image 1, ~1 for image 2.
    assert loss(pred, target).item() == pytest.approx((0 + (1 - 1e-5 / (2 + 1e-5))) / 2)
