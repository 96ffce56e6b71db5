"""Keep a bridge running on a FastAGI socket bound once.

    python -m tvcc.keeper --listen 127.0.0.1:4573 -- python -m telephony ...

Binds the FastAGI address, starts the command with the listening socket
(telephony/listen.py: TVCC_FASTAGI_FD and pass_fds) and starts it again
when it dies, so the port is never free for another process while the
bridge restarts (the requests made meanwhile wait in the socket's backlog
for the next bridge). An exit with code 2 or 3 (the bridge cannot start: a
configuration error it has named) is not retried, nor a bridge that keeps
dying: the keeper then exits with the bridge's code, and the socket closes
(Asterisk's dialplan then falls back to the default queue at once).

``make run`` (tvcc/supervisor.py) keeps its bridge the same way, with the
same Restarts policy; systemd does it with docker/systemd/tvcc-bridge.socket.
The bridge's output goes to the keeper's.
"""
import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time

from telephony import listen

# The bridge's own verdicts: cannot start (2), stopped on an error it
# explained (3, e.g. the AMI secret refused). Restarting would not help.
FINAL_CODES = frozenset({2, 3})


def say(message):
    print(f'[keeper] {message}', flush=True)


def _pdeathsig():
    "The child gets SIGTERM when its supervisor dies (even by SIGKILL)"
    with contextlib.suppress(Exception):
        ctypes.CDLL('libc.so.6').prctl(1, signal.SIGTERM)


def parse_address(text):
    host, sep, port = text.rpartition(':')
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f'{text!r} is not HOST:PORT')
    return host.strip('[]') or '127.0.0.1', int(port)


class Restarts:
    """When to start a dead bridge again: after 1, 2, 4 ... 30 s; not at all
    after `limit` deaths within `window` seconds, or a final exit code"""

    def __init__(self, limit=5, window=120.0, initial=1.0, maximum=30.0):
        self.limit = limit
        self.window = window
        self.initial = initial
        self.maximum = maximum
        self.deaths = []

    def delay(self, code, now):
        "Seconds to wait before the restart, or None: do not restart"
        if code in FINAL_CODES:
            return None
        self.deaths = [t for t in self.deaths if t > now - self.window]
        self.deaths.append(now)
        if len(self.deaths) > self.limit:
            return None
        return min(self.initial * 2 ** (len(self.deaths) - 1), self.maximum)


def popen_with_socket(cmd, sock, env=None, **kwargs):
    "Start cmd with the listening socket handed over"
    return subprocess.Popen(cmd, pass_fds=[sock.fileno()],
        env={**(os.environ if env is None else env),
            **listen.child_env(sock)},
        preexec_fn=_pdeathsig, **kwargs)


def describe(code):
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f'killed by {signal.Signals(-code).name}'
    return f'exited with code {code}'


def keep(cmd, host, port, restarts=None):
    "Run cmd on host:port until SIGTERM/SIGINT or a final exit; return code"
    try:
        sock = listen.bind(host, port)
    except OSError as error:
        say(f'ERROR: cannot listen on {host}:{port} for FastAGI: '
            f'{error.strerror}. Another bridge (or another process) has the '
            'port: stop it.')
        return 2
    restarts = restarts or Restarts()
    stopping = False
    child = None

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True
        if child and child.poll() is None:
            child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    say(f'holding FastAGI {host}:{port} for the bridge')
    code = 0
    try:
        while not stopping:
            child = popen_with_socket(cmd, sock, stdin=subprocess.DEVNULL)
            say(f'bridge started (pid {child.pid})')
            code = child.wait()
            if stopping:
                break
            delay = restarts.delay(code, time.monotonic())
            if delay is None:
                say(f'bridge {describe(code)}: not restarting it')
                break
            say(f'bridge {describe(code)}: restarting it in {delay:.0f} s '
                f'(port {port} stays held)')
            deadline = time.monotonic() + delay
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        if child and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                code = child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
                code = child.wait()
        sock.close()
    say('stopped')
    return code if code and code > 0 else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--listen', required=True, type=parse_address,
        metavar='HOST:PORT', help='the FastAGI address of the node')
    parser.add_argument('command', nargs=argparse.REMAINDER,
        help='the bridge command, after --')
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ['--'] \
        else args.command
    if not command:
        parser.error('no bridge command given')
    return keep(command, *args.listen)


if __name__ == '__main__':
    sys.exit(main())
