# TMCA (offline, MiniLM) made text-free at inference with SGSeg's generated report
# (SelfGuidedSegmentor): the model of ./tmca_convnext-t_minilm_qata_cov19_224x224.py is trained
# with the caption as before, and LERG (configs/_base_/models/lerg.py) learns the caption's six
# lung zones from the image beside it; validation and test read LERG's report instead of the
# caption. Beyond the SGSeg paper (which does this for the Ariadne stack only). Test the same
# checkpoint three ways with --cfg-options model.test_cfg.text_source=generated|caption|none.
_base_ = ['./tmca_convnext-t_minilm_qata_cov19_224x224.py', '../_base_/models/lerg.py']
model = _base_.self_guided
train_pipeline = _base_.train_pipeline
train_pipeline.insert(-1, _base_.location_labels)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_evaluator = _base_.report_evaluator
test_evaluator = val_evaluator
