"""The sandbox worker: PID 1 of a locked-down container. Standard library only.

It reads one JSON job per line on stdin and answers one JSON result per line
on stdout. Each job is graded by processes with separate trust:

* the worker (this process) never runs task or candidate code; it forks a
  judge per job, enforces a wall-clock backstop, then kills every other process
  in the container (but the factory) and wipes /tmp so nothing survives into the
  next job;
* the judge runs the task's trusted tests. The tests import the candidate's
  functions, but what they get are proxies: each call is sent to the candidate
  process and only plain data (marshal) comes back, so candidate code never
  runs in the judge and can patch nothing there. The judge reports a test as
  passed only after the test function returned normally;
* the candidate process imports `/tmp/job/solution.py` and answers calls. It is
  forked by the **factory**, a fresh interpreter (`python3 -I worker.py
  --factory`) exec'd before any job and never sent one: so the candidate's
  memory holds no test, no job line and no earlier program, even in freed
  pages a candidate can read back through /proc/self/maps. It closes every
  descriptor but its two call pipes before any candidate code runs, so it
  cannot write into the result channel, and it runs under rlimits.

Every process is non-dumpable (checked, not assumed), so the candidate cannot
read or trace the judge, the worker or the factory through /proc. When an
isolation step fails (non-dumpable, an rlimit, closing descriptors) the
candidate is not run and the job answers an `isolation` error, which the host
treats as an infrastructure failure, never as the candidate's.
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
import socket
import struct
import subprocess
import sys
import time
import traceback
import types
from collections.abc import Iterator

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


class IsolationError(Exception):
    """An isolation step failed: nothing may run under weaker isolation than promised."""


def _set_nondumpable() -> None:
    """PR_SET_DUMPABLE 0, verified: ctypes reports failure as -1, it does not raise."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE = 4
        raise IsolationError(f"prctl(PR_SET_DUMPABLE, 0) failed: errno {ctypes.get_errno()}")
    if libc.prctl(3, 0, 0, 0, 0) != 0:  # PR_GET_DUMPABLE = 3
        raise IsolationError("the process is still dumpable after PR_SET_DUMPABLE 0")


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
    """Set an rlimit and read it back; any failure is an IsolationError."""
    try:
        resource.setrlimit(which, (value, value))
        applied = resource.getrlimit(which)
    except (ValueError, OSError) as exc:
        raise IsolationError(f"setrlimit({which}, {value}) failed: {exc}") from None
    if applied != (value, value):
        raise IsolationError(f"rlimit {which} is {applied}, not {value}")


def _only_fds(keep: set[int]) -> None:
    """Close every descriptor but stdio and `keep`, then check that nothing else is open."""
    for name in os.listdir("/proc/self/fd"):
        if int(name) > 2 and int(name) not in keep:
            try:
                os.close(int(name))
            except OSError:
                pass  # the listing's own descriptor, already closed
    left = []
    for name in os.listdir("/proc/self/fd"):
        if int(name) > 2 and int(name) not in keep:
            try:
                os.fstat(int(name))
            except OSError:
                continue  # the listing's own descriptor
            left.append(int(name))
    if left:
        raise IsolationError(f"descriptors still open: {sorted(left)}")


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


def _candidate_main(req_r: int, resp_w: int, limits: dict) -> None:
    """Runs in the candidate process (a fork of the factory); never returns."""
    try:
        os.setsid()
        _redirect_stdio(os.path.join(JOB_DIR, "output.txt"))
        _only_fds({req_r, resp_w})
        # below the container's limit, so a hog gets MemoryError before the kernel's OOM killer
        memory = int(limits["memory_mb"]) * 1024 * 1024 * 3 // 4
        _set_limit(resource.RLIMIT_AS, memory)
        _set_limit(resource.RLIMIT_FSIZE, int(limits["output_bytes"]))
        _set_limit(resource.RLIMIT_NOFILE, max(int(limits["nofile"]), resp_w + 1))
        _set_limit(resource.RLIMIT_CORE, 0)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    except IsolationError as exc:
        _send_frame(resp_w, ("isolation_error", str(exc)[:500]))
        os._exit(0)
    except BaseException as exc:  # noqa: BLE001
        _send_frame(resp_w, ("isolation_error", f"{type(exc).__name__}: {str(exc)[:400]}"))
        os._exit(0)
    try:
        os.chdir(JOB_DIR)
        sys.path.insert(0, JOB_DIR)
        sys.argv = ["solution.py"]
        module = types.ModuleType("solution")
        module.__file__ = os.path.join(JOB_DIR, "solution.py")
        sys.modules["solution"] = module
        with open("solution.py", encoding="utf-8") as handle:
            code = compile(handle.read(), "solution.py", "exec", dont_inherit=True)
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


