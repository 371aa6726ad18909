"""PyTorch's module tests (``test/test_modules.py``, class ``TestModule``) on its recurrent samples.

The samples are the ``ModuleInfo`` entries for ``torch.nn.RNN``, ``GRU``, ``LSTM``, ``RNNCell``,
``GRUCell`` and ``LSTMCell`` in ``torch/testing/_internal/common_modules.py`` (see
``helpers.layer_samples`` / ``cell_samples``); each test runs on ``torch.nn`` (the reference) and on
``companion``. Ported: test_forward, test_factory_kwargs, test_device_ctx_init, test_repr,
test_save_load (pickling), test_non_contiguous_tensors, test_grad (gradcheck), test_gradgrad
(gradgradcheck), test_if_train_and_eval_modes_differ, test_errors, test_to, test_to_empty;
test_cpu_gpu_parity and test_multiple_device_transfer where CUDA is present. Not ported:
test_memory_format (channels-last, no recurrent module has a memory format), test_check_inplace
(no ``inplace`` argument), test_forward_ad/fwgrad_bwgrad (``supports_forward_ad`` is False for
these entries), and torch's cuDNN ``expectedFailure`` decorators (cuDNN internals).
"""

import copy
import io
import re
from functools import partial
from itertools import product

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

import companion
from helpers import (  # noqa: F401  (nn_impl and seeded are fixtures)
    IMPLS,
    KINDS,
    assert_equal,
    layer_samples,
    leaves,
    make,
    nn_impl,
    reference_output,
    samples_of,
    seeded,
)

CELL_KINDS = ("RNNCell", "GRUCell", "LSTMCell")


def active(kind):
    """The samples of ``kind`` in companion's scope: LSTM samples with proj_size > 0 (projections,
    out of companion's stated scope) are left out; ``test_projection_samples_are_out_of_scope``
    runs them on torch.nn and shows that companion refuses them."""
    return [s for s in samples_of(kind) if s.ctor_kwargs.get("proj_size", 0) == 0]


def covering(kind):
    """A subset of ``kind``'s samples in which every option takes each of its values: the first
    sample (every flag False, no hx; ReLU for RNN) and the last (every flag True, with hx; tanh)."""
    samples = active(kind)
    return samples if kind.endswith("Cell") else [samples[0], samples[-1]]


kinds = pytest.mark.parametrize("kind", KINDS)


def built(sample, impl, dtype=torch.float64, training=True, **factory):
    m = sample.construct(impl, **factory).to(dtype)
    m.train(training)
    return m


# -- test_forward -------------------------------------------------------------------


@kinds
def test_forward(nn_impl, kind):
    """The unbatched output equals the batched output of a batch of one (common_modules'
    no_batch_dim_reference_*), in the input's dtype; float32 and float64. PyTorch runs every sample
    in train and in eval mode; for run time the port alternates (every other sample in eval), so each
    module is run in both modes."""
    for (i, sample), dtype in product(enumerate(active(kind)), (torch.float32, torch.float64)):
        training = i % 2 == 0
        m = built(sample, nn_impl, dtype, training)
        args = sample.forward(dtype, "cpu", False)
        outputs = m(*args)
        assert_equal(outputs, reference_output(sample, m, args), f"{sample.id} {dtype} training={training}")
        assert all(t.dtype == dtype for t in leaves(outputs)), sample.id


@pytest.mark.parametrize("kind", ["LSTM"])
def test_projection_samples_are_out_of_scope(nn_impl, kind):
    """common_modules' LSTM samples with proj_size=2: torch.nn runs them (test_forward's check);
    companion refuses them with NotImplementedError naming the option (out of its scope)."""
    projected = [s for s in samples_of(kind) if s.ctor_kwargs.get("proj_size", 0) > 0]
    assert len(projected) == 16
    for sample in projected:
        if nn_impl is companion:
            with pytest.raises(NotImplementedError, match="proj_size=2"):
                sample.construct(nn_impl)
            continue
        m = built(sample, nn_impl)
        args = sample.forward(torch.float64, "cpu", False)
        assert_equal(m(*args), reference_output(sample, m, args), sample.id)


