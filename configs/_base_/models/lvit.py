# LViT (Li et al., "LViT: Language meets Vision Transformer in Medical Image Segmentation",
# IEEE TMI 2023; code HUANGLIZI/LViT), the baseline C2FVL builds on:
#   - the U-Net CNN path of the hybrid encoder (HybridCNNViT(with_vit=False)) and LViT's
#     ViT path as a text-aware neck (LViTViTBranch): per-word text features enter the first
#     ViT level through Conv1d 768 -> 512 -> 256 -> 128 -> 64 and Conv1d 10 -> 196 tokens,
#     a second (up) ViT pass refines the levels deep to shallow, and every level is
#     reconstructed and added to the CNN map;
#   - text: per-word features of a frozen BERT-base-uncased (768-d, 10 words, [CLS]/[SEP]
#     dropped, word pieces averaged; WordFeatureEncoder);
#   - U-Net decoder with a pixel-level attention module (PLAM) on each skip (LViTHead);
#   - loss 0.5 Dice + 0.5 CE.
# Parameters: 29,908,033 trainable (LViT reports 29.7M, thop's count without the position
# embeddings); BERT is frozen and not counted.
# The BERT folder loads from a local path only: model.text_encoder.model_path (a copy of
# bert-base-uncased; configs/lvit/*minilm* use the embedded all-MiniLM-L6-v2 instead).
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
    # with_vit=False: HybridCNNViT without its ViT path is a plain U-Net CNN encoder (inc +
    # four max-pool + 2 x conv3x3-BN-ReLU blocks, 64-128-256-512-512; no ViT parameters).
    # LViT's ViT path, which needs the text, is the neck LViTViTBranch below.
    backbone=dict(type='HybridCNNViT', in_channels=3, base_channels=64, with_vit=False),
    text_encoder=dict(
        type='WordFeatureEncoder',
        model_path='pretrained/bert-base-uncased',
        num_words=10,
        frozen=True,
        hidden_layers=-1),
    neck=dict(
        type='LViTViTBranch',
        in_channels=(64, 128, 256, 512, 512),
        text_channels=768,
        text_length=10,
        img_size=224,
        patch_sizes=(16, 8, 4, 2),
        depth=1,
        num_heads=8,
        mlp_ratio=4.0,
        qkv_bias=True),
    decode_head=dict(
        type='LViTHead',
        in_channels=(64, 128, 256, 512, 512),
        in_index=(0, 1, 2, 3, 4),
        input_transform='multiple_select',
        channels=64,
        skip_attention=dict(type='PixelLevelAttention'),
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        loss_decode=[
            dict(type='BinaryDiceLoss', loss_weight=0.5),
            dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.5),
        ]),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
