"""Every method config builds, trains one step and predicts, on tiny inputs, and keeps its
tensors on the device (a CUDA device faked on the CPU)."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from fake_cuda import cuda_fp16_autocast, fake_cuda
from mmengine.optim import build_optim_wrapper
from mmengine.utils import import_modules_from_strings

import vlseg  # noqa: F401
from vlseg.registry import MODELS
from vlseg.utils import load_config, register_all_modules
from vlseg.utils.dummy_data import make_batch

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    osp.relpath(path, REPO_ROOT)
    for pattern in ('configs/**/*.py', 'projects/*/configs/**/*.py')
    for path in glob.glob(osp.join(REPO_ROOT, pattern), recursive=True)
    if '_base_' not in path)
DATASET_BASES = sorted(
    path for path in glob.glob(osp.join(REPO_ROOT, 'configs', '_base_', 'datasets', '*.py'))
    # The common base and LanGuideMedSeg's training pipeline have no dataset type; the
    # synthetic dataset lives in a cache folder.
    if not path.endswith(('lesion_2d_224.py', 'languide_augmentation.py', 'synthetic_cxr.py')))


def _dataset(loader):
    """The dataset config of a loader, inside a RepeatDataset if there is one."""
    dataset = loader.dataset
    return dataset.dataset if dataset.type == 'RepeatDataset' else dataset


def use_tiny_text_encoder(cfg, tiny_bert: str) -> None:
    """Text models whose weights live outside the repository (CXR-BERT, BERT-base) run here
    with a random tiny BERT of the same family; the embedded default model runs as configured.
    Every text width of the model (the head's, LViT's neck's, TMCA's alignment) becomes the
    tiny BERT's."""
    encoder = cfg.model.get('text_encoder')
    if encoder and encoder.get('model_path') and not osp.isdir(encoder.model_path):
        encoder.update(model_path=tiny_bert, trust_remote_code=False)
        for part in ('neck', 'decode_head', 'alignment'):
            if cfg.model.get(part) and 'text_channels' in cfg.model[part]:
                cfg.model[part].text_channels = 32


TINY_PATCH = (32, 32, 16)


def tiny_config(config: str, tiny_bert: str) -> tuple:
    """A config set for tiny inputs, and the size of its images (H, W) or volumes (X, Y, Z).

    Images: the pipelines without their resizing steps, on 64 x 64 images. Volumes: the
    training patch shrunk to 32 x 32 x 16, on 40 x 40 x 20 volumes.
    """
    register_all_modules()
    cfg = load_config(osp.join(REPO_ROOT, config))
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    use_tiny_text_encoder(cfg, tiny_bert)
    if cfg.model.type != 'VolumeSegmentor':
        for loader in ('train_dataloader', 'test_dataloader'):
            cfg[loader].dataset.pipeline = [
                step for step in cfg[loader].dataset.pipeline if step['type'] != 'Resize']
        return cfg, (64, 64)
    for step in _dataset(cfg.train_dataloader).pipeline:
        if step['type'] == 'RandVolumePatchCrop':
            step['patch_size'] = TINY_PATCH
    cfg.model.backbone.patch_size = TINY_PATCH
    return cfg, (40, 40, 20)


def build_model(cfg) -> torch.nn.Module:
    torch.manual_seed(0)
    np.random.seed(0)  # random augmentations (e.g. TMCA's random zoom) draw from numpy
    return MODELS.build(cfg.model)


def predicted_mask(sample) -> torch.Tensor:
    """The prediction of a sample: ``pred_volume`` of a volume, ``pred_sem_seg`` of an image."""
    return sample.pred_volume if 'pred_volume' in sample else sample.pred_sem_seg.data


@pytest.mark.parametrize('config', CONFIGS)
def test_config_trains_and_predicts_one_step(config, tiny_bert):
    cfg, size = tiny_config(config, tiny_bert)
    model = build_model(cfg)
    batch = make_batch(cfg, 2, size, 'train')
    if len(size) == 3:
        assert batch['inputs'][0].shape == (1, *TINY_PATCH)
    model.train()
    log_vars = model.train_step(batch, build_optim_wrapper(model, cfg.optim_wrapper))
    assert torch.isfinite(log_vars['loss'])
    model.eval()
    with torch.no_grad():
        predictions = model.test_step(make_batch(cfg, 1, size, 'test'))
    assert predicted_mask(predictions[0]).shape == (1, *size)


