"""vlseg's registries: children of mmsegmentation's, under scope ``vlseg``.

Every mmseg registry node has a child here, so that with ``default_scope='vlseg'``
a config reaches vlseg's components and, through the parent, mmseg's and
mmengine's (mmseg's ``UNet``, ``FCNHead``, ``CrossEntropyLoss``...). A vlseg
class registered under an mmseg name shadows it; ``mmseg.Name`` reaches the
original. ``locations`` list the modules to import so that look-ups find
classes before anything imported them (the parent's locations are not imported
by a child look-up).
"""
from mmengine.registry import Registry
from mmseg.registry import DATA_SAMPLERS as MMSEG_DATA_SAMPLERS
from mmseg.registry import DATASETS as MMSEG_DATASETS
from mmseg.registry import EVALUATOR as MMSEG_EVALUATOR
from mmseg.registry import HOOKS as MMSEG_HOOKS
from mmseg.registry import INFERENCERS as MMSEG_INFERENCERS
from mmseg.registry import LOG_PROCESSORS as MMSEG_LOG_PROCESSORS
from mmseg.registry import LOOPS as MMSEG_LOOPS
from mmseg.registry import METRICS as MMSEG_METRICS
from mmseg.registry import MODEL_WRAPPERS as MMSEG_MODEL_WRAPPERS
from mmseg.registry import MODELS as MMSEG_MODELS
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMSEG_OPTIM_WRAPPER_CONSTRUCTORS
from mmseg.registry import OPTIM_WRAPPERS as MMSEG_OPTIM_WRAPPERS
from mmseg.registry import OPTIMIZERS as MMSEG_OPTIMIZERS
from mmseg.registry import PARAM_SCHEDULERS as MMSEG_PARAM_SCHEDULERS
from mmseg.registry import RUNNER_CONSTRUCTORS as MMSEG_RUNNER_CONSTRUCTORS
from mmseg.registry import RUNNERS as MMSEG_RUNNERS
from mmseg.registry import TASK_UTILS as MMSEG_TASK_UTILS
from mmseg.registry import TRANSFORMS as MMSEG_TRANSFORMS
from mmseg.registry import VISBACKENDS as MMSEG_VISBACKENDS
from mmseg.registry import VISUALIZERS as MMSEG_VISUALIZERS
from mmseg.registry import WEIGHT_INITIALIZERS as MMSEG_WEIGHT_INITIALIZERS

RUNNERS = Registry('runner', parent=MMSEG_RUNNERS, scope='vlseg')
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMSEG_RUNNER_CONSTRUCTORS, scope='vlseg')
LOOPS = Registry('loop', parent=MMSEG_LOOPS, scope='vlseg')
HOOKS = Registry(
    'hook', parent=MMSEG_HOOKS, scope='vlseg',
    locations=['vlseg.engine.hooks', 'mmseg.engine.hooks'])
DATASETS = Registry(
    'dataset', parent=MMSEG_DATASETS, scope='vlseg',
    locations=['vlseg.datasets', 'mmseg.datasets'])
DATA_SAMPLERS = Registry('data sampler', parent=MMSEG_DATA_SAMPLERS, scope='vlseg')
TRANSFORMS = Registry(
    'transform', parent=MMSEG_TRANSFORMS, scope='vlseg',
    locations=['vlseg.datasets.transforms', 'mmseg.datasets.transforms'])
MODELS = Registry(
    'model', parent=MMSEG_MODELS, scope='vlseg', locations=['vlseg.models', 'mmseg.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMSEG_MODEL_WRAPPERS, scope='vlseg',
    locations=['vlseg.models', 'mmseg.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMSEG_WEIGHT_INITIALIZERS, scope='vlseg',
    locations=['vlseg.models', 'mmseg.models'])
OPTIMIZERS = Registry(
    'optimizer', parent=MMSEG_OPTIMIZERS, scope='vlseg',
    locations=['mmseg.engine.optimizers'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMSEG_OPTIM_WRAPPERS, scope='vlseg',
    locations=['mmseg.engine.optimizers'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=MMSEG_OPTIM_WRAPPER_CONSTRUCTORS, scope='vlseg',
    locations=['mmseg.engine.optimizers'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMSEG_PARAM_SCHEDULERS, scope='vlseg',
    locations=['mmseg.engine.schedulers'])
METRICS = Registry(
    'metric', parent=MMSEG_METRICS, scope='vlseg',
    locations=['vlseg.evaluation', 'mmseg.evaluation'])
EVALUATOR = Registry(
    'evaluator', parent=MMSEG_EVALUATOR, scope='vlseg',
    locations=['vlseg.evaluation', 'mmseg.evaluation'])
TASK_UTILS = Registry(
    'task util', parent=MMSEG_TASK_UTILS, scope='vlseg',
    locations=['vlseg.models', 'mmseg.models'])
VISUALIZERS = Registry(
    'visualizer', parent=MMSEG_VISUALIZERS, scope='vlseg',
    locations=['mmseg.visualization'])
VISBACKENDS = Registry(
    'vis_backend', parent=MMSEG_VISBACKENDS, scope='vlseg',
    locations=['mmseg.visualization'])
LOG_PROCESSORS = Registry(
    'log_processor', parent=MMSEG_LOG_PROCESSORS, scope='vlseg',
    locations=['mmseg.visualization'])
INFERENCERS = Registry('inferencer', parent=MMSEG_INFERENCERS, scope='vlseg',
                       locations=['vlseg.apis'])

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'DATASETS', 'DATA_SAMPLERS',
    'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'OPTIMIZERS',
    'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS',
    'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS',
    'INFERENCERS'
]
