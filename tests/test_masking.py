"""companion.masking: padding never counts in a masked loss, and packed bidirectional layers
read each sequence within its own length (the reverse direction starts at its true end)."""

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

import companion
from companion.exercises import ExerciseError, check_lengths_to_mask, check_masked_mse, check_reverse_padded
from companion.masking import (
    lengths_to_mask,
    masked_cross_entropy,
    masked_mean,
    masked_mse,
    pad_sequences,
    reverse_padded,
)
from helpers import LAYERS, generator, randn


def random_lengths(gen, B, T):
    lengths = torch.randint(1, T + 1, (B,), generator=gen)
    lengths[0] = T  # the longest fills the padded batch
    return lengths


def test_lengths_to_mask_is_true_exactly_on_the_first_length_steps():
    gen = generator(1)
    lengths = random_lengths(gen, 6, 7)
    mask = lengths_to_mask(lengths)
    assert mask.dtype == torch.bool and mask.shape == (6, 7)
    for b, n in enumerate(lengths.tolist()):
        assert mask[b].tolist() == [True] * n + [False] * (7 - n), f"sequence {b} of length {n}: {mask[b].tolist()}"
    assert lengths_to_mask(lengths, max_len=9).shape == (6, 9)


def test_pad_sequences_pads_with_zeros_and_returns_lengths():
    gen = generator(2)
    seqs = [randn(gen, n, 3).numpy() for n in (4, 1, 6)]
    padded, lengths = pad_sequences(seqs, dtype=torch.float64)
    assert padded.shape == (3, 6, 3) and lengths.tolist() == [4, 1, 6] and lengths.dtype == torch.int64
    for b, s in enumerate(seqs):
        assert torch.equal(padded[b, : len(s)], torch.as_tensor(s))
        assert torch.all(padded[b, len(s):] == 0)


def test_pad_sequences_names_the_bad_sequence():
    with pytest.raises(ValueError, match=r"expected every sequence of shape \(T_b, 3\).*got \(2, 4\) for sequence 1"):
        pad_sequences([torch.zeros(3, 3), torch.zeros(2, 4)])


LOSSES = {
    "masked_mse": lambda p, t, m: masked_mse(p, t, m),
    "masked_mean": lambda p, t, m: masked_mean((p - t).abs(), m),
    "masked_cross_entropy": lambda p, t, m: masked_cross_entropy(p, t, m),
}


def loss_inputs(name, gen, B=5, T=7, F=3):
    """prediction (B, T, F) and target, (B, T, F) or class indices (B, T) for the cross-entropy."""
    prediction = randn(gen, B, T, F)
    if name == "masked_cross_entropy":
        target = torch.randint(0, F, (B, T), generator=gen)
    else:
        target = randn(gen, B, T, F)
    return prediction, target


def loss_and_grad(name, prediction, target, mask):
    p = prediction.clone().requires_grad_()
    loss = LOSSES[name](p, target, mask)
    loss.backward()
    return loss.detach(), p.grad


@pytest.mark.parametrize("name", LOSSES)
def test_masked_loss_and_gradients_do_not_change_when_padding_holds_garbage(name):
    gen = generator(3)
    prediction, target = loss_inputs(name, gen)
    lengths = random_lengths(gen, 5, 7)
    pad = ~lengths_to_mask(lengths)
    loss, grad = loss_and_grad(name, prediction, target, lengths)

    junk_prediction, junk_target = prediction.clone(), target.clone()
    junk_prediction[pad] = 1e6 * randn(gen, int(pad.sum()), prediction.shape[-1])
    b, t = pad.nonzero()[0].tolist()
    junk_prediction[b, t] = float("nan")  # even a NaN in the padding changes nothing
    junk_target[pad] = -1 if name == "masked_cross_entropy" else 1e6
    junk_loss, junk_grad = loss_and_grad(name, junk_prediction, junk_target, lengths)

    assert torch.equal(loss, junk_loss), f"{name}: loss {loss.item()} became {junk_loss.item()} with garbage padding"
    assert torch.equal(grad, junk_grad), f"{name}: the gradient changed with garbage padding"
    assert torch.all(grad[pad] == 0), f"{name}: padded positions get a nonzero gradient"


