"""companion's RNN, LSTM and GRU equal their torch.nn namesakes in float64: outputs,
final states and gradients, on random configurations, packed input, state_dicts and dropout."""

import random
import warnings
import zlib

import pytest
import torch

import companion
from helpers import (
    LAYERS,
    assert_same_outputs,
    assert_state_dict_moves_both_ways,
    config_id,
    generator,
    layer_config,
    layer_kwargs,
    layer_leaves,
    make_pair,
    module_call,
    packed_call,
    packed_leaves,
    randn,
    run_and_compare,
)


def sampled_configs(per_kind: int = 12, seed: int = 2024):
    """A deterministic random sample of configurations per layer kind, plus the corners
    the sample may miss: 3 bidirectional layers with every option on, and a bare one."""
    rng = random.Random(seed)
    configs = [layer_config(rng, kind) for kind in LAYERS for _ in range(per_kind)]
    for kind in LAYERS:
        configs.append(layer_config(rng, kind, num_layers=3, bidirectional=True, batch_first=True, with_hx=True,
                                    batched=True, bias=True, B=3, T=5))
        configs.append(layer_config(rng, kind, num_layers=2, bidirectional=True, batched=False, with_hx=True,
                                    bias=False, nonlinearity="relu" if kind == "RNN" else None))
        configs.append(layer_config(rng, kind, num_layers=1, bidirectional=False, batched=True, with_hx=False,
                                    T=1, B=1))
    return configs


CONFIGS = sampled_configs()


@pytest.mark.parametrize("cfg", CONFIGS, ids=config_id)
def test_layer_matches_torch_nn_outputs_final_states_and_gradients(cfg):
    gen = generator(zlib.crc32(config_id(cfg).encode()))
    torch.manual_seed(zlib.crc32(config_id(cfg).encode()))
    ref, ours = make_pair(cfg["kind"], **layer_kwargs(cfg))
    run_and_compare(ref, ours, layer_leaves(cfg, gen), module_call(cfg["kind"]), gen)


def test_sampled_configurations_cover_every_option():
    """The sample above must exercise each option both ways, or its parity tests prove less than they claim."""
    for kind in LAYERS:
        mine = [c for c in CONFIGS if c["kind"] == kind]
        for key in ("bidirectional", "batch_first", "bias", "with_hx", "batched"):
            assert {c[key] for c in mine} == {True, False}, f"{kind}: the sample never has {key}={not mine[0][key]}"
        assert {c["num_layers"] for c in mine} == {1, 2, 3}, f"{kind}: layers {sorted({c['num_layers'] for c in mine})}"
    assert {c["nonlinearity"] for c in CONFIGS if c["kind"] == "RNN"} == {"tanh", "relu"}


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("kind", LAYERS)
def test_layer_state_dict_loads_both_ways_with_same_keys_and_shapes(kind, bias):
    torch.manual_seed(zlib.crc32(f"{kind}{bias}".encode()))
    args, kwargs = (3, 4), {"num_layers": 2, "bidirectional": True, "bias": bias}
    assert_state_dict_moves_both_ways(kind, args, kwargs, randn(generator(0), 5, 2, 3))


# -- packed input --------------------------------------------------------------

PACKED_CASES = [
    # kind, num_layers, bidirectional, enforce_sorted, lengths, with_hx
    ("RNN", 1, False, False, [3, 1, 6, 2], False),
    ("RNN", 2, True, True, [6, 4, 4, 1], True),
    ("LSTM", 1, True, False, [2, 6, 1, 6, 3], True),
    ("LSTM", 3, False, True, [6, 5, 1], False),
    ("LSTM", 2, True, True, [6, 3, 1], True),
    ("GRU", 2, True, False, [1, 4, 6], True),
    ("GRU", 1, False, True, [6, 2, 2, 1], False),
    ("GRU", 3, True, False, [5, 1, 6, 2], False),
    # three bidirectional layers, unsorted, for every kind (the deep and bidirectional chapter's set-up)
    ("RNN", 3, True, False, [2, 6, 6, 1], True),
    ("LSTM", 3, True, False, [4, 1, 6, 3], False),
    ("GRU", 3, True, True, [6, 6, 3, 1], True),
]


def packed_id(case):
    kind, layers, bi, sorted_, lengths, hx = case
    return (f"{kind}-L{layers}-{'bi' if bi else 'uni'}-{'sorted' if sorted_ else 'unsorted'}"
            f"-len{'_'.join(map(str, lengths))}{'-hx' if hx else ''}")