@pytest.mark.parametrize("kind", ["RNN", "GRU"])
def test_packed_sequence_samples(kind):
    """common_modules' ``with_packed_sequence=True`` samples (RNN and GRU; torch's tests pass no
    reference for them): companion, loaded with torch.nn's weights, gives torch.nn's PackedSequence
    (data, batch_sizes and indices) and the same gradient of the packed data, float64."""
    samples = [s for s in layer_samples(kind, with_packed_sequence=True) if "packed" in s.desc]
    assert len(samples) == (32 if kind == "RNN" else 16)
    for sample in samples:
        ref = built(sample, torch.nn)
        ours = built(sample, companion)
        ours.load_state_dict(ref.state_dict())
        (seq,) = sample.forward(torch.float64, "cpu", True)
        seq_ours = type(seq)(seq.data.detach().clone().requires_grad_(), seq.batch_sizes, seq.sorted_indices,
                             seq.unsorted_indices)
        out_ref, h_ref = ref(seq)
        out_ours, h_ours = ours(seq_ours)
        assert torch.equal(out_ours.batch_sizes, out_ref.batch_sizes), sample.id
        assert_equal((out_ours.data, h_ours), (out_ref.data, h_ref), sample.id, atol=1e-12, rtol=0)
        (out_ref.data.sin().sum() + h_ref.sum()).backward()
        (out_ours.data.sin().sum() + h_ours.sum()).backward()
        assert_equal(seq_ours.data.grad, seq.data.grad, f"{sample.id}: gradient", atol=1e-12, rtol=0)


# -- test_factory_kwargs, test_device_ctx_init, test_to, test_to_empty --------------


@kinds
def test_factory_kwargs(nn_impl, kind):
    """``device=`` and ``dtype=`` reach every parameter (and a module built on 'meta' allocates nothing)."""
    for sample, (device, dtype) in product(active(kind), (("cpu", torch.float64), ("cpu", torch.float32),
                                                           ("meta", torch.float64))):
        m = sample.construct(nn_impl, device=device, dtype=dtype)
        params = list(m.named_parameters())
        assert params, f"{sample.id}: the module registers no parameters"
        for name, p in params:
            assert str(p.device) == device, f"{sample.id}: {name} on {p.device}, expected {device}"
            assert p.dtype == dtype, f"{sample.id}: {name} of {p.dtype}, expected {dtype}"


@kinds
def test_device_ctx_init(nn_impl, kind):
    """Built under ``with torch.device('meta')`` the parameters are on meta, with the same shapes."""
    for sample in active(kind):
        with torch.device("meta"):
            m_meta = sample.construct(nn_impl)
        m = sample.construct(nn_impl)
        for (name, p_meta), (_, p) in zip(m_meta.named_parameters(), m.named_parameters(), strict=True):
            assert p_meta.is_meta and p_meta.shape == p.shape, f"{sample.id}: {name}"


@kinds
def test_to(nn_impl, kind):
    """``.to(dtype)`` converts every parameter in place (the same Parameter objects, new data),
    and ``.to(device)`` to 'meta' moves them; the module keeps working after the dtype round trip."""
    for sample in active(kind):
        m = sample.construct(nn_impl)
        before = dict(m.named_parameters())
        m.to(torch.float64)
        for n, p in m.named_parameters():
            assert p.dtype == torch.float64 and p is before[n], f"{sample.id}: {n}"
        args = sample.forward(torch.float64, "cpu", False)
        out64 = m(*args)
        m.to(torch.float32)
        out32 = m(*map_tensors(lambda t: t.float(), args))
        assert_equal(out32, [t.float() for t in leaves(out64)], sample.id, atol=1e-4, rtol=1e-4)
        m.to("meta")
        assert all(p.is_meta for p in m.parameters()), sample.id


