#!/usr/bin/env python3
"""Runs the agent server with TEN's metrics collector beside it (Python 3.10, standard library only).

    python3 with_collector.py -- CMD...

TEN's workers push their metrics over OTLP to an OpenTelemetry Collector in this container, which
serves them to Prometheus on the metrics port (see otelcol.yaml). This starts that collector, then
CMD (the agent server), and:

- restarts the collector whenever it exits, after 1 s, doubling up to 60 s while it keeps failing
  within a minute of starting: metrics must never take voice sessions down, so a collector that
  fails is only reported (and its scrape target goes down, which the alerts see);
- passes SIGTERM and SIGINT to CMD (the drain step in front of this has already drained);
- when CMD exits, stops the collector (SIGTERM, then SIGKILL after 5 s) and exits with CMD's code
  (128 + n for signal n).

OTELCOL_BIN and OTELCOL_CONFIG name the collector and its configuration (the image's by default).
"""

import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import time

SERVICE = "ten-agent-telemetry"
DEFAULT_BIN = "/usr/local/bin/otelcol"
DEFAULT_CONFIG = "/app/telemetry/otelcol.yaml"
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
# A collector that ran this long before it exited failed afresh: its next restart waits FIRST_BACKOFF_SECONDS.
STABLE_SECONDS = 60.0
STOP_GRACE_SECONDS = 5.0
POLL_SECONDS = 0.2
USAGE = "usage: with_collector.py -- <command> [args...]"

_replica = os.environ.get("REPLICA_NAME") or socket.gethostname()


def log(level, msg):
    """One JSON line on stdout, with the fields every service of the stack logs."""
    line = json.dumps({
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "level": level,
        "service": SERVICE,
        "replica": _replica,
        "msg": msg,
    })
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def exit_code(returncode):
    return 128 - returncode if returncode < 0 else returncode


class Collector:
    """The collector process: started, restarted with backoff, stopped."""

    def __init__(self, binary, config):
        self.command = [binary, f"--config={config}"]
        self.process = None
        self.started_at = 0.0
        self.backoff = FIRST_BACKOFF_SECONDS
        self.next_start = 0.0
        # A collector that cannot be executed at all (missing from the image) is not retried.
        self.given_up = False

    def start(self):
        try:
            self.process = subprocess.Popen(self.command)
        except OSError as error:
            log("error", f"cannot start the metrics collector {self.command[0]}: {error}; TEN's metrics will be missing")
            self.given_up = True
            return
        self.started_at = time.monotonic()
        log("info", f"started the metrics collector (pid {self.process.pid})")

    def tend(self):
        """Restarts the collector when it is due; call it often."""
        if self.given_up:
            return
        now = time.monotonic()
        if self.process is None:
            if now >= self.next_start:
                self.start()
            return
        code = self.process.poll()
        if code is None:
            return
        ran = now - self.started_at
        if ran >= STABLE_SECONDS:
            self.backoff = FIRST_BACKOFF_SECONDS
        log("warn", f"the metrics collector exited with code {exit_code(code)} after {ran:.1f} s; restarting it in {self.backoff:g} s")
        self.process = None
        self.next_start = now + self.backoff
        self.backoff = min(self.backoff * 2, MAX_BACKOFF_SECONDS)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            log("warn", f"the metrics collector did not stop within {STOP_GRACE_SECONDS:g} s of SIGTERM; killing it")
            self.process.kill()
            self.process.wait()


def main(argv):
    command = argv[2:] if argv[1:2] == ["--"] else argv[1:]
    if not command:
        print(USAGE, file=sys.stderr)
        return 2
    collector = Collector(os.environ.get("OTELCOL_BIN") or DEFAULT_BIN, os.environ.get("OTELCOL_CONFIG") or DEFAULT_CONFIG)
    collector.start()
    try:
        child = subprocess.Popen(command)
    except OSError as error:
        log("error", f"cannot start {command[0]}: {error}")
        collector.stop()
        return 127

    def forward(signum, _frame):
        if child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while child.poll() is None:
        collector.tend()
        time.sleep(POLL_SECONDS)
    collector.stop()
    return exit_code(child.returncode)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
