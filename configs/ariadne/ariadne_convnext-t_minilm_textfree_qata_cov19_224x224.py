# Ablation: the offline Ariadne model trained and tested text-free (every caption dropped,
# DropCaption), to measure what the text contributes under the same budget.
_base_ = ['./ariadne_convnext-t_minilm_qata_cov19_224x224.py']
train_pipeline = [
    dict(type='LoadMedicalImageFromFile'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='DropCaption'),
    dict(type='PackTextSegInputs'),
]
test_pipeline = [
    dict(type='LoadMedicalImageFromFile'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='LoadBinaryMask'),
    dict(type='DropCaption'),
    dict(type='PackTextSegInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
