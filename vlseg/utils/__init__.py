from .compat import MissingCompiledOpError, apply_stack_fixes, mmcv_ext_is_stand_in
from .config import apply_cpu_settings, enable_amp, load_config, load_run_config, set_data_root
from .cpu_allocator import retain_freed_memory, retain_freed_memory_as_configured
from .onednn_cache import primitive_cache_capacity_as_configured, set_primitive_cache_capacity
from .set_env import register_all_modules

__all__ = [
    'MissingCompiledOpError', 'apply_stack_fixes', 'mmcv_ext_is_stand_in',
    'register_all_modules', 'enable_amp', 'load_config', 'load_run_config', 'set_data_root',
    'retain_freed_memory', 'retain_freed_memory_as_configured', 'apply_cpu_settings',
    'set_primitive_cache_capacity', 'primitive_cache_capacity_as_configured'
]
