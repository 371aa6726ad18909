"""Variational dropout (companion.regularise) and weight decay in fit, against independent
references: torch.nn.LSTM with copied weights, torch.nn.LSTMCell stepped by hand, the mask read
back from the gradient, and an L2 penalty written into the loss."""

import itertools

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from companion.exercises import ExerciseError, check_early_stopping, check_same_mask_dropout
from companion.models import SequenceClassifier
from companion.regularise import VariationalLSTM, variational_classifier, variational_mask
from companion.train import fit
from helpers import generator, randn


def twin(layer: VariationalLSTM) -> nn.LSTM:
    """torch.nn.LSTM with the layer's weights (float64)."""
    ref = nn.LSTM(layer.input_size, layer.hidden_size, num_layers=layer.num_layers, batch_first=layer.batch_first,
                  bidirectional=layer.bidirectional).double()
    ref.load_state_dict(layer.state_dict())
    return ref


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_in_evaluation_mode_it_is_torch_nn_lstm_exactly(bidirectional):
    torch.manual_seed(0)
    layer = VariationalLSTM(3, 5, num_layers=2, batch_first=True, bidirectional=bidirectional, dropout=0.5,
                            recurrent_dropout=0.5).double().eval()
    ref = twin(layer)
    x = randn(generator(1), 4, 7, 3)
    (out, (h, c)), (r_out, (r_h, r_c)) = layer(x), ref(x)
    assert torch.allclose(out, r_out, atol=1e-12, rtol=0) and torch.allclose(h, r_h, atol=1e-12, rtol=0)
    assert torch.allclose(c, r_c, atol=1e-12, rtol=0)
    # packed input of several lengths too
    lengths = torch.tensor([7, 3, 5, 1])
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    (_, (h, _)), (_, (r_h, _)) = layer(packed), ref(packed)
    assert torch.allclose(h, r_h, atol=1e-12, rtol=0)


def test_in_training_mode_with_zero_probabilities_it_is_torch_nn_lstm():
    layer = VariationalLSTM(3, 4, num_layers=2).double().train()
    x = randn(generator(2), 6, 2, 3)
    assert torch.allclose(layer(x)[0], twin(layer)(x)[0], atol=1e-12, rtol=0)


def test_the_input_mask_is_the_same_at_every_step_and_scaled_by_one_over_keep():
    p = 0.5
    torch.manual_seed(3)
    layer = VariationalLSTM(6, 4, dropout=p).double().train()
    x = randn(generator(4), 9, 5, 6).requires_grad_()
    out, _ = layer(x)
    out.sum().backward()
    kept = x.grad != 0  # (T, B, I): an input unit dropped at a step gets no gradient there
    assert torch.equal(kept, kept[:1].expand_as(kept)), "the input mask changes between time steps"
    mask = kept[0].double()  # (B, I), read back from the gradient
    assert 0 < mask.mean() < 1, "the test needs some dropped and some kept units"
    assert not torch.equal(mask[0], mask[1]), "each sequence should have a mask of its own"
    reference, _ = twin(layer)(x.detach() * mask / (1 - p))
    assert torch.allclose(out, reference, atol=1e-12, rtol=0)


def test_the_recurrent_mask_is_the_same_at_every_step():
    """A hand recursion with torch.nn.LSTMCell and one fixed mask per sequence reproduces every
    step; exactly one of the 2^H candidate masks does, and it drops some units."""
    p, H = 0.5, 3
    torch.manual_seed(5)
    layer = VariationalLSTM(2, H, recurrent_dropout=p).double().train()
    x = randn(generator(6), 8, 4, 2)
    out, _ = layer(x)
    cell = nn.LSTMCell(2, H).double()
    cell.load_state_dict({"weight_ih": layer.weight_ih_l0, "weight_hh": layer.weight_hh_l0,
                          "bias_ih": layer.bias_ih_l0, "bias_hh": layer.bias_hh_l0})
    found = []
    with torch.no_grad():
        for b in range(x.shape[1]):
            matches = []
            for bits in itertools.product([0.0, 1.0], repeat=H):
                m = torch.tensor(bits, dtype=torch.float64) / (1 - p)
                h = c = torch.zeros(1, H, dtype=torch.float64)
                steps = []
                for t in range(x.shape[0]):
                    h, c = cell(x[t, b : b + 1], (h * m, c))  # only the h that meets W_hh is masked
                    steps.append(h[0])
                if torch.allclose(torch.stack(steps), out[:, b], atol=1e-12, rtol=0):
                    matches.append(bits)
            assert len(matches) == 1, f"sequence {b}: {len(matches)} fixed masks reproduce the output, expected one"
            found.append(matches[0])
    kept = sum(sum(bits) for bits in found)
    assert 0 < kept < len(found) * H, "the test needs some dropped and some kept units"


