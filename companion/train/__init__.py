"""Training: one loop, and the trainers built on it.

=================  =========================================================
module             what it holds
=================  =========================================================
``loop``           ``loop`` (the one training loop: Adam, progress bar, validation, early
                   stopping, checkpoints, resuming), ``update`` (one step), ``minibatch_epoch``
``fit``            ``fit`` (independent examples ``(X, y)``) and ``evaluate``
``stateful``       ``fit_stateful``: truncated BPTT with the state carried between chunks
``distributed``    ``fit_distributed`` (the loop under DistributedDataParallel), ``init_from_env``
                   (torchrun), ``launch_local`` (processes on this machine)
``language``       ``fit_language_model`` (stateful truncated BPTT on streams of text),
                   ``evaluate_language_model``
``checkpoint``     ``History``, ``save_checkpoint``, ``load_checkpoint`` (``weights_only=True``), ``model_device``
=================  =========================================================

Every public name is also importable from ``companion.train`` itself.
"""

from .checkpoint import History, load_checkpoint, model_device, save_checkpoint
from .distributed import fit_distributed, init_from_env, launch_local
from .fit import evaluate, fit
from .loop import loop, minibatch_epoch, update
from .stateful import fit_stateful
from .language import evaluate_language_model, fit_language_model

__all__ = ["loop", "update", "minibatch_epoch", "fit", "evaluate", "fit_stateful", "fit_distributed", "init_from_env",
           "launch_local", "History", "save_checkpoint",
           "load_checkpoint", "model_device", "fit_language_model", "evaluate_language_model"]
