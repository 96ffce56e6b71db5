# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.pool import Pool, PoolMeta


class Number(metaclass=PoolMeta):
    "Customers of level blacklist (tv_orders) are never called"
    __name__ = 'dialer.number'

    @classmethod
    def blocked_states(cls, numbers, date):
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        result = super().blocked_states(numbers, date)
        rest = [n for n in numbers if n.id not in result]
        blacklisted = {m.value_compact for m in ContactMechanism.search([
                    ('value_compact', 'in', list({n.phone for n in rest})),
                    ('party.level', '=', 'blacklist'),
                    ])}
        for number in rest:
            if ((number.party and number.party.level == 'blacklist')
                    or number.phone in blacklisted):
                result[number.id] = 'blacklisted'
        return result
