"""nbgrader's exchange for the course, shared by every server on the hub.

Installed as ``/etc/jupyter/nbgrader_config.py`` (deploy/README.md, step 2), so the
instructor's commands and every student's Assignments tab (fetch, submit) see the same course
and the same exchange folder. The instructor's course folder adds its own nbgrader_config.py
(written by ``python deploy/setup_course.py``) with the same course_id.
"""
c = get_config()  # noqa: F821

COURSE_ID = "mlbook"
c.CourseDirectory.course_id = COURSE_ID
# world-writable with the sticky bit (1777): students write their submissions into
# <root>/mlbook/inbound, only the instructor can release to <root>/mlbook/outbound
c.Exchange.root = "/srv/nbgrader/exchange"
# every submission keeps a random suffix: two submissions in the same second do not collide
c.ExchangeSubmit.add_random_string = True
