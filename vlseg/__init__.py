"""vlseg: language-guided medical image segmentation on OpenMMLab."""
from .utils.compat import apply_stack_fixes
from .version import __version__

# Before anything imports mmseg.models (which loads mmcv's compiled ops).
apply_stack_fixes()

__all__ = ['__version__']
