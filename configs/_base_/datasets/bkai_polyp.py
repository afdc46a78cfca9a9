# BKAI-IGH NeoPolyp with medvlsm's prompts (anns/{train,val,test}.json).
# Set the dataset folder with --cfg-options data_root=PATH (docs/datasets.md).
_base_ = './lesion_2d_224.py'
data_root = 'data/bkai_polyp'
# Caption = medvlsm's p6, e.g. "five tiny, small white circle polyp, located in top right,
# center, ... of the image": count, size, colour, shape and location in one string, as in
# TMCA's polyp prompts. It was chosen by reading medvlsm's released anns/*.json (p2..p6 add
# shape, colour, size, count, location in turn; p7..p9 are 5-variant lists adding a polyp
# definition). p1 ("polyp" for every image) would give one caption for the whole dataset,
# leaving TSDM's image-to-text term constant (log B). Change prompt_key to use another prompt
# ('p9' with prompt_index=k for a variant with the definition; None for the first non-empty).
bkai_dataset = dict(type='BKAIPolypDataset', data_root=data_root, prompt_key='p6')
train_dataloader = dict(dataset=bkai_dataset)
val_dataloader = dict(dataset=bkai_dataset)
test_dataloader = dict(dataset=bkai_dataset)
