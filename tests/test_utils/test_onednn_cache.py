"""oneDNN's primitive cache capacity (vlseg/utils/onednn_cache.py).

oneDNN reads the capacity once per process, so each check runs in a fresh interpreter,
with ``ONEDNN_VERBOSE=profile_create``: oneDNN then prints one line per primitive it
looks up, ``cache_miss`` when it has to compile it (again).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from vlseg.utils import load_run_config, set_primitive_cache_capacity
from vlseg.utils.onednn_cache import CAPACITY_VARIABLES

REPO_ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = 'configs/quickstart/unet_s4_synthetic_cxr_128x128.py'

pytestmark = pytest.mark.skipif(not torch.backends.mkldnn.is_available(),
                                reason='this PyTorch has no oneDNN (mkldnn)')

# Four convolution shapes, run twice in turn after the capacity is set; the second round
# needs no new primitive when the cache holds all of the first round's. (Large enough for
# PyTorch to send them to oneDNN: it runs tiny convolutions itself.)
TWO_ROUNDS = """
import torch
from vlseg.utils import {call}
print('in force', {call}({call_args}), flush=True)
conv = torch.nn.Conv2d(64, 64, 3, padding=1)
with torch.no_grad():
    for round_index in range(2):
        print('@@round', round_index, flush=True)
        for size in (32, 33, 34, 35):
            conv(torch.randn(2, 64, size, size))
"""


def second_round_misses(call: str, call_args: str, **env) -> tuple[str, int, int]:
    """The capacity in force, and the primitives compiled in the first and second rounds."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in CAPACITY_VARIABLES}
    environment.update(env, ONEDNN_VERBOSE='profile_create')
    result = subprocess.run(
        [sys.executable, '-c', TWO_ROUNDS.format(call=call, call_args=call_args)],
        capture_output=True, text=True, check=True, cwd=REPO_ROOT, env=environment)
    in_force, misses, round_index = None, [0, 0], None
    for line in result.stdout.splitlines():
        if line.startswith('in force'):
            in_force = line.split()[-1]
        elif line.startswith('@@round'):
            round_index = int(line.split()[-1])
        elif round_index is not None and 'cache_miss' in line:
            misses[round_index] += 1
    return in_force, misses[0], misses[1]


def test_a_cache_smaller_than_the_step_compiles_again_and_a_large_one_does_not():
    in_force, first, second = second_round_misses('set_primitive_cache_capacity', '2')
    assert in_force == '2'
    assert first >= 4 and second >= 4  # four shapes through two entries: every one again
    in_force, first, second = second_round_misses('set_primitive_cache_capacity', '64')
    assert in_force == '64'
    assert first >= 4 and second == 0


def test_the_config_sets_it_and_a_variable_the_user_set_wins():
    config = "__import__('mmengine').Config(dict())"  # no env_cfg: the default, 4096
    in_force, _, second = second_round_misses('primitive_cache_capacity_as_configured', config)
    assert in_force == '4096' and second == 0
    config = ("__import__('mmengine').Config(dict(env_cfg=dict("
              "onednn_primitive_cache_capacity=64)))")
    in_force, _, second = second_round_misses('primitive_cache_capacity_as_configured', config,
                                              ONEDNN_PRIMITIVE_CACHE_CAPACITY='2')
    assert in_force == '2' and second >= 4


def unset_capacity_variables(monkeypatch) -> None:
    """Unset them for this test; whatever the test sets is undone after it."""
    for name in CAPACITY_VARIABLES:
        monkeypatch.setenv(name, 'placeholder')
        monkeypatch.delenv(name)


def test_train_and_test_tools_set_it_when_they_load_the_config(monkeypatch):
    """``load_run_config`` (tools/train.py, tools/test.py) through ``apply_cpu_settings``,
    from ``default_runtime.py``'s 4096, or not at all with ``None``."""
    unset_capacity_variables(monkeypatch)
    load_run_config(str(REPO_ROOT / QUICKSTART),
                    dict(env_cfg=dict(onednn_primitive_cache_capacity=None)))
    assert not any(name in os.environ for name in CAPACITY_VARIABLES)
    cfg = load_run_config(str(REPO_ROOT / QUICKSTART))
    assert cfg.env_cfg.onednn_primitive_cache_capacity == 4096
    assert os.environ[CAPACITY_VARIABLES[0]] == '4096'


def test_bad_values_are_refused(monkeypatch):
    unset_capacity_variables(monkeypatch)
    with pytest.raises(ValueError, match='must be >= 0'):
        set_primitive_cache_capacity(-1)
    assert CAPACITY_VARIABLES[0] not in os.environ
