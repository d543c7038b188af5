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
    TTL_EXPIRED = 8  # a packet to route arrived with TTL <= 1
    UNSUPPORTED = 9  # neither IPv4 nor ARP


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
    RECLAIMED = 8  # best-effort cell held past its lease by another block: taken over
    RESET = 9  # dedicated/leaf: a newer seq started the cell's next round over the old one
    STALE = 10  # dedicated/leaf: a seq older than the cell's round (late or relaunched): dropped
    FLUSHED = 11  # a flush (contrib_count 0) closed a partial or empty slot: partial multicast
    EARLY = 12  # a newer seq while a worker may still need the cell's result: dropped, retried


DROP_REASON_COUNT = 16  # ina_drop_counter size (and per-job row stride): room to grow
INA_EVENT_COUNT = 16  # ina_event_counter size (and per-job row stride): room to grow
IMPORTANCE_CLASS_COUNT = 8  # per-class counters: bmv2 priority is 3 bits

# P4 names for the generated header (prefix, enum).
P4_CODE_GROUPS: tuple[tuple[str, type[enum.IntEnum]], ...] = (
    ("JOB_MODE_", JobMode),
    ("DROP_", DropReason),
    ("EVENT_", InaEvent),
)


# --------------------------------------------------------------------------- P4 names
_ING = "InaIngress"
_AGG = f"{_ING}.aggregation_control"
_FWD = f"{_ING}.forwarding_control"
_QA = f"{_ING}.queue_admission_control"
_QM = "InaEgress.queue_management_control"


class P4Names:
    """Fully qualified P4Info / bmv2 JSON names of ``p4src/ina.p4`` objects the control
    plane uses (a test checks every one against the compiled program)."""

    # tables and their actions
    JOB_REGION = f"{_AGG}.job_region"
    SET_JOB_REGION = f"{_AGG}.set_job_region"
    JOB_MEMBER = f"{_AGG}.job_member"
    SET_JOB_MEMBER = f"{_AGG}.set_job_member"
    IMPORTANCE_CLASS = f"{_ING}.importance_control.importance_class"
    SET_IMPORTANCE_CLASS = f"{_ING}.importance_control.set_importance_class"
    DROP_SIMULATOR = f"{_ING}.drop_simulator_control.drop_simulator"
    SET_DROP_PROBABILITY = f"{_ING}.drop_simulator_control.set_drop_probability"
    IPV4_LPM = f"{_FWD}.ipv4_lpm"
    SET_NEXTHOP = f"{_FWD}.set_nexthop"
    ECMP_SELECTOR = f"{_FWD}.ecmp_selector"
    ARP_PROXY = f"{_ING}.arp_proxy_control.arp_proxy"
    ARP_REPLY = f"{_ING}.arp_proxy_control.arp_reply"
    QUEUE_ADMISSION = f"{_QA}.queue_admission"
    SET_QUEUE_ADMISSION = f"{_QA}.set_queue_admission"
    ECN_THRESHOLD = f"{_QM}.ecn_threshold"
    SET_ECN_THRESHOLD = f"{_QM}.set_ecn_threshold"
    RESULT_DESTINATION = "InaEgress.result_delivery_control.result_destination"
    SET_RESULT_DESTINATION = "InaEgress.result_delivery_control.set_result_destination"
    # counters
    INA_DROP_COUNTER = f"{_ING}.ina_drop_counter"
    INA_EVENT_COUNTER = f"{_AGG}.ina_event_counter"
    JOB_EVENT_COUNTER = f"{_AGG}.job_event_counter"
    JOB_DROP_COUNTER = f"{_AGG}.job_drop_counter"
    JOB_REGION_COUNTER = f"{_AGG}.job_region_counter"
    QUEUE_DROP_COUNTER = f"{_QA}.queue_drop_counter"
    ECN_MARK_COUNTER = f"{_QM}.ecn_mark_counter"
    # registers (value_reg_<lane> for each lane)
    BITMAP_REG = f"{_AGG}.bitmap_reg"
    COUNT_REG = f"{_AGG}.count_reg"
    TOTAL_REG = f"{_AGG}.total_reg"
    EXP_REG = f"{_AGG}.exp_reg"
    ECN_REG = f"{_AGG}.ecn_reg"
    OWNER_REG = f"{_AGG}.owner_reg"
    STAMP_REG = f"{_AGG}.stamp_reg"
    QUEUE_CLOCK_REG = f"{_QA}.queue_clock_reg"
    VALUE_REG_PREFIX = f"{_AGG}.value_reg_"

    @classmethod
    def all(cls) -> dict[str, str]:
        return {k: v for k, v in vars(cls).items() if k.isupper() and not k.endswith("_PREFIX")}


# Action parameter order of set_job_region (P4Info param ids 1..8).
SET_JOB_REGION_PARAMS: tuple[str, ...] = (
    "region_base",
    "region_size",
    "n_workers",
    "mcast_grp",
    "mode",
    "ps_addr",
    "upstream_addr",
    "job_index",
)
