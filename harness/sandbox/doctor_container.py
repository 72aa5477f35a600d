"""The container half of `harness sandbox doctor`: the pool's `docker run` command line, and
what a probe container started with exactly those flags reports from inside.

A probe container reports raw values (cgroup files, mounts, /proc/self/status, interfaces,
sysctls, environment); the pure check functions here turn them into `Check` rows. `Check`
lives here, not in `doctor`, because both halves produce it and `doctor` imports this one.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from typing import Any

from harness.sandbox.pool import SandboxConfig, docker_run_args

MIB = 2**20
ALLOWED_ENV = {"PATH", "HOSTNAME", "HOME", "LANG", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
"""What the image and Docker set; anything else in a container came from somewhere else."""

# Runs inside a locked-down container (our code, not a candidate's) and reports raw values;
# the host interprets them. No packet is ever sent: a UDP connect() only asks for a route.
PROBE = r"""
import json, os, socket, sys
def read(*paths):
    for p in paths:
        try:
            with open(p) as f:
                return f.read().strip()
        except OSError:
            pass
    return ""
out = {"uid": os.getuid(), "gid": os.getgid(), "groups": sorted(os.getgroups())}
for line in read("/proc/self/status").splitlines():
    key, _, value = line.partition(":")
    if key in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"):
        out[key] = value.strip()
cg = "/sys/fs/cgroup/"
out["memory_limit"] = read(cg + "memory/memory.limit_in_bytes", cg + "memory.max")
out["memsw_limit"] = read(cg + "memory/memory.memsw.limit_in_bytes")
out["swap_max"] = read(cg + "memory.swap.max")
out["swap_total"] = next((l.split()[1] for l in read("/proc/meminfo").splitlines()
                          if l.startswith("SwapTotal:")), "")
out["pids_limit"] = read(cg + "pids/pids.max", cg + "pids.max")
out["cpu_quota"] = read(cg + "cpu/cpu.cfs_quota_us", cg + "cpu,cpuacct/cpu.cfs_quota_us")
out["cpu_period"] = read(cg + "cpu/cpu.cfs_period_us", cg + "cpu,cpuacct/cpu.cfs_period_us")
out["cpu_max"] = read(cg + "cpu.max")
mounts = {}
for line in read("/proc/self/mounts").splitlines():
    parts = line.split()
    if len(parts) >= 4:
        mounts[parts[1]] = [parts[2], parts[3]]
out["root_mount"] = mounts.get("/", ["", ""])
out["tmp_mount"] = mounts.get("/tmp", ["", ""])
try:
    open("/usr/probe", "w")
    out["root_writable"] = True
except OSError:
    out["root_writable"] = False
try:
    with open("/tmp/probe", "w") as f:
        f.write("x")
    out["tmp_writable"] = True
except OSError:
    out["tmp_writable"] = False
st = os.statvfs("/tmp")
out["tmp_bytes"] = st.f_blocks * st.f_frsize
out["tmp_inodes"] = st.f_files
out["interfaces"] = sorted(os.listdir("/sys/class/net"))
out["routes"] = max(0, len(read("/proc/net/route").splitlines()) - 1)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    sock.connect(("1.1.1.1", 53))
    out["route_to_internet"] = "a route exists"
except OSError as exc:
    out["route_to_internet"] = "" if not exc.strerror else "none: " + exc.strerror
finally:
    sock.close()
out["ipc_ns"] = os.readlink("/proc/self/ns/ipc")
out["dev_shm"] = os.path.exists("/dev/shm")
out["sysctls"] = {name: " ".join(read("/proc/sys/" + name.replace(".", "/")).split())
                  for name in json.loads(sys.argv[1])}
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


# ------------------------------------------------------------------ the command line

REQUIRED_FLAGS: tuple[tuple[str, str | None], ...] = (
    ("--network", "none"), ("--read-only", None), ("--tmpfs", "/tmp:"), ("--memory", ""),
    ("--memory-swap", ""), ("--pids-limit", ""), ("--cpus", ""), ("--cap-drop", "ALL"),
    ("--security-opt", "no-new-privileges"), ("--user", "65534"), ("--pull", "never"),
)
"""DESIGN.md's flags: (flag, required value prefix; None for a switch)."""
FORBIDDEN_FLAGS = ("-e", "--env", "--env-file", "-v", "--volume", "--mount", "--privileged",
                   "--cap-add", "--device", "--pid", "--userns", "--uts", "-p", "--publish")


def flag_values(args: list[str], flag: str) -> list[str]:
    """Every value given to `flag` (`--flag value` or `--flag=value`)."""
    values = []
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            values.append(args[i + 1])
        elif arg.startswith(flag + "="):
            values.append(arg.split("=", 1)[1])
    return values


