"""Text handling for vlseg: report-style captions of QaTa-COV19 / MosMedData+."""
from .caption import (
    TYPOS,
    ZONE_NAMES,
    CaptionParseError,
    LesionCaption,
    parse_caption,
    render_caption,
)

__all__ = [
    'TYPOS',
    'ZONE_NAMES',
    'CaptionParseError',
    'LesionCaption',
    'parse_caption',
    'render_caption',
]
