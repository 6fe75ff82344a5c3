"""The solution markers of the course's notebooks, read in one place.

In a solution notebook the student's part of a code cell sits between two marker lines,
``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's own markers). :func:`strip_solutions`
replaces each region by :data:`STUB`; :data:`MARKER` finds a marker line and :data:`NEAR_MARKER`
anything that looks like one (``# BEGIN SOLUTION``, ``### begin solution``, ``### BEGIN
SOLUTIONS`` ...), so that a near miss is an error instead of a solution left in a student's copy.
Used by :mod:`mlbook.student` (the self-study copies) and :mod:`mlbook.grading.release` (the
graded release).
"""
import re

__all__ = ["BEGIN", "END", "STUB", "MARKER", "NEAR_MARKER", "MarkerError", "strip_solutions"]

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = 'raise NotImplementedError("exercise")'
MARKER = re.compile(r"^[ \t]*###[ \t]*(BEGIN|END)[ \t]+SOLUTION\b", re.M)
# anything that looks like a marker: any number of #, any case, SOLUTION or SOLUTIONS, _ or -
NEAR_MARKER = re.compile(r"^[ \t]*#+[ \t]*(begin|end)[ \t_-]*solutions?\b", re.M | re.I)


class MarkerError(ValueError):
    """A BEGIN/END SOLUTION marker is misplaced; the message names notebook and cell."""


def strip_solutions(source, where="cell"):
    """Return ``source`` with each BEGIN..END SOLUTION region replaced by the stub line.

    ``where`` names the place in error messages. Raises :class:`MarkerError` for BEGIN without
    END, END without BEGIN and a BEGIN inside a region.
    """
    out, inside, begin_line = [], False, None
    for n, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if stripped == BEGIN or stripped.startswith(BEGIN + " "):
            if inside:
                raise MarkerError(f"{where}, line {n}: nested '{BEGIN}' (the one on line "
                                  f"{begin_line} is not closed yet)")
            inside, begin_line = True, n
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + STUB)
        elif stripped == END or stripped.startswith(END + " "):
            if not inside:
                raise MarkerError(f"{where}, line {n}: '{END}' without a '{BEGIN}' before it")
            inside = False
        elif MARKER.match(line) or NEAR_MARKER.match(line):
            raise MarkerError(f"{where}, line {n}: malformed marker {stripped!r}; "
                              f"write exactly '{BEGIN}' or '{END}'")
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{where}, line {begin_line}: '{BEGIN}' without a matching '{END}'")
    return "\n".join(out)
