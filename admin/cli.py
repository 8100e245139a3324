"""`nongbot admin …`: staff accounts from the command line."""
from __future__ import annotations

import click

from admin.accounts import ROLES, AccountError, create_user, set_password


@click.group()
def admin() -> None:
    """Staff console accounts."""


def _sessions():  # noqa: ANN202
    from bot.store.db import make_engine, session_factory
    from bot.settings import Settings

    return session_factory(make_engine(Settings().database_url))


@admin.command("create-user")
@click.argument("username")
@click.option("--password", required=True, help="at least 8 characters")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--center", default=None, help="service center name (required for center_staff)")
@click.option("--name", "display_name", default=None, help="display name")
def create_user_command(username: str, password: str, role: str, center: str | None,
                        display_name: str | None) -> None:
    """Create a staff account (password stored as an argon2 hash)."""
    from bot.store.db import transaction

    try:
        with transaction(_sessions()) as session:
            user = create_user(session, username, password, role, center, display_name)
            click.echo(f"created {user.username} ({role}{', ' + center if center else ''})")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc


@admin.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="at least 8 characters (asked for when not given)")
def set_password_command(username: str, password: str) -> None:
    """Set a staff account's password; its console sessions and API tokens end."""
    from bot.store.db import transaction

    try:
        with transaction(_sessions()) as session:
            set_password(session, username, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"password of {username} changed; its sessions and API tokens are ended")


@admin.command("list-users")
def list_users() -> None:
    """List staff accounts."""
    from sqlalchemy import select

    from bot.store.db import transaction
    from bot.records.models import StaffUser

    with transaction(_sessions()) as session:
        for user in session.scalars(select(StaffUser).order_by(StaffUser.id)):
            center = user.center.name if user.center else "-"
            click.echo(f"{user.id}\t{user.username}\t{user.role}\t{center}\t{'active' if user.active else 'disabled'}")


@admin.command("forget")
@click.argument("openid")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def forget_command(openid: str, yes: bool) -> None:
    """Remove a farmer's personal data on request (messages, tickets, profile; requests kept without name/phone)."""
    from bot.store.db import transaction
    from bot.records.privacy import forget

    if not yes:
        click.confirm(f"永久删除农户 {openid} 的个人信息？", abort=True)
    with transaction(_sessions()) as session:
        counts = forget(session, openid)
    click.echo("forgotten: " + ", ".join(f"{part} {n}" for part, n in counts.items()))


@admin.command("purge")
def purge_command() -> None:
    """Delete the message log and closed tickets past their retention (NONGBOT_MESSAGE_LOG_KEEP_DAYS,
    NONGBOT_CLOSED_TICKET_KEEP_DAYS); run daily (deploy/systemd/nongbot-purge.timer)."""
    from datetime import datetime, timezone

    from bot.store.db import transaction
    from bot.records.privacy import Retention, purge
    from bot.settings import Settings

    settings = Settings()
    keep = Retention(settings.message_log_keep_days, settings.closed_ticket_keep_days)
    with transaction(_sessions()) as session:
        counts = purge(session, datetime.now(timezone.utc), keep)
    click.echo("purged: " + ", ".join(f"{part} {n}" for part, n in counts.items()))
