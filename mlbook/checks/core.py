"""The machinery behind every exercise check.

A check cell in a notebook calls a checker with the student's *function*::

    check_sigmoid_grad(sigmoid_grad)

and the checker returns a :class:`CheckResult`, which Jupyter renders as one of

    ✅ Correct — <why it matters>
    ❌ <exercise>: <what was wrong, on which input, what was expected, what came back>
    ⏳ Not attempted — the <exercise> this kernel knows still raises NotImplementedError

A checker never raises, whatever the student's function does (raises, returns None, a list,
the wrong shape, NaN, mutates its input). Topic checkers are built from :func:`check_function`
(compare with a reference on a list of :class:`Case`) and :func:`check_gradient` (compare with
central finite differences of a scalar function).

Student code is hostile by assumption. Every call of it (:func:`guarded_call`) runs on copies of
the inputs, under a time budget (:data:`TIME_BUDGET` seconds, enforced with ``SIGALRM`` in the main
thread — where a notebook's cells run — and by a watchdog thread elsewhere), with its printed
output captured and capped, and with ``SystemExit``/``KeyboardInterrupt`` turned into a ❌ instead
of stopping the kernel. A function that ran out of time is never called again. Results that are
lists or ndarray subclasses (masked arrays, matrices) are compared as the plain arrays of their
data: a mask never hides a wrong value.

An exercise passes only when the student wrote it (the delegation rule). Each exercise declares
(:func:`declare_exercise`, in its topic's checker module) which mlbook code computes its answer
and which parts of it the student may still use. While a check runs the student's function, every
Python function entered is watched (``sys.setprofile``, and ``threading.setprofile`` for threads
the function starts); entering an off-limits one — by any name, alias, ``getattr``, bound method,
a layer's ``backward``, ``fit``, through a helper — makes the check ❌, naming the mlbook function
and saying that the exercise is to write it. Removing the watch is ❌ too. Only the student's
calls are watched, not the checker's own use of mlbook to build inputs and references.

A checker that needs the student's live objects (a class, a function given a model or a graph)
uses them only in its *drivers* (:func:`driver`): plain data in, plain data out. In a notebook
a driver is an ordinary call; when grading (:mod:`mlbook.grading.worker`) it runs in the process
holding the student's code while the checker judges what comes back in another one.

A cell that uses a student's function outside its check wraps those lines in
``with needs("train_epochs"):`` — until the function is written, the cell shows ⏳ instead of
stopping Run All.

Hints live in a registry: :func:`register_hints` (topic modules call it at import) and
``hint("exercise-name", n)`` in a notebook shows hint ``n`` and says whether there are more.
"""
import _thread
import html
import inspect
import io
import math
import os
import signal
import sys
import threading
import time
import traceback
import types
import weakref

import numpy as np

__all__ = [
    "CheckResult", "Case", "check_function", "check_gradient", "compare_output",
    "guarded_call", "hint", "register_hints", "HINTS", "NotAttempted", "TIME_BUDGET",
    "PRINT_LIMIT", "Budget", "close_to", "not_attempted", "short", "type_name",
    "ExerciseRule", "EXERCISES", "declare_exercise", "needs", "withhold_hints",
]

TIME_BUDGET = 10.0     # seconds a student function may run, per check (all its calls together)
PRINT_LIMIT = 1000     # characters of the student's printed output kept and shown ...
PRINT_LINES = 20       # ... in at most this many lines

CORRECT, WRONG, NOT_ATTEMPTED = "correct", "wrong", "not_attempted"
_ICONS = {CORRECT: "✅", WRONG: "❌", NOT_ATTEMPTED: "⏳"}
_COLOURS = {CORRECT: "#e6f4ea", WRONG: "#fce8e6", NOT_ATTEMPTED: "#fef7e0"}


class CheckResult:
    """Outcome of a check. Truthy only when correct.

    Attributes: ``status`` ('correct' | 'wrong' | 'not_attempted'), ``exercise`` (its name),
    ``message`` (one or more lines of plain text).
    """

    def __init__(self, status, exercise, message=""):
        if status not in _ICONS:
            raise ValueError(f"status must be one of {sorted(_ICONS)}, got {status!r}")
        self.status, self.exercise, self.message = status, exercise, message

    @property
    def correct(self):
        return self.status == CORRECT

    passed = correct       # what a graded test cell asserts: ``assert check_x(x).passed``

    def __bool__(self):
        return self.correct

    def headline(self):
        if self.status == CORRECT:
            return f"✅ Correct — {self.exercise}"
        if self.status == NOT_ATTEMPTED:
            return f"⏳ Not attempted — {self.exercise}"
        return f"❌ Not yet — {self.exercise}"

    def __str__(self):
        lines = [self.headline()]
        lines += ["   " + line for line in self.message.splitlines() if line.strip()]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        body = "<br>".join(html.escape(line) for line in self.message.splitlines() if line.strip())
        return (
            f'<div style="background:{_COLOURS[self.status]};border-radius:6px;'
            f'padding:8px 12px;margin:4px 0;font-family:sans-serif;line-height:1.4">'
            f"<b>{html.escape(self.headline())}</b>"
            + (f'<div style="margin-top:4px;font-family:monospace;white-space:pre-wrap">{body}</div>'
               if body else "")
            + "</div>"
        )


class NotAttempted(Exception):
    """Raised inside the machinery when the student's code raises NotImplementedError."""


