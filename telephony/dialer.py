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

Voice broadcast campaigns play the message rendered for the number (TTS)
instead of joining the queue; with "press 1" a caller who presses 1 joins
the queue. Preview campaigns dial only the numbers agents asked for
(dialer.preview), and put the callee through to that agent.
"""
import asyncio
import dataclasses
import datetime as dt
import itertools
import logging
import os

from tvcc import asterisk_values, phone

from . import pacing
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
_keys = itertools.count(1)


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


@dataclasses.dataclass
class CampaignState:
    id: int
    type: str
    queue: str
    controller: pacing.Controller
    day: dt.date
    detect_machines: bool = False
    attempts: dict = dataclasses.field(default_factory=dict)   # key
    # talk start (loop time) of agents on one of this campaign's calls
    talking: dict = dataclasses.field(default_factory=dict)    # key


def load_campaigns(pool, queue_codes):
    """The running campaigns of these queues, and broadcasts without a
    queue: [(id, type, queue code or None, detect machines)]"""
    Campaign = pool.get('dialer.campaign')
    return [(c.id, c.type, c.queue.code if c.queue else None,
            bool(c.detect_machines))
        for c in Campaign.search([
                ('state', '=', 'running'),
                ['OR',
                    ('queue.code', 'in', list(queue_codes)),
                    [('queue', '=', None), ('type', '=', 'broadcast')],
                    ],
                ])]


def claim_numbers(pool, campaign_id, now, count):
    """[(number id, E.164, broadcast message or None, press 1)] to dial
    now"""
    Campaign = pool.get('dialer.campaign')
    return [(n.id, n.phone,
            n.message() if n.campaign.type == 'broadcast' else None,
            bool(n.campaign.transfer_to_agent))
        for n in Campaign.next_numbers(campaign_id, now=now, count=count)]


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


def queue_figures(events, queue):
    "(ready agents, busy agents, callers waiting) from QueueStatus events"
    ready = busy = waiting = 0
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
                ready += 1
            elif status in {'2', '3', '6', '7'} or event.get('InCall') == '1':
                busy += 1
        elif event.get('Event') == 'QueueEntry':
            waiting += 1
    return ready, busy, waiting


class DialerEngine:

    def __init__(self, bridge, controller='ours'):
        self.bridge = bridge
        self.controller_class = pacing.CONTROLLERS[controller]
        self.campaigns = {}
        self.by_action = {}         # ActionID -> Attempt
        self.by_uniqueid = {}       # channel Uniqueid -> Attempt
        self.loop = None

    def now(self):
        return self.loop.time()

    async def run(self):
        self.loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(TICK)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception('dialer: tick failed; retrying')

    async def tick(self):
        bridge = self.bridge
        if not (bridge.ami and bridge.ami.ready.is_set() and bridge.snapshot):
            return
        codes = set(bridge.snapshot.queues_by_code)
        running = await bridge.database.run(load_campaigns, codes,
            readonly=True)
        today = dt.datetime.utcnow().date()
        for campaign_id, type_, queue, amd in running:
            state = self.campaigns.get(campaign_id)
            if state is None or state.queue != queue:
                state = self.campaigns[campaign_id] = CampaignState(
                    id=campaign_id, type=type_, queue=queue,
                    controller=self.controller_for(type_), day=today)
                log.info('dialer: campaign %s (%s) calls for queue %s',
                    campaign_id, type_, queue)
            state.detect_machines = amd and type_ != 'broadcast'
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
        return self.controller_class()

    async def pace(self, state, status):
        if state.type == 'preview':
            for number_id, number, agent, extension in (
                    await self.bridge.database.run(claim_preview_calls,
                        state.id)):
                await self.originate(state, number_id, number,
                    agent=(agent, extension))
            return
        now = self.now()
        ready, busy, waiting = queue_figures(status, state.queue)
        ringing = [a.originated for a in state.attempts.values()
            if a.answered is None]
        if state.controller is None:
            count = 1000
        else:
            talking = list(state.talking.values())
            busy_agents = talking + [now] * max(0, busy - len(talking))
            count = state.controller.calls_to_dial(now, ready, busy_agents,
                ringing, waiting)
        log.debug('dialer: campaign %s: %s ready, %s busy, %s ringing, '
            '%s waiting: dial %s', state.id, ready, busy, len(ringing),
            waiting, count)
        if count > 0:
            numbers = await self.bridge.database.run(claim_numbers,
                state.id, dt.datetime.utcnow(), count)
            for number_id, number, message, press_one in numbers:
                await self.originate(state, number_id, number, message,
                    press_one)
        level = state.controller.dial_level if state.controller else None
        await self.bridge.database.run(write_monitor, state.id,
            level, busy, ready)

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
        key = f'tvccdial-{next(_keys)}'
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
        "Answering machine detection decided: a person or a machine"
        state = self.campaigns.get(attempt.campaign)
        attempt.machine = machine
        if state and state.controller and attempt.answered is not None:
            ring = attempt.answered - attempt.originated
            if machine:
                state.controller.observe_unanswered(self.now(), ring)
            else:
                state.controller.observe_answered(self.now(), ring)

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
            if state.controller:
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
                if state.controller:
                    state.controller.observe_ended(
                        now, now - attempt.connected)
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
