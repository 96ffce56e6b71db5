"""FastAGI routes the dialplan calls: agi://127.0.0.1:PORT/<route>."""
import asyncio
import datetime as dt
import logging
import re
import time
import zoneinfo
from pathlib import Path

from tvcc import asterisk_values, phone

from . import routing

log = logging.getLogger(__name__)

# Longest we let a database lookup hold a ringing caller.
LOOKUP_TIMEOUT = 2.0


class AGIVoice:
    "Plays prompts and reads keys on the caller's channel"

    def __init__(self, request, snapshot, sounds_path):
        self.request = request
        self.snapshot = snapshot
        self.sounds_path = sounds_path

    def _file(self, prompt_id):
        prompt = self.snapshot.prompts.get(prompt_id) if prompt_id else None
        if prompt is None or not prompt.audio:
            return None
        return sound_file(self.sounds_path, prompt)

    async def play(self, prompt_id):
        sound = self._file(prompt_id)
        if sound:
            await self.request.command(f'STREAM FILE {sound} ""')

    async def read_key(self, prompt_id, timeout):
        sound = self._file(prompt_id)
        millis = int(timeout * 1000)
        if sound:
            result = await self.request.command(
                f'GET DATA {sound} {millis} 1')
        else:
            result = await self.request.command(
                f'WAIT FOR DIGIT {millis}')
            code = result.get('result', ('0',))[0]
            return chr(int(code)) if code.isdigit() and int(code) > 0 \
                else ''
        value = result.get('result', ('',))
        digits = value[0] if isinstance(value, tuple) else str(value)
        return digits if digits not in {'-1', '(timeout)'} else ''


def agent_extension(snapshot, agent_id):
    agent = snapshot.agents.get(agent_id)
    return agent.extension if agent else ''


def sound_file(sounds_path, prompt):
    "The sound Asterisk plays for prompt, or None if its name is unsafe"
    path = f'{sounds_path}/{prompt.file_name}'
    if not asterisk_values.is_safe('sound', path):
        log.error('prompt %s: sound file %r refused', prompt.id, path)
        return None
    return path


def recording_path(node, linkedid, now=None):
    """Where Asterisk writes a call's recording (Asterisk's view of the
    path), built from the call's linked id and the day only"""
    asterisk_values.check('linkedid', linkedid)
    now = now or dt.datetime.utcnow()
    return (f'{node.instance_path}/spool/monitor/{now:%Y/%m/%d}/'
        f'{linkedid}.wav')


_RECORDING_DAY = re.compile(
    r'/spool/monitor/(?P<y>[0-9]{4})/(?P<m>[0-9]{2})/(?P<d>[0-9]{2})/'
    r'[^/]+$')


def recording_file(node, linkedid, stored_path):
    """The file (bridge's view) of a call's recording, or None.

    The path stored on the call record is never opened as it is: only the
    day is read from it; the path is rebuilt from the linked id and that
    day, must equal what was stored, and must resolve (links followed) to a
    file inside the node's spool/monitor folder.
    """
    if not asterisk_values.is_safe('linkedid', linkedid):
        return None
    match = _RECORDING_DAY.search(stored_path or '')
    if not match:
        return None
    try:
        day = dt.date(*(int(match.group(k)) for k in 'ymd'))
    except ValueError:
        return None
    expected = recording_path(node, linkedid, day)
    if stored_path != expected:
        return None
    spool = (Path(node.host_path) / 'spool' / 'monitor').resolve()
    host_file = (Path(node.host_path)
        / Path(expected).relative_to(node.instance_path)).resolve()
    if not host_file.is_relative_to(spool):
        return None
    return host_file


ROUTE_FIELDS = ['TVCC_ACTION', 'TVCC_QUEUE', 'QUEUE_PRIO', 'TVCC_MAXWAIT',
    'TVCC_RECORD', 'TVCC_RECORDING', 'TVCC_AGENT', 'TVCC_MAILBOX',
    'TVCC_PROMPT']


# The kind (tvcc.asterisk_values) of each value handed to the dialplan.
ROUTE_KINDS = {'TVCC_QUEUE': 'code', 'QUEUE_PRIO': 'integer',
    'TVCC_MAXWAIT': 'integer', 'TVCC_RECORDING': 'path',
    'TVCC_AGENT': 'extension', 'TVCC_MAILBOX': 'mailbox',
    'TVCC_PROMPT': 'sound'}


