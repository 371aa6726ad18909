"""The bag-of-words baseline for text classification: TF-IDF features and logistic regression
(scikit-learn), order-blind by construction.

A text becomes the vector of its tokens' counts, each weighted by the token's inverse document
frequency (rare words count more) and scaled to unit length; a linear model reads it. With
``ngram_range=(1, 1)`` two texts made of the same words in another order get the same vector, so
the same prediction; ``(1, 2)`` adds pairs of neighbouring words, which see a little order.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_int, check_real, check_strings, describe
from ..data.reviews import tokenize


class BagOfWords:
    """TF-IDF + logistic regression. ``BagOfWords(C=1.0, ngram_range=(1, 1), min_df=2)``;
    ``fit(texts, labels)``, ``predict_proba(texts) -> (N,)`` (probability of class 1),
    ``features(texts)`` (the sparse TF-IDF matrix), ``top_words(k)`` (the most negative and the
    most positive weights). Tokens are :func:`companion.data.reviews.tokenize`'s; a token must
    occur in at least ``min_df`` training texts to count. The fit is deterministic (liblinear)."""

    def __init__(self, C: float = 1.0, ngram_range: tuple[int, int] = (1, 1), min_df: int = 2):
        who = "BagOfWords"
        self.C = check_real(who, "C", C, above=0)
        pair = isinstance(ngram_range, tuple) and len(ngram_range) == 2
        if not (pair and all(isinstance(n, int) for n in ngram_range) and 1 <= ngram_range[0] <= ngram_range[1]):
            raise ValueError(f"{who}: expected ngram_range to be a pair of integers (lo, hi) with 1 <= lo <= hi, "
                             f"got {ngram_range!r}")
        self.ngram_range = ngram_range
        self.min_df = check_int(who, "min_df", min_df)
        self.vectorizer = self.model = None

    def fit(self, texts, labels) -> "BagOfWords":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        who = "BagOfWords.fit"
        texts = check_strings(who, "texts", texts, what="text", allow_empty=False)
        labels = np.asarray(labels)
        if labels.shape != (len(texts),) or not np.all(np.isin(labels, (0, 1))):
            raise ValueError(f"{who}: expected labels to be {len(texts)} labels 0 or 1, one per text, got "
                             f"{describe(labels)}")
        if len(set(labels.tolist())) < 2:
            raise ValueError(f"{who}: expected both classes among the labels, got only {int(labels[0])}")
        self.vectorizer = TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None,
                                          ngram_range=self.ngram_range, min_df=self.min_df)
        features = self.vectorizer.fit_transform(texts)
        self.model = LogisticRegression(C=self.C, solver="liblinear").fit(features, labels.astype(np.int64))
        return self

    def _fitted(self, who: str) -> None:
        if self.model is None:
            raise RuntimeError(f"{who}: the model is not fitted yet; call fit(texts, labels) first")

    def features(self, texts):
        """The TF-IDF matrix (N, vocabulary), sparse."""
        self._fitted("BagOfWords.features")
        return self.vectorizer.transform(check_strings("BagOfWords.features", "texts", texts, what="text"))

    def predict_proba(self, texts) -> np.ndarray:
        """The probability of class 1 for each text: (N,)."""
        self._fitted("BagOfWords.predict_proba")
        texts = check_strings("BagOfWords.predict_proba", "texts", texts, what="text", allow_empty=False)
        return self.model.predict_proba(self.vectorizer.transform(texts))[:, 1]

    def top_words(self, k: int = 10) -> tuple[list[str], list[str]]:
        """The ``k`` features with the most negative and the ``k`` with the most positive weights."""
        self._fitted("BagOfWords.top_words")
        k = check_int("BagOfWords.top_words", "k", k)
        names = self.vectorizer.get_feature_names_out()
        order = np.argsort(self.model.coef_[0])
        return [str(names[i]) for i in order[:k]], [str(names[i]) for i in order[::-1][:k]]
