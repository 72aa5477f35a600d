"""The sandbox worker: PID 1 of a locked-down container. Standard library only.

It reads one JSON job per line on stdin and answers one JSON result per line
on stdout. Each job is graded by three processes with separate trust:

* the worker (this process) never runs task or candidate code; it forks a
  judge per job, enforces a wall-clock backstop, then kills every other process
  in the container and wipes /tmp and /dev/shm so nothing survives into the
  next job;
* the judge runs the task's trusted tests. The tests import the candidate's
  functions, but what they get are proxies: each call is sent to the candidate
  process and only plain data (marshal) comes back, so candidate code never
  runs in the judge and can patch nothing there. The judge reports a test as
  passed only after the test function returned normally;
* the candidate process imports `solution.py` and answers calls. It closes
  every descriptor but its two call pipes before any candidate code runs, so
  it cannot write into the result channel, and it runs under rlimits.

All three are non-dumpable (PR_SET_DUMPABLE 0 is inherited by fork), so the
candidate cannot read or trace the judge or the worker through /proc.
"""

from __future__ import annotations

import builtins
import gc
import json
import linecache
import marshal
import os
import resource
import select
import signal
import struct
import sys
import time
import traceback
import types

PROTOCOL = 1
JOB_DIR = "/tmp/job"
WIPE_DIRS = ("/tmp", "/dev/shm", "/dev/mqueue")
MAX_FRAME = 64 * 1024 * 1024
MAX_TIMEOUTS = 2  # after this many timed-out tests the rest are not run: a hung program is slow to grade
DEFAULT_LIMITS = {
    "memory_mb": 512,  # address space of the candidate and the judge
    "output_bytes": 1 << 20,  # what the candidate may print, in total
    "nofile": 64,
}
# Re-raised in the judge as RuntimeError: StopIteration raised into a test's map() or
# generator would end it early and make an `all(...)` vacuously true.
_NOT_REPLAYED = (MemoryError, StopIteration, StopAsyncIteration)
_EXC_TYPES = {
    name: obj
    for name, obj in vars(builtins).items()
    if isinstance(obj, type) and issubclass(obj, Exception)
}


# ----------------------------------------------------------------- low level


def _set_nondumpable() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except Exception:  # noqa: BLE001 - best effort outside Linux
        pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _send_frame(fd: int, payload: object) -> None:
    data = marshal.dumps(payload)
    _write_all(fd, struct.pack("<I", len(data)) + data)


def _recv_frame(fd: int) -> object:
    (size,) = struct.unpack("<I", _read_exact(fd, 4))
    if size > MAX_FRAME:
        raise ValueError(f"message of {size} bytes exceeds {MAX_FRAME}")
    return marshal.loads(_read_exact(fd, size))


def _redirect_stdio(out_path: str | None) -> None:
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    if out_path is None:
        os.dup2(null, 1)
        os.dup2(null, 2)
    else:
        out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
    os.close(null)


def _set_limit(which: int, value: int) -> None:
    try:
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        pass


# ----------------------------------------------------------------- candidate


def _plain(value: object, depth: int = 0) -> bool:
    """True when `value` is built only from plain builtin data (exact types)."""
    if depth > 100:
        return False
    kind = type(value)
    if kind in (int, float, complex, str, bytes, bool, type(None)):
        return True
    if kind in (list, tuple, set, frozenset):
        return all(_plain(v, depth + 1) for v in value)  # type: ignore[union-attr]
    if kind is dict:
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in value.items())  # type: ignore[union-attr]
    return False


def _scrub(job: dict, namespace: dict | None) -> None:
    """Drop every reference to the tests this process inherited from the judge.

    The candidate is a fork of the judge: without this, candidate code could walk
    frames or the garbage collector to the test source and copy the expected answers.
    """
    for key in ("tests", "tests_code", "test_names"):
        job.pop(key, None)
    _TESTS_CODE.clear()
    sys.modules.pop("tests", None)
    linecache.clearcache()
    if namespace:  # test functions and their globals form cycles: collect them now
        namespace.clear()
        gc.collect()


