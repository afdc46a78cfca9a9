# Inf-Net with an iResNet-50 encoder (Duta et al. 2020; no max-pool, every stage strided,
# stage-wise start / middle / end blocks, improved shortcut; vlseg/models/backbones/iresnet.py)
# on the COVID-19 CT slices, 352x352 (the seed's backbone study). Everything else as
# ./infnet_res2net50_covid_ct_352x352.py.
# Parameters: 30,911,401 (backbone 23,508,032, as many as ResNet-50, + head 7,403,369); no
# authors' model (their code has Res2Net, ResNet and VGG16 only).
# Protocol (InfNetMetric): Dice, Sen, Spec (TN / (TN + FP)), Spec_tool
# (0 where TP = 0, as the MATLAB tool: the one to put beside Table 2's Spec), S-measure,
# E-measure (mean), MAE, each averaged over 256 thresholds of the min-max-normalised
# probability map of S_3, then over the test slices.
# Paper (seed Table 2, iResNet): Dice .690, Sen .658, Spec .963, S .781, E .848, MAE .073.
# (Seed Table 2 evaluated 50 test slices with Inf-Net's MATLAB evaluation tool; the release has
# 48, and InfNetMetric re-implements the tool in Python, code_compat=True follows its quirks.)
# ImageNet weights: model.backbone.pretrained_path = the iduta/iresnet iresnet50.pth.
_base_ = ['./infnet_res2net50_covid_ct_352x352.py']
model = dict(backbone=dict(_delete_=True, type='IResNet', depth=50, pretrained_path=None,
                           out_indices=(0, 1, 2, 3, 4)))
