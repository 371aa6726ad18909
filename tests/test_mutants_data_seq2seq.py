"""Tests written against mutants of companion/data/ and companion/seq2seq/ that survived a sample
of the mutation run (make mutants; benchmarks/mutation_report.md). References: hand-worked values
and the package's other public functions used as the documented definition (translate's greedy
mode *is* greedy_decode, its docstring says so)."""

import numpy as np
import pytest
import torch

from companion import data
from companion import seq2seq as s2s
from companion.translation import Batch, Vocab


def test_split_numbers_draws_from_low_to_high_only():
    train, valid, test = data.split_numbers(100, 130, (10, 10, 10), seed=3)
    every = np.concatenate([train, valid, test])
    assert sorted(every.tolist()) == list(range(100, 130))  # all 30 numbers of [100, 130), each once


def test_standardizer_fits_two_points():
    scaler = data.Standardizer().fit([1.0, 3.0])  # mean 2, population std 1
    assert scaler.transform([1.0, 3.0, 4.0]).tolist() == [-1.0, 1.0, 2.0]
    with pytest.raises(ValueError, match=r"^Standardizer\.fit: expected shape \(n,\) or \(n, F\) with n >= 2, got \(1,\)$"):
        data.Standardizer().fit([1.0])


def test_number_task_splits_keys_texts_and_a_source_vocabulary_from_the_training_texts():
    task = data.number_task(1, 40, (6, 3, 3), seed=0)
    assert list(task.numbers) == list(task.sources) == list(task.batches) == ["train", "valid", "test"]
    assert [len(task.numbers[k]) for k in ("train", "valid", "test")] == [6, 3, 3]
    for name in task.numbers:
        assert task.sources[name] == [data.german(int(n)) for n in task.numbers[name]]
        assert task.targets[name] == [data.english(int(n)) for n in task.numbers[name]]
    train_chars = {c for text in task.sources["train"] for c in text}
    assert {c for c in task.src_vocab.itos if not c.startswith("<")} == train_chars


def test_german_refuses_a_non_integer_naming_n():
    with pytest.raises(ValueError, match=r"^german: n must be an integer, got 2\.5$"):
        data.german(2.5)


def test_translate_without_beam_width_is_greedy_decoding():
    torch.manual_seed(0)
    V, E, H = 9, 4, 5
    model = s2s.Seq2Seq(s2s.Encoder(V, E, H), s2s.Decoder(V, E, H))
    src, lengths = torch.tensor([[4, 5, 6], [7, 8, 0]]), torch.tensor([3, 2])
    batch = Batch(src, lengths, torch.zeros(2, 1, dtype=torch.long), torch.zeros(2, 1, dtype=torch.long))
    vocab = Vocab([f"w{i}" for i in range(V - 4)])
    with torch.no_grad():
        sequences, _ = s2s.greedy_decode(model, src, lengths, 6)
    assert s2s.translate(model, batch, vocab, 6) == [" ".join(vocab.decode(s)) for s in sequences]


# -- messages that name the argument at fault (companion's words, written out) ----------------


def _seq2seq_model():
    torch.manual_seed(0)
    return s2s.Seq2Seq(s2s.Encoder(9, 4, 5), s2s.Decoder(9, 4, 5))


def test_seq2seq_forward_batches_train_seq2seq_and_save_checkpoint_name_the_bad_argument(tmp_path):
    from companion import train

    model = _seq2seq_model()
    with pytest.raises(TypeError, match=r"^Seq2Seq: expected tgt_in to be a \(B, T\) tensor of token ids, got a list$"):
        model(torch.tensor([[4, 5, 6]]), torch.tensor([3]), [[1, 2]])
    with pytest.raises(TypeError, match=r"^batches: expected batch to be a companion\.translation\.Batch \(the whole "
                                        r"set\), got a list$"):
        list(s2s.batches([1], 2))
    batch = Batch(torch.tensor([[4, 5, 6]]), torch.tensor([3]), torch.tensor([[1, 5]]), torch.tensor([[5, 2]]))
    with pytest.raises(ValueError, match=r"^train_seq2seq: epochs must be a positive integer, got 0$"):
        s2s.train_seq2seq(model, batch, epochs=0)
    with pytest.raises(TypeError, match=r"^save_checkpoint: expected history to be a companion\.train\.History, "
                                        r"got 'h' \(a str\)$"):
        train.save_checkpoint(tmp_path / "x.pt", model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                              epoch=1, history="h")


def test_split_numbers_with_seed_none_draws_fresh_disjoint_sets():
    train, valid, test = data.split_numbers(0, 10, (3, 3, 4), seed=None)  # as numpy's default_rng(None)
    assert sorted(np.concatenate([train, valid, test]).tolist()) == list(range(10))
