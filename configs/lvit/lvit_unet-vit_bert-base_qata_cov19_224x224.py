# LViT (Li et al., IEEE TMI 2023), the baseline of C2FVL, on QaTa-COV19 with LViT's text,
# 224x224: U-Net CNN path + text-conditioned ViT path (first level), PLAM skips, loss
# 0.5 Dice + 0.5 CE. Model and choices: configs/_base_/models/lvit.py.
# Needs a local copy of bert-base-uncased (model.text_encoder.model_path); ./*minilm* runs
# offline with the embedded all-MiniLM-L6-v2.
# Protocol: Dice and IoU averaged per image (Dice_per_image, IoU_per_image), as LViT and C2FVL.
# Paper: LViT (TMI 2023) QaTa-COV19 Dice 83.66; TMCA's Table 1 reports LViT at Dice 84.92,
# IoU 73.79.
# Optimiser and schedule as the authors' code (Config.py, train_model.py): Adam 3e-4 (their
# QaTa setting), batch 2 ("for LViT-T, 2 is better than 4"), cosine warm restarts every 10
# epochs to 1e-4, at most 2000 epochs, early stopping after 50 epochs without improvement.
# Not reproduced: the authors' rot90 / flip / rotation augmentation (it contradicts the
# caption's locations).
_base_ = [
    '../_base_/models/lvit.py', '../_base_/datasets/qata_cov19_lvit.py',
    '../_base_/schedules/schedule_adam_cosine_restarts_2000ep.py'
]
train_dataloader = dict(batch_size=2, sampler=dict(type='DefaultSampler', shuffle=True))
optim_wrapper = dict(optimizer=dict(lr=3e-4))
