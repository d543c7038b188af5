"""Action profiles (members) and action selectors (groups, hash-chosen member)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inalab.switch.control import ActionCall, EntryNotFoundError, InvalidRequestError
from inalab.switch.tables import ActionFn, ActionInfo


class ActionProfile:
    def __init__(
        self,
        name: str,
        actions: dict[str, ActionInfo],
        max_size: int,
        selector: Callable[[Any], int] | None,
    ) -> None:
        self.name = name
        self.actions = actions
        self.max_size = max_size
        self.selector = selector
        self.members: dict[int, tuple[ActionCall, ActionFn, tuple[int, ...]]] = {}
        self.groups: dict[int, list[int]] = {}
        self._next_member = 0
        self._next_group = 0

    def _resolve(self, call: ActionCall) -> tuple[ActionCall, ActionFn, tuple[int, ...]]:
        a = self.actions.get(call.action)
        if a is None:
            raise InvalidRequestError(f"profile '{self.name}': unknown action '{call.action}'")
        return call, a.fn, a.check(call.params)

    def member(self, m: int) -> tuple[ActionCall, ActionFn, tuple[int, ...]]:
        r = self.members.get(m)
        if r is None:
            raise EntryNotFoundError(f"profile '{self.name}': no member {m}")
        return r

    def add_member(self, call: ActionCall) -> int:
        if len(self.members) >= self.max_size:
            raise InvalidRequestError(f"profile '{self.name}' is full")
        h = self._next_member
        self.members[h] = self._resolve(call)
        self._next_member += 1
        return h

    def modify_member(self, m: int, call: ActionCall) -> None:
        self.member(m)
        self.members[m] = self._resolve(call)

    def delete_member(self, m: int) -> None:
        self.member(m)
        for g in self.groups.values():
            if m in g:
                raise InvalidRequestError(f"profile '{self.name}': member {m} is in a group")
        del self.members[m]

    def create_group(self) -> int:
        if self.selector is None:
            raise InvalidRequestError(f"profile '{self.name}' is not a selector")
        h = self._next_group
        self.groups[h] = []
        self._next_group += 1
        return h

    def group(self, g: int) -> list[int]:
        r = self.groups.get(g)
        if r is None:
            raise EntryNotFoundError(f"profile '{self.name}': no group {g}")
        return r

    def delete_group(self, g: int) -> None:
        self.group(g)
        del self.groups[g]

    def add_to_group(self, m: int, g: int) -> None:
        self.member(m)
        grp = self.group(g)
        if m not in grp:
            grp.append(m)
            grp.sort()

    def remove_from_group(self, m: int, g: int) -> None:
        grp = self.group(g)
        if m not in grp:
            raise EntryNotFoundError(f"profile '{self.name}': member {m} not in group {g}")
        grp.remove(m)

    def choose(self, p: Any, group: int) -> tuple[ActionCall, ActionFn, tuple[int, ...]] | None:
        grp = self.groups.get(group)
        if not grp or self.selector is None:
            return None
        return self.members[grp[self.selector(p) % len(grp)]]
