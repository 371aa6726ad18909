"""PyTorch's own tests of its recurrent modules, from ``test/test_nn.py`` (``TestNN`` and
``TestNNDeviceType``, torch 2.13 era), run on ``torch.nn`` (the reference) and on ``companion``.

Each test keeps PyTorch's name and every assertion; sizes are PyTorch's unless a comment says
they were made smaller for run time (the assertion unchanged). Device-type tests run on CPU here,
and on CUDA too (marked ``gpu``) where the original is a CUDA test of behaviour rather than of
cuDNN. Skipped, each with its reason: LSTM projections (``proj_size > 0``, out of companion's
scope), cuDNN internals (weight flattening and formats, cuDNN's dropout state), oneDNN/MKLDNN
internals, and multi-GPU tests.
"""

import io
import pickle
import warnings
from copy import deepcopy
from functools import partial
from itertools import product

import pytest
import torch
import torch.nn.utils.rnn as rnn_utils
from torch.autograd import gradcheck, gradgradcheck

import companion
from helpers import nn_impl, seeded  # noqa: F401  (fixtures)

PROJ = "LSTM proj_size > 0 (projections) is out of companion's stated scope"
CUDNN = "tests cuDNN internals (flat weight buffer / weight formats), which companion does not have"
MULTI_GPU = "needs two CUDA devices"

cuda_params = [pytest.param("cpu", id="cpu"), pytest.param("cuda", id="cuda", marks=pytest.mark.gpu)]


# -- TestNN: cells -------------------------------------------------------------------------


def test_RNN_cell(nn_impl):
    # this is just a smoke test; these modules are implemented through
    # autograd so no Jacobian test is needed
    for module in (nn_impl.RNNCell, nn_impl.GRUCell):
        for bias in (True, False):
            input = torch.randn(3, 10)
            hx = torch.randn(3, 20)
            cell = module(10, 20, bias=bias)
            for _ in range(6):
                hx = cell(input, hx)
            hx.sum().backward()


def test_RNN_cell_forward_zero_hidden_size(nn_impl):
    input = torch.randn(3, 10)
    hx = torch.randn(3, 0)
    for cell in (nn_impl.RNNCell(10, 0, nonlinearity="relu"), nn_impl.RNNCell(10, 0, nonlinearity="tanh"),
                 nn_impl.GRUCell(10, 0)):
        assert cell(input, hx).shape == torch.Size([3, 0])


def test_RNN_cell_no_broadcasting(nn_impl):
    def test(cell_module, input, hx, input_size, hidden_size):
        cell = cell_module(input_size, hidden_size)
        with pytest.raises(RuntimeError):
            cell(input, hx)

    def test_all(hidden_size, bad_hx, good_hx, input_size, input):
        test(nn_impl.RNNCell, input, bad_hx, input_size, hidden_size)
        test(nn_impl.GRUCell, input, bad_hx, input_size, hidden_size)
        test(nn_impl.LSTMCell, input, (bad_hx, good_hx), input_size, hidden_size)
        test(nn_impl.LSTMCell, input, (good_hx, bad_hx), input_size, hidden_size)

    hidden_size, input_size = 20, 10
    input = torch.randn(3, input_size)
    bad_hx = torch.randn(1, hidden_size)
    good_hx = torch.randn(3, hidden_size)
    # Test hidden/input batch size broadcasting
    test_all(hidden_size, bad_hx, good_hx, input_size, input)
    # Test hx's hidden_size vs module's hidden_size broadcasting
    bad_hx = torch.randn(3, 1)
    test_all(hidden_size, bad_hx, good_hx, input_size, input)
    # Test input's input_size vs module's input_size broadcasting
    bad_input = torch.randn(3, 1)
    test_all(hidden_size, good_hx, good_hx, input_size, bad_input)


def test_LSTM_cell(nn_impl):
    # this is just a smoke test; these modules are implemented through
    # autograd so no Jacobian test is needed
    for bias in (True, False):
        input = torch.randn(3, 10)
        hx = torch.randn(3, 20)
        cx = torch.randn(3, 20)
        lstm = nn_impl.LSTMCell(10, 20, bias=bias)
        for _ in range(6):
            hx, cx = lstm(input, (hx, cx))
        (hx + cx).sum().backward()


def test_LSTM_cell_forward_input_size(nn_impl):
    input = torch.randn(3, 11)
    hx = torch.randn(3, 20)
    cx = torch.randn(3, 20)
    lstm = nn_impl.LSTMCell(10, 20)
    with pytest.raises(Exception):
        lstm(input, (hx, cx))


