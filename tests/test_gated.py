"""The gated-cell variants (peepholes, Cho et al.'s GRU), the adding problem and the chapter checkers.

References are independent: the equations written directly in NumPy, finite
differences (torch.autograd.gradcheck) in float64, and torch.nn for the layouts.
"""

import numpy as np
import pytest
import torch
from torch import nn

import companion
from companion.exercises import (ExerciseError, check_gru_parameter_count, check_gru_step, check_lstm_parameter_count,
                                 check_lstm_step)
from companion.tasks import ADDING_BASELINE_MSE, adding_problem


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def numpy_peephole_step(x, h, c, W_ih, W_hh, b_ih, b_hh, w_ci, w_cf, w_co):
    """Gers & Schmidhuber's peephole LSTM, one vector at a time, gates i, f, g, o."""
    H = h.shape[0]
    a = W_ih @ x + b_ih + W_hh @ h + b_hh
    a_i, a_f, a_g, a_o = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
    i = sigmoid(a_i + w_ci * c)
    f = sigmoid(a_f + w_cf * c)
    c_new = f * c + i * np.tanh(a_g)
    o = sigmoid(a_o + w_co * c_new)
    return o * np.tanh(c_new), c_new


def numpy_cho_gru_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """Cho et al. (2014): h~ = tanh(W x + U (r * h)), h_t = z * h + (1 - z) * h~, gates r, z, n."""
    H = h.shape[0]
    r = sigmoid(W_ih[:H] @ x + b_ih[:H] + W_hh[:H] @ h + b_hh[:H])
    z = sigmoid(W_ih[H:2 * H] @ x + b_ih[H:2 * H] + W_hh[H:2 * H] @ h + b_hh[H:2 * H])
    candidate = np.tanh(W_ih[2 * H:] @ x + b_ih[2 * H:] + W_hh[2 * H:] @ (r * h) + b_hh[2 * H:])
    return z * h + (1 - z) * candidate


def random_cell(cls, I, H, seed):
    torch.manual_seed(seed)
    cell = cls(I, H).double()
    with torch.no_grad():
        for p in cell.parameters():
            p.normal_()  # also makes the peephole weights non-zero
    return cell


def params_numpy(cell):
    return {name: p.detach().numpy() for name, p in cell.named_parameters()}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_peephole_lstm_cell_matches_a_numpy_implementation_of_the_equations(seed):
    I, H, B = 3, 5, 4
    cell = random_cell(companion.PeepholeLSTMCell, I, H, seed)
    p = params_numpy(cell)
    x, h, c = torch.randn(B, I, dtype=torch.float64), torch.randn(B, H, dtype=torch.float64), torch.randn(B, H, dtype=torch.float64)
    h_t, c_t = cell(x, (h, c))
    for b in range(B):
        h_ref, c_ref = numpy_peephole_step(x[b].numpy(), h[b].numpy(), c[b].numpy(), p["weight_ih"], p["weight_hh"],
                                           p["bias_ih"], p["bias_hh"], p["weight_ci"], p["weight_cf"], p["weight_co"])
        np.testing.assert_allclose(h_t[b].detach().numpy(), h_ref, atol=1e-12, err_msg=f"h_t, batch row {b}")
        np.testing.assert_allclose(c_t[b].detach().numpy(), c_ref, atol=1e-12, err_msg=f"c_t, batch row {b}")


def test_peephole_lstm_cell_with_zero_peepholes_equals_torch_nn_lstm_cell():
    ref = nn.LSTMCell(3, 4).double()
    ours = companion.PeepholeLSTMCell(3, 4).double()
    missing, unexpected = ours.load_state_dict(ref.state_dict(), strict=False)
    assert sorted(missing) == ["weight_cf", "weight_ci", "weight_co"] and unexpected == []
    x, h, c = (torch.randn(2, n, dtype=torch.float64) for n in (3, 4, 4))
    for got, expected, what in zip(ours(x, (h, c)), ref(x, (h, c)), ("h_t", "c_t")):
        assert torch.allclose(got, expected, atol=1e-12), f"{what} differs from torch.nn.LSTMCell by {(got - expected).abs().max():.2e}"


