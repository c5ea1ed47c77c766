#!/usr/bin/env python3
"""The TEN agent's drain step (Python 3.10, standard library only: the runtime image has no pip).

TEN's agent server keeps its sessions in memory and cannot be told to drain, so a replica that is
being replaced must (1) tell the Jitsi agent bridge to place no new room on it and (2) wait for its
live sessions to end, or for a limit to pass, before the server is stopped.

    python3 ten_drain.py drain            Kubernetes' preStop hook; also what `run` does on SIGTERM
    python3 ten_drain.py run -- CMD...    the image's ENTRYPOINT: Compose and Railway have no preStop

(1) is a Redis key the bridge reads before it places a room on a replica:
`<VOICE_TIER_KEY_PREFIX>ten:<REPLICA_NAME>:draining` = {"since": "<ISO time>", "sessions": n}, set
with a 30 s expiry and refreshed every 5 s while draining, so a drain that dies clears itself.
(2) is a poll of the server's GET /list every 2 s. See services/ten-agent/README.md, "Draining".
"""

import datetime
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

SERVICE = "ten-agent-drain"
MARK_TTL_SECONDS = 30
MARK_REFRESH_SECONDS = 5
LIST_POLL_SECONDS = 2
HEALTH_POLL_SECONDS = 1
HEALTH_GIVE_UP_SECONDS = 120
HTTP_TIMEOUT_SECONDS = 2
REDIS_TIMEOUT_SECONDS = 3
USAGE = "usage: ten_drain.py drain | ten_drain.py run -- <command> [args...]"

_log_lock = threading.Lock()
_replica = None  # set by main() from the configuration, for every log line


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def log(level, msg, sessions=None):
    """One JSON line on stdout. Never pass it REDIS_URL or anything holding its password."""
    line = json.dumps({"time": now_iso(), "level": level, "service": SERVICE, "replica": _replica, "msg": msg, "sessions": sessions})
    with _log_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def plural(n):
    return f"{n} session" if n == 1 else f"{n} sessions"


def setting(environ, name, default, parse, valid):
    text = environ.get(name) or default
    try:
        value = parse(text)
    except ValueError:
        value = None
    if value is None or not valid(value):
        raise ValueError(f"{name} is {text!r}, which is not {'a TCP port' if parse is int else 'a number of seconds >= 0'}")
    return value


class Config:
    def __init__(self, environ):
        self.replica = environ.get("REPLICA_NAME") or socket.gethostname()
        self.redis_url = environ.get("REDIS_URL") or None
        self.key = f"{environ.get('VOICE_TIER_KEY_PREFIX', 'voice-tier:')}ten:{self.replica}:draining"
        self.timeout = setting(environ, "DRAIN_TIMEOUT_SECONDS", "1800", float, lambda seconds: seconds >= 0)
        self.server_port = setting(environ, "SERVER_PORT", "8080", int, lambda port: 0 < port < 65536)

    def server_url(self, path):
        return f"http://127.0.0.1:{self.server_port}{path}"


class RedisError(Exception):
    """An error reply from Redis (its text never holds the password)."""


class Redis:
    """Just enough RESP for the mark: one short connection per command, with AUTH and SELECT first."""

    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ValueError("it is not a redis:// or rediss:// URL")
        try:
            self.host = parts.hostname or "localhost"
            self.port = parts.port or 6379
            db = parts.path.strip("/")
            self.db = int(db) if db else None
        except ValueError:
            # Not the parser's own text: with an unescaped "/" or "#" in the password, it quotes part of it.
            raise ValueError("its port or database number is not a number") from None
        self.tls = parts.scheme == "rediss"
        self.username = urllib.parse.unquote(parts.username) if parts.username else None
        self.password = urllib.parse.unquote(parts.password) if parts.password is not None else None
        # What logs may name: never the user, the password or the rest of the URL.
        self.address = f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def command(self, *args):
        sock = socket.create_connection((self.host, self.port), timeout=REDIS_TIMEOUT_SECONDS)
        try:
            if self.tls:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
            replies = sock.makefile("rb")
            if self.password is not None:
                self._call(sock, replies, ["AUTH", self.username, self.password] if self.username else ["AUTH", self.password])
            if self.db:
                self._call(sock, replies, ["SELECT", str(self.db)])
            return self._call(sock, replies, list(args))
        finally:
            sock.close()

    @staticmethod
    def _call(sock, replies, args):
        words = [str(arg).encode() for arg in args]
        sock.sendall(f"*{len(words)}\r\n".encode() + b"".join(b"$%d\r\n%s\r\n" % (len(word), word) for word in words))
        line = replies.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("Redis closed the connection")
        kind, rest = line[:1], line[1:-2].decode()
        if kind == b"-":
            raise RedisError(rest)
        if kind in (b"+", b":"):
            return rest
        if kind == b"$":
            return None if int(rest) < 0 else replies.read(int(rest) + 2)[:-2].decode()
        raise RedisError(f"unexpected reply type {kind!r}")