def _candidate_main(req_r: int, resp_w: int, job: dict, namespace: dict | None) -> None:
    """Runs in the candidate process; never returns."""
    limits = job["limits"]
    _scrub(job, namespace)
    try:
        os.setsid()
        _redirect_stdio(os.path.join(JOB_DIR, "output.txt"))
        low, high = sorted((req_r, resp_w))
        os.closerange(3, low)
        os.closerange(low + 1, high)
        os.closerange(high + 1, 1024)
        # below the container's limit, so a hog gets MemoryError before the kernel's OOM killer
        memory = int(limits["memory_mb"]) * 1024 * 1024 * 3 // 4
        _set_limit(resource.RLIMIT_AS, memory)
        _set_limit(resource.RLIMIT_FSIZE, int(limits["output_bytes"]))
        _set_limit(resource.RLIMIT_NOFILE, max(int(limits["nofile"]), resp_w + 1))
        _set_limit(resource.RLIMIT_CORE, 0)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        os.chdir(JOB_DIR)
        sys.path.insert(0, JOB_DIR)
        sys.argv = ["solution.py"]
        module = types.ModuleType("solution")
        module.__file__ = os.path.join(JOB_DIR, "solution.py")
        sys.modules["solution"] = module
        code = compile(job["code"], "solution.py", "exec", dont_inherit=True)
    except BaseException as exc:  # noqa: BLE001
        _send_frame(resp_w, ("import_error", type(exc).__name__, str(exc)[:500]))
        os._exit(0)
    try:
        exec(code, module.__dict__)
    except BaseException as exc:  # noqa: BLE001 - report anything the import raised
        try:
            _send_frame(resp_w, ("import_error", type(exc).__name__, _short_tb(exc)))
        finally:
            os._exit(0)
    _send_frame(resp_w, ("ready",))
    while True:
        try:
            name, args, kwargs = _recv_frame(req_r)  # type: ignore[misc]
        except BaseException:  # noqa: BLE001 - judge gone
            os._exit(0)
        try:
            func = getattr(module, name)
            result = func(*args, **kwargs)
            if not _plain(result):
                reply: tuple = ("bad_return", type(result).__name__)
            else:
                reply = ("ok", result)
        except BaseException as exc:  # noqa: BLE001
            reply = ("raise", type(exc).__name__, str(exc)[:500])
        try:
            _send_frame(resp_w, reply)
        except BaseException as exc:  # noqa: BLE001
            _send_frame(resp_w, ("raise", type(exc).__name__, str(exc)[:500]))


