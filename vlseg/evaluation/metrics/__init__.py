"""vlseg's evaluation metrics (registered in ``vlseg.registry.METRICS``)."""
from .infnet_metric import InfNetMetric
from .lesion_metric import LesionMetric
from .location_report_metric import LocationReportMetric

__all__ = ['InfNetMetric', 'LesionMetric', 'LocationReportMetric']
