# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Leads (进线管理, 数据分配): callers who did not order, to call back.

Every ended inbound call that no order points to becomes a lead, one lead
per number while it is open (more calls raise its count). Leads are
distributed to agents by round robin, by current load, by skill, or by
hand; each agent sees only their own.
"""
import datetime as dt
import itertools

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Workflow, fields)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard
from trytond.modules.tv_callcenter.guard import ClientGuardMixin

from tvcc import sheets

from .exceptions import LeadError
from .task import team_leader_of

OPEN_STATES = ['new', 'assigned', 'contacted']
# A call becomes a lead once its agent had the time to enter the order.
GRACE = dt.timedelta(minutes=10)


class Lead(ClientGuardMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'tv.lead'
    __string__ = "Lead"

    phone = fields.Char("Phone", required=True, readonly=True)
    party = fields.Many2One('party.party', "Customer")
    media = fields.Many2One('tv.media', "Medium", readonly=True)
    first_call = fields.Many2One('callcenter.call', "First Call",
        readonly=True)
    last_call = fields.Many2One('callcenter.call', "Last Call",
        readonly=True)
    call_count = fields.Integer("Calls", readonly=True)
    abandoned = fields.Boolean("Abandoned Call", readonly=True,
        help="The caller hung up before an agent answered.")
    first_date = fields.DateTime("First Call At", readonly=True)
    last_date = fields.DateTime("Last Call At", readonly=True)
    assigned_to = fields.Many2One('res.user', "Assigned To", readonly=True)
    team_leader = fields.Many2One('res.user', "Team Leader", readonly=True)
    assigned_at = fields.DateTime("Assigned At", readonly=True)
    sale = fields.Many2One('sale.sale', "Order", readonly=True)
    notes = fields.Text("Notes")
    state = fields.Selection([
            ('new', "New"),
            ('assigned', "Assigned"),
            ('contacted', "Contacted"),
            ('converted', "Converted"),
            ('invalid', "Invalid"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.phone, Index.Equality()),
                    where=t.state.in_(OPEN_STATES)),
                })
        cls._order = [('last_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('new', 'assigned'), ('assigned', 'assigned'),
            ('assigned', 'contacted'), ('contacted', 'contacted'),
            ('new', 'invalid'), ('assigned', 'invalid'),
            ('contacted', 'invalid'),
            ('new', 'converted'), ('assigned', 'converted'),
            ('contacted', 'converted'),
            }
        cls._buttons.update({
                'contacted': {
                    'invisible': ~Eval('state').in_(['assigned',
                            'contacted']),
                    'icon': 'tryton-ok', 'depends': ['state']},
                'invalid': {
                    'invisible': ~Eval('state').in_(OPEN_STATES),
                    'icon': 'tryton-cancel', 'depends': ['state']},
                'make_order': {
                    'invisible': ~Eval('state').in_(['assigned',
                            'contacted']),
                    'icon': 'tryton-add', 'depends': ['state']},
                })

    @classmethod
    def default_state(cls):
        return 'new'

    @classmethod
    def default_call_count(cls):
        return 1

    def get_rec_name(self, name):
        return f'{self.party.rec_name if self.party else ""} {self.phone}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR', ('phone',) + tuple(clause[1:]),
            ('party.name',) + tuple(clause[1:])]

    @classmethod
    @ModelView.button
    @Workflow.transition('contacted')
    def contacted(cls, leads):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('invalid')
    def invalid(cls, leads):
        pass

    @classmethod
    @ModelView.button_action('tv_orders.act_order_new')
    def make_order(cls, leads):
        """The agent calls the lead back and takes the order: a draft order
        of the lead's customer, medium and call, opened for its lines; the
        lead is converted (Sale.create)"""
        Sale = Pool().get('sale.sale')
        if len(leads) != 1:
            return
        lead, = leads
        cls.check_order_taker(lead)
        sale = Sale(party=lead.party, lead=lead, call=lead.last_call)
        sale.on_change_party()
        sale.media = lead.media or lead.party.source_media
        sale.save()
        return {'res_id': [sale.id]}

    @classmethod
    def check_order_taker(cls, lead):
        "Only the agent a lead is given to turns it into an order"
        user = Transaction().user
        if lead.state not in {'assigned', 'contacted'}:
            raise LeadError(gettext('tv_orders.msg_lead_not_open',
                    lead=lead.rec_name))
        if user and (not lead.assigned_to or lead.assigned_to.id != user):
            raise LeadError(gettext('tv_orders.msg_lead_not_yours',
                    lead=lead.rec_name))
        if not lead.party:
            raise LeadError(gettext('tv_orders.msg_lead_no_customer',
                    phone=lead.phone))

    @classmethod
    @Workflow.transition('converted')
    def convert(cls, leads, sale):
        cls.write(list(leads), {'sale': sale.id})

    @classmethod
    def generate(cls, now=None):
        """Turn ended calls without an order into leads (deduplicated by
        number while a lead is open). Run by the scheduler."""
        pool = Pool()
        Call = pool.get('callcenter.call')
        Sale = pool.get('sale.sale')
        now = now or dt.datetime.utcnow()
        done = {l.last_call.id for l in cls.search([
                    ('last_call', '!=', None),
                    ('last_date', '>=', now - dt.timedelta(days=2))])}
        calls = Call.search([
                ('direction', '=', 'inbound'), ('state', '=', 'ended'),
                ('end_time', '<=', now - GRACE),
                ('end_time', '>=', now - dt.timedelta(days=2)),
                ('caller', '!=', None),
                ('disposition', 'in', ['answered', 'abandoned', 'overflow',
                        'voicemail', 'after_hours', 'ivr']),
                ], order=[('start_time', 'ASC')])
        calls = [c for c in calls if c.id not in done]
        ordered = {s.call.id for s in Sale.search([
                    ('call', 'in', [c.id for c in calls])])}
        ordered_since = cls._orders_since(calls)
        created = updated = 0
        for call in calls:
            if call.id in ordered:
                continue
            # The caller got an order since (entered after the call, or
            # on another call): nothing to call back.
            if (call.party and call.party.id in ordered_since
                    and ordered_since[call.party.id] >= call.start_time):
                continue
            if cls.add_call(call):
                created += 1
            else:
                updated += 1
        return created, updated

    @staticmethod
    def _orders_since(calls):
        """{party id: when their last live order was entered} of the
        callers of calls, for orders entered since the first of them"""
        Sale = Pool().get('sale.sale')
        parties = {c.party.id for c in calls if c.party}
        if not parties:
            return {}
        since = min(c.start_time for c in calls)
        latest = {}
        for sale in Sale.search([
                    ('party', 'in', list(parties)),
                    ('state', '!=', 'cancelled'),
                    ('create_date', '>=', since),
                    ]):
            latest[sale.party.id] = max(sale.create_date,
                latest.get(sale.party.id, sale.create_date))
        return latest

    @classmethod
    def add_call(cls, call):
        "Count call in the open lead of its number, or open one; True if new"
        leads = cls.search([('phone', '=', call.caller),
                ('state', 'in', OPEN_STATES)], limit=1)
        abandoned = call.disposition in {'abandoned', 'overflow',
            'after_hours'}
        if leads:
            lead, = leads
            lead.call_count = (lead.call_count or 0) + 1
            lead.last_call = call
            lead.last_date = call.start_time
            lead.abandoned = lead.abandoned or abandoned
            if not lead.party and call.party:
                lead.party = call.party
            lead.save()
            return False
        cls.create([{
                    'phone': call.caller, 'party': call.party,
                    'media': getattr(call, 'media', None),
                    'first_call': call, 'last_call': call,
                    'first_date': call.start_time,
                    'last_date': call.start_time, 'call_count': 1,
                    'abandoned': abandoned,
                    }])
        return True

    @classmethod
    def assign(cls, leads, users):
        "Assign each lead to the user paired with it (same order)"
        now = dt.datetime.now().replace(microsecond=0)
        to_write = []
        for lead, user in zip(leads, users):
            to_write.extend([[lead], {
                        'assigned_to': user, 'assigned_at': now,
                        'team_leader': team_leader_of(user),
                        'state': 'assigned'}])
        if to_write:
            cls.write(*to_write)

    @classmethod
    def open_load(cls, user_ids):
        "Open leads per user (the current load)"
        load = {u: 0 for u in user_ids}
        for lead in cls.search([('assigned_to', 'in', user_ids),
                    ('state', 'in', ['assigned', 'contacted'])]):
            load[lead.assigned_to.id] += 1
        return load


def round_robin(leads, users):
    return [u for _, u in zip(leads, itertools.cycle(users))]


def least_loaded(leads, users, load):
    "Each lead to whoever has the fewest open leads at that moment"
    load = dict(load)
    chosen = []
    for _ in leads:
        user = min(users, key=lambda u: (load[u], users.index(u)))
        load[user] += 1
        chosen.append(user)
    return chosen


def by_skill(leads, users, levels):
    "Round robin weighted by skill level: an expert gets more leads"
    weighted = [u for u in users for _ in range(max(levels.get(u, 0), 0))]
    if not weighted:
        return []
    return round_robin(leads, weighted)


class DistributeStart(ModelView):
    __name__ = 'tv.lead.distribute.start'
    __string__ = "Distribute Leads"

    method = fields.Selection([
            ('round_robin', "Round robin"),
            ('load', "Fewest open leads first"),
            ('skill', "By skill level"),
            ('manual', "To one agent"),
            ], "Method", required=True)
    users = fields.Many2Many('res.user', None, None, "Agents",
        states={'invisible': Eval('method') == 'manual'},
        help="Empty: every agent with an agent record.")
    user = fields.Many2One('res.user', "Agent",
        states={
            'invisible': Eval('method') != 'manual',
            'required': Eval('method') == 'manual',
            })
    skill = fields.Many2One('callcenter.skill', "Skill",
        states={
            'invisible': Eval('method') != 'skill',
            'required': Eval('method') == 'skill',
            })

    @classmethod
    def default_method(cls):
        return 'round_robin'


class Distribute(Wizard):
    "Distribute the selected leads to agents for callback"
    __name__ = 'tv.lead.distribute'
    start = StateView('tv.lead.distribute.start',
        'tv_orders.lead_distribute_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Distribute", 'distribute', 'tryton-ok', default=True),
            ])
    distribute = StateTransition()

    def transition_distribute(self):
        pool = Pool()
        Lead = pool.get('tv.lead')
        Agent = pool.get('callcenter.agent')
        leads = [l for l in self.records if l.state in OPEN_STATES]
        if not leads:
            raise LeadError(gettext('tv_orders.msg_lead_none_open'))
        if self.start.method == 'manual':
            Lead.assign(leads, [self.start.user.id] * len(leads))
            return 'end'
        users = [u.id for u in self.start.users] or [
            a.user.id for a in Agent.search([])]
        if not users:
            raise LeadError(gettext('tv_orders.msg_lead_no_agent'))
        method = self.start.method
        if method == 'round_robin':
            chosen = round_robin(leads, users)
        elif method == 'load':
            chosen = least_loaded(leads, users, Lead.open_load(users))
        else:
            levels = {}
            for agent in Agent.search([('user', 'in', users)]):
                levels[agent.user.id] = max((s.level for s in agent.skills
                        if s.skill == self.start.skill), default=0)
            chosen = by_skill(leads, users, levels)
            if not chosen:
                raise LeadError(gettext('tv_orders.msg_lead_no_skill',
                        skill=self.start.skill.rec_name))
        Lead.assign(leads, chosen)
        return 'end'


class ExportStart(ModelView):
    __name__ = 'tv.lead.export.start'
    __string__ = "Export Leads"

    file = fields.Binary("File", readonly=True, filename='filename')
    filename = fields.Char("File Name", readonly=True)


class Export(Wizard):
    "Export the selected leads to Excel"
    __name__ = 'tv.lead.export'
    start_state = 'export'
    export = StateTransition()
    result = StateView('tv.lead.export.start',
        'tv_orders.lead_export_start_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_export(self):
        self.result.file = leads_xlsx(self.records)
        self.result.filename = 'leads-%s.xlsx' % dt.date.today()
        Pool().get('tv.audit.log').record(self.model, self.records,
            'download', action=self.result.filename)
        return 'result'

    def default_result(self, fields):
        return {'file': self.result.file, 'filename': self.result.filename}


def leads_xlsx(leads):
    """The leads as an Excel workbook (bytes), headers in Chinese; callers'
    data goes through tvcc.sheets, which never writes it as a formula"""
    headers = ['电话', '客户', '媒体', '来电次数', '放弃', '首次来电',
        '最近来电', '状态', '分配给', '订单']
    rows = []
    states = dict(Pool().get('tv.lead').fields_get(['state'])
        ['state']['selection'])
    for lead in leads:
        rows.append([lead.phone, lead.party.rec_name if lead.party else '',
            lead.media.rec_name if lead.media else '', lead.call_count,
            '是' if lead.abandoned else '',
            str(lead.first_date or ''), str(lead.last_date or ''),
            states.get(lead.state, lead.state),
            lead.assigned_to.rec_name if lead.assigned_to else '',
            lead.sale.number if lead.sale and lead.sale.number else ''])
    return sheets.write_xlsx([('进线', headers, rows)])


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    lead = fields.Many2One('tv.lead', "Lead", readonly=True,
        ondelete='SET NULL')

    @classmethod
    def default_lead(cls):
        return Transaction().context.get('tvcc_lead')

    @classmethod
    def create(cls, vlist):
        "An order taken from a lead converts it"
        pool = Pool()
        Lead = pool.get('tv.lead')
        sales = super().create(vlist)
        # The conversion is the server's move, not the client's write.
        with without_check_access():
            cls._lead_of_call(sales)
            for sale in cls.browse(sales):
                if sale.lead and sale.lead.state in OPEN_STATES:
                    Lead.convert([sale.lead], sale)
        return sales

    @classmethod
    def _lead_of_call(cls, sales):
        "An order taken on a call that became a lead is that lead's"
        Lead = Pool().get('tv.lead')
        sales = [s for s in sales if not s.lead and s.call]
        if not sales:
            return
        leads = {}
        for lead in Lead.search([
                    ('state', 'in', OPEN_STATES),
                    ['OR',
                        ('last_call', 'in', [s.call.id for s in sales]),
                        ('first_call', 'in', [s.call.id for s in sales])],
                    ]):
            for call in {lead.first_call, lead.last_call} - {None}:
                leads.setdefault(call.id, lead)
        to_write = []
        for sale in sales:
            lead = leads.get(sale.call.id)
            if lead:
                to_write.extend([[sale], {'lead': lead.id}])
        if to_write:
            cls.write(*to_write)
