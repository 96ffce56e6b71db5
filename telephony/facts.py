"""Turn what Asterisk reports into call facts (pure functions).

Three sources say the same things: live AMI events, the queue_log file and
the CDR file. Each is mapped here to the same fact dicts that
callcenter.call applies idempotently, so a call seen twice (live, then on
resynchronisation) is recorded once.
"""
import csv
import datetime as dt
import io
import math
import re

LOCAL_MEMBER = re.compile(r'^Local/(?P<ext>[0-9]+)@tvcc-agents')
# The channel of one party of a call (a leg): an agent's phone (every agent
# is dialled through tvcc-agents) or an outside number (tvcc-dialer-out).
LEG_CHANNEL = re.compile(
    r'^Local/(?P<ext>[0-9]+)@tvcc-(?P<kind>agents|dialer-out)-[0-9a-f]+;1$')
LEG_KINDS = {'answered', 'consult', 'transfer', 'conference', 'park'}
LINKEDID = re.compile(r'(?:[A-Za-z0-9_-]{1,40}-)?[0-9]{1,20}\.[0-9]{1,10}')


def when(epoch):
    "UTC naive datetime (Tryton's convention) from epoch seconds"
    return dt.datetime.utcfromtimestamp(float(epoch))


def event_time(event):
    stamp = event.get('Timestamp')
    return when(stamp) if stamp else dt.datetime.utcnow()


def member_extension(event):
    "The agent extension of a queue member event"
    name = event.get('MemberName') or ''
    if name.isdigit():
        return name
    match = LOCAL_MEMBER.match(event.get('Interface') or name)
    return match.group('ext') if match else None


def _number(value, default=None):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    # 'nan' and 'inf' parse too: no duration of a call.
    return number if math.isfinite(number) else default


