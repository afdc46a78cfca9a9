# Mix 4: TMCA's multilevel contrastive alignment (MAS: TSDM at strides 8/16/32 against the
# pooled MiniLM feature) trained on Inf-Net's Res2Net-50 with Inf-Net's head (PPD + reverse
# attention, structure loss, edge loss). The head reads no text: the text shapes the image
# features through the alignment loss in training only, so inference is text-free.
# Data, schedule and 224 x 224 size: ../ariadne/ariadne_convnext-t_minilm_qata_cov19_224x224.py;
# the head and its loss: ../_base_/models/infnet_res2net50.py (one scale per step here).
_base_ = ['../ariadne/ariadne_convnext-t_minilm_qata_cov19_224x224.py']
model = dict(
    # Inf-Net normalises with ImageNet's mean and std.
    data_preprocessor=dict(per_image_zscore=False, mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], channels_last=True),
    backbone=dict(_delete_=True, type='TimmFeatures', model_name='res2net50d',
                  pretrained_path=None, out_indices=(0, 1, 2, 3, 4)),
    text_encoder=dict(hidden_layers=(-1, -2, -3), pooling='mean'),  # TMCA's text features
    # Inf-Net's head with the paper's defaults (f2..f5 = outputs 1..4, structure + edge loss).
    decode_head=dict(_delete_=True, type='InfNetHead'),
    alignment=dict(
        type='MultiLevelAlignment', levels=('s8', 's16', 's32'),
        in_channels={'s8': 512, 's16': 1024, 's32': 2048},
        feature_index={'s8': 2, 's16': 3, 's32': 4}, text_channels=384, embed_dim=None,
        loss=dict(type='TSDMContrastiveLoss', tau1=0.1, tau2=0.07, target='dice'),
        loss_weight=1.0))
# Inf-Net's edge supervision: the edge map of the resized mask.
train_pipeline = [
    step for step in _base_.train_pipeline if step['type'] != 'PackTextSegInputs'] + [
    dict(type='MaskToEdge', method='canny', low_threshold=10, high_threshold=150),
    dict(type='PackTextSegInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
