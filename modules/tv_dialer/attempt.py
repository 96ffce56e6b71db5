# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.tv_callcenter.guard import ClientGuardMixin

from .campaign import OUTCOMES


class Attempt(ClientGuardMixin, ModelSQL, ModelView):
    "One call the dialer made to a campaign number"
    __name__ = 'dialer.attempt'
    __string__ = "Call Attempt"

    number = fields.Many2One('dialer.number', "Number", required=True,
        ondelete='CASCADE', readonly=True)
    campaign = fields.Many2One('dialer.campaign', "Campaign", required=True,
        ondelete='CASCADE', readonly=True)
    start = fields.DateTime("Start", required=True, readonly=True)
    answer_time = fields.DateTime("Answered", readonly=True)
    end = fields.DateTime("End", readonly=True)
    outcome = fields.Selection(OUTCOMES, "Outcome", required=True,
        readonly=True, sort=False)
    agent = fields.Many2One('callcenter.agent', "Agent", readonly=True,
        ondelete='SET NULL')
    linkedid = fields.Char("Linked ID", readonly=True,
        help="Asterisk's identifier of the call, to find its recording and "
        "events.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.campaign, Index.Range()),
                    (t.start, Index.Range())),
                Index(t, (t.linkedid, Index.Equality())),
                })
        cls._order = [('start', 'DESC'), ('id', 'DESC')]

    def get_rec_name(self, name):
        return f'{self.number.rec_name} @ {self.start}'
