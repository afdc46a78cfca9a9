# QaTa-COV19 in SGSeg's release layout (images/{split}/{images,masks}, prompts/annotation.json).
# Set the dataset folder with --cfg-options data_root=PATH (docs/datasets.md).
_base_ = './lesion_2d_224.py'
data_root = 'data/qata_cov19'
qata_dataset = dict(type='QaTaCOV19Dataset', data_root=data_root, layout='sgseg')
train_dataloader = dict(dataset=qata_dataset)
val_dataloader = dict(dataset=qata_dataset)
test_dataloader = dict(dataset=qata_dataset)