def test_peephole_lstm_step_gradients_match_finite_differences():
    cell = random_cell(companion.PeepholeLSTMCell, 2, 3, seed=4)
    x, h, c = (torch.randn(2, n, dtype=torch.float64, requires_grad=True) for n in (2, 3, 3))
    params = [cell.weight_ih, cell.weight_hh, cell.bias_hh, cell.weight_ci, cell.weight_cf, cell.weight_co]

    def step(x, h, c, W_ih, W_hh, b_hh, w_ci, w_cf, w_co):
        return companion.peephole_lstm_step(x @ W_ih.T, h, c, W_hh, b_hh, w_ci, w_cf, w_co)

    assert torch.autograd.gradcheck(step, (x, h, c, *params))


def test_peephole_cell_accepts_unbatched_input_like_lstm_cell():
    cell = random_cell(companion.PeepholeLSTMCell, 3, 4, seed=5)
    x, h, c = torch.randn(3, dtype=torch.float64), torch.randn(4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    h_t, c_t = cell(x, (h, c))
    h_b, c_b = cell(x[None], (h[None], c[None]))
    assert h_t.shape == (4,) and torch.allclose(h_t, h_b[0]) and torch.allclose(c_t, c_b[0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cho_gru_cell_matches_a_numpy_implementation_of_cho_et_al(seed):
    I, H, B = 3, 4, 5
    cell = random_cell(companion.ChoGRUCell, I, H, seed)
    p = params_numpy(cell)
    x, h = torch.randn(B, I, dtype=torch.float64), torch.randn(B, H, dtype=torch.float64)
    h_t = cell(x, h).detach().numpy()
    for b in range(B):
        ref = numpy_cho_gru_step(x[b].numpy(), h[b].numpy(), p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"])
        np.testing.assert_allclose(h_t[b], ref, atol=1e-12, err_msg=f"batch row {b}")


def test_cho_gru_step_gradients_match_finite_differences():
    cell = random_cell(companion.ChoGRUCell, 2, 3, seed=6)
    x, h = torch.randn(2, 2, dtype=torch.float64, requires_grad=True), torch.randn(2, 3, dtype=torch.float64, requires_grad=True)

    def step(x, h, W_ih, W_hh, b_ih, b_hh):
        return companion.cho_gru_step(x @ W_ih.T + b_ih, h, W_hh, b_hh)

    assert torch.autograd.gradcheck(step, (x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh))


def test_cho_gru_differs_from_torch_gru_with_the_same_weights_but_not_when_the_reset_gate_is_open():
    ref = nn.GRUCell(3, 4).double()
    cho = companion.ChoGRUCell(3, 4).double()
    cho.load_state_dict(ref.state_dict())
    x, h = torch.randn(6, 3, dtype=torch.float64), torch.randn(6, 4, dtype=torch.float64)
    assert (cho(x, h) - ref(x, h)).abs().max() > 1e-4, "the two formulations should differ for random weights"
    with torch.no_grad():  # r = 1 everywhere and b_hn = 0: r*(W h + b) == W (r*h) + b
        for cell in (ref, cho):
            cell.bias_ih[:4] = 1e3
            cell.bias_hh[8:] = 0.0
    assert torch.allclose(cho(x, h), ref(x, h), atol=1e-12)


def test_cho_gru_layer_runs_cho_gru_cell_along_time():
    layer = companion.ChoGRU(3, 4, batch_first=True).double()
    cell = companion.ChoGRUCell(3, 4).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    output, h_n = layer(x)
    h = torch.zeros(2, 4, dtype=torch.float64)
    for t in range(5):
        h = cell(x[:, t], h)
        assert torch.allclose(output[:, t], h, atol=1e-12), f"step {t}"
    assert torch.allclose(h_n[0], h)


def test_adding_problem_shapes_marks_and_targets():
    X, y = adding_problem(64, 20, generator=torch.Generator().manual_seed(0))
    assert X.shape == (64, 20, 2) and y.shape == (64,)
    marks = X[..., 1]
    assert torch.all(marks.sum(1) == 2), "exactly two marks per sequence"
    assert set(marks.unique().tolist()) <= {0.0, 1.0}
    for row in range(64):
        positions = torch.nonzero(marks[row]).flatten()
        assert positions[0] < 10 <= positions[1], f"row {row}: marks at {positions.tolist()}, expected one per half"
        expected = X[row, positions, 0].sum()
        assert torch.isclose(y[row], expected), f"row {row}: target {y[row]} is not the sum of the marked numbers {expected}"
    assert torch.all((X[..., 0] >= 0) & (X[..., 0] < 1))


def test_adding_problem_is_repeatable_with_a_seeded_generator_and_baseline_is_the_target_variance():
    a = adding_problem(5, 8, generator=torch.Generator().manual_seed(3))
    b = adding_problem(5, 8, generator=torch.Generator().manual_seed(3))
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    _, y = adding_problem(20000, 10, generator=torch.Generator().manual_seed(1))
    assert abs(((y - 1.0) ** 2).mean().item() - ADDING_BASELINE_MSE) < 0.01


@pytest.mark.parametrize("n, T", [(0, 10), (4, 1), (4, 2.5)])
def test_adding_problem_rejects_bad_sizes(n, T):
    with pytest.raises(ValueError, match="adding_problem"):
        adding_problem(n, T)


# -- checkers -----------------------------------------------------------------


def article_lstm_step(x_t, h_prev, c_prev, W_f, W_i, W_c, W_o, b_f, b_i, b_c, b_o):
    v = np.concatenate([h_prev, x_t])
    f, i, o = sigmoid(W_f @ v + b_f), sigmoid(W_i @ v + b_i), sigmoid(W_o @ v + b_o)
    c_t = f * c_prev + i * np.tanh(W_c @ v + b_c)
    return o * np.tanh(c_t), c_t


def test_check_lstm_step_accepts_the_article_equations(seeded, capsys):
    check_lstm_step(article_lstm_step, seed=seeded)
    assert "lstm_step: correct on 5 random inputs." in capsys.readouterr().out


def test_check_lstm_step_says_which_output_is_wrong_when_gates_are_swapped(seeded):
    def swapped(x_t, h_prev, c_prev, W_f, W_i, W_c, W_o, b_f, b_i, b_c, b_o):  # forget and input gates mixed up
        return article_lstm_step(x_t, h_prev, c_prev, W_i, W_f, W_c, W_o, b_i, b_f, b_c, b_o)

    with pytest.raises(ExerciseError, match=r"lstm_step\[0\]: wrong value; largest difference .* \(trial 1, inputs x_t: ndarray"):
        check_lstm_step(swapped, seed=seeded)


def test_check_lstm_step_reports_a_missing_cell_state(seeded):
    with pytest.raises(ExerciseError, match=r"lstm_step: expected a tuple of 2 values"):
        check_lstm_step(lambda **kw: article_lstm_step(**kw)[0], seed=seeded)


def numpy_gru_step(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = h_prev.shape[0]
    gi, gh = weight_ih @ x_t + bias_ih, weight_hh @ h_prev + bias_hh
    r, z = sigmoid(gi[:H] + gh[:H]), sigmoid(gi[H:2 * H] + gh[H:2 * H])
    n = np.tanh(gi[2 * H:] + r * gh[2 * H:])
    return (1 - z) * n + z * h_prev


def test_check_gru_step_accepts_pytorchs_formulation_and_rejects_chos(seeded, capsys):
    check_gru_step(numpy_gru_step, seed=seeded)
    assert "gru_step: correct on 5 random inputs." in capsys.readouterr().out
    with pytest.raises(ExerciseError, match=r"gru_step: wrong value; largest difference"):
        check_gru_step(lambda **kw: numpy_cho_gru_step(kw["x_t"], kw["h_prev"], kw["weight_ih"], kw["weight_hh"],
                                                         kw["bias_ih"], kw["bias_hh"]), seed=seeded)


def test_check_gru_step_rejects_the_swapped_z_convention(seeded):
    def swapped(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):  # h_t = z * n + (1 - z) * h_prev
        H = h_prev.shape[0]
        gi, gh = weight_ih @ x_t + bias_ih, weight_hh @ h_prev + bias_hh
        r, z = sigmoid(gi[:H] + gh[:H]), sigmoid(gi[H:2 * H] + gh[H:2 * H])
        n = np.tanh(gi[2 * H:] + r * gh[2 * H:])
        return z * n + (1 - z) * h_prev

    with pytest.raises(ExerciseError, match="gru_step: wrong value"):
        check_gru_step(swapped, seed=seeded)


@pytest.mark.parametrize("check, gates", [(check_lstm_parameter_count, 4), (check_gru_parameter_count, 3)])
def test_parameter_count_checkers_accept_the_formula_and_reject_a_single_bias(check, gates, seeded, capsys):
    def formula(input_size, hidden_size, num_layers):
        H = hidden_size
        first = gates * H * (input_size + H + 2)
        return first + (num_layers - 1) * gates * H * (H + H + 2)

    check(formula, seed=seeded)
    assert "parameter_count: correct on 5 random inputs." in capsys.readouterr().out

    def one_bias(input_size, hidden_size, num_layers):
        return formula(input_size, hidden_size, num_layers) - num_layers * gates * hidden_size

    with pytest.raises(ExerciseError, match=r"parameter_count: wrong value; expected \d+, got \d+ \(difference \d+"):
        check(one_bias, seed=seeded)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_forecaster_built_on_torch_nn_gives_the_same_predictions_as_on_companion(cell):
    torch.manual_seed(0)
    fast = companion.models.Forecaster(2, 5, cell=cell, use_torch_nn=True).double()
    ours = companion.models.Forecaster(2, 5, cell=cell).double()
    ours.load_state_dict(fast.state_dict())
    x = torch.randn(3, 7, 2, dtype=torch.float64)
    assert torch.allclose(ours(x), fast(x), atol=1e-12)


def test_forecaster_on_torch_nn_rejects_the_cho_gru():
    with pytest.raises(ValueError, match="torch.nn has no 'cho_gru' layer"):
        companion.models.Forecaster(1, 4, cell="cho_gru", use_torch_nn=True)


def torch_nn_lstm_gates(x, h, W_ih, W_hh, b_ih, b_hh):
    """The gates of torch.nn.LSTM's documentation, each weight cut into its four blocks of H rows in
    the order i, f, g, o: i = sigmoid(W_ii x + b_ii + W_hi h + b_hi), f and o alike, g = tanh(...).
    NumPy, x (B, I) and h (B, H) -> a dict of (B, H) arrays."""
    H = W_hh.shape[1]
    pre = {name: x @ W_ih[k * H:(k + 1) * H].T + b_ih[k * H:(k + 1) * H]
           + h @ W_hh[k * H:(k + 1) * H].T + b_hh[k * H:(k + 1) * H] for k, name in enumerate("ifgo")}
    return {"i": sigmoid(pre["i"]), "f": sigmoid(pre["f"]), "g": np.tanh(pre["g"]), "o": sigmoid(pre["o"])}


def random_torch_lstm_cell(I, H):
    cell = nn.LSTMCell(I, H).double()
    for p in cell.parameters():
        nn.init.normal_(p)  # larger than the default: gates far from one half, and far from each other
    return cell, [p.detach() for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]


def test_lstm_gates_are_torch_nn_lstm_gates_and_lstm_step_uses_them():
    I, H, B = 4, 3, 5
    cell, (W_ih, W_hh, b_ih, b_hh) = random_torch_lstm_cell(I, H)
    x, h, c = torch.randn(B, I, dtype=torch.float64), torch.randn(B, H, dtype=torch.float64), torch.randn(B, H, dtype=torch.float64)
    expected = torch_nn_lstm_gates(*(t.numpy() for t in (x, h, W_ih, W_hh, b_ih, b_hh)))
    with torch.no_grad():
        h_nn, c_nn = cell(x, (h, c))
    # the reference's gates are torch.nn's: they give torch.nn.LSTMCell's next state
    np.testing.assert_allclose(c_nn.numpy(), expected["f"] * c.numpy() + expected["i"] * expected["g"], atol=1e-12)
    np.testing.assert_allclose(h_nn.numpy(), expected["o"] * np.tanh(c_nn.numpy()), atol=1e-12)
    xw = x @ W_ih.T + b_ih
    for name, gate in zip("ifgo", companion.cells.lstm_gates(xw, h, W_hh, b_hh), strict=True):
        np.testing.assert_allclose(gate.numpy(), expected[name], atol=1e-12, err_msg=f"gate {name}")
    h_t, c_t = companion.lstm_step(xw, h, c, W_hh, b_hh)
    torch.testing.assert_close(c_t, c_nn, rtol=0, atol=1e-12)
    torch.testing.assert_close(h_t, h_nn, rtol=0, atol=1e-12)


def test_lstm_gate_trace_records_torch_nn_lstms_gates_and_states():
    I, H, T = 3, 5, 7
    reference = nn.LSTM(I, H).double()
    for p in reference.parameters():
        nn.init.normal_(p)
    layer = companion.LSTM(I, H).double()
    layer.load_state_dict(reference.state_dict())
    x = torch.randn(T, I, dtype=torch.float64)
    trace = companion.cells.lstm_gate_trace(x, *layer.weights(0, 0))
    assert {k: v.shape for k, v in trace.items()} == {k: (T, H) for k in "ifgoch"}
    weights = [p.detach().numpy() for p in (reference.weight_ih_l0, reference.weight_hh_l0, reference.bias_ih_l0,
                                            reference.bias_hh_l0)]
    h, c = torch.zeros(1, 1, H, dtype=torch.float64), torch.zeros(1, 1, H, dtype=torch.float64)
    for t in range(T):  # torch.nn.LSTM one step at a time: its state before and after step t
        gates = torch_nn_lstm_gates(x[t : t + 1].numpy(), h[0].numpy(), *weights)
        with torch.no_grad():
            _, (h, c) = reference(x[t : t + 1, None], (h, c))
        for name in "ifgo":
            np.testing.assert_allclose(trace[name][t], gates[name][0], atol=1e-12, err_msg=f"gate {name}, step {t}")
        np.testing.assert_allclose(trace["c"][t], c[0, 0].numpy(), atol=1e-12, err_msg=f"c, step {t}")
        np.testing.assert_allclose(trace["h"][t], h[0, 0].numpy(), atol=1e-12, err_msg=f"h, step {t}")


@pytest.mark.parametrize("make", [lambda: companion.LSTM(2, 3, num_layers=2, bidirectional=True),
                                  lambda: nn.LSTM(2, 3), lambda: companion.LSTMCell(2, 3)])
def test_set_forget_bias_sets_b_f_and_leaves_the_other_gates(make):
    lstm = make()
    before = {name: p.detach().clone() for name, p in lstm.named_parameters()}
    companion.cells.set_forget_bias(lstm, 1.0)
    H = 3
    for name, p in lstm.named_parameters():
        if name.startswith("bias_ih"):
            assert torch.all(p[H:2 * H] == 1.0), name
        if name.startswith("bias_hh"):
            assert torch.all(p[H:2 * H] == 0.0), name
        keep = torch.ones(p.shape[0], dtype=torch.bool)
        if name.startswith("bias_"):
            keep[H:2 * H] = False
        assert torch.equal(p[keep], before[name][keep]), f"{name} changed outside the forget gate"


def test_set_forget_bias_refuses_a_gru_with_a_clear_message():
    with pytest.raises(ValueError, match=r"expected bias_ih of 4H = 12 rows \(an LSTM\), got 9"):
        companion.cells.set_forget_bias(companion.GRUCell(2, 3))


# -- the comparison tasks of the LSTM and GRU chapters -------------------------


def test_adding_model_is_the_same_for_the_same_seed_and_sets_the_forget_bias():
    a, b = companion.tasks.adding_model("lstm", 3), companion.tasks.adding_model("lstm", 3)
    other = companion.tasks.adding_model("lstm", 4)
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    assert not torch.equal(a.recurrent.weight_hh_l0, other.recurrent.weight_hh_l0)
    H = a.recurrent.hidden_size
    assert torch.all(a.recurrent.bias_ih_l0[H:2 * H] == 1.0) and torch.all(a.recurrent.bias_hh_l0[H:2 * H] == 0.0)
    plain = companion.tasks.adding_model("lstm", 3, forget_bias=None)
    assert not torch.all(plain.recurrent.bias_ih_l0[H:2 * H] == 1.0), "forget_bias=None must keep PyTorch's biases"


@pytest.mark.parametrize("kwargs, message", [({"cell": "cho_gru"}, "cell must be one of"),
                                              ({"epochs": 0}, "epochs must be a positive integer")])
def test_fit_adding_problem_rejects_bad_arguments(kwargs, message):
    data = adding_problem(8, 6, generator=torch.Generator().manual_seed(0))
    args = {"cell": "gru", "epochs": 1} | kwargs
    with pytest.raises(ValueError, match=f"(fit_adding_problem|adding_model): {message}"):
        companion.tasks.fit_adding_problem(args.pop("cell"), data, data, seed=0, **args)


def test_fit_adding_problem_stops_after_the_first_solved_epoch_and_otherwise_spends_the_budget():
    g = torch.Generator().manual_seed(0)
    train, valid = adding_problem(64, 6, generator=g), adding_problem(32, 6, generator=g)
    _, history = companion.tasks.fit_adding_problem("rnn", train, valid, epochs=3, seed=0, hidden_size=4, solved=10.0)
    assert len(history.valid_loss) == 1, "every MSE is below 10: it must stop after the first epoch"
    _, history = companion.tasks.fit_adding_problem("rnn", train, valid, epochs=3, seed=0, hidden_size=4, solved=None)
    assert len(history.valid_loss) == 3


def test_sunspot_task_splits_in_time_order_and_scales_with_the_training_years_only():
    task = companion.tasks.sunspot_task(window=20, n_valid=30, n_test=40)
    years, counts = companion.data.sunspots()
    n = len(counts)
    assert task.test_start == n - 40 and task.valid_start == n - 70
    index = task.target_index
    assert index["train"].max() < index["valid"].min() <= index["valid"].max() < index["test"].min()
    assert len(index["test"]) == 40 and len(index["valid"]) == 30 and index["train"].min() == 20
    train_z = np.sqrt(counts[: n - 70])
    assert np.isclose(task.mean, train_z.mean()) and np.isclose(task.std, train_z.std())
    np.testing.assert_allclose(task.to_counts(task.scaled), counts, atol=1e-9)
    X, y = task.tensors["valid"]
    assert X.shape == (30, 20, 1) and y.shape == (30,)
    k = 7  # a window is the 20 years before its target
    target = index["valid"][k]
    np.testing.assert_allclose(X[k, :, 0].numpy(), task.scaled[target - 20 : target], rtol=1e-6)
    np.testing.assert_allclose(y[k].item(), task.scaled[target], rtol=1e-6)
    expected_naive = np.mean(np.abs(counts[n - 40:] - counts[n - 41 : n - 1]))
    assert np.isclose(task.naive_mae(), expected_naive)


def test_sunspot_task_mae_scores_a_model_in_counts():
    task = companion.tasks.sunspot_task()
    model = companion.tasks.sunspot_model("gru", 0, hidden_size=4)
    with torch.no_grad():
        scaled = model(task.tensors["test"][0]).numpy().astype(np.float64)
    predicted = np.maximum(scaled * task.std + task.mean, 0) ** 2
    expected = np.mean(np.abs(task.counts[-40:] - predicted))
    assert np.isclose(task.mae(model), expected, rtol=1e-5)


@pytest.mark.parametrize("kwargs", [{"window": 0}, {"n_test": 2.5}, {"window": 250}])
def test_sunspot_task_rejects_bad_sizes(kwargs):
    with pytest.raises(ValueError, match="sunspot_task"):
        companion.tasks.sunspot_task(**kwargs)


def test_sunspot_model_uses_torch_nn_where_it_has_the_cell_and_companion_for_cho():
    assert isinstance(companion.tasks.sunspot_model("lstm", 0).recurrent, nn.LSTM)
    assert isinstance(companion.tasks.sunspot_model("cho_gru", 0).recurrent, companion.ChoGRU)
    with pytest.raises(ValueError, match="sunspot_model: cell must be one of"):
        companion.tasks.sunspot_model("transformer", 0)


def test_fit_sunspots_keeps_the_best_validation_epoch_and_stops_after_patience():
    task = companion.tasks.sunspot_task()
    model, history = companion.tasks.fit_sunspots(task, "rnn", seed=0, epochs=400, hidden_size=4, lr=0.5, patience=3)
    assert len(history.valid_loss) < 400, "a learning rate of 0.5 stops improving long before 400 epochs"
    assert len(history.valid_loss) - 1 - history.best_epoch == 3
    kept = companion.train.evaluate(model, *task.tensors["valid"])
    assert np.isclose(kept, min(history.valid_loss), rtol=1e-5)
