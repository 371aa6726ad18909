"""Data: real data sets that ship with maintained packages (nothing is downloaded), and the
steps from raw data to batches.

=================  =========================================================
module             what it holds
=================  =========================================================
``series``         real series: ``sunspots``, ``co2_weekly``
``windows``        ``make_windows``, ``time_split``, ``Standardizer``
``sequences``      variable-length sequences to classify: ``japanese_vowels``, ``digits_as_sequences``
``text``           tokenisers ``characters`` and ``words``, ``Vocab``, ``pad`` (ids)
``reviews``        Amazon fine-food reviews (great/other): ``load_reviews``, ``tokenize``, ``review_vocab``,
                   ``encode``, ``batches``
``corpus``         Shakespeare's plays (``shakespeare``), ``split_text`` in text order, ``encode_characters``,
                   ``batchify`` and ``stream_batches`` (streams for stateful training)
``numbers``        the German-to-English number-words task: ``number_task``, ``Batch``, ``make_batch``
``weather``        hourly weather at New York's airports, 2013: ``load_weather`` on a full clock
                   (``to_full_clock``), ``hour_of_day``, ``window_pairs`` that never span a missing hour
``stocks``         daily prices that ship offline: ``load_goog`` (matplotlib's sample data), ``log_returns``
``anomalies``      series with labelled anomalies: ``ecg``, ``victoria_electricity``; ``inject_anomalies``, ``events``
``energy``         half-hourly electricity demand in Victoria, 2014, with temperature: ``load_elecdemand``
``horizons``       multi-step windows with covariates: ``horizon_windows``, ``HorizonWindows``, ``origins_between``
``speech``         spoken digits as MFCCs (FSDD): ``spoken_digits``, ``split_digits``, ``standardize_frames``,
                   ``digit_strings``, ``stack_frames``, ``frame_statistics``
=================  =========================================================

Every public name is also importable from ``companion.data`` itself.
"""

from .anomalies import Electricity, Injected, ecg, events, inject_anomalies, victoria_electricity
from .corpus import batchify, encode_characters, shakespeare, split_text, stream_batches
from .numbers import Batch, NumberTask, english, german, make_batch, number_pairs, number_task, split_numbers
from .reviews import Reviews, ReviewSplits, load_reviews, review_vocab
from .sequences import digits_as_sequences, japanese_vowels
from .speech import digit_strings, frame_statistics, split_digits, spoken_digits, stack_frames, standardize_frames
from .series import co2_weekly, sunspots
from .text import BOS, EOS, PAD, SPECIALS, UNK, Vocab, characters, pad, words
from .windows import Standardizer, make_windows, time_split
from .energy import load_elecdemand
from .horizons import HorizonWindows, horizon_windows, origins_between
from .weather import HourlyWeather, WindowPairs, hour_of_day, load_weather, to_full_clock, window_pairs
from .stocks import Prices, load_goog, log_returns

__all__ = [
    "sunspots", "co2_weekly",
    "make_windows", "time_split", "Standardizer",
    "japanese_vowels", "digits_as_sequences",
    "characters", "words", "Vocab", "pad", "PAD", "BOS", "EOS", "UNK", "SPECIALS",
    "load_reviews", "review_vocab", "Reviews", "ReviewSplits",
    "shakespeare", "split_text", "encode_characters", "batchify", "stream_batches",
    "ecg", "victoria_electricity", "Electricity", "inject_anomalies", "Injected", "events",
    "german", "english", "split_numbers", "number_pairs", "Batch", "make_batch", "NumberTask", "number_task",
    "load_elecdemand", "HorizonWindows", "horizon_windows", "origins_between",
    "load_weather", "to_full_clock", "hour_of_day", "window_pairs", "HourlyWeather", "WindowPairs",
    "load_goog", "log_returns", "Prices",
    "spoken_digits", "split_digits", "standardize_frames", "digit_strings", "stack_frames", "frame_statistics",
]
