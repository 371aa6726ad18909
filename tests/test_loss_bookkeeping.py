"""The training loss a training loop reports is the loss of the data it trained on, weighted right.

Each loop reports, per epoch, the mean of its batch losses weighted by what each batch
holds. These tests check the first epoch's number against an independent computation:

* **Frozen models** (most tests): every weight that shapes the output has
  ``requires_grad=False``; the one trainable parameter ``dummy`` enters the output as
  ``0 * dummy``, so its gradient is exactly zero. Adam's step with a zero gradient is
  exactly zero (its moments stay 0, and ``0 / (sqrt(0) + eps) = 0``), and clipping a zero
  gradient leaves it zero, so the model is the same function at every batch of the
  epoch, with a real optimizer and a learning rate that ``fit`` accepts. The reported loss
  must then equal *one forward pass over the whole training set*: a mean over samples
  (steps, target tokens) of the model's loss, which a mean of batch means matches only
  when each batch mean is weighted by its share of the samples. Every test has a last,
  smaller batch (chunk), where an unweighted mean of batch means is wrong. The tests also
  assert that the parameters did not move, so that the comparison is with the model that
  was trained.
* **A learning model** (:func:`fit` only): the loss function is wrapped to record each
  batch's loss and size as the loop computes them, with the parameters of that moment;
  the report must be the size-weighted mean of those.

Everything runs in float64, so equal means equal to rounding (``rel=1e-12``).
"""

import copy

import pytest
import torch
from torch import nn

from companion.train import fit, fit_stateful

REL = 1e-12


def frozen(module: nn.Module) -> nn.Module:
    for p in module.parameters():
        p.requires_grad_(False)
    return module


class FrozenRegressor(nn.Module):
    """``model(x) -> (N, 2)``: a fixed random affine map, plus ``0 * dummy``."""

    def __init__(self):
        super().__init__()
        self.net = frozen(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double())
        self.dummy = nn.Parameter(torch.ones((), dtype=torch.float64))

    def forward(self, x):
        return self.net(x) + 0 * self.dummy


def full_pass(loss_fn, *args):
    with torch.no_grad():
        return float(loss_fn(*args))


def same_parameters(model, before):
    return all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), before.values()))


@pytest.mark.parametrize("batch_size, sizes", [(4, "4, 4, 2"), (3, "3, 3, 3, 1"), (None, "10")])
def test_fit_reports_the_full_pass_mse_of_a_frozen_model(batch_size, sizes):
    """10 samples in batches of ``sizes``: the epoch's loss is the MSE of one pass over all 10."""
    model = FrozenRegressor()
    X, y = torch.randn(10, 3, dtype=torch.float64), 3 * torch.randn(10, 2, dtype=torch.float64)
    expected = full_pass(nn.functional.mse_loss, model(X), y)
    before = copy.deepcopy(model.state_dict())
    history = fit(model, (X, y), epochs=1, batch_size=batch_size, progress=False, lr=0.1, seed=1)
    assert same_parameters(model, before)
    assert history.train_loss[0] == pytest.approx(expected, rel=REL)


def test_fit_reports_the_full_pass_cross_entropy_of_a_frozen_classifier():
    model = FrozenRegressor()  # two logits per sample
    X, y = torch.randn(11, 3, dtype=torch.float64), torch.randint(0, 2, (11,))
    expected = full_pass(nn.functional.cross_entropy, model(X), y)
    history = fit(model, (X, y), epochs=1, batch_size=4, loss_fn=nn.functional.cross_entropy, progress=False, lr=0.1)
    assert history.train_loss[0] == pytest.approx(expected, rel=REL)


def test_fit_reports_the_size_weighted_mean_of_the_losses_it_computed_while_learning():
    """A model that learns (Adam, lr=0.05): its loss changes from batch to batch, so the report is
    checked against the losses the loop computed, recorded by a wrapped loss function, weighted by
    batch size (4, 4, 4, 1)."""
    torch.manual_seed(0)
    model = nn.Linear(3, 2).double()
    X, y = torch.randn(13, 3, dtype=torch.float64), torch.randn(13, 2, dtype=torch.float64)
    seen = []

    def recording_mse(out, target):
        loss = nn.functional.mse_loss(out, target)
        seen.append((float(loss.detach()), target.shape[0]))
        return loss

    history = fit(model, (X, y), epochs=1, batch_size=4, loss_fn=recording_mse, progress=False, lr=0.05)
    assert sorted(n for _, n in seen) == [1, 4, 4, 4]
    assert len({loss for loss, _ in seen}) == 4  # the batches' losses differ: the weights matter
    expected = sum(loss * n for loss, n in seen) / 13
    unweighted = sum(loss for loss, _ in seen) / 4
    assert history.train_loss[0] == pytest.approx(expected, rel=REL)
    assert history.train_loss[0] != pytest.approx(unweighted, rel=1e-6)


class FrozenStateful(nn.Module):
    """``model(x (B, T, 1), h) -> (y (B, T), h_n)``: a fixed random tanh RNN and readout, plus ``0 * dummy``."""

    def __init__(self):
        super().__init__()
        self.rnn = frozen(nn.RNN(1, 5, batch_first=True).double())
        self.readout = frozen(nn.Linear(5, 1).double())
        self.dummy = nn.Parameter(torch.ones((), dtype=torch.float64))

    def forward(self, x, h=None):
        out, h_n = self.rnn(x, h)
        return self.readout(out).squeeze(-1) + 0 * self.dummy, h_n


