"""Deep and bidirectional models: SequenceClassifier reads the right final states, ResidualRNN
is a sum of its layers, a bidirectional Forecaster reads only its window while a bidirectional
StepRegressor reads the step after each one, the training helper learns, and the loaders return
the documented shapes."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

import companion
from companion.classify import accuracy, fit_classifier
from companion.models import Forecaster, ResidualRNN, SequenceClassifier, SequenceRegressor, StepRegressor, final_states
from helpers import LAYERS, generator, randn


def torch_twin(model: SequenceClassifier, kind: str) -> nn.Module:
    """torch.nn's layer with the classifier's recurrent weights: an independent reference."""
    r = model.recurrent
    ref = getattr(nn, kind)(r.input_size, r.hidden_size, num_layers=r.num_layers, bidirectional=r.bidirectional,
                            batch_first=True).double()
    ref.load_state_dict(r.state_dict())
    return ref


@pytest.mark.parametrize("bidirectional", [True, False], ids=["bi", "uni"])
@pytest.mark.parametrize("kind", LAYERS)
def test_sequence_classifier_reads_forward_state_at_true_end_and_backward_state_at_first_step(kind, bidirectional):
    gen = generator(11)
    torch.manual_seed(11)
    lengths = torch.tensor([5, 2, 7, 1])
    model = SequenceClassifier(kind.lower(), 3, 4, 6, num_layers=2, bidirectional=bidirectional).double().eval()
    ref = torch_twin(model, kind)
    x = randn(gen, 4, 7, 3)
    x_garbage = x.clone()
    x_garbage[~companion.masking.lengths_to_mask(lengths)] = 1e3  # padding must never be read
    logits = model(x_garbage, lengths)
    for b, n in enumerate(lengths.tolist()):
        out, _ = ref(x[b : b + 1, :n])  # the sequence alone, unpadded
        H = 4
        h = torch.cat([out[0, -1, :H], out[0, 0, H:]]) if bidirectional else out[0, -1]
        expected = model.readout(h)
        assert torch.allclose(logits[b], expected, atol=1e-10, rtol=0), (
            f"{kind} {'bi' if bidirectional else 'uni'}, sequence {b} of length {n}: logits differ by "
            f"{(logits[b] - expected).abs().max():.3g} from the read-out of the sequence run alone"
        )


def test_sequence_classifier_accepts_a_packed_sequence_like_a_padded_batch_with_lengths():
    gen = generator(12)
    model = SequenceClassifier("gru", 3, 4, 5, bidirectional=True).double().eval()
    x, lengths = randn(gen, 3, 6, 3), torch.tensor([2, 6, 4])
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    assert torch.equal(model(packed), model(x, lengths))


def test_final_states_concatenates_the_last_layers_two_directions():
    h_n = torch.arange(3 * 2 * 2 * 4, dtype=torch.float64).view(3 * 2, 2, 4)  # L=3, D=2, B=2, H=4
    got = final_states(h_n, num_layers=3, bidirectional=True)
    assert torch.equal(got, torch.cat([h_n[4], h_n[5]], dim=-1))
    assert torch.equal(final_states(h_n, num_layers=6, bidirectional=False), h_n[5])


def test_sequence_classifier_errors_name_what_was_expected():
    with pytest.raises(ValueError, match=r"cell must be one of \['cho_gru', 'gru', 'lstm', 'rnn'\], got 'cnn'"):
        SequenceClassifier("cnn", 3, 4, 5)
    model = SequenceClassifier("rnn", 3, 4, 5)
    with pytest.raises(ValueError, match=r"expected x \(B, T, I\) and lengths \(B,\), got x of shape \(2, 6, 3\) and 3"):
        model(torch.zeros(2, 6, 3), torch.tensor([1, 2, 3]))



# -- forecasting with a bidirectional layer: a window encoder is legitimate, per-step prediction leaks ----------


@pytest.mark.parametrize("kind", LAYERS)
def test_bidirectional_forecaster_maps_both_final_states_of_the_window_to_the_forecast(kind):
    gen = generator(21)
    torch.manual_seed(21)
    model = Forecaster(2, 4, output_size=3, cell=kind.lower(), num_layers=2, bidirectional=True).double()
    ref = getattr(nn, kind)(2, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    ref.load_state_dict(model.recurrent.state_dict())
    x = randn(gen, 5, 7, 2)
    out, _ = ref(x)  # (B, T, 2H): the last layer's states
    expected = model.readout(torch.cat([out[:, -1, :4], out[:, 0, 4:]], dim=-1))  # forward at T, backward at 1
    assert model(x).shape == (5, 3)
    assert torch.allclose(model(x), expected, atol=1e-10, rtol=0), (model(x) - expected).abs().max()


def test_bidirectional_forecaster_is_the_same_model_with_torch_nn_layers():
    gen = generator(22)
    torch.manual_seed(22)
    ours = Forecaster(1, 5, cell="gru", bidirectional=True).double()
    fast = Forecaster(1, 5, cell="gru", bidirectional=True, use_torch_nn=True).double()
    fast.load_state_dict(ours.state_dict())
    x = randn(gen, 3, 9, 1)
    assert ours(x).shape == (3,)
    assert torch.allclose(ours(x), fast(x), atol=1e-10, rtol=0)


def test_one_directional_forecaster_still_reads_the_last_output():
    gen = generator(23)
    torch.manual_seed(23)
    model = Forecaster(1, 4, cell="rnn").double()
    ref = nn.RNN(1, 4, batch_first=True).double()
    ref.load_state_dict(model.recurrent.state_dict())
    x = randn(gen, 3, 6, 1)
    assert model.readout.in_features == 4
    assert torch.allclose(model(x), model.readout(ref(x)[0][:, -1]).squeeze(-1), atol=1e-10, rtol=0)


@pytest.mark.parametrize("bidirectional", [True, False], ids=["bi", "uni"])
@pytest.mark.parametrize("kind", LAYERS)
def test_step_regressor_predicts_at_every_step_from_each_sequence_alone(kind, bidirectional):
    gen = generator(24)
    torch.manual_seed(24)
    model = StepRegressor(kind.lower(), 2, 3, output_size=2, num_layers=2, bidirectional=bidirectional).double()
    ref = getattr(nn, kind)(2, 3, num_layers=2, bidirectional=bidirectional, batch_first=True).double()
    ref.load_state_dict(model.recurrent.state_dict())
    lengths = torch.tensor([6, 2, 4])
    x = randn(gen, 3, 6, 2)
    full = model(x)  # no lengths: every sequence has 6 steps
    assert full.shape == (3, 6, 2)
    assert torch.allclose(full, model.readout(ref(x)[0]), atol=1e-10, rtol=0)
    garbage = x.clone()
    garbage[~companion.masking.lengths_to_mask(lengths)] = float("nan")  # the padding must never be read
    y = model(garbage, lengths)
    for b, n in enumerate(lengths.tolist()):
        alone = model.readout(ref(x[b : b + 1, :n])[0])[0]  # (n, 2), the sequence run alone
        assert torch.allclose(y[b, :n], alone, atol=1e-10, rtol=0), f"sequence {b} (length {n})"
        assert torch.all(y[b, n:] == 0), f"sequence {b}: the padding must hold zeros, got {y[b, n:]}"


def test_bidirectional_step_regressor_reads_the_next_input_and_a_one_directional_one_does_not():
    """What makes per-step forecasting with a bidirectional layer a leak: y_t depends on x_{t+1}."""
    gen = generator(25)
    x = randn(gen, 1, 8, 1)
    changed = x.clone()
    changed[0, 5] += 1.0  # change x_6 (index 5) only
    for bidirectional in (True, False):
        torch.manual_seed(25)
        model = StepRegressor("gru", 1, 4, bidirectional=bidirectional).double()
        with torch.no_grad():
            moved = (model(x) - model(changed)).abs()[0] > 1e-12  # (T,)
        if bidirectional:
            assert moved.all(), f"bidirectional: y_t should depend on x_6 for every t, moved at {moved.tolist()}"
        else:
            assert moved.tolist() == [False] * 5 + [True] * 3, f"one-directional: moved at {moved.tolist()}"


def test_step_regressor_and_sequence_regressor_name_bad_arguments():
    model = StepRegressor("gru", 2, 3)
    with pytest.raises(ValueError, match=r"StepRegressor: expected x of shape \(B, T, 2\), got \(4, 2\)"):
        model(torch.zeros(4, 2))
    with pytest.raises(ValueError, match=r"expected lengths of shape \(2,\) with integer values, got shape \(3,\)"):
        model(torch.zeros(2, 5, 2), torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match=r"lengths must lie in 1..5 \(x has 5 steps\), got 0..6"):
        model(torch.zeros(2, 5, 2), torch.tensor([0, 6]))
    with pytest.raises(ValueError, match="cell must be one of"):
        StepRegressor("cnn", 2, 3)
    with pytest.raises(ValueError, match="SequenceRegressor: bidirectional must be False"):
        SequenceRegressor(1, 4, bidirectional=True)

@pytest.mark.parametrize("kind", LAYERS)
def test_residual_rnn_adds_each_layers_output_to_its_input(kind):
    gen = generator(13)
    torch.manual_seed(13)
    model = ResidualRNN(kind.lower(), 3, 5, num_layers=3).double()
    x = randn(gen, 2, 6, 3)
    # Reference: torch.nn layers with the same weights, composed by hand.
    h = x @ model.project.weight.T + model.project.bias
    for layer in model.layers:
        ref = getattr(nn, kind)(5, 5, batch_first=True).double()
        ref.load_state_dict(layer.state_dict())
        h = h + ref(h)[0]
    assert torch.allclose(model(x), h, atol=1e-10, rtol=0)


def test_residual_rnn_is_causal():
    gen = generator(14)
    model = ResidualRNN("gru", 2, 4, num_layers=2).double()
    x = randn(gen, 1, 8, 2)
    changed = x.clone()
    changed[:, 5:] = randn(gen, 1, 3, 2)
    assert torch.equal(model(x)[:, :5], model(changed)[:, :5]), "outputs up to t changed when only later inputs did"


def test_residual_connections_carry_more_gradient_to_the_bottom_of_a_deep_stack():
    """What the chapter shows: with 8 tanh-RNN layers, the residual stack's first layer gets a larger gradient."""
    gen = generator(15)
    x = randn(gen, 4, 10, 3)
    norms = {}
    for name in ("plain", "residual"):
        torch.manual_seed(15)
        if name == "plain":
            stack = nn.Sequential(nn.Linear(3, 8)).double()
            layers = [companion.RNN(8, 8, batch_first=True).double() for _ in range(8)]
            h = stack(x)
            for layer in layers:
                h = layer(h)[0]
            first = layers[0]
        else:
            model = ResidualRNN("rnn", 3, 8, num_layers=8).double()
            h = model(x)
            first = model.layers[0]
        h[:, -1].sum().backward()
        norms[name] = first.weight_ih_l0.grad.norm().item()
    assert norms["residual"] > 3 * norms["plain"], norms


