# Inf-Net with a ResNet-50 encoder (the authors' InfNet_ResNet.py) on the COVID-19 CT slices,
# 352x352 (the seed's backbone study). Everything else as ./infnet_res2net50_covid_ct_352x352.py.
# Parameters: 30,911,401 (backbone 23,508,032 without the classifier + head 7,403,369); the
# authors' Inf_Net with ResNet has 30.9M.
# Protocol (InfNetMetric): Dice, Sen, Spec (TN / (TN + FP)), Spec_tool
# (0 where TP = 0, as the MATLAB tool: the one to put beside Table 2's Spec), S-measure,
# E-measure (mean), MAE, each averaged over 256 thresholds of the min-max-normalised
# probability map of S_3, then over the test slices.
# Paper (seed Table 2, ResNet): Dice .702, Sen .678, Spec .961, S .785, E .858, MAE .071.
# (Seed Table 2 evaluated 50 test slices with Inf-Net's MATLAB evaluation tool; the release has
# 48, and InfNetMetric re-implements the tool in Python, code_compat=True follows its quirks.)
# ImageNet weights: model.backbone.pretrained_path = torchvision's resnet50 file (as the
# authors) or timm's resnet50 state dict (same key names).
_base_ = ['./infnet_res2net50_covid_ct_352x352.py']
model = dict(backbone=dict(model_name='resnet50'))
