"""Tests written against mutants of companion/train/ that survived a sample of the mutation run
(make mutants; benchmarks/mutation_report.md). Reference: one SGD step written out by hand."""

import torch
from torch import nn

from companion.train.loop import minibatch_epoch


def test_minibatch_epoch_clips_the_gradient_norm_before_the_step():
    # loss = 10 * w, so dloss/dw = 10; clipped to norm 0.5, one SGD step of lr 1 moves w by -0.5.
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(2.0)
    run_epoch = minibatch_epoch(model, lambda generator: [None], lambda batch: (10 * model.weight.sum(), 1),
                                clip_norm=0.5)
    reported = run_epoch(torch.optim.SGD(model.parameters(), lr=1.0), torch.Generator().manual_seed(0), 0)
    assert reported == 20.0  # the loss before the step, 10 * 2
    assert model.weight.item() == 1.5  # 2 - 1.0 * 0.5, not 2 - 10 unclipped


def _series(n=4, T=6):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n, T, 1, generator=g)
    return X, X[..., 0]


def test_fit_stateful_needs_a_validation_set_for_patience_and_accepts_one():
    import pytest

    from companion import train
    from companion.models import SequenceRegressor

    with pytest.raises(ValueError, match=r"^fit_stateful: patience=1 needs a validation set to watch; "
                                         r"pass valid=\(X, y\)$"):
        train.fit_stateful(SequenceRegressor(1, 3), _series(), chunk_length=2, epochs=1, patience=1, progress=False)
    torch.manual_seed(0)
    history = train.fit_stateful(SequenceRegressor(1, 3), _series(), chunk_length=2, epochs=1, patience=1,
                                 valid=_series(), progress=False)
    assert len(history.train_loss) == 1
