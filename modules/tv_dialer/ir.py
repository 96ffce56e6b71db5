# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def user_models(cls):
        "An agent's desk calls, the callbacks of an agent's queues"
        return super().user_models() | {'dialer.desk_call', 'dialer.callback'}
