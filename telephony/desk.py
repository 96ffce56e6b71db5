"""Desk calls (click-to-dial) and callback requests, through AMI.

The server writes an agent's request (dialer.desk_call, after its checks);
this loop claims the requests of the agents this bridge serves and
originates each: first the agent's phone (Local/<ext>@tvcc-agents, as the
queues ring it), then, once the agent answers, the tvcc-desk dialplan dials
the number through tvcc-dialer-out (the outbound allow-list, the trunk, the
company's caller ID) and records the call when the policy says so. The call
becomes an outbound call record of the agent (facts desk_dialed and
desk_answered); how it ended goes back to the request (and to the callback
it was dialled for).

A caller who presses a queue's callback key leaves the queue into
tvcc-callback, which reports TvccCallbackRequest: the fact
callback_requested makes the callback (tv_dialer callcenter.py).
"""
import asyncio
import dataclasses
import datetime as dt
import itertools
import logging
import os
import secrets
import time

from tvcc import asterisk_values, phone

from . import routes
from .dialer import DialerEngine

log = logging.getLogger(__name__)

TICK = float(os.environ.get('TVCC_BRIDGE_WATCH', 1.0))
# How long the agent's phone rings, then the number's (seconds).
AGENT_RING = 20
RING_TIMEOUT = int(os.environ.get('TVCC_DIALER_RING', 30))
# What tvcc-desk-done reports (DIALSTATUS of the number) -> outcome
STATUSES = {'ANSWER': 'answered', 'BUSY': 'busy', 'NOANSWER': 'no_answer',
    'CANCEL': 'cancelled'}
_keys = itertools.count(1)


def claim(pool, extensions):
    """[(request id, agent id, extension, E.164, caller ID, record, party
    id, origin)] of the agents' requests, each handed out once"""
    DeskCall = pool.get('dialer.desk_call')
    return [(r.id, r.agent.id, r.agent.extension, r.number, r.caller_id,
            bool(r.record), r.party.id if r.party else None,
            str(r.origin) if r.origin is not None else None)
        for r in DeskCall.claim(extensions)]


def record_outcome(pool, request_id, outcome, linkedid, answer_time,
        end_time):
    pool.get('dialer.desk_call').record_outcome(request_id, outcome,
        linkedid=linkedid, answer_time=answer_time, end_time=end_time)


@dataclasses.dataclass
class DeskAttempt:
    request: int
    agent: int
    number: str
    linkedid: str
    answer_time: dt.datetime = None
    done: bool = False


