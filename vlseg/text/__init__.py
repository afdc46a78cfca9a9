"""Text handling for vlseg: report-style captions of QaTa-COV19 / MosMedData+."""
from .caption import (
    LESION_VECTOR_DIM,
    TYPOS,
    ZONE_NAMES,
    CaptionParseError,
    LesionCaption,
    lesion_vector_of,
    parse_caption,
    render_caption,
)

__all__ = [
    'LESION_VECTOR_DIM',
    'TYPOS',
    'ZONE_NAMES',
    'CaptionParseError',
    'LesionCaption',
    'lesion_vector_of',
    'parse_caption',
    'render_caption',
]
