from .multi_scale_step_ddp import MultiScaleStepDDP

__all__ = ['MultiScaleStepDDP']
