# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from sql.conditionals import Coalesce

from trytond.model import Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access
from tvcc import phone


class ContactMechanism(metaclass=PoolMeta):
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


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    calls = fields.One2Many('callcenter.call', 'party', "Calls",
        readonly=True, order=[('start_time', 'DESC')])
    account_queue = fields.Many2One(
        'callcenter.queue', "Account Queue", ondelete='SET NULL',
        help="For company accounts: the queue (dedicated agents) their "
        "staff's calls go to. Every number of this customer and of the "
        "people it employs is routed there.")

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
        pool = Pool()
        Call = pool.get('callcenter.call')
        call_id = Transaction().context.get('tvcc_call')
        if not call_id or len(parties) != 1:
            return
        with without_check_access():
            calls = Call.search([('id', '=', int(call_id)),
                    ('party', '=', None)])
            if calls:
                Call.write(calls, {'party': parties[0].id})


class Replace(metaclass=PoolMeta):
    "A merged customer's calls follow them"
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        return super().fields_to_replace() + [
            ('callcenter.call', 'party'),
            ]
