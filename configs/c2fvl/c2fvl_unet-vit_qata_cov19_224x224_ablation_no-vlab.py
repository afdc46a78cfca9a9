# C2FVL ablation (the paper's Table 3, VLAB on/off): no VLAB on the skips (identity); the
# auxiliary heads and L_V2 then read the text-weighted skips themselves.
# Everything else as ./c2fvl_unet-vit_qata_cov19_224x224.py.
# Paper (C2FVL Table 1, the full model): Dice 83.40, IoU 74.62; Table 3's numbers are not in
# the project's notes.
_base_ = ['./c2fvl_unet-vit_qata_cov19_224x224.py']
model = dict(decode_head=dict(skip_attention=None))
