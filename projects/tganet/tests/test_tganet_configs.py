"""TGANet's configs: each builds, trains one step and predicts text-free at tiny shapes;
the project's registered names shadow nothing of mmseg's or mmengine's."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.utils import import_modules_from_strings
from mmseg.registry import MODELS as MMSEG_MODELS
from mmseg.registry import TRANSFORMS as MMSEG_TRANSFORMS

from vlseg.registry import MODELS, TRANSFORMS
from vlseg.utils import load_config, register_all_modules
from vlseg.utils.dummy_data import make_batch

PROJECT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(path for path in glob.glob(osp.join(PROJECT, 'configs', '*.py')))
SIZE = (32, 32)


def load(path: str):
    register_all_modules()
    cfg = load_config(path)
    import_modules_from_strings(**cfg.custom_imports)
    return cfg


def test_both_configs_exist():
    assert [osp.basename(p) for p in CONFIGS] == ['tganet_r50_kvasir_seg_256x256.py',
                                                  'tganet_r50_qata_cov19_224x224.py']


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_config_trains_and_predicts_text_free(config):
    cfg = load(config)
    assert cfg.custom_imports == dict(imports=['projects.tganet.tganet'],
                                      allow_failed_imports=False)
    assert cfg.model.backbone.model_name == 'resnet50'
    assert cfg.model.backbone.pretrained_path is None  # nothing is downloaded
    assert cfg.optim_wrapper.optimizer.type == 'Adam'
    assert cfg.optim_wrapper.optimizer.lr == 1e-4 and cfg.train_dataloader.batch_size == 16
    # Tiny inputs: the pipelines without their resizing steps.
    for loader in ('train_dataloader', 'test_dataloader'):
        cfg[loader].dataset.pipeline = [
            step for step in cfg[loader].dataset.pipeline if step['type'] != 'Resize']
    torch.manual_seed(0)
    np.random.seed(0)
    model = MODELS.build(cfg.model)
    batch = make_batch(cfg, 2, SIZE, 'train')
    assert all(s.gt_tganet_attributes.shape == (2, ) for s in batch['data_samples'])
    model.train()
    log_vars = model.train_step(batch, build_optim_wrapper(model, cfg.optim_wrapper))
    assert torch.isfinite(log_vars['loss'])
    for key in ('loss_dice', 'loss_ce', 'loss_count', 'loss_size', 'acc_count', 'acc_size'):
        assert f'decode.{key}' in log_vars
    # Text-free: the caption is never read, so an empty one predicts the same mask.
    model.eval()
    with_caption = make_batch(cfg, 1, SIZE, 'test')
    without = make_batch(cfg, 1, SIZE, 'test', caption='')
    assert without['data_samples'][0].metainfo['text'] == ''
    with torch.no_grad():
        a = model.test_step(with_caption)[0]
        b = model.test_step(without)[0]
    assert a.pred_sem_seg.data.shape[-2:] == SIZE
    torch.testing.assert_close(a.seg_logits.data, b.seg_logits.data)


def test_attributes_come_from_the_caption_on_qata_and_from_the_mask_on_kvasir():
    cfg = load(osp.join(PROJECT, 'configs', 'tganet_r50_qata_cov19_224x224.py'))
    cfg.train_dataloader.dataset.pipeline = [  # no augmentation: a known mask
        step for step in cfg.train_dataloader.dataset.pipeline
        if step['type'] not in ('RandomRotate', 'RandomFlip', 'RandomCutOut')]
    one = 'unilateral pulmonary infection, one infected area, lower left lung.'
    two = 'bilateral pulmonary infection, two infected areas, upper left lung and upper right lung.'
    # make_batch's mask, one rectangle: rows H/4..H/2, columns W/5..W/2, 7.5% of the image.
    for caption, count in ((one, 0), (two, 1)):
        batch = make_batch(cfg, 1, (40, 40), 'train', caption=caption)
        assert batch['data_samples'][0].gt_tganet_attributes.tolist() == [count, 0]
    kvasir = load(osp.join(PROJECT, 'configs', 'tganet_r50_kvasir_seg_256x256.py'))
    kvasir.train_dataloader.dataset.pipeline = [
        step for step in kvasir.train_dataloader.dataset.pipeline
        if step['type'] not in ('RandomRotate', 'RandomFlip', 'RandomCutOut')]
    # The mask's one region (the caption says "two"): one; its box is 7.5%: small.
    batch = make_batch(kvasir, 1, (40, 40), 'train', caption=two)
    assert batch['data_samples'][0].gt_tganet_attributes.tolist() == [0, 0]


def test_registered_names_shadow_nothing():
    load(CONFIGS[0])
    ours = {name: registry for registry in (MODELS, TRANSFORMS)
            for name, cls in registry.module_dict.items()
            if cls.__module__.startswith('projects.tganet')}
    assert {'TGANetHead', 'TGANetAttributeClassifier', 'TGANetAttributeEmbedding',
            'TGANetMaskAttributes', 'TGANetFeatureEnhancement', 'TGANetDecoderBlock',
            'TGANetLabelAttention', 'TGANetFeatureAggregation', 'TGANetChannelAttention',
            'TGANetSpatialAttention'} == set(ours)
    for name in ours:
        assert name.startswith('TGANet')
        for parent in (MMSEG_MODELS, MMSEG_TRANSFORMS, MMENGINE_MODELS, MMENGINE_TRANSFORMS):
            assert name not in parent.module_dict, f'{name} shadows {parent.name}'
