# Offline SGSeg with the CPU LERG preset (./sgseg_convnext-t_minilm_lerg-cpu_qata_cov19_224x224.py),
# trained on half its captions and half the reports its LERG writes at that step (ours, not the
# paper's: SelfGuidedSegmentor train_on_reports), so that the segmentor meets the generator's
# wrong zones before the test and learns how far to trust a generated report.
_base_ = ['./sgseg_convnext-t_minilm_lerg-cpu_qata_cov19_224x224.py']
model = dict(train_on_reports=0.5)
