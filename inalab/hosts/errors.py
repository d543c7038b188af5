"""Exceptions of the host agents; every one carries a message a user can act on."""

from __future__ import annotations


class HostsError(Exception):
    """Base of all host-agent errors."""


class ConfigError(HostsError):
    """A job configuration (JSON file or arguments) is invalid."""


class InputError(HostsError):
    """An array given to ``allreduce`` has the wrong dtype, shape or contents (NaN/Inf)."""


class AllreduceTimeout(HostsError):
    """The aggregator (switch or PS) did not answer within the round's hard timeout."""
