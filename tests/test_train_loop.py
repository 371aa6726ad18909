"""The one training loop, ``companion.train.loop``, with ``update`` and ``minibatch_epoch``.

Every trainer of the package (``fit``, ``fit_stateful``, ``fit_classifier``, ``train_seq2seq``)
goes through ``loop``; these tests pin what the loop itself promises, with run_epoch and
validate functions written here, so each expected value is known in advance.
"""

import math

import pytest
import torch
from torch import nn

from companion import train
from companion.classify import fit_classifier
from companion.train import History, loop, minibatch_epoch, update


class Scalar(nn.Module):
    """One parameter ``w``; the model's "epoch" is whatever run_epoch writes into it."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros((), dtype=torch.float64))


def writing_epoch(model, values):
    """A run_epoch that sets ``w`` to ``values[epoch]`` and reports ``10 * values[epoch]`` as its loss."""

    def run_epoch(optimizer, generator, epoch):
        with torch.no_grad():
            model.w.fill_(values[epoch])
        return 10.0 * values[epoch]

    return run_epoch


def test_loop_records_each_epochs_training_loss_and_returns_a_history():
    model = Scalar()
    history = loop(model, writing_epoch(model, [3.0, 1.0, 2.0]), epochs=3, progress=False)
    assert isinstance(history, History)
    assert history.train_loss == [30.0, 10.0, 20.0]
    assert history.valid_loss == [] and history.best_epoch is None
    assert model.w.item() == 2.0  # no validation: the last epoch's weights stay
    assert not model.training


def test_loop_restores_the_weights_of_the_best_validation_epoch():
    model = Scalar()
    values = [3.0, 1.0, 2.0, 5.0]
    # validate reads w: the validation loss is |w - 1|, lowest at epoch 1
    history = loop(model, writing_epoch(model, values), epochs=4, progress=False,
                   validate=lambda m: abs(float(m.w) - 1.0))
    assert history.valid_loss == [2.0, 0.0, 1.0, 4.0]
    assert history.best_epoch == 1
    assert model.w.item() == 1.0


def test_validate_runs_in_eval_mode_without_gradients():
    model = Scalar()
    seen = []

    def validate(m):
        seen.append((m.training, torch.is_grad_enabled()))
        return 0.0

    loop(model, writing_epoch(model, [0.0, 0.0]), epochs=2, validate=validate, progress=False)
    assert seen == [(False, False), (False, False)]


def test_patience_stops_after_that_many_epochs_without_improvement():
    model = Scalar()
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    history = loop(model, writing_epoch(model, values), epochs=6, patience=2, progress=False,
                   validate=lambda m: float(m.w))
    assert history.train_loss == [10.0, 20.0, 30.0]  # epochs 1 and 2 did not improve on epoch 0
    assert model.w.item() == 1.0


def test_stop_below_ends_training_at_the_first_epoch_under_it():
    model = Scalar()
    history = loop(model, writing_epoch(model, [3.0, 0.5, 0.1]), epochs=3, stop_below=1.0, progress=False,
                   validate=lambda m: float(m.w))
    assert len(history.train_loss) == 2


def test_the_generator_handed_to_run_epoch_is_seeded_with_seed():
    model = Scalar()
    draws = {}

    def run_epoch(optimizer, generator, epoch):
        draws.setdefault(epoch, []).append(torch.randint(0, 10**9, (1,), generator=generator).item())
        return 0.0

    loop(model, run_epoch, epochs=1, seed=123, progress=False)
    expected = torch.randint(0, 10**9, (1,), generator=torch.Generator().manual_seed(123)).item()
    assert draws == {0: [expected]}


def test_minibatch_epoch_weights_each_batch_mean_by_its_size():
    """lr=0 would be refused; a zero gradient (0 * w) leaves the model unchanged, so each batch's
    loss is known in advance: the epoch's loss is sum(loss * weight) / sum(weight)."""
    model = Scalar()
    batches = [(2.0, 1), (5.0, 3), (11.0, 2)]  # (mean loss of the batch, how many items it averages)
    run_epoch = minibatch_epoch(model, lambda generator: iter(batches),
                                lambda b: (torch.tensor(b[0], dtype=torch.float64) + 0 * model.w, b[1]))
    history = loop(model, run_epoch, epochs=1, progress=False)
    assert history.train_loss[0] == pytest.approx((2.0 * 1 + 5.0 * 3 + 11.0 * 2) / 6, rel=1e-15)
    assert history.train_loss[0] != pytest.approx((2.0 + 5.0 + 11.0) / 3)


