"""The switch's control-plane interface: what a control plane can do to a
running program, in the program's own (bmv2 JSON) names and plain integers.

This is the contract between the switch core (``inalab.switch.core.Switch``
implements it) and its front ends: the P4Runtime server, the STF runner and
the runtime CLI. It mirrors bmv2's runtime interface (``mt_add_entry``,
``mc_node_create``, ``mirroring_add`` ...), so anything expressible in
simple_switch_CLI or P4Runtime maps onto it one to one.

Names are the bmv2 JSON names (``MyIngress.ipv4_lpm``); values are unsigned
Python ints of the field's width (signed fields are given in two's
complement). Handles are ints chosen by the switch. Every method raises a
:class:`ControlError` subclass for a request the program cannot satisfy; the
switch's state is unchanged when it does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from inalab.switch.hashes import CrcConfig

if TYPE_CHECKING:
    from inalab.switch.traffic_manager import QueueStats


# --------------------------------------------------------------------------- errors
class ControlError(Exception):
    """A control-plane request the switch refused; state is unchanged."""


class NoPipelineError(ControlError):
    """No program is loaded (P4Runtime: FAILED_PRECONDITION)."""


class UnknownNameError(ControlError):
    """Unknown table, action, counter, register, ... (P4Runtime: NOT_FOUND)."""


class InvalidRequestError(ControlError):
    """Wrong key count/kind, value too wide, bad params (P4Runtime: INVALID_ARGUMENT)."""


class DuplicateEntryError(ControlError):
    """An entry with the same key (and priority) exists (P4Runtime: ALREADY_EXISTS)."""


class EntryNotFoundError(ControlError):
    """No entry / member / group / node with that handle or key (P4Runtime: NOT_FOUND)."""


class IndexOutOfRangeError(ControlError):
    """Counter/register/meter index past the array's size (P4Runtime: OUT_OF_RANGE)."""


class TableFullError(ControlError):
    """The table holds ``size`` entries already (P4Runtime: RESOURCE_EXHAUSTED)."""


class ReadOnlyError(ControlError):
    """Const entries / const default action (P4Runtime: PERMISSION_DENIED or INVALID_ARGUMENT)."""


# --------------------------------------------------------------------------- match keys
@dataclass(frozen=True)
class ExactKey:
    value: int


@dataclass(frozen=True)
class LpmKey:
    value: int
    prefix_len: int


@dataclass(frozen=True)
class TernaryKey:
    value: int
    mask: int


@dataclass(frozen=True)
class RangeKey:
    low: int
    high: int


@dataclass(frozen=True)
class OptionalKey:
    """``optional`` match: ``value`` None is the wildcard."""

    value: int | None


@dataclass(frozen=True)
class ValidKey:
    """bmv2 ``valid`` match kind (header validity as a key)."""

    valid: bool


MatchKey = ExactKey | LpmKey | TernaryKey | RangeKey | OptionalKey | ValidKey


# --------------------------------------------------------------------------- actions
@dataclass(frozen=True)
class ActionCall:
    """A direct action with its runtime parameters, in runtime_data order."""

    action: str
    params: tuple[int, ...] = ()


@dataclass(frozen=True)
class MemberRef:
    """An entry of a table with an action profile: points at a member."""

    member: int


@dataclass(frozen=True)
class GroupRef:
    """An entry of a table with an action selector: points at a group."""

    group: int


ActionSpec = ActionCall | MemberRef | GroupRef


@dataclass(frozen=True)
class TableEntry:
    handle: int
    keys: tuple[MatchKey, ...]
    action: ActionSpec
    priority: int | None = None  # bmv2 priority: larger value wins among ternary/range matches
    is_const: bool = False
    timeout_ms: int | None = None  # idle timeout, None = never


@dataclass(frozen=True)
class MeterRate:
    """One meter band as bmv2 takes it: rate in units (bytes or packets) per microsecond, burst in units."""

    rate_per_us: float
    burst: int


@dataclass(frozen=True)
class McNode:
    handle: int
    rid: int
    ports: tuple[int, ...]


