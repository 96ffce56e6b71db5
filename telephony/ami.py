"""The AMI connection: panoramisk's Manager with back-off and clear failures.

panoramisk reconnects at a fixed interval and ignores a refused login; a
contact center needs the opposite: retry with growing delays while Asterisk
is away, and stop at once, saying why, when the secret is wrong.

The secret never crosses the connection: the login is AMI's challenge
(Action: Challenge, AuthType: MD5, then Login with AuthType: MD5 and
Key: md5(challenge + secret)). Whoever listens on the AMI port while
Asterisk restarts (a process that took it first) gets a key good for the
challenge it sent only, never the secret.
"""
import asyncio
import hashlib
import logging
from collections import Counter

from panoramisk import Manager
from panoramisk.message import Message

from tvcc import asterisk_values

log = logging.getLogger(__name__)


class AMIAuthenticationError(Exception):
    "Asterisk refused the AMI login"


def login_key(challenge, secret):
    "The Key of an MD5 login: md5(challenge + secret), in hex"
    return hashlib.md5((challenge + secret).encode('utf-8')).hexdigest()


def backoff_delays(initial=0.5, maximum=30.0, factor=2.0):
    "Yield the waits between reconnection attempts: 0.5, 1, 2, ... 30, 30"
    delay = initial
    while True:
        yield delay
        delay = min(delay * factor, maximum)