def decision_values(decision, snapshot, bridge, linkedid):
    """The channel variables the tvcc-route dialplan acts on; a value the
    dialplan could misread sends the call to the default queue instead"""
    values = _decision_values(decision, snapshot, bridge, linkedid)
    unsafe = sorted(name for name, kind in ROUTE_KINDS.items()
        if values.get(name) not in (None, '')
        and not asterisk_values.is_safe(kind, values[name]))
    if unsafe or values['TVCC_ACTION'] not in {
            '', 'queue', 'agent', 'voicemail', 'hangup'}:
        log.error('call %s: refused route values %s: default queue',
            linkedid, {n: values.get(n) for n in unsafe})
        return {'TVCC_ACTION': ''}
    return values


def _decision_values(decision, snapshot, bridge, linkedid):
    values = {'TVCC_ACTION': decision.action}
    if decision.action == 'queue':
        queue = snapshot.queues[decision.queue]
        values.update({
                'TVCC_QUEUE': queue.code,
                'QUEUE_PRIO': decision.priority,
                'TVCC_MAXWAIT': queue.max_wait or '',
                'TVCC_RECORD': '1' if decision.record else '0',
                })
        if decision.record and asterisk_values.is_safe('linkedid',
                linkedid):
            values['TVCC_RECORDING'] = recording_path(bridge.node, linkedid)
        else:
            values['TVCC_RECORD'] = '0'     # no file to record into
    elif decision.action == 'agent':
        values['TVCC_AGENT'] = agent_extension(snapshot, decision.agent)
    elif decision.action == 'voicemail':
        values['TVCC_MAILBOX'] = decision.mailbox or ''
    elif decision.action == 'hangup':
        prompt = snapshot.prompts.get(decision.prompt)
        values['TVCC_PROMPT'] = (
            sound_file(bridge.sounds_path, prompt) or ''
            if prompt and prompt.audio else '')
        if decision.prompt and not values['TVCC_PROMPT']:
            log.warning('call %s: prompt %s has no audio (serial %s): '
                'hanging up without it', linkedid, decision.prompt,
                snapshot.serial)
    elif decision.action == 'fallback':
        values['TVCC_ACTION'] = ''
    return values


async def apply_decision(request, decision, snapshot, bridge, linkedid):
    """Hand the decision to the dialplan in one variable, TVCC_ROUTE, that
    tvcc-unpack splits: one AGI round trip instead of nine"""
    values = decision_values(decision, snapshot, bridge, linkedid)
    route = '|'.join(str(values.get(name, '')).replace('|', '')
        for name in ROUTE_FIELDS)
    await request.set_variable('TVCC_ROUTE', route)
    return values


async def lookup_party(bridge, number, linkedid=None):
    """(customer, account queue, customer level, lookup failed) of number

    The lookup may fail (database slow or unreachable): the caller then
    goes through the IVR all the same, with the caller lists of the
    configuration the bridge holds in memory (a blacklisted number is still
    blocked), only without what the customer record would add.
    """
    if not number or bridge.database is None:
        return None, None, None, False
    started = time.perf_counter()
    try:
        found = await asyncio.wait_for(bridge.database.run(
                find_party, number, readonly=True, urgent=True),
            LOOKUP_TIMEOUT)
    except asyncio.CancelledError:
        raise
    except Exception as error:
        log.warning('customer lookup for %s (call %s) failed after %.2f s '
            '(%r): routing without the customer record', number, linkedid,
            time.perf_counter() - started, error)
        return None, None, None, True
    return (*found, False)


def find_party(pool, number):
    ContactMechanism = pool.get('party.contact_mechanism')
    # No condition on the party here: a join through party.active makes
    # PostgreSQL scan every customer; the index on value_compact finds the
    # number at once, and inactive (merged) customers are skipped below.
    mechanisms = ContactMechanism.search([
            ('value_compact', '=', number),
            ('type', 'in', ['phone', 'mobile']),
            ], limit=5, order=[])
    for mechanism in mechanisms:
        party = mechanism.party
        if party.active:
            return (party.id,
                party.account_queue.id if party.account_queue else None,
                getattr(party, 'level', None))
    return None, None, None