@pytest.mark.parametrize("chunk_length, randomise", [(4, False), (5, True), (None, False)])
def test_fit_stateful_reports_the_full_sequence_mse_of_a_frozen_model(chunk_length, randomise):
    """11 steps in chunks (4, 4, 3 with chunk_length=4; random lengths; or one chunk): the carried state
    makes the chunks together the one full pass, whose MSE over all 11 steps is the epoch's loss."""
    model = FrozenStateful()
    X = torch.randn(3, 11, 1, dtype=torch.float64)
    y = 2 * torch.randn(3, 11, dtype=torch.float64) + 1
    expected = full_pass(nn.functional.mse_loss, model(X)[0], y)
    before = copy.deepcopy(model.state_dict())
    history = fit_stateful(model, (X, y), chunk_length=chunk_length, randomise=randomise, epochs=1, lr=0.1,
                           progress=False, seed=2)
    assert same_parameters(model, before)
    assert history.train_loss[0] == pytest.approx(expected, rel=REL)


# -- companion.classify.fit_classifier -------------------------------------------


class FrozenSequenceClassifier(nn.Module):
    """``model(x (B, T, 2), lengths) -> logits (B, 3)``: the mean of each sequence's real steps through a
    fixed linear map, plus ``0 * dummy``. Reads no padding, so trimming a batch does not change it."""

    def __init__(self):
        super().__init__()
        self.linear = frozen(nn.Linear(2, 3).double())
        self.dummy = nn.Parameter(torch.ones((), dtype=torch.float64))

    def forward(self, x, lengths):
        mask = torch.arange(x.shape[1])[None, :] < lengths[:, None]
        mean = (x * mask[..., None]).sum(1) / lengths[:, None]
        return 4 * self.linear(mean) + 0 * self.dummy


def test_fit_classifier_reports_the_full_pass_cross_entropy_of_a_frozen_model():
    from companion.classify import fit_classifier

    model = FrozenSequenceClassifier()
    lengths = torch.tensor([7, 2, 5, 1, 7, 3, 6, 4, 2, 5, 3])
    x = torch.randn(11, 7, 2, dtype=torch.float64)
    y = torch.randint(0, 3, (11,))
    expected = full_pass(nn.functional.cross_entropy, model(x, lengths), y)
    before = copy.deepcopy(model.state_dict())
    losses = fit_classifier(model, x, lengths, y, epochs=1, lr=0.1, batch_size=4, progress=False)  # 4, 4, 3
    assert same_parameters(model, before)
    assert losses[0] == pytest.approx(expected, rel=REL)


# -- companion.seq2seq.train_seq2seq ---------------------------------------------


def toy_translation_set(rng_torch, n=9, vocab=8):
    """``n`` pairs whose targets have 1 to 6 tokens (before ``<eos>``): the batches hold unequal numbers of tokens."""
    from companion.translation import Batch, Vocab

    src_lengths = torch.randint(1, 6, (n,), generator=rng_torch)
    tgt_lengths = torch.tensor([1, 6, 2, 5, 3, 6, 1, 4, 2])[:n]
    S, T = int(src_lengths.max()), int(tgt_lengths.max()) + 1
    src = torch.zeros(n, S, dtype=torch.int64)
    tgt_in = torch.zeros(n, T, dtype=torch.int64)
    tgt_out = torch.zeros(n, T, dtype=torch.int64)
    for i in range(n):
        src[i, :src_lengths[i]] = torch.randint(4, vocab, (int(src_lengths[i]),), generator=rng_torch)
        words = torch.randint(4, vocab, (int(tgt_lengths[i]),), generator=rng_torch)
        tgt_in[i, :len(words) + 1] = torch.cat([torch.tensor([Vocab.bos_id]), words])
        tgt_out[i, :len(words) + 1] = torch.cat([words, torch.tensor([Vocab.eos_id])])
    return Batch(src, src_lengths, tgt_in, tgt_out)


@pytest.mark.xfail(strict=True, reason=(
    "companion.seq2seq.train_seq2seq weights each batch's loss, a mean over its real target tokens, by the "
    "number of sentences (len(b)) instead of the number of real target tokens, so its epoch loss is not the "
    "token mean over the training set that masked_cross_entropy gives in one pass"))
def test_train_seq2seq_reports_the_full_pass_masked_cross_entropy_of_a_frozen_model():
    from companion.seq2seq import Decoder, Encoder, Seq2Seq, masked_cross_entropy, train_seq2seq

    class FrozenSeq2Seq(Seq2Seq):
        def __init__(self):
            super().__init__(Encoder(8, 4, 5), Decoder(8, 4, 5))
            frozen(self.double())
            self.dummy = nn.Parameter(torch.ones((), dtype=torch.float64))

        def forward(self, src, src_lengths, tgt_in):
            logits, weights = super().forward(src, src_lengths, tgt_in)
            return logits + 0 * self.dummy, weights

    model = FrozenSeq2Seq()
    train = toy_translation_set(torch.Generator().manual_seed(3))
    with torch.no_grad():
        expected = float(masked_cross_entropy(model(train.src, train.src_lengths, train.tgt_in)[0], train.tgt_out))
    before = copy.deepcopy(model.state_dict())
    losses = train_seq2seq(model, train, epochs=1, lr=0.1, batch_size=4, progress=False)  # 4, 4, 1 sentences
    assert same_parameters(model, before)
    assert losses[0] == pytest.approx(expected, rel=REL)
