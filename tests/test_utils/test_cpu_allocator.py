"""Freed CPU memory kept for reuse (vlseg/utils/cpu_allocator.py).

Each check runs in a fresh interpreter: the setting is process-wide and cannot be undone,
and the page-fault counts must not see the test runner's own allocations.
"""
import subprocess
import sys
from pathlib import Path

import pytest

from vlseg.utils.cpu_allocator import mallopt_available

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not mallopt_available(),
    reason='mallopt is glibc\'s: elsewhere retain_freed_memory returns False')

# Five "steps", each allocating, writing and freeing tensors of 48, 16, 32 and 8 MiB as a
# training step does its activations; prints the minor page faults of each step. The first
# step faults its pages in; later ones reuse them only if freed blocks stay in the process.
# (A freed block is not reused at once for the same size: torch asks for 64-byte-aligned
# memory, and glibc 2.36's memalign then needs a little more than the block; after a step
# or two the freed blocks have merged and every later step fits.)
FAULTS_PER_STEP = """
import resource, torch
from vlseg.utils import {call}
print('applied', {call}({call_args}))
faults = []
for _ in range(5):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    activations = [torch.empty(mib * 2**18).fill_(1.0) for mib in (48, 16, 32, 8)]
    del activations
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(*faults)
"""


def faults_per_step(call: str, call_args: str) -> tuple[bool, int, int]:
    """Whether the call applied, and the page faults of the first and of the last step."""
    result = subprocess.run(
        [sys.executable, '-c', FAULTS_PER_STEP.format(call=call, call_args=call_args)],
        capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    applied_line, faults_line = result.stdout.strip().splitlines()[-2:]
    faults = list(map(int, faults_line.split()))
    return applied_line == 'applied True', faults[0], faults[-1]


def test_freed_activations_are_reused_without_page_faults():
    applied, first, last = faults_per_step('retain_freed_memory', '')
    assert applied
    assert first > 6000  # 104 MiB faulted in (26,624 pages of 4 KiB, fewer if huge pages)
    assert last < first / 10, (first, last)


def test_without_it_glibc_gives_the_block_back_and_faults_it_in_again():
    applied, first, last = faults_per_step('retain_freed_memory', 'enabled=False')
    assert not applied
    assert last > first / 2, (first, last)  # the 48 and 32 MiB blocks at least


def test_the_config_switch_and_its_default():
    config = "__import__('mmengine').Config(dict(env_cfg=dict(retain_freed_memory=False)))"
    applied, _, last_off = faults_per_step('retain_freed_memory_as_configured', config)
    assert not applied and last_off > 6000
    applied, _, last_default = faults_per_step(
        'retain_freed_memory_as_configured', "__import__('mmengine').Config(dict())")
    assert applied and last_default < last_off / 10


def test_the_tools_runtime_base_turns_it_on():
    from vlseg.utils import load_config

    cfg = load_config(str(REPO_ROOT / 'configs/_base_/default_runtime.py'))
    assert cfg.env_cfg.retain_freed_memory is True


def test_train_and_test_tools_apply_it_when_they_load_the_config():
    """``load_run_config`` (tools/train.py, tools/test.py) applies the config's switch."""
    check = ("from vlseg.utils import cpu_allocator, load_run_config; "
             "load_run_config('configs/quickstart/unet_s4_synthetic_cxr_128x128.py'{options}); "
             "print(cpu_allocator._retained)")
    for options, expected in (('', 'True'),
                              (", dict(env_cfg=dict(retain_freed_memory=False))", 'False')):
        result = subprocess.run([sys.executable, '-c', check.format(options=options)],
                                capture_output=True, text=True, check=True, cwd=REPO_ROOT)
        assert result.stdout.strip().splitlines()[-1] == expected
