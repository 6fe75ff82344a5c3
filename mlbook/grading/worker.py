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

A checker that needs the student's live objects — a class (``check_tanh_method(Scalar)``), or
a function that is given a model or a graph — touches them only in its **drivers**
(:func:`mlbook.checks.core.driver`): functions that take the student's class or function and
plain data, and return plain data. In the worker the checker runs as everywhere else; a driver
given a stand-in sends ``("drive", driver, arguments)`` to the student process, which runs the
driver there, on the student's objects, and answers with plain data. The verdict is computed in
the worker, from what came back; nothing the student process runs can change it.

The delegation rule: in the student process, before the first student statement runs, every
off-limits function of the exercise (its declared rule) gets code that raises instead
(:func:`stub_off_limits`); off-limits modules that are not imported give a module that raises.
The delegation watch of :func:`mlbook.checks.core.guarded_call` runs there too, but the grade does
not depend on it: clearing ``EXERCISES`` or removing the watch leaves nothing to delegate to.
Kept are only the functions that the check's drivers, the rule's ``may_use`` functions and the
off-limits classes' constructors need themselves.

When the check passes, the worker runs **hidden cases** (never in the release):

* every call the checker made — to the student's function or to a driver — with its float inputs
  perturbed by a random factor drawn from a seed the parent sends only now, is sent to the student
  process and computed with the instructor's reference solution (executed in the worker only after
  the student processes were forked); the outputs are compared;
* a check that passes numpy Generators (random draws: ``he_normal``, ``dropout_forward``) runs
  again with every generator replaced by one seeded from the grading seed: the draws' statistics
  must hold for those too, and the answers must change with the generator;
* a checker may draw its own cases from :func:`mlbook.checks.core.grading_seed` (``digits``:
  the held-out digits in an order drawn at grading time).

