# C2FVL (Shan et al., ICASSP 2023) on QaTa-COV19 with LViT's text, 224x224: hybrid CNN + ViT
# encoder, lesion-vector weighting of the skips at all four scales, VLAB (the paper's channel
# gate) on every skip, loss 0.5 Dice + 0.5 CE + L_V2 (Eq. 10: alpha L_{1,4} + beta L_{1,3} +
# gamma L_{1,2}, alpha = beta = gamma = 0.5).
# Model and every choice: configs/_base_/models/c2fvl.py. The lesion vector is parsed from
# each caption (its "bilateral" entry is 1 for bilateral, 0 for unilateral, as the paper's
# Sec. 3.3 example [1, 2, 1, 1, 0, 0, 1, 1]).
# Protocol: Dice and IoU averaged per image over the test split (Dice_per_image,
# IoU_per_image), as LViT and C2FVL.
# Paper (C2FVL Table 1): Dice 83.40, IoU 74.62 (also Table 3's row 4, the full model).
# Optimiser and schedule as the authors' code: Adam 1e-3, batch 4, cosine warm restarts every
# 10 epochs to 1e-4, at most 2000 epochs, early stopping after 50 epochs without improvement.
# Not reproduced: the authors' augmentation (random rot90 + flips, rotations of up to 20
# degrees), which contradicts the caption's left/right/upper/lower; none is used here.
_base_ = [
    '../_base_/models/c2fvl.py', '../_base_/datasets/qata_cov19_lvit.py',
    '../_base_/schedules/schedule_adam_cosine_restarts_2000ep.py'
]
train_dataloader = dict(batch_size=4, sampler=dict(type='DefaultSampler', shuffle=True))
