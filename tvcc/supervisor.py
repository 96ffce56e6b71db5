"""Run Asterisk, the telephony bridge and trytond together (make run).

Each process logs to var/log/<name>.log. Ctrl-C (or SIGTERM) stops them in
reverse order and checks that no Asterisk process and no mount is left. If
one process dies, the others are stopped too: a half-running system is
worse than a stopped one. The bridge is the exception: the supervisor binds
its FastAGI port once, hands the socket to it and starts it again when it
dies (tvcc/keeper.py's policy), so no other process can take the port while
the bridge restarts; a bridge that cannot start (exit code 2 or 3) or keeps
dying stops everything as before.
"""
import argparse
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from telephony import listen

from . import settings
from .demo_data import STAFF
from .keeper import Restarts, describe

READY_TIMEOUT = 90


class StartFailure(Exception):
    pass


def say(message):
    print(f'[tvcc] {message}', flush=True)


def _pdeathsig():
    with contextlib.suppress(Exception):
        ctypes.CDLL('libc.so.6').prctl(1, signal.SIGTERM)


def port_owner(port):
    result = subprocess.run(['ss', '-H', '-ltnp', f'sport = :{port}'],
        capture_output=True, text=True)
    return result.stdout.strip() or 'another process'


def check_port(port, label):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(('127.0.0.1', port))
        except OSError:
            raise StartFailure(
                f'{label} port {port} is already in use ({port_owner(port)}).'
                ' Stop that process (an earlier make run?) and try again.'
                ) from None


def hold_port(port, label):
    "Bind and listen on 127.0.0.1:port for a child to serve (the bridge)"
    try:
        return listen.bind('127.0.0.1', port)
    except OSError:
        raise StartFailure(
            f'{label} port {port} is already in use ({port_owner(port)}).'
            ' Stop that process (an earlier make run?) and try again.'
            ) from None


class Child:

    def __init__(self, name, cmd, ready, restarts=None):
        self.name = name
        self.cmd = cmd
        self.ready = ready
        self.log_path = settings.LOG / f'{name}.log'
        self.process = None
        # A listening socket the child serves (the bridge's FastAGI port),
        # bound by the supervisor and handed to every start of the child.
        self.sock = None
        # None: the child's death stops everything; a Restarts: when to
        # start it again.
        self.restarts = restarts

    def start(self):
        settings.LOG.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, 'ab')
        env = {**os.environ, 'TRYTOND_CONFIG': str(settings.TRYTOND_CONF),
            'PYTHONUNBUFFERED': '1'}
        if self.sock is not None:
            env.update(listen.child_env(self.sock))
        self.process = subprocess.Popen(
            self.cmd, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_pdeathsig, env=env,
            pass_fds=[self.sock.fileno()] if self.sock is not None else [])
        log.close()
        self._offset = self.log_path.stat().st_size

    def wait_ready(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StartFailure(
                    f'{self.name} exited during start-up (code '
                    f'{self.process.returncode}). Last lines of '
                    f'{self.log_path}:\n  ' + '\n  '.join(self.tail()))
            if self.ready(self):
                return
            time.sleep(0.2)
        raise StartFailure(
            f'{self.name} did not become ready within {timeout} s; see '
            f'{self.log_path}')

    def tail(self, count=8):
        with contextlib.suppress(OSError):
            return self.log_path.read_text(
                errors='replace').splitlines()[-count:]
        return []

    def log_contains(self, text):
        with open(self.log_path, 'rb') as log:
            log.seek(self._offset)
            return text.encode() in log.read()

    def stop(self, timeout=20):
        if not self.process:
            return
        if self.process.poll() is not None:
            self._signal_group(signal.SIGKILL)
            return
        # The leader stops its own children cleanly (Asterisk is shut down by
        # its runtime script); whatever it forked and left behind
        # (trytond-cron's workers) is killed with its process group.
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            say(f'{self.name} did not stop within {timeout} s: killing it')
            self._signal_group(signal.SIGKILL)
            self.process.wait()
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, sig):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)


def http_ready(port):
    def check(child):
        try:
            with urllib.request.urlopen(
                    f'http://127.0.0.1:{port}/', timeout=2) as response:
                return response.status == 200
        except OSError:
            return False
    return check


