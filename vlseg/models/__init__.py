from .data_preprocessors import TextSegDataPreProcessor, stack_text_fields
from .losses import BinaryDiceLoss, lesion_probability

__all__ = ['TextSegDataPreProcessor', 'stack_text_fields', 'BinaryDiceLoss', 'lesion_probability']
