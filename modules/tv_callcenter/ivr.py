# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.pyson import Eval, If
from .guard import ClientGuardMixin

from .asterisk import AsteriskValuesMixin
from .configuration import ConfigChangeMixin
from .exceptions import IVRValidationError
from .voicemail import MailboxOwnerMixin

NODE_TYPES = [
    ('prompt', "Play a prompt"),
    ('menu', "Menu (DTMF keys)"),
    ('branch_caller', "Branch by caller"),
    ('branch_number', "Branch by called number"),
    ('branch_time', "Branch by time and holidays"),
    ('queue', "Go to a queue"),
    ('agent', "Go to an agent"),
    ('voicemail', "Voicemail"),
    ('hangup', "Hang up"),
    ]
# Where a call leaves the IVR: a flow must always lead to one of these.
TERMINAL_TYPES = {'queue', 'agent', 'voicemail', 'hangup'}
CALLER_CLASSES = [
    ('blacklist', "Blacklisted"),
    ('vip', "VIP"),
    ('company', "Company account"),
    ('customer', "Known customer"),
    ('new', "New caller"),
    ]
TIME_STATES = [
    ('open', "Open"),
    ('closed', "Closed"),
    ('holiday', "Holiday"),
    ]
MENU_KEYS = set('0123456789*#')


def nodes_without_exit(entry, edges, terminals):
    """Return the nodes reachable from entry that can never reach a terminal.

    edges: {node: set of next nodes}. A menu that offers "press 9 to hear
    this again" is a loop with an exit; a loop whose every branch leads back
    into the loop, or a node that leads nowhere, traps the caller.
    """
    reachable, todo = set(), [entry]
    while todo:
        node = todo.pop()
        if node in reachable:
            continue
        reachable.add(node)
        todo.extend(edges.get(node, ()))
    reverse = defaultdict(set)
    for source, targets in edges.items():
        for target in targets:
            reverse[target].add(source)
    can_exit, todo = set(), [n for n in reachable if n in terminals]
    while todo:
        node = todo.pop()
        if node in can_exit:
            continue
        can_exit.add(node)
        todo.extend(reverse.get(node, ()))
    return reachable - can_exit


class Flow(ClientGuardMixin, ConfigChangeMixin, DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'callcenter.ivr.flow'
    __string__ = "IVR Flow"

    name = fields.Char("Name", required=True)
    code = fields.Char("Code", required=True)
    entry = fields.Many2One(
        'callcenter.ivr.node', "Entry Node",
        domain=[('flow', '=', Eval('id', -1))],
        help="The first node a caller reaches.")
    nodes = fields.One2Many('callcenter.ivr.node', 'flow', "Nodes")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'tv_callcenter.msg_ivr_flow_code_unique'),
            ]

    @classmethod
    def validate(cls, flows):
        super().validate(flows)
        cls.check_exits(flows)

    @classmethod
    def check_exits(cls, flows):
        for flow in flows:
            # A flow under construction has no entry yet; numbers cannot
            # use it until it has one (see callcenter.did).
            if not flow.nodes or not flow.entry:
                continue
            edges = {node: set(node.next_nodes()) for node in flow.nodes}
            terminals = {n for n in flow.nodes if n.type in TERMINAL_TYPES}
            trapped = nodes_without_exit(flow.entry, edges, terminals)
            if trapped:
                raise IVRValidationError(gettext(
                        'tv_callcenter.msg_ivr_no_exit',
                        flow=flow.rec_name,
                        nodes=', '.join(sorted(n.name for n in trapped))))


