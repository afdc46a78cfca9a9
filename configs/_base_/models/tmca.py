# TMCA ("target-informed multilevel contrastive alignments"; no public code): the Ariadne's
# Thread / LanGuideMedSeg model (ConvNeXt-Tiny + frozen CXR-BERT + GuideDecoder) with
#   - CXR-BERT text features = mean of the last three layers (hidden_layers=(-1, -2, -3));
#   - LTEM (language-guided target enhancement) after the first two decoder stages
#     (vlseg/models/necks/ltem.py): the paper's multiplication x * w (mode='plain'); embed_dim
#     and tau3 = 0.1 are ours (the residual form x * (1 + N w) is an option, mode='residual');
#   - MAS: the TSDM contrastive loss (Eq. 1) at strides 8, 16, 32 and on the global pooled
#     feature, L_CA = mean over the levels (vlseg/models/losses/{tsdm_loss,
#     multilevel_alignment}.py): the text projected to each level's image width, as the
#     paper (embed_dim=None; embed_dim=512 projects both sides, an option); tau1 = 0.1,
#     tau2 = 0.07 are ours.
# Training loss = L_CA + Dice + CE (the decode head's DiceCE).
# Weights load from local paths only:
#   ConvNeXt-Tiny ImageNet weights (timm state dict): model.backbone.pretrained_path
#   CXR-BERT folder (microsoft/BiomedVLP-CXR-BERT-specialized): model.text_encoder.model_path
_base_ = ['./ariadne_guidedecoder.py']
model = dict(
    text_encoder=dict(hidden_layers=(-1, -2, -3)),
    decode_head=dict(
        text_channels=768,
        # One LTEM after each decoder stage but the last; weights from the stage's input
        # (768@7, then the decoded 384@14) and the pooled text reweight the stage's output.
        ltem=dict(type='LTEM', embed_dim=256, tau=0.1, normalize=True, mode='plain',
                  source='stage_input', text_key='pooled')),
    alignment=dict(
        type='MultiLevelAlignment',
        levels=('s8', 's16', 's32', 'pooled'),
        # TimmConvNeXt outputs: maps at strides 4/8/16/32 (indices 0-3), then the global
        # vector (index 4, final LayerNorm of the pooled stride-32 map).
        in_channels={'s8': 192, 's16': 384, 's32': 768, 'pooled': 768},
        feature_index={'s4': 0, 's8': 1, 's16': 2, 's32': 3, 'pooled': 4},
        text_channels=768,
        embed_dim=None,
        loss=dict(type='TSDMContrastiveLoss', tau1=0.1, tau2=0.07, target='dice'),
        loss_weight=1.0))
