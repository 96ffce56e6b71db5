"""The bridge process: one AMI session and one FastAGI server per node.

Tasks: the FastAGI server (routing), the AMI session (events in, actions
out), the fact ingestor (call records, agent states, screen pops), two
watchers: the configuration serial (render + reload Asterisk) and the
agents' presence (queue membership), and the dialer engine (outbound
campaigns).
"""
import asyncio
import collections
import contextlib
import datetime as dt
import logging
import os
import signal
import tempfile
import time
import zoneinfo
from pathlib import Path

from tvcc import asterisk_values

from . import callcontrol, facts as factlib
from . import listen, members, render, routes, security, snapshot as snapshotlib
from .agi import FastAGIServer
from .desk import DeskDialer
from .dialer import DialerEngine
from .ami import AMIAuthenticationError, AMIClient
from .ingest import Ingestor

log = logging.getLogger(__name__)

WATCH_INTERVAL = float(os.environ.get('TVCC_BRIDGE_WATCH', 1.0))
RELEASE_AFTER = 3.0
# ActionID prefix of the recorders' Originate (then the call's linked id)
RECORDER = 'tvccrec-'


class BridgeError(Exception):
    "The bridge cannot run; the message says why and what to do"


def write_if_changed(path, data, mode=0o644):
    """Write atomically; return True when the content changed.

    The file takes the group of its folder (the Asterisk group for the
    configuration folder, which runtime.py sets), so that with mode 0o640
    Asterisk reads it and no other user does.
    """
    path = Path(path)
    kind = 'wb' if isinstance(data, bytes) else 'w'
    if path.exists():
        current = path.read_bytes() if kind == 'wb' else path.read_text()
        if current == data and (path.stat().st_mode & 0o777) == mode:
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix='.' + path.name)
    with os.fdopen(fd, kind) as file:
        file.write(data)
    with contextlib.suppress(PermissionError):
        os.chown(tmp, -1, path.parent.stat().st_gid)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return True


