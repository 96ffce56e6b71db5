# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta


class DID(metaclass=PoolMeta):
    "A hotline attributes its calls (and their orders) to a TV medium"
    __name__ = 'callcenter.did'

    media = fields.Many2One('tv.media', "Medium", ondelete='SET NULL',
        help="The programme whose hotline this is: calls and orders from "
        "this number are attributed to it.")


class Call(metaclass=PoolMeta):
    __name__ = 'callcenter.call'

    media = fields.Many2One('tv.media', "Medium", readonly=True,
        ondelete='SET NULL')
    # An agent reads the calls of the tasks and leads given to them
    # (record rule in callcenter.xml).
    tasks = fields.One2Many('tv.task', 'call', "Tasks", readonly=True)
    last_call_leads = fields.One2Many(
        'tv.lead', 'last_call', "Leads", readonly=True)

    @classmethod
    def _apply_routed(cls, call, fact):
        super()._apply_routed(call, fact)
        if call.media is None and call.did and call.did.media:
            call.media = call.did.media
