# Kvasir-SEG with medvlsm's prompts (anns/{train,val,test}.json); caption = first non-empty prompt.
# Set the dataset folder with --cfg-options data_root=PATH (docs/datasets.md).
_base_ = './lesion_2d_224.py'
data_root = 'data/kvasir_polyp'
kvasir_dataset = dict(type='KvasirSEGDataset', data_root=data_root)
train_dataloader = dict(dataset=kvasir_dataset)
val_dataloader = dict(dataset=kvasir_dataset)
test_dataloader = dict(dataset=kvasir_dataset)
