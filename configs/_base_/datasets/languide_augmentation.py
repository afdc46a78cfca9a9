# LanGuideMedSeg's training pipeline (Ariadne's Thread; authors' utils/dataset.py), which TMCA
# and SGSeg train with too: MONAI RandZoomd(min_zoom=0.95, max_zoom=1.2, prob=0.1) on the image
# before it is resized to 224x224 (vlseg/datasets/transforms/zoom.py has MONAI's semantics);
# the caption is kept. A method config inherits it beside its dataset base and sets
#   train_pipeline = _base_.languide_train_pipeline
languide_train_pipeline = [
    dict(type='LoadMedicalImageFromFile'),
    dict(type='LoadBinaryMask'),
    dict(type='RandomZoom', min_zoom=0.95, max_zoom=1.2, prob=0.1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='PackTextSegInputs'),
]
