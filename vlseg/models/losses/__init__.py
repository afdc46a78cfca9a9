from .binary_dice_loss import BinaryDiceLoss, lesion_probability
from .class_balanced_bce_loss import ClassBalancedBCELoss
from .cosine_alignment_loss import CosineAlignmentLoss
from .multilevel_alignment import MultiLevelAlignment
from .structure_loss import StructureLoss, structure_loss, structure_weight
from .tsdm_loss import TSDMContrastiveLoss, pairwise_dice

__all__ = [
    'BinaryDiceLoss', 'lesion_probability', 'TSDMContrastiveLoss', 'pairwise_dice',
    'MultiLevelAlignment', 'ClassBalancedBCELoss', 'CosineAlignmentLoss',
    'StructureLoss', 'structure_loss', 'structure_weight'
]
