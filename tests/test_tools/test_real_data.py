"""Integration on the real data beside the checkout (skipped when it is absent)."""
import glob

import cv2
from tool_runner import TINY, run_tool

UNET_QATA = 'configs/unet/unet_qata_cov19_224x224.py'


def test_unet_baseline_trains_and_tests_on_real_qata(shared_data, tmp_path):
    root = shared_data / 'qata_cov19'
    options = [f'data_root={root}', *[o for o in TINY if 'num_workers' not in o],
               'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
               'val_dataloader.dataset.indices=4', 'test_dataloader.dataset.indices=4',
               'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
               'test_dataloader.num_workers=0']
    run_tool('tools/train.py', UNET_QATA, '--work-dir', str(tmp_path), '--cfg-options', *options)
    checkpoint = glob.glob(str(tmp_path / 'best_Dice_per_image_iter_2.pth'))[0]
    tested = run_tool('tools/test.py', UNET_QATA, checkpoint, '--cfg-options', *options)
    assert 'Dice_per_image' in tested.stdout + tested.stderr


def test_every_real_covid_ct_slice_loads(shared_data):
    import vlseg  # noqa: F401
    from vlseg.datasets import COVIDCTDataset

    pipeline = [dict(type='LoadMedicalImageFromFile'), dict(type='LoadBinaryMask')]
    for split, count in (('train', 50), ('test', 48)):
        dataset = COVIDCTDataset(split=split, data_root=str(shared_data / 'covid_ct'),
                                 pipeline=pipeline)
        assert len(dataset) == count
        sample = dataset[0]
        assert sample['img'].shape[2] == 3 and sample['gt_seg_map'].max() == 1
        assert cv2.imread(dataset.get_data_info(0)['img_path']) is not None