def test_fit_classifier_learns_the_sign_of_a_variable_length_sum():
    gen = generator(16)
    torch.manual_seed(16)
    lengths = torch.randint(2, 9, (200,), generator=gen)
    x = torch.randn(200, 8, 1, generator=gen) * companion.masking.lengths_to_mask(lengths)[..., None]
    y = (x.sum(dim=(1, 2)) > 0).long()
    model = SequenceClassifier("gru", 1, 8, 2)
    fit_classifier(model, x.float(), lengths, y, epochs=10, lr=3e-2, batch_size=100, progress=False)
    assert accuracy(model, x.float(), lengths, y) > 0.9


def test_fit_classifier_orders_batches_by_the_runs_seed_unless_given(monkeypatch):
    gen = generator(17)
    lengths = torch.randint(2, 6, (40,), generator=gen)
    x = torch.randn(40, 5, 1, generator=gen) * companion.masking.lengths_to_mask(lengths)[..., None]
    y = (x.sum(dim=(1, 2)) > 0).long()

    def losses(seed, run_seed):
        monkeypatch.setenv("RECURRENT_SEED", str(run_seed))
        torch.manual_seed(0)  # the same initial weights every time: only the batch order may differ
        return fit_classifier(SequenceClassifier("rnn", 1, 3, 2), x, lengths, y, epochs=2, batch_size=8,
                              seed=seed, progress=False)

    assert losses(None, 3) == losses(3, 0), "seed=None must use the run's seed (RECURRENT_SEED)"
    assert losses(None, 3) != losses(None, 4), "another run's seed must give another batch order"
    with pytest.raises(ValueError, match="seed must be a non-negative integer or None, got -1"):
        losses(-1, 0)