class DeskDialer:

    def __init__(self, bridge):
        self.bridge = bridge
        self.by_action = {}          # ActionID -> DeskAttempt
        self.by_linkedid = {}        # linked id -> DeskAttempt
        # linked id -> what the call record needs once the agent answers
        self.pending = {}
        self.run_id = secrets.token_hex(3)

    async def run(self):
        while True:
            await asyncio.sleep(TICK)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception('desk: tick failed; retrying')

    async def tick(self):
        bridge = self.bridge
        if not (bridge.ami and bridge.ami.ready.is_set() and bridge.snapshot):
            return
        extensions = list(bridge.snapshot.agents_by_extension)
        if not extensions:
            return
        for request in await bridge.database.run(claim, extensions):
            await self.originate(*request)

    async def originate(self, request, agent, extension, number, caller_id,
            record, party, origin):
        key = f'tvccdesk-{self.run_id}-{next(_keys)}'
        # The call's linked id is chosen here (ChannelId of the agent's
        # leg): the recording's file is named after it before it starts.
        linkedid = f'desk-{int(time.time())}.{request}'
        attempt = DeskAttempt(request=request, agent=agent, number=number,
            linkedid=linkedid)
        try:
            dial = phone.national(number)
        except phone.InvalidPhoneNumber:
            dial = ''
        # The digits the callee sees, as campaigns present them.
        caller_id = DialerEngine.presented(caller_id)
        if not (asterisk_values.is_safe('number', dial)
                and asterisk_values.is_safe('extension', extension)
                and caller_id):
            log.error('desk: request %s refused: unsafe number, extension or '
                'caller ID', request)
            await self.finish(attempt, 'failed')
            return
        recording = routes.recording_path(self.bridge.node, linkedid) \
            if record else ''
        variables = {
            'TVCC_DESK': request,
            'TVCC_CALLER_ID': caller_id,
            'TVCC_RECORD': '1' if record else '',
            'TVCC_RECORDING': recording,
            'TVCC_DESK_RING': RING_TIMEOUT,
            # The agent's leg is a click-to-dial: a browser phone answers
            # it by itself (tvcc-agents passes it on).
            'TVCC_CLICK': request,
            }
        self.by_action[key] = attempt
        self.by_linkedid[linkedid] = attempt
        self.pending[linkedid] = dict(party=party, origin=origin,
            record=record, recording=recording)
        response = await self.bridge.ami.action({
                'Action': 'Originate',
                'Channel': f'Local/{extension}@tvcc-agents/n',
                'Context': 'tvcc-desk', 'Exten': dial, 'Priority': 1,
                'Timeout': AGENT_RING * 1000, 'Async': 'true',
                # What the agent's phone shows: the number being called.
                'CallerID': f'<{dial}>',
                'ChannelId': linkedid,
                'OtherChannelId': f'{linkedid}0',
                'ActionID': key,
                'Variable': [f'{k}={v}' for k, v in variables.items()],
                })
        if response.get('Response') != 'Success':
            log.warning('desk: originate for request %s refused: %s',
                request, response.get('Message'))
            await self.finish(attempt, 'failed')

    # -- events (from the bridge's AMI listener) --

    def on_event(self, event):
        name = event.get('Event')
        if name == 'OriginateResponse':
            attempt = self.by_action.pop(event.get('ActionID'), None)
            if attempt:
                self.on_agent_answer(attempt, event)
        elif name == 'UserEvent':
            kind = event.get('UserEvent')
            if kind == 'TvccDeskAnswered':
                attempt = self.by_linkedid.get(event.get('Linkedid'))
                if attempt and attempt.answer_time is None:
                    attempt.answer_time = dt.datetime.utcnow()
                    self.bridge.submit([{'kind': 'desk_answered',
                                'linkedid': attempt.linkedid,
                                'time': attempt.answer_time}])
            elif kind == 'TvccDeskDone':
                attempt = self.by_linkedid.get(event.get('Linkedid'))
                if attempt:
                    outcome = STATUSES.get(event.get('Status') or '',
                        'failed')
                    asyncio.ensure_future(self.finish(attempt, outcome))
            elif kind == 'TvccCallbackRequest':
                linkedid = event.get('Linkedid')
                if asterisk_values.is_safe('linkedid', linkedid or ''):
                    self.bridge.submit([{'kind': 'callback_requested',
                                'linkedid': linkedid,
                                'uniqueid': event.get('Uniqueid'),
                                'time': dt.datetime.utcnow()}])
                    log.info('callback requested on call %s', linkedid)

    def on_agent_answer(self, attempt, event):
        if event.get('Response') != 'Success':
            # The agent's phone did not answer (or could not be rung).
            asyncio.ensure_future(self.finish(attempt, 'agent_no_answer'))
            return
        now = dt.datetime.utcnow()
        extra = self.pending.pop(attempt.linkedid, {})
        self.bridge.submit([{'kind': 'desk_dialed',
                    'linkedid': attempt.linkedid,
                    'uniqueid': attempt.linkedid,
                    'time': now, 'caller': attempt.number,
                    'agent': attempt.agent, 'party': extra.get('party'),
                    'origin': extra.get('origin'),
                    'desk_call': attempt.request,
                    'record': extra.get('record'),
                    'recording_path': extra.get('recording') or None},
                {'kind': 'agent_state', 'agent': attempt.agent,
                    'state': 'in_call', 'time': now,
                    'linkedid': attempt.linkedid}])

    async def finish(self, attempt, outcome):
        if attempt.done:
            return
        attempt.done = True
        self.by_linkedid.pop(attempt.linkedid, None)
        self.pending.pop(attempt.linkedid, None)
        if self.bridge.ingestor:
            # The call record first: the request links to it.
            try:
                await self.bridge.ingestor.drained(timeout=10)
            except asyncio.TimeoutError:
                pass
        try:
            await self.bridge.database.run(record_outcome, attempt.request,
                outcome, attempt.linkedid, attempt.answer_time,
                dt.datetime.utcnow())
        except Exception:
            log.exception('desk: recording %s of request %s failed', outcome,
                attempt.request)
        log.info('desk: request %s to %s: %s', attempt.request,
            attempt.number, outcome)
