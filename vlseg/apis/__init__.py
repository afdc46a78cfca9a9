from .vlseg_inferencer import VLSegInferencer, autocast, list_inputs

__all__ = ['VLSegInferencer', 'autocast', 'list_inputs']