One worker grades all the exercises of a notebook, each in its own student process (all forked
before the reference solutions are read). It prints one JSON line on stdout: a list with one
``{"status", "message", "mode", "hidden"}`` per exercise.
"""
import io
import json
import os
import pathlib
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


def rule_name(exercise):
    """The name ``exercise`` is declared under (check_linear's exercise is "Linear")."""
    from mlbook.checks import core
    if exercise in core.EXERCISES:
        return exercise
    return next((k for k in core.EXERCISES if k.lower() == exercise.lower()), exercise)


def _guarded(fn, args, kwargs, exercise, seconds=None):
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
        budget = core.Budget(seconds) if seconds else None     # a driver: the check's budget
        result, error = core.guarded_call(lambda: fn(*args, **kwargs), core.Case(label=""),
                                          printed=printed, budget=budget, **extra)
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


MARK = "__mlbook_student_name__"     # {MARK: name} in a request: the student's object


def _substitute(values, namespace, mark):
    def sub(v):
        return namespace.get(v[mark]) if type(v) is dict and set(v) == {mark} else v
    if isinstance(values, dict):
        return {k: sub(v) for k, v in values.items()}
    return [sub(v) for v in values]


def _kind(value, name):
    shown = getattr(value, "__name__", name)
    shown = shown if isinstance(shown, str) and shown.isidentifier() else name
    kind = ("class" if isinstance(value, type) else "function" if callable(value)
            else "missing" if value is None else type(value).__name__)
    return {"kind": kind, "name": shown[:80]}


def student_main(program, rfd, wfd, memory_bytes):
    """Body of the forked student process: never returns."""
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        from mlbook.checks import core
        # taken before any student code runs (what the student's code rebinds later is not used)
        drivers = dict(core.DRIVERS)
        guarded, pack_, send_, receive_, substitute, marker, kind_of = (
            _guarded, pack, send, receive, _substitute, MARK, _kind)
        exercise = rule_name(program["exercise"])
        namespace, stubbed = {"__name__": "__main__"}, False
        try:
            for item in program["statements"]:
                if item["who"] == "student" and not stubbed:
                    stub_off_limits(exercise, program["check"])
                    stubbed = True
                _exec_all([item], namespace)
            if not stubbed:
                stub_off_limits(exercise, program["check"])
            ready = {"kind": "ready", "names": {n: kind_of(namespace.get(n), n)
                                                for n in program["student_names"]}}
        except BaseException as exc:  # noqa: BLE001 — reported to the worker
            ready = {"kind": "broken", "message": f"{type(exc).__name__}: {exc}"}
        send_(wfd, pack_(ready))
        while True:
            request = pickle.loads(receive_(rfd))        # from the trusted worker
            if request[0] == "call":
                _, name, args, kwargs = request
                answer = guarded(namespace.get(name), args, kwargs, exercise)
            else:                                         # "drive": a checker's driver
                _, key, args, kwargs = request
                fn = drivers.get(key)
                answer = guarded(fn, substitute(args, namespace, marker),
                                 substitute(kwargs, namespace, marker), exercise,
                                 float(program.get("deadline") or 150.0))
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
    """Import the modules a checker may reach (not the widgets, plots and sympy), before the
    student processes are forked (their off-limits functions are replaced there)."""
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


OFF_LIMITS_TEXT = ("calls {name}, mlbook's own implementation of what this exercise asks for "
                   "(not available while grading {exercise}) — the exercise is to write it "
                   "yourself (numpy is fine)")


def _refusing(code, name, exercise):
    """A code object that raises, with as many free variables as ``code`` (so that it can
    replace ``code`` in its function)."""
    free = [f"_v{k}" for k in range(len(code.co_freevars))]
    text = OFF_LIMITS_TEXT.format(name=name, exercise=exercise)
    src = ("def _outer():\n" + "".join(f"    {v} = None\n" for v in free)
           + "    def stub(*args, **kwargs):\n"
           + (f"        ({', '.join(free)},)\n" if free else "")
           + f"        raise RuntimeError({text!r})\n    return stub\n")
    scope = {}
    exec(compile(src, code.co_filename, "exec"), scope)
    stub = scope["_outer"]().__code__
    try:
        return stub.replace(co_name=code.co_name, co_firstlineno=code.co_firstlineno)
    except (TypeError, ValueError):
        return stub


class _RefusingModule(type(sys)):
    def __init__(self, name, text):
        super().__init__(name)
        self.__dict__["_text"] = text

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        raise RuntimeError(self.__dict__["_text"])


def stub_off_limits(exercise, check):
    """In the student process, before the student's code runs: replace the code of every
    off-limits function of ``exercise`` (its declared rule, see
    :func:`mlbook.checks.core.declare_exercise`) by code that raises, so there is nothing to
    delegate to, whatever the student's code does to the delegation watch later; and make the
    off-limits modules that are not imported unimportable. The helpers of the check's drivers
    stay. Returns the number of functions replaced."""
    import gc
    import types
    import mlbook.checks
    from mlbook.checks import core
    rule = core.EXERCISES.get(exercise)
    if rule is None:
        return 0
    off, entries = rule.resolve()
    keep = set()
    checker = getattr(mlbook.checks, check.split("(", 1)[0], None)
    helpers = core._driver_helpers()
    for fn in core.drivers_of(checker):
        keep |= helpers.get(fn.__code__, frozenset()) | {fn.__code__}
    functions = [obj for obj in gc.get_objects() if type(obj) is types.FunctionType]
    entry_ids = {id(code) for code in entries}
    for fn in functions:            # what the exercise may use (and constructors) call stays
        if id(fn.__code__) in entry_ids:
            core.helpers_of(fn, into=keep)
    targets = {id(code): name for code, name in off.items() if code not in keep}
    replaced = 0
    for obj in functions:
        if id(obj.__code__) in targets:
            obj.__code__ = _refusing(obj.__code__, targets[id(obj.__code__)], exercise)
            replaced += 1
    for name in rule.pending():                    # importing it gives a module that refuses
        sys.modules[name] = _RefusingModule(name, OFF_LIMITS_TEXT.format(name=name,
                                                                          exercise=exercise))
    for other in core.EXERCISES.values():          # no cached reference to the old code
        other._resolved = other._key = None
    del off, entries, targets, functions
    return replaced


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
    """Stands, in the worker, for a name the student defined (a function or a class). Calling it
    with plain data, or passing it to a checker's driver (:func:`mlbook.checks.core.driver`),
    sends the call to the student process; the answer is plain data."""

    def __init__(self, name, channel, log, state, kind="function", shown=None):
        self.__name__ = self.__qualname__ = shown or name
        self._name, self._kind = name, kind
        self._channel, self._log, self._state = channel, log, state

    def _mlbook_kind(self):
        return self._kind

    def __call__(self, *args, **kwargs):
        if not _sendable(list(args) + list(kwargs.values())):
            self._state["needs_objects"] = True
            raise _NeedsObjects()
        pairs = []
        args, kwargs = self._hidden_draws(args, kwargs, pairs)
        self._log.append((self._name, args, kwargs))
        drawn = _has_generator(args, kwargs)
        value = self._answer(self._channel.ask(("call", self._name, args, kwargs),
                                               deadline=self._state.get("deadline")), args, kwargs)
        for original, fresh in pairs:       # the checker's generator moves on as the draws did
            original.bit_generator.state = fresh.bit_generator.state
        if drawn:                           # what came back from a call given a generator
            self._state.setdefault("drawn" if pairs else "visible_draws", []).append(value)
        return value

    def _mlbook_drive(self, key, args, kwargs):
        """Run the driver ``key`` in the student process on the student's objects."""
        def mark(v):
            return {MARK: v._name} if isinstance(v, _Proxy) else v
        sent_args = tuple(mark(v) for v in args)
        sent_kwargs = {k: mark(v) for k, v in kwargs.items()}
        if not _sendable([v for v in list(sent_args) + list(sent_kwargs.values())
                          if not (type(v) is dict and MARK in v)]):
            self._state["needs_objects"] = True
            raise _NeedsObjects()
        self._log.append((("drive", key), args, kwargs))
        answer = self._channel.ask(("drive", key, sent_args, sent_kwargs),
                                   deadline=self._state.get("deadline"))
        return self._answer(answer, sent_args, sent_kwargs)

    def _hidden_draws(self, args, kwargs, pairs):
        """When the check is run again with hidden draws: every numpy Generator argument
        replaced by one seeded from the grading seed and the original's state."""
        seed = self._state.get("draw_seed")
        if seed is None:
            return args, kwargs
        self._state["draws"] = self._state.get("draws", 0) + 1
        swap = _swap_generator(seed, self._state.setdefault("swapped", {}), pairs)
        return tuple(swap(v) for v in args), {k: swap(v) for k, v in kwargs.items()}

    def _answer(self, answer, args, kwargs):
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


def _swap_generator(seed, swapped, pairs):
    import hashlib
    import numpy as np

    def swap(value):
        if not isinstance(value, np.random.Generator):
            return value
        state = json.dumps(value.bit_generator.state, sort_keys=True, default=str)
        if state not in swapped:
            digest = int.from_bytes(hashlib.sha256(f"{seed}:{state}".encode()).digest()[:8], "little")
            swapped[state] = type(value.bit_generator)(digest).state
        fresh = np.random.Generator(type(value.bit_generator)())
        fresh.bit_generator.state = swapped[state]
        pairs.append((value, fresh))
        return fresh
    return swap


def _has_generator(args, kwargs):
    import numpy as np
    return any(isinstance(v, np.random.Generator) for v in list(args) + list(kwargs.values()))


def _same_draws(first, second):
    """True when every value of ``second`` equals the one at the same place in ``first``."""
    import numpy as np
    if len(first) != len(second) or not first:
        return False
    try:
        return all(pickle.dumps(a) == pickle.dumps(b) or (
            isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
            and np.array_equal(a, b)) for a, b in zip(first, second))
    except Exception:  # noqa: BLE001
        return False


def _sendable(values):
    """Plain data, or plain data and numpy Generators (pickled to the student process)."""
    import numpy as np
    return is_plain([v for v in values if not isinstance(v, np.random.Generator)])


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


class _NeedsObjects(BaseException):
    """The checker passed live objects to the student's code outside a driver (a grader bug)."""


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
        if time.monotonic() > deadline:
            continue
        if isinstance(name, tuple):                 # a driver: the student's objects in use
            problem, n = _hidden_drive(name[1], args, kwargs, reference_ns, rng)
            compared += n
            if problem:
                return problem, compared
            continue
        if name not in reference_ns:
            continue
        if any(isinstance(v, np.random.Generator) for v in list(args) + list(kwargs.values())):
            continue                    # random draws: the check runs again with hidden draws
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


def _has_float(value):
    import numpy as np
    if isinstance(value, np.ndarray):
        return np.issubdtype(value.dtype, np.floating) and value.size > 0
    if type(value) is float:
        return True
    if type(value) in (tuple, list):
        return any(_has_float(v) for v in value)
    if type(value) is dict:
        return any(_has_float(v) for v in value.values())
    return False


def _hidden_drive(key, args, kwargs, reference_ns, rng):
    """One hidden case of a driver call: its float inputs perturbed, run with the student's
    objects (in the student process) and with the instructor's (here); ``(problem, 0 or 1)``."""
    import numpy as np
    from mlbook.checks import core
    fn = core.DRIVERS.get(key)
    plain = [v for v in list(args) + list(kwargs.values()) if not isinstance(v, _Proxy)]
    proxies = [v for v in list(args) + list(kwargs.values()) if isinstance(v, _Proxy)]
    if fn is None or key in core.NOT_REPLAYED or not _has_float(plain) or not proxies \
            or any(p._name not in reference_ns for p in proxies):
        return None, 0
    args2 = tuple(v if isinstance(v, _Proxy) else _perturb(v, rng) for v in args)
    kwargs2 = {k: v if isinstance(v, _Proxy) else _perturb(v, rng) for k, v in kwargs.items()}

    def mine(v):
        return reference_ns[v._name] if isinstance(v, _Proxy) else pickle.loads(pickle.dumps(v))
    try:
        with np.errstate(all="ignore"):
            expected = fn(*[mine(v) for v in args2], **{k: mine(v) for k, v in kwargs2.items()})
        if not _finite_plain(expected):
            return None, 0
    except Exception:  # noqa: BLE001 — outside the reference's domain: not a case
        return None, 0
    try:
        got = proxies[0]._mlbook_drive(key, args2, kwargs2)
    except NotImplementedError:
        return "not attempted", 0
    except (Failed, StudentCrashed) as exc:
        return f"on a hidden input your code {exc}", 1
    problem = _compare_plain(got, expected)
    return (f"on a hidden input (not in the release): {problem}" if problem else None), 1


def _finite_plain(value):
    import numpy as np
    if type(value) in (tuple, list):
        return all(_finite_plain(v) for v in value)
    if type(value) is dict:
        return all(_finite_plain(v) for v in value.values())
    if value is None or isinstance(value, (str, bool)):
        return True
    try:
        return bool(np.isfinite(np.asarray(value, dtype=float)).all())
    except (TypeError, ValueError):
        return False


def _compare_plain(got, expected, where="the result"):
    """None when ``got`` matches ``expected`` (plain data from a driver), else a message.
    Strings are descriptions (a repr, a type's name) and are not compared."""
    from mlbook.checks.core import compare_output, short
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            return f"{where}: expected the keys {sorted(expected)}, got {short(got)}"
        for k in expected:
            problem = _compare_plain(got[k], expected[k], f"{where}[{k!r}]")
            if problem:
                return problem
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"{where}: expected {len(expected)} values, got {short(got)}"
        for k, (g, e) in enumerate(zip(got, expected)):
            problem = _compare_plain(g, e, f"{where}[{k}]")
            if problem:
                return problem
        return None
    if isinstance(expected, str):
        return None if isinstance(got, str) else f"{where}: expected a message, got {short(got)}"
    if expected is None or isinstance(expected, bool):
        return None if got is expected or got == expected and type(got) is type(expected) \
            else f"{where}: expected {expected!r}, got {short(got)}"
    problem = compare_output(got, expected, rtol=1e-5, atol=1e-7)
    return f"{where}: {problem}" if problem else None


def _verdict(status, message, mode, hidden=0):
    return {"status": status, "message": message, "mode": mode, "hidden": hidden}


def _not_dumpable():
    """The student processes run as the same user as this one: without this, they could read
    and write its memory (``/proc/<pid>/mem``, ptrace) and so its verdicts. A process that is not
    dumpable cannot be attached to by an unprivileged one (the flag is inherited by the forks)."""
    import ctypes
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(4, 0, 0, 0, 0) != 0:            # PR_SET_DUMPABLE = 4
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")
    except (OSError, AttributeError) as exc:
        raise SystemExit(f"cannot protect the grading worker: {exc}") from None


def _digits_folder():
    """[fd] of the bundled digits' folder the parent passed (mlbook.grading.sandbox: the
    sandbox's package copy has no digits), or [] when it passed none."""
    from mlbook.grading.sandbox import DIGITS_FD_VARIABLE
    fd = os.environ.get(DIGITS_FD_VARIABLE, "")
    return [int(fd)] if fd.isdigit() else []


def worker_main():
    """Grade every program of one notebook: one student process per exercise, all forked before
    the reference solutions are read; one JSON list of verdicts on stdout."""
    _not_dumpable()
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
    digits = _digits_folder()
    channels, mine = [], []
    for program in first["programs"]:
        req_r, req_w = os.pipe()       # worker -> student process: requests (pickled, trusted)
        ans_r, ans_w = os.pipe()       # student process -> worker: answers (plain data only)
        pid = os.fork()
        if pid == 0:
            for fd in [0, req_w, ans_r] + mine + digits:
                os.close(fd)
            out.close()
            student_main(program, req_r, ans_w, memory)
        os.close(req_r)
        os.close(ans_w)
        mine += [ans_r, req_w]
        channels.append(_Channel(pid, ans_r, req_w))
    second = json.loads(receive(0).decode())          # read only now: no student process holds it
    if digits:                                        # the checkers' digits, read from the folder
        from mlbook.datasets import mnist             # the parent opened (no process forked
        mnist.BUNDLED_DIR = pathlib.Path(f"/proc/self/fd/{digits[0]}")    # from here holds it)
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
    import numpy as np
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
    namespace, calls, state = {"__name__": "__main__"}, [], {"needs_objects": False}
    names = ready.get("names") if isinstance(ready.get("names"), dict) else {}
    for name in first["student_names"]:
        info = names.get(name) if isinstance(names.get(name), dict) else {}
        kind = info.get("kind") if isinstance(info.get("kind"), str) else "function"
        shown = info.get("name") if isinstance(info.get("name"), str) else name
        namespace[name] = _Proxy(name, channel, calls, state, kind[:40],
                                 shown if shown.isidentifier() else name)
    _exec_all(first["statements"], namespace, only="context")
    core.GRADING_SEED, core.GRADING_SEEDS_DRAWN = int(second["seed"]), 0
    try:
        result = eval(compile(check, "<check cell>", "eval"), namespace)
    except _NeedsObjects:
        result = None
    except NameError as exc:                 # the submission does not define what is checked
        return _verdict("wrong", str(core.CheckResult(
            "wrong", exercise, f"{exc} — did the solution cell keep the function's name?")),
            "isolated")
    if state["needs_objects"]:
        verdict = _verdict("wrong", f"grading failed: the checker of {exercise} passes live "
                                    f"objects to the student's code outside a driver", "isolated")
        verdict["error"] = verdict["message"]
        return verdict
    if type(result) is not core.CheckResult:
        return _verdict("wrong", f"the check returned {type(result).__name__}", "isolated")
    if result.status != "correct":
        return _verdict(result.status, _readable(str(result)), "isolated")
    hidden = core.GRADING_SEEDS_DRAWN            # cases drawn from the grading seed
    visible = list(calls)
    if any(isinstance(v, np.random.Generator) for _, args, kwargs in visible
           for v in list(args) + list(kwargs.values())):
        # random draws: the same check again, every generator it passes replaced by one seeded
        # from the grading seed — the draws' statistics must hold for those too
        state.update(draw_seed=int(second["seed"]), draws=0,
                     deadline=time.monotonic() + wait)
        try:
            again = eval(compile(check, "<check cell>", "eval"), namespace)
        finally:
            state["draw_seed"] = None
        hidden += state["draws"]
        if type(again) is core.CheckResult and again.status == "correct" and _same_draws(
                state.get("visible_draws", []), state.get("drawn", [])):
            return _verdict("wrong", f"❌ Not yet — {exercise}\n   with generators seeded at "
                                     f"grading time (not in the release) your function returned "
                                     f"exactly what it returned for the release's seeds: draw "
                                     f"from the rng argument you are given", "isolated", hidden)
        if type(again) is not core.CheckResult or again.status != "correct":
            text = _readable(str(again)).split("\n", 1)[-1] if again is not None else "failed"
            return _verdict("wrong", f"❌ Not yet — {exercise}\n   with draws from a generator "
                                     f"seeded at grading time (not in the release):\n{text}",
                            "isolated", hidden)
    reference = {"__name__": "__main__"}
    _exec_all(first["statements"], reference, only="context")
    for code in second["reference"]:
        exec(compile(code, "<reference solution>", "exec"), reference)
    reference["__student__"] = {n: namespace[n] for n in first["student_names"]}
    state["deadline"] = time.monotonic() + wait
    problem, more = _hidden_cases(visible, reference, int(second["seed"]))
    hidden += more
    if problem:
        return _verdict("wrong", f"❌ Not yet — {exercise}\n   {problem}", "isolated", hidden)
    return _verdict("correct", str(result), "isolated", hidden)


if __name__ == "__main__":
    worker_main()
