"""Bad input to the public functions of train, translation, metrics, baselines, tasks, plots,
progress and exercises raises ValueError or TypeError (an ExerciseError where a reader's function
is at fault) with a message that names the function, the argument, what was expected and what
came — never an IndexError, KeyError or AttributeError from inside, a silent NaN, a silent
broadcast or a silent no-op. The table is in the style of tests/test_bad_input.py (the layers)."""


import numpy as np
import pytest
import torch
from torch import nn

from companion import baselines, metrics, plots, progress, tasks, train
from companion import translation as tr
from companion.exercises import ExerciseError, check_function, check_lengths_to_mask, check_lstm_step, check_mase, compare
from companion.models import Forecaster, SequenceRegressor

from helpers import assert_refused, bad_input_case

NAN = float("nan")


case = bad_input_case


def data(n=8, T=3):
    """Windows (n, T, 1) and targets (n,), seeded."""
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, T, 1, generator=g), torch.randn(n, generator=g)


def model():
    torch.manual_seed(0)
    return Forecaster(1, 3)


def fit(**kwargs):
    X, y = data()
    args = dict(train=(X, y), epochs=1, progress=False)
    args.update(kwargs)
    return train.fit(args.pop("model", None) or model(), args.pop("train"), **args)


def fit_stateful(**kwargs):
    X, _ = data()
    torch.manual_seed(0)
    args = dict(train=(X, X[..., 0]), chunk_length=2, epochs=1, progress=False)
    args.update(kwargs)
    return train.fit_stateful(args.pop("model", None) or SequenceRegressor(1, 3), args.pop("train"), **args)


def classifier():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(3, 4))  # (N, 3, 1) -> 4 classes


def labels(*values):
    return torch.tensor(values + (0,) * (8 - len(values)))


VOCAB = tr.Vocab(["one", "two", "three"])  # ids 0..6
ints = lambda *v: torch.tensor(v, dtype=torch.long)  # noqa: E731


def save(epoch=0, history=None, path="unused.pt"):
    m = model()
    train.save_checkpoint(path, model=m, optimizer=torch.optim.Adam(m.parameters()), epoch=epoch,
                          history=train.History() if history is None else history)


def checkpoint_of(m, path="ckpt.pt"):
    """A checkpoint of ``m`` in the current directory (the test's tmp_path)."""
    train.save_checkpoint(path, model=m, optimizer=torch.optim.Adam(m.parameters()), epoch=0, history=train.History())
    return path


def returns_none(**_):
    return None


