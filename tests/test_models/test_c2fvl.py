"""C2FVL: hybrid encoder, lesion-vector weighting, VLAB, decoder head, losses."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import vlseg  # noqa: F401
from vlseg.models.backbones import HybridCNNViT
from vlseg.models.decode_heads import C2FVLHead
from vlseg.models.layers import VLAB
from vlseg.models.losses import BinaryDiceLoss, ClassBalancedBCELoss, CosineAlignmentLoss
from vlseg.models.necks import LesionVectorWeighting
from vlseg.models.text_encoders import LesionVectorEncoder
from vlseg.registry import MODELS
from vlseg.text import CaptionParseError
from vlseg.utils import register_all_modules

CAPTION = ('Bilateral pulmonary infection, two infected areas, upper left lung and lower '
           'right lung.')


def num_params(*modules) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


def test_parameters_match_the_modules_the_authors_use():
    """The authors' C2FVL builds 40.5M parameters and its forward uses 24.2M: ``inc``, the
    four ``down`` blocks, ``downVit..downVit3`` (patch + position embeddings, one block,
    and ``CTBN`` from the second level on), ``reconstruct1..4``, ``up1..up4`` with their
    VLABs (the code's spatial gate, without the unused ``conv_sig``), ``outc`` and
    ``outc2..4``. ``upVit*``, ``vlab1..4``, ``text_module*``, ``reconstruct_text*`` and
    ``process_text*`` are built but never called, and are not built here."""
    backbone = HybridCNNViT()
    head = C2FVLHead(skip_attention=dict(type='VLAB', gate='spatial'))
    total = num_params(backbone, head)
    assert abs(total - 24.2e6) / 24.2e6 < 0.02
    assert total == 24_196_088  # the sum of the modules listed above, at the authors' widths
    # Parts: encoder (CNN 9,373,824 + ViT 9,091,264 + reconstruction 351,040).
    assert num_params(backbone) == 18_816_128
    assert num_params(backbone.vit) == 9_091_264
    # The paper's channel-gate VLAB is smaller than the code's spatial gate.
    assert num_params(backbone, C2FVLHead()) < total


def test_hybrid_encoder_shapes_at_224_and_at_other_sizes():
    torch.manual_seed(0)
    backbone = HybridCNNViT().eval()
    with torch.no_grad():
        features = backbone(torch.randn(1, 3, 224, 224))
    assert [tuple(f.shape[1:]) for f in features] == [
        (64, 224, 224), (128, 112, 112), (256, 56, 56), (512, 28, 28), (512, 14, 14)]
    assert backbone.out_channels == (64, 128, 256, 512, 512)
    assert backbone.strides == (1, 2, 4, 8, 16)
    # Another multiple of 16: the position embeddings are resized to the 4 x 4 token grid.
    with torch.no_grad():
        small = backbone(torch.randn(2, 3, 64, 64))
    assert [f.shape[-1] for f in small] == [64, 32, 16, 8, 4]
    # Without the ViT path: the CNN maps alone, equal to the hybrid's un-fused maps.
    cnn = HybridCNNViT(with_vit=False).eval()
    cnn.load_state_dict(backbone.state_dict(), strict=False)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        plain, fused = cnn(x), backbone(x)
    torch.testing.assert_close(plain[4], fused[4])
    assert not torch.allclose(plain[0], fused[0])
    with pytest.raises(ValueError, match='halve'):
        HybridCNNViT(patch_sizes=(16, 8, 8, 2))


def test_lesion_vector_encoder_parses_captions():
    encoder = LesionVectorEncoder()
    text = encoder(captions=[CAPTION, 'Unilateral pulmonary infection, one infected area, '
                                      'lower right lung.', ''])
    vectors = text['vector']
    assert vectors.shape == (3, 8) and vectors.dtype == torch.float32
    # "bilateral" is a flag (the paper's Sec. 3.3): 1 for bilateral, 0 for unilateral.
    assert vectors[0].tolist() == [1.0, 2.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    assert vectors[1].tolist() == [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    assert vectors[2].tolist() == [0.0] * 8  # text-free: the zeroed vector
    with pytest.raises(TypeError, match='captions'):
        encoder(captions=CAPTION)


def test_lesion_vector_of_the_papers_example():
    """C2FVL Sec. 3.3: this sentence is [1, 2, 1, 1, 0, 0, 1, 1], through the model's text
    source (what the segmentor calls with the batch's captions)."""
    example = ('Bilateral pulmonary infection, two infected areas, upper middle left lung and '
               'middle lower right lung')
    expected = [1.0, 2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0]
    assert LesionVectorEncoder()(captions=[example])['vector'].tolist() == [expected]
    register_all_modules()
    model = MODELS.build(dict(
        type='LanguageGuidedSegmentor',
        backbone=dict(type='HybridCNNViT', base_channels=8, num_heads=2),
        text_encoder=dict(type='LesionVectorEncoder'),
        neck=dict(type='LesionVectorWeighting'),
        decode_head=dict(type='C2FVLHead', in_channels=(8, 16, 32, 64, 64), channels=8)))
    text = model.extract_text([dict(text=example), dict(text='')])
    assert text['vector'].tolist() == [expected, [0.0] * 8]


def test_lesion_vector_repeats_along_channels():
    """Channel c of every weighted map is scaled by v[c mod 8]; the bottleneck is not."""
    vector = torch.tensor([[1., 2., 3., 4., 5., 6., 7., 8.], [0., 1., 0., 1., 0., 1., 0., 1.]])
    features = tuple(torch.ones(2, c, 3, 3) for c in (16, 20, 8, 24, 12))
    weighted = LesionVectorWeighting()((features, dict(vector=vector)))
    for feature in weighted[:4]:
        for c in range(feature.shape[1]):
            for b in range(2):
                assert torch.all(feature[b, c] == vector[b, c % 8])
    torch.testing.assert_close(weighted[4], features[4])
    # Single scale: only the selected level is weighted.
    single = LesionVectorWeighting(levels=(0, ))((features, dict(vector=vector)))
    assert not torch.equal(single[0], features[0])
    assert all(torch.equal(a, b) for a, b in zip(single[1:], features[1:]))
    # The zeroed vector zeroes the weighted maps.
    zeroed = LesionVectorWeighting()((features, dict(vector=torch.zeros(2, 8))))
    assert all(float(f.abs().sum()) == 0 for f in zeroed[:4])
    with pytest.raises(KeyError, match='vector'):
        LesionVectorWeighting()((features, dict(tokens=torch.zeros(2, 3, 4))))


@pytest.mark.parametrize('gate', ['channel', 'spatial'])
def test_vlab_shapes(gate):
    torch.manual_seed(0)
    vlab = VLAB(16, gate=gate)
    x = torch.randn(2, 16, 6, 5)
    out = vlab(x)
    assert out.shape == x.shape
    weights = vlab.weights(x)
    assert weights.shape == ((2, 16, 1, 1) if gate == 'channel' else (2, 1, 6, 5))
    torch.testing.assert_close(out, weights * x)
    with pytest.raises(ValueError, match='expected'):
        vlab(torch.randn(2, 8, 6, 5))


def test_vlab_gates():
    torch.manual_seed(0)
    x = torch.randn(1, 16, 4, 4)
    # Paper (channel gate): global pooling, so the weights ignore where things are.
    channel = VLAB(16, gate='channel')
    shuffled = x.flatten(2)[..., torch.randperm(16)].reshape_as(x)
    torch.testing.assert_close(channel.weights(x), channel.weights(shuffled))
    # Code (spatial gate, no text input): one weight per pixel from that pixel alone.
    spatial = VLAB(16, gate='spatial')
    changed = x.clone()
    changed[..., 0, 0] += 1.0
    with torch.no_grad():
        difference = (spatial.weights(changed) - spatial.weights(x)).abs()[0, 0]
    assert float(difference[1:].sum() + difference[0, 1:].sum()) == 0
    # The code's parameter count: 4 C^2 + 2 C + 13 (its unused conv_sig is not built).
    assert num_params(spatial) == 4 * 16 ** 2 + 2 * 16 + 13
    assert torch.all(VLAB(16, sigmoid_gate=True).weights(x) > 0)
    with pytest.raises(ValueError, match='gate'):
        VLAB(16, gate='text')


def test_cosine_alignment_losses_on_hand_made_maps():
    p1 = torch.tensor([[1., 0.], [0., 0.]]).reshape(1, 1, 2, 2)
    ones = torch.ones(1, 1, 1, 1)
    # L_V2 (Eq. 10): alpha L_{1,4} + beta L_{1,3} + gamma L_{1,2}, P1 against the deeper
    # maps upsampled (nearest) to 2 x 2. Maps [P1, P2, P3, P4] = [p1, ones, -ones, p1]:
    # L_{1,4} = 1 - cos(p1, p1) = 0; L_{1,3} = 1 - (-1/2) = 1.5; L_{1,2} = 1 - 1/2 = 0.5.
    alpha, beta, gamma = 0.2, 0.3, 0.5
    v2 = CosineAlignmentLoss(mode='v2', weights=(alpha, beta, gamma))
    loss = v2([p1, ones, -ones, p1])
    torch.testing.assert_close(loss, torch.tensor(alpha * 0.0 + beta * 1.5 + gamma * 0.5))
    # The default weights are 0.5 each; identical (upsampled) maps align perfectly.
    coarse = torch.tensor([[2., -1.]]).reshape(1, 1, 1, 2)
    fine = F.interpolate(coarse, size=(2, 4), mode='nearest')
    torch.testing.assert_close(CosineAlignmentLoss()([fine, coarse, coarse, coarse]),
                               torch.tensor(0.0))
    # L_V1: P4 (the deepest) against the shallower maps average-pooled to its size.
    # alpha L_{4,1} + beta L_{4,2} + gamma L_{4,3} (alpha on the map farthest from the
    # reference, as Eq. 10).
    p4 = torch.ones(1, 1, 1, 1)
    v1 = CosineAlignmentLoss(mode='v1', weights=(alpha, beta, gamma))
    # down(P1) = mean = 0.25 > 0 -> cos 1; down(-P1) -> cos -1; a 2 x 2 map of mean 0 gives
    # a zero vector, cosine 0 -> distance 1.
    zero_mean = torch.tensor([[1., -1.], [1., -1.]]).reshape(1, 1, 2, 2)
    loss = v1([p1, -p1, zero_mean, p4])
    torch.testing.assert_close(loss, torch.tensor(alpha * 0.0 + beta * 2.0 + gamma * 1.0))
    # Batches average the per-image losses.
    batch = CosineAlignmentLoss(weights=(1.0, 1.0, 1.0))(
        [torch.cat([p1, p1]), torch.cat([ones, -ones]), torch.cat([ones, ones]),
         torch.cat([ones, ones])])
    torch.testing.assert_close(batch, torch.tensor(((0.5 * 3) + (1.5 + 0.5 + 0.5)) / 2))
    with pytest.raises(ValueError, match='maps'):
        v2([p1, ones])
    with pytest.raises(ValueError, match='mode'):
        CosineAlignmentLoss(mode='v3')


def test_cosine_alignment_loss_pairs_weights_as_eq_10():
    """L_V2 = alpha L_{1,4} + beta L_{1,3} + gamma L_{1,2} (Eq. 10) and L_V1 = alpha L_{4,1}
    + beta L_{4,2} + gamma L_{4,3}, with distinct weights and random maps, the expected
    value written out from ``F.cosine_similarity`` on the resampled maps."""
    torch.manual_seed(0)
    maps = [torch.randn(3, 1, 16 // 2 ** i, 16 // 2 ** i) for i in range(4)]  # P1 .. P4
    alpha, beta, gamma = 0.2, 0.3, 0.5

    def dist(a, b):  # L_{i,j}: 1 - cos of the flattened maps, per image
        return 1 - F.cosine_similarity(a.reshape(len(a), -1), b.reshape(len(b), -1), dim=1)

    p1, p2, p3, p4 = maps
    up = [F.interpolate(m, size=(16, 16), mode='nearest') for m in (p2, p3, p4)]
    expected_v2 = (alpha * dist(p1, up[2]) + beta * dist(p1, up[1])
                   + gamma * dist(p1, up[0])).mean()
    loss_v2 = CosineAlignmentLoss(mode='v2', weights=(alpha, beta, gamma))(maps)
    torch.testing.assert_close(loss_v2, expected_v2)
    # The reverse pairing (alpha with L_{1,2}) is a different number for these maps.
    reversed_v2 = (alpha * dist(p1, up[0]) + beta * dist(p1, up[1])
                   + gamma * dist(p1, up[2])).mean()
    assert abs(float(expected_v2 - reversed_v2)) > 1e-3
    down = [F.adaptive_avg_pool2d(m, (2, 2)) for m in (p1, p2, p3)]
    expected_v1 = (alpha * dist(p4, down[0]) + beta * dist(p4, down[1])
                   + gamma * dist(p4, down[2])).mean()
    loss_v1 = CosineAlignmentLoss(mode='v1', weights=(alpha, beta, gamma))(maps)
    torch.testing.assert_close(loss_v1, expected_v1)


def test_authors_data_loss():
    """The code's WeightedDiceBCE: squared-denominator Dice with 0.5 pixel weights and
    class-balanced BCE, written out here from its definition."""
    torch.manual_seed(0)
    logits = torch.randn(2, 1, 5, 6)
    target = (torch.rand(2, 5, 6) > 0.6).long()
    prob, truth = logits[:, 0].sigmoid(), target.float()
    # WeightedDiceLoss(weights=[0.5, 0.5]), smooth 1e-5, per image.
    p, t = 0.5 * prob.flatten(1), 0.5 * truth.flatten(1)
    dice = 1 - (2 * (p * t).sum(1) + 1e-5) / ((p * p).sum(1) + (t * t).sum(1) + 1e-5)
    ours = BinaryDiceLoss(squared_denominator=True, smooth=4e-5)(logits, target)
    torch.testing.assert_close(ours, dice.mean())
    # WeightedBCE(weights=[0.5, 0.5]) over the batch.
    bce = F.binary_cross_entropy(prob, truth, reduction='none')
    pos, neg = truth, 1 - truth
    expected = (0.5 * pos * bce / pos.sum() + 0.5 * neg * bce / neg.sum()).sum()
    torch.testing.assert_close(ClassBalancedBCELoss()(logits, target), expected)
    # Ignored pixels drop out of both means.
    ignored = target.clone()
    ignored[0] = 255
    expected_rest = ClassBalancedBCELoss()(logits[1:], target[1:])
    torch.testing.assert_close(ClassBalancedBCELoss()(logits, ignored), expected_rest)


def small_head(**kwargs) -> C2FVLHead:
    return C2FVLHead(in_channels=(8, 16, 32, 64, 64), channels=8, **kwargs)


def small_features(batch=2, size=32):
    generator = torch.Generator().manual_seed(0)
    return [torch.randn(batch, c, size >> i, size >> i, generator=generator)
            for i, c in enumerate((8, 16, 32, 64, 64))]


def test_head_auxiliary_maps_and_losses():
    torch.manual_seed(0)
    head = small_head()
    features = small_features()
    logits, aux = head.forward_with_aux(features)
    assert logits.shape == (2, 1, 32, 32)
    # forward (inference) skips the auxiliary maps and gives the same logits.
    assert torch.equal(head(features), logits)
    assert [tuple(a.shape) for a in aux] == [(2, 1, 32, 32), (2, 1, 16, 16), (2, 1, 8, 8),
                                             (2, 1, 4, 4)]
    torch.testing.assert_close(head(small_features()), logits)
    samples = []
    for _ in range(2):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=(torch.rand(1, 32, 32) > 0.5).long())
        samples.append(sample)
    losses = head.loss(small_features(), samples, train_cfg={})
    assert {'loss_dice', 'loss_ce', 'loss_align', 'acc_seg'} <= set(losses)
    assert all(torch.isfinite(v).all() for v in losses.values())
    # The first auxiliary map is conv_seg on the first VLAB output; deeper maps own heads.
    assert len(head.aux_heads) == 3
    # No alignment loss: no auxiliary heads, no alignment term.
    plain = small_head(alignment_loss=None)
    assert plain.aux_heads is None and plain.forward_with_aux(small_features())[1] == []
    assert 'loss_align' not in plain.loss(small_features(), samples, train_cfg={})
    # No VLAB: identity skips.
    assert all(isinstance(b.attention, torch.nn.Identity)
               for b in small_head(skip_attention=None).up_blocks)


def test_c2fvl_segmentor_uses_the_caption():
    """Through the segmentor: the caption's vector weights the skips; the zeroed vector
    (text-free caption) changes the prediction."""
    register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='LanguageGuidedSegmentor',
        backbone=dict(type='HybridCNNViT', base_channels=8, num_heads=2),
        text_encoder=dict(type='LesionVectorEncoder'),
        neck=dict(type='LesionVectorWeighting'),
        decode_head=dict(type='C2FVLHead', in_channels=(8, 16, 32, 64, 64), channels=8),
        test_cfg=dict(mode='whole'))).eval()
    x = torch.rand(1, 3, 32, 32)
    meta = dict(img_shape=(32, 32), ori_shape=(32, 32), pad_shape=(32, 32))
    with torch.no_grad():
        with_text = model.encode_decode(x, [dict(meta, text=CAPTION)])
        zeroed = model.encode_decode(x, [dict(meta, text='')])
    assert with_text.shape == (1, 1, 32, 32)
    assert not torch.allclose(with_text, zeroed)
    # A caption the lesion vector cannot be read from names the image that carries it.
    bad = 'Bilateral pulmonary infection, two infected areas.'
    metas = [dict(meta, text=CAPTION, img_path='data/a.png'),
             dict(meta, text=bad, img_path='data/b.png')]
    with pytest.raises(CaptionParseError, match=r'^data/b\.png: no lung location') as info:
        model.encode_decode(torch.rand(2, 3, 32, 32), metas)
    assert info.value.text == bad
