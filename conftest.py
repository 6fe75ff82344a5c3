"""Repository-wide pytest setup.

One BLAS thread for the test run and for the notebook kernels nbval starts (they inherit this
environment): results do not depend on thread scheduling, so committed notebook outputs are
reproducible to the last printed digit, and the course's small matrix products are not slowed
down by thread start-up on a 2-core machine. tools/execute_notebooks.py uses the same setting.
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


import pytest


@pytest.fixture
def no_delegation_rule(monkeypatch):
    """Checks without the delegation rule (mlbook.checks.core.EXERCISES emptied): for tests of a
    checker's comparisons and named slips that use mlbook's implementation as the 'student'
    answer, or build a wrong answer on top of it. The rule itself: tests/test_delegation.py."""
    import mlbook.checks.core as core
    monkeypatch.setattr(core, "EXERCISES", {})
