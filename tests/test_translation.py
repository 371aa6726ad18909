"""companion.translation: the number-word data, vocabularies, padding and batches."""

import pytest
import torch

from companion import translation as tr


def test_number_words_need_reordering_between_german_and_english():
    assert tr.german(24) == "vierundzwanzig" and tr.english(24) == "twenty four"
    assert tr.german(387) == "dreihundertsiebenundachtzig"
    assert tr.english(387) == "three hundred eighty seven"
    assert tr.english(1999) == "one thousand nine hundred ninety nine"


def test_split_numbers_gives_disjoint_sets_of_the_asked_sizes(rng):
    seed = int(rng.integers(1000))
    train, valid, test = tr.split_numbers(1, 1000, (500, 100, 200), seed=seed)
    assert (len(train), len(valid), len(test)) == (500, 100, 200)
    assert not set(train) & set(test) and not set(train) & set(valid) and not set(valid) & set(test)
    assert min(train.min(), valid.min(), test.min()) >= 1 and max(train.max(), valid.max(), test.max()) < 1000
    with pytest.raises(ValueError, match="asked for 1200 numbers"):
        tr.split_numbers(1, 1000, (1000, 100, 100))


def test_vocab_has_the_special_tokens_first_and_maps_unknown_tokens_to_unk():
    vocab = tr.Vocab.from_texts(["vier", "neun"], tr.characters)
    assert vocab.itos[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    assert vocab.encode(list("vierx"))[-1] == vocab.unk_id
    ids = vocab.encode(list("neun")) + [vocab.eos_id, vocab.pad_id] + vocab.encode(list("vier"))
    assert vocab.decode([vocab.bos_id] + ids) == list("neun")  # stops at <eos>, drops <bos>


def test_pad_fills_on_the_right_and_the_mask_marks_the_real_tokens(rng):
    sequences = [list(rng.integers(4, 20, size=int(n))) for n in rng.integers(1, 10, size=6)]
    ids, lengths, mask = tr.pad(sequences)
    assert ids.shape == (6, max(len(s) for s in sequences))
    for row, s in enumerate(sequences):
        assert ids[row, : len(s)].tolist() == s and (ids[row, len(s):] == 0).all()
        assert mask[row].sum() == len(s) == lengths[row]
    with pytest.raises(ValueError, match="non-empty"):
        tr.pad([[4], []])


def test_make_batch_shifts_the_target_right_with_bos_and_ends_it_with_eos():
    sources, targets = tr.number_pairs([7, 387])
    src_vocab = tr.Vocab.from_texts(sources, tr.characters)
    tgt_vocab = tr.Vocab.from_texts(targets, tr.words)
    batch = tr.make_batch(sources, targets, src_vocab, tgt_vocab)
    assert batch.src.shape == (2, len("dreihundertsiebenundachtzig"))
    assert batch.src_lengths.tolist() == [len("sieben"), len("dreihundertsiebenundachtzig")]
    assert batch.tgt_in[:, 0].tolist() == [1, 1]
    assert torch.equal(batch.tgt_in[1, 1:], batch.tgt_out[1, :-1])
    assert tgt_vocab.decode(batch.tgt_out[1]) == ["three", "hundred", "eighty", "seven"]
    assert batch.tgt_out[0].tolist()[1:] == [tgt_vocab.eos_id, 0, 0, 0]
