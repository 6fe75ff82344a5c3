"""The grading worker: runs ONE exercise's check inside the sandbox (see :mod:`mlbook.grading.sandbox`).

    python -I -c "...; runpy.run_module('mlbook.grading.worker', run_name='__main__')"

Two processes, so that the student's code never shares a process with the verdict:

* the **worker** (trusted) reads the program from stdin, imports mlbook, runs the notebook's
  trusted context statements (imports, constants, helpers the exercise needs), and evaluates the
  check call, e.g. ``check_dense_backward(dense_backward)``, with mlbook's real checker;
* the **student process**, forked before any student code runs, runs the same context and then
  the student's solution statements (only ``def``, ``class`` and imports are kept). Each name the
  student defines is, in the worker, a proxy: a call sends the arguments (trusted data) to the
  student process, which calls the student's function (under the delegation rule, with
  :func:`mlbook.checks.core.guarded_call`) and answers with plain data only — numbers, strings,
  arrays (``.npy``, ``allow_pickle=False``), tuples, lists, dicts — which the worker decodes and
  hands to the checker. Patching mlbook, redefining ``check_*``, a fake result object, writing
  to stdout or ``os._exit`` all happen in the student process and change nothing in the worker.

When the check passes, the worker runs **hidden cases**: every call the checker made, with its
float inputs perturbed by a random factor drawn from a seed the parent sends only now (never in
the release), is sent to the student's function and to the instructor's reference solution
(executed in the worker only after the student process was forked, so the student process never
holds it); the two outputs are compared with the checker's own :func:`compare_output`.

An exercise whose check needs the student's live objects — a class (``check_tanh_method(Scalar)``)
or arguments that are not plain data (nodes of a graph, a model) — is checked inside the student
process instead ("in-process"); the verdict says so. The worker then accepts only a plain
status/message pair from it.

One worker grades all the exercises of a notebook, each in its own student process (all forked
before the reference solutions are read). It prints one JSON line on stdout: a list with one
``{"status", "message", "mode", "hidden"}`` per exercise.
"""
import io
import json
import os
import pickle
import resource
import signal
import struct
import sys

MAX_MESSAGE = 64 * 2 ** 20         # bytes the student process may send back per answer
PLAIN_SCALARS = (bool, int, float, complex, str, type(None))


# --------------------------------------------------------------------------------------------
# framing and plain-data encoding

def send(fd, data):
    data = bytes(data)
    os.write(fd, struct.pack("<Q", len(data)))
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd, n, deadline=None):
    import select
    import time
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError("no answer in time")
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("the other process closed the channel")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def receive(fd, limit=MAX_MESSAGE, deadline=None):
    (n,) = struct.unpack("<Q", _read_exact(fd, 8, deadline))
    if n > limit:
        raise ValueError(f"answer of {n} bytes is larger than the {limit} bytes allowed")
    return _read_exact(fd, n, deadline)


class NotPlain(TypeError):
    """A value that is not plain data (numbers, strings, arrays, tuples, lists, dicts)."""


def encode(value):
    """``value`` as (json-able tree, list of arrays); raises :class:`NotPlain`."""
    import numpy as np
    arrays = []

    def enc(v, depth=0):
        if depth > 20:
            raise NotPlain("nested too deeply")
        if isinstance(v, np.ndarray):
            if v.dtype.hasobject or v.dtype.fields is not None:
                raise NotPlain(f"an array of dtype {v.dtype}")
            arrays.append(np.ascontiguousarray(v) if type(v) is np.ndarray else np.asarray(v))
            return {"__array__": len(arrays) - 1}
        if isinstance(v, np.generic):
            return {"__scalar__": len(arrays.append(np.asarray(v)) or arrays) - 1}
        if type(v) in PLAIN_SCALARS:
            if isinstance(v, float) and v != v:
                return {"__float__": "nan"}
            if isinstance(v, float) and v in (float("inf"), float("-inf")):
                return {"__float__": "inf" if v > 0 else "-inf"}
            if isinstance(v, complex):
                return {"__complex__": [v.real, v.imag]}
            return v
        if type(v) in (tuple, list):
            return {"__" + type(v).__name__ + "__": [enc(x, depth + 1) for x in v]}
        if type(v) is dict and all(type(k) is str for k in v):
            return {"__dict__": {k: enc(x, depth + 1) for k, x in v.items()}}
        raise NotPlain(f"a {type(v).__name__}")

    return enc(value), arrays