def command_checks(args: list[str]) -> list[Check]:
    """`--pull never` and the absence of host env cannot be seen from inside: read the command."""
    missing = []
    for flag, want in REQUIRED_FLAGS:
        if want is None:
            present = flag in args
        else:
            present = any(v.startswith(want) for v in flag_values(args, flag))
        if not present:
            missing.append(flag if want is None else f"{flag} {want}".strip())
    extra = sorted({a.split("=", 1)[0] for a in args} & set(FORBIDDEN_FLAGS))
    ok = not missing and not extra
    detail = f"all {len(REQUIRED_FLAGS)} flags, --pull never, no -e/-v" if ok else (
        f"missing {missing}" if missing else "") + (f" forbidden {extra}" if extra else "")
    return [Check("pool command line complete", ok, detail.strip(),
                  "harness/sandbox/pool.py docker_run_args must pass DESIGN.md's flags")]


# ------------------------------------------------------------------ inside a container


def probe_container(image: str, config: SandboxConfig) -> dict[str, Any]:
    """Run PROBE in a container started with exactly the pool's flags."""
    args = docker_run_args(image, config, f"harness-doctor-{os.getpid()}-{time.monotonic_ns()}",
                           "doctor")
    sysctls = [v.split("=", 1)[0] for v in flag_values(args, "--sysctl")]
    at = args.index(image)
    args = [*args[:at], "--entrypoint", "python3", image, "-I", "-c", PROBE, json.dumps(sysctls)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[:300] or f"exit code {proc.returncode}")
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def _int(value: object) -> int | None:
    text = str(value).strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _hex(value: object) -> int | None:
    try:
        return int(str(value), 16)
    except ValueError:
        return None


def _mib(value: int | None) -> str:
    return "none" if value is None else f"{value / MIB:g} MiB"


def _memory_checks(seen: dict[str, Any], config: SandboxConfig) -> list[Check]:
    want = config.memory_mb * MIB
    memory = _int(seen.get("memory_limit"))
    memsw, swap_max = _int(seen.get("memsw_limit")), str(seen.get("swap_max", ""))
    if memsw is not None:  # cgroup v1 with swap accounting: memory + swap together
        swap_ok, swap_seen = 0 < memsw <= want, f"memory.memsw.limit_in_bytes {_mib(memsw)}"
    elif swap_max:  # cgroup v2: swap alone
        swap_ok, swap_seen = swap_max == "0", f"memory.swap.max {swap_max}"
    else:  # no swap accounting: harmless only when there is no swap at all
        swap_ok = str(seen.get("swap_total", "")).strip() == "0"
        swap_seen = f"no swap accounting; host SwapTotal {seen.get('swap_total') or '?'} kB"
    return [
        Check("memory limit applied", memory is not None and 0 < memory <= want,
              f"{_mib(memory)} (want {config.memory_mb} MiB)",
              "enable the memory cgroup controller (cgroup_enable=memory)"),
        Check("memory+swap limit applied", swap_ok, swap_seen,
              "enable swap accounting (swapaccount=1) or run without swap"),
    ]


def _cpu_check(seen: dict[str, Any], config: SandboxConfig) -> Check:
    if seen.get("cpu_max"):  # cgroup v2: "<quota|max> <period>"
        quota_text, _, period_text = str(seen["cpu_max"]).partition(" ")
        quota, period = _int(quota_text), _int(period_text)
        where = f"cpu.max {seen['cpu_max']}"
    else:
        quota, period = _int(seen.get("cpu_quota")), _int(seen.get("cpu_period"))
        where = (f"cfs_quota_us/cfs_period_us "
                 f"{seen.get('cpu_quota') or '?'}/{seen.get('cpu_period') or '?'}")
    cpus = quota / period if quota and period and quota > 0 else None
    ok = cpus is not None and abs(cpus - config.cpus) < 0.01
    shown = f"{cpus:g} CPU" if cpus is not None else "unlimited"
    return Check("cpu quota applied", ok, f"{shown} ({where})",
                 "enable the cpu cgroup controller with CFS bandwidth (CONFIG_CFS_BANDWIDTH)")


def _tmp_check(seen: dict[str, Any], config: SandboxConfig) -> Check:
    fstype, options = (list(seen.get("tmp_mount") or ["", ""]) + ["", ""])[:2]
    opts = set(str(options).split(","))
    size, inodes = _int(seen.get("tmp_bytes")), _int(seen.get("tmp_inodes"))
    ok = (fstype == "tmpfs" and bool(seen.get("tmp_writable")) and {"nosuid", "nodev"} <= opts
          and size == config.tmpfs_mb * MIB and inodes == config.tmpfs_inodes)
    return Check("/tmp is a bounded tmpfs", ok,
                 f"{fstype or 'not mounted'} {_mib(size)}, {inodes} inodes, "
                 f"writable={seen.get('tmp_writable')}, {'nosuid' if 'nosuid' in opts else 'suid'},"
                 f"{'nodev' if 'nodev' in opts else 'dev'}",
                 f"--tmpfs /tmp:rw,nosuid,nodev,size={config.tmpfs_mb}m,"
                 f"nr_inodes={config.tmpfs_inodes},mode=1777")