CASES = [
    # -- train.fit: sizes and rates ----------------------------------------------------------
    case("fit-epochs-0", "fit", lambda: fit(epochs=0), ValueError, ["epochs", "positive integer"], "0"),
    case("fit-epochs-float", "fit", lambda: fit(epochs=2.0), ValueError, ["epochs", "positive integer"], "2.0"),
    case("fit-lr-0", "fit", lambda: fit(lr=0), ValueError, ["lr", "positive"], "0"),
    case("fit-lr-negative", "fit", lambda: fit(lr=-1e-3), ValueError, ["lr", "positive"], "-0.001"),
    case("fit-lr-nan", "fit", lambda: fit(lr=NAN), ValueError, ["lr", "finite"], "nan"),
    case("fit-lr-str", "fit", lambda: fit(lr="0.01"), TypeError, ["lr", "number"], "'0.01'"),
    case("fit-batch-size-0", "fit", lambda: fit(batch_size=0), ValueError, ["batch_size", "positive integer or None"], "0"),
    case("fit-clip-norm-0", "fit", lambda: fit(clip_norm=0.0), ValueError, ["clip_norm", "positive"], "0"),
    case("fit-patience-negative", "fit", lambda: fit(valid=data(), patience=-1), ValueError,
         ["patience", "non-negative integer"], "-1"),
    case("fit-seed-float", "fit", lambda: fit(seed=0.5), ValueError, ["seed", "integer"], "0.5"),
    case("fit-progress-int", "fit", lambda: fit(progress=1), TypeError, ["progress", "True or False"], "1"),
    case("fit-stop-below-nan", "fit", lambda: fit(valid=data(), stop_below=NAN), ValueError, ["stop_below", "finite"], "nan"),
    # -- train.fit: arguments that would be silently ignored -----------------------------------
    case("fit-patience-without-valid", "fit", lambda: fit(patience=3), ValueError, ["patience=3", "valid=(X, y)"], ""),
    case("fit-stop-below-without-valid", "fit", lambda: fit(stop_below=0.1), ValueError, ["stop_below=0.1", "valid"], ""),
    case("fit-resume-without-checkpoint", "fit", lambda: fit(resume=True), ValueError, ["resume=True", "checkpoint=path"], ""),
    case("fit-resume-unknown", "fit", lambda: fit(resume="yes", checkpoint="x.pt"), ValueError,
         ["resume", "False, True or 'override'"], "'yes'"),
    case("fit-checkpoint-int", "fit", lambda: fit(checkpoint=5), TypeError, ["checkpoint", "file path"], "5"),
    # -- train.fit: the data -------------------------------------------------------------------
    case("fit-numpy-data", "fit", lambda: fit(train=tuple(t.numpy() for t in data())), TypeError,
         ["train's X", "torch.Tensor"], "ndarray"),
    case("fit-train-triple", "fit", lambda: fit(train=data() + (None,)), TypeError, ["pair (X, y)"], "a tuple of 3 items"),
    case("fit-lengths-differ", "fit", lambda: fit(train=(data()[0], data()[1][:7])), ValueError,
         ["same number of examples"], "8 and 7"),
    case("fit-no-examples", "fit", lambda: fit(train=(data()[0][:0], data()[1][:0])), ValueError,
         ["at least one example"], "(0, 3, 1) and (0,)"),
    case("fit-target-n-by-1", "fit", lambda: fit(train=(data()[0], data()[1][:, None])), ValueError,
         ["output shape (8,)", "mse_loss", "element by element"], "(8, 1)"),
    case("fit-valid-target-n-by-1", "fit", lambda: fit(valid=(data()[0], data()[1][:, None])), ValueError,
         ["output shape (8,)", "valid", "element by element"], "(8, 1)"),
    case("fit-integer-target-for-mse", "fit", lambda: fit(train=(data()[0], labels(1))), TypeError,
         ["mse_loss", "floating-point targets"], "torch.int64"),
    case("fit-valid-nan", "fit", lambda: fit(valid=(data()[0], data()[1] * NAN)), ValueError,
         ["valid's y", "finite"], "nan at index (0,)"),
    case("fit-valid-lengths-differ", "fit", lambda: fit(valid=(data()[0], data()[1][:3])), ValueError,
         ["valid's X and valid's y", "same number of examples"], "8 and 3"),
    case("fit-nan-in-training-targets", "fit", lambda: fit(train=(data()[0], data()[1].index_fill(0, ints(3), NAN))),
         FloatingPointError, ["training loss became nan at epoch 0", "y holds NaN", "clean the data"], ""),
    case("fit-stateful-nan-in-inputs", "fit_stateful",
         lambda: fit_stateful(train=(data()[0].index_fill(1, ints(2), NAN), data()[0][..., 0])),
         FloatingPointError, ["training loss became nan", "chunk of steps 2..2", "X holds NaN"], ""),
    case("fit-class-index-too-large", "fit",
         lambda: fit(model=classifier(), train=(data()[0], labels(1, 4)), loss_fn=nn.functional.cross_entropy),
         ValueError, ["4 classes", "[0, 3]"], "4 in the targets of train"),
    case("fit-class-index-negative", "fit",
         lambda: fit(model=classifier(), train=(data()[0], labels(-1)), loss_fn=nn.CrossEntropyLoss()),
         ValueError, ["4 classes", "[0, 3]"], "-1"),
    case("fit-class-logits-shape", "fit",
         lambda: fit(model=model(), train=(data()[0], labels(1)), loss_fn=nn.functional.cross_entropy),
         ValueError, ["class indices", "(N, C)"], "output (8,) and targets (8,)"),
    # -- train.fit: the model and the loss -----------------------------------------------------
    case("fit-model-function", "fit", lambda: fit(model=lambda x: x), TypeError, ["model", "torch.nn.Module"], "function"),
    case("fit-model-without-parameters", "fit", lambda: fit(model=nn.Flatten()), ValueError, ["no parameters"], ""),
    case("fit-stateful-model", "fit", lambda: fit(model=SequenceRegressor(1, 3)), TypeError,
         ["returned a tuple", "fit_stateful"], ""),
    case("fit-loss-name", "fit", lambda: fit(loss_fn="mse"), TypeError, ["loss_fn", "function"], "'mse'"),
    # -- train.fit_stateful ---------------------------------------------------------------------
    case("fit-stateful-2d-x", "fit_stateful", lambda: fit_stateful(train=(data()[0][..., 0], data()[1])), ValueError,
         ["(B, T, I)", "(B, T, ...)"], "(8, 3) and (8,)"),
    case("fit-stateful-no-steps", "fit_stateful", lambda: fit_stateful(train=(data()[0][:, :0], data()[0][:, :0, 0])),
         ValueError, ["at least one sequence of at least one step"], "(8, 0, 1)"),
    case("fit-stateful-target-extra-dim", "fit_stateful", lambda: fit_stateful(train=(data()[0], data()[0])), ValueError,
         ["output shape (8, 2)", "element by element"], "(8, 2, 1)"),
    case("fit-stateful-chunk-0", "fit_stateful", lambda: fit_stateful(chunk_length=0), ValueError,
         ["chunk_length", "positive integer or None"], "0"),
    case("fit-stateful-randomise-int", "fit_stateful", lambda: fit_stateful(randomise=1), TypeError,
         ["randomise", "True or False"], "1"),
    case("fit-stateful-epochs-0", "fit_stateful", lambda: fit_stateful(epochs=0), ValueError, ["epochs"], "0"),
    case("fit-stateful-plain-model", "fit_stateful", lambda: fit_stateful(model=model()), TypeError,
         ["model(x, h)", "(output, h_n)"], ""),
    # -- train: evaluate, model_device, checkpoints ---------------------------------------------
    case("evaluate-nan-target", "evaluate", lambda: train.evaluate(model(), data()[0], data()[1] * NAN), ValueError,
         ["y", "finite"], "nan"),
    case("evaluate-target-n-by-1", "evaluate", lambda: train.evaluate(model(), data()[0], data()[1][:, None]), ValueError,
         ["output shape (8,)", "element by element"], "(8, 1)"),
    case("evaluate-list", "evaluate", lambda: train.evaluate(model(), data()[0].tolist(), data()[1]), TypeError,
         ["X", "torch.Tensor"], "list"),
    case("evaluate-lengths-differ", "evaluate", lambda: train.evaluate(model(), data()[0], data()[1][:2]), ValueError,
         ["same number of examples"], "8 and 2"),
    case("load-another-model", "load_checkpoint", lambda: train.load_checkpoint(checkpoint_of(model()), Forecaster(1, 5)),
         ValueError, ["holds the weights of another model", "size mismatch"], ""),
    case("model-device-str", "model_device", lambda: train.model_device("cpu"), TypeError, ["torch.nn.Module"], "'cpu'"),
    case("save-negative-epoch", "save_checkpoint", lambda: save(epoch=-1), ValueError, ["epoch", "non-negative"], "-1"),
    case("save-history-dict", "save_checkpoint", lambda: save(history={}), TypeError, ["history", "History"], "dict"),
    case("save-path-none", "save_checkpoint", lambda: save(path=None), TypeError, ["path", "file path"], "None"),
    # -- translation ----------------------------------------------------------------------------
    case("encode-a-string", "Vocab.encode", lambda: VOCAB.encode("one two"), TypeError,
         ["list of tokens", "words(text)"], "'one two' (a str)"),
    case("encode-ids", "Vocab.encode", lambda: VOCAB.encode([4, 5]), TypeError, ["strings"], "4 at index 0"),
    case("decode-id-past-the-vocabulary", "Vocab.decode", lambda: VOCAB.decode([4, 7]), ValueError,
         ["id 7 at position 1", "0..6"], ""),
    case("decode-minus-one", "Vocab.decode", lambda: VOCAB.decode([-1]), ValueError, ["id -1", "0..6"], ""),
    case("decode-tensor-id-past-the-vocabulary", "Vocab.decode", lambda: VOCAB.decode(ints(4, 99)), ValueError,
         ["id 99", "0..6"], ""),
    case("decode-batch", "Vocab.decode", lambda: VOCAB.decode(torch.zeros(2, 3, dtype=torch.long)), ValueError,
         ["1-D sequence of ids"], "shape (2, 3)"),
    case("decode-float-ids", "Vocab.decode", lambda: VOCAB.decode([4.0]), TypeError, ["integer ids"], "4.0"),
    case("decode-string", "Vocab.decode", lambda: VOCAB.decode("45"), TypeError, ["list of integer ids"], "'45'"),
    case("vocab-string", "Vocab", lambda: tr.Vocab("one"), TypeError, ["tokens", "list of strings"], "'one' (a str)"),
    case("vocab-ints", "Vocab", lambda: tr.Vocab([1, 2]), TypeError, ["strings"], "1 at index 0"),
    case("vocab-only-specials", "Vocab", lambda: tr.Vocab(["<pad>"]), ValueError, ["at least one token besides"], "1 tokens"),
    case("from-texts-string", "Vocab.from_texts", lambda: tr.Vocab.from_texts("one two", tr.words), TypeError,
         ["texts", "list of strings"], "'one two'"),
    case("from-texts-empty", "Vocab.from_texts", lambda: tr.Vocab.from_texts([], tr.words), ValueError, ["texts"],
         "an empty list"),
    case("from-texts-tokenizer-returns-str", "Vocab.from_texts", lambda: tr.Vocab.from_texts(["one"], str.strip),
         TypeError, ["tokenizer", "list of tokens"], "'one'"),
    case("characters-list", "characters", lambda: tr.characters(["vier"]), TypeError, ["text", "str"], "a list"),
    case("words-none", "words", lambda: tr.words(None), TypeError, ["text", "str"], "None"),
    case("pad-string-rows", "pad", lambda: tr.pad(["abc"]), TypeError, ["sequence 0", "integer ids"], "'abc'"),
    case("pad-float-ids", "pad", lambda: tr.pad([[4], [1.5]]), TypeError, ["integer ids", "sequence 1"], "1.5"),
    case("pad-empty-row", "pad", lambda: tr.pad([[4], []]), ValueError, ["non-empty"], "an empty sequence at index 1"),
    case("pad-no-rows", "pad", lambda: tr.pad([]), ValueError, ["non-empty"], "an empty list"),
    case("pad-int", "pad", lambda: tr.pad(5), TypeError, ["sequences"], "5"),
    case("split-low-above-high", "split_numbers", lambda: tr.split_numbers(10, 1, (1, 1, 1)), ValueError,
         ["low < high"], "low=10, high=1"),
    case("split-two-sizes", "split_numbers", lambda: tr.split_numbers(1, 10, (1, 1)), ValueError, ["three sizes"],
         "a tuple of 2"),
    case("split-negative-size", "split_numbers", lambda: tr.split_numbers(1, 10, (2, -1, 1)), ValueError,
         ["sizes[1]", "non-negative"], "-1"),
    case("split-float-bound", "split_numbers", lambda: tr.split_numbers(1.5, 10, (1, 1, 1)), ValueError,
         ["low", "integer"], "1.5"),
    case("number-task-empty-split", "number_task", lambda: tr.number_task(1, 100, (10, 0, 5)), ValueError,
         ["sizes[1]", "positive"], "0"),
    case("make-batch-strings", "make_batch", lambda: tr.make_batch("eins", "one", VOCAB, VOCAB), TypeError,
         ["sources", "list of strings"], "'eins'"),
    case("make-batch-lengths", "make_batch", lambda: tr.make_batch(["eins"], ["one", "two"], VOCAB, VOCAB), ValueError,
         ["1 sources but 2 targets"], ""),
    case("make-batch-vocab", "make_batch", lambda: tr.make_batch(["eins"], ["one"], "vocab", VOCAB), TypeError,
         ["src_vocab", "Vocab"], "'vocab'"),
    case("make-batch-empty-text", "make_batch", lambda: tr.make_batch(["eins"], [" "], VOCAB, VOCAB), ValueError,
         ["target text 0", "no tokens"], ""),
    case("number-pairs-int", "number_pairs", lambda: tr.number_pairs(5), TypeError, ["numbers", "list of integers"], "5"),
    case("number-pairs-floats", "number_pairs", lambda: tr.number_pairs([1.5]), TypeError, ["integers"], "1.5 at index 0"),
    case("english-float", "english", lambda: tr.english(2.5), ValueError, ["n", "integer"], "2.5"),
    case("german-str", "german", lambda: tr.german("3"), ValueError, ["n", "integer"], "'3'"),
    case("batch-lengths-shape", "Batch", lambda: tr.Batch(ints(4, 5), ints(1, 1, 1), ints(1, 4), ints(4, 2)), ValueError,
         ["src (B, S)", "same B"], "(2,), (3,)"),
    case("batch-float-tensor", "Batch", lambda: tr.Batch(torch.zeros(1, 2), ints(2), ints(1), ints(2)), TypeError,
         ["src", "integer tensor"], "torch.float32"),
    case("batch-to-unknown-device", "Batch.to",
         lambda: tr.make_batch(["eins"], ["one"], VOCAB, VOCAB).to("gpu"), ValueError, ["device", "'cuda'"], "'gpu'"),
    # -- metrics --------------------------------------------------------------------------------
    case("bleu-two-strings", "bleu", lambda: metrics.bleu("one two", "one two"), TypeError,
         ["hypotheses", "list of strings"], "'one two' (a str)"),
    case("bleu-token-lists", "bleu", lambda: metrics.bleu([["one"]], [["one"]]), TypeError, ["list of strings"],
         "a list at index 0"),
    case("bleu-empty", "bleu", lambda: metrics.bleu([], []), ValueError, ["hypotheses"], "an empty list"),
    case("bleu-max-order-0", "bleu", lambda: metrics.bleu(["one"], ["one"], max_order=0), ValueError, ["max_order"], "0"),
    case("bleu-lengths", "bleu", lambda: metrics.bleu(["one", "two"], ["one"]), ValueError, ["2 hypotheses but 1"], ""),
    case("modified-precision-strings", "modified_precision", lambda: metrics.modified_precision("one", "one", 1),
         TypeError, ["hypothesis", "list of tokens"], "'one'"),
    case("modified-precision-n-0", "modified_precision", lambda: metrics.modified_precision(["a"], ["a"], 0), ValueError,
         ["n", "positive integer"], "0"),
    case("brevity-penalty-negative", "brevity_penalty", lambda: metrics.brevity_penalty(-1, 3), ValueError,
         ["hyp_len", "non-negative integer"], "-1"),
    case("brevity-penalty-float", "brevity_penalty", lambda: metrics.brevity_penalty(3, 2.5), ValueError,
         ["ref_len", "integer"], "2.5"),
    case("exact-matches-strings", "exact_matches", lambda: metrics.exact_matches("abc", "abd"), TypeError,
         ["hypotheses"], "'abc'"),
    case("exact-matches-tensors", "exact_matches", lambda: metrics.exact_matches(torch.zeros(2, 3), torch.zeros(2, 3)),
         TypeError, ["hypothesis 0", "True or False", ".tolist()"], "Tensor of shape (3,)"),
    case("exact-match-empty", "exact_match", lambda: metrics.exact_match([], []), ValueError, ["at least one pair"], "none"),
    case("mae-nan", "mae", lambda: metrics.mae([1.0, NAN], [1.0, 2.0]), ValueError, ["y_true", "finite"], "nan at index (1,)"),
    case("rmse-inf", "rmse", lambda: metrics.rmse([1.0, 2.0], [1.0, np.inf]), ValueError, ["y_pred", "finite"], "inf"),
    case("mae-string", "mae", lambda: metrics.mae("abc", "abd"), TypeError, ["y_true", "numbers"], "'abc'"),
    case("mae-shapes", "mae", lambda: metrics.mae(np.zeros(3), np.zeros((3, 1))), ValueError, ["same shape"], "(3,) and (3, 1)"),
    case("mase-nan-train", "mase", lambda: metrics.mase([1.0], [1.0], [1.0, NAN, 3.0]), ValueError, ["y_train", "finite"], "nan"),
    case("mase-m-bool", "mase", lambda: metrics.mase([1.0], [1.0], [1.0, 2.0, 3.0], m=True), ValueError,
         ["m", "positive integer"], "True"),
    # -- baselines, tasks, plots, progress ------------------------------------------------------
    case("naive-nan", "naive_forecast", lambda: baselines.naive_forecast([1.0, NAN], 2), ValueError,
         ["y_train", "finite"], "nan"),
    case("naive-horizon-0", "naive_forecast", lambda: baselines.naive_forecast([1.0, 2.0], 0), ValueError,
         ["horizon", "positive integer"], "0"),
    case("naive-string", "naive_forecast", lambda: baselines.naive_forecast("12", 2), TypeError, ["y_train", "numbers"], "'12'"),
    case("seasonal-m-none", "seasonal_naive_forecast", lambda: baselines.seasonal_naive_forecast([1.0, 2.0], 2, None),
         ValueError, ["m", "positive integer"], "None"),
    case("adding-n-bool", "adding_problem", lambda: tasks.adding_problem(True, 4), ValueError, ["n"], "True"),
    case("adding-dtype-int", "adding_problem", lambda: tasks.adding_problem(2, 4, dtype=torch.int64), TypeError,
         ["dtype", "floating-point"], "torch.int64"),
    case("adding-generator-int", "adding_problem", lambda: tasks.adding_problem(2, 4, generator=3), TypeError,
         ["generator", "torch.Generator"], "3"),
    case("plot-T-0", "draw_unrolled_rnn", lambda: plots.draw_unrolled_rnn(T=0), ValueError, ["T", "positive integer"], "0"),
    case("plot-ax-str", "draw_unrolled_rnn", lambda: plots.draw_unrolled_rnn(T=2, ax="ax"), TypeError, ["ax", "Axes"], "'ax'"),
    case("progress-int", "progress", lambda: progress.progress(5), TypeError, ["iterable"], "5"),
    case("progress-none-without-total", "progress", lambda: progress.progress(None), ValueError, ["total="], ""),
    # -- exercises ------------------------------------------------------------------------------
    case("checker-given-a-result", "check_mase", lambda: check_mase(0.5), TypeError,
         ["your function itself", "not the result"], "0.5"),
    case("checker-trials-0", "check_mase", lambda: check_mase(metrics.mase, trials=0), ValueError,
         ["trials", "positive integer"], "0"),
    case("check-function-inputs-not-dict", "check_function",
         lambda: check_function(np.sum, reference=np.sum, make_inputs=lambda rng: [1], name="s"), TypeError,
         ["make_inputs(rng)", "dict of keyword arguments"], "a list"),
    case("check-function-atol-nan", "check_function",
         lambda: check_function(np.sum, reference=np.sum, make_inputs=lambda rng: {"a": 1}, name="s", atol=NAN),
         ValueError, ["atol", "finite"], "nan"),
    case("check-function-seed-negative", "check_function",
         lambda: check_function(np.sum, reference=np.sum, make_inputs=lambda rng: {"a": 1}, name="s", seed=-1),
         ValueError, ["seed"], "-1"),
    case("compare-none", "x", lambda: compare(None, np.zeros(3), what="x", atol=0, rtol=0), ExerciseError,
         ["expected an array of shape (3,)"], "None"),
    case("compare-string", "x", lambda: compare("1", 1.0, what="x", atol=0, rtol=0), ExerciseError,
         ["expected a number, an array or a tensor"], "'1' (a str)"),
]


