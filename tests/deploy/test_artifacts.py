"""The deployment guide's artifacts pass their own tools' checks: systemd units and the nginx site."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

DEPLOY = REPO / "deploy"


def tool(name: str) -> str:
    """The tool's path; CI installs it (.ci/run), elsewhere its absence skips with how to get it."""
    found = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)),
                                       None)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{name} is needed in CI (.ci/run installs it)")
    pytest.skip(f"{name} not installed (apt-get install {'nginx' if name == 'nginx' else 'systemd'})")


def nongbot_executable() -> str:
    path = Path(sys.executable).with_name("nongbot")
    return str(path if path.exists() else shutil.which("nongbot"))


@pytest.mark.parametrize("unit", ["nongbot.service", "nongbot-worker.service", "nongbot-purge.service",
                                  "nongbot-purge.timer"])
def test_systemd_unit_verifies(unit, tmp_path):
    analyze = tool("systemd-analyze")
    text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
    text = text.replace("/opt/nongbot/.venv/bin/nongbot", nongbot_executable())
    text = text.replace("/etc/nongbot/nongbot.env", str(DEPLOY / "nongbot.env.example"))
    (tmp_path / unit).write_text(text, encoding="utf-8")
    result = subprocess.run([analyze, "verify", str(tmp_path / unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and unit not in result.stderr, result.stderr


def test_systemd_verify_catches_a_broken_unit(tmp_path):
    """The check above can fail: a unit with a bad directive value does not verify."""
    analyze = tool("systemd-analyze")
    (tmp_path / "broken.service").write_text("[Service]\nExecStart=/nonexistent/nongbot serve\n", encoding="utf-8")
    result = subprocess.run([analyze, "verify", str(tmp_path / "broken.service")], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 or "broken.service" in result.stderr


def _nginx_test(tmp_path: Path, site: str) -> subprocess.CompletedProcess:
    nginx = tool("nginx")
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not installed")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "k.key"),
                    "-out", str(tmp_path / "c.crt"), "-days", "1", "-subj", "/CN=nongbot.test"],
                   check=True, capture_output=True, timeout=60)
    site = site.replace("/etc/nginx/tls/nongbot.crt", str(tmp_path / "c.crt"))
    site = site.replace("/etc/nginx/tls/nongbot.key", str(tmp_path / "k.key"))
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n", encoding="utf-8")
    return subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path), "-g", "daemon off;"],
                          capture_output=True, text=True, timeout=60)


def test_nginx_site_passes_nginx_t(tmp_path):
    result = _nginx_test(tmp_path, (DEPLOY / "nginx" / "nongbot.conf").read_text(encoding="utf-8"))
    assert result.returncode == 0, result.stderr


def test_nginx_t_catches_a_broken_site(tmp_path):
    site = (DEPLOY / "nginx" / "nongbot.conf").read_text(encoding="utf-8").replace("proxy_read_timeout 5s;",
                                                                                    "proxy_read_timeout;")
    assert _nginx_test(tmp_path, site).returncode != 0


def test_nginx_site_keeps_wechat_inside_its_five_seconds_and_cuts_slow_clients():
    site = (DEPLOY / "nginx" / "nongbot.conf").read_text(encoding="utf-8")
    wechat = site.split("location = /wechat", 1)[1].split("}", 1)[0]
    assert "proxy_read_timeout 5s;" in wechat
    for directive in ("client_header_timeout", "client_body_timeout", "client_max_body_size",
                      "X-Forwarded-Proto"):
        assert directive in site


def test_env_example_names_only_settings_the_app_reads():
    from bot.settings import Settings

    names = [line.split("=", 1)[0] for line in (DEPLOY / "nongbot.env.example").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    fields = {f"NONGBOT_{name.upper()}" for name in Settings.model_fields}
    contract_only = {"NONGBOT_WECHAT_MODE"}  # read by the gateway's mode setting
    assert names and set(names) - fields <= contract_only, set(names) - fields
