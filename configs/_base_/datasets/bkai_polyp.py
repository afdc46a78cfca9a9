# BKAI-IGH NeoPolyp with medvlsm's prompts (anns/{train,val,test}.json).
# Set the dataset folder with --cfg-options data_root=PATH (docs/datasets.md).
_base_ = './lesion_2d_224.py'
data_root = 'data/bkai_polyp'
bkai_dataset = dict(type='BKAIPolypDataset', data_root=data_root)
train_dataloader = dict(dataset=bkai_dataset)
val_dataloader = dict(dataset=bkai_dataset)
test_dataloader = dict(dataset=bkai_dataset)
