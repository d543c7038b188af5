"""inalab.training: PyTorch DDP through the emulated network (optional ``torch`` extra).

- :mod:`inalab.training.hook`: ``InaCommHook`` / ``ina_allreduce_hook``, the DDP
  communication hook over an inalab worker's ``allreduce`` (imports torch).
- :mod:`inalab.training.train`: one rank of a training run (``python -m``).
- :mod:`inalab.training.experiment`: the Mininet scenarios (gloo vs INA, loss tolerance).

Importing this package does not import torch.
"""