def decode(tree, arrays):
    import numpy as np

    def dec(v):
        if isinstance(v, dict):
            (key, inner), = v.items()
            if key == "__array__":
                return arrays[inner]
            if key == "__scalar__":
                return arrays[inner][()]
            if key == "__float__":
                return float(inner)
            if key == "__complex__":
                return complex(*inner)
            if key == "__tuple__":
                return tuple(dec(x) for x in inner)
            if key == "__list__":
                return [dec(x) for x in inner]
            if key == "__dict__":
                return {k: dec(x) for k, x in inner.items()}
            raise ValueError(f"unknown tag {key!r}")
        return v

    return dec(tree)


def pack(obj):
    """Plain data -> bytes (JSON header + .npy blobs, no pickle)."""
    import numpy as np
    tree, arrays = encode(obj)
    blobs = []
    for a in arrays:
        buf = io.BytesIO()
        np.save(buf, a, allow_pickle=False)
        blobs.append(buf.getvalue())
    header = json.dumps({"tree": tree, "sizes": [len(b) for b in blobs]}).encode()
    return struct.pack("<Q", len(header)) + header + b"".join(blobs)


def unpack(data):
    """The inverse of :func:`pack`, safe on untrusted bytes (no pickle, no code)."""
    import numpy as np
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode())
    pos, arrays = 8 + n, []
    for size in header["sizes"]:
        arrays.append(np.load(io.BytesIO(data[pos:pos + int(size)]), allow_pickle=False))
        pos += int(size)
    return decode(header["tree"], arrays)


def is_plain(value):
    try:
        encode(value)
        return True
    except NotPlain:
        return False


# --------------------------------------------------------------------------------------------
# the student process

class StudentCrashed(Exception):
    """The process running the student's code died or broke the protocol."""


MESSAGE_ONLY = "MessageOnly"     # the student process's message is the whole story


def _readable(text):
    """The checker's report of a call, without the wrapper's name where the message says all."""
    return text.replace(f"raised {MESSAGE_ONLY}: ", "")


class Failed(Exception):
    """The student's function raised, timed out or broke the delegation rule (message says)."""


def _exec_all(statements, namespace, only=None):
    for item in statements:
        if only is None or item["who"] == only:
            exec(compile(item["code"], f"<{item['who']} cell>", "exec"), namespace)


def _guarded(fn, args, kwargs, exercise):
    """Call the student's ``fn`` with mlbook's guarded_call (delegation rule, copies, budget)."""
    import inspect
    from mlbook.checks import core
    params = inspect.signature(core.guarded_call).parameters
    extra = {"exercise": exercise} if "exercise" in params else {}
    printed = []
    if not callable(fn):
        return {"kind": "error", "message": f"is not a function ({type(fn).__name__})"}
    try:
        # called on these very arguments (not copies): what it changes in place goes back to
        # the checker, whose own guarded_call judges in-place changes as in a notebook
        result, error = core.guarded_call(lambda: fn(*args, **kwargs), core.Case(label=""),
                                          printed=printed, **extra)
    except core.NotAttempted:
        return {"kind": "not_attempted"}
    if error:
        return {"kind": "error", "message": error, "printed": "".join(printed)}
    try:
        after = pack(("probe", list(args), kwargs)) and [list(args), kwargs]
    except NotPlain:
        after = None
    return {"kind": "ok", "value": result, "printed": "".join(printed),
            "rng": _rng_states(args, kwargs), "after": after}


def _rng_states(args, kwargs):
    """The states of the numpy Generators among the arguments after the call (the checker's
    own generators advance as if the function had run in its process)."""
    import numpy as np
    out = {}
    for key, value in list(enumerate(args)) + list(kwargs.items()):
        if isinstance(value, np.random.Generator):
            out[str(key)] = value.bit_generator.state
    return out