def admin_lines(inst):
    """How to log in as admin: the generated password is printed the first
    time only, then where it is kept"""
    path = inst.admin_password_file
    if path is None:
        return [f'  admin (Administrator): the demo password '
            f'{settings.DEMO_PASSWORD}']
    shown = path.with_name(path.name + '.shown')
    if shown.exists():
        return [f'  admin (Administrator): password in {path} '
            '(printed at the first start)']
    password = inst.admin_password()
    shown.touch(mode=0o600)
    return [f'  admin (Administrator) password, generated for this '
        f'installation: {password}',
        f'    printed this once; kept in {path} (mode 0600)']


def banner(inst):
    url = f'http://127.0.0.1:{inst.web_port}/'
    lines = [
        '',
        f'  TV-shopping contact center is running: {url}',
        f'  database "{inst.database}", Asterisk AMI 127.0.0.1:'
        f'{inst.ami_port}, FastAGI 127.0.0.1:{inst.agi_port}',
        *admin_lines(inst),
        f'  demo logins (the published demo password '
        f'{settings.DEMO_PASSWORD}; demo users only):',
        ]
    for login, name, role, queue in STAFF:
        label = role.removeprefix('role_').replace('_', ' ')
        if queue:
            label += f', queue {queue}'
        lines.append(f'    {login:<10} {name} ({label})')
    lines += [
        f'  logs: {settings.LOG}/',
        '  Ctrl-C stops everything.',
        '',
        ]
    print('\n'.join(lines), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--instance', default='run',
        choices=settings.INSTANCES)
    args = parser.parse_args(argv)
    inst = settings.instance(args.instance)
    python = sys.executable
    bindir = os.path.dirname(python)
    children = [
        Child('asterisk', [python,
                str(settings.PROJECT / 'asterisk' / 'runtime.py'),
                'run', '-i', inst.name],
            lambda c: c.log_contains('READY asterisk')),
        Child('bridge', [python, '-m', 'telephony',
                '-c', str(settings.TRYTOND_CONF), '-d', inst.database,
                '--node', inst.node_code],
            lambda c: c.log_contains('READY bridge'), restarts=Restarts()),
        Child('trytond', [os.path.join(bindir, 'trytond'),
                '-c', str(settings.TRYTOND_CONF), '-d', inst.database],
            http_ready(inst.web_port)),
        Child('trytond-cron', [os.path.join(bindir, 'trytond-cron'),
                '-c', str(settings.TRYTOND_CONF), '-d', inst.database],
            lambda c: True),
        ]
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    started = []
    try:
        check_port(inst.web_port, 'Web (trytond)')
        bridge = next(c for c in children if c.name == 'bridge')
        bridge.sock = hold_port(inst.agi_port, 'FastAGI (bridge)')
        os.environ['TRYTOND_WEB__LISTEN'] = f'127.0.0.1:{inst.web_port}'
        for child in children:
            say(f'starting {child.name}')
            child.start()
            started.append(child)
            child.wait_ready()
        banner(inst)
        while True:
            for child in started:
                if child.process.poll() is None:
                    continue
                code = child.process.returncode
                delay = child.restarts and child.restarts.delay(
                    code, time.monotonic())
                if not delay:
                    raise StartFailure(
                        f'{child.name} exited (code {code}); stopping the '
                        f'others. Last lines of {child.log_path}:\n  '
                        + '\n  '.join(child.tail()))
                say(f'{child.name} {describe(code)}: starting it again in '
                    f'{delay:.0f} s (its port stays held)')
                time.sleep(delay)
                child.start()
                child.wait_ready()
                say(f'{child.name} running again')
            time.sleep(0.5)
    except KeyboardInterrupt:
        say('stopping')
    except StartFailure as failure:
        print(f'[tvcc] ERROR: {failure}', file=sys.stderr, flush=True)
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in reversed(started):
            child.stop()
        for child in children:
            if child.sock is not None:
                child.sock.close()
        code = max(code, verify_clean(inst))
    return code


def verify_clean(inst):
    sys.path.insert(0, str(settings.PROJECT / 'asterisk'))
    import runtime
    pids = runtime.instance_pids(inst)
    mounts = runtime.host_mounts()
    if pids or mounts:
        print(f'[tvcc] ERROR: left behind: Asterisk pids {pids}, mounts '
            f'{mounts}', file=sys.stderr)
        return 1
    say('stopped cleanly: no Asterisk process, no mount left')
    return 0


if __name__ == '__main__':
    sys.exit(main())
