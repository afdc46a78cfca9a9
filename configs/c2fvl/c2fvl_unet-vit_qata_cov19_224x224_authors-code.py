# C2FVL as the authors' code runs it (HUANGLIZI/C2FVL), for reproducing their numbers: the
# VLAB is the code's spatial gate (channel-mean and channel-max maps, a per-pixel MLP 1-4-1;
# no separate text input), and the data loss is the code's WeightedDiceBCE: 0.5 x Dice with
# squared denominator (per image; smooth 4e-5 = the code's 1e-5 after its 0.5 pixel weights)
# + 0.5 x class-balanced BCE (mean over lesion pixels and mean over background pixels,
# averaged), plus L_V2. Parameters: 24,196,088, the modules the authors' forward uses.
# Protocol and schedule: ./c2fvl_unet-vit_qata_cov19_224x224.py.
# Paper (C2FVL Table 1): Dice 83.40, IoU 74.62.
_base_ = ['./c2fvl_unet-vit_qata_cov19_224x224.py']
model = dict(
    decode_head=dict(
        skip_attention=dict(type='VLAB', gate='spatial'),
        loss_decode=[
            dict(type='BinaryDiceLoss', squared_denominator=True, smooth=4e-5, per_image=True,
                 loss_weight=0.5),
            dict(type='ClassBalancedBCELoss', pos_weight=0.5, neg_weight=0.5, loss_weight=0.5),
        ]))
