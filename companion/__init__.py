"""companion: the tested PyTorch package behind the course *Recurrent*.

Every chapter imports it; nothing in it depends on a notebook.

=================  =========================================================
module             what it holds
=================  =========================================================
``config``         the quick/full switch, device selection, the run's seed, ``setup()``
``seeds``          ``over_seeds``: an experiment over several seeds, its mean, min and max
``cells``          ``RNNCell``, ``LSTMCell``, ``GRUCell`` and their step functions;
                   ``PeepholeLSTMCell``, ``ChoGRUCell`` (variants)
``layers``         ``RNN``, ``LSTM``, ``GRU``: stacked, bidirectional, packed input;
                   ``ChoGRU``
``numpy_rnn``      ``NumpyRNN``: hand-written backpropagation through time
``bptt``           BPTT by hand in torch, Jacobian norms, truncated-BPTT chunks
``data``           data sets shipped by maintained packages, windowing, splits, scaling
``baselines``      naive and seasonal naive forecasts
``tasks``          the adding problem and the sunspot task, with the models and fits the chapters share
``models``         small models shared by chapters (``Forecaster``, ``SequenceRegressor``, ``StepRegressor``,
                   ``SequenceClassifier``, ``ResidualRNN``, ``NGramLM``, ``LanguageModel``)
``masking``        padding, masks, masked losses that never count padding
``classify``       training and scoring classifiers of variable-length sequences
``train``          the training loops ``fit`` and ``fit_stateful``, checkpoints; ``fit_language_model``
``translation``    German to English number words: vocabularies, padding, batches
``seq2seq``        encoder, decoders with attention, greedy and beam search, multi-head attention
``metrics``        error measures (MAE, RMSE, MASE, BLEU; cross-entropy, perplexity, bits per character)
``sampling``       the next token from logits: greedy, temperature, top-k, nucleus; ``generate`` text
``exercises``      auto-checkers for the exercises
``progress``       the progress bar for terminals, Jupyter and the built book
``plots``          figures shared by chapters
=================  =========================================================
"""

from . import (baselines, bptt, classify, config, data, exercises, masking, metrics, models, plots, progress,
               sampling, seeds, seq2seq, tasks, train, translation)
from .cells import (ChoGRUCell, GRUCell, LSTMCell, PeepholeLSTMCell, RNNCell, cho_gru_step, gru_step, lstm_step,
                    peephole_lstm_step, rnn_step)
from .layers import GRU, LSTM, RNN, ChoGRU
from .numpy_rnn import NumpyRNN, gradient_check

__all__ = [
    "baselines", "bptt", "classify", "config", "data", "exercises", "masking", "metrics", "models", "plots", "progress",
    "sampling", "seeds", "seq2seq", "tasks", "train", "translation",
    "RNNCell", "LSTMCell", "GRUCell", "rnn_step", "lstm_step", "gru_step",
    "PeepholeLSTMCell", "ChoGRUCell", "peephole_lstm_step", "cho_gru_step",
    "RNN", "LSTM", "GRU", "ChoGRU",
    "NumpyRNN", "gradient_check",
]