def test_fit_classifier_names_mismatched_sizes():
    with pytest.raises(ValueError, match="got 4, 3 and 4"):
        fit_classifier(SequenceClassifier("rnn", 1, 2, 2), torch.zeros(4, 3, 1), torch.ones(3, dtype=torch.long),
                       torch.zeros(4, dtype=torch.long), epochs=1, progress=False)


# -- loaders ------------------------------------------------------------------------------------------


def test_japanese_vowels_has_the_published_split_shapes_and_labels():
    X_train, y_train = companion.data.japanese_vowels("train")
    X_test, y_test = companion.data.japanese_vowels("test")
    assert (len(X_train), len(X_test)) == (270, 370) and (len(y_train), len(y_test)) == (270, 370)
    lengths = [len(x) for x in X_train + X_test]
    assert (min(lengths), max(lengths)) == (7, 29)
    assert all(x.ndim == 2 and x.shape[1] == 12 and x.dtype == np.float64 for x in X_train + X_test)
    assert y_train.dtype == np.int64 and set(y_train) == set(y_test) == set(range(9))
    assert np.bincount(y_train).tolist() == [30] * 9, "30 training utterances per speaker"
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'valid'"):
        companion.data.japanese_vowels("valid")


def test_digits_as_sequences_are_rows_of_eight_pixels_scaled_to_one():
    X, y = companion.data.digits_as_sequences()
    assert X.shape == (1797, 8, 8) and X.dtype == np.float32 and y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 1 and set(y) == set(range(10))
    from sklearn.datasets import load_digits

    assert np.array_equal(X[5] * 16, load_digits().data[5].reshape(8, 8)), "row t of the image must be step t"


