# The paper's baseline: the same 3D residual U-Net without the RA block. Paper DSC 0.6641.
_base_ = ['./ra_unet3d_covid19-ct-seg_192x192x32.py']
model = dict(backbone=dict(ra_level=None))
