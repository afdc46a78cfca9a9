# Mix 2: C2FVL's vision-language alignment block (VLAB, the paper's channel gate) on every
# skip of Ariadne's GuideDecoder, as C2FVL's decoder has it on its skips. Everything else is
# ../ariadne/ariadne_convnext-t_minilm_qata_cov19_224x224.py.
_base_ = ['../ariadne/ariadne_convnext-t_minilm_qata_cov19_224x224.py']
model = dict(decode_head=dict(skip_attention=dict(type='VLAB')))