def _short_tb(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    for frame in frames:
        if frame.filename == "solution.py":
            where = f" (solution.py line {frame.lineno})"
    return f"{str(exc)[:400]}{where}"


# --------------------------------------------------------------------- judge


class TestTimeout(BaseException):
    """Raised by SIGALRM inside the judge; a BaseException so tests cannot swallow it."""


class CandidateFailure(Exception):
    """The candidate could not answer a call: its outcome is not a plain failure."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


class Candidate:
    """The judge's handle on one candidate process."""

    def __init__(self, job: dict, namespace: dict | None = None) -> None:
        self.job = job
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(req_w)
            os.close(resp_r)
            _candidate_main(req_r, resp_w, job, namespace)
            os._exit(0)
        os.close(req_r)
        os.close(resp_w)
        self.pid, self.req_w, self.resp_r = pid, req_w, resp_r
        self.ready = False

    def _receive(self) -> tuple:
        try:
            reply = _recv_frame(self.resp_r)
        except (EOFError, OSError, ValueError, struct.error, TypeError) as exc:
            raise self._death(exc) from None
        if not isinstance(reply, tuple) or not reply or not isinstance(reply[0], str):
            raise CandidateFailure("error", "candidate sent a malformed reply")
        return reply

    def _death(self, exc: BaseException) -> CandidateFailure:
        status = self.reap(block=True)
        if status is not None and os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig == signal.SIGKILL:
                return CandidateFailure("crashed", "candidate process was killed (SIGKILL: "
                                        "the container's memory limit, or a kill)")
            return CandidateFailure("crashed", f"candidate process died from signal {sig}")
        if status is not None and os.WIFEXITED(status):
            code = os.WEXITSTATUS(status)
            return CandidateFailure("crashed", f"candidate process exited with code {code}")
        return CandidateFailure("crashed", f"candidate process stopped answering ({exc})")

    def wait_ready(self) -> None:
        if self.ready:
            return
        reply = self._receive()
        if reply[0] == "ready":
            self.ready = True
            return
        if reply[0] == "import_error":
            outcome = "oom" if reply[1] == "MemoryError" else "error"
            raise CandidateFailure(outcome, f"importing solution.py raised {reply[1]}: {reply[2]}")
        raise CandidateFailure("error", "candidate sent a reply before finishing its import")

    def call(self, name: str, args: tuple, kwargs: dict) -> object:
        self.wait_ready()
        try:
            _send_frame(self.req_w, (name, args, kwargs))
        except ValueError:
            raise TypeError("arguments must be plain data to cross the sandbox boundary") from None
        except OSError as exc:
            raise self._death(exc) from None
        reply = self._receive()
        kind = reply[0]
        if kind == "ok" and len(reply) == 2 and _plain(reply[1]):
            return reply[1]
        if kind == "raise" and len(reply) == 3:
            exc_name, message = str(reply[1]), str(reply[2])
            if exc_name == "MemoryError":
                raise CandidateFailure("oom", f"{name} raised MemoryError")
            exc_type = _EXC_TYPES.get(exc_name)
            if exc_type is None or exc_type in _NOT_REPLAYED:
                raise RuntimeError(f"{name} raised {exc_name}: {message}")
            try:
                raised = exc_type(message)
            except Exception:  # noqa: BLE001
                raised = RuntimeError(f"{name} raised {exc_name}: {message}")
            raise raised
        if kind == "bad_return":
            raise TypeError(f"{name} returned a {reply[1]}; only plain builtin data is accepted")
        raise CandidateFailure("error", f"{name} sent a malformed reply")

    def kill(self) -> None:
        for target in (lambda: os.killpg(self.pid, signal.SIGKILL), lambda: os.kill(self.pid, signal.SIGKILL)):
            try:
                target()
            except OSError:
                pass
        self.reap(block=True)
        for fd in (self.req_w, self.resp_r):
            try:
                os.close(fd)
            except OSError:
                pass

    def reap(self, block: bool) -> int | None:
        try:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return None
        return status if pid else None


class Judge:
    """Runs the trusted tests against proxies of the candidate's functions."""

    def __init__(self, job: dict, report_fd: int) -> None:
        self.job = job
        self.report_fd = report_fd
        self.candidate: Candidate | None = None
        self.namespace: dict = {}
        self.startup_failure: tuple[str, str] | None = None
        self.timeouts = 0

    def report(self, **record: object) -> None:
        _write_all(self.report_fd, (json.dumps(record) + "\n").encode())

    def _candidate(self) -> Candidate:
        if self.candidate is None:
            self.candidate = Candidate(self.job, self.namespace)
        return self.candidate

    def _proxy(self, name: str):  # noqa: ANN202
        judge = self

        def call(*args: object, **kwargs: object) -> object:
            return judge._candidate().call(name, args, kwargs)

        call.__name__ = call.__qualname__ = name
        return call

    def _solution_module(self) -> types.ModuleType:
        module = types.ModuleType("solution")
        judge = self

        def __getattr__(name: str) -> object:  # noqa: N807
            if name.startswith("__"):
                raise AttributeError(name)
            return judge._proxy(name)

        module.__getattr__ = __getattr__  # type: ignore[method-assign]
        setattr(module, self.job["entry_point"], self._proxy(self.job["entry_point"]))
        return module

    def run(self) -> None:
        job = self.job
        try:
            compile(job["code"], "solution.py", "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            where = f" at line {line}" if line else ""
            self.report(kind="syntax_error", message=f"{type(exc).__name__}{where}: {exc}"[:500])
            return
        except (MemoryError, RecursionError) as exc:
            self.report(kind="syntax_error", message=f"cannot compile: {type(exc).__name__}")
            return
        self.report(kind="syntax_ok")
        self._start_candidate()  # forked before the tests are loaded: less to scrub
        sys.modules["solution"] = self._solution_module()
        source = job["tests"]
        # failure messages quote test lines from memory, never from a file the candidate could edit
        linecache.cache["tests.py"] = (len(source), None, source.splitlines(True), "tests.py")
        self.namespace.update({"__name__": "tests", "__file__": "tests.py"})
        exec(job["tests_code"], self.namespace)
        for name in job["test_names"]:
            self._run_test(name, self.namespace)
        self.report(kind="done")  # the worker kills the candidate and everything else

    def _start_candidate(self) -> None:
        """Import the candidate up front so its import time does not eat the first test.

        If the import fails (raises, exits, hangs), every remaining test gets that outcome:
        importing it again would only fail again.
        """
        signal.setitimer(signal.ITIMER_REAL, float(self.job["timeout_s"]))
        try:
            self._candidate().wait_ready()
        except TestTimeout:
            self.startup_failure = ("timeout", "importing solution.py did not finish in time")
        except CandidateFailure as exc:
            self.startup_failure = (exc.outcome, str(exc))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def _run_test(self, name: str, namespace: dict) -> None:
        func = namespace.get(name)
        start = time.perf_counter()
        skip = self.startup_failure
        if skip is None and self.timeouts >= MAX_TIMEOUTS:
            skip = ("timeout", f"not run: {MAX_TIMEOUTS} earlier tests timed out")
        if skip is not None:
            self.report(kind="test", name=name, outcome=skip[0], duration_s=0.0,
                        message=skip[1][:500])
            return
        outcome, message = "passed", ""
        signal.setitimer(signal.ITIMER_REAL, float(self.job["timeout_s"]))
        try:
            if not callable(func):
                raise RuntimeError(f"{name} is not a function in tests.py")
            func()
        except TestTimeout:
            outcome, message = "timeout", f"exceeded {self.job['timeout_s']} s"
        except CandidateFailure as exc:
            outcome, message = exc.outcome, str(exc)
        except AssertionError as exc:
            outcome, message = "failed", _assert_message(exc)
        except BaseException as exc:  # noqa: BLE001 - any other exception is an error
            outcome, message = "error", f"{type(exc).__name__}: {str(exc)[:400]}"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        duration = time.perf_counter() - start
        self.timeouts += outcome == "timeout"
        if outcome != "passed" and self.candidate is not None:
            # a fresh candidate for the next test: a timed-out or crashed one is unusable
            if outcome in ("timeout", "oom", "crashed") or self.candidate.reap(block=False) is not None:
                self.candidate.kill()
                self.candidate = None
                self._start_candidate()
        self.report(kind="test", name=name, outcome=outcome, duration_s=round(duration, 6),
                    message=message[:500])


def _assert_message(exc: AssertionError) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "tests.py"]
    line = frames[-1].line if frames else ""
    detail = str(exc)
    return (f"{line}" + (f" ({detail})" if detail else ""))[:500] or "assertion failed"


def _alarm(signum: int, frame: object) -> None:
    raise TestTimeout


def _judge_main(job: dict, report_w: int) -> None:
    """Runs in the judge process; never returns."""
    try:
        _redirect_stdio(None)
        _set_limit(resource.RLIMIT_AS, int(job["limits"]["memory_mb"]) * 1024 * 1024)
        _set_limit(resource.RLIMIT_CORE, 0)
        signal.signal(signal.SIGALRM, _alarm)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        os.chdir(JOB_DIR)
        Judge(job, report_w).run()
    except BaseException as exc:  # noqa: BLE001
        try:
            _write_all(report_w, (json.dumps({"kind": "judge_error", "message": repr(exc)[:500]}) + "\n").encode())
        except BaseException:  # noqa: BLE001
            pass
    os._exit(0)


# -------------------------------------------------------------------- worker


class WipeError(Exception):
    """Something a program left behind could not be removed: this worker must not go on."""


def _wipe(root: str) -> None:
    """Empty `root` without recursion (trees can be deeper than the stack) whatever the modes."""
    if not os.path.isdir(root):
        return
    stack = [root]
    dirs: list[str] = []
    while stack:
        current = stack.pop()
        try:
            os.chmod(current, 0o700)
        except OSError:
            pass
        try:
            entries = list(os.scandir(current))
        except OSError as exc:
            raise WipeError(f"cannot list {current}: {exc}") from None
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
                dirs.append(entry.path)
            else:
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    raise WipeError(f"cannot remove {entry.path}: {exc}") from None
    for path in reversed(dirs):  # children were appended after their parents
        try:
            os.rmdir(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise WipeError(f"cannot remove {path}: {exc}") from None


def _wipe_all() -> None:
    for path in WIPE_DIRS:
        _wipe(path)


def _kill_everything() -> None:
    """Kill every process but ourselves (PID 1) and reap them, strays included."""
    for _ in range(1000):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        alive = False
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                alive = True
                break
        if not alive:
            return
        time.sleep(0.0001)


def _summarise(job: dict, events: list[dict], elapsed: float, backstop_hit: bool) -> dict:
    names = list(job["test_names"])
    seen: dict[str, dict] = {}
    syntax_ok: bool | None = None
    message = ""
    for event in events:
        kind = event.get("kind")
        if kind == "syntax_error":
            syntax_ok, message = False, str(event.get("message", ""))
        elif kind == "syntax_ok":
            syntax_ok = True
        elif kind == "test" and event.get("name") in names and event["name"] not in seen:
            seen[event["name"]] = event
        elif kind == "judge_error":
            message = f"judge failed: {event.get('message', '')}"
    if syntax_ok is False:
        return {"syntax_ok": False, "status": "syntax_error", "tests": [], "passed": 0,
                "total": len(names), "duration_s": round(elapsed, 6), "message": message}
    tests = []
    for name in names:
        event = seen.get(name)
        if event is None:
            outcome = "timeout" if backstop_hit else "crashed"
            tests.append({"name": name, "outcome": outcome, "duration_s": 0.0,
                          "message": "no result from the judge"})
        else:
            tests.append({"name": name, "outcome": event["outcome"],
                          "duration_s": event.get("duration_s", 0.0),
                          "message": event.get("message", "")})
    outcomes = {t["outcome"] for t in tests}
    passed = sum(t["outcome"] == "passed" for t in tests)
    if passed == len(tests):
        status = "passed"
    else:
        status = next(s for s in ("timeout", "oom", "crashed", "error", "failed") if s in outcomes)
    return {"syntax_ok": bool(syntax_ok), "status": status, "tests": tests, "passed": passed,
            "total": len(names), "duration_s": round(elapsed, 6), "message": message}


_TESTS_CODE: dict[str, types.CodeType] = {}


def _compile_tests(source: str) -> types.CodeType:
    """Trusted test code, compiled once per worker: the same tests come back job after job."""
    code = _TESTS_CODE.get(source)
    if code is None:
        if len(_TESTS_CODE) > 256:
            _TESTS_CODE.clear()
        code = _TESTS_CODE[source] = compile(source, "tests.py", "exec", dont_inherit=True)
    return code


def grade(job: dict) -> dict:
    """Grade one job in a forked judge (the caller kills strays and wipes afterwards)."""
    job.setdefault("limits", {})
    job["limits"] = {**DEFAULT_LIMITS, **job["limits"]}
    _wipe_all()
    os.makedirs(JOB_DIR)
    # Only the candidate's code: the tests stay in the judge's memory, out of the candidate's reach.
    with open(os.path.join(JOB_DIR, "solution.py"), "w", encoding="utf-8") as handle:
        handle.write(job["code"])
    job["tests_code"] = _compile_tests(job["tests"])
    report_r, report_w = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(report_r)
        _judge_main(job, report_w)
    os.close(report_w)
    budget = float(job["timeout_s"]) * (len(job["test_names"]) + 1) + 2.0
    deadline = start + budget
    buffer = b""
    events: list[dict] = []
    backstop_hit = False
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            backstop_hit = True
            break
        ready, _, _ = select.select([report_r], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(report_r, 65536)
        if not chunk:
            break
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            try:
                events.append(json.loads(line))
            except ValueError:
                pass
        if events and events[-1].get("kind") in ("done", "syntax_error"):
            break
    elapsed = time.perf_counter() - start
    os.close(report_r)
    result = _summarise(job, events, elapsed, backstop_hit)
    result["id"] = job.get("id")
    return result


def main() -> None:
    _set_nondumpable()
    # Every job forks twice; objects the collector never scans are pages fork never copies.
    gc.collect()
    gc.freeze()
    gc.disable()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)  # as PID 1 a default disposition means "ignored"
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    hello = {"kind": "hello", "protocol": PROTOCOL, "python": sys.version.split()[0],
             "pid": os.getpid(), "uid": os.getuid()}
    stdout.write((json.dumps(hello) + "\n").encode())
    stdout.flush()
    while True:
        job = _read_job(stdin)
        if job is None:
            return  # the host went away: exit, and the container goes with us
        job_id = job.get("id") if isinstance(job, dict) else None
        fatal = False
        try:
            if job.get("kind") == "ping":
                result = {"kind": "pong", "id": job_id}
            else:
                result = grade(job)
        except WipeError as exc:
            result, fatal = {"id": job_id, "error": f"worker cannot clean up: {exc}"}, True
        except Exception as exc:  # noqa: BLE001 - a bad job must not kill the worker
            result = {"id": job_id, "error": f"{type(exc).__name__}: {exc}"}
        del job
        stdout.write((json.dumps(result) + "\n").encode())
        stdout.flush()
        # Clean up after answering (the host overlaps its work with ours); the next job is
        # read only once every stray is dead and /tmp is empty.
        _kill_everything()
        try:
            _wipe_all()
        except WipeError:
            fatal = True
        if fatal:
            sys.exit(3)  # the host replaces this container with a clean one


def _read_job(stdin: object) -> dict | None:
    """One job from stdin; the raw line is not kept (a candidate is a fork of us)."""
    line = stdin.readline()  # type: ignore[attr-defined]
    if not line:
        return None
    try:
        job = json.loads(line)
    except ValueError:
        return {"kind": "invalid"}
    return job if isinstance(job, dict) else {"kind": "invalid"}


if __name__ == "__main__":
    main()