def test_LSTM_cell_forward_hidden_size(nn_impl):
    input = torch.randn(3, 10)
    hx = torch.randn(3, 21)
    cx = torch.randn(3, 20)
    lstm = nn_impl.LSTMCell(10, 20)
    with pytest.raises(Exception):
        lstm(input, (hx, cx))
    with pytest.raises(Exception):
        lstm(input, (cx, hx))


# -- TestNN: layers ------------------------------------------------------------------------


def test_rnn_args_check(nn_impl):
    input_size, hidden_size, num_layers, batch_size, seq_len, num_directions = 3, 5, 2, 4, 6, 1
    bad_size = 7  # prime number so that no size can divide it.

    def test(input_shape, hidden_shape, mode):
        for input, hidden in get_inputs(input_shape, hidden_shape, mode):
            model = getattr(nn_impl, mode)(input_size, hidden_size, num_layers)
            with pytest.raises(RuntimeError):
                model(input, hidden)

    correct_input_shape = (seq_len, batch_size, input_size)
    correct_hidden_shape = (num_layers * num_directions, batch_size, hidden_size)

    def update_shape(shape, dim, new_dim_size):
        new_shape = list(shape)
        new_shape[dim] = new_dim_size
        return tuple(new_shape)

    def get_inputs(input_shape, hidden_shape, mode):
        """returns list( tuple(input, hidden) ) where input, hidden are inputs to a model"""
        input = torch.randn(input_shape)
        hidden = torch.randn(hidden_shape)
        if mode != "LSTM":
            return [(input, hidden)]
        if hidden_shape == correct_hidden_shape:
            return [(input, (hidden, hidden))]
        good_hidden = torch.randn(correct_hidden_shape)
        return [(input, (hidden, good_hidden)), (input, (good_hidden, hidden))]

    for mode in ["RNN", "GRU", "LSTM"]:
        # Incorrect input batch size
        test(update_shape(correct_input_shape, 1, bad_size), correct_hidden_shape, mode)
        # Incorrect hidden batch size
        test(correct_input_shape, update_shape(correct_hidden_shape, 1, bad_size), mode)
        # Incorrect input size
        test(update_shape(correct_input_shape, 2, bad_size), correct_hidden_shape, mode)
        # Incorrect hidden size
        test(correct_input_shape, update_shape(correct_hidden_shape, 2, bad_size), mode)
        # Incorrect hidden[0]
        test(correct_input_shape, update_shape(correct_hidden_shape, 0, bad_size), mode)


@pytest.mark.skip(reason=PROJ)
def test_projections_lstm_args_check():
    pass


@pytest.mark.skip(reason=MULTI_GPU)
def test_rnn_check_device():
    pass


@pytest.mark.skip(reason=MULTI_GPU + "; and " + PROJ)
def test_projections_lstm_check_device():
    pass


def test_rnn_initial_hidden_state(nn_impl):
    for mode in ["RNN", "GRU", "LSTM"]:
        # PyTorch: RNN(30, 20, 2) on input (10, 32, 30); smaller here for run time
        rnn = getattr(nn_impl, mode)(6, 5, 2)
        input = torch.randn(4, 3, 6)
        hidden = torch.zeros(2, 3, 5)
        if mode == "LSTM":
            hidden = (hidden, hidden)
        output1, hidden1 = rnn(input, hidden)
        output2, hidden2 = rnn(input)
        torch.testing.assert_close(output1, output2)
        torch.testing.assert_close(hidden1, hidden2)


@pytest.mark.skip(reason=PROJ)
def test_projections_lstm_initial_hidden_state():
    pass


def test_projections_errors_on_gru_and_rnn(nn_impl):
    error_msg = "proj_size argument is only supported for LSTM, not RNN or GRU"
    for mode in ["RNN", "GRU"]:
        with pytest.raises(ValueError, match=error_msg):
            getattr(nn_impl, mode)(30, 20, 2, proj_size=10)


def test_error_RNN_seq_len_zero(nn_impl):
    # checking error message when RNN has seq_len = 0 (PyTorch runs it on every device type)
    for module in (nn_impl.RNN, nn_impl.LSTM, nn_impl.GRU):
        for bidirectional in [True, False]:
            input = torch.ones(0, 10, 5)
            rnn = module(5, 6, bidirectional=bidirectional)
            with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0 in RNN"):
                rnn(input)


def test_RNN_input_size_zero(nn_impl):
    for module in (nn_impl.RNN, nn_impl.LSTM, nn_impl.GRU):
        input = torch.zeros((5, 0, 3))
        rnn = module(input_size=3, hidden_size=4)
        outs = rnn(input)
        assert outs[0].shape == torch.Size([5, 0, 4])
        # Check that backward does not cause a hard error
        outs[0].sum().backward()


