import os.path as osp
import sys

from tool_runner import QUICKSTART, REPO_ROOT

sys.path.insert(0, osp.join(str(REPO_ROOT), 'tools', 'analysis_tools'))

import benchmark  # noqa: E402
import get_flops  # noqa: E402


def test_benchmark_reports_throughput_latency_and_memory(tmp_path):
    out = tmp_path / 'bench.json'
    figures = benchmark.main([str(REPO_ROOT / QUICKSTART), '--batch-size', '2', '--size', '64',
                              '64', '--iters', '1', '--warmup', '1', '--device', 'cpu',
                              '--out', str(out)])
    assert figures['train_images_per_s'] > 0
    assert figures['inference_ms_per_image'] > 0
    assert figures['peak_memory_mib_training'] >= figures['peak_memory_mib_inference'] > 0
    assert out.exists()


def test_get_flops_counts_parameters_and_flops():
    result = get_flops.main([str(REPO_ROOT / QUICKSTART), '--size', '64', '64'])
    assert result['gflops'] > 0
    assert result['params_m'] == result['trainable_params_m'] > 0.1


def test_benchmark_times_a_user_path_text_model_as_random_bert_base():
    """The CXR-BERT TMCA config runs here with a random BERT-base in CXR-BERT's shape."""
    config = REPO_ROOT / 'configs' / 'tmca' / 'tmca_convnext-t_cxrbert_qata_cov19_224x224.py'
    figures = benchmark.main([str(config), '--batch-size', '1', '--size', '64', '64',
                              '--iters', '1', '--warmup', '0', '--device', 'cpu',
                              '--random-bert-base'])
    assert figures['text_model'] == 'random BERT-base (CXR-BERT shape)'
    assert figures['params_m'] > 110  # ConvNeXt-T 28M + BERT-base 109M + decoder
