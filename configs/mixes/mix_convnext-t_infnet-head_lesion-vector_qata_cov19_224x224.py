# Mix 5: an Inf-Net head on ConvNeXt-Tiny, with text: C2FVL's lesion vector (parsed from the
# caption: sides, count, zones) weights the three shallower maps (C2FVL's Eq. 3,
# LesionVectorWeighting) before Inf-Net's PPD + reverse-attention head reads the four maps
# (96/192/384/768 at strides 4-32; the stride-4 map is its low-level edge input).
# Data, schedule and backbone: ../ariadne/ariadne_convnext-t_minilm_qata_cov19_224x224.py.
_base_ = ['../ariadne/ariadne_convnext-t_minilm_qata_cov19_224x224.py']
model = dict(
    text_encoder=dict(_delete_=True, type='LesionVectorEncoder'),
    neck=dict(type='LesionVectorWeighting', levels=(0, 1, 2)),
    # Inf-Net's head with the paper's defaults (structure + edge loss) on the four maps.
    decode_head=dict(_delete_=True, type='InfNetHead', in_channels=(96, 192, 384, 768),
                     in_index=(0, 1, 2, 3)))
train_pipeline = [
    step for step in _base_.train_pipeline if step['type'] != 'PackTextSegInputs'] + [
    dict(type='MaskToEdge', method='canny', low_threshold=10, high_threshold=150),
    dict(type='PackTextSegInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
