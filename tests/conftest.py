"""Shared test set-up: offline hubs, a private cache, the repository on sys.path."""
import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / 'shared' / 'data'

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
sys.path.insert(0, str(REPO_ROOT))


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