def student_main(program, rfd, wfd, memory_bytes):
    """Body of the forked student process: never returns."""
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        # for an in-process check: mlbook's checker, its result class and a fingerprint of
        # mlbook's code, all taken before any student code runs
        import mlbook.checks
        check_name = program["check"].split("(", 1)[0]
        trusted = (getattr(mlbook.checks, check_name, None), mlbook.checks.core.CheckResult,
                   _fingerprint, _same_code, _check_here, _guarded, pack, send, receive)
        checker, cls, fingerprint, same_code, check_here, guarded, pack_, send_, receive_ = trusted
        before = fingerprint()
        namespace = {"__name__": "__main__"}
        try:
            _exec_all(program["statements"], namespace)
            ready = {"kind": "ready"}
        except BaseException as exc:  # noqa: BLE001 — reported to the worker
            ready = {"kind": "broken", "message": f"{type(exc).__name__}: {exc}"}
        send_(wfd, pack_(ready))
        while True:
            request = pickle.loads(receive_(rfd))        # from the trusted worker
            if request[0] == "call":
                _, name, args, kwargs = request
                answer = guarded(namespace.get(name), args, kwargs, program["exercise"])
            else:                                         # "check": run the check in here
                answer = check_here(program["check"], namespace, checker, cls)
                if not same_code(before, fingerprint()):
                    answer = {"kind": "verdict", "status": "wrong",
                              "message": "your code changed mlbook's own code (a checker, the "
                                         "result class, ...): that earns nothing"}
            try:
                data = pack_(answer)
            except NotPlain as exc:
                data = pack_({"kind": "error", "message": f"returned {exc}, which cannot be graded; "
                                                          f"return numbers, arrays or tuples of them"})
            send_(wfd, data)
    except BaseException:  # noqa: BLE001
        pass
    os._exit(0)


def _import_mlbook():
    """Import the modules a checker may reach (not the widgets, plots and sympy), so that the
    fingerprint covers them before the student's code runs."""
    import importlib
    import pkgutil
    skip = ("mlbook.widgets", "mlbook.plots", "mlbook.grading", "mlbook.symbolic")
    todo = ["mlbook"]
    while todo:
        package = importlib.import_module(todo.pop())
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            if info.name.startswith(skip):
                continue
            try:
                importlib.import_module(info.name)
            except Exception:  # noqa: BLE001 — an optional part that does not import here
                continue
            if info.ispkg:
                todo.append(info.name)


def _same_code(before, after):
    """Every mark taken before is unchanged (modules imported since add marks; that is fine)."""
    now = dict(after)
    return all(now.get(key) == value for key, value in before)


def _fingerprint():
    """Identity of every function, class attribute and module attribute of mlbook and numpy's
    top level: changes when student code patches them."""
    marks = []
    for name, module in sorted(sys.modules.items()):
        if not (name == "mlbook" or name.startswith("mlbook.") or name == "numpy"):
            continue
        for key, value in sorted(vars(module).items()):
            marks.append(((name, key), (id(value), id(getattr(value, "__code__", None)))))
            if isinstance(value, type) and str(value.__module__).startswith("mlbook"):
                for k, v in sorted(vars(value).items()):
                    marks.append(((name, key, k), (id(v), id(getattr(v, "__code__", None)))))
    return marks


def _check_here(check, namespace, checker, cls):
    """In-process check (the exercise needs the student's live objects), with the checker
    and result class taken before the student's code ran."""
    if checker is None:
        return {"kind": "verdict", "status": "wrong", "message": "no such check in mlbook"}
    scope = dict(namespace)
    scope[check.split("(", 1)[0]] = checker
    try:
        result = eval(compile(check, "<check cell>", "eval"), scope)
    except BaseException as exc:  # noqa: BLE001
        return {"kind": "verdict", "status": "wrong", "message": f"the check raised {type(exc).__name__}"}
    if type(result) is not cls:
        return {"kind": "verdict", "status": "wrong",
                "message": "the check did not return mlbook's CheckResult (was it replaced?)"}
    fields = object.__getattribute__(result, "__dict__")
    status, message = fields.get("status"), fields.get("message")
    return {"kind": "verdict", "status": status if type(status) is str else "wrong",
            "message": message if type(message) is str else ""}


