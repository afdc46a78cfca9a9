"""vlseg's evaluation metrics (registered in ``vlseg.registry.METRICS``)."""
from .infnet_metric import InfNetMetric
from .lesion_metric import LesionMetric
from .location_report_metric import LocationReportMetric
from .volume_dice_metric import VolumeDiceMetric

__all__ = ['InfNetMetric', 'LesionMetric', 'LocationReportMetric', 'VolumeDiceMetric']
