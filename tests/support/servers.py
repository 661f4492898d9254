"""Real servers on 127.0.0.1 for the tests: SMTP (aiosmtpd) and IMAP (Dovecot)."""

from __future__ import annotations

import email
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpServer:
    port: int
    messages: list[Message] = field(default_factory=list)

    def clear(self) -> None:
        self.messages.clear()

    def wait_for(self, n: int, timeout: float = 5.0) -> list[Message]:
        end = time.monotonic() + timeout
        while len(self.messages) < n and time.monotonic() < end:
            time.sleep(0.02)
        return list(self.messages)


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.original_content or envelope.content)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.server.messages.append(msg)
        return "250 OK"


@pytest.fixture(scope="session")
def _smtp_session() -> Iterator[SmtpServer]:
    port = free_port()
    server = SmtpServer(port=port)
    controller = Controller(_Handler(server), hostname="127.0.0.1", port=port)
    controller.start()
    yield server
    controller.stop()


@pytest.fixture
def smtp_server(_smtp_session: SmtpServer) -> Iterator[SmtpServer]:
    _smtp_session.clear()
    yield _smtp_session
    _smtp_session.clear()


DOVECOT_CONF = """
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {me}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 0
mail_uid = {uid}
mail_gid = {gid}
mail_location = maildir:{base}/mail/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/home/%u
}}
"""


@dataclass
class ImapServer:
    port: int
    base: Path
    uid: int
    gid: int
    user: str = "desk@ronda.test"
    password: str = "imap-test-password"

    def deliver(self, raw: bytes) -> None:
        """Put a message in the user's INBOX (Maildir new/) like a delivery agent."""
        for sub in ("", "new", "cur", "tmp"):
            path = self.base / "mail" / self.user / sub
            path.mkdir(parents=True, exist_ok=True)
            os.chown(path, self.uid, self.gid)
        new = self.base / "mail" / self.user / "new"
        name = f"{time.time_ns()}.{os.getpid()}.ronda"
        tmp = self.base / "mail" / self.user / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_bytes(raw)
        os.chown(tmp / name, self.uid, self.gid)
        (tmp / name).rename(new / name)


@pytest.fixture(scope="session")
def imap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImapServer]:
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not Path(binary).exists():
        pytest.fail(
            "Dovecot is not installed (apt-get install dovecot-imapd); the Makefile's setup does it"
        )
    import grp
    import pwd
    import tempfile

    # Dovecot never runs mail processes as root: mail belongs to the
    # unprivileged "dovecot" user, in a folder that user can reach.
    mail_user = pwd.getpwnam("dovecot") if _has_user("dovecot") else pwd.getpwuid(os.getuid())
    base = Path(tempfile.mkdtemp(prefix="ronda-dovecot-"))
    base.chmod(0o755)
    for sub in ("run", "state", "mail", "home"):
        (base / sub).mkdir()
    for sub in ("mail", "home"):
        os.chown(base / sub, mail_user.pw_uid, mail_user.pw_gid)
    port = free_port()
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    server = ImapServer(port=port, base=base, uid=mail_user.pw_uid, gid=mail_user.pw_gid)
    (base / "passwd").write_text(f"{server.user}:{{PLAIN}}{server.password}\n")
    conf = base / "dovecot.conf"
    conf.write_text(
        DOVECOT_CONF.format(
            base=base,
            port=port,
            uid=mail_user.pw_uid,
            gid=mail_user.pw_gid,
            user="dovenull" if _has_user("dovenull") else user,
            group=group,
            me=user,
        )
    )
    proc = subprocess.Popen(
        [binary, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                log = (base / "dovecot.log").read_text() if (base / "dovecot.log").exists() else ""
                pytest.fail(f"dovecot exited: {out}\n{log}")
            time.sleep(0.1)
    yield server
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(base, ignore_errors=True)


def _has_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
