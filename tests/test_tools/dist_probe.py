"""Test-only hooks for the torchrun tests: each rank writes what it saw in training."""
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


@HOOKS.register_module()
class MultiScaleStepProbeHook(Hook):
    """Each rank writes, per iteration: the optimiser's step count, the input sizes the
    backbone saw, a checksum of its images, and checksums of the parameters (equal across
    ranks only if every step's gradients were synchronised)."""
    priority = 'LOW'

    def __init__(self, out_dir: str):
        self.out_dir = out_dir
        self.record = dict(steps=[], sizes=[], images=[], checksums=[])
        self._sizes = []

    def before_train(self, runner):
        self.record['wrapper'] = type(runner.model).__name__
        module = getattr(runner.model, 'module', runner.model)
        module.backbone.register_forward_pre_hook(
            lambda _, args: self._sizes.append(int(args[0].shape[-1])))

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        optimizer = runner.optim_wrapper.optimizer
        self.record['steps'].append(sorted({int(s['step']) for s in optimizer.state.values()}))
        self.record['sizes'].append(self._sizes)
        self._sizes = []
        self.record['images'].append(float(sum(x.float().sum() for x in data_batch['inputs'])))
        params = [p.detach().double() for p in runner.model.parameters()]
        self.record['checksums'].append([float(sum(p.sum() for p in params)),
                                         float(sum((p * p).sum() for p in params))])
        self.record['world_size'] = runner.world_size
        os.makedirs(self.out_dir, exist_ok=True)
        with open(os.path.join(self.out_dir, f'multi_scale_rank{get_rank()}.json'), 'w') as file:
            json.dump(self.record, file)
