# Mix 3: Inf-Net's Res2Net-50 under Ariadne's GuideDecoder (MiniLM tokens): its four stages
# (256/512/1024/2048 at strides 4-32) take ConvNeXt-Tiny's place. Everything else is
# ../ariadne/ariadne_convnext-t_minilm_qata_cov19_224x224.py.
_base_ = ['../ariadne/ariadne_convnext-t_minilm_qata_cov19_224x224.py']
model = dict(
    backbone=dict(_delete_=True, type='TimmFeatures', model_name='res2net50d',
                  pretrained_path=None, out_indices=(1, 2, 3, 4)),
    decode_head=dict(in_channels=(256, 512, 1024, 2048), channels=256))