class Bridge:

    def __init__(self, node, database=None):
        self.node = node
        self.database = database
        self.ami = None
        self.agi = FastAGIServer(node.agi_host, node.agi_port, node.agi_token)
        self.seen_callers = collections.deque(maxlen=1000)
        self.agi_latencies = collections.deque(maxlen=100_000)
        self.snapshot = None
        self.mapper = None
        self.presences = {}
        # linked id -> the caller's channel, as AMI events reported it: the
        # only channels the bridge sends actions for (never a name read
        # from a call record).
        self.live_channels = {}
        # linked id -> the channel recording it on demand (tvcc-recorder)
        self.recorders = {}
        # Channels, bridges and rooms of calls, for transfers (callcontrol)
        self.tracker = callcontrol.Tracker()
        self._control_wake = asyncio.Event()
        # Persisted (security.bans_file): a restart keeps them; loaded by
        # run() before the first configuration is rendered.
        self.bans = security.BanList(path=security.bans_file(node.code))
        self.ingestor = Ingestor(database, node.id) if database else None
        self.dialer = DialerEngine(self) if database else None
        self.desk = DeskDialer(self) if database else None
        self._stop = None
        self._tasks = []
        self._resync_lock = asyncio.Lock()
        self._reload_lock = asyncio.Lock()
        self._silent_prompts = []
        routes.register(self.agi, self)

    # -- paths --

    @property
    def host_path(self):
        return Path(self.node.host_path)

    @property
    def sounds_path(self):
        "Where Asterisk finds our prompts (its view of the path)"
        return f'{self.node.instance_path}/sounds'

    def local_now(self, snapshot):
        try:
            zone = zoneinfo.ZoneInfo(snapshot.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo('Asia/Shanghai')
        return dt.datetime.now(zone).replace(tzinfo=None)

    def submit(self, facts):
        if self.ingestor and facts:
            self.ingestor.submit(facts)

    # -- life cycle --

    async def run(self):
        loop = asyncio.get_running_loop()
        self._stop = loop.create_future()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)
        restored = self.bans.load(time.time())
        if restored:
            log.warning('SIP: %d ban(s) restored from %s: %s', restored,
                self.bans.path, ', '.join(self.bans.banned()))
        if self.database:
            await self.reload_snapshot()
            await self.write_config()
            await self.warm_up()
        try:
            self.agi.sock = listen.inherited(self.node.agi_host,
                self.node.agi_port)
        except listen.ListenError as error:
            raise BridgeError(f'cannot serve FastAGI: {error}') from None
        try:
            await self.agi.start()
        except OSError as error:
            raise BridgeError(
                f'cannot serve FastAGI on {self.node.agi_host}:'
                f'{self.node.agi_port}: {error.strerror}. Is another bridge '
                'running? Stop it or change the FastAGI port of node '
                f'"{self.node.code}".') from None
        self.ami = AMIClient(
            self.node.ami_host, self.node.ami_port,
            self.node.ami_username, self.node.ami_secret,
            name=self.node.code)
        self.ami.register_event('*', self.on_event)
        self.ami.login_listeners.append(self.resync)
        self.ami.connect()
        if self.ingestor:
            self._tasks.append(asyncio.ensure_future(self.ingestor.run()))
            self._tasks.append(asyncio.ensure_future(self.watch()))
            self._tasks.append(asyncio.ensure_future(self.dialer.run()))
            self._tasks.append(asyncio.ensure_future(self.desk.run()))
            self._tasks.append(asyncio.ensure_future(
                    self.listen_call_control()))
        log.info('bridge for node "%s" running (AMI %s:%s, FastAGI %s:%s)',
            self.node.code, self.node.ami_host, self.node.ami_port,
            self.node.agi_host, self.node.agi_port)
        print(f'READY bridge {self.node.code}', flush=True)
        try:
            done, _ = await asyncio.wait(
                [self._stop, self.ami.failed],
                return_when=asyncio.FIRST_COMPLETED)
            if self.ami.failed in done:
                self.ami.failed.result()
        except AMIAuthenticationError as error:
            raise BridgeError(
                f'{error}. The secret the bridge read from '
                f'"{self.node.ami_secret_ref}" does not match the '
                'manager.conf Asterisk runs with: restart Asterisk so it '
                'renders the current secret (make run does), or fix the '
                'reference on the Asterisk node form.') from None
        finally:
            await self.shutdown()

    async def warm_up(self):
        """One customer lookup before the first call: the first caller
        after a start does not wait for trytond's caches to fill"""
        try:
            await self.database.run(routes.find_party, '+8613800000000',
                readonly=True, urgent=True)
        except Exception as error:
            log.warning('customer lookup warm-up failed: %s', error)

    def stop(self):
        if self._stop and not self._stop.done():
            log.info('bridge stopping')
            self._stop.set_result(True)

    async def shutdown(self):
        if self.ingestor and self.database:
            with contextlib.suppress(Exception):
                await self.ingestor.drained(timeout=5)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.ami:
            self.ami.close()
        await self.agi.close()
        log.info('bridge stopped (AMI events seen: %s)', ', '.join(
                f'{name} {count}' for name, count
                in sorted(self.ami.event_counts.items())) if self.ami else '-')

    # -- configuration --

    async def reload_snapshot(self):
        """Read the configuration again, one reload at a time (the watcher
        and a resync after an AMI login may both ask), so that an older
        read never replaces a newer one"""
        async with self._reload_lock:
            snapshot = await self.database.run(
                snapshotlib.load, self.node.id, readonly=True)
            silent = sorted(p.code for p in snapshot.prompts.values()
                if not p.audio)
            if silent and silent != self._silent_prompts:
                log.error('prompts without audio, played as silence: %s '
                    '(save them again to render them)', ', '.join(silent))
            self._silent_prompts = silent
            current = self.snapshot
            if current is not None and snapshot.serial < current.serial:
                return current
            self.snapshot = snapshot
            self.mapper = factlib.FactMapper(snapshot)
            if self.ingestor:
                self.ingestor.url_template = snapshot.screen_pop_url
            return snapshot

    async def write_config(self):
        "Render files and prompts; return the reload commands needed"
        snapshot = self.snapshot
        commands = []
        folder = self.host_path / 'etc' / 'tvcc'
        # Trunks are never banned, even one added after its address was.
        trunks = {t.host for t in snapshot.trunks.values()}
        banned = [a for a in self.bans.banned() if a not in trunks]
        for name, text in render.render_all(snapshot, banned,
                sounds=self.sounds_path).items():
            # Trunk and phone passwords: Asterisk's group reads, no one else.
            if write_if_changed(folder / name, text, mode=0o640):
                command = render.RELOAD[name]
                if command not in commands:
                    commands.append(command)
        sounds = self.host_path / 'sounds'
        for prompt in snapshot.prompts.values():
            if prompt.audio:
                write_if_changed(sounds / f'{prompt.file_name}.wav',
                    prompt.audio)
        return commands

    async def apply_config(self, reload_all=False):
        commands = await self.write_config()
        if reload_all:
            commands = list(dict.fromkeys(render.RELOAD.values()))
        if self.ami and self.ami.ready.is_set():
            # The AMI Reload action (the account has no CLI "command" right).
            for module in commands:
                response = await self.ami.action(
                    {'Action': 'Reload', 'Module': module})
                log.info('config: reload %s (%s%s)', module,
                    response.get('Response', '?'),
                    '' if response.success
                    else ': ' + response.get('Message', ''))
        await self.database.run(mark_applied, self.node.id,
            self.snapshot.serial)
        log.info('configuration serial %s applied', self.snapshot.serial)

    # -- watchers --

    async def watch(self):
        "Follow configuration changes and agents' presence"
        while True:
            # A call-control request wakes the watcher at once (NOTIFY).
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._control_wake.wait(),
                    WATCH_INTERVAL)
            self._control_wake.clear()
            try:
                serial, presences = await self.database.run(
                    read_state, self.node.id, readonly=True)
            except Exception as error:
                log.debug('watch: database unavailable (%s)', error)
                continue
            try:
                if self.snapshot is None or serial != self.snapshot.serial:
                    await self.reload_snapshot()
                    await self.apply_config()
                    await self.sync_members(presences)
                elif presences != self.presences:
                    await self.sync_members(presences)
                if self.bans.expire(time.time()):
                    await self.apply_config()
                await self.carry_out_recording_requests()
                await self.carry_out_call_control()
            except Exception:
                log.exception('applying a change failed; retrying')

    async def sync_members(self, presences=None):
        "Make app_queue's members match the logged-in agents"
        if not (self.ami and self.ami.ready.is_set() and self.snapshot):
            return
        if presences is None:
            _, presences = await self.database.run(
                read_state, self.node.id, readonly=True)
        status = await self.ami.action({'Action': 'QueueStatus'},
            as_list=True, timeout=15)
        wanted = members.desired_members(self.snapshot, presences)
        actual = members.actual_members(status)
        linear = {q.code for q in self.snapshot.queues.values()
            if q.strategy == 'linear'}
        for action in members.plan(wanted, actual, linear):
            response = await self.ami.action(action)
            if not response.success:
                log.warning('members: %s %s %s failed: %s',
                    action['Action'], action['Queue'],
                    action['Interface'], response.get('Message'))
        self.presences = presences

    async def carry_out_recording_requests(self):
        "Start or stop the on-demand recordings agents asked for"
        requests = await self.database.run(
            read_recording_requests, self.node.id, readonly=True)
        if not requests or not (self.ami and self.ami.ready.is_set()):
            return
        for agent_id, request, linkedid in requests:
            channel = self.live_channels.get(linkedid)
            if channel is None:
                # The call ended meanwhile, or is not one Asterisk told us
                # about: nothing to do.
                log.info('recording %s for call %s: no live channel seen',
                    request, linkedid)
                continue
            if request == 'start':
                path = routes.recording_path(self.node, linkedid)
                # A recorder channel spies on the call (tvcc-recorder): the
                # AMI MixMonitor action would need the "system" right.
                response = await self.ami.action({'Action': 'Originate',
                        'Channel': 'Local/rec@tvcc-recorder/n',
                        'Application': 'Wait', 'Data': '7200',
                        'Async': 'true',
                        'ActionID': f'{RECORDER}{linkedid}',
                        'Variable': [f'TVCC_SPY={channel}',
                            f'TVCC_FILE={path}']})
                if response.success:
                    self.submit([{'kind': 'recording_started',
                                'linkedid': linkedid, 'path': path,
                                'time': dt.datetime.utcnow()}])
            else:
                recorder = self.recorders.pop(linkedid, None)
                if recorder is None:
                    log.info('recording stop for call %s: no recorder',
                        linkedid)
                    continue
                response = await self.ami.action({
                        'Action': 'Hangup', 'Channel': recorder})
            log.info('recording %s on %s: %s', request, channel,
                response.get('Response'))
        await self.database.run(clear_recording_requests,
            [r[0] for r in requests])

    async def listen_call_control(self):
        "LISTEN tvcc_call_control: the trytond side wakes the watcher"
        import psycopg
        from urllib.parse import urlparse
        from trytond import config
        uri = urlparse(config.get('database', 'uri'))._replace(
            path=f'/{self.database.name}').geturl()
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                        uri, autocommit=True) as connection:
                    await connection.execute('LISTEN tvcc_call_control')
                    async for _ in connection.notifies():
                        self._control_wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.debug('call control: LISTEN failed (%s); the watcher '
                    'polls', error)
                await asyncio.sleep(5)

    async def carry_out_call_control(self):
        "Transfers, consultations, conferences and parks agents asked for"
        requests = await self.database.run(
            callcontrol.read_requests, self.node.id, readonly=True)
        if not requests or not (self.ami and self.ami.ready.is_set()):
            return
        outcomes = []
        for request in requests:
            linkedid = request.get('linkedid')
            try:
                actions, facts = callcontrol.plan(request, self.tracker,
                    self.live_channels.get(linkedid))
                # Facts first: the note and the consult mode are on the
                # call before the target rings.
                self.submit(facts)
                for action in actions:
                    response = await self.ami.action(action)
                    if not response.success:
                        log.warning('call control %s: %s failed: %s',
                            request['action'], action['Action'],
                            response.get('Message'))
                        raise callcontrol.Refused('failed')
                outcomes.append((request['id'], None))
                log.info('call control: %s of call %s by %s done',
                    request['action'], linkedid, request.get('extension'))
            except callcontrol.Refused as refusal:
                log.info('call control: %s of call %s by %s refused: %s',
                    request['action'], linkedid, request.get('extension'),
                    refusal.args[0])
                outcomes.append((request['id'], refusal.args[0]))
        await self.database.run(callcontrol.finish_requests, outcomes)

    def follow_rooms(self, event):
        "Calls in a room: a consultation over, a caller no agent is with"
        self.tracker.on_event(event)
        linkedid = self.tracker.consultation_over(event)
        if linkedid:
            self.submit([{'kind': 'control', 'linkedid': linkedid,
                        'time': dt.datetime.utcnow(), 'action': 'returned',
                        'mode': None}])
        for channel in self.tracker.orphaned(event):
            if self.ami and asterisk_values.is_safe('channel', channel):
                log.info('call control: %s left alone in its room: hung up',
                    channel)
                asyncio.ensure_future(self.ami.action(
                        {'Action': 'Hangup', 'Channel': channel}))

    # -- AMI events --

    def follow_channels(self, event):
        "Keep the callers' channels AMI reports, by linked id"
        name = event.get('Event')
        linkedid = event.get('Linkedid')
        channel = event.get('Channel')
        if name == 'QueueCallerJoin' or (name == 'UserEvent'
                and event.get('UserEvent') == 'TvccAgentRinging'):
            # The first seen stays the call's channel: a consultation with
            # a queue joins it with a channel of the same linked id.
            if asterisk_values.is_safe('linkedid', linkedid or '') and \
                    asterisk_values.is_safe('channel', channel or ''):
                self.live_channels.setdefault(linkedid, channel)
            else:
                log.warning('AMI: channel %r of call %r not followed',
                    channel, linkedid)
        elif name == 'OriginateResponse' and (event.get('ActionID') or ''
                ).startswith(RECORDER):
            call = event['ActionID'][len(RECORDER):]
            if event.get('Response') == 'Success' and \
                    asterisk_values.is_safe('channel', channel or ''):
                self.recorders[call] = channel
        elif name == 'Hangup':
            if linkedid in self.live_channels and (
                    channel == self.live_channels[linkedid]
                    or event.get('Uniqueid') == linkedid):
                del self.live_channels[linkedid]
                self.recorders.pop(linkedid, None)
            for call, recorder in list(self.recorders.items()):
                if recorder == channel:
                    del self.recorders[call]

    def watch_security(self, event):
        "Ban an address that keeps failing SIP authentication"
        if event.get('Event') not in security.FAILURES:
            return
        address = security.remote_ip(event)
        if address is None or self.snapshot is None:
            return
        trunks = {t.host for t in self.snapshot.trunks.values()}
        if self.bans.failure(address, time.time(), spared=trunks):
            log.warning('SIP: banned %s for %.0f s after %d failed '
                'requests (%s)', address, self.bans.ban_for,
                self.bans.limit, event.get('Event'))
            task = asyncio.ensure_future(self.apply_config())
            task.add_done_callback(lambda t: t.cancelled() or t.exception()
                and log.error('SIP: applying the ban failed: %r',
                    t.exception()))

    def on_event(self, manager, event):
        self.follow_channels(event)
        self.follow_rooms(event)
        self.watch_security(event)
        if self.dialer:
            self.dialer.on_event(event)
        if self.desk:
            self.desk.on_event(event)
        if self.mapper is None:
            return
        call_facts, agent_facts = self.mapper.from_event(event)
        self.submit(call_facts + agent_facts)
        for fact in agent_facts:
            if fact.get('ready_after'):
                asyncio.get_running_loop().call_later(
                    fact['ready_after'], self.submit, [{
                            'kind': 'agent_state', 'agent': fact['agent'],
                            'state': 'ready', 'linkedid': None,
                            'time': fact['time'] + dt.timedelta(
                                seconds=fact['ready_after'])}])
        if event.get('Event') == 'Hangup' and \
                event.get('Uniqueid') == event.get('Linkedid'):
            linkedid = event['Linkedid']
            asyncio.ensure_future(self.collect_recording(linkedid))
            # Free agents Asterisk left "in call" (no AgentComplete came).
            asyncio.get_running_loop().call_later(RELEASE_AFTER, self.submit,
                [{'kind': 'release', 'linkedid': linkedid,
                        'time': dt.datetime.utcnow()}])

    async def collect_recording(self, linkedid, delay=1.0, patience=60):
        """Store the finished recording of a call in its record.

        Waits until the call's record has caught up with its end (under
        load the ingestion may lag the hang-up), then for the file.
        """
        await asyncio.sleep(delay)
        deadline = asyncio.get_running_loop().time() + patience
        while True:
            found, path = await self.database.run(
                recording_path_of, self.node.id, linkedid, readonly=True)
            if found or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.5)
        if not path:
            return
        host_file = routes.recording_file(self.node, linkedid, path)
        if host_file is None:
            log.error('recording of call %s refused: %r is not a file the '
                'bridge records into', linkedid, path)
            return
        for _ in range(20):
            if host_file.exists():
                break
            await asyncio.sleep(0.5)
        else:
            log.warning('recording %s not found', host_file)
            return
        data = host_file.read_bytes()
        from tvcc.tts import wav_duration
        self.submit([{'kind': 'recording_saved', 'linkedid': linkedid,
                    'time': dt.datetime.utcnow(), 'data': data,
                    'duration': round(wav_duration(data), 1)}])

    # -- resynchronisation --

    async def resync(self):
        """After every AMI login (start-up and reconnects): re-apply the
        configuration, membership, and recover what happened meanwhile
        from queue_log and the CDR file; end calls Asterisk no longer has.
        """
        if not self.database:
            return
        async with self._resync_lock:
            try:
                await self.reload_snapshot()
                await self.apply_config(reload_all=True)
                await self.sync_members()
                recovered = await self.replay_logs()
                await self.ingestor.drained(timeout=60)
                live = await self.live_linkedids()
                closed = await self.database.run(
                    close_missing, self.node.id, live)
                for linkedid in await self.database.run(
                        recordings_to_collect, self.node.id, readonly=True):
                    asyncio.ensure_future(self.collect_recording(
                            linkedid, delay=0, patience=5))
                log.info('resync: %d fact(s) replayed from queue_log/CDR, '
                    '%d call(s) closed, %d live channel(s)', recovered,
                    closed, len(live))
            except Exception:
                log.exception('resync failed')

    async def live_linkedids(self):
        events = await self.ami.action({'Action': 'CoreShowChannels'},
            as_list=True, timeout=15)
        channels = [e for e in events if e.get('Event') == 'CoreShowChannel'
            and e.get('Linkedid')]
        live = {e['Linkedid'] for e in channels}
        # Callers waiting or talking in a queue while the bridge was away.
        for event in channels:
            if event.get('Application') == 'Queue' and \
                    event['Linkedid'] not in self.live_channels:
                self.follow_channels({**event, 'Event': 'QueueCallerJoin'})
        for linkedid in set(self.live_channels) - live:
            del self.live_channels[linkedid]
        return live

    async def replay_logs(self):
        positions = await self.database.run(
            read_positions, self.node.id, readonly=True)
        log_dir = self.host_path / 'log'
        recovered = 0
        new_positions = {}
        for name, path, parse in [
                ('queue_log', log_dir / 'queue_log',
                    self.mapper.from_queue_log),
                ('cdr', log_dir / 'cdr-custom' / 'tvcc.csv',
                    factlib.from_cdr)]:
            lines, position = read_from(path, positions.get(name))
            batch = [fact for line in lines for fact in parse(line)]
            recovered += len(batch)
            self.submit(batch)
            new_positions[name] = position
        await self.ingestor.drained(timeout=60)
        await self.database.run(save_positions, self.node.id, new_positions)
        return recovered