def test_stacked_parameter_count_checker_accepts_the_formula_and_rejects_a_one_directional_upper_layer(seeded):
    from companion.exercises import ExerciseError, check_stacked_parameter_count

    gates = {"rnn": 1, "lstm": 4, "gru": 3}

    def formula(cell, input_size, hidden_size, num_layers, bidirectional, upper_input=None):
        G, H, D = gates[cell], hidden_size, 2 if bidirectional else 1
        total = 0
        for layer in range(num_layers):
            n = input_size if layer == 0 else (upper_input or D * H)
            total += D * (G * H * (n + H) + 2 * G * H)
        return total

    check_stacked_parameter_count(formula, trials=20, seed=seeded)

    def forgets_the_concatenation(cell, input_size, hidden_size, num_layers, bidirectional):
        return formula(cell, input_size, hidden_size, num_layers, bidirectional, upper_input=hidden_size)

    with pytest.raises(ExerciseError, match=r"parameter_count: wrong value; expected \d+, got \d+"):
        check_stacked_parameter_count(forgets_the_concatenation, trials=40, seed=seeded)


def test_final_states_checker_accepts_the_solution_and_rejects_reading_the_first_layer(seeded):
    from companion.exercises import ExerciseError, check_final_states

    def mine(h_n, num_layers, bidirectional):
        D = 2 if bidirectional else 1
        return torch.cat([h_n[(num_layers - 1) * D + d] for d in range(D)], dim=-1)

    check_final_states(mine, trials=10, seed=seeded)

    def first_layer(h_n, num_layers, bidirectional):
        D = 2 if bidirectional else 1
        return torch.cat([h_n[d] for d in range(D)], dim=-1)

    with pytest.raises(ExerciseError, match=r"final_states: wrong value; largest difference"):
        check_final_states(first_layer, trials=40, seed=seeded)


@pytest.mark.parametrize("name", ["Forecaster", "StepRegressor", "SequenceClassifier"])
def test_models_with_torch_nn_layers_are_the_same_models(name):
    """use_torch_nn=True only swaps the layer: the state_dict moves both ways and the outputs agree."""
    gen = generator(26)
    torch.manual_seed(26)
    x, lengths = randn(gen, 3, 6, 2), torch.tensor([6, 2, 4])
    if name == "Forecaster":
        build, call = (lambda t: Forecaster(2, 4, cell="lstm", bidirectional=True, use_torch_nn=t)), (lambda m: m(x))
    elif name == "StepRegressor":
        build, call = (lambda t: StepRegressor("gru", 2, 4, bidirectional=True, use_torch_nn=t)), (lambda m: m(x, lengths))
    else:
        build, call = (lambda t: SequenceClassifier("lstm", 2, 4, 5, num_layers=2, bidirectional=True,
                                                    use_torch_nn=t)), (lambda m: m(x, lengths))
    ours, fast = build(False).double().eval(), build(True).double().eval()
    assert isinstance(fast.recurrent, nn.RNNBase) and not isinstance(ours.recurrent, nn.RNNBase)
    fast.load_state_dict(ours.state_dict())
    assert torch.allclose(call(ours), call(fast), atol=1e-10, rtol=0)
    with pytest.raises(ValueError, match="torch.nn has no 'cho_gru' layer"):
        build_cho = {"Forecaster": lambda: Forecaster(2, 4, cell="cho_gru", use_torch_nn=True),
                     "StepRegressor": lambda: StepRegressor("cho_gru", 2, 4, use_torch_nn=True),
                     "SequenceClassifier": lambda: SequenceClassifier("cho_gru", 2, 4, 5, use_torch_nn=True)}[name]
        build_cho()
