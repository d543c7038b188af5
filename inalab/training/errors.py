"""Errors of the training subpackage; each message says what to do about it."""

from __future__ import annotations


class TrainingError(Exception):
    """Base of every error a user of :mod:`inalab.training` can cause."""


class UsageError(TrainingError):
    """Bad arguments or configuration (exit code 2 on the command line)."""


class MissingExtraError(UsageError):
    """torch (or scikit-learn) is not installed."""


class BucketTooLargeError(UsageError):
    """A DDP gradient bucket (or a single parameter) exceeds the job's configured size."""


class PeerFailureError(TrainingError):
    """An allreduce did not complete within the job's timeout: a worker died or hangs."""
