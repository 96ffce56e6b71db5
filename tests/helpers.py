"""Helpers shared by the integration tests: processes, AMI, JSON-RPC."""
import asyncio
import base64
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tvcc import settings
from telephony.ami import AMIClient

PROJECT = settings.PROJECT
RUNTIME = str(PROJECT / 'asterisk' / 'runtime.py')
PYTHON = sys.executable
BIN = Path(sys.executable).parent


def random_mobile():
    "A valid mainland mobile number no demo customer has"
    return '199' + f'{random.randrange(10**8):08d}'


def runtime(action, instance, *args, check=True, env=None, timeout=120):
    result = subprocess.run(
        [PYTHON, RUNTIME, action, '-i', instance, *args],
        capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})})
    if check and result.returncode:
        raise AssertionError(
            f'runtime {action} -i {instance} failed:\n{result.stdout}\n'
            f'{result.stderr}')
    return result


class Service:
    "A background process with a log file, waited on until a condition holds"

    def __init__(self, name, cmd, env=None):
        self.name = name
        self.cmd = cmd
        self.env = env
        self.log_path = settings.LOG / f'pytest-{name}.log'
        settings.LOG.mkdir(parents=True, exist_ok=True)
        self.log_path.write_bytes(b'')
        self._offset = 0
        self.start()

    def start(self):
        "Start (again): the log is appended, log() reads the new run only"
        self._offset = self.log_path.stat().st_size
        with open(self.log_path, 'ab') as log:
            self.process = subprocess.Popen(
                self.cmd, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
                env={**os.environ, 'PYTHONUNBUFFERED': '1',
                    **(self.env or {})})

    def log(self):
        with open(self.log_path, 'rb') as log:
            log.seek(self._offset)
            return log.read().decode(errors='replace')

    def wait_for(self, condition, timeout=60, what='ready'):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                raise AssertionError(
                    f'{self.name} exited ({self.process.returncode}) before '
                    f'{what}:\n{self.log()[-3000:]}')
            time.sleep(0.1)
        raise AssertionError(
            f'{self.name} not {what} within {timeout} s:\n{self.log()[-3000:]}')

    def wait_log(self, text, timeout=60):
        self.wait_for(lambda: text in self.log(), timeout, f'logging {text!r}')

    def signal(self, sig):
        if self.process.poll() is None:
            self.process.send_signal(sig)

    def stop(self, timeout=30):
        self.signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read()


def http_ok(url):
    try:
        return http_get(url, timeout=2)[0] == 200
    except OSError:
        return False


class RPC:
    "A JSON-RPC session with trytond, as sao opens one"

    def __init__(self, base_url, database):
        self.url = f'{base_url}{database}/rpc/'
        self.auth = None
        self.context = {}

    def call(self, method, *params):
        request = urllib.request.Request(
            self.url, data=json.dumps({
                    'id': 1, 'method': method, 'params': list(params),
                    }).encode(),
            headers={'Content-Type': 'application/json'})
        if self.auth:
            request.add_header('Authorization', self.auth)
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.loads(response.read())
        if payload.get('error'):
            raise RPCError(payload['error'])
        return payload['result']

    def login(self, login, password, language='zh_CN'):
        result = self.call('common.db.login', login,
            {'password': password}, language)
        user_id, session = result[0], result[1]
        token = base64.b64encode(
            f'{login}:{user_id}:{session}'.encode()).decode()
        self.auth = f'Session {token}'
        self.context = self.call('model.res.user.get_preferences', True, {})
        return user_id

    def model(self, model, method, *args):
        return self.call(f'model.{model}.{method}', *args, self.context)


class RPCError(Exception):
    pass


@contextlib.asynccontextmanager
async def ami_session(instance):
    "An AMI session to an instance's Asterisk with the installation secret"
    client = AMIClient('127.0.0.1', instance.ami_port, instance.ami_username,
        instance.ami_secret(create=False), name=f'pytest-{instance.name}')
    await client.start(timeout=15)
    try:
        yield client
    finally:
        client.close()


class EventLog:
    "Records AMI events so a test can wait for the one it expects"

    def __init__(self, client, pattern='*'):
        self.events = []
        self._changed = asyncio.Event()
        client.register_event(pattern, self._on_event)

    def _on_event(self, manager, event):
        self.events.append(event)
        self._changed.set()

    async def wait(self, predicate, timeout=15, what='event'):
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for event in self.events:
                if predicate(event):
                    return event
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                names = sorted({e.get('Event') for e in self.events})
                raise AssertionError(
                    f'no {what} within {timeout} s (saw: {names})')
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
