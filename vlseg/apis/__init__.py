from .vlseg_inferencer import TextSourceError, VLSegInferencer, autocast, list_inputs

__all__ = ['TextSourceError', 'VLSegInferencer', 'autocast', 'list_inputs']
