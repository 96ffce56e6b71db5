# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Call control: transfers, consultation, three-way calls, conferences and
parking, and the legs of a call (who talked when).

An agent asks from the desk (buttons, the transfer wizard) or the call
record; the request is checked here (own call, known target, target free,
number allowed) and written as a callcenter.call.control record the bridge
carries out over AMI (telephony/callcontrol.py), woken by a NOTIFY. The
call stays one record; its legs come from what Asterisk reports.
"""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from tvcc import phone

from .exceptions import CallControlError
from .guard import ClientGuardMixin

LEG_KINDS = [
    ('answered', "Answered"),
    ('consult', "Consultation"),
    ('transfer', "Transfer"),
    ('conference', "Conference"),
    ('park', "Parked"),
    ]
ACTIONS = [
    ('blind', "Blind Transfer"),
    ('consult', "Consult"),
    ('complete', "Complete Transfer"),
    ('retrieve', "Return to Caller"),
    ('threeway', "Three-Way Call"),
    ('conference', "Add to Conference"),
    ('park', "Park"),
    ('pickup', "Pick Up"),
    ]
CONTROL_MODES = [
    (None, ""),
    ('consult', "Consultation"),
    ('conference', "Conference"),
    ]
TARGET_KINDS = [
    ('agent', "Agent"),
    ('queue', "Queue"),
    ('number', "Outside Number"),
    ]
# The actions that need a target, and the kinds each accepts.
TARGETED = {'blind': {'agent', 'queue', 'number'},
    'consult': {'agent', 'queue', 'number'},
    'conference': {'agent', 'number'}}
# What the bridge may answer (telephony/callcontrol.py) -> the message.
REFUSALS = {
    'not_your_call': 'tv_callcenter.msg_call_control_not_your_call',
    'state': 'tv_callcenter.msg_call_control_state',
    'no_consultation': 'tv_callcenter.msg_call_control_no_consultation',
    'target': 'tv_callcenter.msg_call_control_target_unknown',
    'not_parked': 'tv_callcenter.msg_call_control_not_parked',
    'failed': 'tv_callcenter.msg_call_control_failed',
    'action': 'tv_callcenter.msg_call_control_failed',
    }
NOTIFY_CHANNEL = 'tvcc_call_control'


def outside_number(raw):
    """The digits to dial for an outside number, or None when it may not be
    called: the desk's rule (tvcc.phone.dialable, as tvcc-dialer-out lets
    through; no international transfers)"""
    try:
        if phone.dialable(raw):
            return phone.national(raw)
    except phone.InvalidPhoneNumber:
        pass
    return None


def state_name(agent):
    "The agent's state in the user's language"
    selection = type(agent).fields_get(['state'])['state']['selection']
    return dict(selection).get(agent.state, agent.state)


class Call(metaclass=PoolMeta):
    __name__ = 'callcenter.call'

    legs = fields.One2Many('callcenter.call.leg', 'call', "Legs",
        readonly=True,
        help="Who talked when: the agent who answered, consultations, "
        "transfers, conferences and parking.")
    transfer_note = fields.Text("Transfer Note", readonly=True,
        help="What the agent who transferred the call wrote for the next.")
    transferred_by = fields.Many2One('callcenter.agent', "Transferred By",
        readonly=True)
    control_mode = fields.Selection(CONTROL_MODES, "Call Control",
        readonly=True)
    parked_at = fields.Char("Parked At", readonly=True,
        help="The parking space while the call is parked.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'pickup': {
                    'invisible': ~Bool(Eval('parked_at')),
                    'icon': 'tryton-forward',
                    'depends': ['parked_at'],
                    },
                })

    @classmethod
    @ModelView.button
    def pickup(cls, calls):
        "取回: the agent pressing it takes the parked call"
        pool = Pool()
        Agent = pool.get('callcenter.agent')
        with without_check_access():
            agent = Agent.for_current_user()
            if agent is None:
                raise CallControlError(gettext(
                        'tv_callcenter.msg_agent_no_desk'))
            for call in cls.browse([c.id for c in calls]):
                Agent.request_call_control(agent, 'pickup', call=call)


class CallLeg(ClientGuardMixin, ModelSQL, ModelView):
    "One party's part of a call: an agent or an outside number"
    __name__ = 'callcenter.call.leg'
    __string__ = "Call Leg"

    call = fields.Many2One('callcenter.call', "Call", required=True,
        ondelete='CASCADE', readonly=True)
    agent = fields.Many2One('callcenter.agent', "Agent", readonly=True)
    agent_name = fields.Function(fields.Char("Agent"), 'get_agent_name')
    number = fields.Char("Number", readonly=True,
        help="The outside number, or the parking space.")
    kind = fields.Selection(LEG_KINDS, "Kind", required=True, readonly=True)
    start = fields.DateTime("Start", required=True, readonly=True)
    end = fields.DateTime("End", readonly=True)
    duration = fields.TimeDelta("Duration", readonly=True)
    uniqueid = fields.Char("Channel ID", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.uniqueid, Index.Equality())),
                Index(t, (t.call, Index.Range())),
                })
        cls._order = [('call', 'ASC'), ('start', 'ASC'), ('id', 'ASC')]

    @classmethod
    def get_agent_name(cls, legs, name):
        # Agents read no other agent's record: its name only.
        with without_check_access():
            return {l.id: l.agent.rec_name if l.agent else None
                for l in cls.browse(legs)}

    # -- ingestion (telephony/ingest.py) --

    @classmethod
    def apply_facts(cls, node, facts, calls):
        """Apply leg facts in order; calls: {linked id: call} of the batch.

        Idempotent like the call's facts: a leg is known by its channel's
        unique id; an end or a kind is only filled once.
        """
        pool = Pool()
        Call = pool.get('callcenter.call')
        wanted = {f['linkedid'] for f in facts if f.get('linkedid')} - set(
            calls)
        if wanted:
            calls = {**calls, **{c.linkedid: c for c in Call.search([
                            ('node', '=', node.id),
                            ('linkedid', 'in', list(wanted))])}}
        # One instance per call: the facts of a batch change the same one
        # (a park's space set by one fact is not lost because a later
        # fact's leg read the call again).
        by_id = {c.id: c for c in calls.values() if c.id is not None}
        touched, ended = {}, []
        for fact in facts:
            kind = fact['kind']
            if kind == 'leg_end':
                legs = cls.search([('uniqueid', '=', fact['leg']),
                        ('end', '=', None),
                        ('call.node', '=', node.id)])
                for leg in legs:
                    leg.end = max(fact['time'], leg.start)
                    leg.duration = leg.end - leg.start
                    call = by_id.setdefault(leg.call.id, leg.call)
                    touched[call.id] = call
                    ended.append(leg)
                cls.save(legs)
                continue
            call = calls.get(fact.get('linkedid'))
            if call is None:
                continue
            touched[call.id] = call
            getattr(cls, f'_apply_{kind}')(call, fact)
        for call in touched.values():
            cls._derive_agent(call)
        Call.save(list(touched.values()))
        cls.release_agents(ended)

    @classmethod
    def _apply_leg_start(cls, call, fact):
        if call.id is None or cls.search([('call', '=', call.id),
                    ('uniqueid', '=', fact['leg'])], limit=1):
            return
        kind = fact.get('leg_kind')
        if kind is None:
            # The first agent answered it; a later one got it transferred,
            # or is being consulted.
            if not cls.search([('call', '=', call.id)], limit=1):
                kind = 'answered'
            elif call.control_mode == 'consult':
                kind = 'consult'
            else:
                kind = 'transfer'
        if kind == 'park':
            call.parked_at = fact.get('number')
        cls.create([{'call': call.id, 'agent': fact.get('agent'),
                    'number': fact.get('number'), 'kind': kind,
                    'start': fact['time'], 'uniqueid': fact['leg']}])

    @classmethod
    def _apply_leg_kind(cls, call, fact):
        domain = [('call', '=', call.id), ('end', '=', None)]
        if not fact.get('all'):
            domain.append(('kind', '=', fact.get('from_kind')))
        else:
            domain.append(('kind', '!=', 'park'))
        cls.write(cls.search(domain), {'kind': fact['leg_kind']})

    @classmethod
    def _apply_control(cls, call, fact):
        if 'mode' in fact:
            call.control_mode = fact['mode']
        if fact.get('action') in {'blind', 'consult', 'conference', 'park'}:
            call.transferred_by = fact.get('agent')
            call.transfer_note = fact.get('note')
        if fact.get('action') == 'pickup':
            call.parked_at = None

    @classmethod
    def _derive_agent(cls, call):
        "The call's agent is the last agent who took it (not a consultant)"
        legs = cls.search([('call', '=', call.id), ('agent', '!=', None),
                ('kind', 'in', ['answered', 'transfer', 'conference'])],
            order=[('start', 'DESC'), ('id', 'DESC')], limit=1)
        if legs:
            call.agent = legs[0].agent
        if call.parked_at and not cls.search([('call', '=', call.id),
                    ('kind', '=', 'park'), ('end', '=', None)], limit=1):
            call.parked_at = None

    @classmethod
    def keep_in_call(cls, facts, calls):
        """The agent-state facts without the "call over" of agents still on a
        call in a consultation or a room: the caller left app_queue (its
        AgentComplete) but not the agents"""
        held = {c.id: c for c in calls.values()
            if c.control_mode in {'consult', 'conference'}}
        if not held:
            return facts
        open_legs = {(l.call.id, l.agent.id) for l in cls.search([
                    ('call', 'in', list(held)), ('end', '=', None),
                    ('agent', '!=', None)])}
        kept = []
        for fact in facts:
            call = calls.get(fact.get('linkedid'))
            if (fact['state'] in {'ready', 'wrapup'} and call is not None
                    and (call.id, fact['agent']) in open_legs):
                continue
            kept.append(fact)
        return kept

    @classmethod
    def release_agents(cls, legs):
        """An agent whose leg ended while the call goes on (transferred,
        left the conference) is free again"""
        pool = Pool()
        Agent = pool.get('callcenter.agent')
        StateLog = pool.get('callcenter.agent.state_log')
        for leg in legs:
            agent = leg.agent
            if (not agent or agent.state != 'in_call'
                    or agent.current_call != leg.call
                    or cls.search([('agent', '=', agent.id),
                            ('call', '=', leg.call.id),
                            ('end', '=', None)], limit=1)):
                continue
            state = agent.presence
            Agent.write([agent], {'state': state, 'state_since': leg.end,
                    'current_call': None})
            StateLog.record([agent], state, leg.end, call=leg.call,
                reason=agent.pause_reason if state == 'paused' else None)


class CallControl(ClientGuardMixin, ModelSQL, ModelView):
    "A call-control request an agent made, carried out by the bridge"
    __name__ = 'callcenter.call.control'
    __string__ = "Call Control Request"

    agent = fields.Many2One('callcenter.agent', "Agent", required=True,
        readonly=True, ondelete='CASCADE')
    call = fields.Many2One('callcenter.call', "Call", required=True,
        readonly=True, ondelete='CASCADE')
    action = fields.Selection(ACTIONS, "Action", required=True,
        readonly=True)
    target_kind = fields.Selection([(None, "")] + TARGET_KINDS,
        "Target Kind", readonly=True)
    target_agent = fields.Many2One('callcenter.agent', "Target Agent",
        readonly=True)
    target_queue = fields.Many2One('callcenter.queue', "Target Queue",
        readonly=True)
    target_number = fields.Char("Target Number", readonly=True)
    note = fields.Text("Note", readonly=True)
    state = fields.Selection([
            ('pending', "Pending"),
            ('done', "Done"),
            ('refused', "Refused"),
            ], "State", required=True, readonly=True)
    reason = fields.Char("Reason", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.state, Index.Equality(
                        cardinality='low')), where=t.state == 'pending'))
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_state(cls):
        return 'pending'

    def as_bridge_request(self):
        "What the bridge needs (telephony/callcontrol.plan)"
        target = None
        if self.target_kind == 'agent' and self.target_agent:
            target = self.target_agent.extension
        elif self.target_kind == 'queue' and self.target_queue:
            target = self.target_queue.code
        elif self.target_kind == 'number' and self.target_number:
            target = outside_number(self.target_number)
        return {'id': self.id, 'action': self.action,
            'agent_id': self.agent.id, 'extension': self.agent.extension,
            'linkedid': self.call.linkedid, 'target_kind': self.target_kind,
            'target': target,
            'target_agent_id': self.target_agent.id
            if self.target_agent else None,
            'note': self.note}

    @classmethod
    def finish(cls, outcomes):
        """The bridge's outcomes [(id, None or reason)]: the agent is told
        of a refusal on their screen (bus)"""
        from trytond.bus import Bus
        for request_id, reason in outcomes:
            request = cls(request_id)
            request.state = 'refused' if reason else 'done'
            request.reason = reason
            request.save()
            if not reason:
                continue
            user = request.agent.user
            language = user.language.code if user.language else None
            with Transaction().set_context(language=language):
                action = dict(cls.fields_get(['action'])['action'][
                        'selection']).get(request.action, request.action)
                text = gettext(REFUSALS.get(reason, REFUSALS['failed']),
                    action=action, reason=reason)
            Bus.publish(f'user:{user.id}', {
                    'type': 'tvcc.call_control', 'state': 'refused',
                    'action': request.action, 'message': text,
                    'sent_at': dt.datetime.now(dt.timezone.utc).isoformat()})


class Agent(metaclass=PoolMeta):
    __name__ = 'callcenter.agent'

    control_mode = fields.Function(fields.Selection(CONTROL_MODES,
            "Call Control"), 'get_control')
    parked_call = fields.Function(fields.Char("Parked At"), 'get_control')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        in_call = Eval('state') != 'in_call'
        consulting = Eval('control_mode') == 'consult'
        cls._buttons.update({
                'transfer': {
                    'invisible': in_call | consulting,
                    'icon': 'tryton-forward',
                    'depends': ['state', 'control_mode'],
                    },
                'complete_transfer': {
                    'invisible': in_call | ~consulting,
                    'icon': 'tryton-ok',
                    'depends': ['state', 'control_mode'],
                    },
                'retrieve': {
                    'invisible': in_call | ~consulting,
                    'icon': 'tryton-back',
                    'depends': ['state', 'control_mode'],
                    },
                'three_way': {
                    'invisible': in_call | ~consulting,
                    'icon': 'tryton-switch',
                    'depends': ['state', 'control_mode'],
                    },
                'park': {
                    'invisible': in_call | consulting,
                    'icon': 'tryton-pause',
                    'depends': ['state', 'control_mode'],
                    },
                })
        cls.__rpc__.update({
                'call_control_info': cls._rpc_info(),
                })

    @classmethod
    def _rpc_info(cls):
        from trytond.rpc import RPC
        return RPC(readonly=True)

    def get_control(self, name):
        call = self.current_call
        if not call or self.state not in {'ringing', 'in_call', 'wrapup'}:
            return None
        with without_check_access():
            return call.control_mode if name == 'control_mode' \
                else call.parked_at

    @classmethod
    def call_control_info(cls):
        """The current user's desk for web/callcontrol.js: the agent, its
        state, and the transfer wizard's action"""
        ModelData = Pool().get('ir.model.data')
        with without_check_access():
            agent = cls.for_current_user()
            if agent is None:
                return None
            return {'agent': agent.id, 'state': agent.state,
                'extension': agent.extension,
                'control_mode': agent.control_mode,
                'call': agent.current_call.id
                if agent.current_call else None,
                'transfer_wizard': ModelData.get_id(
                    'tv_callcenter', 'wizard_call_transfer')}

    @classmethod
    def request_call_control(cls, agent, action, call=None,
            target_kind=None, target_agent=None, target_queue=None,
            target_number=None, note=None):
        """Check the request (the rules are here, not in the client) and
        hand it to the bridge; raise CallControlError with the reason"""
        pool = Pool()
        Control = pool.get('callcenter.call.control')
        cls.check_own_desk([agent])
        with without_check_access():
            if action == 'pickup':
                cls._check_pickup(agent, call)
            else:
                call = agent.current_call
                if not call or agent.state != 'in_call' \
                        or call.state != 'active':
                    raise CallControlError(gettext(
                            'tv_callcenter.msg_call_control_not_your_call'))
                consulting = call.control_mode == 'consult'
                if consulting != (action in {
                            'complete', 'retrieve', 'threeway'}):
                    raise CallControlError(gettext(
                            'tv_callcenter.msg_call_control_no_consultation'
                            if not consulting else
                            'tv_callcenter.msg_call_control_state'))
            values = {'agent': agent.id, 'call': call.id, 'action': action,
                'note': (note or '').strip()[:500] or None}
            if action in TARGETED:
                values.update(cls._check_target(agent, action, target_kind,
                        target_agent, target_queue, target_number))
            request, = Control.create([values])
            # The audit log: who asked for what, to whom, with which note.
            pool.get('tv.audit.log').record_create(Control, [request.id],
                list(values))
        cursor = Transaction().connection.cursor()
        cursor.execute(f'NOTIFY {NOTIFY_CHANNEL}')
        return request

    @classmethod
    def _check_pickup(cls, agent, call):
        if call is None or call.state != 'active' or not call.parked_at:
            raise CallControlError(gettext(
                    'tv_callcenter.msg_call_control_not_parked'))
        if agent.presence == 'logged_out':
            raise CallControlError(gettext(
                    'tv_callcenter.msg_call_control_target_logged_out',
                    agent=agent.rec_name))
        if agent.state in {'ringing', 'in_call'}:
            raise CallControlError(gettext(
                    'tv_callcenter.msg_call_control_target_busy',
                    agent=agent.rec_name, state=state_name(agent)))

    @classmethod
    def _check_target(cls, agent, action, kind, target_agent, target_queue,
            target_number):
        if kind not in TARGETED[action]:
            raise CallControlError(gettext(
                    'tv_callcenter.msg_call_control_target_unknown'))
        if kind == 'agent':
            if not target_agent or not target_agent.active:
                raise CallControlError(gettext(
                        'tv_callcenter.msg_call_control_target_unknown'))
            if target_agent == agent:
                raise CallControlError(gettext(
                        'tv_callcenter.msg_call_control_target_self'))
            if target_agent.presence == 'logged_out':
                raise CallControlError(gettext(
                        'tv_callcenter.msg_call_control_target_logged_out',
                        agent=target_agent.rec_name))
            if target_agent.state != 'ready':
                raise CallControlError(gettext(
                        'tv_callcenter.msg_call_control_target_busy',
                        agent=target_agent.rec_name,
                        state=state_name(target_agent)))
            return {'target_kind': kind, 'target_agent': target_agent.id}
        if kind == 'queue':
            if not target_queue or not target_queue.active:
                raise CallControlError(gettext(
                        'tv_callcenter.msg_call_control_target_unknown'))
            return {'target_kind': kind, 'target_queue': target_queue.id}
        if not outside_number(target_number):
            raise CallControlError(gettext(
                    'tv_callcenter.msg_call_control_number_refused',
                    number=target_number or ''))
        return {'target_kind': kind,
            'target_number': phone.normalize(target_number)}

    @classmethod
    @ModelView.button_action('tv_callcenter.wizard_call_transfer')
    def transfer(cls, agents):
        pass

    @classmethod
    def _simple_control(cls, agents, action):
        for agent in agents:
            cls.request_call_control(agent, action)

    @classmethod
    @ModelView.button
    def complete_transfer(cls, agents):
        cls._simple_control(agents, 'complete')

    @classmethod
    @ModelView.button
    def retrieve(cls, agents):
        cls._simple_control(agents, 'retrieve')

    @classmethod
    @ModelView.button
    def three_way(cls, agents):
        cls._simple_control(agents, 'threeway')

    @classmethod
    @ModelView.button
    def park(cls, agents):
        cls._simple_control(agents, 'park')


