from .edge import MaskToEdge
from .formatting import TEXT_FIELDS, PackTextSegInputs
from .loading import LoadBinaryMask, LoadMedicalImageFromFile
from .text import (
                   CaptionToLocationLabels,
                   DropCaption,
                   RandomFlipWithCaption,
                   embedded_text_model_path,
)
from .volume import (
                     LoadNiftiMask,
                     LoadNiftiVolume,
                     NormalizeCTIntensity,
                     PackVolumeInputs,
                     RandFlipVolume,
                     RandVolumePatchCrop,
)
from .zoom import RandomZoom

__all__ = [
    'TEXT_FIELDS', 'PackTextSegInputs', 'LoadBinaryMask', 'LoadMedicalImageFromFile',
    'CaptionToLocationLabels', 'DropCaption', 'RandomFlipWithCaption',
    'embedded_text_model_path', 'MaskToEdge',
    'RandomZoom', 'LoadNiftiMask', 'LoadNiftiVolume', 'NormalizeCTIntensity',
    'PackVolumeInputs', 'RandFlipVolume', 'RandVolumePatchCrop'
]