# ------------------------------------------------------------------- factory


def _factory_main(ctrl: int) -> None:
    """The candidate factory: a fresh interpreter that forks candidates and reaps them.

    It is sent only descriptors and limits, never code or tests. It keeps a copy of each
    candidate's reply pipe and, when the candidate dies, writes its wait status there
    (`("exit", status)`), so the judge can say how a candidate it does not parent died.
    """
    _redirect_stdio(None)
    broken = ""
    try:
        _set_nondumpable()
    except IsolationError as exc:  # answer every order with it: the host must hear why
        broken = str(exc)
    sock = socket.socket(fileno=ctrl)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    gc.collect()
    gc.freeze()
    notices: dict[int, int] = {}  # candidate pid -> our copy of its reply pipe
    while True:
        ready, _, _ = select.select([sock, wake_r], [], [])
        if wake_r in ready:
            os.read(wake_r, 4096)
        _reap_candidates(notices)
        if sock not in ready:
            continue
        try:
            data, fds, _, _ = socket.recv_fds(sock, 4096, 2)
        except OSError:
            os._exit(0)
        if not data:
            os._exit(0)  # the worker is gone
        try:
            seq, limits = marshal.loads(data)
            req_r, resp_w = fds
        except (ValueError, TypeError, EOFError):
            for fd in fds:
                os.close(fd)
            continue
        if broken:
            os.close(req_r)
            os.close(resp_w)
            sock.send(marshal.dumps((seq, -1, broken)))
            continue
        try:
            pid = os.fork()
        except OSError as exc:  # the pids limit, during a fork bomb: this order fails, we go on
            os.close(req_r)
            os.close(resp_w)
            sock.send(marshal.dumps((seq, -2, f"cannot start a candidate process: {exc}")))
            continue
        if pid == 0:
            signal.set_wakeup_fd(-1)
            _candidate_main(req_r, resp_w, limits)
            os._exit(0)
        os.close(req_r)
        notices[pid] = resp_w
        try:
            sock.send(marshal.dumps((seq, pid, "")))
        except OSError:
            os._exit(0)


