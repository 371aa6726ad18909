"""companion.config: the quick/full switch, pick(), the device and the seeds."""

import random

import numpy as np
import pytest
import torch

from companion import config


@pytest.fixture
def cuda(monkeypatch):
    """Set whether CUDA looks available: ``cuda(True)`` or ``cuda(False)``; MPS always absent."""
    mps = getattr(torch.backends, "mps", None)
    if mps is not None:
        monkeypatch.setattr(mps, "is_available", lambda: False)

    def set_available(available: bool):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: available)

    return set_available


@pytest.mark.parametrize("value,expected", [("quick", "quick"), ("full", "full"), (" FULL ", "full"), ("Quick", "quick")])
@pytest.mark.parametrize("has_cuda", [True, False], ids=["cuda", "no_cuda"])
def test_recurrent_mode_env_var_wins_over_the_device(value, expected, has_cuda, cuda, monkeypatch):
    cuda(has_cuda)
    monkeypatch.setenv(config.ENV_VAR, value)
    assert config.mode() == expected
    assert config.is_quick() == (expected == "quick")


@pytest.mark.parametrize("value", [None, "", "  "], ids=["unset", "empty", "blank"])
@pytest.mark.parametrize("has_cuda,expected", [(True, "full"), (False, "quick")], ids=["cuda", "no_cuda"])
def test_recurrent_mode_unset_is_full_with_cuda_and_quick_without(value, has_cuda, expected, cuda, monkeypatch):
    cuda(has_cuda)
    if value is None:
        monkeypatch.delenv(config.ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(config.ENV_VAR, value)
    assert config.mode() == expected


@pytest.mark.parametrize("value", ["fast", "1", "quick-ish"])
def test_invalid_recurrent_mode_raises_naming_the_allowed_values(value, monkeypatch):
    monkeypatch.setenv(config.ENV_VAR, value)
    with pytest.raises(ValueError) as info:
        config.mode()
    message = str(info.value)
    for part in (config.ENV_VAR, "'quick'", "'full'", repr(value)):
        assert part in message, f"message does not name {part}: {message}"
    with pytest.raises(ValueError):
        config.pick(quick=1, full=2)


@pytest.mark.parametrize("value,expected", [("quick", "small"), ("full", "large")])
def test_pick_returns_the_value_for_the_mode(value, expected, monkeypatch):
    monkeypatch.setenv(config.ENV_VAR, value)
    assert config.pick(quick="small", full="large") == expected


def test_pick_takes_keyword_arguments_only():
    with pytest.raises(TypeError):
        config.pick(1, 2)


def test_device_is_cpu_without_cuda_and_cuda_with_it(cuda):
    cuda(False)
    assert config.device() == torch.device("cpu")
    cuda(True)
    assert config.device() == torch.device("cuda")


def draw():
    return random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist(), torch.randn(2, 2).tolist()


def test_seed_everything_makes_python_numpy_and_torch_reproducible():
    config.seed_everything(123)
    first = draw()
    config.seed_everything(123)
    assert draw() == first, "the same seed gave different draws"
    config.seed_everything(124)
    assert all(a != b for a, b in zip(draw(), first)), "a different seed repeated a generator's draws"


def test_describe_names_mode_device_and_torch_version(monkeypatch):
    monkeypatch.setenv(config.ENV_VAR, "quick")
    line = config.describe()
    for part in ("mode=quick", f"device={config.device()}", f"torch={torch.__version__}"):
        assert part in line, f"{part!r} not in {line!r}"


# ----------------------------------------------------------------------------
# The run's seed: RECURRENT_SEED


@pytest.mark.parametrize("value,expected", [(None, 0), ("", 0), ("0", 0), ("7", 7), (" 12 ", 12)])
def test_seed_reads_recurrent_seed_with_default_zero(value, expected, monkeypatch):
    if value is None:
        monkeypatch.delenv(config.SEED_VAR, raising=False)
    else:
        monkeypatch.setenv(config.SEED_VAR, value)
    assert config.seed() == expected
    assert config.seeds(3) == [expected, expected + 1, expected + 2]


@pytest.mark.parametrize("value", ["-1", "1.5", "one", "0x10"])
def test_invalid_recurrent_seed_raises_naming_the_variable_and_value(value, monkeypatch):
    monkeypatch.setenv(config.SEED_VAR, value)
    with pytest.raises(ValueError) as info:
        config.seed()
    assert config.SEED_VAR in str(info.value) and repr(value) in str(info.value)


def test_seed_everything_without_argument_uses_recurrent_seed(monkeypatch):
    monkeypatch.setenv(config.SEED_VAR, "5")
    assert config.seed_everything() == 5
    from_env = draw()
    config.seed_everything(5)
    assert draw() == from_env
    monkeypatch.setenv(config.SEED_VAR, "6")
    config.seed_everything()
    assert draw() != from_env, "changing RECURRENT_SEED did not change the draws"


@pytest.mark.parametrize("bad", [-1, 1.0, True, "3"])
def test_seed_everything_rejects_what_is_not_a_non_negative_int(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        config.seed_everything(bad)


@pytest.mark.parametrize("bad", [0, -2, 2.0, None])
def test_seeds_rejects_a_count_that_is_not_a_positive_int(bad):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        config.seeds(bad)


def test_setup_seeds_sets_threads_and_prints_the_configuration(monkeypatch, capsys):
    monkeypatch.setenv(config.SEED_VAR, "4")
    monkeypatch.setenv(config.ENV_VAR, "quick")
    config.setup(threads=1)
    after_setup = draw()
    config.seed_everything(4)
    assert draw() == after_setup
    assert torch.get_num_threads() == 1
    line = capsys.readouterr().out
    for part in ("mode=quick", "seed=4", f"cpu kernels={torch.backends.cpu.get_cpu_capability()}"):
        assert part in line, f"{part!r} not in {line!r}"
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        config.setup(threads=0)
