# SGSeg's localization-enhanced report generator (LERG; vlseg/models/report_generators/lerg.py)
# with the paper's detector (RT-DETR-R50 sizes: ResNet-50 from timm, hidden width 256, 300
# queries, 6 decoder layers, AIFI + CCFM hybrid encoder), and how its six zone probabilities
# become the report (vlseg/text/report.py). Shared by configs/sgseg/ and the self-guided
# variants of the other language-guided methods, which put it in their model as
#   model = dict(type='SelfGuidedSegmentor', report_generator=_base_.lerg, report=_base_.report)
# ResNet-50 ImageNet weights load from a local path only: lerg.backbone.pretrained_path.
lerg = dict(
    type='LERG',
    backbone=dict(model_name='resnet50', pretrained_path=None),
    hidden_dim=256,
    num_queries=300,
    num_decoder_layers=6,
    num_heads=8,
    ffn_dim=1024,
    num_encoder_layers=1,
    loss_weight=1.0)
# A smaller detector for CPU budgets (ours, LERG_CPU_PRESET): ResNet-18, width 128, 30 queries,
# 2 decoder layers, one fusion block per CCFM stage.
lerg_cpu = dict(
    type='LERG',
    backbone=dict(model_name='resnet18', pretrained_path=None),
    hidden_dim=128,
    num_queries=30,
    num_decoder_layers=2,
    num_heads=8,
    ffn_dim=256,
    num_encoder_layers=1,
    fusion_blocks=1,
    loss_weight=1.0)
# Zones with probability >= 0.5 are reported, in SGSeg's wording of the QaTa captions; when
# none reaches it, the most probable zone (every QaTa caption names at least one).
report = dict(threshold=0.5, style='sgseg', min_zones=1)
# The report generator learns the caption's six zones: CaptionToLocationLabels in training.
location_labels = dict(type='CaptionToLocationLabels')
