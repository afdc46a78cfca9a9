# COVID-19-CT-Seg (Ma et al., Zenodo 3757476), the 20 CT volumes the 3D RA-UNet seed uses, in the
# release layout: ct_scans/*.nii[.gz] and infection_mask/*.nii[.gz], in Hounsfield units.
# Set the dataset folder with --cfg-options data_root=PATH (docs/datasets.md).
# Intensities: clipped to [-1000, 1000] HU, then mapped to [0, 1] (the paper).
# The paper's split (16 training / 3 test volumes) is not published: by default the 4 test
# cases of ../shared/data/covid_ct_volumes (split.json, by source case), so that both layouts
# test the same patients; pass train_dataloader.dataset.cases=[...] for another.
_base_ = './covid_ct_volumes.py'
data_root = 'data/covid19_ct_seg'
patch_size = (192, 192, 32)
test_cases = ['coronacases_009', 'coronacases_010', 'radiopaedia_4_85506_1',
              'radiopaedia_7_85703_0']
train_cases = [f'coronacases_{i:03d}' for i in range(1, 9)] + [
    'radiopaedia_10_85902_1', 'radiopaedia_10_85902_3', 'radiopaedia_14_85914_0',
    'radiopaedia_27_86410_0', 'radiopaedia_29_86490_1', 'radiopaedia_29_86491_1',
    'radiopaedia_36_86526_0', 'radiopaedia_40_86625_0']
# The release's radiopaedia volumes are not in HU: its authors stored them lung-windowed,
# [-1250, 250] HU -> 0-255; they are mapped back to HU before the window.
intensity = dict(type='NormalizeCTIntensity', window=(-1000, 1000),
                 stored_ranges={'radiopaedia': (-1250, 250)})
# The paper crops the 512 x 512 x 301 volumes into 192 x 192 x 32 patches; an epoch here draws
# as many random patches per volume as that tiling has (3 x 3 x 10 = 90), a third of them
# centred on a lesion (nnU-Net's oversampling; the paper does not say how it sampled).
patches_per_volume = 90
# The shared stacks' pipelines (./covid_ct_volumes.py) with this window and patch size.
train_pipeline = [
    intensity if step['type'] == 'NormalizeCTIntensity' else
    dict(step, patch_size=patch_size) if step['type'] == 'RandVolumePatchCrop' else step
    for step in _base_.train_pipeline]
test_pipeline = [intensity if step['type'] == 'NormalizeCTIntensity' else step
                 for step in _base_.test_pipeline]
volume_dataset = dict(type='CTVolumeDataset', layout='covid19_ct_seg', data_root=data_root)
train_dataloader = dict(dataset=dict(times=patches_per_volume, dataset=dict(
    volume_dataset, cases=train_cases, pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(volume_dataset, cases=test_cases, pipeline=test_pipeline))
test_dataloader = val_dataloader