class AMIClient(Manager):
    "One AMI session to one Asterisk node, kept alive for the bridge's life"

    def __init__(self, host, port, username, secret, *, name='ami',
            backoff_initial=0.5, backoff_max=30.0, **config):
        super().__init__(
            host=host, port=port, username=username, secret=secret,
            encoding='utf8', ping_delay=10, ping_interval=10,
            loop=asyncio.get_running_loop(), log=log,
            # Not queued again after a reconnection, like Login.
            forgetable_actions=('ping', 'login', 'challenge'), **config)
        self.name = name
        self._backoff = (backoff_initial, backoff_max)
        self._delays = backoff_delays(*self._backoff)
        self._closing = False
        self._reconnect_handle = None
        self.ready = asyncio.Event()
        self.failed = self.loop.create_future()
        self.event_counts = Counter()
        self.connections = 0
        self.login_listeners = []
        self.disconnect_listeners = []
        self.register_event('*', self._count_event)

    # -- life cycle --

    async def start(self, timeout=None):
        "Connect and wait for the first successful login"
        self.connect()
        waiter = asyncio.ensure_future(self.ready.wait())
        done, _ = await asyncio.wait(
            [waiter, self.failed], timeout=timeout,
            return_when=asyncio.FIRST_COMPLETED)
        if self.failed in done:
            waiter.cancel()
            self.failed.result()
        elif waiter not in done:
            waiter.cancel()
            raise TimeoutError(
                f'AMI {self.config["host"]}:{self.config["port"]} did not '
                f'accept a session within {timeout} s')

    def close(self):
        self._closing = True
        if self._reconnect_handle:
            self._reconnect_handle.cancel()
        self.ready.clear()
        super().close()

    def _schedule_reconnect(self):
        if self._closing:
            return
        delay = next(self._delays)
        log.info('AMI %s: reconnecting in %.1f s', self.name, delay)
        self._reconnect_handle = self.loop.call_later(delay, self.connect)

    # -- panoramisk hooks --

    def connection_made(self, future):
        if getattr(self, 'protocol', None):
            self.protocol.close()
        try:
            future.result()
        except OSError as error:
            log.warning('AMI %s: cannot connect to %s:%s (%s)', self.name,
                self.config['host'], self.config['port'], error.strerror
                or error)
            self._schedule_reconnect()
            return
        # panoramisk's connection_made would send the secret in a plain
        # Login: hide the user name from it and log in by challenge.
        username = self.config.pop('username')
        try:
            super().connection_made(future)
        finally:
            self.config['username'] = username
        self.authenticated = False
        self.authenticated_future = self.send_action(
            {'Action': 'Challenge', 'AuthType': 'MD5'})
        self.authenticated_future.add_done_callback(self._challenged)

    def _challenged(self, future):
        "Answer Asterisk's challenge with the MD5 key (never the secret)"
        try:
            response = future.result()
        except Exception as error:
            log.warning('AMI %s: login interrupted (%s)', self.name, error)
            return
        challenge = response.get('Challenge') or ''
        if not (response.success and challenge):
            self._refused(response.get('Message')
                or 'no MD5 challenge offered')
            return
        self.authenticated_future = self.send_action({
                'Action': 'Login', 'AuthType': 'MD5',
                'Username': self.config['username'],
                'Key': login_key(challenge, self.config['secret']),
                'Events': self.config['events']})
        self.authenticated_future.add_done_callback(self.login)

    def _refused(self, message):
        log.error('AMI %s: login as "%s" refused: %s', self.name,
            self.config['username'], message)
        self._closing = True
        if not self.failed.done():
            self.failed.set_exception(AMIAuthenticationError(
                    f'Asterisk at {self.config["host"]}:'
                    f'{self.config["port"]} refused the AMI login of '
                    f'"{self.config["username"]}" ({message})'))
        super().close()

    def login(self, future):
        try:
            response = future.result()
        except Exception as error:
            log.warning('AMI %s: login interrupted (%s)', self.name, error)
            return False
        authenticated = super().login(future)
        if authenticated:
            self.connections += 1
            self._delays = backoff_delays(*self._backoff)
            self.ready.set()
            log.info('AMI %s: logged in to %s:%s as %s (session %d)',
                self.name, self.config['host'], self.config['port'],
                self.config['username'], self.connections)
            for listener in self.login_listeners:
                self._call(listener)
        else:
            self._refused(response.get('Message', 'refused'))
        return authenticated

    def connection_lost(self, exc):
        self._connected = False
        self.authenticated = False
        self.ready.clear()
        if self.pinger:
            self.pinger.cancel()
            self.pinger = None
        if self._closing:
            return
        log.warning('AMI %s: connection lost', self.name)
        for listener in self.disconnect_listeners:
            self._call(listener)
        self._schedule_reconnect()

    def _call(self, listener):
        result = listener()
        if asyncio.iscoroutine(result):
            task = asyncio.ensure_future(result)
            task.add_done_callback(_log_task_error)

    # -- events --

    def _count_event(self, manager, event):
        name = event.get('Event', '?')
        self.event_counts[name] += 1
        if self.event_counts[name] == 1:
            log.info('AMI %s: first %s event', self.name, name)
        log.debug('AMI %s: %s %s', self.name, name,
            event.get('Uniqueid') or event.get('Channel') or '')

    async def action(self, action, timeout=10, as_list=False):
        """Send an action once logged in; return its response.

        as_list=True collects an event list (QueueStatus, CoreShowChannels)
        until its Complete event. panoramisk guesses this from the reply
        text otherwise, and guesses wrong for QueueAdd on Asterisk 22.
        """
        unsafe = [key for key, value in dict(action).items()
            if not all(asterisk_values.is_line_safe(item) for item in (
                    value if isinstance(value, list) else [value]))
            or not asterisk_values.is_line_safe(key)]
        if unsafe:
            # A line break would add headers (or a second action) of the
            # value's choosing: the action is not sent.
            log.error('AMI %s: %s refused: line break in %s', self.name,
                action.get('Action'), ', '.join(unsafe))
            return Message({'Response': 'Error',
                    'Message': f'refused: unsafe {", ".join(unsafe)}'})
        await asyncio.wait_for(self.ready.wait(), timeout)
        return await asyncio.wait_for(
            self.send_action(dict(action), as_list=as_list), timeout)


def _log_task_error(task):
    if not task.cancelled() and task.exception():
        log.error('AMI listener failed', exc_info=task.exception())
