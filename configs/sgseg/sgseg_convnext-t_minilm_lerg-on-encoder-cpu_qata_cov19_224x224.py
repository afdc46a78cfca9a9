# Offline SGSeg (./sgseg_convnext-t_minilm_qata_cov19_224x224.py) whose report generator reads
# the segmentor's own ConvNeXt-Tiny levels 1-3 instead of the image (ours, not the paper's:
# configs/_base_/models/lerg.py, lerg_on_convnext_t_cpu). One image encoder serves the mask
# and the report, trained by the Dice-CE and the zone BCE together; LERG's own ResNet, at a
# CPU budget from random init, wrote zones barely better than the label prior
# (docs/results.md).
_base_ = ['./sgseg_convnext-t_minilm_qata_cov19_224x224.py']
model = dict(report_generator=_base_.lerg_on_convnext_t_cpu, report_levels=(1, 2, 3))