@kinds
def test_to_empty(nn_impl, kind):
    """``to_empty(device=...)`` gives uninitialised parameters of the same shapes on that device."""
    for sample in active(kind):
        with torch.device("meta"):
            m = sample.construct(nn_impl)
        m.to_empty(device="cpu")
        shapes = [p.shape for p in sample.construct(nn_impl).parameters()]
        assert [p.shape for p in m.parameters()] == shapes, sample.id
        assert all(p.device.type == "cpu" for p in m.parameters()), sample.id


# -- test_repr, test_save_load ----------------------------------------------------------


@kinds
def test_repr(nn_impl, kind):
    for sample in active(kind):
        m = sample.construct(nn_impl)
        assert repr(m).startswith(kind + "(") and str(m) == repr(m), sample.id


@kinds
def test_repr_equals_torch_nn(kind):
    """Not in PyTorch (it has no second implementation): companion prints as torch.nn does, except
    that companion's RNN also names a ReLU nonlinearity (torch.nn's repr leaves it out)."""
    for sample in active(kind):
        ours = repr(sample.construct(companion))
        if kind == "RNN":
            ours = ours.replace(", nonlinearity='relu'", "")
        assert ours == repr(sample.construct(torch.nn)), sample.id


@kinds
def test_save_load(nn_impl, kind):
    """torch.save/torch.load of the whole module and deepcopy give a module with the same outputs,
    training flag and state_dict, and parameters of its own. Train and eval alternate between samples
    (PyTorch runs both for each); plain pickle:
    test_torch_port_nn.py::test_pickle_whole_modules_without_weights_only"""
    for i, sample in enumerate(active(kind)):
        training = i % 2 == 0
        m = built(sample, nn_impl, training=training)
        args = sample.forward(torch.float64, "cpu", False)
        expected = m(*args)
        buf = io.BytesIO()
        torch.save(m, buf)
        buf.seek(0)
        copies = {"torch.load": torch.load(buf, weights_only=False), "deepcopy": copy.deepcopy(m)}
        for how, m2 in copies.items():
            what = f"{sample.id} {how}"
            assert type(m2) is type(m) and m2.training == training, what
            assert_equal(m2(*args), expected, f"{what}: output")
            for (k, a), (k2, b) in zip(m.state_dict().items(), m2.state_dict().items(), strict=True):
                assert k == k2 and torch.equal(a, b), f"{what}: {k}"
            assert all(p is not q for p, q in zip(m.parameters(), m2.parameters())), f"{what} shares parameters"


@kinds
def test_state_dict_round_trip(nn_impl, kind):
    """load_state_dict(state_dict()) into a fresh module (other random weights) reproduces the outputs."""
    for sample in active(kind):
        m, m2 = built(sample, nn_impl), built(sample, nn_impl)
        args = sample.forward(torch.float64, "cpu", False)
        assert any(not torch.equal(p, q) for p, q in zip(m.parameters(), m2.parameters())), sample.id
        m2.load_state_dict(m.state_dict())
        assert_equal(m2(*args), m(*args), sample.id)


# -- test_non_contiguous_tensors --------------------------------------------------------


def non_contiguous(t: torch.Tensor) -> torch.Tensor:
    """The same values in a non-contiguous tensor (every other element of a larger one)."""
    nc = torch.stack([torch.zeros_like(t), t.detach()], dim=-1).select(-1, 1)
    assert not nc.is_contiguous() or t.numel() <= 1
    return nc.requires_grad_(t.requires_grad)


def map_tensors(fn, value):
    if isinstance(value, torch.Tensor):
        return fn(value)
    return type(value)(map_tensors(fn, v) for v in value)


