# Mix 1: C2FVL's hybrid CNN + ViT encoder under Ariadne's GuideDecoder (MiniLM tokens).
# Everything else is ../ariadne/ariadne_convnext-t_minilm_qata_cov19_224x224.py: data,
# augmentation, AdamW + cosine schedule, Dice + CE. Only the backbone and the head's view of
# it change: the GuideDecoder reads the hybrid encoder's four deeper maps (128/256/512/512
# at strides 2/4/8/16; the full-resolution 64-wide map is left out, as the GuideDecoder's
# self-attention on it would cost too much), and upsamples x2 instead of x4 to reach the
# input resolution from stride 2.
_base_ = ['../ariadne/ariadne_convnext-t_minilm_qata_cov19_224x224.py']
model = dict(
    backbone=dict(_delete_=True, type='HybridCNNViT', base_channels=64, img_size=224),
    decode_head=dict(in_channels=(128, 256, 512, 512), in_index=(1, 2, 3, 4), channels=128,
                     upsample_scale=2))
