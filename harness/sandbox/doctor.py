"""`harness sandbox doctor`: is the sandbox really locked down here? Each check says how to fix it.

Nothing is taken on trust from the command line: a probe container started with the
pool's own `docker run` flags reports what it sees (cgroup files, mounts, /proc/self/status,
interfaces, sysctls, environment), and a probe program graded through a real pool reports
the rlimits the worker gives a candidate. The check functions are pure (observed values in,
`Check` rows out), so a violation is shown, and tested, the same way everywhere.

This module has the probe program graded as a candidate and `run_doctor`, the check list;
`doctor_container` has the command line and probe-container checks.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.sandbox.doctor_container import (
    ALLOWED_ENV,
    MIB,
    Check,
    command_checks,
    limit_checks,
    probe_container,
)
from harness.sandbox.pool import SandboxConfig, docker_run_args

if TYPE_CHECKING:
    from harness.tasks.load import Task


# ------------------------------------------------------------------ inside a candidate

CANDIDATE = r'''
import os, resource

def probe():
    limits = {}
    for name in ("as", "fsize", "nofile", "core"):
        limits[name] = list(resource.getrlimit(getattr(resource, "RLIMIT_" + name.upper())))
    status = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            status[key] = value.strip()
    try:
        import ctypes
        dumpable = ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)  # PR_GET_DUMPABLE
    except Exception:
        dumpable = -1
    return {"rlimits": limits, "uid": os.getuid(), "CapEff": status.get("CapEff", ""),
            "NoNewPrivs": status.get("NoNewPrivs", ""), "dumpable": dumpable,
            "env": sorted(os.environ)}
'''

CANDIDATE_TESTS = '''
import json
from solution import probe

AS, FSIZE, NOFILE = {as_bytes}, {fsize}, {nofile}
ALLOWED_ENV = {allowed!r}
MARK = "{mark}"


def bounded(pair, bound):
    soft, hard = pair
    return 0 <= soft <= hard <= bound  # RLIM_INFINITY is -1: never bounded


def test_address_space():
    got = probe()["rlimits"]["as"]
    assert bounded(got, AS), f"observed {{got}}"


def test_file_size():
    got = probe()["rlimits"]["fsize"]
    assert bounded(got, FSIZE), f"observed {{got}}"


def test_open_files():
    got = probe()["rlimits"]["nofile"]
    assert bounded(got, NOFILE), f"observed {{got}}"


def test_core_dumps():
    got = probe()["rlimits"]["core"]
    assert bounded(got, 0), f"observed {{got}}"


def test_non_dumpable():
    got = probe()["dumpable"]
    assert got == 0, f"observed {{got}}"


def test_identity():
    seen = probe()
    got = (seen["uid"], seen["CapEff"], seen["NoNewPrivs"])
    assert got == (65534, "0000000000000000", "1"), f"observed {{got}}"


def test_environment():
    leaked = sorted(set(probe()["env"]) - ALLOWED_ENV)
    assert not leaked, f"observed {{leaked}}"


def test_zz_report():
    seen = probe()
    seen["env"] = sorted(set(seen["env"]) - ALLOWED_ENV)[:8]
    raise AssertionError(MARK + json.dumps(seen, separators=(",", ":")))
'''
REPORT_MARK = "OBSERVED="
CANDIDATE_TEST_NAMES = ("test_address_space", "test_file_size", "test_open_files",
                        "test_core_dumps", "test_non_dumpable", "test_identity",
                        "test_environment", "test_zz_report")


def candidate_bounds(config: SandboxConfig) -> dict[str, int]:
    """The most each rlimit's hard value may be: README's promise for a candidate."""
    limits = config.limits()
    return {"as": config.memory_mb * MIB, "fsize": config.output_bytes,
            "nofile": limits["nofile"], "core": 0}


def probe_task(config: SandboxConfig) -> Task:
    """An in-memory task whose judge asserts on what the candidate process sees."""
    import hashlib

    from harness.tasks.load import Task

    bounds = candidate_bounds(config)
    tests = CANDIDATE_TESTS.format(as_bytes=bounds["as"], fsize=bounds["fsize"],
                                   nofile=bounds["nofile"], allowed=ALLOWED_ENV, mark=REPORT_MARK)
    digest = hashlib.sha256(f"doctor\0{tests}\0{CANDIDATE}".encode()).hexdigest()
    return Task(name="doctor_probe", path=Path("."), entry_point="probe",
                description="What a candidate process sees.", tests_source=tests,
                solution_source=CANDIDATE, test_names=CANDIDATE_TEST_NAMES, timeout_s=5.0,
                hash=digest)


def parse_report(message: str) -> dict[str, Any] | None:
    """The observed values `test_zz_report` carried out in its failure message."""
    at = message.rfind(REPORT_MARK)
    if at < 0:
        return None
    try:
        seen, _ = json.JSONDecoder().raw_decode(message[at + len(REPORT_MARK):])
    except ValueError:
        return None
    return seen if isinstance(seen, dict) else None


def _rlimit_detail(pair: object) -> str:
    if not (isinstance(pair, list | tuple) and len(pair) == 2
            and all(isinstance(v, int) for v in pair)):
        return "not reported"
    soft, hard = pair

    def show(v: int) -> str:
        return "unlimited" if v < 0 else (f"{v / MIB:g} MiB" if v >= MIB else str(v))

    return f"soft {show(soft)} hard {show(hard)}"


def candidate_checks(seen: dict[str, Any] | None, verdicts: dict[str, str],
                     config: SandboxConfig) -> list[Check]:
    """Rows for the candidate process: the judge's verdict and the reported value must agree."""
    seen = seen or {}
    rlimits = seen.get("rlimits") or {}
    bounds = candidate_bounds(config)

    def bounded(name: str) -> bool:
        pair = rlimits.get(name)
        return (isinstance(pair, list) and len(pair) == 2
                and 0 <= pair[0] <= pair[1] <= bounds[name])

    fix = "sandbox/worker.py must set this for the candidate before its code runs"
    rows = [
        ("candidate address-space rlimit", "test_address_space", bounded("as"),
         f"{_rlimit_detail(rlimits.get('as'))} (at most {config.memory_mb} MiB)"),
        ("candidate file-size rlimit", "test_file_size", bounded("fsize"),
         f"{_rlimit_detail(rlimits.get('fsize'))} (at most {config.output_bytes} bytes)"),
        ("candidate open-files rlimit", "test_open_files", bounded("nofile"),
         f"{_rlimit_detail(rlimits.get('nofile'))} (at most {bounds['nofile']})"),
        ("candidate core dumps off", "test_core_dumps", bounded("core"),
         _rlimit_detail(rlimits.get("core"))),
        ("candidate non-dumpable", "test_non_dumpable", seen.get("dumpable") == 0,
         f"PR_GET_DUMPABLE {seen.get('dumpable', '?')}"),
        ("candidate is nobody, no capabilities", "test_identity",
         (seen.get("uid"), seen.get("CapEff"), seen.get("NoNewPrivs"))
         == (65534, "0000000000000000", "1"),
         f"uid {seen.get('uid')} CapEff {seen.get('CapEff')} NoNewPrivs {seen.get('NoNewPrivs')}"),
        ("candidate sees no host environment", "test_environment",
         "env" in seen and not seen["env"],
         "clean" if "env" in seen and not seen["env"] else f"leaked {seen.get('env', '?')}"),
    ]
    checks = []
    for name, test, ok, detail in rows:
        verdict = verdicts.get(test, "not run")
        if verdict != "passed":
            detail = f"{detail}; judge: {verdict}"
        checks.append(Check(name, ok and verdict == "passed", detail, fix))
    return checks


