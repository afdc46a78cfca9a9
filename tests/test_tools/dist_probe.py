"""Test-only hook for the torchrun test: each rank writes the losses it logged."""
import json
import os

from mmengine.dist import get_rank
from mmengine.hooks import Hook

from vlseg.registry import HOOKS


@HOOKS.register_module()
class RankLossProbeHook(Hook):
    priority = 'LOW'

    def __init__(self, out_dir: str):
        self.out_dir = out_dir
        self.losses = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.losses.append(float(outputs['loss']))
        os.makedirs(self.out_dir, exist_ok=True)
        with open(os.path.join(self.out_dir, f'rank{get_rank()}.json'), 'w') as file:
            json.dump(dict(losses=self.losses, world_size=runner.world_size), file)