# --------------------------------------------------------------------------------------------
# the trusted worker

class _Channel:
    def __init__(self, pid, rfd, wfd):
        self.pid, self.rfd, self.wfd, self.dead = pid, rfd, wfd, False

    def ask(self, request, deadline=None):
        if self.dead:
            raise StudentCrashed("the process running your code had already stopped")
        note = None
        try:
            send(self.wfd, pickle.dumps(request))
            return unpack(receive(self.rfd, deadline=deadline))
        except TimeoutError:
            self.dead = True
            note = "did not finish in time (an endless loop that swallows every interruption?)"
        except (EOFError, OSError, ValueError, KeyError, TypeError, struct.error) as exc:
            self.dead = True
            note = _death_note(self.pid, exc)
        except BaseException:              # the checker's time budget ran out mid-call
            self.dead = True
            raise
        exec(compile("raise StudentCrashed(note)", "<your function>", "exec"),
             {"StudentCrashed": StudentCrashed, "note": note})

    def kill(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass


def _death_note(pid, exc):
    import time
    done, status = 0, 0
    for _ in range(50):                  # the pipe closes a moment before the process is gone
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except OSError:
            break
        if done:
            break
        time.sleep(0.01)
    if done and os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        what = "was killed (memory limit?)" if sig == signal.SIGKILL else f"was killed by signal {sig}"
        return f"the process running your code {what}"
    if done and os.WIFEXITED(status):
        return (f"the process running your code exited (code {os.WEXITSTATUS(status)}) — os._exit()"
                f" or a crash in your code")
    return f"the process running your code stopped answering ({type(exc).__name__})"


class _Proxy:
    """Stands, in the worker, for a function the student defined; calls go to the student process."""

    def __init__(self, name, channel, log, state):
        self.__name__ = self.__qualname__ = name
        self._channel, self._log, self._state = channel, log, state

    def __call__(self, *args, **kwargs):
        if not (is_plain(list(args)) and is_plain(kwargs) or _rng_only(args, kwargs)):
            self._state["needs_objects"] = True
            raise _NeedsObjects()
        self._log.append((self.__name__, args, kwargs))
        answer = self._channel.ask(("call", self.__name__, args, kwargs))
        kind = answer.get("kind")
        if kind == "not_attempted":
            raise NotImplementedError("exercise")
        if kind == "error":
            _raise_as_student(str(answer.get("message", "failed")))
        if kind != "ok":
            raise StudentCrashed("the process running your code sent an unexpected answer")
        _sync_rngs(args, kwargs, answer.get("rng") or {})
        after = answer.get("after")
        if isinstance(after, list) and len(after) == 2:
            _write_back(list(args), after[0])
            _write_back(kwargs, after[1])
        return answer.get("value")


def _write_back(target, new, depth=0):
    """Make ``target`` (the checker's argument) what the student's function left its copy as:
    arrays changed in place, dict entries and list items set, as in one process."""
    import numpy as np
    if depth > 20:
        return
    if isinstance(target, np.ndarray) and isinstance(new, np.ndarray):
        if target.shape == new.shape and target.flags.writeable:
            try:
                target[...] = new
            except (TypeError, ValueError):
                pass
    elif isinstance(target, dict) and isinstance(new, dict):
        for key in list(target):
            if key not in new:
                del target[key]
        for key, value in new.items():
            if key in target and isinstance(target[key], (np.ndarray, dict, list)) \
                    and type(value) is type(target[key]):
                _write_back(target[key], value, depth + 1)
            elif not isinstance(target.get(key), np.random.Generator):
                target[key] = value
    elif isinstance(target, list) and isinstance(new, list):
        if len(target) == len(new):
            for k, (t, v) in enumerate(zip(target, new)):
                if isinstance(t, (np.ndarray, dict, list)) and type(t) is type(v):
                    _write_back(t, v, depth + 1)
                elif not isinstance(t, np.random.Generator):
                    target[k] = v
        else:
            target[:] = new


def _sync_rngs(args, kwargs, states):
    import numpy as np
    for key, value in list(enumerate(args)) + list(kwargs.items()):
        if isinstance(value, np.random.Generator) and str(key) in states:
            try:
                value.bit_generator.state = states[str(key)]
            except (TypeError, ValueError, KeyError) as exc:
                raise StudentCrashed(f"sent back a broken generator state ({exc})") from None


def _raise_as_student(message):
    """Raise what the student's function raised, named as the student's process reported it
    (e.g. ``ValueError``), from a frame without a source line (the checker reports no line)."""
    import re
    m = re.match(r"raised (\w+): (.*)$", message, re.S)
    name, text = (m.group(1), m.group(2)) if m else (MESSAGE_ONLY, message)
    exc = type(name if name.isidentifier() else MESSAGE_ONLY, (Failed,), {})(text)
    exec(compile("raise exc", "<your function>", "exec"), {"exc": exc})


def _rng_only(args, kwargs):
    """Plain data apart from numpy Generators (pickled to the student process as they are)."""
    import numpy as np
    values = list(args) + list(kwargs.values())
    rest = [v for v in values if not isinstance(v, np.random.Generator)]
    return len(rest) < len(values) and is_plain(rest)


class _NeedsObjects(BaseException):
    """The checker passes live objects: this exercise is checked in the student process."""


def _perturb(value, rng):
    import numpy as np
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
        return value * rng.uniform(0.8, 1.2, size=value.shape)
    if type(value) is float:
        return value * float(rng.uniform(0.8, 1.2))
    if type(value) in (tuple, list):
        return type(value)(_perturb(v, rng) for v in value)
    if type(value) is dict:
        return {k: _perturb(v, rng) for k, v in value.items()}
    return value


def _finite(value):
    import numpy as np
    if type(value) in (tuple, list):
        return all(_finite(v) for v in value)
    try:
        return bool(np.isfinite(np.asarray(value, dtype=float)).all())
    except (TypeError, ValueError):
        return False


def _hidden_cases(calls, reference_ns, seed, budget_s=5.0):
    """(problem or None, number of hidden cases compared)."""
    import time
    import numpy as np
    from mlbook.checks.core import compare_output
    rng = np.random.default_rng(seed)
    deadline, compared = time.monotonic() + budget_s, 0
    for name, args, kwargs in calls[:12]:
        if time.monotonic() > deadline or name not in reference_ns:
            continue
        if any(isinstance(v, np.random.Generator) for v in list(args) + list(kwargs.values())):
            continue                    # random draws: the visible check's statistics decide
        args2, kwargs2 = _perturb(tuple(args), rng), _perturb(dict(kwargs), rng)
        try:
            with np.errstate(all="ignore"):
                expected = reference_ns[name](*pickle.loads(pickle.dumps(args2)),
                                              **pickle.loads(pickle.dumps(kwargs2)))
            if not _finite(expected):
                continue
        except Exception:  # noqa: BLE001 — outside the reference's domain: not a case
            continue
        try:
            got = reference_ns["__student__"][name](*args2, **kwargs2)
        except NotImplementedError:
            return "not attempted", compared
        except (Failed, StudentCrashed) as exc:
            return f"on a hidden input your function {exc}", compared
        problem = compare_output(got, expected)
        compared += 1
        if problem:
            return f"on a hidden input (not in the release): {problem}", compared
    return None, compared


def _verdict(status, message, mode, hidden=0):
    return {"status": status, "message": message, "mode": mode, "hidden": hidden}


def worker_main():
    """Grade every program of one notebook: one student process per exercise, all forked before
    the reference solutions are read; one JSON list of verdicts on stdout."""
    out = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)     # nothing else reaches the verdict channel
    first = json.loads(receive(0).decode())
    memory = int(first.get("memory_bytes") or 0)
    import numpy as np  # noqa: F401 — imported once, before the forks
    import mlbook.checks  # noqa: F401
    _import_mlbook()
    from mlbook.checks import core
    if first.get("time_budget"):
        core.TIME_BUDGET = float(first["time_budget"])
    channels, mine = [], []
    for program in first["programs"]:
        req_r, req_w = os.pipe()       # worker -> student process: requests (pickled, trusted)
        ans_r, ans_w = os.pipe()       # student process -> worker: answers (plain data only)
        pid = os.fork()
        if pid == 0:
            for fd in [0, req_w, ans_r] + mine:
                os.close(fd)
            out.close()
            student_main(program, req_r, ans_w, memory)
        os.close(req_r)
        os.close(ans_w)
        mine += [ans_r, req_w]
        channels.append(_Channel(pid, ans_r, req_w))
    second = json.loads(receive(0).decode())          # read only now: no student process holds it
    verdicts = []
    for program, reference, channel in zip(first["programs"], second["references"], channels):
        try:
            verdict = _grade(program, {"reference": reference, "seed": second["seed"]},
                             channel, core)
        except Exception as exc:  # noqa: BLE001 — a fault of the grader, named as such
            verdict = _verdict("wrong", f"grading failed: {type(exc).__name__}: {exc}", "isolated")
            verdict["error"] = verdict["message"]
        channel.kill()
        verdicts.append(verdict)
    out.write(json.dumps(verdicts) + "\n")
    out.flush()