def read_from(path, position):
    "Lines of path after position ('inode:offset'); return the new position"
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return [], position
    inode, offset = 0, 0
    if position:
        with contextlib.suppress(ValueError):
            inode, offset = map(int, position.split(':'))
    if inode != stat.st_ino or offset > stat.st_size:
        offset = 0  # rotated or truncated: the new file from its start
    with open(path, 'rb') as file:
        file.seek(offset)
        data = file.read()
    end = data.rfind(b'\n') + 1  # a half-written last line waits
    lines = data[:end].decode('utf-8', 'replace').splitlines()
    return lines, f'{stat.st_ino}:{offset + end}'


# -- database functions (run in the worker thread) --

def mark_applied(pool, node_id, serial):
    Node = pool.get('callcenter.node')
    Node.write([Node(node_id)], {
            'config_applied_serial': serial,
            'config_applied_at': dt.datetime.utcnow()})


def read_state(pool, node_id):
    "The node's configuration serial and every agent's presence"
    Configuration = pool.get('callcenter.configuration')
    Agent = pool.get('callcenter.agent')
    presences = {a.id: (a.presence, a.pause_reason.code
            if a.pause_reason else '')
        for a in Agent.search([('active', '=', True)])}
    return Configuration.get_serial(), presences


def read_recording_requests(pool, node_id):
    """[(agent id, request, linked id of the agent's call)] awaiting the
    bridge (which finds the call's channel among those AMI reported)"""
    Agent = pool.get('callcenter.agent')
    requests = []
    for agent in Agent.search([('recording_request', '!=', None)]):
        call = agent.current_call
        if call and call.node.id != node_id:
            continue        # another node's bridge carries it out
        requests.append((agent.id, agent.recording_request,
                call.linkedid if call else None))
    return requests


