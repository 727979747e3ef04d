"""Who may read and write the data hub.

Staff read; the command centre and admins write. Machines (sensors, platforms) use API
keys with the scope ``brain:ngsi_read`` or ``brain:ngsi_write``.
"""

from __future__ import annotations

from citybrain.core.errors import DomainError
from citybrain.core.security import Actor, ActorKind, Role

READ_SCOPE = "brain:ngsi_read"
WRITE_SCOPE = "brain:ngsi_write"
WRITER_ROLES = (Role.admin, Role.command_centre_operator)


def _refuse() -> DomainError:
    return DomainError(
        "brain.ngsi_forbidden",
        "无权访问城市大脑数据中枢",
        "You may not use the data hub this way",
        status=403,
    )


def require_reader(actor: Actor) -> None:
    if actor.kind is ActorKind.staff or actor.kind is ActorKind.system:
        return
    if actor.kind is ActorKind.api_key and ({READ_SCOPE, WRITE_SCOPE, "*"} & set(actor.scopes)):
        return
    raise _refuse()


def require_writer(actor: Actor) -> None:
    if actor.kind is ActorKind.system:
        return
    if actor.kind is ActorKind.staff and actor.role in WRITER_ROLES:
        return
    if actor.kind is ActorKind.api_key and ({WRITE_SCOPE, "*"} & set(actor.scopes)):
        return
    raise _refuse()


def source_of(actor: Actor) -> str:
    """How an observation records its writer: no names, only kind and id."""
    return f"{actor.kind.value}:{actor.id}"[:80]
