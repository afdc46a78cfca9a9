# Inf-Net (Fan et al., "Inf-Net: Automatic COVID-19 Lung Infection Segmentation from CT
# Images", IEEE TMI 2020; code DengPingFan/Inf-Net) with a Res2Net-50 v1b 26w x 4s encoder:
#   - backbone levels f1..f5 (stem, stages 1-4); the head reads f2 (edge branch) and f3..f5
#     (timm 'res2net50d' = the authors' res2net50_v1b_26w_4s; TimmFeatures). f1 (the stem map)
#     is returned but read by nothing (in_index=(1, 2, 3, 4)), as in the authors' forward;
#   - RFB reduction to 32 channels, parallel partial decoder -> coarse map S_g, edge branch
#     on f2, three reverse-attention blocks with edge guidance -> S_5, S_4, S_3 (InfNetHead);
#   - loss: structure loss (BCE + IoU, both weighted by 1 + 5|avgpool31(G) - G|; the paper's
#     weighted BCE, weighted_bce=False is the authors' code) on S_g, S_5, S_4, S_3, plus the
#     edge BCE against MaskToEdge's target, all with weight 1;
#   - training as the authors: every batch at 0.75 / 1 / 1.25 of its size (rounded to a
#     multiple of 32), one optimiser step per scale (MultiScaleStepEncoderDecoder); gradient
#     clipping is in the schedule (schedule_infnet_adam_100ep.py); under a launcher
#     (tools/dist_train.sh) the model wrapper MultiScaleStepDDP keeps the per-scale steps, each
#     with synchronised gradients (mmengine's DDP wrapper would train one scale);
#   - prediction: sigmoid of S_3; the Inf-Net protocol min-max normalises it (InfNetMetric).
# Parameters: 31,072,721 (backbone 23,669,352 without the ImageNet classifier + head
# 7,403,369); the authors' model builds 33.1M, the 2,049,000 of Res2Net's unused classifier
# included (31.1M used).
# ImageNet weights (Inf-Net starts from them) load from a local file only: set
# model.backbone.pretrained_path to the timm res2net50d state dict or the Res2Net release
# res2net50_v1b_26w_4s-3cf99910.pth (same key names).
# Images: ImageNet mean/std on RGB, as the authors (torchvision Normalize). channels_last:
# measured faster here for Inf-Net's CNNs under bf16 (issue 14; docs/results.md, "Speed");
# a speed choice, results equal up to float rounding.
data_preprocessor = dict(
    type='TextSegDataPreProcessor',
    channels_last=True,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=32)
model = dict(
    type='MultiScaleStepEncoderDecoder',
    data_preprocessor=data_preprocessor,
    train_scales=(0.75, 1.0, 1.25),
    scale_divisor=32,
    label_interpolation='bilinear',
    backbone=dict(
        type='TimmFeatures', model_name='res2net50d', pretrained_path=None,
        out_indices=(0, 1, 2, 3, 4)),
    decode_head=dict(
        type='InfNetHead',
        in_channels=(256, 512, 1024, 2048),
        in_index=(1, 2, 3, 4),
        input_transform='multiple_select',
        channels=32,
        edge_channels=64,
        ra_channels=(64, 64, 256),
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        loss_decode=dict(type='StructureLoss', weighted_bce=True, loss_weight=1.0),
        loss_edge=dict(type='CrossEntropyLoss', use_sigmoid=True, avg_non_ignore=True,
                       loss_weight=1.0, loss_name='loss_edge')),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
# Used by the Runner only in distributed runs; the same DDP options as mmengine's default.
model_wrapper_cfg = dict(
    type='MultiScaleStepDDP', broadcast_buffers=False, find_unused_parameters=False)
