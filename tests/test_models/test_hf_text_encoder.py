
import pytest
import torch
from fake_cuda import fake_cuda

import vlseg  # noqa: F401
from vlseg.models.text_encoders import HFTextEncoder
from vlseg.registry import MODELS

CAPTIONS = [
    'Bilateral pulmonary infection, two infected areas, upper left lung and upper right lung.',
    'Unilateral pulmonary infection, one infected area, lower left lung.',
    '',
]
def count_model_calls(encoder):
    """Record the batch size of every call of the wrapped Hugging Face model."""
    calls = []
    forward = encoder.model.forward

    def counting(*args, **kwargs):
        calls.append(kwargs['input_ids'].shape[0])
        return forward(*args, **kwargs)

    encoder.model.forward = counting
    return calls


def test_shapes_and_registry(tiny_bert):
    encoder = MODELS.build(dict(type='HFTextEncoder', model_path=tiny_bert, max_length=16))
    assert isinstance(encoder, HFTextEncoder) and encoder.out_channels == 32
    out = encoder(captions=CAPTIONS)
    assert out['tokens'].shape == (3, 16, 32) and out['tokens'].dtype == torch.float32
    assert out['mask'].shape == (3, 16) and out['pooled'].shape == (3, 32)
    # The empty caption (text-free mode) keeps only [CLS] and [SEP].
    assert out['mask'][2].sum().item() == 2
    # 'cls' pooling is the first token.
    torch.testing.assert_close(out['pooled'], out['tokens'][:, 0])


def test_hidden_layer_average_and_mean_pooling(tiny_bert):
    encoder = HFTextEncoder(tiny_bert, hidden_layers=(-1, -2, -3), pooling='mean',
                            cache_size=0)
    ids, mask = encoder.tokenize(CAPTIONS)
    out = encoder(CAPTIONS)
    with torch.no_grad():
        states = encoder.model(input_ids=ids, attention_mask=mask,
                               output_hidden_states=True).hidden_states
    assert len(states) == 4  # embeddings + 3 layers
    expected = (states[-1] + states[-2] + states[-3]) / 3
    torch.testing.assert_close(out['tokens'], expected)
    # The mean runs over the kept tokens only.
    for row in range(len(CAPTIONS)):
        kept = mask[row].bool()
        torch.testing.assert_close(out['pooled'][row], expected[row][kept].mean(0))
    assert not torch.allclose(out['pooled'][2], expected[2].mean(0))  # padding is excluded
    with pytest.raises(ValueError, match='hidden_layers'):
        HFTextEncoder(tiny_bert, hidden_layers=4)
    with pytest.raises(ValueError, match='pooling'):
        HFTextEncoder(tiny_bert, pooling='max')


def test_frozen_no_grad_and_eval_after_train(tiny_bert):
    encoder = HFTextEncoder(tiny_bert)
    assert not any(p.requires_grad for p in encoder.parameters())
    encoder.train()
    assert encoder.training and not encoder.model.training
    assert not any(m.training for m in encoder.model.modules())
    out = encoder(captions=CAPTIONS)
    assert not out['tokens'].requires_grad and not out['pooled'].requires_grad
    # init_weights (the segmentor calls it) keeps the pretrained weights.
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    encoder.init_weights()
    assert all(torch.equal(before[k], v) for k, v in encoder.state_dict().items())


