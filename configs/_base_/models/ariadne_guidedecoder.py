# Ariadne's Thread / LanGuideMedSeg (Zhong et al., MICCAI 2023): ConvNeXt-Tiny image
# encoder (trainable), CXR-BERT text encoder (frozen, 24 tokens, last hidden state) and the
# GuideDecoder. Weights load from local paths only:
#   ConvNeXt-Tiny ImageNet weights (timm state dict): model.backbone.pretrained_path
#   CXR-BERT folder (microsoft/BiomedVLP-CXR-BERT-specialized): model.text_encoder.model_path
data_preprocessor = dict(
    type='TextSegDataPreProcessor',
    # LanGuideMedSeg normalises each channel of each image by its own mean and std
    # (MONAI NormalizeIntensityd(channel_wise=True)).
    per_image_zscore=True,
    mean=None,
    std=None,
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=32)
model = dict(
    type='LanguageGuidedSegmentor',
    data_preprocessor=data_preprocessor,
    backbone=dict(type='TimmConvNeXt', model_name='convnext_tiny', pretrained_path=None),
    text_encoder=dict(
        type='HFTextEncoder',
        model_path='pretrained/BiomedVLP-CXR-BERT-specialized',
        trust_remote_code=True,
        frozen=True,
        max_length=24,
        hidden_layers=-1),
    decode_head=dict(
        type='GuideDecoderHead',
        in_channels=(96, 192, 384, 768),
        in_index=(0, 1, 2, 3),
        input_transform='multiple_select',
        channels=96,
        text_channels=768,
        text_length=24,
        text_lengths=(24, 12, 9),
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        # The authors' MONAI DiceCELoss(): Dice of each image (batch=False), averaged over the
        # batch, smooth 1e-5, plus CE (their pinned MONAI computed no CE for one channel; see
        # vlseg/models/decode_heads/guide_decoder_head.py).
        loss_decode=[
            dict(type='BinaryDiceLoss', loss_weight=1.0, smooth=1e-5, per_image=True),
            dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        ]),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
