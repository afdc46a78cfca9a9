"""Set-up of TGANet's own tests (``python -m pytest projects/tganet/tests``), the same as
vlseg's ``tests/conftest.py``: offline hubs, a private cache, the repository on sys.path,
and vlseg imported before anything imports mmseg.models."""
import os
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('VLSEG_CACHE', tempfile.mkdtemp(prefix='vlseg-tganet-test-cache-'))
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import projects.tganet.tganet  # noqa: E402,F401  (registers the project's components)
import vlseg  # noqa: E402,F401  (the stack fixes, before mmseg.models is imported)
