"""companion: the tested PyTorch package behind the course *Recurrent*.

Every chapter imports it; nothing in it depends on a notebook.

=================  =========================================================
module             what it holds
=================  =========================================================
``config``         the quick/full switch, device selection, the run's seed, ``setup()``
``seeds``          ``over_seeds``: an experiment over several seeds, its mean, min and max
``checks``         every argument check, and the words of the errors
``cells``          ``RNNCell``, ``LSTMCell``, ``GRUCell`` and their step functions;
                   ``PeepholeLSTMCell``, ``ChoGRUCell`` (variants)
``layers``         ``RNN``, ``LSTM``, ``GRU``: stacked, bidirectional, packed input; ``ChoGRU``
``layer_inputs``   what a layer accepts: input, initial state, ``proj_size``, checked as torch.nn does
``minimal``        ``MinGRU``, ``MinLSTM`` (Feng et al. 2024): gates from the input only, trained in
                   parallel by a log-space scan (``log_scan``), run step by step for generation
``numpy_rnn``      ``NumpyRNN``: hand-written backpropagation through time in NumPy
``bptt``           BPTT by hand in torch, Jacobian norms, truncated-BPTT chunks
``gated_bptt/``    the LSTM's and the GRU's backward passes by hand, step Jacobians and their products
``fast/``          ``LSTM``, ``GRU`` equal to the readable layers, faster: one input GEMM, one gate GEMM per
                   step, a hand-written backward with weight gradients batched over time
``masking``        ``lengths_to_mask``, padding, masked losses that never count padding
``data/``          real data sets shipped by maintained packages (series, reviews, Shakespeare, hourly
                   weather, stock prices); windows, splits, scaling; text and ``Vocab``
``models/``        small models shared by chapters: forecasting, sequence and text classification, a
                   bag-of-words baseline, language models (n-gram and recurrent), residual stacks;
                   persistence and linear baselines on windows
``classify``       training and scoring classifiers of variable-length sequences
``train/``         the one training ``loop``; ``fit``, ``fit_stateful``, language models, several processes;
                   checkpoints
``seq2seq/``       encoder, decoders with attention, greedy and beam search, multi-head attention
``metrics/``       error measures: MAE, RMSE, MASE; BLEU, exact match; accuracy, F1, ROC-AUC;
                   cross-entropy, perplexity, bits per character; directional accuracy, binomial intervals
``tasks``          the adding problem and the sunspot task, with the models and fits chapters share
``baselines``      naive and seasonal naive forecasts
``anomaly``        anomaly detectors (rolling z-score, LSTM forecast residuals, ``LSTMAutoencoder``) and
                   their thresholds
``translation``    the number-words task under its first name (it lives in ``data/``)
``sampling``       the next token from logits: greedy, temperature, top-k, nucleus; ``generate`` text; beam search (shared with seq2seq)
``regularise``     variational dropout (one mask per sequence): ``VariationalLSTM``, ``variational_classifier``
``ctc``            connectionist temporal classification: ``ctc_loss``, greedy decoding, ``CTCRecognizer``,
                   ``fit_ctc``; edit distance and digit error rate
``dtw``            dynamic time warping: ``dtw_distances`` (vectorised over anti-diagonals), nearest neighbours
``exercises/``     auto-checkers for the exercises: ``core`` and one module per chapter
``worked``         helpers of the worked examples: ``show``, ``f64``, ``sigmoid``
``progress``       the progress bar for terminals, Jupyter and the built book
``plots``          figures shared by chapters
``profile``        what a model costs against T: time per training step, bytes saved for backward, graph
                   depth; the key-value cache against a recurrent state
``speed``          the chapter on speed: an LSTM loop written three ways (the quadratic trap), forward and
                   backward timed apart, profiles, padding; minGRU/minLSTM forecasters for the adding problem
=================  =========================================================

A name ending in ``/`` is a subpackage; its ``__init__`` has a table of its own modules and
re-exports their public names, so ``companion.train.fit`` and ``companion.data.Vocab`` work
without knowing which file holds them.
"""

from . import (anomaly, baselines, bptt, checks, classify, config, ctc, data, dtw, exercises, fast, gated_bptt,
               layer_inputs, masking, metrics, minimal, models, plots, profile, progress, regularise, sampling, seeds,
               seq2seq, speed, tasks, train, translation, worked)
from .cells import (ChoGRUCell, GRUCell, LSTMCell, PeepholeLSTMCell, RNNCell, cho_gru_step, gru_step, lstm_step,
                    peephole_lstm_step, rnn_step)
from .layers import GRU, LSTM, RNN, ChoGRU
from .minimal import MinGRU, MinLSTM
from .numpy_rnn import NumpyRNN, gradient_check

__all__ = [
    "anomaly", "baselines", "bptt", "checks", "classify", "config", "ctc", "data", "dtw", "exercises", "fast",
    "gated_bptt", "layer_inputs", "masking", "metrics", "minimal", "models", "plots", "profile", "progress",
    "regularise", "sampling", "seeds", "seq2seq", "speed", "tasks", "train", "translation", "worked",
    "RNNCell", "LSTMCell", "GRUCell", "rnn_step", "lstm_step", "gru_step",
    "PeepholeLSTMCell", "ChoGRUCell", "peephole_lstm_step", "cho_gru_step",
    "RNN", "LSTM", "GRU", "ChoGRU", "MinGRU", "MinLSTM",
    "NumpyRNN", "gradient_check",
]
