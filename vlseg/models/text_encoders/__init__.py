from .hf_text_encoder import HFTextEncoder
from .lesion_vector_encoder import LesionVectorEncoder
from .word_feature_encoder import WordFeatureEncoder

__all__ = ['HFTextEncoder', 'LesionVectorEncoder', 'WordFeatureEncoder']
