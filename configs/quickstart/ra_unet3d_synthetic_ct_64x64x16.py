# 3D quick start: RA-UNet on the embedded SYNTHETIC CT volumes (drawn by vlseg on first use, in
# HU; no download). A check that the 3D path trains, slides and writes NIfTI on this machine; its
# DSC is on synthetic volumes and says nothing about real CT.
_base_ = [
    '../_base_/models/ra_unet3d.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_adam_70ep.py'
]
patch_size = (64, 64, 16)
intensity = dict(type='NormalizeCTIntensity', window=(-1000, 1000))
train_pipeline = [
    dict(type='LoadNiftiVolume'),
    dict(type='LoadNiftiMask'),
    intensity,
    dict(type='RandVolumePatchCrop', patch_size=patch_size, lesion_ratio=0.5),
    dict(type='RandFlipVolume', prob=0.5, axes=(0, 1, 2)),
    dict(type='PackVolumeInputs'),
]
test_pipeline = [
    dict(type='LoadNiftiVolume'),
    dict(type='LoadNiftiMask'),
    intensity,
    dict(type='PackVolumeInputs'),
]
train_dataloader = dict(
    batch_size=2, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='SyntheticCTDataset', split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='SyntheticCTDataset', split='test', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='VolumeDiceMetric')
test_evaluator = val_evaluator
model = dict(backbone=dict(patch_size=patch_size))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_epochs=20, val_interval=10)
default_hooks = dict(logger=dict(interval=2))