class Case:
    """One input to try: positional ``args``, keyword ``kwargs`` and a readable ``label``."""

    def __init__(self, *args, label=None, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.label = label if label is not None else _describe_args(args, kwargs)

    def __repr__(self):
        return f"Case({self.label})"


# --------------------------------------------------------------------------------------------
# formatting helpers

def close_to(got, candidate, *, rtol=1e-6, atol=1e-9):
    """True if ``got`` (any array-like the student returned) is a finite array of the shape of
    ``candidate`` and ``np.allclose`` to it — the one numeric comparison every checker uses."""
    try:
        got = np.asarray(got, dtype=float)
        candidate = np.asarray(candidate, dtype=float)
    except (TypeError, ValueError):
        return False
    return (got.shape == candidate.shape and bool(np.isfinite(got).all())
            and bool(np.allclose(got, candidate, rtol=rtol, atol=atol)))


def short(value, limit=120):
    """A compact, deterministic text for a value (arrays with 6 significant digits)."""
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=6, suppress=False, threshold=12, edgeitems=3,
                             floatmode="maxprec"):
            text = np.array2string(value, separator=", ")
        text = f"array({text})" if value.ndim else text
    elif isinstance(value, (float, np.floating)):
        text = f"{float(value):.9g}"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe_args(args, kwargs):
    parts = [short(a, 60) for a in args] + [f"{k}={short(v, 60)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def type_name(value):
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape} and dtype {value.dtype}"
    if value is None:
        return "None"
    return f"a {type(value).__name__}"


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------------------------
# what each exercise may use (the delegation rule)

class ExerciseRule:
    """What the student's code may not call while exercise ``name``'s check runs.

    ``off_limits``: mlbook modules, classes or functions whose code computes the answer (a module
    stands for every function, method and property defined in it, a class for its methods
    including those inherited from mlbook base classes; a module too heavy to import with the
    checks may be named by its dotted name, e.g. ``"mlbook.symbolic"``: importing it during the
    check counts as a call); ``may_use``: functions, classes or
    modules inside those that the exercise may still call (e.g. ``sigmoid`` inside
    ``sigmoid_grad``) — whatever they call in turn is allowed too. numpy is always allowed.
    """

    def __init__(self, name, off_limits, may_use=()):
        self.name, self.off_limits, self.may_use = name, tuple(off_limits), tuple(may_use)
        self._resolved, self._key = None, None

    def pending(self):
        """Off-limits modules named by a dotted string that are not imported (yet)."""
        return tuple(o for o in self.off_limits if isinstance(o, str) and o not in sys.modules)

    def resolve(self):
        """``(off, entries)``: {code object: 'module.qualname'} of the off-limits functions, and
        the set of code objects of the ``may_use`` functions. Computed once (again when a
        module named by a string has been imported since)."""
        key = self.pending()
        if self._resolved is None or key != self._key:
            allowed, plumbing = {}, set()
            for obj in self.may_use:
                allowed.update(_codes_of(obj, plumbing))
            off = {}
            for obj in self.off_limits:
                if isinstance(obj, str):
                    if obj not in sys.modules:
                        continue
                    obj = sys.modules[obj]
                off.update(_codes_of(obj, plumbing))
            for code in allowed:
                off.pop(code, None)
            # what the constructor of an off-limits class calls is allowed: building a Dense
            # layer is not computing dense_backward (but a Dense built for he_normal is: its
            # constructor is not off limits there, so its call into mlbook.init is flagged)
            entries = frozenset(allowed) | frozenset(plumbing)
            self._resolved, self._key = (off, entries), key
        return self._resolved

    def __repr__(self):
        return f"ExerciseRule({self.name!r})"


EXERCISES = {}      # exercise name -> ExerciseRule (topic modules declare theirs at import)


def declare_exercise(name, *, off_limits, may_use=()):
    """Declare exercise ``name``'s rule (see :class:`ExerciseRule`) and return it."""
    if not off_limits:
        raise ValueError(f"exercise {name!r}: off_limits must name at least one mlbook object")
    for obj in tuple(off_limits) + tuple(may_use):
        if isinstance(obj, str) and obj in off_limits and obj.startswith("mlbook."):
            continue
        if not (isinstance(obj, (types.ModuleType, type)) or callable(obj)):
            raise TypeError(f"exercise {name!r}: off_limits and may_use take modules, classes or "
                            f"functions, got {type_name(obj)}")
    EXERCISES[name] = rule = ExerciseRule(name, off_limits, may_use)
    return rule


# --------------------------------------------------------------------------------------------
# drivers: the part of a checker that handles the student's live objects

DRIVERS = {}        # "module.qualname" -> the undecorated driver function


def driver(fn=None, *, replay=True):
    """Mark ``fn`` as a checker's *driver*: the one place where the student's live objects (a
    class, a function given objects) are used. A driver takes the student's class or function
    and plain data (numbers, strings, arrays, tuples, lists, dicts, numpy Generators) and returns
    plain data; the checker judges what it returns. In a notebook the call is an ordinary call.
    When grading (:mod:`mlbook.grading.worker`), the checker runs in a trusted process where the
    student's names are stand-ins: a stand-in among the arguments sends the call to the process
    holding the student's code, which runs the driver there and answers with plain data only."""
    if fn is None:
        return lambda f: driver(f, replay=replay)
    key = f"{fn.__module__}.{fn.__qualname__}"
    DRIVERS[key] = fn
    if not replay:
        NOT_REPLAYED.add(key)

    def call(*args, **kwargs):
        for value in list(args) + list(kwargs.values()):
            remote = getattr(type(value), "_mlbook_drive", None)   # on the type: never the
            if remote is not None:                                  # student's own attribute
                return remote(value, key, args, kwargs)
        return fn(*args, **kwargs)
    call.__name__, call.__qualname__, call.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
    call.__module__, call.driver_key = fn.__module__, key
    return call


