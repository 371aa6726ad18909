"""Small models built from companion's layers, shared by the chapters.

=================  =========================================================
module             what it holds
=================  =========================================================
``forecast``       ``Forecaster`` (many-to-one, also bidirectional), ``SequenceRegressor`` (state carried
                   between calls), ``StepRegressor`` (a prediction at every real step of a padded batch)
``classify``       ``SequenceClassifier`` (variable-length, packed, bidirectional), ``final_states``
``residual``       ``ResidualRNN``: stacked one-layer recurrent layers with skip connections
``common``         the layer classes by name (``LAYERS``, ``TORCH_LAYERS``) and shared argument checks
=================  =========================================================

Every public name is also importable from ``companion.models`` itself.
"""

from .classify import SequenceClassifier, final_states
from .common import LAYERS, TORCH_LAYERS
from .forecast import Forecaster, SequenceRegressor, StepRegressor
from .residual import ResidualRNN

__all__ = ["Forecaster", "SequenceRegressor", "StepRegressor", "SequenceClassifier", "final_states", "ResidualRNN",
           "LAYERS", "TORCH_LAYERS"]