def test_the_mask_preserves_the_expected_value_and_drops_a_fraction_p():
    p = 0.3
    torch.manual_seed(7)
    like = torch.zeros((), dtype=torch.float64)
    m = variational_mask((2000, 50), p, like=like)  # 100,000 units: the standard error of the mean is 0.002
    values = set(torch.unique(m).tolist())
    assert values == {0.0, 1 / (1 - p)}
    assert abs(float(m.mean()) - 1.0) < 0.01
    assert abs(float((m == 0).double().mean()) - p) < 0.01


def test_new_masks_at_every_forward_call():
    torch.manual_seed(8)
    layer = VariationalLSTM(3, 4, dropout=0.5, recurrent_dropout=0.5).double().train()
    x = randn(generator(9), 5, 3, 3)
    assert not torch.allclose(layer(x)[0], layer(x)[0])


@pytest.mark.parametrize("name", ["dropout", "recurrent_dropout"])
@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan")])
def test_probabilities_outside_zero_to_one_are_refused(name, p):
    with pytest.raises(ValueError, match=rf"VariationalLSTM: .*{name}"):
        VariationalLSTM(3, 4, **{name: p})


def test_a_probability_that_is_not_a_number_is_refused():
    with pytest.raises(TypeError, match="VariationalLSTM: expected recurrent_dropout to be a number"):
        VariationalLSTM(3, 4, recurrent_dropout="0.5")
    with pytest.raises(ValueError, match=r"variational_mask: expected p to be a probability in \[0, 1\)"):
        variational_mask((2, 3), 1.0, like=torch.zeros(()))


def test_variational_classifier_is_a_sequence_classifier_with_the_variational_layer():
    torch.manual_seed(10)
    model = variational_classifier(8, 6, 10, 2, dropout=0.2, recurrent_dropout=0.3).double().eval()
    assert isinstance(model.recurrent, VariationalLSTM) and model.recurrent.recurrent_dropout == 0.3
    plain = SequenceClassifier("lstm", 8, 6, 10, num_layers=2).double().eval()
    plain.load_state_dict(model.state_dict())  # the same parameters, names and shapes
    x = randn(generator(11), 4, 5, 8)
    assert torch.allclose(model(x), plain(x), atol=1e-12, rtol=0)
    with pytest.raises(ValueError, match="num_classes"):
        variational_classifier(8, 6, 0)


# -- weight decay in fit -------------------------------------------------------------------------


def test_weight_decay_is_an_l2_penalty_on_every_parameter():
    """fit(weight_decay=w) on the loss equals fit without it on loss + w/2 * sum of squared weights."""
    gen = generator(12)
    X, y = randn(gen, 40, 3), randn(gen, 40, 1)
    w = 0.1
    torch.manual_seed(13)
    decayed = nn.Linear(3, 1).double()
    penalised = nn.Linear(3, 1).double()
    penalised.load_state_dict(decayed.state_dict())

    def penalised_loss(out, target):
        return nn.functional.mse_loss(out, target) + w / 2 * sum((p**2).sum() for p in penalised.parameters())

    fit(decayed, (X, y), epochs=20, lr=0.05, weight_decay=w, progress=False)
    fit(penalised, (X, y), epochs=20, lr=0.05, loss_fn=penalised_loss, progress=False)
    for a, b in zip(decayed.parameters(), penalised.parameters()):
        assert torch.allclose(a, b, atol=1e-10, rtol=0)
    # and the decay shrinks the weights compared with no decay
    torch.manual_seed(13)
    free = nn.Linear(3, 1).double()
    fit(free, (X, y), epochs=20, lr=0.05, progress=False)
    assert decayed.weight.norm() < free.weight.norm()


def test_a_checkpoint_records_the_weight_decay_and_resuming_with_another_is_refused(tmp_path):
    path = tmp_path / "run.pt"
    data = (torch.randn(8, 2), torch.randn(8, 1))
    fit(nn.Linear(2, 1), data, epochs=2, weight_decay=0.1, checkpoint=path, progress=False)
    assert torch.load(path, weights_only=True)["hyperparameters"]["weight_decay"] == 0.1
    with pytest.raises(ValueError, match="weight_decay=0.1.*weight_decay=None"):
        fit(nn.Linear(2, 1), data, epochs=3, checkpoint=path, resume=True, progress=False)


