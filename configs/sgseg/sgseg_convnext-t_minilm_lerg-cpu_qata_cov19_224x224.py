# Offline SGSeg (./sgseg_convnext-t_minilm_qata_cov19_224x224.py) with the smaller LERG preset
# for CPU budgets (configs/_base_/models/lerg.py: ResNet-18, width 128, 30 queries, 2 decoder
# layers; ours, not the paper's detector).
_base_ = ['./sgseg_convnext-t_minilm_qata_cov19_224x224.py']
model = dict(report_generator=_base_.lerg_cpu)
