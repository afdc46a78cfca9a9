from .hybrid_cnn_vit import HybridCNNViT
from .timm_convnext import TimmConvNeXt

__all__ = ['TimmConvNeXt', 'HybridCNNViT']