def register(server, bridge):
    "Attach every route to the FastAGI server"

    @server.route('ping')
    async def ping(request):
        "Self-test: prove a call reached the bridge and who was calling"
        caller = request.caller_id or 'anonymous'
        log.info('AGI ping: caller id %s on %s (uniqueid %s)', caller,
            request.channel, request.unique_id)
        bridge.seen_callers.append(caller)
        await request.set_variable('TVCC_PING', f'pong {caller}')

    @server.route('inbound')
    async def inbound(request):
        "A call from a trunk: classify, walk the IVR, choose queue"
        started = time.perf_counter()
        did_raw = request.headers.get('agi_arg_1', '')
        linkedid = request.headers.get('agi_arg_2') or request.unique_id
        snapshot = bridge.snapshot
        did_number = phone.normalize_or_none(did_raw) or did_raw
        received = dt.datetime.utcnow()
        caller = routing.Caller(raw=request.caller_id, number=None)
        try:
            if snapshot is None:
                raise RuntimeError('no configuration loaded yet')
            number = phone.normalize_or_none(request.caller_id,
                area=snapshot.area_code)
            party, account, level, failed = await lookup_party(
                bridge, number, linkedid)
            caller = routing.classify(snapshot, request.caller_id,
                today=bridge.local_now(snapshot).date(), party=party,
                account_queue=account, party_level=level,
                lookup_failed=failed)
            walker = routing.IVRWalker(snapshot, caller, did_number,
                bridge.local_now(snapshot), AGIVoice(
                    request, snapshot, bridge.sounds_path))
            decision = await walker.route()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # The rule: a caller is never dropped because of us.
            from .agi import AGIHangup
            if isinstance(error, AGIHangup):
                raise
            log.error('routing %s from %s failed (%r): default queue',
                linkedid, request.caller_id, error)
            decision = routing.default_decision(snapshot, caller)
            decision.outcome = 'default_queue'
        values = await apply_decision(
            request, decision, snapshot, bridge, linkedid)
        bridge.agi_latencies.append(time.perf_counter() - started)
        bridge.submit([{
                'kind': 'routed', 'linkedid': linkedid,
                'uniqueid': request.unique_id, 'time': received,
                'caller': caller.number or caller.raw or None,
                'caller_name': request.headers.get('agi_calleridname')
                if request.headers.get('agi_calleridname') not in
                {'unknown', ''} else None,
                'caller_class': caller.caller_class if caller.number
                or caller.raw else None,
                'caller_location': caller.location or None,
                'long_distance': caller.long_distance,
                'did': snapshot.dids[did_number].id
                if snapshot and did_number in snapshot.dids else None,
                'called_number': did_raw,
                'party': caller.party,
                'queue': decision.queue, 'priority': decision.priority,
                'outcome': decision.outcome, 'record': decision.record,
                'recording_path': values.get('TVCC_RECORDING'),
                'steps': [s.as_fact() for s in decision.steps],
                }])

    @server.route('overflow')
    async def overflow(request):
        "A call waited its queue's maximum time: where it goes next"
        queue_code = request.headers.get('agi_arg_1', '')
        linkedid = request.headers.get('agi_arg_2') or request.unique_id
        snapshot = bridge.snapshot
        now = dt.datetime.utcnow()
        queue = snapshot.queues_by_code.get(queue_code) if snapshot else None
        caller = routing.classify(snapshot, request.caller_id) \
            if snapshot else routing.Caller(raw=request.caller_id,
                number=None)
        if queue is None:
            decision = routing.Decision(action='hangup', outcome='overflow')
        else:
            decision = routing.overflow_decision(snapshot, queue.id, caller)
        await apply_decision(request, decision, snapshot, bridge, linkedid)
        # Where it went says how it ended: an overflow to voicemail is a
        # voicemail call.
        bridge.submit([
                {'kind': 'queue_timeout', 'linkedid': linkedid,
                    'uniqueid': request.unique_id, 'time': now,
                    'outcome': decision.outcome},
                ])