def test_minibatch_epoch_takes_one_optimizer_step_per_batch():
    model = Scalar()
    steps = []
    run_epoch = minibatch_epoch(model, lambda generator: range(4), lambda b: ((model.w - 1.0) ** 2, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    original = optimizer.step

    def counting_step(*args, **kwargs):
        steps.append(model.w.item())
        return original(*args, **kwargs)

    optimizer.step = counting_step
    run_epoch(optimizer, torch.Generator(), 0)
    # gradient descent on (w - 1)^2 with lr 0.5 jumps to the minimum in one step: w = 0, 1, 1, 1
    assert steps == [0.0, 1.0, 1.0, 1.0]


def test_update_clips_the_global_gradient_norm():
    model = Scalar()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    update(model, optimizer, 100.0 * model.w, clip_norm=2.0)  # gradient 100, clipped to 2
    assert model.w.item() == pytest.approx(-2.0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_update_refuses_a_loss_that_is_not_finite_and_says_where(bad):
    model = Scalar()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    with pytest.raises(FloatingPointError, match=rf"my_trainer: the training loss became {bad} at epoch 7"):
        update(model, optimizer, model.w * 0 + bad, who="my_trainer", epoch=7)
    assert model.w.item() == 0.0


def test_fit_classifier_reports_the_loops_history():
    """fit_classifier is a wrapper of loop: its losses are the loop's per-epoch training losses."""
    torch.manual_seed(0)

    class Mean(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 3)

        def forward(self, x, lengths):
            return self.linear(x.sum(1) / lengths[:, None])

    x, lengths, y = torch.randn(10, 4, 2), torch.full((10,), 4), torch.randint(0, 3, (10,))
    losses = fit_classifier(Mean(), x, lengths, y, epochs=3, batch_size=4, progress=False)
    assert len(losses) == 3 and all(math.isfinite(v) for v in losses)


# -- bad input -------------------------------------------------------------------------------


def test_loop_refuses_a_run_epoch_that_is_not_callable():
    with pytest.raises(TypeError, match=r"loop: expected run_epoch to be a function, got 3.0"):
        loop(Scalar(), 3.0, epochs=1, progress=False)


def test_loop_refuses_a_run_epoch_that_returns_no_number():
    with pytest.raises(TypeError, match=r"expected run_epoch to return the epoch's mean training loss \(a float\), "
                                        r"got .*str.* at epoch 0"):
        loop(Scalar(), lambda o, g, e: "low", epochs=1, progress=False)


def test_loop_refuses_a_validation_loss_that_is_nan():
    model = Scalar()
    with pytest.raises(FloatingPointError, match="the validation loss is nan at epoch 0"):
        loop(model, writing_epoch(model, [1.0]), epochs=1, validate=lambda m: float("nan"), progress=False)


@pytest.mark.parametrize("name, value", [("patience", 2), ("stop_below", 0.5)])
def test_loop_refuses_patience_or_stop_below_without_validate(name, value):
    model = Scalar()
    with pytest.raises(ValueError, match=rf"loop: {name}={value} needs a validation set to watch; pass validate="):
        loop(model, writing_epoch(model, [1.0]), epochs=1, progress=False, **{name: value})


def test_loop_refuses_a_model_without_parameters():
    with pytest.raises(ValueError, match="loop: the model has no parameters to train"):
        loop(nn.Identity(), lambda o, g, e: 0.0, epochs=1, progress=False)


def test_minibatch_epoch_refuses_a_batch_loss_that_is_not_a_pair():
    model = Scalar()
    run_epoch = minibatch_epoch(model, lambda g: [1], lambda b: model.w ** 2)
    with pytest.raises(TypeError, match=r"expected batch_loss\(batch\) to return \(mean loss, weight\)"):
        loop(model, run_epoch, epochs=1, progress=False)


def test_minibatch_epoch_refuses_an_epoch_without_batches():
    model = Scalar()
    run_epoch = minibatch_epoch(model, lambda g: [], lambda b: (model.w ** 2, 1))
    with pytest.raises(ValueError, match="yielded no batch"):
        loop(model, run_epoch, epochs=1, progress=False)


def test_train_reexports_the_loop():
    assert train.loop is loop and train.update is update and train.minibatch_epoch is minibatch_epoch
