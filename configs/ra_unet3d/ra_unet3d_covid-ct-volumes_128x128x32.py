# 3D RA-UNet on the shared rebuilt stacks (../shared/data/covid_ct_volumes): not HU, plain
# normalisation, 128 x 128 x 32 patches inside contiguous runs, the paper's optimiser and schedule.
# Not comparable to the paper's Table 1 (other intensities, only lesion-bearing slices kept).
_base_ = [
    '../_base_/models/ra_unet3d.py', '../_base_/datasets/covid_ct_volumes.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_adam_70ep.py'
]
model = dict(backbone=dict(patch_size=_base_.patch_size))
