"""Graded use of the course with nbgrader: a release without answers, grading nobody's cells can fool.

* :mod:`mlbook.grading.release` — the nbgrader course source (``python -m mlbook.student
  --nbgrader DIR``): solution and test cells, answer hints withheld, the course configuration;
* :mod:`mlbook.grading.program` — what one exercise's check needs from a submitted notebook: the
  trusted context statements and the student's own definitions;
* :mod:`mlbook.grading.sandbox` — runs one check in a sandbox (bubblewrap, as an unprivileged
  user, only the Python installation and a copy of the mlbook package visible) under time and
  memory limits, and returns its verdict;
* :mod:`mlbook.grading.worker` — the code that runs inside the sandbox;
* :mod:`mlbook.grading.nbgrader_plugins` — the autograde preprocessor that puts those verdicts
  in the test cells (instead of executing the notebook in a kernel), the per-exercise export and
  the failure report.
"""
