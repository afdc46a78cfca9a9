# Ablation: the offline Ariadne model trained and tested text-free (every caption dropped,
# DropCaption), to measure what the text contributes under the same budget.
_base_ = ['./ariadne_convnext-t_minilm_qata_cov19_224x224.py']
train_pipeline = _base_.train_pipeline
train_pipeline.insert(-1, dict(type='DropCaption'))
test_pipeline = _base_.test_pipeline
test_pipeline.insert(-1, dict(type='DropCaption'))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
