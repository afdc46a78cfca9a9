import importlib

import vlseg  # noqa: F401
from vlseg import registry
from vlseg.utils import register_all_modules


def test_every_registry_is_a_vlseg_child_of_mmseg():
    import mmseg.registry as mmseg_registry

    names = [name for name in registry.__all__]
    assert len(names) == 21
    for name in names:
        child = getattr(registry, name)
        assert child.scope == 'vlseg', name
        assert child.parent is getattr(mmseg_registry, name), name
        for location in child._locations:
            importlib.import_module(location)


def test_mmseg_and_vlseg_components_resolve_from_vlseg_scope():
    register_all_modules()
    assert registry.MODELS.get('UNet').__module__.startswith('mmseg')
    assert registry.MODELS.get('TextSegDataPreProcessor').__module__.startswith('vlseg')
    assert registry.METRICS.get('LesionMetric').__module__.startswith('vlseg')
    assert registry.METRICS.get('IoUMetric').__module__.startswith('mmseg')
    assert registry.TRANSFORMS.get('CaptionToLocationLabels').__module__.startswith('vlseg')
    assert registry.TRANSFORMS.get('Resize') is not None
    assert registry.HOOKS.get('FiniteLossHook').__module__.startswith('vlseg')
    assert registry.DATASETS.get('SyntheticCXRDataset').__module__.startswith('vlseg')
    head = registry.MODELS.build(dict(type='FCNHead', in_channels=4, channels=4,
                                      num_classes=2, out_channels=1, threshold=0.5))
    assert head.out_channels == 1
