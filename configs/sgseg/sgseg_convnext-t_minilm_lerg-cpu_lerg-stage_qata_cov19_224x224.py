# A second training stage for the CPU LERG of
# ./sgseg_convnext-t_minilm_lerg-cpu_qata_cov19_224x224.py (ours, not the paper's:
# SelfGuidedSegmentor train_report_generator_only): start from a trained offline SGSeg
# checkpoint and train its report generator alone; the segmentor is kept as loaded and not
# run, so a step costs the generator's share of a joint step. The paper trains both once,
# together; at a CPU budget the detector learns its zones more slowly than the segmentor.
#   python tools/train.py CONFIG --cfg-options load_from=SGSEG_CKPT
# The result is a whole SGSeg checkpoint, tested as the joint one (model.test_cfg.text_source).
_base_ = ['./sgseg_convnext-t_minilm_lerg-cpu_qata_cov19_224x224.py']
model = dict(train_report_generator_only=True)
