# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Click-to-dial (点击外呼): an agent calls a number from the desk.

The agent clicks a phone number on a customer, an order, a lead, a task, a
callback or a call record (or types one on the dial pad). The server
decides: the agent must be logged in and free, may read the record the
number comes from, and the number must be that record's (a typed number
has no record); it must be a valid number the centre may dial out
(tvcc.phone.dialable: what the dialplan's tvcc-dialer-out lets through),
on neither the do-not-call list nor the blacklist (the campaigns' rule,
dialer.number.blocked_phones), and the outbound trunk must have a caller
ID. The request is written here; the bridge (telephony/desk.py) rings the
agent's phone first, then dials the number through the outbound trunk with
the company's caller ID. The call becomes an outbound call record of the
agent, linked to the customer and to the record it was dialled from.
"""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.rpc import RPC
from trytond.transaction import without_check_access
from tvcc import phone

from trytond.modules.tv_callcenter.guard import ClientGuardMixin

from .exceptions import DeskCallError

# The records a number may be dialled from (those installed).
ORIGIN_MODELS = ['party.party', 'callcenter.call', 'sale.sale', 'tv.lead',
    'tv.task', 'dialer.callback']
# The fields of such a record that hold the number to call.
NUMBER_FIELDS = ('phone', 'caller', 'number', 'shipment_phone')

DESK_OUTCOMES = [
    ('answered', "Answered"),
    ('no_answer', "No Answer"),
    ('busy', "Busy"),
    ('failed', "Failed"),
    ('agent_no_answer', "Agent Did Not Answer"),
    ('cancelled', "Cancelled by the Agent"),
    ]
# A request the bridge never took (no bridge serves the agent) is dropped.
REQUEST_TIMEOUT = dt.timedelta(minutes=2)


class DeskCall(ClientGuardMixin, ModelSQL, ModelView):
    "An outbound call an agent placed from the desk"
    __name__ = 'dialer.desk_call'
    __string__ = "Desk Call"

    agent = fields.Many2One('callcenter.agent', "Agent", required=True,
        readonly=True, ondelete='CASCADE')
    number = fields.Char("Number", required=True, readonly=True,
        help="In international (E.164) form.")
    origin = fields.Reference("Dialled From", selection='get_origins',
        readonly=True)
    party = fields.Many2One('party.party', "Customer", readonly=True,
        ondelete='SET NULL')
    caller_id = fields.Char("Caller ID", readonly=True,
        help="The number the callee sees.")
    record = fields.Boolean("Recorded", readonly=True)
    state = fields.Selection([
            ('requested', "Requested"),
            ('dialing', "Dialing"),
            ('ended', "Ended"),
            ], "State", required=True, readonly=True, sort=False)
    outcome = fields.Selection([(None, "")] + DESK_OUTCOMES, "Outcome",
        readonly=True)
    requested_at = fields.DateTime("Requested At", required=True,
        readonly=True)
    answer_time = fields.DateTime("Answered At", readonly=True)
    end_time = fields.DateTime("Ended At", readonly=True)
    linkedid = fields.Char("Linked ID", readonly=True)
    call = fields.Many2One('callcenter.call', "Call Record", readonly=True,
        ondelete='SET NULL')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.state, Index.Equality(cardinality='low')),
                where=t.state != 'ended'))
        cls._order = [('requested_at', 'DESC'), ('id', 'DESC')]
        cls.__rpc__.update({
                'dial': RPC(readonly=False),
                })

    @classmethod
    def default_state(cls):
        return 'requested'

    @classmethod
    def default_record(cls):
        return False

    @classmethod
    def default_requested_at(cls):
        return dt.datetime.utcnow()

    @classmethod
    def get_origins(cls):
        pool = Pool()
        IrModel = pool.get('ir.model')
        names = [n for n in ORIGIN_MODELS if n in dict(pool.iterobject())]
        return [(None, '')] + [(n, IrModel.get_name(n)) for n in names]

    def get_rec_name(self, name):
        return self.number

    # -- the agent's request (RPC) --

    @classmethod
    def dial(cls, number, origin=None):
        """Call number for the current user's agent; origin: the record it
        was clicked on ('model,id' or [model, id]), None for a number typed
        on the dial pad. Return the request's id."""
        pool = Pool()
        Agent = pool.get('callcenter.agent')
        with without_check_access():
            agent = Agent.for_current_user()
        if not agent:
            raise DeskCallError(gettext('tv_dialer.msg_desk_no_agent'))
        if agent.presence == 'logged_out':
            raise DeskCallError(gettext('tv_dialer.msg_desk_logged_out',
                    agent=agent.rec_name))
        with without_check_access():
            # (An ended call the bridge has not released the agent from
            # yet does not count.)
            on_call = agent.state in {'ringing', 'in_call'} \
                and agent.current_call \
                and agent.current_call.state != 'ended'
            if on_call or cls.search([
                        ('agent', '=', agent.id),
                        ('state', 'in', ['requested', 'dialing']),
                        ('requested_at', '>',
                            dt.datetime.utcnow() - REQUEST_TIMEOUT),
                        ], limit=1):
                raise DeskCallError(gettext('tv_dialer.msg_desk_busy',
                        agent=agent.rec_name))
        record = cls.readable_origin(origin)
        try:
            e164 = phone.normalize(str(number or ''))
        except phone.InvalidPhoneNumber:
            raise DeskCallError(gettext('tv_dialer.msg_desk_number_invalid',
                    number=number or '')) from None
        with without_check_access():
            if record is not None and e164 not in cls.numbers_of(record):
                raise DeskCallError(gettext(
                        'tv_dialer.msg_desk_number_not_of_origin',
                        number=number, origin=record.rec_name))
            cls.check_dialable(e164)
            caller_id = cls.presented_number()
            if not caller_id:
                raise DeskCallError(gettext(
                        'tv_dialer.msg_desk_no_caller_id'))
            party = cls.party_of(record, e164)
            desk_call, = cls.create([{
                        'agent': agent.id,
                        'number': e164,
                        'origin': str(record) if record is not None
                        else None,
                        'party': party.id if party else None,
                        'caller_id': caller_id,
                        'record': cls.recorded(agent),
                        }])
            pool.get('tv.audit.log').record(cls, [desk_call], 'create',
                action=gettext('tv_dialer.msg_desk_audit_dial',
                    number=e164))
        return desk_call.id

    @classmethod
    def readable_origin(cls, origin):
        """The record origin names, if the current user may read it; None
        for no origin"""
        pool = Pool()
        if not origin:
            return None
        if isinstance(origin, str):
            model, _, id_ = origin.partition(',')
        else:
            model, id_ = origin
        try:
            id_ = int(id_)
        except (TypeError, ValueError):
            id_ = -1
        if model not in ORIGIN_MODELS or model not in \
                dict(pool.iterobject()) or id_ < 0:
            raise DeskCallError(gettext('tv_dialer.msg_desk_origin_unknown'))
        Model = pool.get(model)
        try:
            # The caller's access rights and record rules apply here.
            found = Model.search([('id', '=', id_)], limit=1)
        except AccessError:
            found = []
        if not found:
            raise DeskCallError(gettext(
                    'tv_dialer.msg_desk_origin_unreadable'))
        with without_check_access():
            return Model(found[0].id)

    @classmethod
    def numbers_of(cls, record):
        "The E.164 numbers of a record: its own and its customer's"
        numbers = set()
        for name in NUMBER_FIELDS:
            if name in record._fields:
                numbers.add(phone.normalize_or_none(
                        getattr(record, name, None) or ''))
        party = cls.party_of(record)
        if party:
            for mechanism in party.contact_mechanisms:
                if mechanism.type in {'phone', 'mobile'}:
                    numbers.add(mechanism.value_compact
                        or phone.normalize_or_none(mechanism.value))
        numbers.discard(None)
        return numbers

    @classmethod
    def party_of(cls, record, number=None):
        """The customer of record; with no record, the customer whose
        number it is (when exactly one)"""
        if record is not None:
            if record.__name__ == 'party.party':
                return record
            return getattr(record, 'party', None) \
                if 'party' in record._fields else None
        if number:
            Mechanism = Pool().get('party.contact_mechanism')
            found = Mechanism.search([
                    ('value_compact', '=', number),
                    ('type', 'in', ['phone', 'mobile']),
                    ], limit=2)
            if len({m.party.id for m in found}) == 1:
                return found[0].party
        return None

    @classmethod
    def check_dialable(cls, number, date=None):
        "Refuse a number the centre may not call (phone.dialable, lists)"
        pool = Pool()
        Campaign = pool.get('dialer.campaign')
        Number = pool.get('dialer.number')
        trunk = Campaign.dialer_trunk()
        if not phone.dialable(number,
                international=bool(trunk and trunk.allow_international)):
            raise DeskCallError(gettext(
                    'tv_dialer.msg_desk_number_not_allowed',
                    number=phone.national(number)))
        blocked = Number.blocked_phones([number],
            date or Campaign.local_date())
        if blocked.get(number) == 'dnc':
            raise DeskCallError(gettext('tv_dialer.msg_desk_number_dnc',
                    number=phone.national(number)))
        if blocked.get(number):
            raise DeskCallError(gettext(
                    'tv_dialer.msg_desk_number_blacklisted',
                    number=phone.national(number)))

    @classmethod
    def presented_number(cls):
        "The company's caller ID: the outbound trunk's"
        trunk = Pool().get('dialer.campaign').dialer_trunk()
        return trunk.dialer_caller_id if trunk else None

    @classmethod
    def recorded(cls, agent):
        """Recording policy of a desk call: that of the agent's first
        queue; "every call" records it from the start, "on demand" lets
        the agent start it"""
        memberships = sorted(agent.memberships,
            key=lambda m: (m.sequence or 0, m.id))
        return bool(memberships and memberships[0].queue.recording == 'all')

    # -- the bridge's side (telephony/desk.py, user 0) --

    @classmethod
    def claim(cls, extensions, now=None):
        """The requests of these agents' extensions not yet dialled, handed
        to the bridge once; stale ones are dropped (outcome failed)"""
        now = now or dt.datetime.utcnow()
        requests = cls.search([
                ('state', '=', 'requested'),
                ('agent.extension', 'in', list(extensions)),
                ])
        if not requests:
            return []
        cls.lock(requests)
        stale = [r for r in requests if r.requested_at < now - REQUEST_TIMEOUT]
        if stale:
            cls.write(stale, {'state': 'ended', 'outcome': 'failed',
                    'end_time': now})
        fresh = [r for r in requests if r not in stale]
        if fresh:
            cls.write(fresh, {'state': 'dialing'})
        return fresh

    @classmethod
    def record_outcome(cls, desk_call, outcome, linkedid=None,
            answer_time=None, end_time=None):
        "The bridge reports how the call ended"
        pool = Pool()
        Call = pool.get('callcenter.call')
        desk_call = cls(int(desk_call))
        if desk_call.state == 'ended':
            return desk_call
        values = {'state': 'ended', 'outcome': outcome,
            'end_time': end_time or dt.datetime.utcnow()}
        if answer_time:
            values['answer_time'] = answer_time
        if linkedid:
            values['linkedid'] = linkedid
            calls = Call.search([('linkedid', '=', linkedid)], limit=1)
            if calls:
                values['call'] = calls[0].id
        cls.write([desk_call], values)
        origin = desk_call.origin
        if origin is not None and hasattr(origin, 'desk_call_ended'):
            origin.desk_call_ended(desk_call)
        return desk_call
