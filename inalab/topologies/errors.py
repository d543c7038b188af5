"""Errors of inalab.topologies: every one is something a user can cause or fix
(a bad topology file, a missing tool, a busy port, a crashed run), so each
carries a message that names the node, link, file or command involved."""

from __future__ import annotations


class TopologiesError(Exception):
    """Base class of every error this subpackage raises on purpose."""


class TopologyError(TopologiesError):
    """A topology (spec, file or builder argument) is invalid.

    The message names the offending node or link (``link s1-h1: jitter requires
    delay``); :func:`inalab.topologies.loader.load_topology` prefixes the file.
    """


class EnvironmentProblem(TopologiesError):
    """The machine cannot run a network: not root, Mininet or a tool missing."""


class PortInUseError(TopologiesError):
    """A switch's gRPC port is already bound by another process."""


class LeftoverRunError(TopologiesError):
    """A crashed run left processes or interfaces behind; ``inalab-clean`` removes them."""


class SwitchStartError(TopologiesError):
    """A switch process died or did not listen on its gRPC port in time."""