@pytest.mark.parametrize("name", LOSSES)
def test_masked_loss_equals_the_losses_of_unpadded_sequences_one_by_one(name):
    gen = generator(4)
    prediction, target = loss_inputs(name, gen)
    lengths = random_lengths(gen, 5, 7)
    total, count = 0.0, 0
    for b, n in enumerate(lengths.tolist()):  # reference: each sequence alone, its sum of per-step losses
        p, t = prediction[b, :n], target[b, :n]
        if name == "masked_cross_entropy":
            per_step = -torch.log_softmax(p, dim=-1).gather(1, t[:, None]).squeeze(1)
        elif name == "masked_mse":
            per_step = ((p - t) ** 2).reshape(n, -1)
        else:
            per_step = (p - t).abs().reshape(n, -1)
        total, count = total + per_step.sum(), count + per_step.numel()
    got = LOSSES[name](prediction, target, lengths)
    assert torch.allclose(got, total / count, atol=1e-12, rtol=0), f"{name}: {got.item()} != {(total / count).item()}"
    assert torch.equal(got, LOSSES[name](prediction, target, lengths_to_mask(lengths))), "a mask and lengths disagree"


def test_masked_cross_entropy_with_a_pad_id_equals_torch_ignore_index_and_a_nan_in_the_padding_changes_nothing():
    gen = generator(6)
    B, T, C, PAD = 5, 7, 4, 0
    lengths = random_lengths(gen, B, T)
    target = torch.randint(1, C, (B, T), generator=gen)
    target[~lengths_to_mask(lengths)] = PAD
    logits = randn(gen, B, T, C)
    reference = torch.nn.functional.cross_entropy(logits.reshape(-1, C), target.reshape(-1), ignore_index=PAD)
    loss, grad = loss_and_grad_ce(logits, target, pad_id=PAD)
    torch.testing.assert_close(loss, reference, rtol=0, atol=1e-12)

    poisoned = logits.clone()
    b = int(torch.nonzero(lengths < T)[0])  # a sequence with padding
    poisoned[b, int(lengths[b])] = float("nan")  # NaN logits at a padded position
    poisoned[b, -1, 0] = float("inf")
    poisoned_loss, poisoned_grad = loss_and_grad_ce(poisoned, target, pad_id=PAD)
    assert torch.isfinite(poisoned_loss) and torch.isfinite(poisoned_grad).all()
    assert torch.equal(poisoned_loss, loss) and torch.equal(poisoned_grad, grad)
    # the pad_id and an explicit mask select the same steps
    assert torch.equal(masked_cross_entropy(logits, target, lengths), loss)


def loss_and_grad_ce(logits, target, **kwargs):
    logits = logits.clone().requires_grad_()
    loss = masked_cross_entropy(logits, target, **kwargs)
    loss.backward()
    return loss.detach(), logits.grad


