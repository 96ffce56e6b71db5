# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, sequence_ordered)
from trytond.pyson import Eval
from .guard import ClientGuardMixin

from tvcc import asterisk_values

from .asterisk import AsteriskValuesMixin
from .configuration import ConfigChangeMixin
from .exceptions import QueueValidationError
from .voicemail import MailboxOwnerMixin

# Our strategies and the app_queue strategy that implements each.
STRATEGIES = [
    ('linear', "Linear (always in member order)"),
    ('round_robin', "Round robin"),
    ('longest_idle', "Longest idle agent"),
    ('fewest_calls', "Fewest calls (balance call volume)"),
    ('skills', "Skills (best skill level first)"),
    ('random', "Random"),
    ('ring_all', "Ring all"),
    ]
ASTERISK_STRATEGY = {
    'linear': 'linear',
    'round_robin': 'rrmemory',
    'longest_idle': 'leastrecent',
    'fewest_calls': 'fewestcalls',
    # Skills: the penalty ranks agents by level, longest idle within a level.
    'skills': 'leastrecent',
    'random': 'random',
    'ring_all': 'ringall',
    }
SKILL_LEVELS = 10


def member_penalty(strategy, skill_level, manual_penalty):
    """The app_queue penalty of a member: Asterisk rings lower penalties
    first and higher ones only when those are all busy.

    skills: level 10 (expert) is penalty 0, level 1 is 9, no skill 10.
    """
    if strategy == 'skills':
        return SKILL_LEVELS - (skill_level or 0)
    return manual_penalty or 0


def overflow_chain(queue):
    "Yield the queues an overflowing call visits after queue"
    seen = {queue.id}
    current = queue
    while current.overflow_action == 'queue' and current.overflow_queue:
        current = current.overflow_queue
        yield current
        if current.id in seen:
            return
        seen.add(current.id)


