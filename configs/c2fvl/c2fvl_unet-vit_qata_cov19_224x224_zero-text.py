# C2FVL with the text vector zeroed: every caption is dropped (DropCaption), so the lesion
# vector is all zeros in training and testing. C2FVL's text weighting is multiplicative, so
# the four skips are zeroed too and only the bottleneck path reaches the decoder: this
# measures what C2FVL loses without its text, not a text-free C2FVL.
# Model, protocol and schedule: ./c2fvl_unet-vit_qata_cov19_224x224.py (Dice 83.40 with text).
_base_ = ['./c2fvl_unet-vit_qata_cov19_224x224.py']
train_pipeline = _base_.train_pipeline
train_pipeline.insert(-1, dict(type='DropCaption'))
test_pipeline = _base_.test_pipeline
test_pipeline.insert(-1, dict(type='DropCaption'))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
