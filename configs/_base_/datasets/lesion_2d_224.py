# Common pipeline and loaders of the 2D lesion datasets at 224x224.
# Dataset configs inherit this and fill in `dataset=dict(type=..., data_root=...)`.
crop_size = (224, 224)
train_pipeline = [
    dict(type='LoadMedicalImageFromFile'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackTextSegInputs'),
]
# Masks load after Resize so metrics are computed at the original resolution.
test_pipeline = [
    dict(type='LoadMedicalImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadBinaryMask'),
    dict(type='PackTextSegInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='val', pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='test', pipeline=test_pipeline))
val_evaluator = dict(type='LesionMetric')
test_evaluator = val_evaluator
