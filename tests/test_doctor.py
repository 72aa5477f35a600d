"""`harness sandbox doctor`: every check passes here, and a violated limit fails the command.

The check functions are pure (observed values in, rows out), so each violation is shown by
feeding them what a badly configured daemon would report; the Docker test runs the real thing.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.sandbox import doctor
from harness.sandbox.doctor import candidate_checks, parse_report
from harness.sandbox.doctor_container import Check, command_checks, limit_checks
from harness.sandbox.pool import SandboxConfig, docker_run_args

CONFIG = SandboxConfig()
ARGS = docker_run_args("img", CONFIG, "probe", "doctor")
HOST_IPC = "ipc:[4026531839]"

# What the probe container reported on a correctly configured cgroup v1 host.
GOOD: dict[str, Any] = {
    "uid": 65534, "gid": 65534, "groups": [65534],
    "CapPrm": "0000000000000000", "CapEff": "0000000000000000", "CapBnd": "0000000000000000",
    "CapAmb": "0000000000000000", "NoNewPrivs": "1", "Seccomp": "2",
    "memory_limit": "536870912", "memsw_limit": "536870912", "swap_max": "", "swap_total": "0",
    "pids_limit": "64", "cpu_quota": "100000", "cpu_period": "100000", "cpu_max": "",
    "root_mount": ["overlay", "ro,relatime,lowerdir=/x"],
    "tmp_mount": ["tmpfs", "rw,nosuid,nodev,noexec,relatime,size=65536k,nr_inodes=4096"],
    "root_writable": False, "tmp_writable": True, "tmp_bytes": 64 * 2**20, "tmp_inodes": 4096,
    "interfaces": ["lo"], "routes": 0, "route_to_internet": "none: Network is unreachable",
    "ipc_ns": "ipc:[4026532618]", "dev_shm": False,
    "sysctls": {"kernel.shmmni": "0", "kernel.shmall": "0", "kernel.msgmni": "0",
                "kernel.sem": "0 0 0 0", "fs.mqueue.queues_max": "0"},
    "env": ["HOME", "HOSTNAME", "LANG", "PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"],
}
GOOD_CANDIDATE: dict[str, Any] = {
    "rlimits": {"as": [402653184, 402653184], "fsize": [1048576, 1048576], "nofile": [64, 64],
                "core": [0, 0]},
    "uid": 65534, "CapEff": "0000000000000000", "NoNewPrivs": "1", "dumpable": 0, "env": [],
}
ALL_PASSED = {name: "passed" for name in doctor.CANDIDATE_TEST_NAMES}


def rows(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def failed(checks: list[Check]) -> list[str]:
    return [check.name for check in checks if not check.ok]


def seen_with(**changes: Any) -> dict[str, Any]:  # noqa: ANN401
    seen = copy.deepcopy(GOOD)
    seen.update(changes)
    return seen


def test_good_observations_pass_every_check() -> None:
    assert failed(command_checks(ARGS)) == []
    assert failed(limit_checks(GOOD, CONFIG, ARGS, HOST_IPC)) == []
    assert failed(candidate_checks(GOOD_CANDIDATE, ALL_PASSED, CONFIG)) == []


def test_cgroup_v2_files_are_understood() -> None:
    seen = seen_with(memsw_limit="", swap_max="0", cpu_quota="", cpu_period="",
                     cpu_max="100000 100000")
    assert failed(limit_checks(seen, CONFIG, ARGS, HOST_IPC)) == []
    seen = seen_with(memsw_limit="", swap_max="max", cpu_quota="", cpu_period="", cpu_max="max 100000")
    assert failed(limit_checks(seen, CONFIG, ARGS, HOST_IPC)) == [
        "memory+swap limit applied", "cpu quota applied"]


@pytest.mark.parametrize(("changes", "check"), [
    ({"uid": 0}, "runs as nobody (65534)"),
    ({"CapEff": "00000000a80425fb"}, "all capabilities dropped"),
    ({"CapBnd": "00000000a80425fb"}, "all capabilities dropped"),
    ({"NoNewPrivs": "0"}, "no-new-privileges"),
    ({"Seccomp": "0"}, "seccomp filter active"),
    ({"memory_limit": "9223372036854771712"}, "memory limit applied"),
    ({"memsw_limit": "-1"}, "memory+swap limit applied"),
    ({"memsw_limit": "", "swap_total": "1048572"}, "memory+swap limit applied"),
    ({"pids_limit": "max"}, "pids limit applied"),
    ({"cpu_quota": "-1"}, "cpu quota applied"),
    ({"cpu_quota": "200000"}, "cpu quota applied"),
    ({"root_writable": True}, "read-only root"),
    ({"root_mount": ["overlay", "rw,relatime"]}, "read-only root"),
    ({"tmp_inodes": 3085456}, "/tmp is a bounded tmpfs"),
    ({"tmp_bytes": 12 * 2**30}, "/tmp is a bounded tmpfs"),
    ({"tmp_mount": ["overlay", "rw"]}, "/tmp is a bounded tmpfs"),
    ({"interfaces": ["eth0", "lo"]}, "no network"),
    ({"routes": 2}, "no network"),
    ({"route_to_internet": "a route exists"}, "no network"),
    ({"ipc_ns": HOST_IPC}, "private IPC namespace"),
    ({"dev_shm": True}, "private IPC namespace"),
    ({"sysctls": {**GOOD["sysctls"], "kernel.shmmni": "4096"}}, "IPC sysctls applied"),
    ({"env": [*GOOD["env"], "OPENAI_API_KEY"]}, "no host environment"),
])
def test_a_violated_limit_fails_its_check_only(changes: dict[str, Any], check: str) -> None:
    checks = limit_checks(seen_with(**changes), CONFIG, ARGS, HOST_IPC)
    assert failed(checks) == [check], [(c.name, c.detail) for c in checks if not c.ok]
    assert rows(checks)[check].fix, "a failed check must say how to fix it"


def test_observed_value_is_shown() -> None:
    checks = rows(limit_checks(seen_with(tmp_inodes=3085456), CONFIG, ARGS, HOST_IPC))
    assert "3085456 inodes" in checks["/tmp is a bounded tmpfs"].detail
    assert "512 MiB" in checks["memory limit applied"].detail


@pytest.mark.parametrize(("limit", "value", "check"), [
    ("as", [-1, -1], "candidate address-space rlimit"),
    ("as", [402653184, -1], "candidate address-space rlimit"),  # soft alone can be raised
    ("fsize", [1048576, 2**40], "candidate file-size rlimit"),
    ("nofile", [1024, 1048576], "candidate open-files rlimit"),
    ("core", [0, -1], "candidate core dumps off"),
])
def test_a_loose_candidate_rlimit_fails(limit: str, value: list[int], check: str) -> None:
    seen = copy.deepcopy(GOOD_CANDIDATE)
    seen["rlimits"][limit] = value
    assert failed(candidate_checks(seen, ALL_PASSED, CONFIG)) == [check]


def test_candidate_checks_need_the_judges_verdict_too() -> None:
    verdicts = {**ALL_PASSED, "test_open_files": "failed"}
    checks = candidate_checks(GOOD_CANDIDATE, verdicts, CONFIG)
    assert failed(checks) == ["candidate open-files rlimit"]
    assert "judge: failed" in rows(checks)["candidate open-files rlimit"].detail
    assert len(failed(candidate_checks(None, {}, CONFIG))) == len(checks)


def test_report_is_read_from_the_assert_message() -> None:
    message = 'raise AssertionError(MARK + json.dumps(seen)) (OBSERVED={"uid":65534,"env":[]})'
    assert parse_report(message) == {"uid": 65534, "env": []}
    assert parse_report("raise AssertionError(MARK + ...) (OBSERVED={truncat") is None


def test_command_line_checks() -> None:
    without_pull = [a for a in ARGS if a not in ("--pull", "never")]
    assert failed(command_checks(without_pull)) == ["pool command line complete"]
    assert "--pull never" in command_checks(without_pull)[0].detail
    with_env = [*ARGS[:3], "-e", "HOME=/root", *ARGS[3:]]
    assert "-e" in command_checks(with_env)[0].detail and failed(command_checks(with_env))


def test_cli_exits_non_zero_and_shows_the_failed_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI renders whatever the checks found: a violated limit is a red row and exit 1."""
    checks = [*command_checks(ARGS),
              *limit_checks(seen_with(tmp_inodes=3085456), CONFIG, ARGS, HOST_IPC)]
    monkeypatch.setattr(doctor, "run_doctor", lambda _config, build=True: checks)
    result = CliRunner().invoke(cli, ["sandbox", "doctor"], env={"COLUMNS": "250"})
    assert result.exit_code != 0, result.output
    line = next(li for li in result.output.splitlines() if "/tmp is a bounded tmpfs" in li)
    assert "no" in line.split("│")[2] and "3085456 inodes" in line, line
    assert "problems" in result.output


@pytest.mark.docker
def test_doctor_passes_here() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "doctor"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for name in ("pool command line complete", "no network", "read-only root",
                 "/tmp is a bounded tmpfs", "memory limit applied", "memory+swap limit applied",
                 "pids limit applied", "cpu quota applied", "all capabilities dropped",
                 "no-new-privileges", "runs as nobody (65534)", "private IPC namespace",
                 "IPC sysctls applied", "no host environment", "candidate address-space rlimit",
                 "candidate file-size rlimit", "candidate open-files rlimit"):
        line = next((li for li in result.output.splitlines() if name in li), "")
        assert line and "yes" in line, f"{name}: {line or 'missing'}\n{result.output}"
    assert "4096 inodes" in result.output and "Network is unreachable" in result.output
