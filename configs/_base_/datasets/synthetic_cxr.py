# The embedded default: synthetic chest X-rays with QaTa-style captions, generated
# from a seed on first use (vlseg.datasets.SyntheticCXRDataset). NOT real data.
_base_ = './lesion_2d_224.py'
train_pipeline = [
    dict(type='LoadMedicalImageFromFile'),
    dict(type='LoadBinaryMask'),
    dict(type='RandomFlipWithCaption', prob=0.5),
    dict(type='PackTextSegInputs'),
]
test_pipeline = [
    dict(type='LoadMedicalImageFromFile'),
    dict(type='LoadBinaryMask'),
    dict(type='PackTextSegInputs'),
]
synthetic_dataset = dict(type='SyntheticCXRDataset', seed=0, size=128)
train_dataloader = dict(batch_size=8, dataset=dict(synthetic_dataset, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(synthetic_dataset, pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(synthetic_dataset, pipeline=test_pipeline))