@pytest.mark.parametrize("device", cuda_params)
def test_RNN_dropout(nn_impl, device):
    # checking the assumption that cuDNN sticks dropout in between
    # RNN layers (PyTorch runs this for CPU and CUDA; it needs no cuDNN internals)
    for p in (0, 0.276, 0.731, 1):
        for train in (True, False):
            rnn = nn_impl.RNN(10, 1000, 2, bias=False, dropout=p, nonlinearity="relu").double().to(device)
            rnn.train(train)
            with torch.no_grad():
                rnn.weight_ih_l0.fill_(1)
                rnn.weight_hh_l0.fill_(1)
                rnn.weight_ih_l1.fill_(1)
                rnn.weight_hh_l1.fill_(1)
            input = torch.ones(1, 1, 10, dtype=torch.double, device=device)
            hx = torch.zeros(2, 1, 1000, dtype=torch.double, device=device)
            output, hy = rnn(input, hx)
            assert output.min() == output.max()
            output_val = output[0][0][0]
            if p == 0 or not train:
                assert output_val == 10000
            elif p == 1:
                assert output_val == 0
            else:
                assert 8000 < output_val < 12000
                denorm_mod = (output_val * (1 - p)) % 10
                assert min(denorm_mod, 10 - denorm_mod) < 1e-2
            assert hy[0].min() == hy[0].max()
            assert hy[1].min() == hy[1].max()
            assert hy[0][0][0] == 10
            assert hy[1][0][0] == output_val


@pytest.mark.parametrize("device", cuda_params)
def test_RNN_dropout_state(nn_impl, device):
    # PyTorch: RNN(100, 100, 2); CPU and CUDA
    for p in (0, 0.1234):
        for train in (True, False):
            rnn = nn_impl.RNN(100, 100, 2, bias=False, dropout=p, nonlinearity="relu").to(device)
            rnn.train(train)
            input = torch.rand(1, 1, 100, device=device)
            hx = torch.rand(2, 1, 100, device=device)
            output1, hy1 = rnn(input, hx)
            output2, hy2 = rnn(input, hx)
            buf = io.BytesIO()
            torch.save(rnn, buf)
            buf.seek(0)
            # weights_only=False as this is legacy code that saves the model
            rnn2 = torch.load(buf, weights_only=False)
            rnn2.flatten_parameters()
            output3, hy3 = rnn2(input, hx)
            if p == 0 or not train:
                assert torch.equal(output1, output2) and torch.equal(output1, output3)
                assert torch.equal(hy1, hy2) and torch.equal(hy1, hy3)
            else:
                assert not torch.equal(output1, output2) and not torch.equal(output1, output3)
                assert not torch.equal(hy1, hy2) and not torch.equal(hy1, hy3)


@pytest.mark.parametrize("device", cuda_params)
def test_RNN_change_dropout(nn_impl, device):
    for train in (True, False):
        # PyTorch: RNN(100, 100, 2) on input (3, 2, 100), float64
        rnn = nn_impl.RNN(100, 100, 2, dropout=0, nonlinearity="relu").double().to(device)
        input = torch.rand(3, 2, 100, dtype=torch.double, device=device)
        rnn.train(train)
        prev_output = None
        for p in (0, 0.5, 0, 0.7, 0.2, 1, 0.2, 0):
            rnn.dropout = p
            output1, hy1 = rnn(input)
            output2, hy2 = rnn(input)
            if p == 0 or p == 1 or not train:
                assert torch.equal(output1, output2) and torch.equal(hy1, hy2)
            else:
                assert not torch.equal(output1, output2) and not torch.equal(hy1, hy2)
            if prev_output is not None:
                if not train:
                    assert torch.equal(output1, prev_output) and torch.equal(output2, prev_output)
                else:
                    assert not torch.equal(output1, prev_output) and not torch.equal(output2, prev_output)
            prev_output = output1


def test_RNN_nonlinearity(nn_impl):
    rnn = nn_impl.RNN(1, 10)
    assert rnn.nonlinearity == "tanh"
    rnn = nn_impl.RNN(1, 10, nonlinearity="relu")
    assert rnn.nonlinearity == "relu"
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn_impl.RNN(1, 10, nonlinearity="garbage")


def test_RNN_nonlinearity_passed_as_arg(nn_impl):
    rnn = nn_impl.RNN(2, 3, 1, "relu")
    assert (rnn.input_size, rnn.hidden_size, rnn.num_layers, rnn.nonlinearity) == (2, 3, 1, "relu")