class FactMapper:
    """Knows the node's queues and agents (from the snapshot)"""

    def __init__(self, snapshot):
        self.queue_ids = {q.code: q.id for q in snapshot.queues.values()}
        self.agents = snapshot.agents_by_extension
        self.wrapup = {q.code: q.wrapup for q in snapshot.queues.values()}

    def agent_id(self, extension):
        agent = self.agents.get(extension)
        return agent.id if agent else None

    # -- AMI --

    def from_event(self, event):
        "Return (call facts, agent facts) for one AMI event"
        name = event.get('Event')
        handler = getattr(self, f'_ami_{name}', None)
        if handler is None:
            return [], []
        return handler(event, event_time(event))

    def _base(self, event, kind, time, **values):
        # When the caller's channel is already gone, Asterisk sends only the
        # agent side (Dest*): same call, same linked id.
        fact = {'kind': kind, 'time': time,
            'linkedid': event.get('Linkedid') or event.get('DestLinkedid')
            or event.get('Uniqueid'),
            'uniqueid': event.get('Uniqueid')}
        fact.update(values)
        return fact

    def _agent_fact(self, extension, state, time, event=None):
        agent = self.agent_id(extension)
        if agent is None:
            return []
        return [{'kind': 'agent_state', 'agent': agent, 'state': state,
                'time': time,
                'linkedid': event.get('Linkedid') if event else None}]

    def _ami_QueueCallerJoin(self, event, time):
        return [self._base(event, 'queue_join', time,
                queue=self.queue_ids.get(event.get('Queue')),
                caller=event.get('CallerIDNum'),
                channel=event.get('Channel'))], []

    def _ami_AgentCalled(self, event, time):
        return self._ringing(event, time, member_extension(event))

    def _ringing(self, event, time, ext):
        "The agent's phone rings: their state, and their screen pops"
        facts = [self._base(event, 'agent_ringing', time,
                agent=self.agent_id(ext))]
        agent_facts = self._agent_fact(ext, 'ringing', time, event)
        if agent_facts:
            agent_facts.append({**agent_facts[0], 'kind': 'screen_pop'})
        return facts, agent_facts

    def _ami_AgentRingNoAnswer(self, event, time):
        ext = member_extension(event)
        ring = _number(event.get('RingTime'))
        return [self._base(event, 'ring_no_answer', time,
                agent=self.agent_id(ext),
                ring=ring / 1000 if ring is not None else None)], \
            self._agent_fact(ext, 'ready', time, event)

    def _ami_AgentConnect(self, event, time):
        ext = member_extension(event)
        return [self._base(event, 'agent_connect', time,
                agent=self.agent_id(ext),
                wait=_number(event.get('HoldTime')),
                ring=_number(event.get('RingTime'))),
            *self._leg_start(event, time, ext,
                leg=event.get('DestUniqueid'))], \
            self._agent_fact(ext, 'in_call', time, event)

    # -- legs (who talked when: transfers, consultations, conferences) --

    def _leg_start(self, event, time, ext=None, number=None, kind=None,
            leg=None):
        "A party answered: kind None is the first agent, or a transfer"
        agent = self.agent_id(ext) if ext else None
        leg = leg or event.get('Uniqueid')
        if not leg or not (agent or number):
            return []
        return [self._base(event, 'leg_start', time, leg=leg, agent=agent,
                number=number, leg_kind=kind if kind in LEG_KINDS else None)]

    def _ami_AgentComplete(self, event, time):
        ext = member_extension(event)
        wrapup = self.wrapup.get(event.get('Queue'), 0)
        state = 'wrapup' if wrapup else 'ready'
        facts = self._agent_fact(ext, state, time, event)
        if facts and wrapup:
            facts[0]['ready_after'] = wrapup
        return [self._base(event, 'agent_complete', time,
                agent=self.agent_id(ext),
                talk=_number(event.get('TalkTime')))], facts

    def _ami_QueueCallerAbandon(self, event, time):
        return [self._base(event, 'abandon', time,
                wait=_number(event.get('HoldTime')))], []

    def _ami_Hold(self, event, time):
        return [self._base(event, 'hold', time)], []

    def _ami_Unhold(self, event, time):
        return [self._base(event, 'unhold', time)], []

    # A call the IVR sends to one agent (tvcc-route,agent: Dial, no queue)
    # reports its ring, answer and end in user events.

    def _ami_UserEvent(self, event, time):
        handler = getattr(self, f'_user_{event.get("UserEvent")}', None)
        if handler is None:
            return [], []
        return handler(event, time, event.get('Agent') or '')

    def _user_TvccAgentRinging(self, event, time, ext):
        return self._ringing(event, time, ext)

    def _user_TvccAgentConnect(self, event, time, ext):
        ring = _number(event.get('Ring'))
        # The caller waited for the agent while the phone rang.
        return [self._base(event, 'agent_connect', time,
                agent=self.agent_id(ext), wait=ring, ring=ring),
            *self._leg_start(event, time, ext)], \
            self._agent_fact(ext, 'in_call', time, event)

    @staticmethod
    def _of_call(event):
        "A channel the bridge originated names its call (Call: linked id)"
        call = event.get('Call') or ''
        if LINKEDID.fullmatch(call):
            return {**event, 'Linkedid': call}
        return event

    def _user_TvccLegRinging(self, event, time, ext):
        # A transfer or consultation rings an agent: their screen pops.
        return self._ringing(self._of_call(event), time, ext)

    def _user_TvccLegAnswered(self, event, time, ext):
        event = self._of_call(event)
        number = event.get('Number') or None
        facts = self._leg_start(event, time, ext or None, number,
            event.get('Kind'))
        return facts, self._agent_fact(ext, 'in_call', time, event) \
            if ext else []

    def _ami_ParkedCall(self, event, time):
        return self._park(event, time, 'leg_start')

    def _park(self, event, time, kind):
        linkedid = event.get('ParkeeLinkedid')
        uniqueid = event.get('ParkeeUniqueid')
        if not (linkedid and uniqueid):
            return [], []
        fact = {'kind': kind, 'time': time, 'linkedid': linkedid,
            'uniqueid': uniqueid, 'leg': f'park-{uniqueid}'}
        if kind == 'leg_start':
            fact.update(agent=None, leg_kind='park',
                number=event.get('ParkingSpace'))
        return [fact], []

    def _ami_UnParkedCall(self, event, time):
        return self._park(event, time, 'leg_end')

    _ami_ParkedCallGiveUp = _ami_UnParkedCall
    _ami_ParkedCallTimeOut = _ami_UnParkedCall

    def _user_TvccAgentDone(self, event, time, ext):
        status = event.get('Status') or ''
        dialed = _number(event.get('Dialed'))
        ready = self._agent_fact(ext, 'ready', time, event)
        if status == 'ANSWER':
            return [self._base(event, 'agent_complete', time,
                    agent=self.agent_id(ext),
                    talk=_number(event.get('Talk')))], ready
        if status == 'CANCEL':
            # The caller hung up while the agent's phone rang.
            return [self._base(event, 'abandon', time, wait=dialed)], ready
        return [self._base(event, 'ring_no_answer', time,
                agent=self.agent_id(ext), ring=dialed)], ready

    def _ami_Hangup(self, event, time):
        # Only the call's first channel ends the call; a party's channel
        # ends its leg.
        facts = []
        if LEG_CHANNEL.match(event.get('Channel') or ''):
            # Found by the leg's id (a party the bridge originated has a
            # linked id of its own).
            facts.append(self._base(event, 'leg_end', time,
                    leg=event.get('Uniqueid')))
        if event.get('Uniqueid') == event.get('Linkedid'):
            facts.append(self._base(event, 'hangup', time))
        return facts, []

    # -- queue_log --

    def from_queue_log(self, line):
        "Facts of one queue_log line: time|callid|queue|agent|event|data..."
        parts = line.rstrip('\n').split('|')
        if len(parts) < 5 or not parts[1] or parts[1] == 'NONE':
            return []
        stamp, callid, queue, agent, event, *data = parts
        try:
            time = when(stamp)
        except ValueError:
            return []
        data += [''] * 4
        base = {'time': time, 'linkedid': callid, 'uniqueid': callid}
        ext = agent if agent.isdigit() else None
        if event == 'ENTERQUEUE':
            return [{**base, 'kind': 'queue_join',
                    'queue': self.queue_ids.get(queue),
                    'caller': data[1] or None}]
        if event == 'CONNECT':
            return [{**base, 'kind': 'agent_connect',
                    'agent': self.agent_id(ext),
                    'wait': _number(data[0]), 'ring': _number(data[2])}]
        if event in {'COMPLETECALLER', 'COMPLETEAGENT'}:
            return [{**base, 'kind': 'agent_complete',
                    'agent': self.agent_id(ext), 'talk': _number(data[1])}]
        if event == 'ABANDON':
            return [{**base, 'kind': 'abandon', 'wait': _number(data[2])}]
        if event == 'RINGNOANSWER':
            ring = _number(data[0])
            return [{**base, 'kind': 'ring_no_answer',
                    'agent': self.agent_id(ext),
                    'ring': ring / 1000 if ring is not None else None}]
        if event == 'EXITWITHTIMEOUT':
            return [{**base, 'kind': 'queue_timeout'}]
        return []


CDR_FIELDS = ['linkedid', 'uniqueid', 'src', 'dst', 'dcontext', 'channel',
    'dstchannel', 'start', 'answer', 'end', 'disposition', 'userfield']


def from_cdr(line):
    "Hang-up fact of a CDR line (tvcc.csv) of a call's first channel"
    try:
        row = dict(zip(CDR_FIELDS, next(csv.reader(io.StringIO(line)))))
    except (StopIteration, csv.Error):
        return []
    if row.get('uniqueid') != row.get('linkedid') or not row.get('end'):
        return []
    end = _number(row['end'])
    if not end:
        return []
    # The CDR's answer time is the IVR answering, not an agent: not used.
    return [{'kind': 'hangup', 'time': when(end),
            'linkedid': row['linkedid'], 'uniqueid': row['uniqueid']}]
