# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import check_access
from trytond.modules.tv_callcenter.guard import ClientGuardMixin
from tvcc import address as addresses

from .exceptions import CustomerValidationError


class Address(ClientGuardMixin, metaclass=PoolMeta):
    "Chinese addresses: province (subdivision), city, district, street"
    __name__ = 'party.address'

    district = fields.Char(
        "District", help="The county or district (区/县) of the city.")
    pasted = fields.Function(fields.Char(
            "Paste Address",
            help="Paste a one-line address (with the phone if you like): "
            "province, city, district and street are filled in."),
        'get_pasted', setter='set_pasted')

    def _get_address_substitutions(self):
        substitutions = super()._get_address_substitutions()
        substitutions['district'] = getattr(self, 'district', None) or ''
        return substitutions

    def get_pasted(self, name):
        return None

    @classmethod
    def set_pasted(cls, addresses, name, value):
        pass

    @fields.depends('pasted', 'country', 'subdivision', 'city', 'district',
        'street')
    def on_change_pasted(self):
        pool = Pool()
        Subdivision = pool.get('country.subdivision')
        if not self.pasted:
            return
        parsed = addresses.parse(self.pasted)
        if parsed.province:
            subdivisions = Subdivision.search(
                [('code', '=', parsed.province)], limit=1)
            if subdivisions:
                self.subdivision = subdivisions[0]
                self.country = subdivisions[0].country
        self.city = parsed.city or self.city
        self.district = parsed.district or self.district
        self.street = parsed.street or self.street
        self.pasted = None

    def is_complete(self):
        "Province, city, district and street: what a courier needs"
        return bool(self.subdivision and self.city and self.district
            and self.street)


class Party(metaclass=PoolMeta):
    "What the agent sees when a customer calls: recent orders, complaints"
    __name__ = 'party.party'

    level = fields.Selection([
            ('normal', "Normal"),
            ('vip', "VIP"),
            ('blacklist', "Blacklisted"),
            ], "Customer Level", required=True,
        help="VIP customers are answered first; orders of blacklisted "
        "customers are flagged to reviewers.")
    long_term = fields.Boolean("Long-Term Customer",
        help="A regular customer (长期客户) the team follows up.")
    source_media = fields.Many2One('tv.media', "Source Medium",
        ondelete='SET NULL',
        help="The programme through which the customer first called.")
    sales = fields.One2Many('sale.sale', 'party', "Orders", readonly=True)
    recent_sales = fields.Function(fields.Many2Many(
            'sale.sale', None, None, "Recent Orders"), 'get_recent_sales')
    complaints = fields.One2Many(
        'sale.complaint', 'customer', "Complaints", readonly=True)
    order_count = fields.Function(fields.Integer("Orders"),
        'get_order_count')
    possible_duplicates = fields.Function(fields.Many2Many(
            'party.party', None, None, "Possible Duplicates",
            help="Other customers with the same name in the same city. "
            "Merge a duplicate with the Replace action: its orders, calls "
            "and tickets move here."),
        'get_possible_duplicates')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'new_order': {
                    'invisible': Eval('id', -1) < 0,
                    'icon': 'tryton-add',
                    'depends': ['id'],
                    },
                })

    @classmethod
    def default_level(cls):
        return 'normal'

    @classmethod
    @ModelView.button_action('tv_orders.act_order_new')
    def new_order(cls, parties):
        """A draft order for this customer (linked to the agent's current
        call), opened for the agent to add its lines"""
        Sale = Pool().get('sale.sale')
        if len(parties) != 1:
            return
        party, = parties
        sale = Sale(party=party)
        sale.on_change_party()
        sale.save()
        return {'res_id': [sale.id]}

    @classmethod
    def default_source_media(cls):
        from trytond.transaction import Transaction
        return Transaction().context.get('tvcc_media')

    @classmethod
    def _readable_by_queries(cls, user):
        "Add the customers of the orders, leads, tasks, consultations and \
        complaints the agent entered or was given"
        pool = Pool()
        sale = pool.get('sale.sale').__table__()
        lead = pool.get('tv.lead').__table__()
        task = pool.get('tv.task').__table__()
        consultation = pool.get('tv.consultation').__table__()
        complaint = pool.get('sale.complaint').__table__()
        yield from super()._readable_by_queries(user)
        for column in [sale.party, sale.invoice_party, sale.shipment_party]:
            yield sale.select(column, where=sale.entered_by == user)
        call = pool.get('callcenter.call').__table__()
        yield lead.select(lead.party, where=lead.assigned_to == user)
        yield task.select(task.party, where=task.assigned_to == user)
        # The calls of those tasks and leads (rules rule_call_own_task,
        # rule_call_own_lead): their callers.
        yield call.join(task, condition=task.call == call.id).select(
            call.party, where=task.assigned_to == user)
        yield call.join(lead, condition=lead.last_call == call.id).select(
            call.party, where=lead.assigned_to == user)
        yield consultation.select(consultation.party,
            where=consultation.agent == user)
        yield complaint.select(complaint.customer,
            where=complaint.create_uid == user)

    @staticmethod
    def _rule_domain(model):
        "The record rules of the user on model (getters run without them)"
        Rule = Pool().get('ir.rule')
        with check_access():
            return Rule.domain_get(model, mode='read')

    def get_recent_sales(self, name, limit=10):
        pool = Pool()
        Sale = pool.get('sale.sale')
        return [s.id for s in Sale.search([('party', '=', self.id),
                    self._rule_domain('sale.sale')],
                order=[('id', 'DESC')], limit=limit)]

    def get_possible_duplicates(self, name, limit=20):
        pool = Pool()
        Party = pool.get('party.party')
        if not self.name:
            return []
        domain = [('name', '=', self.name), ('id', '!=', self.id),
            self._rule_domain('party.party')]
        cities = {a.city for a in self.addresses if a.city}
        if cities:
            domain.append(('addresses.city', 'in', list(cities)))
        return [p.id for p in Party.search(domain, limit=limit)]

    @classmethod
    def get_order_count(cls, parties, name):
        pool = Pool()
        Sale = pool.get('sale.sale')
        counts = {p.id: 0 for p in parties}
        for sale in Sale.search([('party', 'in', list(counts)),
                    ('state', 'not in', ['cancelled'])]):
            counts[sale.party.id] += 1
        return counts

    @classmethod
    def search_rec_name(cls, name, clause):
        "Customers are found by any fragment of a phone number and by order"
        domain = super().search_rec_name(name, clause)
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            return domain
        fragment = operand
        if isinstance(operand, str):
            digits = ''.join(c for c in operand if c.isdigit())
            if digits and len(digits) >= 4:
                fragment = f'%{digits}%'
        return ['OR', domain,
            ('contact_mechanisms.value_compact', operator, fragment, *extra),
            ('sales.number', operator, operand, *extra),
            ]

    def is_blacklisted(self, date=None):
        "Blacklisted as a customer, or one of the numbers is blacklisted"
        pool = Pool()
        CallerList = pool.get('callcenter.caller_list')
        if self.level == 'blacklist':
            return True
        numbers = [m.value_compact for m in self.contact_mechanisms
            if m.type in {'phone', 'mobile'} and m.value_compact]
        date = date or dt.date.today()
        return bool(numbers and CallerList.search([
                    ('number', 'in', numbers), ('kind', '=', 'blacklist'),
                    ['OR', ('expires', '=', None),
                        ('expires', '>=', date)]], limit=1))

    def refusal_count(self):
        "Parcels this customer refused on delivery"
        pool = Pool()
        Sale = pool.get('sale.sale')
        return Sale.search_count([('party', '=', self.id),
                ('delivery_status', '=', 'refused')])


