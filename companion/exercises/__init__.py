"""Auto-checkers for the exercises: the checking machinery in :mod:`.core`, one module per chapter.

A reader writes a function in a notebook and hands it to the chapter's checker::

    from companion import exercises
    exercises.check_mase(my_mase)

Every checker is also importable from ``companion.exercises`` itself.
"""

from .core import ExerciseError, check_function, compare
from .sequences import check_mase, check_seasonal_naive
from .bptt import check_rnn_step_backward, check_clip_grad_norm
from .gated import check_lstm_step, check_gru_step, check_lstm_parameter_count, check_gru_parameter_count
from .gated_bptt import check_gru_step_backward
from .variable_length import check_lengths_to_mask, check_masked_mse, check_reverse_padded
from .deep import check_stacked_parameter_count, check_final_states
from .seq2seq import check_modified_precision, check_brevity_penalty, check_length_normalized_score
from .attention import check_additive_scores, check_scaled_dot_product_attention
from .text_classification import check_attention_weights, check_f1_score, check_roc_auc
from .language import check_add_k_bigram, check_softmax_with_temperature, check_top_k_filter
from .weather_stocks import check_chance_agreement, check_seasonal_persistence, check_wilson_interval
from .limitations import check_kv_cache_numbers, check_linear_recurrence
from .anomaly import check_event_recall, check_rolling_zscore
from .regularisation import check_same_mask_dropout, check_early_stopping
from .forecasting import check_coverage, check_mase_by_horizon, check_pinball_loss
from .speech import check_ctc_collapse, check_dtw_distance, check_edit_distance
from .fast import check_padding_share, check_scaled_lr

__all__ = [
    "ExerciseError", "check_function", "compare",
    "check_mase", "check_seasonal_naive",
    "check_rnn_step_backward", "check_clip_grad_norm",
    "check_lstm_step", "check_gru_step", "check_lstm_parameter_count", "check_gru_parameter_count",
    "check_gru_step_backward",
    "check_lengths_to_mask", "check_masked_mse", "check_reverse_padded",
    "check_stacked_parameter_count", "check_final_states",
    "check_modified_precision", "check_brevity_penalty", "check_length_normalized_score",
    "check_additive_scores", "check_scaled_dot_product_attention",
    "check_roc_auc", "check_f1_score", "check_attention_weights",
    "check_add_k_bigram", "check_top_k_filter", "check_softmax_with_temperature",
    "check_seasonal_persistence", "check_wilson_interval", "check_chance_agreement",
    "check_linear_recurrence", "check_kv_cache_numbers",
    "check_event_recall", "check_rolling_zscore",
    "check_same_mask_dropout", "check_early_stopping",
    "check_pinball_loss", "check_coverage", "check_mase_by_horizon",
    "check_ctc_collapse", "check_edit_distance", "check_dtw_distance",
    "check_padding_share", "check_scaled_lr",
]