@kinds
def test_non_contiguous_tensors(nn_impl, kind):
    """Outputs and gradients (of inputs and parameters) are the same for contiguous and
    non-contiguous inputs and output gradients, in every combination (on the covering subset of
    samples, for run time; PyTorch runs every sample)."""
    for sample in covering(kind):
        m = built(sample, nn_impl)
        base = sample.forward(torch.float64, "cpu", False)

        def run(make_input_nc: bool, make_grad_nc: bool):
            args = map_tensors(lambda t: (non_contiguous(t) if make_input_nc else t.clone()).requires_grad_(), base)
            m.zero_grad(set_to_none=True)
            outs = leaves(m(*args))
            grads = [torch.arange(o.numel(), dtype=o.dtype).view(o.shape).sin() for o in outs]
            grads = [non_contiguous(g) if make_grad_nc else g for g in grads]
            torch.autograd.backward(outs, grads)
            return outs, [a.grad for a in leaves(args)], [p.grad.clone() for p in m.parameters()]

        expected = run(False, False)
        for input_nc, grad_nc in ((True, False), (False, True), (True, True)):
            got = run(input_nc, grad_nc)
            for what, a, b in zip(("outputs", "input grads", "parameter grads"), got, expected):
                assert_equal(a, b, f"{sample.id}: {what} (non-contiguous input={input_nc}, grad={grad_nc})")


# -- test_grad, test_gradgrad -----------------------------------------------------------


def gradient_check(check, sample, impl, training):
    """TestModule._test_gradients_helper: check the gradient of every output with respect to
    every input tensor and every parameter, in float64."""
    m = built(sample, impl, torch.float64, training)
    args = sample.forward(torch.float64, "cpu", True)
    params = tuple(m.parameters())
    flat, spec = torch.utils._pytree.tree_flatten(tuple(args) + params)

    def fn(*flat_input_and_params):
        inputs_and_params = torch.utils._pytree.tree_unflatten(list(flat_input_and_params), spec)
        return tuple(leaves(m(*inputs_and_params[: len(args)])))

    assert check(fn, flat), sample.id


# Run time: PyTorch checks every sample in slow mode (one finite difference per input element);
# that is minutes here. The port checks, in gradcheck's fast mode (Chen et al.'s random projection:
# a random vector-Jacobian-vector product against its finite difference, with seeded draws),
# every cell sample and a covering subset of the layer samples (every option both ways), and
# gradgradcheck on one sample per module; and, in slow mode (PyTorch's exact check), the smallest
# sample of each layer and of the RNN cell.


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@kinds
def test_grad(nn_impl, kind, training):
    for sample in covering(kind):
        gradient_check(partial(gradcheck, fast_mode=True), sample, nn_impl, training)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM", "RNNCell"])
def test_grad_slow_mode(nn_impl, kind):
    """gradcheck as PyTorch runs it (slow mode) on the smallest sample of each layer and of the
    RNN cell (the GRU and LSTM cells' samples, 10 hidden features, take seconds each in slow mode)."""
    gradient_check(gradcheck, covering(kind)[0], nn_impl, True)


@kinds
def test_gradgrad(nn_impl, kind):
    """gradgradcheck in training mode (eval gives the same function: dropout is 0 in every sample)."""
    gradient_check(partial(gradgradcheck, fast_mode=True), covering(kind)[-1 if kind.endswith("Cell") else 0],
                   nn_impl, True)


# -- test_if_train_and_eval_modes_differ -------------------------------------------------


@kinds
def test_if_train_and_eval_modes_differ(nn_impl, kind):
    """common_modules marks RNN, GRU and LSTM ``train_and_eval_differ=True`` and the cells False:
    a cell's forward must not read ``self.training``; a layer may (dropout between layers)."""
    for sample in active(kind):
        m = sample.construct(nn_impl).double()
        delattr(m, "training")
        try:
            m(*sample.forward(torch.float64, "cpu", False))
        except AttributeError as e:
            assert "'training'" in str(e), e
            assert not kind.endswith("Cell"), f"{sample.id}: the cell's forward reads self.training"


