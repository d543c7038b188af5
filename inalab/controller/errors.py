"""Exceptions of the controller: every one a message a user can read (the CLI prints
it and exits non-zero, never a traceback)."""

from __future__ import annotations


class ControllerError(Exception):
    """Base of every error the controller reports to its user."""


class ConfigError(ControllerError):
    """Bad command-line argument, topology file, pipeline file or controller setting."""


class P4InfoError(ControllerError):
    """A name the controller needs is missing from the switch's P4Info."""


class SwitchError(ControllerError):
    """A switch could not be reached, refused arbitration or failed an RPC."""

    def __init__(self, switch: str, message: str) -> None:
        super().__init__(f"switch {switch}: {message}")
        self.switch = switch


class WriteError(SwitchError):
    """A switch refused one or more updates of a Write: each failure names the entry."""

    def __init__(self, switch: str, failures: list[tuple[str, str]]) -> None:
        lines = "; ".join(f"{what}: {why}" for what, why in failures)
        super().__init__(switch, f"write refused ({len(failures)} update(s)): {lines}")
        self.failures = failures


class JobError(ControllerError):
    """A job request the manager refuses: duplicate id, unknown job/member, bad rank."""


class AdmissionError(JobError):
    """Not enough aggregator memory (or multicast groups, telemetry rows) for a job."""
