"""``citybrain code …``: verify a code offline, manage keys and the trust list, purge scans."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from citybrain.citycode import scans, signing, verifier
from citybrain.config import Settings
from citybrain.core.db import transaction
from citybrain.core.errors import DomainError
from citybrain.core.security import OPERATOR, Actor, ActorKind, Role
from citybrain.runtime import session_factory

app = typer.Typer(
    help="一码通城 / the city code: verify, keys, trust list, retention.", no_args_is_help=True
)

# The operator at the shell acts for the health authority in these commands.
HEALTH_OPERATOR = Actor(
    kind=ActorKind.system, id="cli", name="运维命令行", role=Role.health_authority
)


def _fail(error: DomainError) -> None:
    typer.echo(f"{error.message} ({error.message_en}) [{error.code}]", err=True)
    raise typer.Exit(code=1)


def _parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 time: {text}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@app.command("verify")
def verify_command(
    code: Annotated[
        str | None,
        typer.Argument(help="The code string (CB1:… or HC1:…); read from stdin if absent."),
    ] = None,
    signers: Annotated[
        Path | None,
        typer.Option(
            "--signers",
            help="Signer certificates or public keys (PEM, or base64 DER one a line). "
            "Without it, the keys of this server's database are used.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Validation time, ISO 8601 (default: now).")
    ] = None,
) -> None:
    """Verify a code offline; print one JSON object; exit 0 only when valid."""
    text = code if code is not None else sys.stdin.read()
    when = _parse_time(at)
    if signers is not None:
        try:
            store = verifier.load_signers(signers.read_text(encoding="utf-8"))
        except ValueError as error:
            raise typer.BadParameter(f"cannot read signers: {error}") from None
    else:
        factory = session_factory(Settings())
        with factory() as session:
            store = signing.trust_store(session)
    result = verifier.verify(text, store, at=when)
    typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    raise typer.Exit(code=0 if result.valid else 1)


@app.command("keys-create")
def keys_create(
    usage: Annotated[str, typer.Argument(help="person, venue or trust_list.")],
    profile: Annotated[
        str | None, typer.Option(help="es256, ed25519 or sm2 (default from settings).")
    ] = None,
) -> None:
    """Generate a signer key; the previous key of that usage retires."""
    factory = session_factory(Settings())
    try:
        with factory() as session, transaction(session):
            row = signing.create_key(session, actor=HEALTH_OPERATOR, usage=usage, profile=profile)
    except DomainError as error:
        _fail(error)
    typer.echo(
        json.dumps({"id": row.id, "kid": row.kid, "usage": row.usage, "profile": row.profile})
    )


@app.command("trust-list")
def trust_list(
    output: Annotated[
        Path | None, typer.Option(help="Also write the signed list (binary) to this file.")
    ] = None,
) -> None:
    """Publish the next signed trust list version."""
    factory = session_factory(Settings())
    try:
        with factory() as session, transaction(session):
            row = signing.publish_trust_list(session, actor=HEALTH_OPERATOR)
    except DomainError as error:
        _fail(error)
    if output:
        output.write_bytes(row.document)
    typer.echo(
        json.dumps(
            {
                "version": row.version,
                "keys": row.key_count,
                "expires_at": row.expires_at.isoformat(),
            }
        )
    )


@app.command("purge")
def purge(
    days: Annotated[
        int | None, typer.Option(help="Retention in days, at most 28 (default from settings).")
    ] = None,
) -> None:
    """Delete scans past the retention limit (run daily from cron or a systemd timer)."""
    factory = session_factory(Settings())
    try:
        with factory() as session, transaction(session):
            deleted = scans.purge_scans(session, actor=OPERATOR, retention_days=days)
    except DomainError as error:
        _fail(error)
    typer.echo(json.dumps({"deleted": deleted}))
