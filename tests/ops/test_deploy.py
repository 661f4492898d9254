"""The deployment examples in deploy/ cannot drift from the code.

Every command in the systemd units, the Compose file and the Kubernetes manifests must parse
as a real `ronda` command line with valid roles, and every probe must ask a path Ronda answers.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
import yaml

from ronda.cli.main import app
from ronda.web.app import ROLES as WEB_ROLES
from ronda.worker import ALL
from ronda.worker import ROLES as WORKER_ROLES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def ronda_commands() -> list[tuple[str, list[str]]]:
    """(where, argv after `ronda`) for every ronda invocation in deploy/."""
    found: list[tuple[str, list[str]]] = []
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        for line in unit.read_text().splitlines():
            if not line.startswith(("ExecStart=", "ExecStartPre=")):
                continue
            cmd = line.split("=", 1)[1]
            cmd = re.sub(r"\$\(\(.*?\)\)", "9111", cmd)  # $((9110 + %i)): systemd and sh fill it in
            inner = re.search(r"sh -c .(.*).", cmd)
            argv = shlex.split(inner.group(1) if inner else cmd)
            argv = [a for a in argv if a != "exec"]
            found.append((unit.name, argv[1:]))
    compose = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    for name, service in compose["services"].items():
        command = service.get("command")
        if command and command[0] == "ronda":
            found.append((f"compose:{name}", command[1:]))
    for manifest in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for doc in yaml.safe_load_all(manifest.read_text()):
            for container in _containers(doc):
                found.append((f"{manifest.name}:{container['name']}", container["command"][1:]))
    return found


def _containers(doc: dict | None) -> list[dict]:
    if not doc or doc.get("kind") not in {"Deployment", "Job"}:
        return []
    return doc["spec"]["template"]["spec"]["containers"]


COMMANDS = ronda_commands()


def test_every_role_is_deployed_somewhere():
    roles = set()
    for _where, argv in COMMANDS:
        if "--role" in argv:
            roles.add((argv[0], argv[argv.index("--role") + 1]))
    for web in ("api", "console"):
        assert ("serve", web) in roles
    for worker in WORKER_ROLES:
        assert ("worker", worker) in roles


@pytest.mark.parametrize(("where", "argv"), COMMANDS, ids=[w for w, _ in COMMANDS])
def test_command_lines_are_valid(where, argv):
    group = typer.main.get_command(app)
    ctx = group.make_context("ronda", list(argv), resilient_parsing=False)
    name = argv[0]
    sub = group.get_command(ctx, name)
    assert sub is not None, f"{where}: no command {name!r}"
    rest = list(argv[1:])
    if hasattr(sub, "commands"):  # a command group: the next word is its subcommand
        sub_ctx = sub.make_context(name, rest)
        sub = sub.get_command(sub_ctx, rest[0])
        rest = rest[1:]
    sub.make_context(name, rest)  # raises on an unknown option or a bad value
    if "--role" in argv:
        role = argv[argv.index("--role") + 1]
        allowed = set(WEB_ROLES) if name == "serve" else {*WORKER_ROLES, ALL}
        assert role in allowed, f"{where}: unknown role {role!r}"
    if name == "serve" and "--role" in argv:
        assert "--no-worker" in argv, f"{where}: a split web role must not run the worker too"


def test_probes_ask_paths_ronda_answers():
    paths = []
    for manifest in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for doc in yaml.safe_load_all(manifest.read_text()):
            for container in _containers(doc):
                for probe in ("livenessProbe", "readinessProbe"):
                    if probe in container:
                        paths.append((probe, container[probe]["httpGet"]["path"]))
    assert paths
    for probe, path in paths:
        assert path == ("/healthz" if probe == "livenessProbe" else "/readyz")
    compose = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    for name, service in compose["services"].items():
        test = " ".join(service.get("healthcheck", {}).get("test", []))
        if "urlopen" in test:
            assert re.search(r"/(healthz|readyz)'", test), name
    config = yaml.safe_load((DEPLOY / "kubernetes" / "configmap.yaml").read_text())["data"]
    assert config["RONDA_OPS_PORT"] == "9100" and config["RONDA_OPS_HOST"] == "0.0.0.0"