def _exited_children() -> Iterator[tuple[int, int]]:
    """(pid, wait status) of every child that has ended, without blocking."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        yield pid, status


def _reap_candidates(notices: dict[int, int]) -> None:
    for pid, status in _exited_children():
        fd = notices.pop(pid, None)
        if fd is None:
            continue
        try:
            if select.select([], [fd], [], 0)[1]:  # never block on a full pipe
                _send_frame(fd, ("exit", status))
        except OSError:
            pass
        os.close(fd)


class Factory:
    """The worker's handle on the factory process; the judge inherits it to order candidates."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.seq = 0

    def ensure(self) -> None:
        """Start a factory if there is none, or if a candidate stopped or killed it."""
        if self.proc is not None:
            try:
                pid, status = os.waitpid(self.proc.pid, os.WNOHANG | os.WUNTRACED)
            except ChildProcessError:
                pid, status = self.proc.pid, 0
            if pid == 0:
                return
            if os.WIFSTOPPED(status):
                os.kill(self.proc.pid, signal.SIGKILL)
                os.waitpid(self.proc.pid, 0)
            self.close()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.proc = subprocess.Popen(
            [sys.executable, "-I", os.path.abspath(__file__), "--factory", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, close_fds=True, env={"PATH": "/usr/bin:/bin"})
        theirs.close()
        self.sock = ours

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc is not None else -1

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.proc = self.sock = None

    def spawn(self, req_r: int, resp_w: int, limits: dict) -> int:
        """A new candidate reading `req_r` and answering on `resp_w`; its pid."""
        assert self.sock is not None
        self.seq += 1
        order = (os.getpid(), self.seq)  # unique across judges: each is a fork with our count
        try:
            socket.send_fds(self.sock, [marshal.dumps((order, limits))], [req_r, resp_w])
            while True:
                data = self.sock.recv(4096)
                if not data:
                    raise EOFError
                seq, pid, error = marshal.loads(data)
                if seq != order:  # an answer to an order a timeout abandoned: drop it
                    continue
                if pid == -2:
                    raise CandidateFailure("crashed", str(error))
                if pid < 0:
                    raise IsolationError(f"candidate factory: {error}")
                return int(pid)
        except (OSError, EOFError, ValueError, TypeError):
            raise CandidateFailure("crashed", "the candidate factory is gone (killed by the "
                                   "candidate?)") from None


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
    """The judge's handle on one candidate process (forked by the factory, not by us)."""

    def __init__(self, job: dict, factory: Factory) -> None:
        self.job = job
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        try:
            self.pid = factory.spawn(req_r, resp_w, job["limits"])
        finally:
            os.close(req_r)
            os.close(resp_w)
        self.req_w, self.resp_r = req_w, resp_r
        self.ready = False
        self.dead = False

    def _receive(self) -> tuple:
        try:
            reply = _recv_frame(self.resp_r)
        except (EOFError, OSError, ValueError, struct.error, TypeError) as exc:
            raise self._death(None, exc) from None
        if not isinstance(reply, tuple) or not reply or not isinstance(reply[0], str):
            raise CandidateFailure("error", "candidate sent a malformed reply")
        if reply[0] == "exit" and len(reply) == 2 and isinstance(reply[1], int):
            raise self._death(reply[1], None)
        if reply[0] == "isolation_error":
            raise IsolationError(str(reply[1:])[:500])
        return reply

    def _death(self, status: int | None, exc: BaseException | None) -> CandidateFailure:
        self.dead = True
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
        """SIGKILL it (the factory reaps it) and drop our pipes."""
        for target in (lambda: os.killpg(self.pid, signal.SIGKILL), lambda: os.kill(self.pid, signal.SIGKILL)):
            try:
                target()
            except OSError:
                pass
        for fd in (self.req_w, self.resp_r):
            try:
                os.close(fd)
            except OSError:
                pass


class Judge:
    """Runs the trusted tests against proxies of the candidate's functions."""

    def __init__(self, job: dict, report_fd: int, factory: Factory) -> None:
        self.job = job
        self.report_fd = report_fd
        self.factory = factory
        self.candidate: Candidate | None = None
        self.namespace: dict = {}
        self.startup_failure: tuple[str, str] | None = None
        self.timeouts = 0

    def report(self, **record: object) -> None:
        _write_all(self.report_fd, (json.dumps(record) + "\n").encode())

    def _candidate(self) -> Candidate:
        if self.candidate is None:
            self.candidate = Candidate(self.job, self.factory)
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
        self._start_candidate()
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
        except IsolationError:
            raise  # not the candidate's failure: the whole job is refused
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
            if outcome in ("timeout", "oom", "crashed") or self.candidate.dead:
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


def _judge_main(job: dict, report_w: int, factory: Factory) -> None:
    """Runs in the judge process; never returns."""
    try:
        _redirect_stdio(None)
        _set_limit(resource.RLIMIT_AS, int(job["limits"]["memory_mb"]) * 1024 * 1024)
        _set_limit(resource.RLIMIT_CORE, 0)
        signal.signal(signal.SIGALRM, _alarm)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        os.chdir(JOB_DIR)
        Judge(job, report_w, factory).run()
    except IsolationError as exc:
        try:
            _write_all(report_w, (json.dumps({"kind": "isolation_error", "message": str(exc)[:500]}) + "\n").encode())
        except BaseException:  # noqa: BLE001
            pass
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
    """Empty `root` whatever the depth, names or modes a program left.

    Every call is relative to an open directory (no path ever grows past PATH_MAX), and
    nested directories are moved up to `root` before they are emptied, so at most two
    directories are open at once and no recursion is needed.
    """
    try:
        top = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise WipeError(f"cannot open {root}: {exc}") from None
    moved = 0
    try:
        for _ in range(1 << 20):
            entries = list(os.scandir(top))
            if not entries:
                return
            for entry in entries:
                try:
                    if not entry.is_dir(follow_symlinks=False):
                        os.unlink(entry.name, dir_fd=top)
                        continue
                    os.chmod(entry.name, 0o700, dir_fd=top)
                    sub = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=top)
                    try:
                        for child in os.scandir(sub):
                            if child.is_dir(follow_symlinks=False):
                                moved += 1  # moving a directory rewrites its "..": needs w
                                os.chmod(child.name, 0o700, dir_fd=sub)
                                os.rename(child.name, f".w{moved}", src_dir_fd=sub, dst_dir_fd=top)
                            else:
                                os.unlink(child.name, dir_fd=sub)
                    finally:
                        os.close(sub)
                    os.rmdir(entry.name, dir_fd=top)
                except FileNotFoundError:
                    pass
        raise WipeError(f"{root} is still not empty")
    except OSError as exc:
        raise WipeError(f"cannot empty {root}: {exc}") from None
    finally:
        os.close(top)