def _grade(first, second, channel, core):
    import time
    exercise, check = first["exercise"], first["check"]
    wait = float(first.get("deadline") or 60.0)      # seconds per exercise, from the parent
    try:
        ready = unpack(receive(channel.rfd, deadline=time.monotonic() + wait))
    except TimeoutError:
        channel.dead = True
        return _verdict("wrong", str(core.CheckResult(
            "wrong", exercise, "defining your solution did not finish in time (a class body or "
            "default argument that loops?)")), "isolated")
    except Exception as exc:  # noqa: BLE001
        channel.dead = True
        return _verdict("wrong", f"your code could not be loaded: {_death_note(channel.pid, exc)}",
                        "isolated")
    if ready.get("kind") != "ready":
        return _verdict("wrong", f"running your solution cells failed: {ready.get('message', '?')}",
                        "isolated")
    if first.get("in_process"):
        return _in_process(channel, check, exercise, core, wait)
    namespace, calls, state = {"__name__": "__main__"}, [], {"needs_objects": False}
    for name in first["student_names"]:
        namespace[name] = _Proxy(name, channel, calls, state)
    _exec_all(first["statements"], namespace, only="context")
    try:
        result = eval(compile(check, "<check cell>", "eval"), namespace)
    except _NeedsObjects:
        result = None
    except NameError as exc:                 # the submission does not define what is checked
        return _verdict("wrong", str(core.CheckResult(
            "wrong", exercise, f"{exc} — did the solution cell keep the function's name?")),
            "isolated")
    if state["needs_objects"]:
        return _in_process(channel, check, exercise, core, wait)
    if type(result) is not core.CheckResult:
        return _verdict("wrong", f"the check returned {type(result).__name__}", "isolated")
    if result.status != "correct":
        return _verdict(result.status, _readable(str(result)), "isolated")
    reference = {"__name__": "__main__"}
    _exec_all(first["statements"], reference, only="context")
    for code in second["reference"]:
        exec(compile(code, "<reference solution>", "exec"), reference)
    reference["__student__"] = {n: namespace[n] for n in first["student_names"]}
    problem, hidden = _hidden_cases(calls, reference, int(second["seed"]))
    if problem:
        return _verdict("wrong", f"❌ Not yet — {exercise}\n   {problem}", "isolated", hidden)
    return _verdict("correct", str(result), "isolated", hidden)


def _in_process(channel, check, exercise, core, wait):
    import time
    try:
        answer = channel.ask(("check", check), deadline=time.monotonic() + wait)
    except StudentCrashed as exc:
        return _verdict("wrong", str(core.CheckResult("wrong", exercise, str(exc))), "in-process")
    status = answer.get("status")
    if status not in ("correct", "wrong", "not_attempted"):
        status = "wrong"
    message = answer.get("message") if type(answer.get("message")) is str else ""
    return _verdict(status, str(core.CheckResult(status, exercise, message[:4000])), "in-process")


if __name__ == "__main__":
    worker_main()
