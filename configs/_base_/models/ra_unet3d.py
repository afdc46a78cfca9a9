# 3D RA-UNet ("Medical image segmentation of COVID-19 based on deep learning"; no public code):
# a 3D residual U-Net, 5 levels of 16-32-64-128-256 channels, 2 residual blocks per encoder level
# and 1 per decoder level, strided 3x3x3 convolutions down, trilinear up, the RA block
# (bottleneck with 3D positional self-attention) at the decoder level above the bottleneck
# (vlseg/models/backbones/res_unet3d.py says why that level), 1x1x1 output with sigmoid and the
# Dice loss (per volume). Whole volumes: sliding windows of the training patch size (the RA
# block's position terms fix it), overlap 0.5, Gaussian weighting (MONAI).
# The patch size is the dataset config's `patch_size`; method configs pass it to the backbone.
model = dict(
    type='VolumeSegmentor',
    data_preprocessor=dict(type='VolumeDataPreProcessor'),
    backbone=dict(
        type='ResUNet3D',
        in_channels=1,
        channels=(16, 32, 64, 128, 256),
        encoder_blocks=2,
        decoder_blocks=1,
        ra_level=3,
        patch_size=(192, 192, 32)),
    loss_decode=dict(type='BinaryDiceLoss', smooth=1.0, per_image=True),
    threshold=0.5,
    test_cfg=dict(overlap=0.5, sw_batch_size=1, mode='gaussian'))