def _wipe_all() -> None:
    for path in WIPE_DIRS:
        _wipe(path)


def _alive_pids(spare: set[int]) -> list[int]:
    """Every process in the container but `spare`, zombies included while they are ours to
    reap (or the factory's, which it reaps on SIGCHLD): a zombie still holds its pid, and
    after a fork bomb dozens of them would leave the next program's judge and candidates
    unable to fork (the pids limit)."""
    pids = []
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in spare:
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] not in (b"Z", b"X") or int(fields[1]) in (me, *spare):
            pids.append(int(name))
    return pids


def _kill_everything(factory: Factory) -> None:
    """Kill every process but ourselves (PID 1) and the factory, and reap what is ours."""
    spare = {os.getpid(), factory.pid}
    try:  # a candidate may have stopped the factory; it must run to reap its children
        os.kill(factory.pid, signal.SIGCONT)
    except OSError:
        pass
    for _ in range(1000):
        pids = _alive_pids(spare)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for _ in _exited_children():
            pass
        if not pids:
            return
        time.sleep(0.0001)
    raise WipeError("processes keep appearing after every kill")


def _summarise(job: dict, events: list[dict], elapsed: float, backstop_hit: bool,
               stopped: bool = False) -> dict:
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
        elif kind == "isolation_error":
            return {"error": f"isolation: {event.get('message', '')}", "isolation": True}
    if syntax_ok is False:
        return {"syntax_ok": False, "status": "syntax_error", "tests": [], "passed": 0,
                "total": len(names), "duration_s": round(elapsed, 6), "message": message}
    tests = []
    for name in names:
        event = seen.get(name)
        if event is None:
            outcome = "timeout" if backstop_hit else "crashed"
            why = ("the judge was stopped (a signal from the candidate)" if stopped
                   else "no result from the judge")
            tests.append({"name": name, "outcome": outcome, "duration_s": 0.0, "message": why})
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
STOP_POLL_S = 0.05  # how often a silent judge is checked for having been stopped


def _stopped(pid: int) -> bool:
    try:
        got, status = os.waitpid(pid, os.WNOHANG | os.WUNTRACED)
    except ChildProcessError:
        return False
    if got and os.WIFSTOPPED(status):
        os.kill(pid, signal.SIGKILL)
        return True
    return False


def _compile_tests(source: str) -> types.CodeType:
    """Trusted test code, compiled once per worker: the same tests come back job after job."""
    code = _TESTS_CODE.get(source)
    if code is None:
        if len(_TESTS_CODE) > 256:
            _TESTS_CODE.clear()
        code = _TESTS_CODE[source] = compile(source, "tests.py", "exec", dont_inherit=True)
    return code


def grade(job: dict, factory: Factory) -> dict:
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
    factory.ensure()
    pid = os.fork()
    if pid == 0:
        os.close(report_r)
        _judge_main(job, report_w, factory)
    os.close(report_w)
    budget = float(job["timeout_s"]) * (len(job["test_names"]) + 1) + 2.0
    deadline = start + budget
    buffer = b""
    events: list[dict] = []
    backstop_hit = stopped = False
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            backstop_hit = True
            break
        ready, _, _ = select.select([report_r], [], [], min(remaining, STOP_POLL_S))
        if not ready:
            if _stopped(pid):  # SIGSTOP from the candidate: do not wait for the backstop
                stopped = True
                break
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
    result = _summarise(job, events, elapsed, backstop_hit, stopped)
    result["id"] = job.get("id")
    return result


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--factory":
        _factory_main(int(sys.argv[2]))
        return
    _set_nondumpable()
    factory = Factory()
    factory.ensure()  # before the first job is read: it never sees one
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
                result = grade(job, factory)
        except WipeError as exc:
            result, fatal = {"id": job_id, "error": f"worker cannot clean up: {exc}"}, True
        except Exception as exc:  # noqa: BLE001 - a bad job must not kill the worker
            result = {"id": job_id, "error": f"{type(exc).__name__}: {exc}"}
        del job
        stdout.write((json.dumps(result) + "\n").encode())
        stdout.flush()
        # Clean up after answering (the host overlaps its work with ours); the next job is
        # read only once every stray is dead and /tmp is empty.
        try:
            _kill_everything(factory)
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