class Mark:
    """This replica's draining mark. Without Redis (no REDIS_URL, or it is down) the drain still waits."""

    def __init__(self, config):
        self.key = config.key
        self.redis = None
        self.failing = False
        if config.redis_url is None:
            log("warn", "REDIS_URL is not set: no draining mark is written, so the bridge may still place rooms here; the drain only waits")
            return
        try:
            self.redis = Redis(config.redis_url)
        except ValueError as error:
            log("warn", f"REDIS_URL cannot be used ({error}): no draining mark is written, so the bridge may still place rooms here; the drain only waits")

    def set(self, since, sessions):
        value = json.dumps({"since": since, "sessions": sessions})
        return self._do(f"set the mark {self.key}", "SET", self.key, value, "EX", MARK_TTL_SECONDS)

    def clear(self):
        return self._do(f"delete the leftover mark {self.key}", "DEL", self.key)

    def _do(self, what, *args):
        """True when Redis did it. A failure is logged once until Redis answers again; the caller retries."""
        if self.redis is None:
            return False
        try:
            self.redis.command(*args)
        except Exception as error:  # noqa: BLE001 - no Redis failure may stop a drain
            if not self.failing:
                log("warn", f"Redis at {self.redis.address} did not {what} ({type(error).__name__}: {error}); will retry")
            self.failing = True
            return False
        if self.failing:
            log("info", f"Redis at {self.redis.address} answers again: did {what}")
        self.failing = False
        return True


# Answers of running_sessions() other than a list of channel names.
UNREACHABLE = "unreachable"


def http_get(url):
    # No proxy: an HTTP(S)_PROXY in the environment must not carry a call to 127.0.0.1.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=HTTP_TIMEOUT_SECONDS) as response:
        return response.status, response.read()


def running_sessions(config):
    """The channel names TEN runs now; UNREACHABLE when nothing answers; a str saying why on a bad answer.

    TEN's /list answers {"code":"0","data":[...],"msg":...}, where data holds n nulls followed by
    the n sessions (the Go handler makes a slice of length n, then appends), so nulls are skipped.
    """
    try:
        status, body = http_get(config.server_url("/list"))
    except urllib.error.HTTPError as error:
        return f"GET /list answered HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, (socket.timeout, TimeoutError)):
            # It accepted the connection: the server runs, and so may its sessions.
            return f"GET /list did not answer within {HTTP_TIMEOUT_SECONDS} s"
        return UNREACHABLE
    try:
        answer = json.loads(body)
        if answer.get("code") != "0":
            return f"GET /list answered code {answer.get('code')!r}"
        return [str(entry.get("channelName")) for entry in answer.get("data") or [] if entry is not None]
    except (ValueError, AttributeError, TypeError):
        return f"GET /list answered HTTP {status} with an unexpected body"


def drain(config, mark):
    """Mark the replica and wait until TEN runs no session (0) or the limit passes (1)."""
    started = time.monotonic()
    deadline = started + config.timeout
    since = now_iso()
    poll_at = refresh_at = started
    known = None  # the last list of sessions read
    reported = None  # what the last progress line said
    marking = f"marking {mark.key} and " if mark.redis is not None else ""
    log("info", f"draining: {marking}waiting for TEN's sessions to end (limit {config.timeout:g} s)")
    while True:
        now = time.monotonic()
        if now >= poll_at or now >= deadline:
            answer = running_sessions(config)
            poll_at = now + LIST_POLL_SECONDS
            if answer == UNREACHABLE:
                log("info", f"the agent server does not answer on 127.0.0.1:{config.server_port}: no session is left to wait for", 0)
                answer = []
            if isinstance(answer, list):
                known = answer
            if answer != reported:
                reported = answer
                if isinstance(answer, str):
                    log("warn", f"{answer}; still waiting", None if known is None else len(known))
                elif answer:
                    log("info", f"{plural(len(answer))} left: {', '.join(answer)}", len(answer))
            if answer == []:
                # Set once more: the server is about to stop, so no bridge may place a room here now.
                mark.set(since, 0)
                log("info", f"drained after {time.monotonic() - started:.1f} s: no session left", 0)
                return 0
        if now >= refresh_at:
            mark.set(since, None if known is None else len(known))
            refresh_at = now + MARK_REFRESH_SECONDS
        if now >= deadline:
            left = known or []
            names = ", ".join(left) if left else "unknown (GET /list gave no list)"
            log("error", f"the drain limit of {config.timeout:g} s passed with sessions still running: {names}", len(left))
            return 1
        time.sleep(max(0.0, min(poll_at, refresh_at, deadline) - time.monotonic()))


