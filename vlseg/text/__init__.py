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
from .report import location_report, location_reports

__all__ = [
    'LESION_VECTOR_DIM',
    'TYPOS',
    'ZONE_NAMES',
    'CaptionParseError',
    'LesionCaption',
    'lesion_vector_of',
    'location_report',
    'location_reports',
    'parse_caption',
    'render_caption',
]
