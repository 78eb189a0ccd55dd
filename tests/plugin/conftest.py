"""project/ is a separate pytest project that test_plugin.py runs in a subprocess;
the suite itself must not collect it."""

collect_ignore = ["project"]
