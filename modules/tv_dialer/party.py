# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import Pool, PoolMeta


class Number(metaclass=PoolMeta):
    "Customers of level blacklist (tv_orders) are never called"
    __name__ = 'dialer.number'

    @classmethod
    def blocked_phones(cls, phones, date):
        "The numbers of blacklisted customers too (desk calls included)"
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        result = super().blocked_phones(phones, date)
        rest = set(phones) - set(result)
        if rest:
            blacklisted = {m.value_compact for m in ContactMechanism.search([
                        ('value_compact', 'in', list(rest)),
                        ('party.level', '=', 'blacklist'),
                        ])}
            result.update({p: 'blacklisted' for p in rest
                    if p in blacklisted})
        return result

    @classmethod
    def blocked_states(cls, numbers, date):
        result = super().blocked_states(numbers, date)
        for number in numbers:
            if (number.id not in result and number.party
                    and number.party.level == 'blacklist'):
                result[number.id] = 'blacklisted'
        return result


class ContactMechanism(metaclass=PoolMeta):
    "A customer's phone numbers dial from the desk (click-to-dial)"
    __name__ = 'party.contact_mechanism'

    dial_number = fields.Function(fields.Char("Dial Number",
            help="The number to dial from the desk (a phone or mobile)."),
        'get_dial_number')

    def get_dial_number(self, name):
        if self.type in {'phone', 'mobile'}:
            return self.value_compact or self.value
        return None
