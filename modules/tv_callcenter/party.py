# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt
from functools import reduce

from sql import Null
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import check_access, without_check_access
from .exceptions import CustomerAccessError
from .guard import ClientGuardMixin, _is_client_call
from tvcc import phone


class ContactMechanism(ClientGuardMixin, metaclass=PoolMeta):
    """Phone numbers go through the project's one normalisation.

    value_compact holds the E.164 form the bridge matches caller ids against;
    numbers without a country prefix are read as mainland Chinese numbers.
    """
    __name__ = 'party.contact_mechanism'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # Every inbound call looks its caller up by this (E.164) value;
        # Tryton compares Char fields as COALESCE(column, ''). Not partial:
        # PostgreSQL keeps statistics on the expression of a full index
        # only, and without them it scans a million rows in id order.
        cls._sql_indexes.update({
                Index(t, (Coalesce(t.value_compact, ''), Index.Equality())),
                # Searching by a fragment ('ilike', '%13812%') compares the
                # same expression: Tryton's own similarity index is on the
                # bare column, which such a search cannot use.
                Index(t, (Coalesce(t.value_compact, ''),
                        Index.Similarity())),
                })

    @fields.depends('party', '_parent_party.addresses')
    def _phone_country_codes(self):
        # A new customer's addresses reach on_change without their country
        # (the form of a screen pop): Tryton's version fails on them. The
        # centre's own region is added by _parse_phonenumber.
        for address in (self.party.addresses if self.party else None) or []:
            country = getattr(address, 'country', None)
            if country:
                yield country.code

    @fields.depends(methods=['_phone_country_codes'])
    def _parse_phonenumber(self, value):
        regions = list(dict.fromkeys(
                [*self._phone_country_codes(), phone.DEFAULT_REGION]))
        for region in regions:
            try:
                return phone.parse(value, region)
            except phone.InvalidPhoneNumber:
                continue
        return None


