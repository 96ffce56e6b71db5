"""The dialer engine: outbound campaigns through AMI.

Every second, for each running campaign of an agent queue this bridge
serves: read the queue (ready and busy agents, callers waiting), ask the
campaign's pacing controller (telephony.pacing) how many calls to start,
claim that many numbers (dialer.campaign.next_numbers: window, do-not-call,
blacklist, retries) and originate them asynchronously. An answered call
runs the tvcc-dialer dialplan: it joins the campaign's queue for at most
CONNECT_WAIT seconds; if no agent takes it, the caller hears the compliance
message and the call counts as abandoned. Each attempt's outcome goes back
to the database (record_outcome applies the retry rules: number recycling)
and to the controller, whose dial level and abandon rate the campaign
monitor shows.

Agents in wrap-up (the queue's wrapuptime after their last call, which
Asterisk reports as LastCall) are neither ready nor busy: the controller is
told when each one is back. The callee sees the campaign's caller ID (or
the dialer trunk's). The cap on simultaneous calls counts the calls still
ringing (or being told apart from a machine), not those with agents. The
day is the contact center's local day, as on the campaign's monitor.

A restart loses nothing a restart needs: each controller's learned state
is saved in the bridge's state folder (dialer_file(): a path built from the
node's code) and given back to the new controller; the day's counts are
read back from the call records; numbers the previous engine had taken are
given back at once when Asterisk no longer has their call, and calls still
up are followed to their end.

Voice broadcast campaigns play the message rendered for the number (TTS)
instead of joining the queue; with "press 1" a caller who presses 1 joins
the queue. Preview campaigns dial only the numbers agents asked for
(dialer.preview), and put the callee through to that agent.
"""
import asyncio
import contextlib
import dataclasses
import datetime as dt
import itertools
import json
import logging
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from tvcc import asterisk_values, phone

from . import pacing, security
from .facts import member_extension

log = logging.getLogger(__name__)

TICK = 1.0
# An answered call waits this long for an agent, then is abandoned.
CONNECT_WAIT = 2
RING_TIMEOUT = int(os.environ.get('TVCC_DIALER_RING', 30))
# How the engine reaches a number: a dialplan context that dials out
# (through the trunk in production; tests point it at scripted callees).
CHANNEL = os.environ.get('TVCC_DIALER_CHANNEL',
    'Local/{number}@tvcc-dialer-out')
# OriginateResponse reasons (Asterisk's control frames)
REASONS = {3: 'no_answer', 5: 'busy'}
# The controllers' state is saved this often (and when the bridge stops).
SAVE_EVERY = 10.0
KEEP_SAVED = 200
_keys = itertools.count(1)


def dialer_file(node_code, folder=None):
    "Where the dialer engine of the node's bridge keeps its state"
    if not asterisk_values.is_safe('code', node_code):
        raise ValueError(f'node code {node_code!r} cannot name a file')
    return Path(folder or security.STATE) / f'dialer-{node_code}.json'


