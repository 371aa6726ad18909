"""companion.speed: the three ways of writing an LSTM loop against torch.nn.LSTM (outputs and gradients,
float64), their autograd graphs, the timer, the profiler summary, the padding fraction, the minimal
forecasters, the chapter's checkers; bad input."""

import pytest
import torch
from torch import nn

from companion import exercises, speed
from companion.exercises import ExerciseError
from companion.tasks import adding_problem

T, B, I, H = 9, 3, 4, 5


def torch_lstm():
    torch.manual_seed(0)
    return nn.LSTM(I, H).double()


@pytest.mark.parametrize("variant", speed.VARIANTS)
@pytest.mark.parametrize("with_state", [False, True])
def test_every_variant_equals_torch_nn_lstm_outputs_states_and_gradients(variant, with_state):
    ref = torch_lstm()
    x = torch.randn(T, B, I, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(B, H, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(B, H, dtype=torch.float64, requires_grad=True)
    want, (h_n, c_n) = ref(x, (h0[None], c0[None])) if with_state else ref(x)
    want_grads = torch.autograd.grad((want.sum() + h_n.sum() * 2 + c_n.sum() * 3),
                                     [x, h0, c0, *ref.parameters()], allow_unused=True)
    params = [p.detach().clone().requires_grad_() for p in ref.parameters()]
    got, (h, c) = speed.lstm_scan(x, *params, (h0, c0) if with_state else None, variant=variant)
    got_grads = torch.autograd.grad((got.sum() + h.sum() * 2 + c.sum() * 3), [x, h0, c0, *params],
                                    allow_unused=True)
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(h, h_n[0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(c, c_n[0], rtol=1e-10, atol=1e-12)
    for g, w in zip(got_grads, want_grads):
        if w is None:
            assert g is None or torch.count_nonzero(g) == 0
        else:
            torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-12)


def test_the_indexed_variant_has_one_select_node_per_step_and_unbind_one_node():
    ref = torch_lstm()
    x = torch.randn(T, B, I, dtype=torch.float64)
    params = [p.detach().requires_grad_() for p in ref.parameters()]
    counts = {v: speed.count_nodes(speed.lstm_scan(x, *params, variant=v)[0]) for v in speed.VARIANTS}
    assert counts["indexed"]["SelectBackward0"] == T and counts["indexed"]["UnbindBackward0"] == 0
    assert counts["unbind"]["SelectBackward0"] == 0 and counts["unbind"]["UnbindBackward0"] == 1
    # per_step: T small products with the input weights, against one for the hoisted variants
    assert counts["per_step"]["AddmmBackward0"] == T + T  # the input's and the state's product at every step


def test_count_nodes_counts_a_small_graph_by_hand():
    a = torch.randn(3, requires_grad=True)
    out = (a * 2).sum() + a.exp().sum()
    counts = speed.count_nodes(out)
    assert counts["MulBackward0"] == 1 and counts["ExpBackward0"] == 1 and counts["SumBackward0"] == 2
    assert counts["AddBackward0"] == 1 and counts["AccumulateGrad"] == 1


def test_split_time_ms_returns_two_positive_times_and_runs_the_backward():
    a = torch.randn(50, requires_grad=True)
    fwd, bwd = speed.split_time_ms(lambda: a.exp(), repeats=2, warmup=0)
    assert fwd > 0 and bwd > 0
    torch.testing.assert_close(a.grad, 2 * a.exp().detach())  # two runs, gradients accumulated


def test_compare_split_times_times_every_step_and_accumulates_its_gradients():
    a, b = torch.randn(20, requires_grad=True), torch.randn(20, requires_grad=True)
    times = speed.compare_split_times({"a": lambda: a * 3, "b": lambda: b.exp()}, repeats=2, warmup=1)
    assert set(times) == {"a", "b"} and all(f > 0 and g > 0 for f, g in times.values())
    torch.testing.assert_close(a.grad, torch.full((20,), 9.0))  # three runs: one warm-up, two rounds
    with pytest.raises(TypeError, match="compare_split_times: expected forwards to be a non-empty dict"):
        speed.compare_split_times({})


def test_top_ops_finds_the_operator_that_runs_most():
    a = torch.randn(64, 64)
    rows = speed.top_ops(lambda: [a @ a for _ in range(20)], n=3)
    names = [name for name, _, _ in rows]
    assert "aten::mm" in names and len(rows) <= 3
    assert dict((name, calls) for name, calls, _ in rows)["aten::mm"] == 20


def test_padding_share_against_a_count_of_padded_cells():
    lengths = [3, 5, 1, 5]
    mask = torch.arange(5)[None, :] < torch.tensor(lengths)[:, None]
    assert speed.padding_share(lengths) == pytest.approx(1 - mask.float().mean().item())
    assert speed.padding_share([7, 7]) == 0.0


@pytest.mark.parametrize("cell", ["mingru", "minlstm"])
def test_minimal_forecaster_reads_the_last_state_of_its_layer(cell):
    torch.manual_seed(0)
    model = speed.MinimalForecaster(2, 6, cell).double()
    x = torch.randn(4, 7, 2, dtype=torch.float64)
    _, h_n = model.recurrent(x, mode="sequential")
    torch.testing.assert_close(model(x), model.head(h_n[0]).squeeze(-1))
    torch.testing.assert_close(model(x), model(x, mode="sequential"))


def test_fit_adding_minimal_learns_below_the_start_and_is_repeatable():
    generator = torch.Generator().manual_seed(0)
    train_set, valid_set = adding_problem(256, 8, generator=generator), adding_problem(64, 8, generator=generator)
    model, history = speed.fit_adding_minimal("mingru", train_set, valid_set, epochs=3, seed=1, hidden_size=8)
    again, history_again = speed.fit_adding_minimal("mingru", train_set, valid_set, epochs=3, seed=1, hidden_size=8)
    assert history.valid_loss == history_again.valid_loss
    assert min(history.valid_loss) < history.valid_loss[0] or len(history.valid_loss) == 1


def test_the_checkers_accept_right_answers_and_name_the_usual_mistakes(seeded):
    exercises.check_padding_share(lambda lengths: 1 - sum(lengths) / (len(lengths) * max(lengths)), seed=seeded)
    with pytest.raises(ExerciseError, match="fraction of real steps"):
        exercises.check_padding_share(lambda lengths: sum(lengths) / (len(lengths) * max(lengths)), seed=seeded)
    def scaled(terms):
        def scaled_lr(base_lr, base_batch, per_process_batch, processes, accumulation):
            factors = {"b": per_process_batch, "p": processes, "k": accumulation}
            global_batch = 1
            for name in terms:
                global_batch *= factors[name]
            return base_lr * global_batch / base_batch
        return scaled_lr

    exercises.check_scaled_lr(scaled("bpk"), seed=seeded)
    with pytest.raises(ExerciseError, match="accumulated"):
        exercises.check_scaled_lr(scaled("bp"), seed=seeded)
    with pytest.raises(ExerciseError, match="global batch"):
        exercises.check_scaled_lr(scaled("b"), seed=seeded)


# -- bad input -------------------------------------------------------------------------------------


def lstm_params():
    return [p.detach() for p in torch_lstm().float().parameters()]


def test_lstm_scan_names_a_wrong_variant():
    with pytest.raises(ValueError, match=r"lstm_scan: variant must be one of .*got 'fast'"):
        speed.lstm_scan(torch.randn(T, B, I), *lstm_params(), variant="fast")


@pytest.mark.parametrize("shape", [(B, I), (T, B, I + 1), (0, B, I)])
def test_lstm_scan_names_a_wrong_input_shape(shape):
    with pytest.raises(ValueError, match=rf"lstm_scan: expected x of shape \(T, B, {I}\) with T >= 1, got"):
        speed.lstm_scan(torch.randn(*shape), *lstm_params())


def test_lstm_scan_names_wrong_weights_and_states():
    W_ih, W_hh, b_ih, b_hh = lstm_params()
    x = torch.randn(T, B, I)
    with pytest.raises(ValueError, match=r"expected W_hh of shape \(4H, H\), got \(20, 4\)"):
        speed.lstm_scan(x, W_ih, W_hh[:, :4], b_ih, b_hh)
    with pytest.raises(ValueError, match=r"expected W_ih of shape \(20, I\) for H = 5, got \(16, 4\)"):
        speed.lstm_scan(x, W_ih[:16], W_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=r"expected b_hh of shape \(20,\), got \(19,\)"):
        speed.lstm_scan(x, W_ih, W_hh, b_ih, b_hh[:19])
    with pytest.raises(ValueError, match=r"expected c0 of shape \(3, 5\), got \(2, 5\)"):
        speed.lstm_scan(x, W_ih, W_hh, b_ih, b_hh, (torch.zeros(B, H), torch.zeros(2, H)))
    with pytest.raises(TypeError, match="expected state to be a pair"):
        speed.lstm_scan(x, W_ih, W_hh, b_ih, b_hh, torch.zeros(B, H))
    with pytest.raises(TypeError, match="x"):
        speed.lstm_scan(x.numpy(), W_ih, W_hh, b_ih, b_hh)


def test_bad_arguments_of_the_helpers():
    with pytest.raises(TypeError, match="split_time_ms: .*forward"):
        speed.split_time_ms(3)
    with pytest.raises(TypeError, match="requires grad"):
        speed.split_time_ms(lambda: torch.zeros(2), repeats=1, warmup=0)
    with pytest.raises(ValueError, match="count_nodes: expected an output computed from tensors that require grad"):
        speed.count_nodes(torch.zeros(2))
    for lengths in ([], [3, 0], [2.5, 3.0], [[1, 2]]):
        with pytest.raises(ValueError, match="padding_share: expected lengths to be a non-empty"):
            speed.padding_share(lengths)
    with pytest.raises(ValueError, match=r"MinimalForecaster: cell must be one of \['mingru', 'minlstm'\], got 'gru'"):
        speed.MinimalForecaster(2, 4, "gru")
    with pytest.raises(ValueError, match=r"MinimalForecaster: expected input of shape \(B, T, 2\), got \(5, 2\)"):
        speed.MinimalForecaster(2, 4)(torch.randn(5, 2))