def test_a_negative_weight_decay_is_refused():
    with pytest.raises(ValueError, match="fit: weight_decay must be"):
        fit(nn.Linear(2, 1), (torch.zeros(4, 2), torch.zeros(4, 1)), epochs=1, weight_decay=-0.1, progress=False)


# -- the chapter's exercise checkers -------------------------------------------------------------


def my_same_mask_dropout(x, keep, p):  # written independently of the reference: a loop over steps
    return torch.stack([x[t] * keep / (1 - p) for t in range(x.shape[0])])


def my_early_stopping(valid_losses, patience):  # the rule written as a plain loop
    best, best_epoch = float("inf"), None
    for epoch, loss in enumerate(valid_losses):
        if loss < best:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch + 1
    return best_epoch, len(valid_losses)


@pytest.mark.parametrize("seed", range(4))
def test_the_checkers_accept_independent_answers(seed, capsys):
    check_same_mask_dropout(my_same_mask_dropout, seed=seed)
    check_early_stopping(my_early_stopping, seed=seed)


def last_of_ties(valid_losses, patience):  # wrong: <= keeps the last of equal lowest losses
    best, best_epoch = float("inf"), None
    for epoch, loss in enumerate(valid_losses):
        if loss <= best:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch + 1
    return best_epoch, len(valid_losses)


def never_stops(valid_losses, patience):  # wrong: patience ignored
    return min(range(len(valid_losses)), key=valid_losses.__getitem__), len(valid_losses)


@pytest.mark.parametrize("seed", range(4))
def test_the_checkers_reject_and_name_typical_mistakes(seed):
    with pytest.raises(ExerciseError, match="not divided by 1 - p"):
        check_same_mask_dropout(lambda x, keep, p: x * keep, seed=seed)
    with pytest.raises(ExerciseError, match="divided by p instead"):
        check_same_mask_dropout(lambda x, keep, p: x * keep / p, seed=seed)
    with pytest.raises(ExerciseError, match="same_mask_dropout: wrong value"):  # a fresh mask at every step
        check_same_mask_dropout(lambda x, keep, p: x * (torch.rand(x.shape, dtype=x.dtype) >= p) / (1 - p),
                                seed=seed)
    with pytest.raises(ExerciseError, match="patience is not used"):
        check_early_stopping(never_stops, seed=seed)
    with pytest.raises(ExerciseError, match=r"early_stopping: wrong value.*keep the first of equal losses"):
        check_early_stopping(last_of_ties, seed=seed)


def test_the_early_stopping_checker_gives_every_call_a_tie_and_a_stop(seeded):
    """What the reader's function receives: in every call a draw with a later loss equal to the kept
    one before the stop, which <= gets wrong, and that stops before its last epoch, which ignoring
    patience gets wrong, each mistake in its own way; judged by the rule written here
    (my_early_stopping). Seed 473's curves, as drawn, never stop: the checker must add a stop."""
    for seed in [*range(20), 473, seeded]:
        seen = []

        def record(valid_losses, patience):
            seen.append((list(valid_losses), patience))
            return my_early_stopping(valid_losses, patience)

        check_early_stopping(record, seed=seed)
        assert len(seen) == 8, seed
        tied = stopped = told_apart = 0
        for losses, patience in seen:
            kept, trained = my_early_stopping(losses, patience)
            tied += any(losses[epoch] == losses[kept] for epoch in range(kept + 1, trained))
            stopped += trained < len(losses)
            told_apart += len({(kept, trained), last_of_ties(losses, patience), never_stops(losses, patience)}) == 3
        assert tied > 0 and stopped > 0 and told_apart > 0, (seed, seen)


def test_the_early_stopping_checker_names_each_mistake_even_where_they_agree(seeded):
    """Where <= runs to the last epoch, it answers as never_stops does, and would be told that patience
    is not used: on seeds 30, 65 and 75, unless the first draw, wrong for <=, stops before its end."""
    for seed in (30, 65, 75, seeded):
        with pytest.raises(ExerciseError, match=r"keep the first of equal losses \(a strictly lower loss"):
            check_early_stopping(last_of_ties, seed=seed)
        with pytest.raises(ExerciseError, match="patience is not used"):
            check_early_stopping(never_stops, seed=seed)


def test_the_early_stopping_reference_keeps_the_first_of_equal_losses():
    from companion.exercises.regularisation import _reference_early_stopping

    assert list(_reference_early_stopping([3.0, 2.0, 2.0, 2.5, 1.0], 2)) == [1, 4]
