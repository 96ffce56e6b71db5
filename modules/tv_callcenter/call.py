# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Call records: one per call, built from facts the bridge reports.

A fact is a dict such as {'kind': 'agent_connect', 'linkedid': ...,
'time': datetime, 'agent': '8001', 'ring': 3}. Facts come live from AMI
events and again, after a disconnect or a restart, from queue_log and the
CDR file; applying a fact twice changes nothing, so replays are harmless.
"""
import datetime as dt

from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from .guard import ClientGuardMixin

from .ivr import CALLER_CLASSES

DISPOSITIONS = [
    (None, ""),
    ('answered', "Answered"),
    ('abandoned', "Abandoned"),
    ('blacklisted', "Blacklisted"),
    ('after_hours', "After hours"),
    ('overflow', "Overflow"),
    ('voicemail', "Voicemail"),
    ('ivr', "Ended in the IVR"),
    ]


def seconds(delta):
    return dt.timedelta(seconds=round(delta)) if delta is not None else None


class Call(ClientGuardMixin, ModelSQL, ModelView):
    __name__ = 'callcenter.call'
    __string__ = "Call"

    node = fields.Many2One(
        'callcenter.node', "Asterisk Node", required=True, readonly=True,
        ondelete='RESTRICT')
    linkedid = fields.Char("Linked ID", required=True, readonly=True)
    uniqueid = fields.Char("Unique ID", readonly=True)
    channel = fields.Char("Channel", readonly=True)
    direction = fields.Selection([
            ('inbound', "Inbound"),
            ('outbound', "Outbound"),
            ], "Direction", required=True, readonly=True)
    state = fields.Selection([
            ('active', "In progress"),
            ('ended', "Ended"),
            ], "State", required=True, readonly=True)
    caller = fields.Char("Caller", readonly=True)
    caller_name = fields.Char("Caller Name", readonly=True)
    caller_class = fields.Selection(
        [(None, "")] + CALLER_CLASSES, "Caller Class", readonly=True)
    caller_location = fields.Char("Caller Location", readonly=True)
    long_distance = fields.Boolean("Long Distance", readonly=True)
    did = fields.Many2One('callcenter.did', "Called Number", readonly=True)
    called_number = fields.Char("Dialled", readonly=True)
    party = fields.Many2One(
        'party.party', "Customer", ondelete='SET NULL',
        states={'readonly': Eval('state') == 'ended'})
    ivr_steps = fields.One2Many(
        'callcenter.call.ivr_step', 'call', "IVR Path", readonly=True)
    queue = fields.Many2One('callcenter.queue', "Queue", readonly=True)
    priority = fields.Integer("Priority", readonly=True)
    start_time = fields.DateTime("Start", readonly=True)
    enter_time = fields.DateTime("Queued At", readonly=True)
    ring_time = fields.DateTime("First Ring", readonly=True)
    connect_time = fields.DateTime("Answered At", readonly=True)
    end_time = fields.DateTime("End", readonly=True)
    wait_duration = fields.TimeDelta("Wait", readonly=True)
    ring_duration = fields.TimeDelta("Ring", readonly=True,
        help="How long the answering agent's phone rang (speed of answer).")
    talk_duration = fields.TimeDelta("Talk", readonly=True)
    hold_count = fields.Integer("Holds", readonly=True)
    hold_duration = fields.TimeDelta("Hold", readonly=True)
    holds = fields.One2Many('callcenter.call.hold', 'call', "Holds",
        readonly=True)
    agent = fields.Many2One('callcenter.agent', "Agent", readonly=True)
    # The name only: a customer's earlier calls list who took them, and
    # agents read no other agent's record (its current caller).
    agent_name = fields.Function(fields.Char("Agent"), 'get_agent_name')
    current_agents = fields.One2Many(
        'callcenter.agent', 'current_call', "Agents on the Call",
        readonly=True,
        help="The agents this call rings at or who are on it now.")
    agent_user = fields.Function(
        fields.Many2One('res.user', "Agent User"), 'get_agent_user',
        searcher='search_agent_user')
    disposition = fields.Selection(DISPOSITIONS, "Disposition",
        readonly=True)
    route_outcome = fields.Char("Route Outcome", readonly=True)
    rona_count = fields.Integer("RONA", readonly=True,
        help="Times the call rang an agent without answer and moved on.")
    ronas = fields.One2Many('callcenter.call.rona', 'call', "RONA",
        readonly=True)
    record = fields.Boolean("Recorded", readonly=True)
    recording_path = fields.Char("Recording File", readonly=True)
    recording = fields.Binary(
        "Recording", readonly=True, file_id='recording_id',
        filename='recording_name')
    recording_id = fields.Char("Recording ID", readonly=True)
    recording_name = fields.Function(
        fields.Char("Recording Name"), 'get_recording_name')
    recording_duration = fields.Float(
        "Recording (s)", digits=(8, 1), readonly=True)
    recording_size = fields.Integer("Recording Size (bytes)", readonly=True)
    notes = fields.Text("Notes")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('linkedid_unique', Unique(t, t.node, t.linkedid),
                'tv_callcenter.msg_call_linkedid_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.caller, Index.Equality())),
                Index(t, (t.node, Index.Equality()),
                    (t.uniqueid, Index.Equality())),
                Index(t, (t.start_time, Index.Range())),
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state == 'active'),
                })
        cls._order = [('start_time', 'DESC NULLS FIRST'), ('id', 'DESC')]

    @classmethod
    def default_direction(cls):
        return 'inbound'

    @classmethod
    def default_state(cls):
        return 'active'

    @classmethod
    def default_rona_count(cls):
        return 0

    @classmethod
    def default_hold_count(cls):
        return 0

    def get_rec_name(self, name):
        when = self.start_time.strftime('%Y-%m-%d %H:%M') \
            if self.start_time else ''
        return f'{self.caller or "?"} {when}'.strip()

    def get_agent_user(self, name):
        return self.agent.user.id if self.agent else None

    @classmethod
    def search_agent_user(cls, name, clause):
        return [('agent.user',) + tuple(clause[1:])]

    def get_recording_name(self, name):
        return f'{self.linkedid}.wav' if self.record else None

    @classmethod
    def get_agent_name(cls, calls, name):
        with without_check_access():
            return {c.id: c.agent.rec_name if c.agent else None
                for c in cls.browse(calls)}

    @classmethod
    def of_context(cls, domain=None):
        """The call a form was opened for: the context's 'tvcc_call' (set by
        the screen pop), else the call the agent is on or just ended.

        A user only gets one of their own calls (a client may send any
        id); internal code (user 0) any."""
        pool = Pool()
        Agent = pool.get('callcenter.agent')
        transaction = Transaction()
        try:
            call_id = int(transaction.context.get('tvcc_call') or 0)
        except (TypeError, ValueError):
            call_id = 0
        if call_id <= 0:
            # Any user may open these forms (logistics, finance): whether
            # they are an agent is not theirs to read.
            with without_check_access():
                agent = (Agent.for_current_user() if transaction.user
                    else None)
                current = agent.current_call if agent else None
            if (not agent or not current
                    or agent.state not in {'ringing', 'in_call', 'wrapup'}):
                return None
            call_id = current.id
        domain = [('id', '=', call_id), *(domain or [])]
        if transaction.user:
            # Answered by them, or ringing at them now.
            domain.append(['OR',
                    ('agent.user', '=', transaction.user),
                    ('current_agents.user', '=', transaction.user)])
        with without_check_access():
            calls = cls.search(domain, limit=1)
        return calls[0] if calls else None

    # -- ingestion --

    @classmethod
    def apply_facts(cls, node, facts):
        """Apply facts (in order) to the calls of node; return those calls

        The rule of each fact is one _apply_<kind> method; every one only
        fills what is empty or adds what is missing, so a replay is a no-op.
        A batch costs one search for the calls it names and one create for
        the new ones, whatever its size.
        """
        facts = [f for f in facts if f.get('linkedid')]
        by_call = cls._find_or_create(node, facts)
        touched = set()
        for fact in facts:
            call = by_call.get(fact['linkedid'])
            if call is None:
                continue
            getattr(cls, f'_apply_{fact["kind"]}')(call, fact)
            if fact['kind'] in {'hold', 'unhold'}:
                touched.add(call.linkedid)
        calls = list({c.id: c for c in by_call.values()}.values())
        for call in calls:
            call._derive(holds=call.linkedid in touched)
        cls.save(calls)
        return calls

    @classmethod
    def _find_or_create(cls, node, facts):
        "{linked id: call} for the facts, creating the calls first seen"
        ids = {f['linkedid'] for f in facts} | {
            f['uniqueid'] for f in facts if f.get('uniqueid')}
        found = {}
        for call in cls.search([('node', '=', node.id), ['OR',
                        ('linkedid', 'in', list(ids)),
                        ('uniqueid', 'in', list(ids))]]):
            found[call.linkedid] = found[call.uniqueid] = call
        new = {}
        for fact in facts:
            key = fact['linkedid']
            if key in found or key in new:
                continue
            if fact.get('uniqueid') in found:
                found[key] = found[fact['uniqueid']]
                continue
            if fact['kind'] in {'hangup', 'recording_saved'}:
                # Nothing we routed or queued: an internal or test channel.
                continue
            new[key] = {'node': node.id, 'linkedid': key,
                'uniqueid': fact.get('uniqueid') or key,
                'direction': 'inbound', 'state': 'active', 'rona_count': 0,
                'hold_count': 0, 'start_time': fact['time'],
                'caller': fact.get('caller')}
        if new:
            for call in cls.create(list(new.values())):
                found[call.linkedid] = call
        return {f['linkedid']: found[f['linkedid']] for f in facts
            if f['linkedid'] in found}

    @staticmethod
    def _set_if_empty(call, **values):
        for name, value in values.items():
            if value is not None and getattr(call, name, None) in (None, ''):
                setattr(call, name, value)

    @classmethod
    def _apply_routed(cls, call, fact):
        pool = Pool()
        Step = pool.get('callcenter.call.ivr_step')
        cls._set_if_empty(call,
            uniqueid=fact.get('uniqueid'), caller=fact.get('caller'),
            caller_name=fact.get('caller_name'),
            caller_class=fact.get('caller_class'),
            caller_location=fact.get('caller_location'),
            did=fact.get('did'), called_number=fact.get('called_number'),
            party=fact.get('party'), queue=fact.get('queue'),
            priority=fact.get('priority'),
            route_outcome=fact.get('outcome'),
            recording_path=fact.get('recording_path'))
        for name in ('long_distance', 'record'):
            if fact.get(name):
                setattr(call, name, True)
        if call.start_time is None or fact['time'] < call.start_time:
            call.start_time = fact['time']
        if not call.ivr_steps:
            call.ivr_steps = [Step(
                    sequence=i, node=step.get('node'), name=step['name'],
                    key=step.get('key'), entered_at=step['time'])
                for i, step in enumerate(fact.get('steps', []))]

    @classmethod
    def _apply_dialed(cls, call, fact):
        "An outbound campaign's call the callee answered"
        call.direction = 'outbound'
        cls._set_if_empty(call, uniqueid=fact.get('uniqueid'),
            caller=fact.get('caller'), party=fact.get('party'))
        if call.start_time is None or fact['time'] < call.start_time:
            call.start_time = fact['time']

    @classmethod
    def _apply_queue_join(cls, call, fact):
        if fact.get('queue'):
            call.queue = fact['queue']
        cls._set_if_empty(call, enter_time=fact['time'],
            caller=fact.get('caller'), priority=fact.get('priority'),
            channel=fact.get('channel'))

    @classmethod
    def _apply_agent_ringing(cls, call, fact):
        cls._set_if_empty(call, ring_time=fact['time'])

    @classmethod
    def _apply_ring_no_answer(cls, call, fact):
        pool = Pool()
        Rona = pool.get('callcenter.call.rona')
        if call.id is None or fact.get('agent') is None:
            return
        if not Rona.search([('call', '=', call.id),
                    ('agent', '=', fact['agent']),
                    ('time', '=', fact['time'])], limit=1):
            Rona.create([{'call': call.id, 'agent': fact['agent'],
                        'time': fact['time'],
                        'ring_duration': seconds(fact.get('ring'))}])
        call.rona_count = Rona.search_count([('call', '=', call.id)])

    @classmethod
    def _apply_agent_connect(cls, call, fact):
        cls._set_if_empty(call, connect_time=fact['time'],
            agent=fact.get('agent'),
            ring_duration=seconds(fact.get('ring')))
        if call.enter_time is None and fact.get('wait') is not None:
            call.enter_time = fact['time'] - dt.timedelta(
                seconds=fact['wait'])

    @classmethod
    def _apply_agent_complete(cls, call, fact):
        cls._set_if_empty(call, agent=fact.get('agent'),
            talk_duration=seconds(fact.get('talk')))
        if call.connect_time is None and fact.get('talk') is not None:
            call.connect_time = fact['time'] - dt.timedelta(
                seconds=fact['talk'])

    @classmethod
    def _apply_abandon(cls, call, fact):
        cls._set_if_empty(call, end_time=fact['time'],
            route_outcome='abandoned')
        if call.enter_time is None and fact.get('wait') is not None:
            call.enter_time = fact['time'] - dt.timedelta(
                seconds=fact['wait'])

    @classmethod
    def _apply_queue_timeout(cls, call, fact):
        # The overflow route says where the call went (voicemail); a replay
        # from queue_log (EXITWITHTIMEOUT) only that it overflowed.
        outcome = fact.get('outcome')
        if outcome in {'overflow', 'voicemail'}:
            call.route_outcome = outcome
        elif call.route_outcome not in {'overflow', 'voicemail'}:
            call.route_outcome = 'overflow'

    @classmethod
    def _apply_hold(cls, call, fact):
        pool = Pool()
        Hold = pool.get('callcenter.call.hold')
        if call.id is None:
            return
        if not Hold.search([('call', '=', call.id),
                    ('start', '=', fact['time'])], limit=1):
            Hold.create([{'call': call.id, 'start': fact['time']}])

    @classmethod
    def _apply_unhold(cls, call, fact):
        pool = Pool()
        Hold = pool.get('callcenter.call.hold')
        if call.id is None:
            return
        holds = Hold.search([('call', '=', call.id), ('end', '=', None),
                ('start', '<=', fact['time'])], order=[('start', 'DESC')],
            limit=1)
        if holds:
            Hold.write(holds, {'end': fact['time']})

    @classmethod
    def _apply_hangup(cls, call, fact):
        cls._set_if_empty(call, end_time=fact['time'])
        call.state = 'ended'

    @classmethod
    def _apply_recording_started(cls, call, fact):
        call.record = True
        cls._set_if_empty(call, recording_path=fact.get('path'))

    @classmethod
    def _apply_recording_saved(cls, call, fact):
        call.recording = fact['data']
        call.recording_size = len(fact['data'])
        call.recording_duration = fact.get('duration')

    def _derive(self, holds=True):
        "Durations, hold totals and disposition from the recorded times"
        if self.enter_time:
            until = self.connect_time or self.end_time
            if until:
                self.wait_duration = max(
                    until - self.enter_time, dt.timedelta(0))
        if self.connect_time and self.end_time and not self.talk_duration:
            self.talk_duration = self.end_time - self.connect_time
        if holds and self.id is not None:
            holds = Pool().get('callcenter.call.hold').search(
                [('call', '=', self.id)])
            self.hold_count = len(holds)
            self.hold_duration = sum(
                ((h.end or self.end_time or h.start) - h.start
                    for h in holds), dt.timedelta(0)) if holds else None
        if self.end_time:
            self.state = 'ended'
        self.disposition = self.compute_disposition()

    def compute_disposition(self):
        "The one rule that says how a call ended"
        if self.connect_time and self.agent:
            return 'answered'
        outcome = self.route_outcome
        if outcome in {'blacklisted', 'after_hours', 'voicemail'}:
            return outcome
        if self.state != 'ended':
            return None
        if outcome == 'overflow':
            return 'overflow'
        if self.enter_time:
            return 'abandoned'
        return 'ivr'

    @classmethod
    def close_missing(cls, node, live_linkedids, moment):
        "End the active calls of node whose channels Asterisk no longer has"
        calls = cls.search([
                ('node', '=', node.id), ('state', '=', 'active'),
                ('linkedid', 'not in', list(live_linkedids)),
                ])
        for call in calls:
            call.end_time = call.end_time or moment
            call.state = 'ended'
            call._derive(holds=False)
        cls.save(calls)
        return calls


class CallIVRStep(ClientGuardMixin, ModelSQL, ModelView):
    __name__ = 'callcenter.call.ivr_step'
    __string__ = "IVR Step"

    call = fields.Many2One(
        'callcenter.call', "Call", required=True, ondelete='CASCADE')
    sequence = fields.Integer("Sequence")
    node = fields.Many2One(
        'callcenter.ivr.node', "Node", ondelete='SET NULL')
    name = fields.Char("Step")
    key = fields.Char("Key Pressed")
    entered_at = fields.DateTime("At")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('call', 'ASC'), ('sequence', 'ASC'), ('id', 'ASC')]


class CallRONA(ClientGuardMixin, ModelSQL, ModelView):
    "A ring without answer that moved the call to the next agent"
    __name__ = 'callcenter.call.rona'
    __string__ = "Ring No Answer"

    call = fields.Many2One(
        'callcenter.call', "Call", required=True, ondelete='CASCADE')
    agent = fields.Many2One('callcenter.agent', "Agent", required=True)
    time = fields.DateTime("Time", required=True)
    ring_duration = fields.TimeDelta("Rang")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('rona_unique', Unique(t, t.call, t.agent, t.time),
                'tv_callcenter.msg_call_rona_unique'),
            ]


class CallHold(ClientGuardMixin, ModelSQL, ModelView):
    __name__ = 'callcenter.call.hold'
    __string__ = "Hold"

    call = fields.Many2One(
        'callcenter.call', "Call", required=True, ondelete='CASCADE')
    start = fields.DateTime("Start", required=True)
    end = fields.DateTime("End")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('hold_unique', Unique(t, t.call, t.start),
                'tv_callcenter.msg_call_hold_unique'),
            ]