@dataclass(frozen=True)
class MirrorSession:
    session: int
    port: int | None = None
    mc_group: int | None = None
    truncate: int | None = None  # bytes kept of the cloned packet, None = all


@dataclass(frozen=True)
class Digest:
    """One digest message: ``fields`` in the learn list's order."""

    name: str
    id: int
    samples: tuple[tuple[int, ...], ...] = field(default_factory=tuple)


DigestHandler = Callable[[Digest], None]
TransmitHandler = Callable[[int, bytes], None]
PacketInHandler = Callable[[bytes], None]
IdleTimeoutHandler = Callable[[str, tuple[int, ...]], None]  # (table, expired entry handles)


# --------------------------------------------------------------------------- the interface
class SwitchControl(Protocol):
    """What the switch core offers to control planes. Thread-safe."""

    # program ----------------------------------------------------------------
    def load_program(self, bmv2_json: str | bytes | dict[str, object]) -> None:
        """Validate and install a program; resets all forwarding state (as bmv2 does).

        Raises ``inalab.switch.errors.JsonError`` (not a ControlError) for bad JSON,
        leaving the running program untouched."""

    def program_json(self) -> dict[str, object] | None: ...

    # tables -----------------------------------------------------------------
    def table_add(
        self, table: str, keys: Sequence[MatchKey], action: ActionSpec, priority: int | None = None
    ) -> int: ...
    def table_modify(self, table: str, handle: int, action: ActionSpec) -> None: ...
    def table_delete(self, table: str, handle: int) -> None: ...
    def table_find(
        self, table: str, keys: Sequence[MatchKey], priority: int | None = None
    ) -> int | None:
        """Handle of the entry with exactly this key (and priority), or None."""

    def table_entries(self, table: str) -> list[TableEntry]: ...
    def table_clear(self, table: str) -> None: ...
    def table_set_default(self, table: str, action: ActionCall) -> None: ...
    def table_reset_default(self, table: str) -> None: ...
    def table_get_default(self, table: str) -> ActionCall: ...
    def table_set_timeout(self, table: str, handle: int, timeout_ms: int | None) -> None: ...
    def table_times_since_hit(self, table: str) -> dict[int, float]:
        """Seconds since each entry (handle) of an idle-timeout table was last hit, or
        since it was added (or its timeout set) if never: P4Runtime's
        ``time_since_last_hit``. InvalidRequestError for a table without idle timeouts."""

    # action profiles / selectors --------------------------------------------
    def act_prof_add_member(self, profile: str, action: ActionCall) -> int: ...
    def act_prof_modify_member(self, profile: str, member: int, action: ActionCall) -> None: ...
    def act_prof_delete_member(self, profile: str, member: int) -> None: ...
    def act_prof_create_group(self, profile: str) -> int: ...
    def act_prof_delete_group(self, profile: str, group: int) -> None: ...
    def act_prof_add_member_to_group(self, profile: str, member: int, group: int) -> None: ...
    def act_prof_remove_member_from_group(self, profile: str, member: int, group: int) -> None: ...
    def act_prof_members(self, profile: str) -> dict[int, ActionCall]: ...
    def act_prof_groups(self, profile: str) -> dict[int, tuple[int, ...]]: ...

    # counters (indirect and direct) -----------------------------------------
    def counter_read(self, name: str, index: int) -> tuple[int, int]:
        """(packets, bytes)."""

    def counter_write(self, name: str, index: int, packets: int, bytes_: int) -> None: ...
    def counter_reset(self, name: str) -> None: ...
    def direct_counter_read(self, table: str, handle: int) -> tuple[int, int]: ...
    def direct_counter_write(self, table: str, handle: int, packets: int, bytes_: int) -> None: ...

    # meters (indirect and direct) -------------------------------------------
    def meter_set_rates(self, name: str, index: int, rates: Sequence[MeterRate]) -> None:
        """Two bands (committed, peak) for a two-rate three-color meter."""

    def meter_get_rates(self, name: str, index: int) -> list[MeterRate]: ...
    def direct_meter_set_rates(
        self, table: str, handle: int, rates: Sequence[MeterRate]
    ) -> None: ...
    def direct_meter_get_rates(self, table: str, handle: int) -> list[MeterRate]: ...

    # registers --------------------------------------------------------------
    def register_read(self, name: str, index: int) -> int: ...
    def register_write(self, name: str, index: int, value: int) -> None: ...
    def register_size(self, name: str) -> int: ...
    def register_reset(self, name: str) -> None: ...

    # parser value sets ------------------------------------------------------
    def pvs_add(self, name: str, value: int, mask: int | None = None) -> None: ...
    def pvs_remove(self, name: str, value: int, mask: int | None = None) -> None: ...
    def pvs_entries(self, name: str) -> list[tuple[int, int | None]]: ...

    # packet replication engine ----------------------------------------------
    def mc_group_create(self, group: int) -> None: ...
    def mc_group_delete(self, group: int) -> None: ...
    def mc_node_create(self, rid: int, ports: Sequence[int]) -> int: ...
    def mc_node_update(self, node: int, ports: Sequence[int]) -> None: ...
    def mc_node_delete(self, node: int) -> None: ...
    def mc_node_associate(self, group: int, node: int) -> None: ...
    def mc_node_dissociate(self, group: int, node: int) -> None: ...
    def mc_groups(self) -> dict[int, tuple[McNode, ...]]: ...

    # clone sessions ---------------------------------------------------------
    def mirroring_add(self, session: MirrorSession) -> None:
        """Add or replace a session."""

    def mirroring_delete(self, session: int) -> None: ...
    def mirroring_get(self, session: int) -> MirrorSession: ...

    # configurable CRCs (bmv2's crc16_custom / crc32_custom) -------------------
    def custom_crc_calculations(self) -> dict[str, str]:
        """The program's named calculations using a custom CRC -> their algorithm."""

    def set_crc_parameters(self, calculation: str, config: CrcConfig) -> None:
        """``set_crc16_parameters`` / ``set_crc32_parameters``: what ``calculation``
        computes until the next program load (which restores bmv2's defaults)."""

    def crc_parameters(self, calculation: str) -> CrcConfig: ...

    # traffic manager (simple_switch names) ----------------------------------
    def set_queue_depth(
        self, depth: int, port: int | None = None, priority: int | None = None
    ) -> None: ...
    def set_queue_rate(
        self, pps: float | None, port: int | None = None, priority: int | None = None
    ) -> None:
        """Packets per second; None = unlimited (the default)."""

    # packets and notifications ----------------------------------------------
    def receive(self, port: int, data: bytes) -> None:
        """A frame arrived on ``port``: run it through the pipeline."""

    def set_transmit_handler(self, handler: TransmitHandler) -> None: ...
    def set_digest_handler(self, handler: DigestHandler | None) -> None: ...

    def set_packet_in_handler(self, handler: PacketInHandler | None) -> None:
        """Frames that egress on the CPU port go here (P4Runtime PacketIn) instead of
        the transmit handler; with no handler they go to the transmit handler."""

    def packet_out(self, data: bytes) -> None:
        """A frame from the controller: enters ingress on the CPU port."""

    def set_idle_timeout_handler(self, handler: IdleTimeoutHandler | None) -> None:
        """Called (from a switch thread) with entries whose idle timeout expired."""

    # diagnostics ------------------------------------------------------------
    def queue_stats(self) -> Mapping[tuple[int, int], QueueStats]:
        """Per (egress port, priority) queue: packets enqueued, dropped, dequeued."""

    @property
    def assert_failures(self) -> Mapping[str, int]:
        """Failed ``assert``/``assume`` by source location ("file:line: fragment")."""

    @property
    def drops(self) -> Mapping[str, int]:
        """Dropped packets by reason."""

    @property
    def faults(self) -> int:
        """Packets lost to unexpected errors of the switch itself (see its log)."""
