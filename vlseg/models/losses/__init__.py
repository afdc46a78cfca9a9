from .binary_dice_loss import BinaryDiceLoss, lesion_probability

__all__ = ['BinaryDiceLoss', 'lesion_probability']
