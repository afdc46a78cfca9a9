from .lerg import LERG, LERG_CPU_PRESET, LERG_ZONES, LocationAttentionAggregator

__all__ = ['LERG', 'LERG_CPU_PRESET', 'LERG_ZONES', 'LocationAttentionAggregator']
