from .lesion_vector_weighting import LesionVectorWeighting
from .ltem import LTEM
from .lvit_vit_branch import LViTViTBranch
from .pixel_level_attention import PixelLevelAttention
from .vlab import VLAB

__all__ = ['LTEM', 'LesionVectorWeighting', 'LViTViTBranch', 'PixelLevelAttention', 'VLAB']
