# Inf-Net with a VGG16 encoder on the COVID-19 CT slices, 352x352 (the seed's backbone study):
# the authors' InfNet_VGGNet.py taps, block 2 (128 channels, stride 2) for the edge branch and
# blocks 3-5 (256 / 512 / 512, strides 4 / 8 / 16) for RFB and reverse attention.
# Max-pooling between blocks (VGG16; the authors' B2_VGG average-pools: pool='avg').
# Everything else as ./infnet_res2net50_covid_ct_352x352.py.
# Parameters: 21,298,857 (VGG16 conv blocks 14,714,688 + head 6,584,169); the authors' model
# builds 34.3M with an unused second copy of blocks 4-5 (12,979,200) and uses 21.3M.
# Protocol (InfNetMetric): Dice, Sen, Spec (TN / (TN + FP)), Spec_tool
# (0 where TP = 0, as the MATLAB tool: the one to put beside Table 2's Spec), S-measure,
# E-measure (mean), MAE, each averaged over 256 thresholds of the min-max-normalised
# probability map of S_3, then over the test slices.
# Paper (seed Table 2, VGG16): Dice .733, Sen .699, Spec .966, S .782, E .893, MAE .063.
# (Seed Table 2 evaluated 50 test slices with Inf-Net's MATLAB evaluation tool; the release has
# 48, and InfNetMetric re-implements the tool in Python, code_compat=True follows its quirks.)
# ImageNet weights: model.backbone.pretrained_path = torchvision's vgg16-397923af.pth (as the
# authors) or timm's vgg16 state dict.
_base_ = ['./infnet_res2net50_covid_ct_352x352.py']
model = dict(
    backbone=dict(_delete_=True, type='TimmVGG', model_name='vgg16', pretrained_path=None,
                  out_indices=(0, 1, 2, 3, 4), pool='max'),
    decode_head=dict(in_channels=(128, 256, 512, 512)))