@pytest.mark.parametrize("who,make,exc,expected,got", CASES)
def test_bad_input_raises_with_a_message_naming_expected_and_actual(who, make, exc, expected, got, tmp_path,
                                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the checkpoint cases write their files
    assert_refused(who, make, exc, expected, got)


# -- cases that need a file or say more than one line ---------------------------------------------


def test_load_checkpoint_names_what_a_plain_state_dict_lacks(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save(model().state_dict(), path)
    with pytest.raises(ValueError, match=r"load_checkpoint: .*weights\.pt is not a checkpoint written by save_checkpoint: "
                                         r"it has no 'model', 'optimizer', 'epoch', 'history' entry"):
        train.load_checkpoint(path, model())


@pytest.mark.parametrize("checker, function, expected", [
    (check_mase, returns_none, r"mase: your function returned None; expected a number\. Does it end with a return"),
    (check_lstm_step, returns_none, r"lstm_step: your function returned None; expected a tuple of 2 values"),
    (check_lstm_step, lambda **kw: (None, None), r"lstm_step\[0\]: expected an array of shape \(\d+,\), got None"),
    (check_lengths_to_mask, lambda lengths: None, r"lengths_to_mask: your function returned None; expected an array"),
])
def test_a_checker_says_that_the_readers_function_returned_none_not_nan(checker, function, expected):
    with pytest.raises(ExerciseError, match=expected) as info:
        checker(function)
    assert "NaN" not in str(info.value)


def test_a_number_given_as_a_string_is_not_read_as_that_number():
    # np.asarray("1", dtype=float) is 1.0: the checker must not accept a string for a number.
    with pytest.raises(ExerciseError, match=r"one: expected a number, an array or a tensor, got '1' \(a str\)"):
        check_function(lambda a: "1", reference=lambda a: 1.0, make_inputs=lambda rng: {"a": 0}, name="one", seed=0)


def test_valid_inputs_of_the_new_kinds_still_work():
    """What the checks widened rather than refused: NumPy integers for sizes, tensors (with gradients)
    for metrics, 0-d integer tensors (``list(tensor)``) as ids."""
    g = torch.Generator().manual_seed(1)
    y = torch.rand(6, generator=g, requires_grad=True)
    assert metrics.mae(y, y.detach().numpy()) == 0.0
    assert baselines.naive_forecast(np.arange(4.0), np.int64(2)).tolist() == [3.0, 3.0]
    X, target = tasks.adding_problem(np.int64(3), np.int64(4), generator=g)
    assert X.shape == (3, 4, 2) and target.shape == (3,)
    assert VOCAB.decode(list(ints(VOCAB.stoi["two"], VOCAB.eos_id, 5))) == ["two"]
    assert tr.english(np.int64(21)) == "twenty one"
