# Self-guided offline TMCA (./tmca_convnext-t_minilm_self-guided_qata_cov19_224x224.py) with the
# smaller LERG preset for CPU budgets (configs/_base_/models/lerg.py, lerg_cpu): the LERG that
# ../sgseg/sgseg_convnext-t_minilm_lerg-cpu_qata_cov19_224x224.py trains, which
# tools/misc/attach_report_generator.py can copy into a TMCA checkpoint.
_base_ = ['./tmca_convnext-t_minilm_self-guided_qata_cov19_224x224.py']
model = dict(report_generator=_base_.lerg_cpu)
