#!/usr/bin/env bash
# Install vlseg with its test requirements, lint, and run the whole test suite.
# Usage: bash tools/run_tests.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh --tests
python -m ruff check .
set +e
python -m pytest tests projects/*/tests -q -p no:cacheprovider "$@"
status=$?
set -e
if [[ $status -eq 5 ]]; then
    echo "pytest collected no tests" >&2
    exit 1
fi
exit $status