class Queue(AsteriskValuesMixin, ClientGuardMixin, MailboxOwnerMixin,
        ConfigChangeMixin, DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'callcenter.queue'
    __string__ = "Call Queue"

    name = fields.Char("Name", required=True)
    code = fields.Char(
        "Code", required=True,
        help="The queue name in Asterisk: lower-case letters, digits, - "
        "and _.")
    strategy = fields.Selection(STRATEGIES, "Strategy", required=True,
        sort=False)
    skill = fields.Many2One(
        'callcenter.skill', "Skill",
        states={
            'invisible': Eval('strategy') != 'skills',
            'required': Eval('strategy') == 'skills',
            })
    members = fields.One2Many('callcenter.queue.member', 'queue', "Members")
    ring_timeout = fields.Integer(
        "Ring Timeout (s)", required=True,
        help="Seconds an agent's phone rings before the call moves to the "
        "next agent (RONA, redirect on no answer).")
    retry = fields.Integer(
        "Retry Delay (s)", required=True,
        help="Pause before ringing the agents again after a full round.")
    wrapup = fields.Integer(
        "After-Call Work (s)", required=True,
        help="Seconds an agent stays in after-call work before the next "
        "call.")
    service_level = fields.Integer(
        "Service Level (s)", required=True,
        help="A call answered within this many seconds meets the service "
        "level.")
    max_wait = fields.Integer(
        "Maximum Wait (s)",
        help="After this long in the queue the call overflows. "
        "Empty: wait until answered or abandoned.")
    overflow_action = fields.Selection([
            (None, ""),
            ('queue', "Another queue"),
            ('voicemail', "Voicemail"),
            ('hangup', "Play a prompt and hang up"),
            ], "Overflow",
        states={'required': Eval('max_wait', 0) > 0})
    overflow_queue = fields.Many2One(
        'callcenter.queue', "Overflow Queue",
        domain=[('id', '!=', Eval('id', -1))],
        states={
            'invisible': Eval('overflow_action') != 'queue',
            'required': Eval('overflow_action') == 'queue',
            })
    overflow_mailbox = fields.Char(
        "Overflow Mailbox",
        states={
            'invisible': Eval('overflow_action') != 'voicemail',
            'required': Eval('overflow_action') == 'voicemail',
            },
        help="A new mailbox number gets its voicemail box, with a "
        "generated PIN (Voicemail Boxes).")
    overflow_prompt = fields.Many2One(
        'callcenter.prompt', "Overflow Prompt",
        states={'invisible': Eval('overflow_action') != 'hangup'})
    recording = fields.Selection([
            ('none', "Never"),
            ('all', "Every call"),
            ('selective', "Selected callers or numbers"),
            ('on_demand', "On demand (agent starts it)"),
            ], "Recording", required=True)
    record_classes = fields.MultiSelection([
            ('vip', "VIP"),
            ('company', "Company account"),
            ('customer', "Known customer"),
            ('new', "New caller"),
            ('long_distance', "Long distance"),
            ], "Record Callers",
        states={'invisible': Eval('recording') != 'selective'})
    record_dids = fields.Many2Many(
        'callcenter.queue-callcenter.did', 'queue', 'did', "Record Numbers",
        states={'invisible': Eval('recording') != 'selective'})
    vip_priority = fields.Integer(
        "VIP Priority", required=True,
        help="Queue priority of VIP callers: higher is answered first.")
    long_distance_priority = fields.Integer(
        "Long-Distance Priority", required=True,
        help="Queue priority of callers from outside the centre's city.")
    music_class = fields.Char("Music on Hold", required=True)

    _asterisk_values = {
        'music_class': 'music_class', 'overflow_mailbox': 'mailbox'}
    _mailbox_fields = ('overflow_mailbox',)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'tv_callcenter.msg_queue_code_unique'),
            ]
        cls._order = [('name', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_strategy(cls):
        return 'longest_idle'

    @classmethod
    def default_ring_timeout(cls):
        return 15

    @classmethod
    def default_retry(cls):
        return 1

    @classmethod
    def default_wrapup(cls):
        return 10

    @classmethod
    def default_service_level(cls):
        return 20

    @classmethod
    def default_recording(cls):
        return 'all'

    @classmethod
    def default_vip_priority(cls):
        return 10

    @classmethod
    def default_long_distance_priority(cls):
        return 5

    @classmethod
    def default_music_class(cls):
        return 'default'

    @property
    def asterisk_strategy(self):
        return ASTERISK_STRATEGY[self.strategy]

    @classmethod
    def validate(cls, queues):
        super().validate(queues)
        for queue in queues:
            if not queue.members and queue.active:
                raise QueueValidationError(gettext(
                        'tv_callcenter.msg_queue_no_members',
                        queue=queue.rec_name))
            for name in ('ring_timeout', 'wrapup', 'service_level'):
                value = getattr(queue, name)
                if value is None or value < 0 or (
                        name == 'ring_timeout' and value == 0):
                    raise QueueValidationError(gettext(
                            'tv_callcenter.msg_queue_duration_invalid',
                            queue=queue.rec_name,
                            field=cls.__names__(name)['field']))
            if queue.max_wait and not queue.overflow_action:
                raise QueueValidationError(gettext(
                        'tv_callcenter.msg_queue_overflow_required',
                        queue=queue.rec_name))
            for overflow in overflow_chain(queue):
                if overflow == queue:
                    raise QueueValidationError(gettext(
                            'tv_callcenter.msg_queue_overflow_loop',
                            queue=queue.rec_name))

    @classmethod
    def validate_fields(cls, queues, field_names):
        super().validate_fields(queues, field_names)
        if 'code' in field_names:
            for queue in queues:
                if not asterisk_values.is_safe('code', queue.code):
                    raise QueueValidationError(gettext(
                            'tv_callcenter.msg_queue_code_invalid',
                            code=queue.code))


class QueueMember(ClientGuardMixin, 
        ConfigChangeMixin, sequence_ordered(), ModelSQL, ModelView):
    "An agent's membership of a queue (its order in linear queues)"
    __name__ = 'callcenter.queue.member'
    __string__ = "Queue Member"

    queue = fields.Many2One(
        'callcenter.queue', "Queue", required=True, ondelete='CASCADE')
    agent = fields.Many2One(
        'callcenter.agent', "Agent", required=True, ondelete='CASCADE')
    penalty = fields.Integer(
        "Penalty",
        help="Higher penalties are rung only when every lower one is busy "
        "(computed from skill levels in skills queues).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('agent_unique', Unique(t, t.queue, t.agent),
                'tv_callcenter.msg_queue_member_unique'),
            ]

    @classmethod
    def default_penalty(cls):
        return 0

    def get_rec_name(self, name):
        return f'{self.queue.rec_name} / {self.agent.rec_name}'

    @property
    def asterisk_penalty(self):
        level = None
        if self.queue.strategy == 'skills' and self.queue.skill:
            level = max((s.level for s in self.agent.skills
                    if s.skill == self.queue.skill), default=0)
        return member_penalty(self.queue.strategy, level, self.penalty)


class QueueRecordDID(ClientGuardMixin, ModelSQL):
    __name__ = 'callcenter.queue-callcenter.did'
    __string__ = "Queue Recorded Number"
    queue = fields.Many2One(
        'callcenter.queue', "Queue", required=True, ondelete='CASCADE')
    did = fields.Many2One(
        'callcenter.did', "Number", required=True, ondelete='CASCADE')
