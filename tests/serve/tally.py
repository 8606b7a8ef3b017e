"""Counting checks for the reading room's Python tests (browser.py,
abuse.py): check(desc, cond) counts, and reports a failure on stderr;
finish(name) prints "name: N passed, M failed" (the line tests/run.sh adds
up) and exits non-zero when any check failed."""
import os
import sys

_passed = _failed = 0


def check(desc, cond):
    global _passed, _failed
    if cond:
        _passed += 1
    else:
        _failed += 1
        print("%s: FAILED: %s" % (os.path.basename(sys.argv[0]), desc), file=sys.stderr)
    return cond


def finish(name):
    print("%s: %d passed, %d failed" % (name, _passed, _failed))
    sys.exit(1 if _failed else 0)
