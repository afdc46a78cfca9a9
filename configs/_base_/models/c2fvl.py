# C2FVL (Shan et al., "Coarse-to-Fine COVID-19 Segmentation via Vision-Language Alignment",
# ICASSP 2023; code HUANGLIZI/C2FVL):
#   - CNN + ViT hybrid encoder, U-Net width 64, ViT levels at 224/112/56/28 with patches
#     16/8/4/2 (196 tokens each), depth 1, 8 heads, MLP ratio 4; each ViT output reconstructed
#     (upsample, conv1x1, BN, ReLU) and added to the CNN map (Eq. 1-2; HybridCNNViT);
#   - text: the caption's 8-dim lesion vector [bilateral (1 bilateral / 0 unilateral, as the
#     paper's Sec. 3.3 example), count, L-upper, L-middle, L-lower, R-upper, R-middle,
#     R-lower] (LesionVectorEncoder), repeated along the channels (channel c scaled by
#     v[c mod 8]) and multiplying the four skips (Eq. 3; LesionVectorWeighting);
#   - U-Net decoder with a VLAB on each skip (Eq. 4-6; the paper's channel gate, the
#     authors' code has a text-free spatial gate: gate='spatial') and 1x1 auxiliary heads on
#     the VLAB outputs (C2FVLHead);
#   - loss 0.5 Dice + 0.5 CE + L_V2 (Eq. 9-10: alpha L_{1,4} + beta L_{1,3} + gamma L_{1,2},
#     alpha = beta = gamma = 0.5).
# Parameters: 23.5M with the paper's VLAB; 24,196,088 with the code's (the parameters the
# authors' forward uses; their class builds 40.5M).
# Images are scaled to [0, 1] and not normalised, as the authors (ToTensor on cv2 images).
# channels_last: measured faster here for this U-Net-ViT hybrid (issue 14; docs/results.md,
# "Speed"), in bf16 most of all; a speed choice, results equal up to float rounding.
data_preprocessor = dict(
    type='TextSegDataPreProcessor',
    channels_last=True,
    mean=[0.0, 0.0, 0.0],
    std=[255.0, 255.0, 255.0],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=16)
model = dict(
    type='LanguageGuidedSegmentor',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='HybridCNNViT',
        in_channels=3,
        base_channels=64,
        with_vit=True,
        img_size=224,
        patch_sizes=(16, 8, 4, 2),
        depth=1,
        num_heads=8,
        mlp_ratio=4.0,
        qkv_bias=True),
    text_encoder=dict(type='LesionVectorEncoder'),
    neck=dict(type='LesionVectorWeighting', levels=(0, 1, 2, 3), text_key='vector'),
    decode_head=dict(
        type='C2FVLHead',
        in_channels=(64, 128, 256, 512, 512),
        in_index=(0, 1, 2, 3, 4),
        input_transform='multiple_select',
        channels=64,
        skip_attention=dict(type='VLAB', gate='channel', reduction=2),
        alignment_loss=dict(type='CosineAlignmentLoss', mode='v2', weights=(0.5, 0.5, 0.5),
                            loss_weight=1.0),
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        loss_decode=[
            dict(type='BinaryDiceLoss', loss_weight=0.5),
            dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.5),
        ]),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
