"""Small models built from companion's layers, shared by the chapters.

=================  =========================================================
module             what it holds
=================  =========================================================
``forecast``       ``Forecaster`` (many-to-one, also bidirectional), ``SequenceRegressor`` (state carried
                   between calls), ``StepRegressor`` (a prediction at every real step of a padded batch)
``classify``       ``SequenceClassifier`` (variable-length, packed, bidirectional), ``final_states``
``residual``       ``ResidualRNN``: stacked one-layer recurrent layers with skip connections
``text_classify``  ``TextClassifier`` (embedding, packed RNN, pooling ``last``/``mean``/``attention``),
                   ``mean_pool``, ``last_pool``, ``AttentionPool``, ``fit_text_classifier``, ``predict_proba``
``bag_of_words``   ``BagOfWords``: the TF-IDF + logistic-regression baseline for text classification
``ngram``          ``NGramLM``: n-gram language models with add-k or interpolated Kneser–Ney smoothing
``language``       ``LanguageModel``: embedding → recurrent layer → next-token logits
``multistep``      ``RecursiveForecaster``, ``DirectForecaster``, ``EncoderDecoderForecaster`` (many steps
                   ahead, covariates, quantiles), ``LagRegression``, ``fit_multistep``, ``predict_multistep``
``persist``        ``persistence``, ``seasonal_persistence``, ``LinearWindow``: baselines scored on the
                   same windows as a ``Forecaster``
``common``         the layer classes by name (``LAYERS``, ``TORCH_LAYERS``) and shared argument checks
=================  =========================================================

Every public name is also importable from ``companion.models`` itself.
"""

from .classify import SequenceClassifier, final_states
from .language import LanguageModel
from .ngram import NGramLM
from .common import LAYERS, TORCH_LAYERS
from .forecast import Forecaster, SequenceRegressor, StepRegressor
from .residual import ResidualRNN
from .text_classify import (AttentionPool, TextClassifier, fit_text_classifier, last_pool, mean_pool,
                            predict_proba)
from .bag_of_words import BagOfWords
from .multistep import (DirectForecaster, EncoderDecoderForecaster, LagRegression, RecursiveForecaster, fit_multistep,
                        predict_multistep)
from .persist import LinearWindow, persistence, seasonal_persistence

__all__ = ["Forecaster", "SequenceRegressor", "StepRegressor", "SequenceClassifier", "final_states", "ResidualRNN",
           "LAYERS", "TORCH_LAYERS",
           "TextClassifier", "AttentionPool", "mean_pool", "last_pool", "fit_text_classifier", "predict_proba",
           "BagOfWords", "NGramLM", "LanguageModel",
           "RecursiveForecaster", "DirectForecaster", "EncoderDecoderForecaster", "LagRegression", "fit_multistep",
           "predict_multistep",
           "persistence", "seasonal_persistence", "LinearWindow"]