def clear_recording_requests(pool, agent_ids):
    Agent = pool.get('callcenter.agent')
    Agent.write(Agent.browse(agent_ids), {'recording_request': None})


def read_positions(pool, node_id):
    node = pool.get('callcenter.node')(node_id)
    return {'queue_log': node.queue_log_position, 'cdr': node.cdr_position}


def save_positions(pool, node_id, positions):
    Node = pool.get('callcenter.node')
    Node.write([Node(node_id)], {
            'queue_log_position': positions.get('queue_log'),
            'cdr_position': positions.get('cdr')})


def close_missing(pool, node_id, live):
    Node = pool.get('callcenter.node')
    Call = pool.get('callcenter.call')
    return len(Call.close_missing(Node(node_id), live,
            dt.datetime.utcnow()))


def recordings_to_collect(pool, node_id, days=2):
    "Recent ended calls whose recording was not stored (bridge restarted)"
    Call = pool.get('callcenter.call')
    since = dt.datetime.utcnow() - dt.timedelta(days=days)
    return [c.linkedid for c in Call.search([
                ('node', '=', node_id), ('state', '=', 'ended'),
                ('record', '=', True), ('recording_id', '=', None),
                ('end_time', '>=', since)])]


def recording_path_of(pool, node_id, linkedid):
    """(whether the call's end is recorded, the recording still to store)"""
    Call = pool.get('callcenter.call')
    calls = Call.search([('node', '=', node_id), ('linkedid', '=', linkedid),
            ('state', '=', 'ended')], limit=1)
    if not calls:
        return False, None
    call = calls[0]
    if call.record and not call.recording_id:
        return True, call.recording_path
    return True, None
