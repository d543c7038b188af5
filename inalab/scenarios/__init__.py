"""Runnable experiments on Mininet networks of P4 switches: the ``make run``
demo and the scenario scripts (``python -m inalab.scenarios NAME``).

Modules: ``testbed`` (build, start and program a network), ``programming``
(switch table writes until the controller takes over), ``jobs`` (run an
allreduce job on the hosts and check it), ``ring`` (host-only baseline),
``results`` (tables, JSON, PNG), one module per scenario, ``demo``.
"""
