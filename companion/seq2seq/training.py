"""Training a :class:`~companion.seq2seq.Seq2Seq` with teacher forcing: :func:`batches` cuts the
whole set into minibatches of similar length, :func:`train_seq2seq` trains with
:func:`companion.masking.masked_cross_entropy` on :func:`companion.train.loop`.
"""

from __future__ import annotations

import torch

from .. import config
from ..checks import check_bool, check_instance, check_int, check_real
from ..data.numbers import Batch
from ..data.text import Vocab
from ..masking import masked_cross_entropy
from ..train import loop, minibatch_epoch
from .encoder_decoder import Seq2Seq


def batches(batch, batch_size: int, generator: torch.Generator | None = None):
    """Cut a :class:`~companion.translation.Batch` into minibatches of similar source length.

    The examples are sorted by source length, cut into runs of ``batch_size``, and the runs
    are visited in a random order; each minibatch is trimmed to its own longest source and
    target, so little time goes into padding.
    """
    check_instance("batches", "batch", batch, Batch, "a companion.translation.Batch (the whole set)")
    check_int("batches", "batch_size", batch_size)
    order = torch.argsort(batch.src_lengths, stable=True)
    runs = list(torch.split(order, batch_size))
    for r in torch.randperm(len(runs), generator=generator).tolist():
        index = runs[r]
        S = int(batch.src_lengths[index].max())
        T = int((batch.tgt_out[index] != Vocab.pad_id).sum(dim=1).max())
        yield type(batch)(batch.src[index, :S], batch.src_lengths[index], batch.tgt_in[index, :T],
                          batch.tgt_out[index, :T])


def train_seq2seq(model: Seq2Seq, train, *, epochs: int, lr: float = 3e-3, batch_size: int = 64,
                  clip_norm: float = 1.0, seed: int | None = None, progress: bool = True) -> list[float]:
    """Train ``model`` with teacher forcing, Adam and gradient clipping; return the loss per epoch: the mean
    cross-entropy per real target token over the epoch's batches. ``seed`` orders the batches (default:
    the run's seed, :func:`companion.config.seed`).

    ``train`` is a :class:`~companion.translation.Batch` of the whole training set; the loss
    is :func:`companion.masking.masked_cross_entropy` with ``pad_id=Vocab.pad_id``.
    """
    who = "train_seq2seq"
    check_instance(who, "model", model, Seq2Seq, "a Seq2Seq model")
    check_instance(who, "train", train, Batch, "a companion.translation.Batch (the whole training set)")
    epochs, batch_size = check_int(who, "epochs", epochs), check_int(who, "batch_size", batch_size)
    lr, clip_norm = check_real(who, "lr", lr, above=0), check_real(who, "clip_norm", clip_norm, above=0)
    seed = config.seed() if seed is None else check_int(who, "seed", seed, minimum=0)
    check_bool(who, "progress", progress)
    device = next(model.parameters()).device

    def batch_loss(b):
        b = b.to(device)
        logits, _ = model(b.src, b.src_lengths, b.tgt_in)
        tokens = int((b.tgt_out != Vocab.pad_id).sum())  # the loss is a mean over these
        return masked_cross_entropy(logits, b.tgt_out, pad_id=Vocab.pad_id), tokens

    run_epoch = minibatch_epoch(model, lambda generator: batches(train, batch_size, generator), batch_loss,
                                clip_norm=clip_norm, who=who)
    history = loop(model, run_epoch, epochs=epochs, lr=lr, seed=seed, progress=progress, who=who)
    return history.train_loss