class CallTransferStart(ModelView):
    __name__ = 'callcenter.call.transfer.start'
    __string__ = "Transfer"

    action = fields.Selection([
            ('blind', "Blind Transfer"),
            ('consult', "Consult"),
            ('conference', "Add to Conference"),
            ], "Action", required=True)
    target_kind = fields.Selection(TARGET_KINDS, "Target", required=True,
        domain=[If(Eval('action') == 'conference',
                ('target_kind', '!=', 'queue'), ())])
    # A selection, not a Many2One: agents read no other agent's record;
    # the list (logged-in agents and their state) is read for them.
    target_agent = fields.Selection('get_target_agents', "Agent",
        sort=False,
        states={'invisible': Eval('target_kind') != 'agent',
            'required': Eval('target_kind') == 'agent'},
        help="Logged-in agents with their state: only a ready one can "
        "take the call.")
    target_queue = fields.Many2One('callcenter.queue', "Queue",
        states={'invisible': Eval('target_kind') != 'queue',
            'required': Eval('target_kind') == 'queue'})
    target_number = fields.Char("Number",
        states={'invisible': Eval('target_kind') != 'number',
            'required': Eval('target_kind') == 'number'})
    note = fields.Text("Note for the Next Agent")
    agent = fields.Many2One('callcenter.agent', "Agent", readonly=True)

    @fields.depends('agent')
    def get_target_agents(self):
        Agent = Pool().get('callcenter.agent')
        with without_check_access():
            agents = Agent.search([('presence', '!=', 'logged_out')])
            return [(None, '')] + [(str(a.id),
                    f'{a.rec_name} ({state_name(a)})') for a in agents
                if not self.agent or a.id != self.agent.id]


class CallTransfer(Wizard):
    "转接 / 咨询 / 会议: from the agent desk"
    __name__ = 'callcenter.call.transfer'
    start = StateView('callcenter.call.transfer.start',
        'tv_callcenter.call_transfer_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("OK", 'send', 'tryton-ok', default=True),
            ])
    send = StateTransition()

    def default_start(self, fields):
        return {'action': 'blind', 'target_kind': 'agent',
            'agent': self.record.id if self.record else None}

    def transition_send(self):
        Agent = Pool().get('callcenter.agent')
        for agent in self.records:
            start = self.start
            target_agent = None
            if start.target_kind == 'agent' and start.target_agent:
                with without_check_access():
                    target_agent = Agent(int(start.target_agent))
            Agent.request_call_control(agent, start.action,
                target_kind=start.target_kind,
                target_agent=target_agent,
                target_queue=start.target_queue,
                target_number=start.target_number, note=start.note)
        return 'end'