def _network_check(seen: dict[str, Any]) -> Check:
    interfaces, routes = seen.get("interfaces"), seen.get("routes")
    route = str(seen.get("route_to_internet", ""))
    ok = interfaces == ["lo"] and routes == 0 and route.startswith("none")
    return Check("no network", ok, f"interfaces {interfaces}, {routes} IPv4 routes, "
                 f"route to 1.1.1.1: {route or '?'}", "containers must start with --network none")


def _ipc_checks(seen: dict[str, Any], args: list[str], host_ipc: str) -> list[Check]:
    mode = (flag_values(args, "--ipc") or ["private"])[-1]
    ns = str(seen.get("ipc_ns", ""))
    private = bool(ns) and ns != host_ipc and mode in ("none", "private")
    shm_ok = not seen.get("dev_shm") if mode == "none" else True
    wanted = {v.split("=", 1)[0]: " ".join(v.split("=", 1)[1].split())
              for v in flag_values(args, "--sysctl")}
    got = seen.get("sysctls") or {}
    wrong = {k: got.get(k, "?") for k, v in wanted.items() if got.get(k) != v}
    return [
        Check("private IPC namespace", private and shm_ok,
              f"--ipc {mode}: {ns or '?'} (doctor's {host_ipc or '?'}), "
              f"/dev/shm {'present' if seen.get('dev_shm') else 'absent'}",
              "containers must start with --ipc none"),
        Check("IPC sysctls applied", not wrong,
              ", ".join(f"{k}={got.get(k, '?')}" for k in wanted) if not wrong
              else f"wrong {wrong}",
              "the daemon must accept --sysctl for namespaced IPC sysctls"),
    ]


def limit_checks(seen: dict[str, Any], config: SandboxConfig, args: list[str] | None = None,
                 host_ipc: str = "") -> list[Check]:
    """What the probe container saw, against what the pool asks for."""
    args = args if args is not None else docker_run_args("image", config, "probe", "doctor")
    caps = {key: _hex(seen.get(key)) for key in ("CapEff", "CapPrm", "CapBnd", "CapAmb")}
    root_type, root_options = (list(seen.get("root_mount") or ["", ""]) + ["", ""])[:2]
    root_ro = "ro" in str(root_options).split(",") and not seen.get("root_writable")
    leaked = sorted(set(seen.get("env", [])) - ALLOWED_ENV)
    return [
        Check("runs as nobody (65534)",
              seen.get("uid") == 65534 and seen.get("gid") == 65534
              and set(seen.get("groups") or [65534]) <= {65534},
              f"uid {seen.get('uid')} gid {seen.get('gid')} groups {seen.get('groups')}",
              "the image must not override --user"),
        Check("all capabilities dropped", all(v == 0 for v in caps.values()),
              " ".join(f"{k} {seen.get(k)}" for k in ("CapEff", "CapBnd")),
              "the daemon must honour --cap-drop ALL"),
        Check("no-new-privileges", seen.get("NoNewPrivs") == "1",
              f"NoNewPrivs {seen.get('NoNewPrivs')}",
              "the daemon must support --security-opt no-new-privileges"),
        Check("seccomp filter active", seen.get("Seccomp") == "2", f"Seccomp {seen.get('Seccomp')}",
              "run dockerd with seccomp support (its default profile)"),
        *_memory_checks(seen, config),
        Check("pids limit applied", str(seen.get("pids_limit", "")) == str(config.pids),
              f"pids.max {seen.get('pids_limit') or 'none'}", "enable the pids cgroup controller"),
        _cpu_check(seen, config),
        Check("read-only root", root_ro,
              f"{root_type or '?'} {'ro' if 'ro' in str(root_options).split(',') else 'rw'}, "
              f"write to /usr {'succeeded' if seen.get('root_writable') else 'refused'}",
              "the daemon must support --read-only"),
        _tmp_check(seen, config),
        _network_check(seen),
        *_ipc_checks(seen, args, host_ipc),
        Check("no host environment", not leaked,
              f"only {sorted(set(seen.get('env', [])) & ALLOWED_ENV)}" if not leaked
              else f"leaked {leaked}", "do not pass -e/--env to sandbox containers"),
    ]