@pytest.mark.parametrize('config', CONFIGS)
def test_config_runs_on_cuda_under_fp16_autocast(config, tiny_bert, monkeypatch):
    """The loss forward and a prediction of every config on a CUDA device faked on the
    CPU (``fake_cuda``: no GPU needed), under fp16 autocast as ``--amp`` runs on CUDA:
    no tensor is made on the CPU and mixed in, the losses stay fp32 and the prediction
    lands on the device. The real CUDA step is ``tests/test_tools/test_cuda_amp.py``."""
    cfg, size = tiny_config(config, tiny_bert)
    model = build_model(cfg)
    batch = make_batch(cfg, 2, size, 'train')
    test_batch = make_batch(cfg, 1, size, 'test')
    with fake_cuda(monkeypatch):
        model = model.to('cuda')
        assert {tensor.device.type for tensor in (*model.parameters(), *model.buffers())} \
            == {'cuda'}
        model.train()
        with cuda_fp16_autocast():
            losses = model(**model.data_preprocessor(batch, True), mode='loss')
        loss_terms = {name: value for name, value in losses.items() if 'loss' in name}
        assert loss_terms
        for name, value in loss_terms.items():
            assert (value.device.type, value.dtype) == ('cuda', torch.float32), name
        model.eval()
        with torch.no_grad(), cuda_fp16_autocast():
            predictions = model(**model.data_preprocessor(test_batch, False), mode='predict')
        mask = predicted_mask(predictions[0])
        assert mask.device.type == 'cuda' and mask.shape == (1, *size)


@pytest.mark.parametrize('config', CONFIGS)
def test_config_dumps_and_reloads(config, tmp_path):
    """The Runner logs ``cfg.pretty_text`` and saves the config to the work dir; both must
    give valid Python that loads back to the same settings (e.g. no keyword dict keys)."""
    cfg = load_config(osp.join(REPO_ROOT, config))
    dumped = tmp_path / osp.basename(config)
    dumped.write_text(cfg.pretty_text)
    assert load_config(str(dumped)).to_dict() == cfg.to_dict()


@pytest.mark.parametrize('config', DATASET_BASES, ids=osp.basename)
def test_dataset_configs_point_all_loaders_at_one_root(config):
    cfg = load_config(config, dict(data_root='/somewhere'))
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = _dataset(cfg[name])
        assert dataset.data_root == '/somewhere'
        assert dataset.type.endswith('Dataset')
    assert _dataset(cfg.train_dataloader).split == 'train'
    assert _dataset(cfg.test_dataloader).split == 'test'


@pytest.mark.parametrize('config', ['ariadne/ariadne_convnext-t_minilm_qata_cov19_224x224.py',
                                    'tmca/tmca_convnext-t_minilm_qata_cov19_224x224.py'])
def test_languide_random_zoom_keeps_the_input_size(config):
    """Ariadne's random zoom (MONAI RandZoomd 0.95-1.2, p = 0.1, before the resize), which TMCA
    inherits: image and mask reach the model at 224x224 alike."""
    register_all_modules()
    cfg = load_config(osp.join(REPO_ROOT, 'configs', config))
    pipeline = cfg.train_dataloader.dataset.pipeline
    types = [step['type'] for step in pipeline]
    assert types.index('RandomZoom') < types.index('Resize')
    zoom = pipeline[types.index('RandomZoom')]
    assert (zoom['min_zoom'], zoom['max_zoom'], zoom['prob']) == (0.95, 1.2, 0.1)
    zoom['prob'] = 1.0
    batch = make_batch(cfg, 2, (64, 64), 'train')
    for inputs, sample in zip(batch['inputs'], batch['data_samples']):
        assert inputs.shape[-2:] == (224, 224)
        assert sample.gt_sem_seg.data.shape[-2:] == (224, 224)


def test_infnet_schedules():
    """Inf-Net: one lr step at epoch 50 by default, the authors' compounding decay (a step
    every epoch from 50) in the authors'-code config, epochs rescaled for QaTa's loader."""
    def load(name):
        return load_config(osp.join(REPO_ROOT, 'configs', 'infnet', f'{name}.py'))

    default = load('infnet_res2net50_covid_ct_352x352')
    assert default.param_scheduler[0].milestones == [49 * 25]
    assert default.model_wrapper_cfg.type == 'MultiScaleStepDDP'
    authors = load('infnet_res2net50_covid_ct_352x352_authors-code')
    assert authors.param_scheduler[0].milestones == [epoch * 25 for epoch in range(49, 100)]
    assert authors.val_evaluator == dict(type='InfNetMetric', code_compat=True)
    qata = load('infnet_res2net50_qata_cov19_352x352')
    assert qata.iters_per_epoch == 239  # ceil(5716 / 24): the short last batch counts
    assert qata.param_scheduler[0].milestones == [49 * 239]
    assert qata.param_scheduler[0].end == qata.train_cfg.max_iters == 100 * 239