class Party(ClientGuardMixin, metaclass=PoolMeta):
    __name__ = 'party.party'

    calls = fields.One2Many('callcenter.call', 'party', "Calls",
        readonly=True, order=[('start_time', 'DESC')])
    account_queue = fields.Many2One(
        'callcenter.queue', "Account Queue", ondelete='SET NULL',
        help="For company accounts: the queue (dedicated agents) their "
        "staff's calls go to. Every number of this customer and of the "
        "people it employs is routed there.")

    # Agents read the customers they serve, not every customer's calls and
    # orders: record rules use this searcher (tv_callcenter call.xml,
    # tv_orders sale.xml and sale_complaint.xml).
    served_by = fields.Function(fields.Many2One('res.user', "Served By"),
        'get_served_by', searcher='search_served_by')

    def get_served_by(self, name):
        return None

    @classmethod
    def search_served_by(cls, name, clause):
        """Customers user serves: the caller of the call at their desk now
        (ringing, talking, after-call work) and the callers they took in the
        last SERVED_HOURS hours (an order or a correction entered after the
        call)"""
        pool = Pool()
        call = pool.get('callcenter.call').__table__()
        agent = pool.get('callcenter.agent').__table__()
        _, operator, user = clause[:3]
        if operator != '=' or not isinstance(user, int):
            return [('id', '=', None)]
        since = dt.datetime.utcnow() - dt.timedelta(hours=cls.SERVED_HOURS)
        current = agent.join(call, condition=agent.current_call == call.id
            ).select(call.party,
            where=(agent.user == user) & (call.party != Null))
        recent = call.join(agent, condition=call.agent == agent.id
            ).select(call.party,
            where=(agent.user == user) & (call.party != Null)
            & (call.start_time >= since))
        return [('id', 'in', current | recent)]

    SERVED_HOURS = 12

    # Customers are personal data: an agent reads the customers they serve
    # or have served, not the centre's whole customer list (record rule
    # rule_party_agent, party.xml; it also covers their addresses and
    # phones). Each module adds the customers its records give an agent
    # (_readable_by_queries).
    readable_by = fields.Function(fields.Many2One('res.user', "Readable By"),
        'get_served_by', searcher='search_readable_by')

    @classmethod
    def search_readable_by(cls, name, clause):
        "Customers user may read: see _readable_by_queries"
        _, operator, user = clause[:3]
        if operator != '=' or not isinstance(user, int):
            return [('id', '=', None)]
        return ['OR',
            ('served_by', '=', user),
            ('id', 'in', reduce(
                    lambda a, b: a | b, cls._readable_by_queries(user))),
            ]

    @classmethod
    def _readable_by_queries(cls, user):
        """Yield SQL queries of the party ids user may read besides the
        customers they serve now: those they entered, the callers of every
        call they took, and the company's own parties (the company and its
        employees, which orders and users show)"""
        pool = Pool()
        party = cls.__table__()
        call = pool.get('callcenter.call').__table__()
        agent = pool.get('callcenter.agent').__table__()
        company = pool.get('company.company').__table__()
        employee = pool.get('company.employee').__table__()
        yield party.select(party.id, where=party.create_uid == user)
        yield call.join(agent, condition=call.agent == agent.id
            ).select(call.party,
            where=(agent.user == user) & (call.party != Null))
        yield company.select(company.party)
        yield employee.select(employee.party)

    @classmethod
    def popped_call(cls):
        "The screen pop's call, while it has no customer yet"
        Call = Pool().get('callcenter.call')
        return Call.of_context([('party', '=', None)])

    @classmethod
    def default_contact_mechanisms(cls):
        "The caller's number, in the new-customer form of a screen pop"
        call = cls.popped_call()
        if not call or not call.caller:
            return []
        try:
            mobile = phone.is_mobile(call.caller)
        except phone.InvalidPhoneNumber:
            return []
        return [{'type': 'mobile' if mobile else 'phone',
                'value': call.caller}]

    @classmethod
    def create(cls, vlist):
        parties = super().create(vlist)
        cls.link_popped_call(parties)
        return parties

    @classmethod
    def link_popped_call(cls, parties):
        """A customer created from a screen pop belongs to that call.

        The pop opens the new-customer form with the call id in its context
        ('tvcc_call'); saving the form links the call.
        """
        Call = Pool().get('callcenter.call')
        call = cls.popped_call()
        if not call or len(parties) != 1:
            return
        with without_check_access():
            Call.write([call], {'party': parties[0].id})


class Replace(metaclass=PoolMeta):
    "A merged customer's calls follow them"
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        return super().fields_to_replace() + [
            ('callcenter.call', 'party'),
            ]


class CustomerLinkMixin:
    """A client links a record only to customers it may read: an agent
    cannot reach another agent's customer by typing its id into an order, a
    task or a complaint (which would then make it theirs to read).

    _customer_fields: the Many2One fields to party.party to check.
    """
    __slots__ = ()
    _customer_fields = ('party',)

    @classmethod
    def create(cls, vlist):
        # Checked before: the new record would make the customer theirs.
        cls._check_customers_readable(vlist)
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        cls._check_customers_readable(
            values for _, values in zip(actions, actions))
        super().write(*args)

    @classmethod
    def _check_customers_readable(cls, vlist):
        "Refuse values of a client naming a customer it may not read"
        if not _is_client_call():
            return
        Party = Pool().get('party.party')
        ids = {values[f] for values in vlist for f in cls._customer_fields
            if isinstance(values.get(f), int) and values[f] >= 0}
        if not ids:
            return
        with check_access():
            readable = {p.id for p in Party.search(
                        [('id', 'in', list(ids))])}
        missing = sorted(ids - readable)
        if missing:
            # The id only: the name is what the agent may not read.
            raise CustomerAccessError(gettext(
                    'tv_callcenter.msg_customer_not_served',
                    model=cls.__names__()['model'], customer=missing[0]))
