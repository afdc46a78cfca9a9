from .covid_ct import COVIDCTDataset
from .ct_slices import CTSliceDataset
from .ct_volume import CTVolumeDataset
from .layout_utils import read_lvit_split
from .mosmeddata import MosMedDataPlusDataset
from .polyp import BKAIPolypDataset, KvasirSEGDataset, MedVLSMDataset
from .qata_cov19 import QaTaCOV19Dataset
from .synthetic_ct import SyntheticCTDataset
from .synthetic_cxr import SyntheticCXRDataset
from .text_seg_dataset import TextSegDataset
from .transforms import *  # noqa: F403
from .transforms import __all__ as _transform_names

__all__ = [
    'BKAIPolypDataset',
    'COVIDCTDataset',
    'CTSliceDataset',
    'CTVolumeDataset',
    'KvasirSEGDataset',
    'MedVLSMDataset',
    'MosMedDataPlusDataset',
    'QaTaCOV19Dataset',
    'SyntheticCTDataset',
    'SyntheticCXRDataset',
    'TextSegDataset',
    'read_lvit_split',
]
__all__ += list(_transform_names)
