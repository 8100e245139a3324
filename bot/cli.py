"""The `nongbot` command: demo, serve, worker, db, chat, and the nlu/knowledge/admin/export groups."""
from __future__ import annotations

import importlib
import json
import logging
import os
import secrets
import socket
import string
import sys
from pathlib import Path
from typing import Any

import click

# Subcommands that live in other packages, imported only when used (keeps start-up fast).
LAZY_COMMANDS = {
    "nlu": "intents.cli:nlu",
    "knowledge": "knowledge.cli:knowledge",
    "admin": "admin.cli:admin",
    "export": "bot.records.export:export",
}
DEMO_FILE = ".nongbot-demo.json"


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            module, attr = LAZY_COMMANDS[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """农合联助手 (nongbot): WeChat Official Account backend for the county 三位一体 service network."""


# ---- running ----------------------------------------------------------------------------
def demo_credentials(path: Path) -> dict[str, str]:
    """The demo's WeChat credentials: generated once, kept beside the demo database. Demo only."""
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    alphabet = string.ascii_letters + string.digits
    creds = {
        "token": "demo" + secrets.token_hex(8),
        "aes_key": "".join(secrets.choice(alphabet) for _ in range(43)),
        "appid": "wxdemo" + secrets.token_hex(6),
        "secret": "demo-secret-" + secrets.token_hex(8),
        "secret_key": secrets.token_urlsafe(32),
    }
    path.write_text(json.dumps(creds, indent=1), encoding="utf-8")
    return creds


def demo_settings(host: str, port: int) -> Any:
    from bot.settings import Settings

    creds = demo_credentials(Path(DEMO_FILE))
    env = os.environ
    return Settings(
        database_url=env.get("NONGBOT_DATABASE_URL", "sqlite:///./nongbot.db"),
        wechat_token=env.get("NONGBOT_WECHAT_TOKEN", creds["token"]),
        wechat_aes_key=env.get("NONGBOT_WECHAT_AES_KEY", creds["aes_key"]),
        wechat_appid=env.get("NONGBOT_WECHAT_APPID", creds["appid"]),
        wechat_secret=env.get("NONGBOT_WECHAT_SECRET", creds["secret"]),
        wechat_api_base=env.get("NONGBOT_WECHAT_API_BASE", f"http://{host}:{port}/simulator/wechat-api"),
        secret_key=env.get("NONGBOT_SECRET_KEY", creds["secret_key"]),
        simulator=True,
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="accepted for symmetry with serve")
def demo(host: str, port: int, workers: int) -> None:
    """Run the embedded demo: SQLite, the 忠县 pack, the chat simulator. No servers needed."""
    import uvicorn

    from bot.app import create_app
    from bot.store.db import upgrade

    settings = demo_settings(host, port)
    upgrade(settings.database_url)
    app = create_app(settings)
    staff = _demo_staff(app.state.ctx)
    base = f"http://{host}:{port}"
    click.echo("农合联助手 demo — 仅供演示（demo credentials, generated, not for production）")
    click.echo(f"  WeChat URL:      {base}/wechat")
    click.echo(f"  Token:           {settings.wechat_token}")
    click.echo(f"  EncodingAESKey:  {settings.wechat_aes_key}")
    click.echo(f"  AppID:           {settings.wechat_appid}")
    click.echo(f"  Chat simulator:  {base}/simulator")
    click.echo(f"  Staff console:   {base}/admin  {staff}")
    click.echo(f"  Database:        {settings.database_url}")
    from bot.wechat.slowclients import TimelyHttpToolsProtocol

    uvicorn.run(app, host=host, port=port, log_level="warning", http=TimelyHttpToolsProtocol)


def _demo_staff(ctx: Any) -> str:
    """A demo county_admin account with a generated password, created once."""
    try:
        from admin.accounts import ensure_demo_admin
    except ImportError:
        return ""
    username, password = ensure_demo_admin(ctx)
    return f"(login {username} / {password})" if password else f"(login {username}, password as first printed)"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Run the production server, configured only by NONGBOT_* environment variables."""
    import uvicorn

    from bot.wechat.slowclients import TimelyHttpToolsProtocol

    _require_serve_settings()
    _require_current_schema()
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every worker writes its metrics here, so a scrape answered by any one of them counts all.
        import tempfile

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="nongbot-metrics-")

    # No access log: a line per callback costs CPU on the event loop; the message log records each one.
    if workers > 1 and not hasattr(socket, "SO_REUSEPORT"):  # not Linux/BSD: uvicorn's shared socket
        uvicorn.run("bot.asgi:app", host=host, port=port, workers=workers, log_level="warning", access_log=False,
                    http=TimelyHttpToolsProtocol)
    elif workers > 1:
        from bot.workers import PortInUse, run_workers

        from bot.logs import configure
        from bot.settings import Settings

        configure(Settings().log_format)
        click.echo(f"nongbot: {workers} workers on http://{host}:{port} (Ctrl+C stops them)")
        try:
            status = run_workers("bot.asgi:app", host, port, workers, log_level="warning", access_log=False,
                                 http=TimelyHttpToolsProtocol)
        except PortInUse as exc:
            raise click.ClickException(f"{exc}: is another nongbot already running?") from exc
        sys.exit(status)
    else:
        from bot.asgi import app

        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, http=TimelyHttpToolsProtocol)


def _require_serve_settings() -> None:
    """serve refuses to start on settings that would accept forged callbacks: one clear line says why."""
    from pydantic import ValidationError

    from bot.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "NONGBOT_" + "_".join(str(part) for part in first["loc"]).upper()
        raise click.ClickException(f"{name}: {first['msg']}") from None
    problems = settings.serve_problems()
    if problems:
        raise click.ClickException(problems[0])


def _require_current_schema() -> None:
    """serve/worker never change the schema: say plainly what to run instead of failing on a missing table."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store.db import schema_behind
    from bot.settings import Settings

    url = Settings().database_url
    where = url.split("@")[-1]
    try:
        behind = schema_behind(url)
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        raise click.ClickException(f"cannot reach the database {where}: {reason}") from exc
    if behind:
        current, head = behind
        state = "has no schema yet" if current is None else f"is at revision {current}, the code needs {head}"
        raise click.ClickException(f"the database {where} {state}. Run `nongbot db upgrade` first "
                                   "(serve and worker never change the schema).")


@main.command()
def worker() -> None:
    """Deliver the outbox (outbound WeChat messages) apart from the web workers."""
    from bot.wechat.outbox import run_worker
    from bot.settings import Settings

    from bot.logs import configure

    _require_current_schema()
    settings = Settings()
    configure(settings.log_format)
    click.echo("outbox worker running; Ctrl+C to stop")
    run_worker(settings)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema of NONGBOT_DATABASE_URL."""
    from bot.store.db import upgrade
    from bot.settings import Settings

    settings = Settings()
    upgrade(settings.database_url)
    click.echo(f"schema up to date: {settings.database_url.split('@')[-1]}")


# ---- talking to the bot -----------------------------------------------------------------
@main.command()
@click.option("--url", default=None, help="talk to a running demo (e.g. http://127.0.0.1:8000); default: start one in-process")
@click.option("--openid", default="oFarmerChat" + secrets.token_hex(6), show_default="random")
@click.option("--voice", is_flag=True, help="send messages as voice (Recognition)")
def chat(url: str | None, openid: str, voice: bool) -> None:
    """Chat with the bot in the terminal, signed and encrypted as WeChat sends it."""
    import httpx

    from bot.wechat.simclient import WechatSim

    server = None
    if url is None:
        server, url = _start_demo_in_thread()
    settings = demo_settings("127.0.0.1", 8000)
    try:
        with httpx.Client(base_url=url, timeout=15.0) as http:
            sim = WechatSim(http, settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid,
                            openid=openid)
            click.echo("农合联助手 — 终端聊天（输入 /quit 退出，/location 纬度,经度 发送位置）")
            _print_reply(sim.event("subscribe"))
            seen = 0
            while True:
                try:
                    line = input("我：").strip()
                except (EOFError, KeyboardInterrupt):
                    click.echo()
                    break
                if line in ("/quit", "/exit"):
                    break
                if not line:
                    continue
                if line.startswith("/location"):
                    point = parse_location(line[len("/location"):])
                    if point is None:
                        click.echo("用法：/location 纬度,经度（例如 /location 30.29,108.03）")
                        continue
                    reply = sim.location(*point)
                else:
                    reply = sim.voice(line) if voice else sim.text(line)
                _print_reply(reply)
                seen = _print_pushed(http, openid, seen)
    finally:
        if server is not None:
            server.should_exit = True


def parse_location(text: str) -> tuple[float, float] | None:
    """`30.29,108.03` (a full-width comma, spaces or 、 work too) as (lat, lon); None unless two numbers on the globe."""
    import math
    import re
    import unicodedata

    parts = [p for p in re.split(r"[,，、\s]+", unicodedata.normalize("NFKC", text).strip()) if p]
    if len(parts) != 2:
        return None
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        return None
    return lat, lon


def _start_demo_in_thread() -> tuple[Any, str]:
    """The demo app on a free loopback port in a background thread (exactly the demo's HTTP path)."""
    import socket
    import threading
    import time

    import uvicorn

    from bot.app import create_app
    from bot.store.db import upgrade

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = demo_settings("127.0.0.1", port)
    upgrade(settings.database_url)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def _print_reply(reply: Any) -> None:
    if reply.status != 200:
        click.echo(f"（HTTP {reply.status}：{reply.body.decode('utf-8', 'replace')}）")
    elif reply.text:
        click.echo("助手：" + reply.text.replace("\n", "\n      "))


def _print_pushed(http: Any, openid: str, seen: int) -> int:
    """Show 客服 messages the bot pushed (follow-ups, staff replies) through the stand-in API."""
    import time

    time.sleep(0.6)  # the in-process outbox worker polls twice a second
    try:
        items = http.get("/simulator/api/inbox", params={"openid": openid, "after": seen}).json()["items"]
    except Exception:  # noqa: BLE001 - a server without the simulator has no inbox to show
        return seen
    for item in items:
        click.echo("助手（推送）：" + item["text"].replace("\n", "\n      "))
        seen = max(seen, item["seq"])
    return seen


if __name__ == "__main__":
    sys.exit(main())
