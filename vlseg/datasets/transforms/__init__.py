from .edge import MaskToEdge
from .formatting import TEXT_FIELDS, PackTextSegInputs
from .loading import LoadBinaryMask, LoadMedicalImageFromFile
from .text import (
                   CaptionToLesionVector,
                   CaptionToLocationLabels,
                   DropCaption,
                   RandomFlipWithCaption,
                   TokenizeCaption,
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
    'CaptionToLesionVector', 'CaptionToLocationLabels', 'DropCaption',
    'RandomFlipWithCaption', 'TokenizeCaption', 'embedded_text_model_path', 'MaskToEdge',
    'RandomZoom', 'LoadNiftiMask', 'LoadNiftiVolume', 'NormalizeCTIntensity',
    'PackVolumeInputs', 'RandFlipVolume', 'RandVolumePatchCrop'
]
