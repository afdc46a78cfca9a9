from .inference import build_inference_pipeline, inference_model, inference_volume, init_model

__all__ = ['build_inference_pipeline', 'inference_model', 'inference_volume', 'init_model']
