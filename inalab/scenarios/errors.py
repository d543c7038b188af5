"""Errors of the scenario framework: each one is a message for the user."""

from __future__ import annotations


class ScenarioError(Exception):
    """Base class: a scenario could not run; the message says what to do."""


class ProgrammingError(ScenarioError):
    """A switch refused a table write (or could not be reached)."""


class JobFailed(ScenarioError):
    """A job's workers or parameter server failed, or its result is wrong."""