@pytest.mark.filterwarnings("ignore:.*torch.nn.utils.weight_norm.*is deprecated:FutureWarning")
def test_rnn_weight_norm(nn_impl):
    # PyTorch counts Parameters in the private ``_flat_weights``; companion has no flat weights, so the
    # count is taken over the public ``all_weights``, which holds the same tensors in the same order.
    def check_weight_norm(layer, name, num_params):
        # This Module has 4 parameters called 'weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'.
        # Applying weight norm on one of them causes it to become a tensor
        layer = torch.nn.utils.weight_norm(layer, name=name)
        assert sum(isinstance(p, torch.nn.Parameter) for w in layer.all_weights for p in w) == num_params - 1
        # Removing the weight norm reparametrization restores the Parameter
        layer = torch.nn.utils.remove_weight_norm(layer, name=name)
        assert sum(isinstance(p, torch.nn.Parameter) for w in layer.all_weights for p in w) == num_params
        # the original weight is back in the parameters, the reparametrization's components are gone
        assert name in layer._parameters and layer._parameters[name] is not None
        assert name + "_v" not in layer._parameters and name + "_g" not in layer._parameters
        named = dict(layer.named_parameters())
        assert name in named and named[name] is not None
        assert name + "_v" not in named and name + "_g" not in named

    check_weight_norm(nn_impl.LSTM(32, 32), "weight_ih_l0", 4)
    # PyTorch also checks LSTM(32, 32, proj_size=16) on 'weight_hr_l0': skipped, PROJ


def test_save_lstm_compatibility(nn_impl):
    # Test that saving an LSTM in PyTorch 1.7 and older can still be
    # loaded in newer versions of PyTorch.
    model = nn_impl.LSTM(2, 3)
    x = torch.randn(32, 5, 2)
    expected = model(x)
    # Get a state dict for PyTorch 1.7 LSTM. Before PyTorch 1.8, proj_size didn't exist.
    assert model.proj_size == 0
    state_dict = model.__dict__
    del state_dict["proj_size"]
    # load a model
    loaded_model = nn_impl.LSTM(2, 3)
    loaded_model.__setstate__(state_dict)
    result = loaded_model(x)
    for a, b in zip(torch.utils._pytree.tree_leaves(result), torch.utils._pytree.tree_leaves(expected), strict=True):
        torch.testing.assert_close(a, b)