@pytest.mark.parametrize("case", PACKED_CASES, ids=packed_id)
def test_layer_matches_torch_nn_on_packed_sequences(case):
    kind, num_layers, bidirectional, enforce_sorted, lengths, with_hx = case
    gen = generator(zlib.crc32(packed_id(case).encode()))
    torch.manual_seed(zlib.crc32(packed_id(case).encode()))
    I, H = 3, 4
    ref, ours = make_pair(kind, I, H, num_layers=num_layers, bidirectional=bidirectional)
    leaves = packed_leaves(gen, lengths, I)
    if with_hx:
        LD = num_layers * (2 if bidirectional else 1)
        leaves["h"] = randn(gen, LD, len(lengths), H)
        if kind == "LSTM":
            leaves["c"] = randn(gen, LD, len(lengths), H)
    run_and_compare(ref, ours, leaves, packed_call(kind, lengths, enforce_sorted), gen)


def test_packed_final_state_is_the_state_at_each_sequences_own_last_step():
    """Independent of torch.nn: h_n of a packed batch equals running each sequence alone, unpadded."""
    gen = generator(7)
    lengths = [4, 1, 6]
    ours = companion.GRU(3, 5, bidirectional=True).double()
    x = packed_leaves(gen, lengths, 3)["x"]
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
    _, h_n = ours(packed)
    for b, n in enumerate(lengths):
        _, h_alone = ours(x[:n, b])
        assert torch.allclose(h_n[:, b], h_alone, atol=1e-12, rtol=0), (
            f"sequence {b} (length {n}): packed h_n {h_n[:, b].tolist()} != alone {h_alone.tolist()}"
        )


# -- dropout -------------------------------------------------------------------


@pytest.mark.parametrize("kind", LAYERS)
def test_layer_with_dropout_in_eval_mode_matches_torch_nn(kind):
    gen = generator(zlib.crc32(kind.encode()))
    ref, ours = make_pair(kind, 3, 4, num_layers=3, dropout=0.5, bidirectional=True)
    ref.eval(), ours.eval()
    cfg = layer_config(random.Random(0), kind, num_layers=3, bidirectional=True, input_size=3, hidden_size=4,
                       batched=True, batch_first=False, with_hx=True)
    run_and_compare(ref, ours, layer_leaves(cfg, gen), module_call(kind), gen)


def output_in(mode: str, module, x):
    """``module``'s output on ``x`` in ``"train"`` or ``"eval"`` mode, without gradients."""
    module.train(mode == "train")
    with torch.no_grad():
        return module(x)[0]


@pytest.mark.parametrize("kind", LAYERS)
def test_layer_dropout_in_train_mode_changes_outputs_between_layers_only(kind):
    torch.manual_seed(zlib.crc32(kind.encode()))
    x = randn(generator(1), 6, 4, 3)
    deep = getattr(companion, kind)(3, 8, num_layers=2, dropout=0.5).double()
    eval_out, train_out, train_again = (output_in(mode, deep, x) for mode in ("eval", "train", "train"))
    assert (train_out - eval_out).abs().max() > 1e-3, "dropout=0.5 in train mode left the output as in eval mode"
    assert (train_out - train_again).abs().max() > 1e-3, "two train-mode passes drew the same dropout mask"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the num_layers=1 warning, tested below
        shallow = getattr(companion, kind)(3, 8, num_layers=1, dropout=0.5).double()
    assert torch.equal(output_in("train", shallow, x), output_in("eval", shallow, x)), (
        "with one layer dropout must not act: it sits between layers only"
    )


@pytest.mark.parametrize("kind", LAYERS)
def test_layer_with_dropout_one_in_train_mode_matches_torch_nn(kind):
    """p=1 zeroes every input to the upper layers, deterministically: train mode must then equal
    torch.nn exactly, which pins down where the dropout acts (after every layer but the last)."""
    ref, ours = make_pair(kind, 3, 4, num_layers=3, dropout=1.0, bidirectional=True)
    x = randn(generator(zlib.crc32(kind.encode()) + 1), 5, 2, 3)
    ref.train(), ours.train()
    with torch.no_grad():
        assert_same_outputs(ours(x), ref(x))
    changed = (output_in("train", ref, x) - output_in("eval", ref, x)).abs().max()
    assert changed > 1e-3, "dropout=1 did not change torch.nn's output, so the comparison above proves nothing"


@pytest.mark.parametrize("kind", LAYERS)
def test_dropout_with_one_layer_warns_like_torch_nn(kind):
    with pytest.warns(UserWarning, match="dropout") as ref_warning:
        getattr(torch.nn, kind)(3, 4, num_layers=1, dropout=0.3)
    with pytest.warns(UserWarning, match=r"dropout=0\.3.*num_layers=1") as ours_warning:
        getattr(companion, kind)(3, 4, num_layers=1, dropout=0.3)
    assert len(ours_warning) == len(ref_warning) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(companion, kind)(3, 4, num_layers=2, dropout=0.3)  # dropout between two layers: no warning
