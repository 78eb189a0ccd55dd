"""web1on1's permission table (docs/vendors/web1on1.md), as the lowest scope per cell.

Every row of the page's table is monotonic (once a scope may, every higher
one may too), so a row reduces to its lowest allowed scope. The tests read
the page's table itself and check every cell against the running emulator.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from token_emulator.vendors.web1on1.models import ROLES, Role

Operation = Literal["list", "fetch", "create", "update", "delete"]

_ADMIN: Role = "admin"

LOWEST_SCOPE: dict[tuple[str, Operation], Role] = {
    ("organizations", "list"): "bot",
    ("orggroups", "list"): "bot",
    ("users", "list"): "bot",
    ("conversations", "list"): "agent",
    ("messages", "list"): "bot",
    ("contacts", "list"): "agent",
    ("kbitems", "list"): "agent",
    ("forms", "list"): "bot",
    ("services", "list"): _ADMIN,
    ("organizations", "fetch"): "bot",
    ("orggroups", "fetch"): "bot",
    ("users", "fetch"): "bot",  # another user's details; one's own: SELF below
    ("conversations", "fetch"): "guest",
    ("messages", "fetch"): "bot",
    ("contacts", "fetch"): "bot",
    ("kbitems", "fetch"): "agent",
    ("forms", "fetch"): _ADMIN,
    ("services", "fetch"): _ADMIN,
    ("organizations", "create"): _ADMIN,
    ("orggroups", "create"): _ADMIN,
    ("users", "create"): _ADMIN,
    ("conversations", "create"): "agent",
    ("messages", "create"): "guest",
    ("contacts", "create"): "bot",
    ("kbitems", "create"): "agent",
    ("forms", "create"): "bot",
    ("services", "create"): _ADMIN,
    ("organizations", "update"): _ADMIN,
    ("orggroups", "update"): _ADMIN,
    ("users", "update"): _ADMIN,
    ("conversations", "update"): _ADMIN,
    ("messages", "update"): "bot",
    ("contacts", "update"): "bot",
    ("kbitems", "update"): "agent",
    ("forms", "update"): "bot",
    ("services", "update"): _ADMIN,
    # "Delete knowledge item" is bot; "Delete other resource" is admin.
    ("kbitems", "delete"): "bot",
}

# "Fetch user details (self)" and "Update user details (self)": every scope.
SELF_LOWEST_SCOPE: dict[Operation, Role] = {"fetch": "guest", "update": "guest"}


def level(scopes: Iterable[str]) -> int:
    """The rank of the highest scope given; scopes cascade, so it includes the lower ones.

    Unknown scope names give nothing (-1 when none is known).
    """
    return max((ROLES.index(s) for s in scopes if s in ROLES), default=-1)  # type: ignore[arg-type]


def lowest_scope(kind: str, operation: Operation, *, on_self: bool = False) -> Role:
    if on_self and operation in SELF_LOWEST_SCOPE:
        return SELF_LOWEST_SCOPE[operation]
    return LOWEST_SCOPE.get((kind, operation), _ADMIN)


def allows(
    scopes: Iterable[str], kind: str, operation: Operation, *, on_self: bool = False
) -> bool:
    return level(scopes) >= ROLES.index(lowest_scope(kind, operation, on_self=on_self))
