# Self-guided offline TMCA (./tmca_convnext-t_minilm_self-guided_qata_cov19_224x224.py) whose
# report generator reads TMCA's own ConvNeXt-Tiny levels 1-3 (ours:
# configs/_base_/models/lerg.py, lerg_on_convnext_t_cpu), as
# ../sgseg/sgseg_convnext-t_minilm_lerg-on-encoder-cpu_qata_cov19_224x224.py does for SGSeg.
_base_ = ['./tmca_convnext-t_minilm_self-guided_qata_cov19_224x224.py']
model = dict(report_generator=_base_.lerg_on_convnext_t_cpu, report_levels=(1, 2, 3))
