# Inf-Net with a ResNeSt-50 encoder on the COVID-19 CT slices, 352x352 (the seed's backbone
# study). timm's resnest50d is the official ResNeSt-50 (zhanghang1989/ResNeSt resnest50: deep
# stem, average-pool shortcut, radix 2, avd); the seed names no variant, so it is assumed.
# Everything else as ./infnet_res2net50_covid_ct_352x352.py.
# Parameters: 32,837,609 (backbone 25,434,240 + head 7,403,369); no authors' model (their code
# has Res2Net, ResNet and VGG16 only).
# Protocol (InfNetMetric): Dice, Sen, Spec (TN / (TN + FP)), Spec_tool
# (0 where TP = 0, as the MATLAB tool: the one to put beside Table 2's Spec), S-measure,
# E-measure (mean), MAE, each averaged over 256 thresholds of the min-max-normalised
# probability map of S_3, then over the test slices.
# Paper (seed Table 2, ResNeSt): Dice .708, Sen .701, Spec .958, S .795, E .868, MAE .072.
# (Seed Table 2 evaluated 50 test slices with Inf-Net's MATLAB evaluation tool; the release has
# 48, and InfNetMetric re-implements the tool in Python, code_compat=True follows its quirks.)
# ImageNet weights: model.backbone.pretrained_path = timm's resnest50d state dict.
_base_ = ['./infnet_res2net50_covid_ct_352x352.py']
model = dict(backbone=dict(model_name='resnest50d'))
