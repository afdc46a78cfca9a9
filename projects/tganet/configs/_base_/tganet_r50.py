# TGANet (Tomar et al., "TGANet: Text-guided attention for improved polyp segmentation",
# MICCAI 2022; code nikhilroxtomar/TGANet): ResNet-50 stem + layers 1-3 (strides 2-16; the
# authors do not use layer4), feature enhancement, an auxiliary count / size classifier
# whose probabilities weight the attribute words' embeddings (the text), label attention in
# three decoder blocks, multi-scale aggregation; one sigmoid output channel.
# Loss as the authors' train.py: Dice over the batch + BCE on the mask, CE on the count and
# on the size, all weight 1. See projects/tganet/tganet/tganet_head.py for every choice.
# ImageNet ResNet-50 weights (the authors' default, torchvision's) load from a local file
# only: model.backbone.pretrained_path=PATH (torchvision / timm key names); nothing is
# downloaded, and the default here is random initialisation.
custom_imports = dict(imports=['projects.tganet.tganet'], allow_failed_imports=False)
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='TextSegDataPreProcessor',
    # The authors divide by 255 and nothing else, on OpenCV's BGR images.
    mean=[0.0, 0.0, 0.0],
    std=[255.0, 255.0, 255.0],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=16)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(type='TimmFeatures', model_name='resnet50', pretrained_path=None,
                  out_indices=(0, 1, 2, 3)),
    decode_head=dict(
        type='TGANetHead',
        in_channels=(64, 256, 512, 1024),
        in_index=(0, 1, 2, 3),
        input_transform='multiple_select',
        channels=128,
        dilations=(6, 12, 18),
        attribute_classifier=dict(type='TGANetAttributeClassifier', reduction=8),
        attribute_embedding=dict(
            type='TGANetAttributeEmbedding',
            count_words=('one', 'multiple'),
            size_words=('small', 'medium', 'large'),
            embed_dims=300,
            out_channels=128,
            # A (5, 300) .npy of word vectors (e.g. the authors' BPEmb ones) or None for the
            # fixed random table (equivalent for the model; see attribute_embedding.py).
            embeddings_path=None,
            frozen=True),
        text_from='predicted',
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        align_corners=True,
        norm_cfg=norm_cfg,
        loss_decode=[
            dict(type='BinaryDiceLoss', per_image=False, smooth=1.0, loss_weight=1.0),
            dict(type='CrossEntropyLoss', use_sigmoid=True, avg_non_ignore=True,
                 loss_weight=1.0),
        ],
        loss_count=dict(type='CrossEntropyLoss', avg_non_ignore=True, loss_weight=1.0,
                        loss_name='loss_count'),
        loss_size=dict(type='CrossEntropyLoss', avg_non_ignore=True, loss_weight=1.0,
                       loss_name='loss_size')),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
