# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt
import secrets
import string

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateAction, StateTransition, StateView, \
    Wizard

from tvcc import asterisk_values

from .asterisk import AsteriskValuesMixin
from .configuration import ConfigChangeMixin
from .exceptions import AgentError, AgentValidationError

SIP_PASSWORD_LENGTH = 16
DEVICES = [
    ('browser', "Browser phone (in the web client)"),
    ('sip', "SIP phone or softphone"),
    ('simulated', "Simulated (training and tests)"),
    ]
# The devices that register to Asterisk with the agent's SIP password.
REGISTERED_DEVICES = {'browser', 'sip'}
PRESENCES = [
    ('logged_out', "Logged out"),
    ('ready', "Ready"),
    ('paused', "Paused"),
    ]
# What the agent is doing, as Asterisk reports it (and the web for
# log-in, log-out and pauses).
STATES = [
    ('logged_out', "Logged out"),
    ('ready', "Ready"),
    ('ringing', "Ringing"),
    ('in_call', "In call"),
    ('wrapup', "After-call work"),
    ('paused', "Paused"),
    ]


class Skill(ModelSQL, ModelView):
    __name__ = 'callcenter.skill'
    __string__ = "Skill"

    name = fields.Char("Name", required=True)
    code = fields.Char("Code", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'tv_callcenter.msg_skill_code_unique'),
            ]


class PauseReason(AsteriskValuesMixin, DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'callcenter.pause_reason'
    __string__ = "Pause Reason"

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code", required=True,
        help="Sent to Asterisk as the reason of the agent's pause.")

    _asterisk_values = {'code': 'code'}

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'tv_callcenter.msg_pause_reason_code_unique'),
            ]


def strong_sip_password(password, extension=None):
    "The policy of agents' SIP passwords (brute force on the SIP port)"
    password = password or ''
    return (len(password) >= SIP_PASSWORD_LENGTH
        and asterisk_values.is_safe('secret', password)
        and any(c.islower() for c in password)
        and any(c.isupper() for c in password)
        and any(c.isdigit() for c in password)
        and not (extension and extension in password))


def generate_sip_password(extension=None):
    alphabet = string.ascii_letters + string.digits
    while True:
        password = ''.join(secrets.choice(alphabet)
            for _ in range(SIP_PASSWORD_LENGTH + 4))
        if strong_sip_password(password, extension):
            return password


