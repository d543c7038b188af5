"""Switch-side codes shared by the P4 program and its control plane.

Not on the wire (that is :mod:`inalab.protocol.format`), but a contract all the
same: the controller writes ``JobMode`` into the ``job_region`` table and reads
``DropReason`` / ``InaEvent`` counters by index. ``gen_p4`` emits them into
``p4src/include/ina_header.p4``.
"""

from __future__ import annotations

import enum


class JobMode(enum.IntEnum):
    """``mode`` parameter of ``set_job_region``."""

    DEDICATED = 0  # slots given by the host (slot_id), root switch: multicast results
    LEAF = 1  # dedicated, but a completed slot goes up to the spine as one contribution
    BEST_EFFORT = 2  # ATP-style: slot = hash(job, seq) in the region, owner tag, collisions to PS


class DropReason(enum.IntEnum):
    """Index of ``ina_drop_counter``: why the switch dropped a packet."""

    UNKNOWN_JOB = 0  # INA packet for a job without a job_region entry
    NOT_MEMBER = 1  # (job, ingress port) not in job_member
    OUT_OF_REGION = 2  # slot_id >= region size, or region past the register array
    BAD_MSG_TYPE = 3  # msg_type not CONTRIB/RESULT, or a RESULT where none is expected
    BAD_LANES = 4  # value_count != the program's K, or the packet is too short for K values
    SIM_DROP = 5  # the drop simulator (controller-set probability per port/job)
    ARP_MISS = 6  # ARP request for an address the proxy table does not know
    NO_ROUTE = 7  # IPv4 destination without a route


class InaEvent(enum.IntEnum):
    """Index of ``ina_event_counter``: what aggregation did with a contribution."""

    ABSORBED = 0  # added to a slot that is not complete yet (packet consumed)
    COMPLETED = 1  # completed a slot: result multicast to the job's group
    UPSTREAM = 2  # a leaf completed a slot and sent the partial aggregate up
    RESULT_UNICAST = 3  # retransmission to a completed slot: result returned by unicast
    DUPLICATE = 4  # retransmission to a slot not complete yet: ignored (never added twice)
    COLLISION = 5  # best-effort slot owned by another block: forwarded raw to the PS
    RESULT_DOWN = 6  # a leaf multicast a spine's result to its workers
    UPSTREAM_RESEND = 7  # a leaf re-sent its partial up for a retransmitting worker


DROP_REASON_COUNT = 8  # ina_drop_counter size
INA_EVENT_COUNT = 8  # ina_event_counter size
IMPORTANCE_CLASS_COUNT = 8  # per-class counters: bmv2 priority is 3 bits

# P4 names for the generated header (prefix, enum).
P4_CODE_GROUPS: tuple[tuple[str, type[enum.IntEnum]], ...] = (
    ("JOB_MODE_", JobMode),
    ("DROP_", DropReason),
    ("EVENT_", InaEvent),
)