def _inner_codes(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _inner_codes(const)


def _mlbook_object(obj):
    return str(getattr(obj, "__module__", "") or "").startswith("mlbook")


def helpers_of(fn, *, into=None, seen=None):
    """Code objects of the mlbook functions (and methods of the mlbook classes) that ``fn``
    names, transitively: what a driver itself calls (see :func:`driver`), as opposed to the
    student's code it runs."""
    into = set() if into is None else into
    seen = set() if seen is None else seen
    code, home = getattr(fn, "__code__", None), getattr(fn, "__globals__", {})
    if not isinstance(code, types.CodeType) or id(code) in seen:
        return into
    seen.add(id(code))
    owner = home.get(str(getattr(fn, "__qualname__", "")).split(".")[0])
    methods = {}                    # a method's self.name(...) calls: its class's own methods
    if isinstance(owner, type) and _mlbook_object(owner):
        for klass in reversed(owner.__mro__):
            if _mlbook_object(klass):
                methods.update(vars(klass))
    for inner in _inner_codes(code):
        for name in inner.co_names:
            attr = methods.get(name)
            parts = (attr.fget, attr.fset) if isinstance(attr, property) else (attr,)
            for part in parts:
                part = getattr(part, "__func__", part)
                if isinstance(getattr(part, "__code__", None), types.CodeType):
                    into.add(part.__code__)
                    helpers_of(part, into=into, seen=seen)
            obj = home.get(name)
            if obj is None or not _mlbook_object(obj) or getattr(obj, "driver_key", None):
                continue
            if isinstance(obj, type):
                plumbing = set()
                out = {}
                _class_codes(obj, out, plumbing)
                for c in list(out) + list(plumbing):
                    into.add(c)
                for value in vars(obj).values():
                    helpers_of(getattr(value, "__func__", value), into=into, seen=seen)
            elif isinstance(getattr(obj, "__code__", None), types.CodeType):
                into.add(obj.__code__)
                helpers_of(obj, into=into, seen=seen)
    return into


_DRIVER_HELPERS = {}


def _driver_helpers():
    """{driver's code: codes of what it may call itself} (computed once)."""
    if len(_DRIVER_HELPERS) != len(DRIVERS):
        _DRIVER_HELPERS.clear()
        for fn in DRIVERS.values():
            inner = set(_inner_codes(fn.__code__)) - {fn.__code__}   # its comprehensions
            _DRIVER_HELPERS[fn.__code__] = frozenset(helpers_of(fn) | inner)
    return _DRIVER_HELPERS


def drivers_of(fn):
    """The drivers a checker ``fn`` reaches by name (through its own helpers too)."""
    found, seen, todo = [], set(), [fn]
    while todo:
        f = todo.pop()
        code, home = getattr(f, "__code__", None), getattr(f, "__globals__", {})
        if not isinstance(code, types.CodeType) or id(code) in seen:
            continue
        seen.add(id(code))
        for inner in _inner_codes(code):
            for name in inner.co_names:
                obj = home.get(name)
                key = getattr(obj, "driver_key", None)
                if key in DRIVERS:
                    if DRIVERS[key] not in found:
                        found.append(DRIVERS[key])
                elif callable(obj) and _mlbook_object(obj) and not isinstance(obj, type):
                    todo.append(obj)
    return found


def remote_kind(obj):
    """'class', 'function', ... for a grading stand-in of a student's name, else None."""
    kind = getattr(type(obj), "_mlbook_kind", None)
    return kind(obj) if kind is not None else None


def is_class(obj):
    """True for a class (or a grading stand-in of one)."""
    return inspect.isclass(obj) or remote_kind(obj) == "class"


GRADING_SEED = None     # set by the grading worker only: checkers may draw hidden cases from it
GRADING_SEEDS_DRAWN = 0
NOT_REPLAYED = set()    # drivers too costly to run again on hidden inputs (they use grading_seed)


def grading_seed(default):
    """``default`` in a notebook; when grading, a seed derived from the grading-time seed (not
    in the release), for checkers whose cases are drawn rather than listed."""
    global GRADING_SEEDS_DRAWN
    if GRADING_SEED is None:
        return default
    GRADING_SEEDS_DRAWN += 1
    extra = [] if default is None else [int(default)]
    return int(np.random.default_rng([int(GRADING_SEED)] + extra).integers(2 ** 31))


def _function_code(fn):
    """The code object of the Python function behind ``fn`` (unwrapping functools.wraps,
    bound methods, staticmethod/classmethod), or None."""
    if isinstance(fn, (staticmethod, classmethod)):
        fn = fn.__func__
    fn = getattr(fn, "__func__", fn)                  # bound method
    try:
        fn = inspect.unwrap(fn)
    except ValueError:
        pass
    code = getattr(fn, "__code__", None)
    return code if isinstance(code, types.CodeType) else None


_PLUMBING = frozenset({"__init__", "__new__", "__repr__", "__str__", "__init_subclass__",
                       "__getattr__", "__dir__", "__format__"})  # building/showing an object


def _class_codes(cls, out, plumbing):
    """Every function, method, property accessor, staticmethod and classmethod of ``cls`` and
    of its mlbook base classes — except constructing and showing an object (``_PLUMBING``)."""
    for klass in cls.__mro__:
        if not getattr(klass, "__module__", "").startswith("mlbook"):
            continue
        for key, value in vars(klass).items():
            if key in _PLUMBING:
                code = _function_code(value) if callable(value) else None
                if code is not None:
                    plumbing.add(code)
                continue
            parts = (value.fget, value.fset, value.fdel) if isinstance(value, property) else (value,)
            for part in parts:
                code = _function_code(part) if part is not None else None
                if code is not None:
                    out[code] = f"{klass.__module__}.{klass.__qualname__}.{code.co_name}"


def _codes_of(obj, plumbing):
    """{code: readable name} for a module, class or function (see :class:`ExerciseRule`); the
    constructors of its classes go into the set ``plumbing``."""
    out = {}
    if isinstance(obj, types.ModuleType):
        home = getattr(obj, "__file__", None)
        for key, value in list(vars(obj).items()):
            if key.startswith("__"):                # module __getattr__ / __dir__: plumbing
                continue
            if isinstance(value, type) and value.__module__ == obj.__name__:
                _class_codes(value, out, plumbing)
            elif callable(value) or isinstance(value, (staticmethod, classmethod)):
                code = _function_code(value)
                if code is not None and code.co_filename == home:
                    out[code] = f"{obj.__name__}.{getattr(value, '__qualname__', code.co_name)}"
    elif isinstance(obj, type):
        _class_codes(obj, out, plumbing)
    else:
        code = _function_code(obj)
        if code is None:
            raise TypeError(f"{obj!r} is not a Python function, class or module")
        fn = inspect.unwrap(getattr(obj, "__func__", obj))
        out[code] = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', code.co_name)}"
    return out


_MLBOOK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_TAMPER = frozenset(f for f in (sys.setprofile, getattr(_thread, "start_new_thread", None),
                                getattr(_thread, "start_joinable_thread", None)) if f is not None)
# Python functions that would keep the profiler from the threads the student starts
_TAMPER_CODES = {f.__code__: f"threading.{f.__name__}"
                 for f in (threading.setprofile, getattr(threading, "setprofile_all_threads", None))
                 if f is not None}


class _Watch:
    """Records every off-limits code object entered while the student's function runs.

    ``sys.setprofile`` in the calling thread and ``threading.setprofile`` for the threads the
    student starts; the profile function is one dictionary lookup per event. A hit is allowed
    when, walking up the stack, a ``may_use`` function is reached before student code.
    """

    def __init__(self, rule):
        off, self.entries = rule.resolve()
        # a checker's drivers (see driver) run the student's code: what a driver calls itself
        # (its helpers) is allowed, what it reaches through the student's objects is not
        self.drivers = _driver_helpers()
        off = {code: name for code, name in off.items() if code not in self.drivers}
        self.off = dict(off)
        self.off.update(_TAMPER_CODES)
        self.pending = rule.pending()
        self.off_ids = {id(code): name for code, name in off.items()}
        self.tamper_ids = {id(code): name for code, name in _TAMPER_CODES.items()}
        self.hits, self.tampered, self.done, self.lost = [], [], False, False
        off, on_hit, tamper, on_tamper = self.off, self._on_hit, _TAMPER, self._on_tamper

        def profile(frame, event, arg):
            if frame.f_code in off:
                if event == "call":
                    on_hit(frame)
            elif event == "c_call" and arg in tamper:
                on_tamper(frame, arg)
        self.profile = profile

    def _on_hit(self, frame):
        if self.done:
            return
        if id(frame.f_code) in self.tamper_ids:
            self.tampered.append(self.tamper_ids[id(frame.f_code)])
            return
        name = self.off_ids.get(id(frame.f_code))     # code objects compare by value: want identity
        if self.hits or name is None:
            return
        below, up = frame, frame.f_back
        while up is not None:
            c = up.f_code
            if c in self.entries:
                return                          # called by something the exercise may use
            if c in self.drivers:
                if below.f_code in self.drivers[c]:
                    return                      # the driver's own helper
                break                           # reached through the student's object
            if c is _WATCHED_CALL_CODE or not c.co_filename.startswith(_MLBOOK_DIR):
                break                           # reached the student's code
            below, up = up, up.f_back
        self.hits.append(f"calls {name}")

    def _on_tamper(self, frame, arg):
        if self.done or frame.f_code.co_filename == threading.__file__:
            return
        self.tampered.append(f"{getattr(arg, '__module__', None) or '?'}.{getattr(arg, '__name__', arg)}")

    def __enter__(self):
        self.previous = sys.getprofile(), threading.getprofile()
        threading.setprofile(self.profile)
        sys.setprofile(self.profile)
        return self

    def __exit__(self, *exc):
        self.done = True
        # CPython drops a profiler that raises (RecursionError, a time-out or Ctrl-C arriving
        # inside it): lost, but no tampering when the call ended with that exception
        self.lost = sys.getprofile() is not self.profile and exc[0] is None
        sys.setprofile(self.previous[0])
        self.stop_threads()
        return False

    def stop_threads(self):
        """Stop watching: new threads no longer get the profiler (also after a timeout, when the
        student's function still runs in a watchdog's thread)."""
        self.done = True
        if threading.getprofile() is self.profile:
            threading.setprofile(self.previous[1])

    def verdict(self, exercise):
        """None, or the ❌ message for a delegating (or watch-removing) function."""
        imported = [name for name in self.pending if name in sys.modules]
        if imported and not self.hits:
            self.hits.append(f"imports {imported[0]}")
        if self.hits:
            return (f"{self.hits[0]}, mlbook's own implementation of what this exercise "
                    f"asks for — the exercise is to write it yourself (numpy is fine"
                    + _may_use_text(exercise) + ")")
        if self.tampered:
            return (f"called {self.tampered[0]}, which would stop the check from seeing which "
                    f"mlbook functions your code calls — write the computation yourself instead")
        if self.lost:
            return ("switched off the profiler the check uses to see which mlbook functions your "
                    "code calls (sys.setprofile changed, or an error such as RecursionError "
                    "raised and caught inside your function) — write the computation yourself, "
                    "without that")
        return None


def _may_use_text(exercise):
    rule = EXERCISES.get(exercise)
    names = [getattr(o, "__name__", repr(o)) for o in (rule.may_use if rule else ())]
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f", and so {'is' if len(names) == 1 else 'are'} mlbook's {listed}"


# --------------------------------------------------------------------------------------------
# calling the student's code safely

class _TimeUp(BaseException):
    """Raised into the student's code when its time budget is spent (a BaseException, so that
    ``except Exception`` in student code does not swallow it)."""


class Budget:
    """A time allowance shared by every call a checker makes: ``Budget(seconds)``."""

    def __init__(self, seconds=None):
        self.seconds = TIME_BUDGET if seconds is None else float(seconds)
        self.deadline = time.monotonic() + self.seconds

    def remaining(self):
        return max(0.0, self.deadline - time.monotonic())


_TIMED_OUT = weakref.WeakSet()     # functions that ran out of time: never called again


class _CappedText(io.TextIOBase):
    """A text sink that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit=PRINT_LIMIT):
        self.limit, self.parts, self.kept, self.dropped = limit, [], 0, 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def text(self):
        out = "".join(self.parts)
        if self.dropped:
            out += f"\n… ({self.dropped} more characters not shown)"
        return out


class _Dispatch:
    """Stands in for ``sys.stdout`` / ``sys.stderr`` while checks capture output: a write from
    a thread that is running a student's function goes to that check's sink, every other write
    to the stream that was there before. Installed by the first capture, removed by the last."""

    def __init__(self, previous):
        self.previous = previous

    def write(self, text):
        sink = _SINKS.get(threading.get_ident())
        return (sink if sink is not None else self.previous).write(text)

    def flush(self):
        if threading.get_ident() not in _SINKS:
            self.previous.flush()

    def __getattr__(self, name):            # encoding, isatty, fileno, ...: the real stream's
        return getattr(self.previous, name)


_SINKS = {}                 # thread ident -> the _CappedText capturing that thread's output
_CAPTURE_LOCK = threading.Lock()
_STREAMS = ("stdout", "stderr")


def _capture_start(sink):
    """Send this thread's output to ``sink`` (and only this thread's); returns a token for
    :func:`_capture_end`."""
    ident = threading.get_ident()
    with _CAPTURE_LOCK:
        token = (ident, _SINKS.get(ident))
        _SINKS[ident] = sink
        for name in _STREAMS:
            if not isinstance(getattr(sys, name), _Dispatch):
                setattr(sys, name, _Dispatch(getattr(sys, name)))
    return token


def _capture_end(token):
    """Undo :func:`_capture_start` (from any thread; a second call does nothing). When no
    thread captures any more, ``sys.stdout``/``sys.stderr`` are the streams they were."""
    ident, outer = token
    with _CAPTURE_LOCK:
        if outer is not None:
            _SINKS[ident] = outer
        else:
            _SINKS.pop(ident, None)
        if not _SINKS:
            for name in _STREAMS:
                stream = getattr(sys, name)
                while isinstance(stream, _Dispatch):
                    stream = stream.previous
                setattr(sys, name, stream)


def _call_watched(fn, args, kwargs, watch, sink, tokens):
    """The student's call itself: output captured for this thread only, numpy warnings off,
    and (``watch``) every off-limits mlbook function entered recorded."""
    tokens.append(_capture_start(sink))
    try:
        with np.errstate(all="ignore"):
            if watch is None:
                return fn(*args, **kwargs)
            with watch:
                return fn(*args, **kwargs)
    finally:
        _capture_end(tokens[-1])


_WATCHED_CALL_CODE = _call_watched.__code__


def _run_with_signal(call, seconds):
    """Run ``call()`` in the main thread, interrupted by SIGALRM after ``seconds``.

    Returns ``(result, exc, timed_out)``. The alarm repeats every 0.25 s, so student code that
    swallows one interruption (a bare ``except:``) is interrupted again. (A loop that swallows
    every BaseException forever cannot be stopped from inside Python; Jupyter's Stop button
    or a kernel restart is the only way out of that one.)
    """
    state = {"active": True, "fired": False}

    def on_alarm(signum, frame):
        if state["active"]:
            state["fired"] = True
            raise _TimeUp()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3), 0.25)
    result, exc = None, None
    try:
        try:
            result = call()
        finally:
            state["active"] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _TimeUp:
        pass
    except BaseException as e:  # noqa: BLE001 — reported, never re-raised
        exc = e
    finally:
        signal.signal(signal.SIGALRM, previous)
    return result, exc, state["fired"]


def _run_in_thread(call, seconds):
    """Fallback outside the main thread: a watchdog thread. Python code cannot be killed from
    outside, so a function that runs out of time keeps running in the background (a daemon
    thread); the check reports it and never calls it again."""
    box = {}

    def target():
        try:
            box["result"] = call()
        except BaseException as e:  # noqa: BLE001
            box["exc"] = e

    worker = threading.Thread(target=target, daemon=True, name="mlbook-check")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        return None, None, True
    return box.get("result"), box.get("exc"), False


def _budgeted_call(call, seconds):
    can_signal = (hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM")
                  and threading.current_thread() is threading.main_thread())
    return (_run_with_signal if can_signal else _run_in_thread)(call, seconds)


def _where(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    frame = frames[-1]
    return f" (line {frame.lineno}: {frame.line.strip()})" if frame.line else ""


def guarded_call(fn, case, *, budget=None, printed=None, exercise=None):
    """Call ``fn(*case.args, **case.kwargs)`` on copies of the inputs.

    Returns ``(result, None)`` or ``(None, message)`` when the call raised (anything, including
    SystemExit and KeyboardInterrupt), ran out of time, or changed its input in place. Raises
    :class:`NotAttempted` when it raised NotImplementedError.

    ``budget`` is a :class:`Budget` shared by the calls of one check (default: a fresh
    :data:`TIME_BUDGET`). Whatever ``fn`` prints is captured; pass a list as ``printed`` to
    receive it (capped at :data:`PRINT_LIMIT` characters), otherwise it is discarded; the capture
    covers only the thread running ``fn`` and ends with the check, even when ``fn`` runs on.

    ``exercise``: the name of a declared exercise (:func:`declare_exercise`). While ``fn`` runs,
    every call into the exercise's off-limits mlbook code is recorded, however it is reached; such
    a call makes the result a message naming the function (the exercise is to write it).
    """
    budget = budget if budget is not None else Budget()
    try:
        if fn in _TIMED_OUT:
            return None, ("already ran out of time on an earlier check and is not called again; "
                          "fix it, run its cell, then run the check again")
    except TypeError:           # not weak-referenceable: cannot be remembered
        pass
    args, kwargs = _copy(case.args), _copy(case.kwargs)
    sink, tokens = _CappedText(), []
    rule = EXERCISES.get(exercise)
    watch = _Watch(rule) if rule is not None else None

    def call():
        return _call_watched(fn, args, kwargs, watch, sink, tokens)

    seconds = budget.remaining()
    if seconds <= 0:
        result, exc, timed_out = None, None, True
    else:
        result, exc, timed_out = _budgeted_call(call, seconds)
    for token in tokens:                # a runaway thread's capture ends with the check
        _capture_end(token)
    if watch is not None:
        watch.stop_threads()
    if printed is not None and (sink.kept or sink.dropped):
        printed.append(sink.text())
    delegated = watch.verdict(exercise) if watch is not None else None
    if delegated:
        return None, delegated
    if timed_out:
        try:
            _TIMED_OUT.add(fn)
        except TypeError:
            pass
        return None, (f"took longer than {budget.seconds:g} s and was stopped — an endless loop, "
                      f"or a wait? (a correct answer takes well under a second)")
    if exc is not None:
        if isinstance(exc, NotImplementedError):
            raise NotAttempted() from None
        if isinstance(exc, SystemExit):
            return None, (f"raised SystemExit({exc.code!r}) — exit() / sys.exit() would stop "
                          f"the program; return the value instead{_where(exc)}")
        if isinstance(exc, KeyboardInterrupt):
            return None, (f"raised KeyboardInterrupt{_where(exc)} — if you pressed Stop, run "
                          f"the check again")
        return None, f"raised {type(exc).__name__}: {exc}{_where(exc)}"
    # did the function modify its input in place?
    for original, used in zip(case.args, args):
        if isinstance(original, np.ndarray) and isinstance(used, np.ndarray) \
                and original.shape == used.shape and not np.array_equal(original, used, equal_nan=True):
            return None, ("changed its input array in place; compute a new array instead "
                          "(e.g. `y = x * 2`, not `x *= 2`)")
    return result, None


def _plain(value):
    """Lists, tuples of numbers and ndarray subclasses as a plain float ndarray (masked arrays:
    their data, mask ignored); anything else unchanged."""
    if isinstance(value, np.ma.MaskedArray):
        return np.asarray(np.ma.getdata(value))
    if isinstance(value, np.ndarray) and type(value) is not np.ndarray:
        return np.asarray(value)
    if isinstance(value, (list, tuple)):
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return value
        return arr
    return value


def compare_output(got, expected, *, rtol=1e-6, atol=1e-9):
    """Compare one output with the expected one; return None if it matches, else a message.

    Handles scalars (Python or numpy floats, 0-d arrays), arrays, and tuples/lists of those
    (when ``expected`` is a tuple). The message says what is wrong: None returned, wrong type,
    wrong shape, non-float dtype, NaN/inf, or the largest error and where it is.
    """
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return (f"expected a tuple of {len(expected)} values, got {type_name(got)}"
                    + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""))
        for k, (g, e) in enumerate(zip(got, expected)):
            msg = compare_output(g, e, rtol=rtol, atol=atol)
            if msg:
                return f"item {k} of the returned tuple: {msg}"
        return None
    if got is None:
        return "returned None — is a `return` statement missing?"
    expected_arr = np.asarray(expected, dtype=float)
    if isinstance(got, np.ndarray) and type(got) is not np.ndarray:
        got = _plain(got)                   # masked array, matrix, ...: its plain data
    if expected_arr.ndim == 0:
        if isinstance(got, np.ndarray):
            if got.size != 1:
                return f"expected a single number, got {type_name(got)}: {short(got)}"
            got = got.reshape(())
        if isinstance(got, (list, tuple)):
            return f"expected a single number, got a Python {type(got).__name__}: {short(got)}"
        if not isinstance(got, (int, float, np.integer, np.floating, np.ndarray)) or isinstance(got, bool):
            return f"expected a number, got {type_name(got)}: {short(got)}"
        try:
            got_f = float(got)
        except (TypeError, ValueError):
            return f"expected a number, got {type_name(got)}: {short(got)}"
        if not math.isfinite(got_f):
            return f"returned {got_f} (expected {float(expected_arr):.9g}) — look for overflow or 0/0"
        if not np.isclose(got_f, float(expected_arr), rtol=rtol, atol=atol):
            return f"expected {float(expected_arr):.9g}, got {got_f:.9g}"
        return None
    if isinstance(got, (list, tuple)):
        arr = _plain(got)
        if not isinstance(arr, np.ndarray):
            return (f"returned a Python {type(got).__name__} that is not an array of numbers; "
                    f"expected a numpy array of shape {expected_arr.shape}: {short(got)}")
        problem = compare_output(arr, expected, rtol=rtol, atol=atol)   # compared as an array
        return None if problem is None else (
            f"returned a Python {type(got).__name__} (compared as an array): {problem}")
    if not isinstance(got, np.ndarray):
        return f"expected a numpy array of shape {expected_arr.shape}, got {type_name(got)}: {short(got)}"
    if got.shape != expected_arr.shape:
        hint_ = ""
        if got.shape == expected_arr.shape[::-1]:
            hint_ = " — transposed?"
        elif got.size == expected_arr.size:
            hint_ = " — same number of entries, wrong arrangement"
        return f"wrong shape: expected {expected_arr.shape}, got {got.shape}{hint_}"
    if not (np.issubdtype(got.dtype, np.floating) or np.issubdtype(got.dtype, np.integer)) \
            or got.dtype == bool:
        return f"wrong dtype: expected floating-point numbers, got dtype {got.dtype}"
    got_f = got.astype(float)
    bad = ~np.isfinite(got_f)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        return (f"contains {got_f[idx]} at index {idx if len(idx) > 1 else idx[0]} "
                f"(expected {expected_arr[idx]:.9g}) — look for overflow or 0/0")
    close = np.isclose(got_f, expected_arr, rtol=rtol, atol=atol)
    if not close.all():
        err = np.abs(got_f - expected_arr) / np.maximum(np.abs(expected_arr), atol)
        err = np.where(close, 0.0, err)
        idx = np.unravel_index(int(np.argmax(err)), err.shape)
        idx_txt = idx[0] if len(idx) == 1 else tuple(int(i) for i in idx)
        return (f"{int((~close).sum())} of {close.size} values differ; the worst is at index "
                f"{idx_txt}: expected {expected_arr[idx]:.9g}, got {got_f[idx]:.9g}")
    return None


# --------------------------------------------------------------------------------------------
# the two generic checkers

def not_attempted(exercise):
    return CheckResult(NOT_ATTEMPTED, exercise, NOT_ATTEMPTED_TEXT.format(exercise=exercise))


NOT_ATTEMPTED_TEXT = (
    "The {exercise} this kernel knows still raises NotImplementedError. Replace "
    "`raise NotImplementedError` with your code and RUN THAT CELL (Shift+Enter), then run this "
    "check again. Written it already? Then its cell has not been run since, or it has a "
    "SyntaxError, which keeps the old version.")


def check_function(student_fn, reference_fn, cases, *, exercise, why="", rtol=1e-6, atol=1e-9,
                   diagnose=None):
    """Run ``student_fn`` and ``reference_fn`` on every case and compare the outputs.

    Parameters
    ----------
    student_fn : the student's callable (anything: a checker never trusts it)
    reference_fn : mlbook's reference, same signature
    cases : list of :class:`Case`, easiest first (shapes and edge cases, then values)
    exercise : name shown in the result, e.g. ``"sigmoid_grad"``
    why : one line shown on success (why this matters)
    diagnose : optional ``diagnose(got, case) -> str | None``: recognises a *plausible* wrong
        answer (a missing factor, a sign) and returns a sentence naming the mistake.
    """
    if not callable(student_fn):
        return CheckResult(WRONG, exercise,
                           f"expected a function, got {type_name(student_fn)} — pass the function "
                           f"itself, without calling it: check(my_function), not check(my_function())")
    budget, printed = Budget(), []
    for case in cases:
        try:
            got, error = guarded_call(student_fn, case, budget=budget, printed=printed,
                                      exercise=exercise)
        except NotAttempted:
            return not_attempted(exercise)
        if error:
            return _with_printed(CheckResult(WRONG, exercise,
                                             f"On input {case.label}: your function {error}"), printed)
        expected = reference_fn(*_copy(case.args), **_copy(case.kwargs))
        problem = compare_output(got, expected, rtol=rtol, atol=atol)
        if problem:
            msg = f"On input {case.label}:\n{problem}"
            if diagnose is not None:
                try:
                    extra = diagnose(_plain(got) if isinstance(got, np.ndarray) else got, case)
                except Exception:  # noqa: BLE001
                    extra = None
                if extra:
                    msg += f"\nHint: {extra}"
            return _with_printed(CheckResult(WRONG, exercise, msg), printed)
    return _with_printed(CheckResult(CORRECT, exercise, why), printed)


def _with_printed(result, printed):
    """Append what the student's function printed (already capped) to ``result``'s message."""
    text = "".join(printed)
    if text:
        lines = text.splitlines()
        if len(text) > PRINT_LIMIT or len(lines) > PRINT_LINES:
            shown = "\n".join(lines[:PRINT_LINES])[:PRINT_LIMIT]
            text = shown + f"\n… ({len(text) - len(shown)} more characters not shown)"
        result.message = (result.message + "\nYour function printed:\n" + text).strip("\n")
    return result


def check_gradient(student_grad, f, points, *, exercise, why="", rtol=1e-5, atol=1e-7, eps=1e-6):
    """Compare ``student_grad(x)`` with central differences of the scalar ``f`` at each point.

    ``points`` is a list of float arrays (or :class:`Case` with one array argument).
    """
    from mlbook.gradcheck import numerical_gradient

    def numeric(x):
        x = np.array(x, dtype=float)
        return numerical_gradient(f, x, eps=eps)

    cases = [p if isinstance(p, Case) else Case(np.asarray(p, dtype=float)) for p in points]
    return check_function(student_grad, numeric, cases, exercise=exercise, why=why,
                          rtol=rtol, atol=atol)


# --------------------------------------------------------------------------------------------
# a cell that uses the student's function

class needs:
    """``with needs("train_epochs"):`` around the lines of a notebook cell that use functions the
    student writes in an exercise. While such a function still raises NotImplementedError (not
    written yet, or its cell not run since), the rest of the block is skipped and the cell shows
    ⏳ with what to write first, instead of stopping Run All with a red traceback; the cells
    below run. When the functions work, it changes nothing. Any other error propagates.
    """

    def __init__(self, *exercises):
        if not exercises or not all(isinstance(e, str) and e for e in exercises):
            raise ValueError("needs() takes the names of the exercises the cell uses, e.g. "
                             "needs(\"train_epochs\")")
        self.exercises = exercises

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None or not issubclass(exc_type, NotImplementedError):
            return False
        names = " and ".join(self.exercises)
        result = CheckResult(NOT_ATTEMPTED, names, (
            f"This cell uses your {names}, and the {names} this kernel knows still raises "
            f"NotImplementedError. Write it in its exercise cell above and run that cell, then "
            f"run this one again. The rest of this cell was skipped; the cells below do not "
            f"need it."))
        _show(result)
        return True


def _show(result):
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:                          # pragma: no cover - IPython is a dependency
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(result)
    else:
        print(result)


# --------------------------------------------------------------------------------------------
# hints

HINTS = {}


def register_hints(hints):
    """Add ``{"exercise-name": ["hint 1", "hint 2", ...]}`` to the registry."""
    for name, texts in hints.items():
        if not texts or not all(isinstance(t, str) for t in texts):
            raise ValueError(f"hints for {name!r} must be a non-empty list of strings")
        HINTS[name] = list(texts)


class _Hint:
    def __init__(self, text):
        self.text = text

    def __str__(self):
        return self.text

    __repr__ = __str__

    def _repr_markdown_(self):
        return self.text


_WITHHELD = {"everything": False, "hints": {}}


def withhold_hints(withheld=None, *, everything=False):
    """Graded release: ``hint()`` shows none of ``withheld`` (``{exercise: [hint numbers]}``, the
    hints that contain an answer's code), or no hint at all with ``everything=True``. The
    release's first, locked cell calls this (mlbook.grading.release)."""
    _WITHHELD["everything"] = bool(everything)
    _WITHHELD["hints"] = {name: set(nums) for name, nums in (withheld or {}).items()}


def hint(exercise, n=1):
    """Show hint ``n`` (1-based) for ``exercise`` and say whether there are more."""
    if _WITHHELD["everything"]:
        return _Hint("Hints are not shown in this graded release.")
    if exercise not in HINTS:
        known = ", ".join(sorted(HINTS)) or "(none registered)"
        return _Hint(f"No hints for {exercise!r}. Exercises with hints: {known}")
    texts = HINTS[exercise]
    if not isinstance(n, int) or not 1 <= n <= len(texts):
        return _Hint(f"{exercise!r} has hints 1 to {len(texts)}; you asked for {n!r}.")
    if n in _WITHHELD["hints"].get(exercise, ()):
        return _Hint(f"Hint {n} of {len(texts)} for {exercise!r} is not shown in this graded "
                     f"release: it contains the answer's code.")
    more = (f"(hint {n} of {len(texts)} — `hint({exercise!r}, {n + 1})` for the next)"
            if n < len(texts) else f"(hint {n} of {len(texts)} — that was the last one)")
    return _Hint(f"💡 {texts[n - 1]}\n\n{more}")
