# The 20 COVID-19-CT-Seg cases as rebuilt in ../shared/data/covid_ct_volumes (its README):
# images/, masks/ (NIfTI), split.json (16 train / 4 test cases), runs.csv (stretches of
# consecutive slices). Intensities are CLAHE-normalised uint8, NOT Hounsfield units: plain
# normalisation of 0-255 to [0, 1], no HU clipping. Patches of 128 x 128 x 32 (every case holds
# 128 x 128 in-plane) inside one run; runs shorter than 32 slices are padded.
data_root = 'data/covid_ct_volumes'
patch_size = (128, 128, 32)
intensity = dict(type='NormalizeCTIntensity', window=(0, 255))
# Random patches per volume in an epoch: as many as tile a case of 200 x 200 x 80 voxels
# (2 x 2 x 3), a third of them centred on a lesion.
patches_per_volume = 12
train_pipeline = [
    dict(type='LoadNiftiVolume'),
    dict(type='LoadNiftiMask'),
    intensity,
    dict(type='RandVolumePatchCrop', patch_size=patch_size, lesion_ratio=0.33),
    dict(type='RandFlipVolume', prob=0.5, axes=(0, 1, 2)),
    dict(type='PackVolumeInputs'),
]
test_pipeline = [
    dict(type='LoadNiftiVolume'),
    dict(type='LoadNiftiMask'),
    intensity,
    dict(type='PackVolumeInputs'),
]
volume_dataset = dict(type='CTVolumeDataset', layout='stacks', data_root=data_root)
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='RepeatDataset', times=patches_per_volume, dataset=dict(
        volume_dataset, split='train', pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(volume_dataset, split='test', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='VolumeDiceMetric')
test_evaluator = val_evaluator