def probe_candidate(image: str, config: SandboxConfig) -> list[Check]:
    """Grade the probe task through a one-worker pool, as every candidate is graded."""
    from harness.grading.grader import job_for, parse_reply
    from harness.sandbox.pool import SandboxPool

    config = dataclasses.replace(config, workers=1)
    task = probe_task(config)
    with SandboxPool(image, config) as pool:
        job = {**job_for(task, task.solution_source, config), "id": "doctor-probe"}
        result = parse_reply(pool.run(job, task.timeout_s * (len(task.test_names) + 1) + 10), task)
    if result.infra or not result.syntax_ok:
        return [Check("candidate probe graded", False, result.message[:200] or result.status,
                      "see `docker info`; the worker could not grade the probe")]
    verdicts = {t.name: t.outcome for t in result.tests}
    report = next((t.message for t in result.tests if t.name == "test_zz_report"), "")
    return candidate_checks(parse_report(report), verdicts, config)


# ------------------------------------------------------------------ all of it


def _host_ipc() -> str:
    try:
        return os.readlink("/proc/self/ns/ipc")
    except OSError:
        return ""


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
            checks.append(Check("sandbox image built", False, str(exc),
                                "run `harness sandbox build`"))
            return checks
    checks.append(Check("sandbox image present", present, inputs.tag,
                        "" if present else "run `harness sandbox build`"))
    if not present:
        return checks
    args = docker_run_args(inputs.tag, config, "probe", "doctor")
    checks += command_checks(args)
    try:
        seen = probe_container(inputs.tag, config)
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
        checks.append(Check("probe container runs", False, str(exc)[:200],
                            "see `docker info` and the dockerd log"))
        return checks
    checks += limit_checks(seen, config, args, _host_ipc())
    try:
        checks += probe_candidate(inputs.tag, config)
    except SandboxError as exc:
        checks.append(Check("candidate probe graded", False, str(exc)[:200],
                            "see `docker info`; the worker did not start"))
    return checks
