"""Errors of the switch's edges (ports, impairment, pcap, command line, runtime
control). Each carries a message meant for the user: the command line prints
it as one line and exits 1. The core's program errors live in
``inalab.switch.errors``."""

from __future__ import annotations


class SwitchIOError(Exception):
    """Base of the errors a user can cause at the switch's edges."""


class PortError(SwitchIOError):
    """Unknown or down interface, port number in use, socket failure."""


class ImpairmentError(SwitchIOError):
    """A link impairment setting that is out of range or malformed."""


class PcapError(SwitchIOError):
    """The capture directory cannot be created or written."""


class UsageError(SwitchIOError):
    """A bad command-line argument."""


class RuntimeCommandError(SwitchIOError):
    """A runtime-control command that is malformed or refused."""
