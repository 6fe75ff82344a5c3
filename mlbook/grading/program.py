"""What one exercise's check needs from a submission: the program sent to the grading worker.

Grading does not run the notebook. For the test cell ``check-dense_backward`` it runs

* the **context**: the top-level statements of the instructor's own notebook (``source/``, never
  the submission's copy) that the check needs, found by name: ``check_dense_backward`` comes from
  ``from mlbook.checks import ...``, the student's function uses ``np`` and ``sigmoid``, which
  come from the import cell, and so on; demonstrations, plots and trainings that the check does
  not need are left out;
* the **student's definitions**: from each of the submission's solution cells (matched by
  nbgrader's ``grade_id``) only the ``def``, ``class`` and ``import`` statements, and only those
  the check needs. Code at the top level of a solution cell (``os._exit(0)``, a loop, a print
  flood) does not run; a syntax error costs the exercise that needs the cell.

:func:`build_programs` returns one :class:`Program` per test cell.
"""
import ast
import re
import symtable

CHECK_CALL = re.compile(r"^result = (check_\w+\(.*\))\s*$", re.M)
_KEEP_STUDENT = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def _text(cell):
    src = cell.get("source", "")
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def check_call(test_cell_source):
    """The ``check_x(...)`` expression of a generated test cell, or None."""
    m = CHECK_CALL.search(test_cell_source)
    return m.group(1) if m else None


class _Statement:
    def __init__(self, who, node, code, cell_id):
        self.who, self.code, self.cell_id = who, code, cell_id
        self.is_class = isinstance(node, ast.ClassDef)
        self.is_def = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        self.defines, self.star = _defined(node)
        self.uses = free_names(code)
        # a full redefinition hides every earlier definition of its names
        self.replaces = isinstance(node, _KEEP_STUDENT) or (
            isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets))


def free_names(code):
    """Global names that ``code`` (one statement) reads: at the top level, and the free names of
    its functions and classes (their parameters and locals are not globals)."""
    names = set()

    def walk(table):
        for sym in table.get_symbols():
            if not sym.is_referenced():
                continue
            if table.get_type() == "module" or sym.is_global() or sym.is_declared_global():
                names.add(sym.get_name())
        for child in table.get_children():
            walk(child)

    walk(symtable.symtable(code, "<statement>", "exec"))
    return names


def _defined(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}, False
    if isinstance(node, ast.Import):
        return {(a.asname or a.name.split(".")[0]) for a in node.names}, False
    if isinstance(node, ast.ImportFrom):
        star = any(a.name == "*" for a in node.names)
        return {(a.asname or a.name) for a in node.names if a.name != "*"}, star
    names = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
    return names, False


def _strip_magics(text):
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in text.split("\n"))


def _statements(who, text, cell_id, keep=None):
    tree = ast.parse(_strip_magics(text))
    lines = _strip_magics(text).split("\n")
    out = []
    for node in tree.body:
        if keep is not None and not isinstance(node, keep):
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        code = "\n".join(lines[start - 1:node.end_lineno])
        out.append(_Statement(who, node, code, cell_id))
    return out


class Program:
    """One test cell's grading job.

    ``grade_id``, ``exercise`` (``check_x`` without ``check_``), ``check`` (the call),
    ``statements`` (``[{"who": "context"|"student", "code": ...}]`` in notebook order),
    ``student_names``, ``in_process`` (the check is given a class the student wrote: its
    checker uses it through its drivers, see :func:`mlbook.checks.core.driver`),
    ``reference`` (the instructor's definitions of the same names) and ``problem`` (a reason to
    give 0 without running anything: the exercise's own cell is missing or does not parse).
    """

    def __init__(self, grade_id, check):
        self.grade_id, self.check = grade_id, check
        self.exercise = check.split("(", 1)[0][len("check_"):]
        self.statements, self.student_names, self.reference = [], [], []
        self.in_process, self.problem = False, None

    def message(self, memory_bytes=0, time_budget=None, deadline=None):
        return {"exercise": self.exercise, "check": self.check, "statements": self.statements,
                "student_names": self.student_names, "in_process": self.in_process,
                "memory_bytes": memory_bytes, "time_budget": time_budget, "deadline": deadline}


def build_programs(source_nb, submitted_nb):
    """``{grade_id: Program}`` for every test cell of ``source_nb`` (the instructor's notebook),
    with the student's definitions taken from ``submitted_nb`` (a notebook dict)."""
    submitted = {}
    for cell in submitted_nb.get("cells", []):
        meta = _nbgrader(cell)
        if cell.get("cell_type") == "code" and meta.get("solution") and meta.get("grade_id"):
            submitted.setdefault(meta["grade_id"], _text(cell) if isinstance(
                cell.get("source", ""), (str, list)) else "")
    statements, broken, references, own_cell = [], {}, {}, {}
    programs = {}
    for cell in source_nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        meta, text = _nbgrader(cell), _text(cell)
        gid = meta.get("grade_id")
        if meta.get("solution"):
            references[gid] = _statements("reference", text, gid, keep=_KEEP_STUDENT)
            for s in references[gid]:
                own_cell.setdefault(gid, set()).update(s.defines)
            if gid not in submitted:
                broken[gid] = f"the solution cell {gid!r} is missing from the submission"
                continue
            try:
                mine = _statements("student", submitted[gid], gid, keep=_KEEP_STUDENT)
                # a student's own check_* never stands in for mlbook's checker
                statements += [s for s in mine if not any(n.startswith("check_") for n in s.defines)]
            except SyntaxError as exc:
                broken[gid] = (f"the solution cell {gid!r} has a syntax error (line {exc.lineno}: "
                               f"{exc.msg}) — it must at least run")
        elif meta.get("grade") and check_call(text):
            program = Program(gid, check_call(text))
            _slice(program, statements, references, broken, own_cell)
            programs[gid] = program
        else:
            try:
                statements += _statements("context", text, None)
            except SyntaxError:
                pass                       # a cell that is not plain Python is no context
    return programs


def _slice(program, statements, references, broken, own_cell):
    call = ast.parse(program.check, mode="eval")
    needed = {n.id for n in ast.walk(call) if isinstance(n, ast.Name)}
    for gid, names in own_cell.items():
        if gid in broken and names & needed:
            program.problem = broken[gid]
            return
    chosen = []
    for stmt in reversed(statements):
        if stmt.star or stmt.defines & needed:
            chosen.append(stmt)
            if stmt.replaces:
                needed -= stmt.defines
            needed |= stmt.uses
    chosen.reverse()
    program.statements = [{"who": s.who, "code": s.code} for s in chosen]
    student = [s for s in chosen if s.who == "student"]
    program.student_names = sorted({n for s in student for n in s.defines})
    args = {n.id for n in ast.walk(call) if isinstance(n, ast.Name)}
    program.in_process = any(s.is_class and s.defines & args for s in student)
    # every solution cell so far: the instructor's definitions of what the student's use
    program.reference = [s.code for stmts in references.values() for s in stmts]