def write_state(path, data):
    """Write data as JSON to path, mode 0600, atomically; False when it
    cannot be written"""
    tmp = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.')
        with os.fdopen(fd, 'w') as file:
            json.dump(data, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
        tmp = None
        return True
    except OSError as error:
        log.error('dialer: cannot save %s (%s)', path,
            error.strerror or error)
        return False
    finally:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def read_state(path):
    "The saved state: {campaign id: controller state}; {} when none"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        log.warning('dialer: state %s unreadable (%s): starting afresh',
            path, error)
        return {}
    campaigns = data.get('campaigns') if isinstance(data, dict) else None
    if not isinstance(campaigns, dict):
        return {}
    return {int(k): v for k, v in campaigns.items()
        if isinstance(k, str) and k.isdigit() and isinstance(v, dict)}


@dataclasses.dataclass
class Attempt:
    key: str
    campaign: int
    number_id: int
    number: str
    originated: float            # loop time
    start: dt.datetime           # UTC
    uniqueid: str = None
    answered: float = None
    answer_time: dt.datetime = None
    connected: float = None
    agent: int = None
    abandoned: bool = False
    machine: bool = False
    # answered, then known to be a person (machine detection) at this time
    verdict: float = None
    # a call of an earlier engine, followed after a restart
    adopted: bool = False


@dataclasses.dataclass
class CampaignState:
    id: int
    type: str
    queue: str
    controller: pacing.Controller
    day: dt.date
    detect_machines: bool = False
    caller_id: str = None        # the digits the callee sees
    recovered: bool = False      # the previous engine's numbers are back
    attempts: dict = dataclasses.field(default_factory=dict)   # key
    # talk start (loop time) of agents on one of this campaign's calls
    talking: dict = dataclasses.field(default_factory=dict)    # key


def load_campaigns(pool, queue_codes):
    """The contact center's date and the running campaigns of these queues,
    and broadcasts without a queue: (date, [(id, type, queue code or None,
    detect machines, caller ID in E.164 or None)])"""
    Campaign = pool.get('dialer.campaign')
    return Campaign.local_date(), [(c.id, c.type,
            c.queue.code if c.queue else None, bool(c.detect_machines),
            c.presented_number)
        for c in Campaign.search([
                ('state', '=', 'running'),
                ['OR',
                    ('queue.code', 'in', list(queue_codes)),
                    [('queue', '=', None), ('type', '=', 'broadcast')],
                    ],
                ])]


def claim_numbers(pool, campaign_id, now, count, ringing=None):
    """[(number id, E.164, broadcast message or None, press 1)] to dial
    now; ringing: the calls of the campaign still ringing (the cap)"""
    Campaign = pool.get('dialer.campaign')
    return [(n.id, n.phone,
            n.message() if n.campaign.type == 'broadcast' else None,
            bool(n.campaign.transfer_to_agent))
        for n in Campaign.next_numbers(campaign_id, now=now, count=count,
            ringing=ringing)]


def day_figures(pool, campaign_id):
    "(dialled, live answers, abandoned) today, from the call records"
    return pool.get('dialer.campaign').day_figures(campaign_id)


def recover_numbers(pool, campaign_id, live_phones):
    "{number id: E.164} of the taken numbers still on a call; others back"
    return pool.get('dialer.campaign').recover_numbers(campaign_id,
        live_phones)


def claim_preview_calls(pool, campaign_id):
    "[(number id, E.164, agent id, agent extension)] agents asked for"
    Campaign = pool.get('dialer.campaign')
    return [(n.id, n.phone, agent.id, agent.extension)
        for n, agent in Campaign.claim_preview_calls([campaign_id])]


def record(pool, number_id, outcome, start, answer_time, end, agent,
        linkedid):
    Campaign = pool.get('dialer.campaign')
    Campaign.record_outcome(number_id, outcome, start,
        answer_time=answer_time, end=end, agent=agent, linkedid=linkedid)


def write_monitor(pool, campaign_id, dial_level, busy, idle):
    Campaign = pool.get('dialer.campaign')
    Campaign.write_monitor(campaign_id, dial_level=dial_level,
        agents_busy=busy, agents_idle=idle)


@dataclasses.dataclass
class QueueFigures:
    ready: int = 0
    busy: int = 0
    waiting: int = 0
    # the Uniqueid of each caller waiting (QueueEntry)
    entries: list = dataclasses.field(default_factory=list)
    # when each agent in wrap-up is offered calls again (seconds since the
    # epoch, on Asterisk's clock)
    wrapping: list = dataclasses.field(default_factory=list)


def _number(text, default=0):
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def queue_figures(events, queue, wrapup=0, now=None):
    """Ready, busy and wrapping-up agents and callers waiting, from
    QueueStatus events. An agent not in use whose last call (LastCall)
    ended less than the wrap-up ago (its own Wrapuptime, else the queue's
    wrapup) is wrapping up: app_queue offers it no call until then."""
    now = time.time() if now is None else now
    figures = QueueFigures()
    for event in events:
        if event.get('Queue') != queue:
            continue
        if event.get('Event') == 'QueueMember':
            if event.get('Paused') == '1':
                continue
            # 0 unknown (app_queue rings it), 1 not in use; 2 in use,
            # 3 busy, 6 ringing, 7 ringing in use; 4 invalid, 5 unavailable
            status = event.get('Status')
            if status in {'0', '1'} and event.get('InCall') != '1':
                last_call = _number(event.get('LastCall'))
                member_wrapup = _number(event.get('Wrapuptime'))
                back = last_call + (member_wrapup or wrapup or 0)
                if last_call and back > now:
                    figures.wrapping.append(back)
                else:
                    figures.ready += 1
            elif status in {'2', '3', '6', '7'} or event.get('InCall') == '1':
                figures.busy += 1
        elif event.get('Event') == 'QueueEntry':
            figures.waiting += 1
            figures.entries.append(event.get('Uniqueid'))
    return figures


def live_dialer_calls(events, channel=None):
    """{E.164: (uniqueid, up, bridged)} of the engine's originated channels
    (the ;1 half of Local/<number>@...) in CoreShowChannels events"""
    template = channel or CHANNEL
    prefix, _, suffix = template.partition('{number}')
    if not prefix.startswith('Local/'):
        return {}
    pattern = re.compile(re.escape(prefix) + r'(\+?[0-9]{3,20})'
        + re.escape(suffix) + r'-[0-9a-f]+;1$')
    found = {}
    for event in events:
        if event.get('Event') != 'CoreShowChannel':
            continue
        match = pattern.match(event.get('Channel') or '')
        if not match:
            continue
        try:
            number = phone.normalize(match.group(1))
        except phone.InvalidPhoneNumber:
            continue
        found[number] = (event.get('Uniqueid'),
            event.get('ChannelState') == '6', bool(event.get('BridgeId')))
    return found


class DialerEngine:

    def __init__(self, bridge, controller='ours', state_path=None):
        self.bridge = bridge
        self.controller_class = pacing.CONTROLLERS[controller]
        self.campaigns = {}
        self.by_action = {}         # ActionID -> Attempt
        self.by_uniqueid = {}       # channel Uniqueid -> Attempt
        self.loop = None
        # Action ids of this engine only: a restarted engine's never meet
        # the previous one's.
        self.run_id = secrets.token_hex(4)
        if state_path is None:
            try:
                state_path = dialer_file(bridge.node.code)
            except (AttributeError, ValueError):
                state_path = None
        self.state_path = state_path
        self.saved = read_state(state_path) if state_path else {}
        self._saved_at = None

    def now(self):
        return self.loop.time()

    async def run(self):
        self.loop = asyncio.get_running_loop()
        try:
            while True:
                await asyncio.sleep(TICK)
                try:
                    await self.tick()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception('dialer: tick failed; retrying')
                if (self._saved_at is None
                        or self.now() - self._saved_at >= SAVE_EVERY):
                    self.save()
        finally:
            self.save()

    def save(self):
        "Keep what a restart needs: each controller's learned state"
        if self.loop is not None:
            self._saved_at = self.now()
        if not self.state_path:
            return
        for state in self.campaigns.values():
            if state.controller:
                self.saved[state.id] = state.controller.state()
        # The newest campaigns' only: a stopped one's state is never needed.
        for old in sorted(self.saved)[:-KEEP_SAVED]:
            del self.saved[old]
        write_state(self.state_path, {'version': 1, 'campaigns': {
                    str(k): v for k, v in sorted(self.saved.items())}})

    async def tick(self):
        bridge = self.bridge
        if not (bridge.ami and bridge.ami.ready.is_set() and bridge.snapshot):
            return
        codes = set(bridge.snapshot.queues_by_code)
        today, running = await bridge.database.run(load_campaigns, codes,
            readonly=True)
        for campaign_id, type_, queue, amd, caller_id in running:
            state = self.campaigns.get(campaign_id)
            if state is None or state.queue != queue:
                state = self.campaigns[campaign_id] = CampaignState(
                    id=campaign_id, type=type_, queue=queue,
                    controller=self.controller_for(type_), day=today)
                log.info('dialer: campaign %s (%s) calls for queue %s',
                    campaign_id, type_, queue)
                await self.resume(state)
            state.detect_machines = amd and type_ != 'broadcast'
            state.caller_id = self.presented(caller_id)
            if state.day != today:
                if state.controller:
                    state.controller.start_day()
                state.day = today
        for campaign_id in set(self.campaigns) - {c[0] for c in running}:
            # Paused or stopped: calls under way finish, no new ones.
            if not self.campaigns[campaign_id].attempts:
                del self.campaigns[campaign_id]
        active = [s for s in self.campaigns.values()
            if s.id in {c[0] for c in running}]
        if not active:
            return
        # The queues' figures pace every type but preview (agents decide).
        status = await bridge.ami.action({'Action': 'QueueStatus'},
            as_list=True, timeout=15) if any(
            s.type != 'preview' for s in active) else []
        for state in active:
            await self.pace(state, status)

    def controller_for(self, type_):
        if type_ == 'progressive':
            return pacing.Progressive()
        if type_ in {'broadcast', 'preview'}:
            # Broadcast: nobody waits for an agent, dial up to the
            # concurrency cap. Preview: the agents decide.
            return None
        if self.controller_class is pacing.Ours:
            # Queue() ends its wait on a whole second of the clock: an
            # answered call gets between 1 and 2 s (CONNECT_WAIT), so only
            # agents free within the shorter are counted on.
            return pacing.Ours(grace=max(0.0, CONNECT_WAIT - 1.0))
        return self.controller_class()

    @staticmethod
    def presented(caller_id):
        "The digits the callee sees, or None (never a value AMI misreads)"
        if not caller_id:
            return None
        try:
            digits = phone.national(caller_id)
        except phone.InvalidPhoneNumber:
            return None
        return digits if asterisk_values.is_safe('number', digits) else None

    async def resume(self, state):
        """A campaign this engine starts running: the learned state saved by
        the previous engine, the day's counts from the call records, and
        the numbers it had taken back (or their calls followed)"""
        controller = state.controller
        if controller is not None:
            saved = self.saved.get(state.id)
            if saved and controller.restore(saved):
                log.info('dialer: campaign %s: pacing state restored',
                    state.id)
            dialled, answers, abandoned = await self.bridge.database.run(
                day_figures, state.id, readonly=True)
            controller.restore_day(answers, abandoned, dialled)
        if state.type == 'preview':
            state.recovered = True
            return
        events = await self.bridge.ami.action({'Action': 'CoreShowChannels'},
            as_list=True, timeout=15)
        live = live_dialer_calls(events)
        kept = await self.bridge.database.run(recover_numbers, state.id,
            list(live))
        now = self.now()
        for number_id, number in kept.items():
            uniqueid, up, bridged = live[number]
            if not uniqueid or uniqueid in self.by_uniqueid:
                continue
            attempt = Attempt(key=f'adopted-{uniqueid}', campaign=state.id,
                number_id=number_id, number=number, originated=now,
                start=dt.datetime.utcnow(), uniqueid=uniqueid,
                answered=now if up else None,
                answer_time=dt.datetime.utcnow() if up else None,
                connected=now if bridged else None, verdict=now,
                adopted=True)
            state.attempts[attempt.key] = attempt
            self.by_uniqueid[uniqueid] = attempt
            if bridged:
                state.talking[attempt.key] = now
        state.recovered = True
        log.info('dialer: campaign %s: numbers of the previous engine given '
            'back; %d call(s) still up followed', state.id, len(kept))

    async def pace(self, state, status):
        if state.type == 'preview':
            for number_id, number, agent, extension in (
                    await self.bridge.database.run(claim_preview_calls,
                        state.id)):
                await self.originate(state, number_id, number,
                    agent=(agent, extension))
            return
        now = self.now()
        queue = self.bridge.snapshot.queues_by_code.get(state.queue) \
            if state.queue else None
        wrapup = getattr(queue, 'wrapup', 0) or 0
        clock = time.time()
        figures = queue_figures(status, state.queue, wrapup, clock)
        # Not yet a person known to need an agent: ringing, or answered
        # and still listened to by the machine detection.
        ringing = [a.originated for a in state.attempts.values()
            if a.answered is None or (state.detect_machines
                and a.verdict is None and not a.machine)]
        # QueueStatus is a moment ago: a call of ours answered since is
        # not in it yet (or it still shows the agent it just reached as
        # ready). Our answered calls not yet with an agent are waiting;
        # our talking agents it shows as free are not.
        ours_waiting = {a.uniqueid for a in state.attempts.values()
            if a.answered is not None and a.connected is None
            and not a.abandoned and not a.machine
            and (a.verdict is not None or not state.detect_machines)}
        waiting = len(ours_waiting) + sum(1 for uniqueid in figures.entries
            if uniqueid not in ours_waiting)
        talking = list(state.talking.values())
        ready = max(0, figures.ready - max(0, len(talking) - figures.busy))
        if state.controller is None:
            count = 1000
        else:
            state.controller.wrapup = wrapup
            busy_agents = talking + [now] * max(
                0, figures.busy - len(talking))
            count = state.controller.calls_to_dial(now, ready,
                busy_agents, ringing, waiting,
                wrapping_agents=[now + back - clock
                    for back in figures.wrapping])
        log.debug('dialer: campaign %s: %s ready, %s busy, %s wrapping up, '
            '%s ringing, %s waiting: dial %s', state.id, ready,
            figures.busy, len(figures.wrapping), len(ringing), waiting,
            count)
        if count > 0:
            # The cap counts the calls still ringing; a broadcast's, every
            # call under way (nobody else limits them).
            under_way = len(state.attempts) if state.type == 'broadcast' \
                else len(ringing)
            numbers = await self.bridge.database.run(claim_numbers,
                state.id, dt.datetime.utcnow(), count, under_way)
            for number_id, number, message, press_one in numbers:
                await self.originate(state, number_id, number, message,
                    press_one)
        level = state.controller.dial_level if state.controller else None
        await self.bridge.database.run(write_monitor, state.id,
            level, figures.busy + len(figures.wrapping), figures.ready)

    async def message_file(self, text):
        "The broadcast message as a sound file Asterisk plays (cached)"
        from tvcc import tts
        name = f'tvcc/dialer/{tts.digest(text.encode("utf-8"))}'
        path = self.bridge.host_path / 'sounds' / f'{name}.wav'
        if not path.exists():
            audio = await self.loop.run_in_executor(None, tts.synthesize,
                text)
            from .service import write_if_changed
            write_if_changed(path, audio)
        return f'{self.bridge.sounds_path}/{name}'

    async def originate(self, state, number_id, number, message=None,
            press_one=False, agent=None):
        """Call number; once answered the dialplan puts the callee through
        to the queue, plays message, or rings agent ((id, extension): the
        agent who previewed the number)"""
        key = f'tvccdial-{self.run_id}-{next(_keys)}'
        attempt = Attempt(key=key, campaign=state.id, number_id=number_id,
            number=number, originated=self.now(),
            start=dt.datetime.utcnow())
        state.attempts[key] = attempt
        self.by_action[key] = attempt
        if state.controller:
            state.controller.observe_originated(attempt.originated)
        try:
            dial = phone.national(number)
        except phone.InvalidPhoneNumber:
            dial = number.lstrip('+')
        if not (asterisk_values.is_safe('number', dial)
                and asterisk_values.is_safe('number', number)):
            log.error('dialer: number %r of campaign %s refused', number,
                state.id)
            await self.finish(attempt, 'failed')
            return
        variables = {
            'TVCC_DIALER_ATTEMPT': key,
            'TVCC_CAMPAIGN': state.id,
            'TVCC_QUEUE': state.queue,
            'TVCC_CONNECT_WAIT': CONNECT_WAIT,
            'TVCC_ABANDON_PROMPT': self.prompt_file('dialer_abandon'),
            'TVCC_AMD': '1' if state.detect_machines else '',
            # tvcc-dialer-out presents it to the callee; the agent's side
            # of the call shows the callee (CallerID below).
            'TVCC_CALLER_ID': state.caller_id or '',
            }
        if message:
            variables['TVCC_MESSAGE'] = await self.message_file(message)
            variables['TVCC_PRESS_ONE'] = '1' if press_one else ''
        if agent:
            attempt.agent, variables['TVCC_AGENT'] = agent
        response = await self.bridge.ami.action({
                'Action': 'Originate',
                'Channel': CHANNEL.format(number=dial),
                'Context': 'tvcc-dialer', 'Exten': 's', 'Priority': 1,
                'Timeout': RING_TIMEOUT * 1000, 'Async': 'true',
                'CallerID': number,
                'ActionID': key,
                'Variable': [f'{k}={v}' for k, v in variables.items()],
                })
        if response.get('Response') != 'Success':
            log.warning('dialer: originate %s refused: %s', number,
                response.get('Message'))
            await self.finish(attempt, 'failed')

    def prompt_file(self, code):
        for prompt in self.bridge.snapshot.prompts.values():
            if prompt.code == code and prompt.audio:
                return f'{self.bridge.sounds_path}/{prompt.file_name}'
        return 'vm-goodbye'

    # -- events (from the bridge's AMI listener) --

    def on_event(self, event):
        name = event.get('Event')
        if name == 'OriginateResponse':
            attempt = self.by_action.get(event.get('ActionID'))
            if attempt:
                self.on_originate_response(attempt, event)
            else:
                # A call of the previous engine, answered after a restart
                attempt = self.by_uniqueid.get(event.get('Uniqueid'))
                if attempt and attempt.adopted and attempt.answered is None \
                        and event.get('Response') == 'Success':
                    attempt.answered = self.now()
                    attempt.answer_time = dt.datetime.utcnow()
        elif name == 'AgentConnect':
            attempt = self.by_uniqueid.get(event.get('Uniqueid'))
            if attempt and attempt.connected is None:
                self.on_connected(attempt, event)
        elif name == 'UserEvent' and event.get('UserEvent') == \
                'TvccDialerAbandon':
            attempt = self.by_action.get(event.get('Attempt'))
            if attempt and not attempt.abandoned:
                attempt.abandoned = True
                state = self.campaigns.get(attempt.campaign)
                if state and state.controller:
                    state.controller.observe_abandoned(self.now())
        elif name == 'UserEvent' and event.get('UserEvent') in {
                'TvccDialerHuman', 'TvccDialerMachine'}:
            attempt = self.by_action.get(event.get('Attempt'))
            if attempt:
                self.on_verdict(attempt,
                    event.get('UserEvent') == 'TvccDialerMachine')
        elif name == 'Hangup':
            attempt = self.by_uniqueid.get(event.get('Uniqueid'))
            if attempt:
                self.on_hangup(attempt)

    def on_originate_response(self, attempt, event):
        state = self.campaigns.get(attempt.campaign)
        now = self.now()
        ring = now - attempt.originated
        if event.get('Response') == 'Success':
            attempt.answered = now
            attempt.answer_time = dt.datetime.utcnow()
            attempt.uniqueid = event.get('Uniqueid')
            self.by_uniqueid[attempt.uniqueid] = attempt
            # The call record (and the agent's screen pop) shows an
            # outbound call to the callee.
            self.bridge.submit([{'kind': 'dialed',
                        'linkedid': attempt.uniqueid,
                        'uniqueid': attempt.uniqueid,
                        'time': attempt.answer_time,
                        'caller': attempt.number}])
            if state and state.controller and not state.detect_machines:
                state.controller.observe_answered(now, ring)
            # With machine detection the callee is a person once detection
            # says so (on_verdict): the ring and the wait count from here.
            return
        try:
            reason = int(event.get('Reason') or 0)
        except ValueError:
            reason = 0
        if state and state.controller:
            state.controller.observe_unanswered(now, ring)
        asyncio.ensure_future(self.finish(attempt,
                REASONS.get(reason, 'failed')))

    def on_verdict(self, attempt, machine):
        """Answering machine detection decided: a person or a machine. The
        person waited through the detection: that wait is part of the time
        until an agent is needed (the ring, for the pacing) and is spent
        from the 2 seconds (the dialplan counts it too)"""
        state = self.campaigns.get(attempt.campaign)
        now = self.now()
        attempt.machine = machine
        attempt.verdict = now
        if state and state.controller and attempt.answered is not None:
            ring = now - attempt.originated
            if machine:
                state.controller.observe_unanswered(now, ring)
            else:
                state.controller.observe_answered(now, ring,
                    waited_seconds=now - attempt.answered)

    def on_connected(self, attempt, event):
        state = self.campaigns.get(attempt.campaign)
        now = self.now()
        attempt.connected = now
        snapshot = self.bridge.snapshot
        extension = member_extension(event)
        attempt.agent = next((a.id for a in snapshot.agents.values()
                if a.extension == extension), None) if snapshot else None
        if state:
            state.talking[attempt.key] = now
            if state.controller and not attempt.adopted:
                state.controller.observe_connected(
                    now, now - attempt.answered)

    def on_hangup(self, attempt):
        state = self.campaigns.get(attempt.campaign)
        now = self.now()
        if attempt.machine:
            outcome = 'machine'
        elif state and state.type == 'preview':
            # The callee answered and was rung through to the agent.
            outcome = 'answered'
        elif attempt.connected is not None:
            outcome = 'answered'
            if state:
                state.talking.pop(attempt.key, None)
                if state.controller and not attempt.adopted:
                    state.controller.observe_ended(
                        now, now - attempt.connected)
        elif attempt.answered is None:
            # Followed after a restart, never answered
            outcome = 'no_answer'
        else:
            # Answered, no agent took it (or the callee hung up first).
            outcome = 'abandoned'
            if not attempt.abandoned and state and state.controller \
                    and state.type != 'broadcast':
                attempt.abandoned = True
                state.controller.observe_abandoned(now)
            if state and state.type == 'broadcast':
                outcome = 'answered'
        asyncio.ensure_future(self.finish(attempt, outcome))

    async def finish(self, attempt, outcome):
        state = self.campaigns.get(attempt.campaign)
        if state:
            state.attempts.pop(attempt.key, None)
        self.by_action.pop(attempt.key, None)
        if attempt.uniqueid:
            self.by_uniqueid.pop(attempt.uniqueid, None)
        try:
            await self.bridge.database.run(record, attempt.number_id,
                outcome, attempt.start, attempt.answer_time,
                dt.datetime.utcnow(), attempt.agent,
                attempt.uniqueid)
        except Exception:
            log.exception('dialer: recording %s of %s failed', outcome,
                attempt.number)
        log.info('dialer: campaign %s number %s: %s', attempt.campaign,
            attempt.number, outcome)