def test_cache_hits_only_misses_computed_and_equal_to_uncached(tiny_bert):
    encoder = HFTextEncoder(tiny_bert, hidden_layers=(-1, -2), pooling='mean')
    uncached = HFTextEncoder(tiny_bert, hidden_layers=(-1, -2), pooling='mean', cache_size=0)
    calls = count_model_calls(encoder)
    a, b, empty = CAPTIONS
    first = encoder(captions=[a, b, a, empty])
    assert calls == [3]  # 'a' once
    assert encoder.cache_info() == dict(hits=1, misses=3, size=3)
    second = encoder(captions=[b, a, empty, a])
    assert calls == [3]  # all from the cache
    assert encoder.cache_info() == dict(hits=5, misses=3, size=3)
    third = encoder(captions=[a, 'Unilateral pulmonary infection, one infected area.'])
    assert calls == [3, 1]  # only the new caption
    assert encoder.cache_info() == dict(hits=6, misses=4, size=4)
    for captions, out in (([a, b, a, empty], first), ([b, a, empty, a], second),
                          ([a, 'Unilateral pulmonary infection, one infected area.'], third)):
        ref = uncached(captions=captions)
        for key in ('tokens', 'pooled'):
            torch.testing.assert_close(out[key], ref[key], rtol=1e-5, atol=1e-5)
        assert torch.equal(out['mask'], ref['mask'])
    assert uncached.cache_info()['size'] == 0
    # An entry is moved (once, in place) to the device of the batch that asks for it.
    moved = encoder._cache.fetch(a, torch.device('meta'))
    assert all(t.device.type == 'meta' for t in moved) and encoder._cache[a] is moved
    encoder.clear_cache()
    assert encoder.cache_info() == dict(hits=0, misses=0, size=0)


def test_cache_is_bounded_and_token_checked(tiny_bert):
    encoder = HFTextEncoder(tiny_bert, cache_size=2)
    calls = count_model_calls(encoder)
    a, b, empty = CAPTIONS
    encoder(captions=[a])
    encoder(captions=[b])
    encoder(captions=[a])  # hit: 'a' becomes the most recent
    encoder(captions=[empty])  # evicts 'b'
    assert encoder.cache_info()['size'] == 2 and calls == [1, 1, 1]
    encoder(captions=[b])
    assert calls == [1, 1, 1, 1]
    # Other token ids under a cached caption (another max_length) are recomputed.
    encoder.max_length = 12
    out = encoder(captions=[b])
    assert out['tokens'].shape == (1, 12, 32) and calls[-1] == 1 and len(calls) == 5


def test_trainable_gradients_and_no_cache(tiny_bert):
    encoder = HFTextEncoder(tiny_bert, frozen=False, hidden_layers=(-1, -2, -3))
    encoder.train()
    assert encoder.model.training
    out = encoder(captions=CAPTIONS)
    (out['tokens'].sum() + out['pooled'].sum()).backward()
    used = [p for p in encoder.parameters() if p.requires_grad]
    assert used and all(p.grad is not None for p in used)
    # BERT's pooler never reaches the features: frozen so that DDP accepts the model.
    assert not encoder.model.pooler.dense.weight.requires_grad
    encoder(captions=CAPTIONS)
    assert encoder.cache_info() == dict(hits=0, misses=0, size=0)


def test_missing_folder_names_the_path(tmp_path):
    missing = tmp_path / 'BiomedVLP-CXR-BERT-specialized'
    with pytest.raises(FileNotFoundError, match='BiomedVLP-CXR-BERT-specialized') as error:
        HFTextEncoder(str(missing))
    assert str(missing) in str(error.value)


def test_embedded_model():
    encoder = HFTextEncoder()
    assert encoder.out_channels == 384
    a, b, _ = CAPTIONS
    out = encoder(captions=[a, b, a])
    assert out['tokens'].shape == (3, 24, 384) and out['pooled'].shape == (3, 384)
    assert torch.equal(out['pooled'][0], out['pooled'][2])
    assert not torch.allclose(out['pooled'][0], out['pooled'][1], atol=1e-3)


def test_switching_modes_on_a_gpu_fetches_no_hub_kernels(tiny_bert, monkeypatch):
    """transformers 5 swaps BERT's GELU for a Hugging Face Hub kernel on a GPU whenever the
    model is set to eval (inference mode) after training, fetching it then (offline: an
    error). The encoder loads its model without Hub kernels: on a CUDA device faked on the
    CPU with a Hopper GPU's compute capability (9.0) and the Hub offline, training,
    evaluating and encoding work."""
    encoder = HFTextEncoder(tiny_bert, max_length=16, frozen=False, cache_size=0)
    monkeypatch.setattr(torch.cuda, 'get_device_capability', lambda device=None: (9, 0))
    with fake_cuda(monkeypatch):
        encoder = encoder.to('cuda')
        encoder.train()
        encoder.eval()
        out = encoder(captions=CAPTIONS)
    assert out['tokens'].device.type == 'cuda' and out['tokens'].shape == (3, 16, 32)
