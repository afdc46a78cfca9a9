"""Shared test set-up: offline hubs, a private cache, the repository on sys.path."""
import os
import sys
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / 'shared' / 'data'

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
sys.path.insert(0, str(REPO_ROOT))

# Before any test module imports mmseg.models: vlseg installs the mmcv-lite stand-in.
import vlseg  # noqa: E402,F401


def pytest_configure(config):
    # The synthetic dataset is generated once per test session, outside the user's cache.
    if 'VLSEG_CACHE' not in os.environ:
        import tempfile
        os.environ['VLSEG_CACHE'] = tempfile.mkdtemp(prefix='vlseg-test-cache-')


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope='session')
def shared_data() -> Path:
    """The real data beside the checkout; tests that need it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f'real data not found at {SHARED_DATA} (a clone without ../shared)')
    return SHARED_DATA


@pytest.fixture(scope='session')
def tiny_bert(tmp_path_factory) -> str:
    """A random 3-layer BERT (hidden 32) with the embedded model's tokenizer, in a folder."""
    import shutil

    from transformers import BertConfig, BertModel

    from vlseg.datasets.transforms.text import embedded_text_model_path

    source = embedded_text_model_path()
    folder = tmp_path_factory.mktemp('tiny_bert')
    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=3,
                        num_attention_heads=2, intermediate_size=37,
                        max_position_embeddings=64)
    BertModel(config).save_pretrained(folder)
    for name in ('vocab.txt', 'tokenizer.json', 'tokenizer_config.json',
                 'special_tokens_map.json'):
        shutil.copy(f'{source}/{name}', folder / name)
    return str(folder)
