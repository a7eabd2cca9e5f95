"""Runs many `openstack` commands in one Python process, for the test suite.

/usr/bin/openstack spends ~1.5 s of CPU importing its plugins before each
command; the suite runs a few hundred. This process imports them once and
then calls openstackclient.shell.main(argv), what /usr/bin/openstack itself
calls, once per request, each with a fresh shell, environment and output.

Protocol: one JSON object per line on stdin, {"argv": [...], "env": {...}};
one line per request on stdout, RESULT_MARK followed by
{"stdout": ..., "stderr": ..., "code": ...}. Other stdout lines are noise
from libraries writing to the real stdout and are ignored by the reader.
"""
import contextlib
import io
import json
import logging
import os
import sys

from osc_lib.clientmanager import ClientCache
from openstackclient import shell
from openstackclient.common import clientmanager

RESULT_MARK = "\x1eosc-result "


def forget_clients():
    """osc-lib caches each API client on the ClientManager class itself (a
    descriptor): drop them, or the next command reuses this one's login."""
    for cls in clientmanager.ClientManager.__mro__:
        for attr in vars(cls).values():
            if isinstance(attr, ClientCache):
                attr._handle = None


def run_one(argv, env):
    forget_clients()
    os.environ.clear()
    os.environ.update(env)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = shell.main(list(argv))
            # a few commands hand back their data (`federation protocol set` a zip) instead of a status
            code = rc if isinstance(rc, int) else 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException as exc:  # the CLI's own crash, reported as a failed command
            err.write("%s: %s\n" % (type(exc).__name__, exc))
            code = 1
    return {"stdout": out.getvalue(), "stderr": err.getvalue(), "code": code}


def main():
    real_stdout = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        result = run_one(request["argv"], request.get("env", {}))
        real_stdout.write(RESULT_MARK + json.dumps(result) + "\n")
        real_stdout.flush()


if __name__ == "__main__":
    main()
