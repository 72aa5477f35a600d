"""`harness sandbox doctor`: is the sandbox really locked down here? Each check says how to fix it."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from harness.sandbox.pool import SandboxConfig, docker_run_args

# Runs inside a locked-down container (our code, not a candidate's) and reports what it sees.
PROBE = r"""
import json, os, socket
out = {"uid": os.getuid()}
status = open("/proc/self/status").read()
for line in status.splitlines():
    if line.startswith(("CapEff:", "NoNewPrivs:")):
        key, value = line.split(":", 1)
        out[key] = value.strip()
def read(*paths):
    for p in paths:
        try:
            return open(p).read().strip()
        except OSError:
            pass
    return ""
out["memory_limit"] = read("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory.max")
out["pids_limit"] = read("/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/pids.max")
try:
    open("/usr/probe", "w")
    out["root_writable"] = True
except OSError:
    out["root_writable"] = False
try:
    open("/tmp/probe", "w").write("x")
    out["tmp_writable"] = True
except OSError:
    out["tmp_writable"] = False
try:
    socket.create_connection(("1.1.1.1", 53), timeout=1)
    out["network"] = True
except OSError:
    out["network"] = False
out["interfaces"] = sorted(os.listdir("/sys/class/net"))
out["env"] = sorted(os.environ)
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def probe_container(image: str, config: SandboxConfig) -> dict:
    args = docker_run_args(image, config, "harness-doctor-probe", "doctor")
    at = args.index(image)
    args = [*args[:at], "--entrypoint", "python3", image, "-I", "-c", PROBE]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[:300] or f"exit code {proc.returncode}")
    return json.loads(proc.stdout)


def limit_checks(seen: dict, config: SandboxConfig) -> list[Check]:
    memory = int(seen.get("memory_limit") or 0) if str(seen.get("memory_limit", "")).isdigit() else 0
    pids = str(seen.get("pids_limit", ""))
    allowed_env = {"PATH", "HOSTNAME", "HOME", "LANG", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
    leaked = sorted(set(seen.get("env", [])) - allowed_env)
    return [
        Check("runs as nobody (65534)", seen.get("uid") == 65534, f"uid {seen.get('uid')}",
              "the image must not override --user"),
        Check("all capabilities dropped", int(str(seen.get("CapEff", "1")), 16) == 0,
              f"CapEff {seen.get('CapEff')}", "the daemon must honour --cap-drop ALL"),
        Check("no-new-privileges", seen.get("NoNewPrivs") == "1", f"NoNewPrivs {seen.get('NoNewPrivs')}",
              "the daemon must support --security-opt no-new-privileges"),
        Check("memory limit applied", 0 < memory <= config.memory_mb * 2**20,
              f"{memory // 2**20} MiB" if memory else "none",
              "enable the memory cgroup controller (cgroup_enable=memory)"),
        Check("pids limit applied", pids == str(config.pids), f"pids.max {pids or 'none'}",
              "enable the pids cgroup controller"),
        Check("read-only root, writable /tmp", not seen.get("root_writable") and bool(seen.get("tmp_writable")),
              f"root writable={seen.get('root_writable')} tmp writable={seen.get('tmp_writable')}",
              "the daemon must support --read-only and --tmpfs"),
        Check("no network", not seen.get("network") and seen.get("interfaces") == ["lo"],
              f"interfaces {seen.get('interfaces')}", "containers must start with --network none"),
        Check("no host environment", not leaked, "clean" if not leaked else f"leaked {leaked}",
              "do not pass -e/--env to sandbox containers"),
    ]


def run_doctor(config: SandboxConfig, build: bool = True) -> list[Check]:
    """Every check in order; stops early when a later check cannot run."""
    from harness.errors import SandboxError
    from harness.sandbox.image import (
        ImageInputs,
        docker_client,
        ensure_image,
        image_exists,
        project_root,
    )

    checks: list[Check] = []
    try:
        client = docker_client()
    except SandboxError as exc:
        return [Check("Docker daemon reachable", False, str(exc),
                      "install docker.io and start `dockerd`, then check `docker info`")]
    version = client.version().get("Version", "?")
    checks.append(Check("Docker daemon reachable", True, f"server {version}"))
    try:
        inputs = ImageInputs(project_root())
    except SandboxError as exc:
        return [*checks, Check("sandbox sources found", False, str(exc), "set HARNESS_ROOT")]
    present = image_exists(client, inputs.tag)
    if not present and build:
        try:
            ensure_image(client, inputs, log=lambda _m: None)
            present = True
        except SandboxError as exc:
            checks.append(Check("sandbox image built", False, str(exc), "run `harness sandbox build`"))
            return checks
    checks.append(Check("sandbox image present", present, inputs.tag,
                        "" if present else "run `harness sandbox build`"))
    if not present:
        return checks
    try:
        seen = probe_container(inputs.tag, config)
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
        checks.append(Check("probe container runs", False, str(exc)[:200],
                            "see `docker info` and the dockerd log"))
        return checks
    return [*checks, *limit_checks(seen, config)]
