# Inf-Net with a Res2Net-50 (v1b 26w x 4s) encoder on the COVID-19 CT slices (Inf-Net's release:
# 50 training / 48 test slices), 352x352 as the authors. Model and every choice:
# configs/_base_/models/infnet_res2net50.py; schedule: schedule_infnet_adam_100ep.py (Adam
# 1e-4, batch 2 as the seed, 100 epochs, one step to 1e-5 at epoch 50, gradient values clipped
# at 0.5, multi-scale 0.75 / 1 / 1.25 with one step per scale).
# Edge target: MaskToEdge (Canny 10 / 150 on the resized mask, the paper) instead of the
# released Edge/ maps; method='gradient' gives the released maps (see vlseg/datasets/
# transforms/edge.py).
# Protocol (InfNetMetric): Dice, Sen, Spec (TN / (TN + FP)), Spec_tool
# (0 where TP = 0, as the MATLAB tool: the one to put beside Table 2's Spec), S-measure
# (alpha 0.5), E-measure (mean) and MAE, each averaged over 256 thresholds of the
# min-max-normalised probability map of S_3, then over the test slices.
# Paper (seed Table 2, Res2Net): Dice .713, Sen .716, Spec .952, S .781, E .867, MAE .073.
# (Seed Table 2 evaluated 50 test slices with Inf-Net's MATLAB evaluation tool; the release has
# 48, and InfNetMetric re-implements the tool in Python, code_compat=True follows its quirks.)
# ImageNet weights: set model.backbone.pretrained_path (none is downloaded).
_base_ = [
    '../_base_/models/infnet_res2net50.py', '../_base_/datasets/covid_ct.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_infnet_adam_100ep.py'
]
crop_size = (352, 352)
train_pipeline = [
    dict(type='LoadMedicalImageFromFile'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='MaskToEdge', method='canny', low_threshold=10, high_threshold=150),
    dict(type='PackTextSegInputs'),
]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