class ContactMechanism(metaclass=PoolMeta):
    __name__ = 'party.contact_mechanism'

    @classmethod
    def validate_fields(cls, mechanisms, field_names):
        super().validate_fields(mechanisms, field_names)
        cls.check_number_unique(mechanisms, field_names)

    @classmethod
    def check_number_unique(cls, mechanisms, field_names=None):
        "A phone number belongs to one customer: duplicates are merged"
        if field_names and not (field_names & {'value', 'type', 'party'}):
            return
        numbers = {m.value_compact: m for m in mechanisms
            if m.type in {'phone', 'mobile'} and m.value_compact}
        if not numbers:
            return
        # No join on the party (a million customers): filter active below.
        others = cls.search([
                ('value_compact', 'in', list(numbers)),
                ('type', 'in', ['phone', 'mobile']),
                ('id', 'not in', [m.id for m in mechanisms]),
                ])
        for other in others:
            mine = numbers[other.value_compact]
            if other.party != mine.party and other.party.active:
                raise CustomerValidationError(gettext(
                        'tv_orders.msg_phone_taken',
                        phone=other.value, party=other.party.rec_name))


class Replace(metaclass=PoolMeta):
    """Merging a duplicate customer moves their orders, calls and tickets

    The duplicate's phone numbers and addresses that the kept customer does
    not have yet are carried over, so the next call from any of them pops
    the kept customer."""
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        return super().fields_to_replace() + [
            ('sale.complaint', 'customer'),
            ('tv.task', 'party'),
            ('tv.consultation', 'party'),
            ('tv.lead', 'party'),
            ]

    def transition_replace(self):
        pool = Pool()
        Address = pool.get('party.address')
        ContactMechanism = pool.get('party.contact_mechanism')
        source, destination = self.ask.source, self.ask.destination
        numbers = {m.value_compact for m in destination.contact_mechanisms}
        mechanisms = [m for m in source.contact_mechanisms
            if m.value_compact not in numbers]
        known = {a.full_address for a in destination.addresses}
        addresses = [a for a in source.addresses
            if a.full_address not in known]
        state = super().transition_replace()
        ContactMechanism.copy(mechanisms, default={
                'party': destination.id, 'active': True})
        Address.copy(addresses, default={
                'party': destination.id, 'active': True})
        return state