class Node(AsteriskValuesMixin, ClientGuardMixin, MailboxOwnerMixin,
        ConfigChangeMixin, ModelSQL, ModelView):
    __name__ = 'callcenter.ivr.node'
    __string__ = "IVR Node"

    flow = fields.Many2One(
        'callcenter.ivr.flow', "Flow", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    type = fields.Selection(NODE_TYPES, "Type", required=True, sort=False)
    prompt = fields.Many2One(
        'callcenter.prompt', "Prompt",
        states={
            'required': Eval('type').in_(['prompt', 'menu']),
            'invisible': Eval('type').in_(
                ['branch_caller', 'branch_number', 'branch_time']),
            },
        help="Played when the caller reaches this node.")
    next_node = fields.Many2One(
        'callcenter.ivr.node', "Next Node",
        domain=[
            ('flow', '=', Eval('flow', -1)),
            ('id', '!=', Eval('id', -1)),
            ],
        states={
            'invisible': Eval('type').in_(list(TERMINAL_TYPES)),
            'required': Eval('type') == 'prompt',
            },
        help="After a prompt; when a menu gets no valid key; when no "
        "branch matches.")
    options = fields.One2Many(
        'callcenter.ivr.option', 'node', "Options",
        states={
            'invisible': ~Eval('type').in_(
                ['menu', 'branch_caller', 'branch_number', 'branch_time']),
            })
    timeout = fields.Integer(
        "Key Timeout (s)",
        states={'invisible': Eval('type') != 'menu'})
    max_retries = fields.Integer(
        "Retries",
        states={'invisible': Eval('type') != 'menu'},
        help="How many times the menu is replayed after an invalid key or "
        "no key before the call goes to the next node.")
    invalid_prompt = fields.Many2One(
        'callcenter.prompt', "Invalid Key Prompt",
        states={'invisible': Eval('type') != 'menu'})
    calendar = fields.Many2One(
        'callcenter.calendar', "Business Hours",
        states={
            'invisible': Eval('type') != 'branch_time',
            'required': Eval('type') == 'branch_time',
            })
    queue = fields.Many2One(
        'callcenter.queue', "Queue",
        states={
            'invisible': Eval('type') != 'queue',
            'required': Eval('type') == 'queue',
            })
    priority_boost = fields.Integer(
        "Priority Boost",
        states={'invisible': Eval('type') != 'queue'},
        help="Added to the caller's queue priority (higher is answered "
        "first).")
    agent = fields.Many2One(
        'callcenter.agent', "Agent",
        states={
            'invisible': Eval('type') != 'agent',
            'required': Eval('type') == 'agent',
            })
    mailbox = fields.Char(
        "Mailbox",
        states={
            'invisible': Eval('type') != 'voicemail',
            'required': Eval('type') == 'voicemail',
            },
        help="A new mailbox number gets its voicemail box, with a "
        "generated PIN (Voicemail Boxes).")

    _asterisk_values = {'mailbox': 'mailbox'}
    _mailbox_fields = ('mailbox',)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('flow', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_type(cls):
        return 'menu'

    @classmethod
    def default_timeout(cls):
        return 5

    @classmethod
    def default_max_retries(cls):
        return 2

    @classmethod
    def default_priority_boost(cls):
        return 0

    def get_rec_name(self, name):
        return f'{self.flow.rec_name} / {self.name}'

    def next_nodes(self):
        "The nodes a caller can go to from here"
        targets = [o.target for o in self.options if o.target]
        if self.next_node and self.type not in TERMINAL_TYPES:
            targets.append(self.next_node)
        return targets

    @classmethod
    def validate(cls, nodes):
        super().validate(nodes)
        Flow = cls.flow.get_target()
        Flow.check_exits(list({n.flow for n in nodes}))

    @classmethod
    def validate_fields(cls, nodes, field_names):
        super().validate_fields(nodes, field_names)
        for node in nodes:
            if node.type == 'menu' and node.timeout is not None \
                    and node.timeout <= 0:
                raise IVRValidationError(gettext(
                        'tv_callcenter.msg_ivr_menu_timeout',
                        node=node.rec_name))


class Option(ClientGuardMixin, ConfigChangeMixin, ModelSQL, ModelView):
    "One key of a menu, or one branch of a branch node"
    __name__ = 'callcenter.ivr.option'
    __string__ = "IVR Option"

    node = fields.Many2One(
        'callcenter.ivr.node', "Node", required=True, ondelete='CASCADE')
    node_type = fields.Function(
        fields.Selection(NODE_TYPES, "Node Type"),
        'on_change_with_node_type')
    match = fields.Char(
        "Key / Match", required=True,
        help="Menu: the key (0-9, * or #). Branch by caller: blacklist, "
        "vip, company, customer or new. Branch by number: the called "
        "number. Branch by time: open, closed or holiday.")
    target = fields.Many2One(
        'callcenter.ivr.node', "Go To", required=True,
        domain=[If(Eval('node_flow'),
                ('flow', '=', Eval('node_flow', -1)),
                ())])
    node_flow = fields.Function(
        fields.Many2One('callcenter.ivr.flow', "Flow"),
        'on_change_with_node_flow')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('match_unique', Unique(t, t.node, t.match),
                'tv_callcenter.msg_ivr_option_duplicate'),
            ]
        cls._order = [('node', 'ASC'), ('match', 'ASC'), ('id', 'ASC')]

    @fields.depends('node', '_parent_node.type')
    def on_change_with_node_type(self, name=None):
        return self.node.type if self.node else None

    @fields.depends('node', '_parent_node.flow')
    def on_change_with_node_flow(self, name=None):
        return self.node.flow if self.node and self.node.flow else None

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('match'):
            values['match'] = values['match'].strip()
        return values

    @classmethod
    def validate_fields(cls, options, field_names):
        super().validate_fields(options, field_names)
        allowed = {
            'menu': MENU_KEYS,
            'branch_caller': {c for c, _ in CALLER_CLASSES},
            'branch_time': {s for s, _ in TIME_STATES},
            }
        for option in options:
            valid = allowed.get(option.node.type)
            if valid is not None and option.match not in valid:
                raise IVRValidationError(gettext(
                        'tv_callcenter.msg_ivr_option_match',
                        node=option.node.rec_name, match=option.match,
                        allowed=' '.join(sorted(valid))))
            if option.target.flow != option.node.flow:
                raise IVRValidationError(gettext(
                        'tv_callcenter.msg_ivr_option_other_flow',
                        node=option.node.rec_name))

    @classmethod
    def validate(cls, options):
        super().validate(options)
        Flow = cls.node.get_target().flow.get_target()
        Flow.check_exits(list({o.node.flow for o in options}))
