# 3D RA-UNet on COVID-19-CT-Seg in HU, the paper's setting: 192 x 192 x 32 patches, Adam 1e-4,
# batch 4, 70 epochs. Paper (Table 1, 16 training / 3 test volumes): DSC 0.6813 (3D U-Net 0.6641).
_base_ = [
    '../_base_/models/ra_unet3d.py', '../_base_/datasets/covid19_ct_seg.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_adam_70ep.py'
]
model = dict(backbone=dict(patch_size=_base_.patch_size))
