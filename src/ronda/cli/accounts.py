"""``ronda user``, ``ronda authority`` and ``ronda key``: people and integrations."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ronda.accounts import service as accounts
from ronda.cli._common import console, factory, friendly, print_json
from ronda.db import session_scope

user_app = typer.Typer(
    help="Console users (admin, lead, moderator, authority liaison officer).", no_args_is_help=True
)
authority_app = typer.Typer(
    help="Authorities allowed to send takedown orders.", no_args_is_help=True
)
key_app = typer.Typer(
    help="API keys for authorities and platform integrations.", no_args_is_help=True
)


@user_app.command("add")
@friendly
def user_add(
    email: Annotated[str, typer.Argument(help="Login e-mail address.")],
    role: Annotated[
        str, typer.Option("--role", help="admin, lead, moderator or authority.")
    ] = "moderator",
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    authority: Annotated[
        str | None, typer.Option("--authority", help="Authority slug (role authority only).")
    ] = None,
    language: Annotated[str, typer.Option("--language", help="Console language: id or en.")] = "id",
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            help="Password (asked when omitted; at least 10 characters).",
            envvar="RONDA_NEW_PASSWORD",
        ),
    ] = None,
) -> None:
    """Add a console user."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with session_scope(factory()) as session:
        user = accounts.add_user(
            session,
            email=email,
            name=name or email,
            role=role,
            password=password,
            authority_slug=authority,
            language=language,
            actor="cli",
        )
        console.print(f"added {user.email} ({user.role})")


@user_app.command("list")
@friendly
def user_list() -> None:
    """List console users."""
    from sqlalchemy import select

    from ronda.accounts.models import User

    with session_scope(factory()) as session:
        table = Table("e-mail", "name", "role", "authority", "active")
        for u in session.scalars(select(User).order_by(User.email)):
            table.add_row(
                u.email,
                u.name,
                u.role,
                u.authority.slug if u.authority else "",
                "yes" if u.active else "no",
            )
        console.print(table)


@authority_app.command("add")
@friendly
def authority_add(
    slug: Annotated[str, typer.Argument(help="Short name, e.g. komdigi.")],
    name: Annotated[str, typer.Option("--name", help="Full name of the authority.")],
    email: Annotated[
        list[str], typer.Option("--email", help="A sender address registered for it (repeatable).")
    ],
    language: Annotated[
        str, typer.Option("--language", help="Language of its notices: id or en.")
    ] = "id",
    dkim_required: Annotated[
        bool,
        typer.Option("--dkim-required", help="Its domain signs mail: quarantine unsigned mail."),
    ] = False,
    api_key: Annotated[
        bool, typer.Option("--api-key", help="Also issue an API key (shown once).")
    ] = False,
) -> None:
    """Register an authority and the addresses its orders come from."""
    with session_scope(factory()) as session:
        authority = accounts.add_authority(
            session,
            slug=slug,
            name=name,
            emails=list(email),
            language=language,
            dkim_required=dkim_required,
            actor="cli",
        )
        console.print(f"added authority {authority.slug}: {authority.name} <{', '.join(email)}>")
        if api_key:
            issued = accounts.issue_api_key(
                session, name=f"{slug} API", kind="authority", authority=authority, actor="cli"
            )
            console.print("API key (shown once, store it now):")
            typer.echo(issued.secret)


@authority_app.command("list")
@friendly
def authority_list(
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
) -> None:
    """List authorities and their registered addresses."""
    with session_scope(factory()) as session:
        rows = accounts.list_authorities(session)
        if as_json:
            for a in rows:
                print_json(
                    {
                        "slug": a.slug,
                        "name": a.name,
                        "emails": [e.address for e in a.emails],
                        "dkim_required": a.dkim_required,
                    }
                )
            return
        table = Table("slug", "name", "addresses", "DKIM required")
        for a in rows:
            table.add_row(
                a.slug,
                a.name,
                ", ".join(e.address for e in a.emails),
                "yes" if a.dkim_required else "no",
            )
        console.print(table)


@key_app.command("issue")
@friendly
def key_issue(
    name: Annotated[str, typer.Argument(help="What the key is for.")],
    authority: Annotated[
        str | None, typer.Option("--authority", help="Authority slug, for an authority key.")
    ] = None,
    platform: Annotated[
        bool, typer.Option("--platform", help="A platform integration key.")
    ] = False,
) -> None:
    """Issue an API key; the secret is printed once and only its hash is kept."""
    with session_scope(factory()) as session:
        if platform == bool(authority):
            from ronda.errors import BadInput

            raise BadInput("give either --authority SLUG or --platform")
        auth = accounts.get_authority(session, authority) if authority else None
        issued = accounts.issue_api_key(
            session,
            name=name,
            kind="authority" if auth else "platform",
            authority=auth,
            actor="cli",
        )
        console.print(f"API key {issued.key.prefix} (shown once, store it now):")
        typer.echo(issued.secret)


@key_app.command("revoke")
@friendly
def key_revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix (the part after rk_).")],
) -> None:
    """Revoke an API key."""
    with session_scope(factory()) as session:
        accounts.revoke_api_key(session, prefix=prefix, actor="cli")
        console.print(f"revoked {prefix}")