# -- test_errors --------------------------------------------------------------------------


def error_inputs(kind: str):
    """module_error_inputs_torch_nn_RNN_GRU_Cell / _LSTMCell / _RNN_GRU (used for LSTM too):
    ``(constructor args, constructor kwargs, forward args or None, exception type, regex)``; the
    inputs are float32, the dtype test_errors runs in."""
    f32 = lambda *shape: make(shape, torch.float32)  # noqa: E731
    if kind in ("RNNCell", "GRUCell"):
        cases = [
            ((10, 20), {}, lambda: (f32(3, 11), f32(3, 20)), RuntimeError,
             "input has inconsistent input_size: got 11 expected 10"),
            ((10, 20), {}, lambda: (f32(3, 10), f32(3, 21)), RuntimeError,
             "hidden0 has inconsistent hidden_size: got 21, expected 20"),
            ((10, 20), {}, lambda: (f32(3, 10), f32(5, 20)), RuntimeError,
             "Input batch size 3 doesn't match hidden0 batch size 5"),
            ((10, 20), {}, lambda: (f32(3, 10), f32(3, 1, 1, 20)), ValueError,
             "Expected hidden to be 1D or 2D, got 4D instead"),
        ]
        # As in common_modules: the third positional argument is ``bias``, so 'relu' and 'tanh' land
        # there (a truthy bias) for both cells, which torch.nn's cells accept.
        cases += [((10, 20, nl), {}, lambda: (f32(3, 10), f32(3, 21)), RuntimeError,
                   "hidden0 has inconsistent hidden_size: got 21, expected 20") for nl in ("relu", "tanh")]
        return cases
    if kind == "LSTMCell":
        return [
            ((10, 20), {}, lambda: (f32(3, 11), (f32(3, 20), f32(3, 20))), RuntimeError,
             "input has inconsistent input_size: got 11 expected 10"),
            ((10, 20), {}, lambda: (f32(3, 10), (f32(3, 21), f32(3, 21))), RuntimeError,
             "hidden0 has inconsistent hidden_size: got 21, expected 20"),
            ((10, 20), {}, lambda: (f32(3, 10), (f32(5, 20), f32(5, 20))), RuntimeError,
             "Input batch size 3 doesn't match hidden0 batch size 5"),
            ((10, 20), {}, lambda: (f32(3, 10), (f32(3, 1, 1, 20), f32(3, 1, 1, 20))), ValueError,
             r"Expected hx\[0\] to be 1D or 2D, got 4D instead"),
        ]
    return [
        ((10, 0, 1), {}, None, ValueError, "hidden_size must be greater than zero"),
        ((10, 10, 0), {}, None, ValueError, "num_layers must be greater than zero"),
        ((3, 5), {"dtype": torch.float32, "device": "cpu"}, lambda: (make((2, 4, 3), torch.float64),), ValueError,
         r"RNN input dtype .* does not match weight dtype .* "
         r"Convert input: input\.to\(.*\), or convert model: model\.to\(.*\)"),
        ((3, 5), {"bias": 0}, None, TypeError, "bias should be of type bool, got: int"),
        ((3, 5), {"bias": 1}, None, TypeError, "bias should be of type bool, got: int"),
        ((3, 5), {"bias": "True"}, None, TypeError, "bias should be of type bool, got: str"),
        ((3, 5), {"batch_first": 0}, None, TypeError, "batch_first should be of type bool, got: int"),
        ((3, 5), {"batch_first": 1}, None, TypeError, "batch_first should be of type bool, got: int"),
        ((3, 5), {"batch_first": "False"}, None, TypeError, "batch_first should be of type bool, got: str"),
        ((3.0, 5), {}, None, TypeError, "input_size should be of type int, got: float"),
        (("10", 5), {}, None, TypeError, "input_size should be of type int, got: str"),
        ((0, 5), {}, None, ValueError, "input_size must be greater than zero"),
        ((-1, 5), {}, None, ValueError, "input_size must be greater than zero"),
        ((3, 5.0), {}, None, TypeError, "hidden_size should be of type int, got: float"),
    ]


