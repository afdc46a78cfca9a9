# The 3D U-Net baseline (no RA block) on the shared stacks.
_base_ = ['./ra_unet3d_covid-ct-volumes_128x128x32.py']
model = dict(backbone=dict(ra_level=None))