class Supervisor:
    """`run`: the agent server as a child; SIGTERM drains before it is passed on; SIGINT goes straight to it."""

    def __init__(self, config, command):
        self.config = config
        self.command = command
        self.mark = Mark(config)
        # Set by the SIGTERM handler. A plain flag: a handler that took a lock (threading.Event,
        # the log's) could deadlock against the main thread it interrupts.
        self.terminating = False
        self.lock = threading.Lock()
        self.draining = False
        self.child = None

    def main(self):
        signal.signal(signal.SIGTERM, self.on_sigterm)
        signal.signal(signal.SIGINT, lambda *_: self.signal_child(signal.SIGINT))
        try:
            self.child = subprocess.Popen(self.command)
        except OSError as error:
            log("error", f"cannot start {self.command[0]}: {error}")
            return 127
        log("info", f"started {' '.join(self.command)} (pid {self.child.pid}); SIGTERM drains it before it stops")
        if self.mark.redis is not None:
            threading.Thread(target=self.clear_leftover_mark, daemon=True).start()
        while not self.terminating:
            code = self.reap()
            if code is not None:
                log("info", f"the agent server exited by itself with code {code}")
                return code
            time.sleep(0.2)
        with self.lock:
            self.draining = True
        log("info", "SIGTERM: draining before the agent server gets SIGTERM")
        drained = drain(self.config, self.mark)
        self.signal_child(signal.SIGTERM)
        code = self.reap()
        while code is None:
            time.sleep(0.1)
            code = self.reap()
        outcome = "drained" if drained == 0 else "the drain limit passed"
        log("info" if drained == 0 else "warn", f"{outcome}; the agent server exited with code {code}")
        return code

    def on_sigterm(self, *_):
        self.terminating = True

    def signal_child(self, signum):
        if self.child is not None and self.child.returncode is None:
            try:
                os.kill(self.child.pid, signum)
            except ProcessLookupError:
                pass

    def reap(self):
        """The child's exit code once it has exited (128 + n for signal n). As PID 1 in the image it
        also reaps orphans: TEN's workers are re-parented to it when the server dies before them."""
        while self.child.returncode is None:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid == self.child.pid:
                self.child.returncode = os.waitstatus_to_exitcode(status)
        code = self.child.returncode
        return None if code is None else (128 - code if code < 0 else code)

    def clear_leftover_mark(self):
        """A previous instance of this replica name left its mark (it expires after 30 s); delete it
        as soon as the server answers /health, so a replaced replica takes rooms at once."""
        give_up = time.monotonic() + HEALTH_GIVE_UP_SECONDS
        while time.monotonic() < give_up and not self.terminating:
            try:
                healthy = http_get(self.config.server_url("/health"))[0] == 200
            except (urllib.error.URLError, OSError):
                healthy = False
            if healthy:
                with self.lock:
                    if self.draining:
                        return
                    if self.mark.clear():
                        log("info", f"the agent server is healthy: deleted any leftover mark {self.mark.key}; rooms may be placed here")
                        return
            time.sleep(HEALTH_POLL_SECONDS)
        if not self.terminating:
            log("warn", f"the agent server did not become healthy (or Redis did not answer) within {HEALTH_GIVE_UP_SECONDS} s; a leftover mark stays until it expires")


def main(argv):
    global _replica
    if len(argv) < 2 or argv[1] not in ("drain", "run"):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        config = Config(os.environ)
    except ValueError as error:
        _replica = os.environ.get("REPLICA_NAME") or socket.gethostname()
        log("error", f"cannot start: {error}")
        return 2
    _replica = config.replica
    if argv[1] == "drain":
        if len(argv) != 2:
            print(USAGE, file=sys.stderr)
            return 2
        return drain(config, Mark(config))
    command = argv[3:] if argv[2:3] == ["--"] else argv[2:]
    if not command:
        print(USAGE, file=sys.stderr)
        return 2
    unset = missing_variables(os.environ)
    if unset:
        log("error", f"cannot start: {' and '.join(unset)} {'is' if len(unset) == 1 else 'are'} empty or unset, and the voice graph needs "
            f"{'it' if len(unset) == 1 else 'them'} (docker compose: fill {'it' if len(unset) == 1 else 'them'} in the .env beside the "
            "Compose file, see .env.example; Kubernetes and Railway: the environment's Doppler config)")
        return 2
    return Supervisor(config, command).main()


def missing_variables(environ):
    """The names REQUIRED_VARIABLES lists (comma-separated: the vendor keys the graph reads) that are
    empty or unset. Compose renders those keys with an empty default, so that the core of the stack
    runs without them; this says which are missing before TEN fails on its first session."""
    names = [name.strip() for name in environ.get("REQUIRED_VARIABLES", "").split(",") if name.strip()]
    return [name for name in names if not environ.get(name)]


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except KeyboardInterrupt:
        sys.exit(130)
