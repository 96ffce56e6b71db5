"""FastAGI server: Asterisk connects here for every call that needs a decision.

A small server of our own on asyncio streams (panoramisk's handler loops
forever when Asterisk hangs up before sending its headers); panoramisk's
result parser reads the replies.

Every request proves it comes from our Asterisk without showing the
installation's token: the dialplan puts SHA1(token + UNIQUEID) in the URL
(agi://host:port/<key>/<route>), the bridge computes the same from the
request's agi_uniqueid. A process that squats the port, or reads a URL in
a log, learns a key that is good for that one channel only, never the
token.
"""
import asyncio
import hashlib
import hmac
import logging
import time
import urllib.parse

from panoramisk.utils import parse_agi_result

from tvcc import asterisk_values

from . import listen

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 5


class AGIHangup(Exception):
    "The channel hung up while the route was talking to it"


class AGIRefused(Exception):
    "A route asked to send a command Asterisk would misread"


def split_script(script):
    """(key, route, args) of agi_network_script: the dialplan calls
    agi://host:port/<key>/<route>?args"""
    path, _, query = script.partition('?')
    token, _, route = path.strip('/').partition('/')
    return token, route, dict(urllib.parse.parse_qsl(query))


def request_key(token, unique_id):
    """What the dialplan sends for a channel: ${SHA1(token${UNIQUEID})}
    (Asterisk's SHA1() gives lower-case hex)"""
    return hashlib.sha1((token + unique_id).encode('utf-8')).hexdigest()


def is_authentic(key, token, unique_id):
    "Whether key is the one our dialplan computes for the channel"
    if not (token and unique_id and key):
        return False
    return hmac.compare_digest(key.lower().encode('ascii', 'replace'),
        request_key(token, unique_id).encode('ascii'))


class AGIRequest:
    "One FastAGI session: the channel's variables and a command channel"

    def __init__(self, headers, reader, writer):
        self.headers = headers
        self.reader = reader
        self.writer = writer
        self.received = time.monotonic()
        self.token, self.route, self.args = split_script(
            headers.get('agi_network_script', ''))

    @property
    def caller_id(self):
        value = self.headers.get('agi_callerid', '')
        return '' if value in {'unknown', ''} else value

    @property
    def channel(self):
        return self.headers.get('agi_channel', '')

    @property
    def unique_id(self):
        return self.headers.get('agi_uniqueid', '')

    async def command(self, text):
        "Send one AGI command and return the parsed result"
        if not asterisk_values.is_line_safe(text):
            # A line break would start a second command.
            log.error('FastAGI: refused to send %r to %s', text, self.channel)
            raise AGIRefused(text)
        self.writer.write((text + '\n').encode('utf-8'))
        await self.writer.drain()
        while True:
            line = await self.reader.readline()
            if not line:
                raise AGIHangup(self.channel)
            result = parse_agi_result(line.decode('utf-8').rstrip('\n'))
            if result.get('status_code') != 100:
                break
        if result.get('error') == 'AGIUsageError':
            result['msg'] += (await self.reader.readline()).decode('utf-8')
        if (result.get('error') == 'AGIResultHangup'
                or result.get('status_code') == 511):
            raise AGIHangup(self.channel)
        return result

    async def set_variable(self, name, value):
        value = str(value).replace('\\', '\\\\').replace('"', '\\"')
        return await self.command(f'SET VARIABLE {name} "{value}"')

    async def verbose(self, message, level=1):
        message = message.replace('"', "'")
        return await self.command(f'VERBOSE "{message}" {level}')


class FastAGIServer:
    "Maps agi://host:port/<route> to coroutines route(request)"

    def __init__(self, host, port, token, sock=None):
        self.host = host
        self.port = port
        self.token = token
        # A listening socket handed over by the supervisor (listen.py);
        # None: bind host:port here.
        self.sock = sock
        self.refused = 0
        self.routes = {}
        self.fallbacks = []
        self._server = None
        self.served = 0

    def route(self, name):
        def register(function):
            self.routes[name] = function
            return function
        return register

    async def start(self):
        if self.sock is not None:
            # (asyncio listens again: keep the supervisor's backlog)
            self._server = await asyncio.start_server(
                self._handle, sock=self.sock, backlog=listen.BACKLOG)
        else:
            self._server = await asyncio.start_server(
                self._handle, self.host, self.port, reuse_address=True)
        log.info('FastAGI: listening on %s:%s (%s; routes: %s)', self.host,
            self.port, 'socket handed over' if self.sock is not None
            else 'bound here', ', '.join(sorted(self.routes)))
        return self._server

    async def close(self):
        if self._server:
            self._server.close()
            await self._server.wait_closed()

    async def _read_headers(self, reader):
        headers = {}
        while True:
            line = await reader.readline()
            if not line:
                return None
            line = line.decode('utf-8', 'replace').rstrip('\r\n')
            if not line:
                return headers
            key, sep, value = line.partition(': ')
            if sep:
                headers[key] = value

    async def _handle(self, reader, writer):
        request = None
        try:
            headers = await asyncio.wait_for(
                self._read_headers(reader), HEADER_TIMEOUT)
            if headers is None:
                return
            request = AGIRequest(headers, reader, writer)
            if not is_authentic(request.token, self.token,
                    request.unique_id):
                # Not our Asterisk: no route, no answer, nothing learnt.
                self.refused += 1
                log.warning('FastAGI: refused a request without the '
                    'installation token (channel %r, from %s)',
                    request.channel, writer.get_extra_info('peername'))
                return
            handler = self.routes.get(request.route)
            if handler is None:
                log.error('FastAGI: no route "%s" (channel %s)',
                    request.route, request.channel)
                return
            self.served += 1
            await handler(request)
        except AGIRefused:
            pass
        except AGIHangup:
            log.info('FastAGI: %s hung up during route "%s"',
                request.channel if request else '?',
                request.route if request else '?')
        except (asyncio.TimeoutError, ConnectionError) as error:
            log.warning('FastAGI: session dropped: %r', error)
        except Exception:
            log.exception('FastAGI: route "%s" failed for %s',
                request.route if request else '?',
                request.channel if request else '?')
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except ConnectionError:
                pass
