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