def test_rnn_all_weights_and_flatten_parameters(nn_impl):
    """Not a test of its own in PyTorch: the ``all_weights`` layout and ``flatten_parameters()`` that
    test_RNN_cpu_vs_cudnn and test_RNN_dropout_state rely on, checked on CPU."""
    rnn = nn_impl.GRU(3, 4, num_layers=2, bidirectional=True)
    names = [[f"{k}_l{layer}{sfx}" for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
             for layer in range(2) for sfx in ("", "_reverse")]
    assert [[p.shape for p in w] for w in rnn.all_weights] == [[getattr(rnn, n).shape for n in ns] for ns in names]
    assert all(p is getattr(rnn, n) for w, ns in zip(rnn.all_weights, names) for p, n in zip(w, ns))
    assert [len(w) for w in nn_impl.LSTM(3, 4, bias=False).all_weights] == [2]
    x = torch.randn(5, 2, 3)
    before = rnn(x)[0]
    assert rnn.flatten_parameters() is None
    torch.testing.assert_close(rnn(x)[0], before)


# -- TestNN: cuDNN-only tests, ported where the behaviour is not cuDNN's ---------------------


@pytest.mark.gpu
@pytest.mark.parametrize("dropout", [0, 1], ids=["no_dropout", "with_dropout"])
def test_RNN_cpu_vs_cudnn(nn_impl, dropout):
    """PyTorch's _test_RNN_cpu_vs_cudnn (no_dropout / with_dropout: dropout 1 is deterministic) for
    proj_size 0: the same module on CPU and CUDA, contiguous or not, padded or packed, gives the same
    outputs, states and gradients. Sizes and the option grid are PyTorch's."""
    input_size, hidden_size, num_layers, seq_length, batch = 10, 6, 2, 7, 6
    dtype = torch.double

    def forward_backward(cuda, rnn, input_val, grad_output, weights_val, hx_val, grad_hy):
        is_lstm = isinstance(rnn, nn_impl.LSTM)
        with torch.no_grad():
            for x_layer, y_layer in zip(rnn.all_weights, weights_val):
                for x, y in zip(x_layer, y_layer):
                    x.copy_(y)
        if isinstance(input_val, rnn_utils.PackedSequence):
            input = rnn_utils.PackedSequence(input_val.data.detach().clone().requires_grad_(True), input_val.batch_sizes)
            input_var = input.data
        else:
            input = input_val.clone().requires_grad_(True)
            input_var = input
        hx = (hx_val.clone().requires_grad_(True), hx_val.add(1).requires_grad_(True)) if is_lstm else \
            hx_val.clone().requires_grad_(True)
        if cuda:
            rnn.cuda()
            input_var.data = input_var.data.cuda()
            if is_lstm:
                hx[0].data = hx[0].data.cuda()
                hx[1].data = hx[1].data.cuda()
            else:
                hx.data = hx.data.cuda()
            grad_hy, grad_output = grad_hy.cuda(), grad_output.cuda()
        output, hy = rnn(input, hx)
        if isinstance(output, rnn_utils.PackedSequence):
            output = output.data
        if is_lstm:
            torch.autograd.backward([output, hy[0], hy[1]], [grad_output, grad_hy, grad_hy + 1])
        else:
            torch.autograd.backward([output, hy], [grad_output, grad_hy])
        return {"output": output.data, "hy": hy[0].data if is_lstm else hy.data, "weights": rnn.all_weights,
                "grad_input": input_var.grad.data, "grad_hx": hx[0].grad.data if is_lstm else hx.grad.data,
                "cy": hy[1].data if is_lstm else None, "grad_cx": hx[1].grad.data if is_lstm else None}

    def make_noncontig(tensor):
        ndim = tensor.dim()
        return torch.stack([tensor.clone().zero_(), tensor], ndim).select(ndim, 1)

    def compare_cpu_gpu(outputs_cpu, outputs_gpu):
        assert list(outputs_cpu) == list(outputs_gpu)
        for key in outputs_cpu:
            if key != "weights" and outputs_cpu[key] is not None:
                torch.testing.assert_close(outputs_gpu[key].cpu(), outputs_cpu[key], atol=5e-5, rtol=0, msg=key)
        for cpu_layer_weight, gpu_layer_weight in zip(outputs_cpu["weights"], outputs_gpu["weights"]):
            for cpu_weight, gpu_weight in zip(cpu_layer_weight, gpu_layer_weight):
                torch.testing.assert_close(gpu_weight.grad.cpu(), cpu_weight.grad, atol=5e-5, rtol=0)

    for module in (nn_impl.RNN, nn_impl.LSTM, nn_impl.GRU):
        for bias, bidirectional, batch_first, contig, variable_len, lens_as_tensor in product((True, False), repeat=6):
            num_directions = 2 if bidirectional else 1
            shape = (batch, seq_length) if batch_first else (seq_length, batch)
            input_val = torch.randn(*shape, input_size, dtype=dtype)
            grad_output = torch.randn(*shape, hidden_size * num_directions, dtype=dtype)
            hx_val = torch.randn(num_layers * num_directions, batch, hidden_size, dtype=dtype)
            grad_hy = torch.randn(num_layers * num_directions, batch, hidden_size, dtype=dtype)
            if not contig:
                grad_output, grad_hy = make_noncontig(grad_output), make_noncontig(grad_hy)
                input_val, hx_val = make_noncontig(input_val), make_noncontig(hx_val)
            if variable_len:
                lengths = [7, 5, 5, 2, 1, 1]
                if lens_as_tensor:
                    lengths = torch.tensor(lengths, dtype=torch.long)
                input_val = rnn_utils.pack_padded_sequence(input_val, lengths, batch_first=batch_first)
                grad_output = rnn_utils.pack_padded_sequence(grad_output, lengths, batch_first=batch_first).data
            kwargs = dict(bias=bias, dropout=dropout, bidirectional=bidirectional, batch_first=batch_first)
            rnn = module(input_size, hidden_size, num_layers, **kwargs).to(dtype)
            outputs_cpu = forward_backward(False, rnn, input_val, grad_output, rnn.all_weights, hx_val, grad_hy)
            rnn_gpu = module(input_size, hidden_size, num_layers, **kwargs).to(dtype)
            outputs_gpu = forward_backward(True, rnn_gpu, input_val, grad_output, rnn.all_weights, hx_val, grad_hy)
            compare_cpu_gpu(outputs_cpu, outputs_gpu)


@pytest.mark.gpu
def test_RNN_cudnn_weight_norm(nn_impl):
    # runs on CPU to acquire expected output, then on CUDA with weight_norm (proj_size=3 variant skipped: PROJ)
    input_size, hidden_size, num_layers, seq_length, batch = 10, 6, 2, 7, 6
    m = nn_impl.LSTM(input_size, hidden_size, num_layers)
    input = torch.randn(seq_length, batch, input_size)
    expected_output = m(input)
    m = torch.nn.utils.weight_norm(m, name="weight_hh_l0")
    m = m.cuda()
    input = input.cuda()
    out = m(input)
    torch.testing.assert_close(out[0].cpu(), expected_output[0], atol=1e-4, rtol=1e-3)
    m = torch.nn.utils.remove_weight_norm(m, name="weight_hh_l0")
    torch.testing.assert_close(m(input)[0].cpu(), expected_output[0], atol=1e-4, rtol=1e-3)


@pytest.mark.gpu
def test_partial_flat_weights(nn_impl):
    m = nn_impl.LSTM(10, 6, 2)
    inp = torch.randn(3, 2, 10)
    out_expected = m(inp)
    # deletes an attribute of original LSTM
    weight_orig = m.weight_hh_l0
    del m.weight_hh_l0
    assert not hasattr(m, "weight_hh_l0")
    # verifies that moving to CUDA with only some attributes defined does not throw an error
    m.cuda()
    # recompute the weight and make sure that module can be used
    m.weight_hh_l0 = weight_orig.cuda()
    inp = inp.cuda()
    torch.testing.assert_close(m(inp)[0].cpu(), out_expected[0], atol=1e-4, rtol=5e-3)


@pytest.mark.skip(reason=CUDNN)
def test_cudnn_weight_format():
    pass


@pytest.mark.skip(reason=CUDNN)
def test_cudnn_weight_tying():
    pass


@pytest.mark.skip(reason="tests torch.nn.utils.rnn.PackedSequence's constructor on CUDA, not a recurrent module")
def test_pack_sequence_batch_sizes_throw():
    pass


# -- TestNNDeviceType -------------------------------------------------------------------------


def _test_rnn_mod(mod, inp):
    def flatten_out(mod, inp):
        out = mod(inp)
        return tuple([t if isinstance(t, torch.Tensor) else tt for t in out for tt in t])

    gradcheckfunc = partial(flatten_out, mod)
    assert gradcheck(gradcheckfunc, inp, check_batched_grad=False)
    assert gradgradcheck(gradcheckfunc, inp, check_batched_grad=False)


@pytest.mark.parametrize("device", cuda_params)
def test_LSTM_grad_and_gradgrad(nn_impl, device):
    hsize = 4
    inp = torch.rand(1, 3, hsize, device=device, dtype=torch.float64, requires_grad=True)
    for bias in [True, False]:
        mod = nn_impl.LSTM(hsize, hsize, bias=bias).to(device).to(torch.float64)
        with torch.backends.cudnn.flags(enabled=False):
            _test_rnn_mod(mod, inp)


@pytest.mark.parametrize("device", cuda_params)
def test_GRU_grad_and_gradgrad(nn_impl, device):
    hsize = 4
    inp = torch.rand(1, 3, hsize, device=device, dtype=torch.float64, requires_grad=True)
    for bias in [True, False]:
        mod = nn_impl.GRU(hsize, hsize, bias=bias).to(device).to(torch.float64)
        with torch.backends.cudnn.flags(enabled=False):
            _test_rnn_mod(mod, inp)


@pytest.mark.parametrize("device", cuda_params)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_lstmcell_backward_only_one_output_grad(nn_impl, device, dtype):
    # checks that undefined gradients doen't hamper the backward
    # see #11872
    cell = nn_impl.LSTMCell(2, 3).to(device).to(dtype=dtype)
    s = torch.randn(1, 2, device=device, dtype=dtype, requires_grad=True)
    for i in range(2):
        out = cell(s)[i]
        out.sum().backward()
        assert not (s.grad is None or s.grad.abs().sum().item() == 0)


@pytest.mark.parametrize("device", cuda_params)
def test_rnn_backward_to_input_but_not_parameters(nn_impl, device):
    # this checks whether it is possible to not require
    # weight parameters, but require inputs, see #7722
    layer = nn_impl.LSTM(2, 3).to(device)
    for p in layer.parameters():
        p.requires_grad = False
    s = torch.randn(1, 1, 2, requires_grad=True, device=device)
    out, _ = layer(s)
    out.sum().backward()
    assert not (s.grad is None or s.grad.abs().sum().item() == 0)


@pytest.mark.parametrize("device", cuda_params)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_rnn_retain_variables(nn_impl, device, dtype):
    # PyTorch: num_layers=2, input (5, 6, 10), LSTM/GRU/RNN(10, 20); same here
    rnns = [nn_impl.LSTM(10, 20, num_layers=2).to(device, dtype), nn_impl.GRU(10, 20, num_layers=2).to(device, dtype),
            nn_impl.RNN(10, 20, num_layers=2).to(device, dtype)]
    for rnn in rnns:
        input = torch.randn(5, 6, 10, device=device, dtype=dtype, requires_grad=True)
        output = rnn(input)
        output[0].sum().backward(retain_graph=True)
        grads = [input.grad.clone()] + [p.grad.clone() for p in rnn.parameters()]
        for _ in range(4):
            rnn.zero_grad()
            input.grad.zero_()
            output[0].sum().backward(retain_graph=True)
            grads2 = [input.grad] + [p.grad for p in rnn.parameters()]
            for a, b in zip(grads, grads2, strict=True):
                torch.testing.assert_close(a, b)


VARIABLE_SEQUENCE_CASES = [  # enforce_sorted, lengths (PyTorch's)
    (True, [5]), (False, [5]), (True, [10, 10, 6, 2, 2, 1, 1]), (False, [10, 10, 6, 2, 2, 1, 1]),
    (False, [2, 1, 3, 2, 10, 5, 3]),
]


@pytest.mark.parametrize("device", cuda_params)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("enforce_sorted,lengths", VARIABLE_SEQUENCE_CASES)
def test_variable_sequence(nn_impl, device, dtype, enforce_sorted, lengths):
    """PyTorch's _test_variable_sequence for proj_size=0 (proj_size=2: PROJ): a packed batch of
    sequences gives each sequence's own output, state and gradients. Tolerances: PyTorch's
    (dtype2prec_DONTUSE, 1e-5 for float32 and float64; 2e-4 for float32 parameter gradients).
    PyTorch runs float32 on CPU and half/float/double on CUDA; here float32 and float64 on both."""
    prec = {torch.float32: 1e-5, torch.float64: 1e-5}[dtype]

    def pad(var, length):
        if var.size(0) == length:
            return var
        return torch.cat([var, var.new_zeros(length - var.size(0), *var.size()[1:])])

    def maybe_index_tuple(maybe_tuple_of_tensors, index):
        if maybe_tuple_of_tensors is None:
            return None
        return tuple(maybe_tuple_of_tensors[j][:, index:index + 1, :].contiguous() for j in range(2))

    def check_lengths(lengths, enforce_sorted, use_default_hiddens):
        input_size, hidden_size, num_layers, bidirectional = 3, 4, 2, True
        max_length = max(lengths)
        x_leaf = torch.randn(max_length, len(lengths), input_size, device=device, dtype=dtype, requires_grad=True)
        num_directions = 2 if bidirectional else 1
        lstm = nn_impl.LSTM(input_size, hidden_size, bidirectional=bidirectional, num_layers=num_layers).to(device, dtype)
        lstm2 = deepcopy(lstm).to(device, dtype)
        x = x_leaf
        hidden0 = None
        if not use_default_hiddens:
            hidden0 = (torch.randn(num_directions * num_layers, len(lengths), hidden_size, device=device, dtype=dtype),
                       torch.randn(num_directions * num_layers, len(lengths), hidden_size, device=device, dtype=dtype))
        # Compute sequences separately
        seq_outs, seq_hiddens = [], []
        for i, l in enumerate(lengths):
            out, hid = lstm2(x[:l, i:i + 1], maybe_index_tuple(hidden0, i))
            seq_outs.append(pad(out, max_length))
            seq_hiddens.append(hid)
        seq_out = torch.cat(seq_outs, 1)
        seq_hidden = tuple(torch.cat(hids, 1) for hids in zip(*seq_hiddens))
        # Use packed format
        packed = rnn_utils.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
        packed_out, packed_hidden = lstm(packed, hidden0)
        unpacked, unpacked_len = rnn_utils.pad_packed_sequence(packed_out)
        # Check forward
        for a, b in zip(packed_hidden, seq_hidden, strict=True):
            torch.testing.assert_close(a, b, atol=prec, rtol=0)
        torch.testing.assert_close(unpacked, seq_out, atol=prec, rtol=0)
        assert unpacked_len.tolist() == lengths
        # Check backward
        seq_out.sum().backward()
        grad_x = x_leaf.grad.clone()
        x_leaf.grad.zero_()
        unpacked.sum().backward()
        torch.testing.assert_close(x_leaf.grad, grad_x, atol=prec, rtol=0)
        param_prec = 2e-4 if dtype == torch.float32 else prec  # PyTorch's: float32 parameter grads to 2e-4
        for p1, p2 in zip(lstm.parameters(), lstm2.parameters(), strict=True):
            torch.testing.assert_close(p1.grad, p2.grad, atol=param_prec, rtol=0)

    for use_default_hiddens in (True, False):
        check_lengths(lengths, enforce_sorted, use_default_hiddens)


@pytest.mark.skip(reason="oneDNN (MKLDNN) LSTM kernel internals; companion's LSTM is written in tensor operations")
def test_LSTM_differentiable_backward_using_oneDNN():
    pass


@pytest.mark.gpu
def test_rnn_fused(nn_impl):
    """PyTorch's test_rnn_fused (TestNN, CUDA, cuDNN off): GRU and LSTM on CUDA equal the same
    module on CPU, outputs, states and gradients, float32, PyTorch's sizes."""
    def copy_rnn(rnn1, rnn2):
        for x_layer, y_layer in zip(rnn1.all_weights, rnn2.all_weights):
            for x, y in zip(x_layer, y_layer):
                x.data.copy_(y.data)

    def check_rnn_grads(rnn1, rnn2):
        for x_layer, y_layer in zip(rnn1.all_weights, rnn2.all_weights):
            for x, y in zip(x_layer, y_layer):
                torch.testing.assert_close(x.grad, y.grad.cpu(), atol=5e-5, rtol=0)

    input_size, hidden_size, num_layers, seq_length, batch = 10, 6, 2, 7, 6
    input_val = torch.randn(seq_length, batch, input_size)
    grad_output = torch.randn(seq_length, batch, hidden_size)
    hx_val = torch.randn(num_layers, batch, hidden_size)
    grad_hy = torch.randn(num_layers, batch, hidden_size)
    with torch.backends.cudnn.flags(enabled=False, allow_tf32=None):
        for module in (nn_impl.GRU, nn_impl.LSTM):
            for bias in (True, False):
                rnn = module(input_size, hidden_size, num_layers, bias=bias)
                rnn_cuda = module(input_size, hidden_size, num_layers, bias=bias).cuda()
                copy_rnn(rnn, rnn_cuda)
                is_lstm = module is nn_impl.LSTM
                if is_lstm:
                    hx = (hx_val.clone().requires_grad_(True), hx_val.clone().add(1).requires_grad_(True))
                    hx_cuda = (hx_val.clone().cuda().requires_grad_(True),
                               hx_val.clone().cuda().add(1).requires_grad_(True))
                else:
                    hx = hx_val.clone().requires_grad_(True)
                    hx_cuda = hx_val.clone().cuda().requires_grad_(True)
                inp = input_val.clone().requires_grad_(True)
                inp_cu = input_val.clone().cuda().requires_grad_(True)
                output1, hy1 = rnn(inp, hx)
                output2, hy2 = rnn_cuda(inp_cu, hx_cuda)
                if is_lstm:
                    torch.autograd.backward([output1, hy1[0], hy1[1]], [grad_output, grad_hy, grad_hy + 1])
                    torch.autograd.backward([output2, hy2[0], hy2[1]],
                                            [grad_output.cuda(), grad_hy.cuda(), (grad_hy + 1).cuda()])
                else:
                    torch.autograd.backward([output1, hy1], [grad_output, grad_hy])
                    torch.autograd.backward([output2, hy2], [grad_output.cuda(), grad_hy.cuda()])
                torch.testing.assert_close(output2.cpu(), output1)
                for a, b in zip(torch.utils._pytree.tree_leaves(hy2), torch.utils._pytree.tree_leaves(hy1)):
                    torch.testing.assert_close(a.cpu(), b)
                check_rnn_grads(rnn, rnn_cuda)
                torch.testing.assert_close(inp_cu.grad.cpu(), inp.grad)
                for a, b in zip(hx_cuda if is_lstm else (hx_cuda,), hx if is_lstm else (hx,)):
                    torch.testing.assert_close(a.grad.cpu(), b.grad)


def test_pickle_whole_modules_without_weights_only(nn_impl):
    """Not in test_nn.py, but what its pickling tests rely on: every recurrent module pickles."""
    for m in (nn_impl.RNN(3, 4, 2, bidirectional=True), nn_impl.LSTM(3, 4), nn_impl.GRU(3, 4, batch_first=True),
              nn_impl.RNNCell(3, 4), nn_impl.LSTMCell(3, 4), nn_impl.GRUCell(3, 4)):
        m2 = pickle.loads(pickle.dumps(m))
        assert repr(m2) == repr(m)
        for a, b in zip(m.state_dict().values(), m2.state_dict().values(), strict=True):
            assert torch.equal(a, b)


def test_the_port_runs_each_test_on_both_implementations():
    """The fixture gives both namespaces, and each names the six modules."""
    for name in ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"):
        assert getattr(companion, name) is not getattr(torch.nn, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        companion.LSTM(3, 4, proj_size=0)  # torch's default, passed explicitly by real code
