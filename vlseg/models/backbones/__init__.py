from .hybrid_cnn_vit import HybridCNNViT
from .iresnet import IResNet
from .res_unet3d import ResUNet3D
from .timm_convnext import TimmConvNeXt
from .timm_features import TimmFeatures
from .timm_vgg import TimmVGG

__all__ = ['TimmConvNeXt', 'HybridCNNViT', 'TimmFeatures', 'TimmVGG', 'IResNet', 'ResUNet3D']
