
import pickle
import sys

import pytest
import torch

import vlseg  # noqa: F401
from vlseg.utils import MissingCompiledOpError, mmcv_ext_is_stand_in


def test_mmseg_models_import():
    import mmseg.models  # noqa: F401
    from mmcv.ops import point_sample  # pure torch, must keep working

    grid = torch.rand(1, 3, 2)
    assert point_sample(torch.rand(1, 1, 4, 4), grid).shape == (1, 1, 3)


@pytest.mark.skipif(not mmcv_ext_is_stand_in(), reason='full mmcv with compiled ops installed')
def test_compiled_op_raises_naming_the_op():
    from mmcv.ops import nms

    with pytest.raises(MissingCompiledOpError, match="'nms'.*mmcv"):
        nms(torch.rand(3, 4), torch.rand(3), 0.5)
    ext = sys.modules['mmcv._ext']
    with pytest.raises(AttributeError):
        ext.__wrapped__
    assert ext.__spec__.name == 'mmcv._ext'


def test_history_buffer_checkpoint_loads_weights_only(tmp_path):
    from mmengine.logging import HistoryBuffer

    buffer = HistoryBuffer()
    buffer.update(0.5)
    buffer.update(0.25)
    path = tmp_path / 'ckpt.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}, 'message_hub': {'loss': buffer}}, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded['message_hub']['loss'].mean() == pytest.approx(0.375)


class _Evil:
    def __reduce__(self):
        return (print, ('pwned',))


def test_foreign_objects_stay_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': _Evil()}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)

