# Inf-Net with a ResNeXt-50 (32x4d) encoder on the COVID-19 CT slices, 352x352 (the seed's
# backbone study). Everything else as ./infnet_res2net50_covid_ct_352x352.py.
# Parameters: 30,383,273 (backbone 22,979,904 + head 7,403,369); no authors' model (their code
# has Res2Net, ResNet and VGG16 only).
# Protocol (InfNetMetric): Dice, Sen, Spec (TN / (TN + FP)), Spec_tool
# (0 where TP = 0, as the MATLAB tool: the one to put beside Table 2's Spec), S-measure,
# E-measure (mean), MAE, each averaged over 256 thresholds of the min-max-normalised
# probability map of S_3, then over the test slices.
# Paper (seed Table 2, ResNeXt): Dice .711, Sen .712, Spec .954, S .798, E .866, MAE .072.
# (Seed Table 2 evaluated 50 test slices with Inf-Net's MATLAB evaluation tool; the release has
# 48, and InfNetMetric re-implements the tool in Python, code_compat=True follows its quirks.)
# ImageNet weights: model.backbone.pretrained_path = torchvision's or timm's resnext50_32x4d.
_base_ = ['./infnet_res2net50_covid_ct_352x352.py']
model = dict(backbone=dict(model_name='resnext50_32x4d'))