ERROR_PARAMS = [pytest.param(kind, i, id=f"{kind}-{i}") for kind in KINDS for i in range(len(error_inputs(kind)))]


@pytest.mark.parametrize("kind,index", ERROR_PARAMS)
def test_errors(nn_impl, kind, index):
    args, kwargs, forward, exc, regex = error_inputs(kind)[index]
    cls = getattr(nn_impl, kind)
    if forward is None:
        with pytest.raises(exc, match=regex):
            cls(*args, **kwargs)
        return
    m = cls(*args, **kwargs)
    with pytest.raises(exc, match=regex):
        m(*forward())


@pytest.mark.parametrize("kind,index", ERROR_PARAMS)
def test_errors_keep_companions_message(kind, index):
    """Not in PyTorch: companion's message also starts with the module's name and says what came."""
    args, kwargs, forward, exc, regex = error_inputs(kind)[index]
    with pytest.raises(exc) as info:
        m = getattr(companion, kind)(*args, **kwargs)
        m(*forward())
    message = str(info.value)
    assert message.startswith(f"{kind}: ") and re.search(r"\bgot\b", message), message


# -- CUDA: test_cpu_gpu_parity, test_multiple_device_transfer ------------------------------


@pytest.mark.gpu
@kinds
def test_cpu_gpu_parity(nn_impl, kind):
    """The same module and inputs on CPU and on CUDA give the same outputs and gradients (float64)."""
    for sample in active(kind):
        m_cpu = built(sample, nn_impl)
        m_gpu = copy.deepcopy(m_cpu).cuda()
        args = sample.forward(torch.float64, "cpu", True)
        args_gpu = map_tensors(lambda t: t.detach().cuda().requires_grad_(), args)
        out_cpu, out_gpu = leaves(m_cpu(*args)), leaves(m_gpu(*args_gpu))
        assert_equal([o.cpu() for o in out_gpu], out_cpu, f"{sample.id}: outputs")
        grads = [torch.randn_like(o) for o in out_cpu]
        torch.autograd.backward(out_cpu, grads)
        torch.autograd.backward(out_gpu, [g.cuda() for g in grads])
        assert_equal([a.grad.cpu() for a in leaves(args_gpu)], [a.grad for a in leaves(args)], f"{sample.id}: input grads")
        assert_equal([p.grad.cpu() for p in m_gpu.parameters()], [p.grad for p in m_cpu.parameters()],
                     f"{sample.id}: parameter grads")


@pytest.mark.gpu
@kinds
def test_multiple_device_transfer(nn_impl, kind):
    """CPU -> CUDA -> CPU -> CUDA, float32 and float64: the parameters follow and forward runs each time."""
    for sample in active(kind):
        m = sample.construct(nn_impl)
        for device, dtype in (("cuda", torch.float32), ("cpu", torch.float64), ("cuda", torch.float64),
                              ("cpu", torch.float32)):
            m.to(device=device, dtype=dtype)
            assert all(p.device.type == device and p.dtype == dtype for p in m.parameters()), sample.id
            m(*sample.forward(dtype, device, False))


def test_every_module_has_samples_and_errors():
    """The port covers the six modules, with common_modules' numbers of samples and error inputs."""
    counts = {kind: (len(samples_of(kind)), len(error_inputs(kind))) for kind in KINDS}
    assert counts == {"RNN": (32, 14), "GRU": (16, 14), "LSTM": (32, 14), "RNNCell": (3, 6), "GRUCell": (2, 6),
                      "LSTMCell": (2, 4)}, counts
    assert set(IMPLS) == {"torch.nn", "companion"}