def test_masked_cross_entropy_rejects_all_padding_and_an_ambiguous_or_missing_mask():
    logits, target = torch.zeros(2, 3, 4), torch.zeros(2, 3, dtype=torch.long)
    with pytest.raises(ValueError, match=r"masked_cross_entropy: the mask selects no real step .*\(2, 3\)"):
        masked_cross_entropy(logits, target, pad_id=0)
    with pytest.raises(ValueError, match=r"masked_cross_entropy: the mask selects no real step"):
        masked_cross_entropy(logits, target, torch.zeros(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="give exactly one of mask .* or pad_id"):
        masked_cross_entropy(logits, target)
    with pytest.raises(ValueError, match="give exactly one of mask .* or pad_id"):
        masked_cross_entropy(logits, target, torch.tensor([3, 1]), pad_id=0)


def test_masked_mse_names_both_shapes_when_they_differ():
    with pytest.raises(ValueError, match=r"same shape, got \(2, 3, 1\) and \(2, 3\)"):
        masked_mse(torch.zeros(2, 3, 1), torch.zeros(2, 3), torch.tensor([3, 1]))


def test_lengths_must_be_positive_integers():
    with pytest.raises(ValueError, match="at least 1"):
        lengths_to_mask(torch.tensor([2, 0]))
    with pytest.raises(ValueError, match="integer"):
        lengths_to_mask(torch.tensor([2.0, 1.0]))


def test_reverse_padded_reverses_each_sequence_within_its_length_and_keeps_padding():
    gen = generator(5)
    x, lengths = randn(gen, 4, 6, 2), random_lengths(gen, 4, 6)
    got = reverse_padded(x, lengths)
    for b, n in enumerate(lengths.tolist()):
        assert torch.equal(got[b, :n], x[b, :n].flip(0)), f"sequence {b} (length {n}) not reversed"
        assert torch.equal(got[b, n:], x[b, n:]), f"sequence {b}: padding moved"
    assert torch.equal(reverse_padded(got, lengths), x), "reversing twice must give the input back"


# -- packed bidirectional layers -------------------------------------------------------------------


def one_direction_copy(layer, direction: str):
    """A one-directional, one-layer copy of ``layer``'s layer 0 in ``direction`` ("" or "_reverse")."""
    single = type(layer)(layer.input_size, layer.hidden_size, batch_first=True).double()
    single.load_state_dict({f"{k}_l0": getattr(layer, f"{k}_l0{direction}")
                            for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
    return single


@pytest.mark.parametrize("kind", LAYERS)
def test_packed_reverse_direction_equals_the_reversed_unpadded_sequence_run_alone(kind):
    gen = generator(6)
    torch.manual_seed(6)
    lengths = [3, 6, 1, 4]
    layer = getattr(companion, kind)(2, 5, batch_first=True, bidirectional=True).double()
    backward = one_direction_copy(layer, "_reverse")
    x = randn(gen, 4, 6, 2)
    out, _ = layer(pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False))
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
    for b, n in enumerate(lengths):
        alone, _ = backward(x[b : b + 1, :n].flip(1))  # the reversed sequence, no padding at all
        got = out[b, :n, 5:]
        assert torch.allclose(got, alone[0].flip(0), atol=1e-12, rtol=0), (
            f"{kind}, sequence {b} of length {n}: packed backward states differ from the reversed sequence alone "
            f"by {(got - alone[0].flip(0)).abs().max():.3g}"
        )


@pytest.mark.parametrize("kind", LAYERS)
def test_padded_input_without_packing_gives_a_different_backward_state(kind):
    """The mistake packing prevents: unpacked, the backward direction starts in the padding."""
    gen = generator(7)
    torch.manual_seed(7)
    lengths = torch.tensor([6, 2])
    layer = getattr(companion, kind)(2, 4, batch_first=True, bidirectional=True).double()
    x = randn(gen, 2, 6, 2) * lengths_to_mask(lengths)[..., None]
    h_padded = layer(x)[1]
    h_packed = layer(pack_padded_sequence(x, lengths, batch_first=True))[1]
    h_padded, h_packed = (h[0] if isinstance(h, tuple) else h for h in (h_padded, h_packed))
    assert torch.allclose(h_padded[:, 0], h_packed[:, 0], atol=1e-12), "the full-length sequence must agree"
    assert (h_padded[1, 1] - h_packed[1, 1]).abs().max() > 1e-3, "the short sequence's backward state should differ"


# -- the exercise checkers ---------------------------------------------------------------------------


def reader_masked_mse(prediction, target, lengths):
    """A reader's answer, written here from the definition (not the package's masked_mse): the sum
    of squared errors over each sequence's first ``length`` steps, over the number of values summed."""
    total, count = 0.0, 0
    for b, n in enumerate(lengths.tolist()):
        diff = prediction[b, :n] - target[b, :n]
        total, count = total + (diff ** 2).sum(), count + diff.numel()
    return total / count


def test_checkers_accept_right_answers(seeded, capsys):
    check_lengths_to_mask(lambda lengths: torch.arange(int(lengths.max()))[None, :] < lengths[:, None], seed=seeded)
    check_masked_mse(reader_masked_mse, seed=seeded)
    check_reverse_padded(lambda x, lengths: torch.stack(
        [torch.cat([x[b, :n].flip(0), x[b, n:]]) for b, n in enumerate(lengths.tolist())]), seed=seeded)
    out = capsys.readouterr().out
    for name in ("lengths_to_mask", "masked_mse", "reverse_padded"):
        assert f"{name}: correct on 5 random inputs." in out


def test_checkers_reject_wrong_answers_with_a_useful_message(seeded):
    with pytest.raises(ExerciseError, match=r"lengths_to_mask: .*expected a torch.bool tensor, got torch.float"):
        check_lengths_to_mask(lambda lengths: (torch.arange(int(lengths.max()))[None, :] < lengths[:, None]).float(),
                              seed=seeded)
    # off by one: <= instead of <. Seeds 34, 79 and 468 drew only one sequence or one step in all five
    # trials, where the two masks agree, before the checker's first draw held a shorter sequence.
    for seed in (34, 79, 468, seeded):
        with pytest.raises(ExerciseError, match=r"lengths_to_mask: wrong value"):
            check_lengths_to_mask(lambda lengths: torch.arange(int(lengths.max()))[None, :] <= lengths[:, None],
                                  seed=seed)
    with pytest.raises(ExerciseError, match=r"masked_mse: wrong value; expected .*, got .* \(trial 1"):
        check_masked_mse(lambda prediction, target, lengths: ((prediction - target) ** 2).mean(),  # counts padding
                         seed=seeded)
    with pytest.raises(ExerciseError, match=r"reverse_padded: wrong value"):
        check_reverse_padded(lambda x, lengths: x.flip(1), seed=seeded)  # reverses the padding into the sequence
