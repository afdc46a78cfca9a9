# COVID-19 CT slices in Inf-Net's layout (50 train / 48 test, no text), 352x352 as Inf-Net.
# Inf-Net has no validation split: val reads the test slices, as the authors' code does.
# Set the dataset folder with --cfg-options data_root=PATH (docs/datasets.md).
_base_ = './lesion_2d_224.py'
data_root = 'data/covid_ct'
crop_size = (352, 352)
train_pipeline = [
    dict(type='LoadMedicalImageFromFile'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackTextSegInputs'),
]
test_pipeline = [
    dict(type='LoadMedicalImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadBinaryMask'),
    dict(type='PackTextSegInputs'),
]
covid_ct_dataset = dict(type='COVIDCTDataset', data_root=data_root)
train_dataloader = dict(dataset=dict(covid_ct_dataset, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(covid_ct_dataset, pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(covid_ct_dataset, pipeline=test_pipeline))
val_evaluator = dict(type='InfNetMetric')
test_evaluator = val_evaluator
