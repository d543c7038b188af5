"""inalab.switch.p4runtime: the switch's P4Runtime v1 gRPC server.

Public API: :func:`inalab.switch.p4runtime.server.start_server` returning a
:class:`~inalab.switch.p4runtime.server.P4RuntimeServer` (``.port``,
``.stop(grace)``, ``.wait_for_termination()``). See docs/p4runtime.md.
"""