class Agent(AsteriskValuesMixin, ConfigChangeMixin, DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'callcenter.agent'
    __string__ = "Agent"

    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='RESTRICT')
    name = fields.Function(fields.Char("Name"), 'get_name',
        searcher='search_name')
    extension = fields.Char(
        "Extension", required=True,
        help="The agent's phone extension (3 to 6 digits).")
    team_leader = fields.Many2One('res.user', "Team Leader",
        help="Sees this agent's tasks and leads.")
    device = fields.Selection(DEVICES, "Device", required=True,
        help="The browser phone is the softphone inside the web client. "
        "A simulated agent answers and talks as scripted by the simulate "
        "command.")
    sip_password = fields.Char(
        "SIP Password",
        states={
            'invisible': ~Eval('device').in_(list(REGISTERED_DEVICES)),
            },
        help="Password of the agent's phone registration (at least 16 "
        "characters with upper-case and lower-case letters and digits). "
        "Left empty, a strong one is generated. Only administrators read "
        "it.")
    skills = fields.One2Many('callcenter.agent.skill', 'agent', "Skills")
    memberships = fields.One2Many(
        'callcenter.queue.member', 'agent', "Queues")
    presence = fields.Selection(PRESENCES, "Presence", readonly=True,
        help="What the agent asked for: logged in and ready, paused, or "
        "logged out.")
    pause_reason = fields.Many2One(
        'callcenter.pause_reason', "Pause Reason",
        states={'readonly': Eval('presence') == 'paused'})
    state = fields.Selection(STATES, "State", readonly=True)
    state_since = fields.DateTime("Since", readonly=True)
    current_call = fields.Many2One(
        'callcenter.call', "Current Call", readonly=True)
    current_caller = fields.Function(fields.Char("Caller"), 'get_current')
    current_customer = fields.Function(fields.Many2One(
            'party.party', "Customer",
            help="The customer on the current call."), 'get_current')
    recording_request = fields.Selection([
            (None, ""),
            ('start', "Start"),
            ('stop', "Stop"),
            ], "Recording Request", readonly=True,
        help="Set by the recording buttons; the bridge carries it out.")

    _runtime_fields = frozenset({
            'presence', 'pause_reason', 'state', 'state_since',
            'current_call', 'recording_request'})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('user_unique', Unique(t, t.user),
                'tv_callcenter.msg_agent_user_unique'),
            ('extension_unique', Unique(t, t.extension),
                'tv_callcenter.msg_agent_extension_unique'),
            ]
        cls._order = [('extension', 'ASC'), ('id', 'ASC')]
        cls._buttons.update({
                'login': {
                    'invisible': Eval('presence') != 'logged_out',
                    'icon': 'tryton-launch',
                    'depends': ['presence'],
                    },
                'pause': {
                    'invisible': Eval('presence') != 'ready',
                    'icon': 'tryton-pause',
                    'depends': ['presence'],
                    },
                'pause_with_reason': {
                    'invisible': Eval('presence') != 'ready',
                    'icon': 'tryton-pause',
                    'depends': ['presence'],
                    },
                'resume': {
                    'invisible': Eval('presence') != 'paused',
                    'icon': 'tryton-forward',
                    'depends': ['presence'],
                    },
                'logout': {
                    'invisible': Eval('presence') == 'logged_out',
                    'icon': 'tryton-exit',
                    'depends': ['presence'],
                    },
                'start_recording': {
                    'invisible': Eval('state') != 'in_call',
                    'icon': 'tryton-save',
                    'depends': ['state'],
                    },
                'stop_recording': {
                    'invisible': Eval('state') != 'in_call',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_device(cls):
        return 'browser'

    @classmethod
    def default_presence(cls):
        return 'logged_out'

    @classmethod
    def default_state(cls):
        return 'logged_out'

    def get_name(self, name):
        return self.user.name if self.user else None

    def get_current(self, name):
        call = self.current_call
        if not call or self.state not in {'ringing', 'in_call', 'wrapup'}:
            return None
        if name == 'current_caller':
            return call.caller
        return call.party.id if call.party else None

    @classmethod
    def search_name(cls, name, clause):
        return [('user.name',) + tuple(clause[1:])]

    def get_rec_name(self, name):
        return f'{self.extension} {self.user.name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('extension', operator, operand, *extra),
            ('user.name', operator, operand, *extra),
            ('user.login', operator, operand, *extra),
            ]

    @property
    def interface(self):
        "The app_queue member interface: a Local channel into tvcc-agents"
        return f'Local/{self.extension}@tvcc-agents/n'

    @property
    def state_interface(self):
        if self.device == 'simulated':
            return f'Custom:tvcc{self.extension}'
        return f'PJSIP/{self.extension}'

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if (mode == 'create'
                and values.get('device', cls.default_device())
                in REGISTERED_DEVICES
                and not values.get('sip_password')):
            values['sip_password'] = generate_sip_password(
                values.get('extension'))
        return values

    @classmethod
    def validate_fields(cls, agents, field_names):
        super().validate_fields(agents, field_names)
        if 'extension' in field_names:
            for agent in agents:
                if not asterisk_values.is_safe('extension', agent.extension):
                    raise AgentValidationError(gettext(
                            'tv_callcenter.msg_agent_extension_invalid',
                            extension=agent.extension))
        if field_names & {'sip_password', 'device', 'extension'}:
            for agent in agents:
                if (agent.device in REGISTERED_DEVICES
                        and not strong_sip_password(
                            agent.sip_password, agent.extension)):
                    raise AgentValidationError(gettext(
                            'tv_callcenter.msg_agent_sip_password_weak',
                            agent=agent.rec_name,
                            length=SIP_PASSWORD_LENGTH))

    @classmethod
    def for_current_user(cls):
        agents = cls.search([('user', '=', Transaction().user)], limit=1)
        return agents[0] if agents else None

    @classmethod
    def check_own_desk(cls, agents):
        """An agent presses the desk buttons of their own record only;
        team leaders (and above) may act for their agents"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        # Buttons run without access checks: the rule looks at the user.
        user_id = Transaction().user
        if not user_id:
            return
        leader = ModelData.get_id('tv_callcenter', 'group_team_leader')
        if leader in User.get_groups():
            return
        for agent in agents:
            if agent.user.id != user_id:
                raise AgentError(gettext(
                        'tv_callcenter.msg_agent_not_own',
                        agent=agent.rec_name))

    @classmethod
    def set_presence(cls, agents, presence, reason=None):
        "Record what the agents asked for; the bridge applies it to Asterisk"
        pool = Pool()
        StateLog = pool.get('callcenter.agent.state_log')
        now = dt.datetime.utcnow()
        cls.check_own_desk(agents)
        for agent in agents:
            if not agent.memberships and presence != 'logged_out':
                raise AgentError(gettext(
                        'tv_callcenter.msg_agent_no_queue',
                        agent=agent.rec_name))
        state = {'ready': 'ready', 'paused': 'paused',
            'logged_out': 'logged_out'}[presence]
        with without_check_access():
            cls.write(list(agents), {
                    'presence': presence,
                    'pause_reason': reason.id if reason else None,
                    'state': state, 'state_since': now,
                    })
            StateLog.record(agents, state, now, reason=reason,
                source='web')

    @classmethod
    @ModelView.button
    def login(cls, agents):
        cls.set_presence(agents, 'ready')

    @classmethod
    @ModelView.button
    def pause(cls, agents):
        for agent in agents:
            if not agent.pause_reason:
                raise AgentError(gettext(
                        'tv_callcenter.msg_agent_pause_reason',
                        agent=agent.rec_name))
        for agent in agents:
            cls.set_presence([agent], 'paused', agent.pause_reason)

    @classmethod
    @ModelView.button_action('tv_callcenter.wizard_agent_pause')
    def pause_with_reason(cls, agents):
        pass

    @classmethod
    @ModelView.button
    def resume(cls, agents):
        cls.set_presence(agents, 'ready')

    @classmethod
    @ModelView.button
    def logout(cls, agents):
        cls.set_presence(agents, 'logged_out')

    @classmethod
    def request_recording(cls, agents, request):
        "On-demand recording of the agent's current call (queue setting)"
        cls.check_own_desk(agents)
        for agent in agents:
            call = agent.current_call
            if not call or agent.state != 'in_call':
                raise AgentError(gettext(
                        'tv_callcenter.msg_agent_not_in_call',
                        agent=agent.rec_name))
            if call.queue and call.queue.recording != 'on_demand':
                raise AgentError(gettext(
                        'tv_callcenter.msg_recording_not_on_demand',
                        queue=call.queue.rec_name))
        with without_check_access():
            cls.write(list(agents), {'recording_request': request})

    @classmethod
    @ModelView.button
    def start_recording(cls, agents):
        cls.request_recording(agents, 'start')

    @classmethod
    @ModelView.button
    def stop_recording(cls, agents):
        cls.request_recording(agents, 'stop')


class AgentDesk(Wizard):
    "Open the agent desk: the current user's own agent record"
    __name__ = 'callcenter.agent.desk'
    start = StateAction('tv_callcenter.act_agent_desk')

    def do_start(self, action):
        Agent = Pool().get('callcenter.agent')
        agent = Agent.for_current_user()
        if not agent:
            raise AgentError(gettext('tv_callcenter.msg_agent_no_desk'))
        action['res_id'] = [agent.id]
        return action, {}


class AgentPauseStart(ModelView):
    __name__ = 'callcenter.agent.pause.start'
    __string__ = "Pause"
    reason = fields.Many2One(
        'callcenter.pause_reason', "Reason", required=True,
        domain=[('active', '=', True)])


class AgentPause(Wizard):
    "Pause (置忙) with a reason, from the agent desk"
    __name__ = 'callcenter.agent.pause'
    start = StateView('callcenter.agent.pause.start',
        'tv_callcenter.agent_pause_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Pause", 'pause', 'tryton-ok', default=True),
            ])
    pause = StateTransition()

    def default_start(self, fields):
        agent = self.record
        if agent and agent.pause_reason:
            return {'reason': agent.pause_reason.id}
        return {}

    def transition_pause(self):
        pool = Pool()
        Agent = pool.get('callcenter.agent')
        for agent in self.records:
            if agent.presence != 'ready':
                continue
            Agent.set_presence([agent], 'paused', self.start.reason)
        return 'end'


class AgentSkill(ConfigChangeMixin, ModelSQL, ModelView):
    __name__ = 'callcenter.agent.skill'
    __string__ = "Agent Skill"

    agent = fields.Many2One(
        'callcenter.agent', "Agent", required=True, ondelete='CASCADE')
    skill = fields.Many2One('callcenter.skill', "Skill", required=True)
    level = fields.Integer(
        "Level", required=True,
        domain=[('level', '>=', 1), ('level', '<=', 10)],
        help="1 (beginner) to 10 (expert).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('skill_unique', Unique(t, t.agent, t.skill),
                'tv_callcenter.msg_agent_skill_unique'),
            ]

    @classmethod
    def default_level(cls):
        return 5


class AgentStateLog(ModelSQL, ModelView):
    "One period an agent spent in one state (座席操作明细)"
    __name__ = 'callcenter.agent.state_log'
    __string__ = "Agent State Log"

    agent = fields.Many2One(
        'callcenter.agent', "Agent", required=True, ondelete='CASCADE')
    state = fields.Selection(STATES, "State", required=True)
    reason = fields.Many2One('callcenter.pause_reason', "Pause Reason")
    start = fields.DateTime("Start", required=True)
    end = fields.DateTime("End")
    duration = fields.TimeDelta("Duration")
    call = fields.Many2One('callcenter.call', "Call")
    source = fields.Selection([
            ('web', "Web client"),
            ('asterisk', "Asterisk"),
            ], "Source", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('start_unique', Unique(t, t.agent, t.state, t.start),
                'tv_callcenter.msg_agent_state_unique'),
            ]
        cls._order = [('start', 'DESC'), ('id', 'DESC')]

    @classmethod
    def record(cls, agents, state, moment, reason=None, call=None,
            source='asterisk'):
        "Record that agents entered state at moment (see record_many)"
        cls.record_many([(agent, state, moment, reason, call, source)
                for agent in agents])

    @classmethod
    def record_many(cls, entries):
        """Record (agent, state, moment, reason, call, source) entries.

        Each entry closes the agent's period before it and opens one that
        lasts until the next. Idempotent: a period already opened at that
        moment in that state is kept as is (a replayed event changes
        nothing). Queries per batch: a few per agent, not per entry.
        """
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        by_agent = {}
        for agent, state, moment, reason, call, source in entries:
            # Stored to the second (TIMESTAMP(0)): compare like with like.
            by_agent.setdefault(agent.id, []).append((
                    moment.replace(microsecond=0), state, reason, call,
                    source))
        to_create = []
        for agent_id, items in by_agent.items():
            items.sort(key=lambda item: item[0])
            first = items[0][0]
            known = cls.search([('agent', '=', agent_id), ['OR',
                        ('end', '=', None), ('end', '>', first),
                        ('start', '>=', first)]],
                order=[('start', 'ASC'), ('id', 'ASC')])
            periods = [(p.start, p.state, p) for p in known]
            existing = {(p.start, p.state) for p in known}
            new = []
            for moment, state, reason, call, source in items:
                if (moment, state) in existing:
                    continue
                existing.add((moment, state))
                new.append((moment, state, reason, call, source))
            if not new:
                continue
            # The whole timeline of this agent around the new entries.
            timeline = sorted(
                [(start, 0, record) for start, _, record in periods]
                + [(item[0], 1, item) for item in new],
                key=lambda entry: (entry[0], entry[1]))
            for index, (start, is_new, item) in enumerate(timeline):
                following = timeline[index + 1][0] \
                    if index + 1 < len(timeline) else None
                end = following
                if is_new:
                    moment, state, reason, call, source = item
                    to_create.append({
                            'agent': agent_id, 'state': state,
                            'start': moment, 'end': end,
                            'duration': (end - moment) if end else None,
                            'reason': reason.id if reason else None,
                            'call': call.id if call else None,
                            'source': source})
                elif end and item.end != end and (
                        item.end is None or end < item.end):
                    cursor.execute(*table.update(
                            [table.end, table.duration],
                            [end, end - item.start],
                            where=table.id == item.id))
        if to_create:
            cls.create(to_create)
