#!/usr/bin/env bash
# Install vlseg and everything it needs into the current Python environment.
# Usage: bash tools/install.sh [--tests]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}

# torch + torchvision first, as a matching pair: PyPI's torchvision fails to import
# beside the torch 2.13 CPU wheel (docs/get_started.md). Skipped when a working pair is there.
if ! "$PYTHON" -c "import torch, torchvision" >/dev/null 2>&1; then
    "$PYTHON" -m pip install "torch==${TORCH_VERSION:-2.14.1}" "torchvision==${TORCHVISION_VERSION:-0.29.1}"
fi
requirements=(-r requirements/runtime.txt -r requirements/optional.txt)
if [[ "${1:-}" == "--tests" ]]; then
    requirements+=(-r requirements/tests.txt)
fi
"$PYTHON" -m pip install "${requirements[@]}"
"$PYTHON" -m pip install --no-deps --no-build-isolation -e .
"$PYTHON" -c "import vlseg; print('vlseg', vlseg.__version__, 'installed')"
