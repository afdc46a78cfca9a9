# SGSeg (Ye et al., MICCAI 2024; ShuchangYe-bib/SGSeg): the language-guided U-Net of Ariadne's
# Thread (ConvNeXt-Tiny + CXR-BERT + GuideDecoder, ./ariadne_guidedecoder.py) trained with the
# ground-truth caption, plus LERG (./lerg.py), which learns the caption's six lung zones from
# the image (BCE, 1:1 with the segmentation's Dice-CE) and writes the report that replaces
# the caption at test time (SelfGuidedSegmentor, test_cfg.text_source: 'generated' by default;
# 'caption' and 'none' give the paper's other Table 2 rows from the same checkpoint).
# The text encoder is frozen, as Ariadne's; the authors' code trains it
# (model.text_encoder.frozen=False). The authors' contrastive warm-up is an option:
#   model.contrastive_warmup = dict(iters=N, alignment=dict(type='MultiLevelAlignment',
#       levels=('pooled',), in_channels={'pooled': 768}, text_channels=768,
#       loss=dict(type='TSDMContrastiveLoss', target='identity', tau2=0.1)))
_base_ = ['./ariadne_guidedecoder.py', './lerg.py']
model = _base_.self_guided
