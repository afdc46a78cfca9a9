# SGSeg's localization-enhanced report generator (LERG; vlseg/models/report_generators/lerg.py)
# with the paper's detector (RT-DETR-R50 sizes: ResNet-50 from timm, hidden width 256, 300
# queries, 6 decoder layers, AIFI + CCFM hybrid encoder), and how its six zone probabilities
# become the report (vlseg/text/report.py). Shared by configs/sgseg/ and the self-guided
# variants of the other language-guided methods: `model = _base_.self_guided` makes a
# language-guided model self-guided, `val_evaluator = _base_.report_evaluator` scores the
# reports too, and `_base_.location_labels` goes into the training pipeline.
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
    lerg, backbone=dict(model_name='resnet18', pretrained_path=None), hidden_dim=128,
    num_queries=30, num_decoder_layers=2, ffn_dim=256, fusion_blocks=1)
# Zones with probability >= 0.5 are reported, in SGSeg's wording of the QaTa captions; when
# none reaches it, the most probable zone (every QaTa caption names at least one).
report = dict(threshold=0.5, style='sgseg', min_zones=1)
# The report generator learns the caption's six zones: CaptionToLocationLabels in training.
location_labels = dict(type='CaptionToLocationLabels')
# A language-guided model becomes SGSeg-style self-guided: LERG beside it, its report read at
# test time (model.test_cfg.text_source: 'generated', or 'caption' / 'none').
self_guided = dict(
    type='SelfGuidedSegmentor',
    report_generator=lerg,
    report=report,
    test_cfg=dict(mode='whole', text_source='generated'))
# Segmentation scores, and the reports' zone accuracy against the captions.
report_evaluator = [dict(type='LesionMetric'), dict(type='LocationReportMetric')]
# Ours, not the paper's: LERG without a backbone of its own, reading levels 1-3 (strides
# 8/16/32) of the segmentor's ConvNeXt-Tiny encoder (SelfGuidedSegmentor report_levels), with
# the CPU preset's sizes. Use as model=dict(report_generator=lerg_on_convnext_t_cpu,
# report_levels=(1, 2, 3)).
lerg_on_convnext_t_cpu = dict(lerg_cpu, backbone=None, in_channels=(192, 384, 768))
