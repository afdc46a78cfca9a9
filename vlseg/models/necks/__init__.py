"""Necks: text-aware modules between the backbone and the head (``neck=`` in a config)."""
from .lesion_vector_weighting import LesionVectorWeighting
from .lvit_vit_branch import LViTViTBranch

__all__ = ['LesionVectorWeighting', 'LViTViTBranch']
