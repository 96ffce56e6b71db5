# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Task orders (任务单) and consultations (咨询受理)."""
import datetime as dt

from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.modules.tv_callcenter.guard import ClientGuardMixin


def team_leader_of(user_id):
    "The team leader of the agent using user_id (None if none)"
    if not user_id:
        return None
    Agent = Pool().get('callcenter.agent')
    agents = Agent.search([('user', '=', user_id)], limit=1)
    if agents and agents[0].team_leader:
        return agents[0].team_leader.id
    return None


class Task(ClientGuardMixin, Workflow, ModelSQL, ModelView):
    "A callback or follow-up an agent must do by a due time"
    __name__ = 'tv.task'
    __string__ = "Task Order"

    _open = {'readonly': Eval('state') != 'open'}

    name = fields.Char("Subject", required=True, states=_open)
    kind = fields.Selection([
            ('callback', "Call back"),
            ('follow_up', "Follow up an order"),
            ('after_sales', "After-sales"),
            ('other', "Other"),
            ], "Kind", required=True, states=_open)
    party = fields.Many2One('party.party', "Customer", states=_open)
    phone = fields.Char("Phone", states=_open)
    sale = fields.Many2One('sale.sale', "Order", states=_open,
        domain=[('party', '=', Eval('party', -1))])
    call = fields.Many2One('callcenter.call', "Call", states=_open)
    lead = fields.Many2One('tv.lead', "Lead", states=_open)
    assigned_to = fields.Many2One('res.user', "Assigned To", required=True,
        states=_open)
    team_leader = fields.Many2One('res.user', "Team Leader", readonly=True)
    due = fields.DateTime("Due", required=True, states=_open)
    description = fields.Text("Description", states=_open)
    result = fields.Text("Result")
    done_at = fields.DateTime("Done At", readonly=True)
    overdue = fields.Function(fields.Boolean("Overdue"), 'get_overdue')
    state = fields.Selection([
            ('open', "Open"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    del _open

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('due', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('open', 'done'), ('open', 'cancelled'), ('done', 'open'),
            ('cancelled', 'open')}
        cls._buttons.update({
                'done': {'invisible': Eval('state') != 'open',
                    'icon': 'tryton-ok', 'depends': ['state']},
                'cancel': {'invisible': Eval('state') != 'open',
                    'icon': 'tryton-cancel', 'depends': ['state']},
                'reopen': {'invisible': Eval('state') == 'open',
                    'icon': 'tryton-undo', 'depends': ['state']},
                })

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def default_kind(cls):
        return 'callback'

    @classmethod
    def default_assigned_to(cls):
        return Transaction().user or None

    @classmethod
    def default_due(cls):
        return dt.datetime.now().replace(microsecond=0) + dt.timedelta(
            hours=2)

    def get_overdue(self, name):
        return self.state == 'open' and self.due < dt.datetime.now()

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if 'assigned_to' in values:
            values['team_leader'] = team_leader_of(values['assigned_to'])
        return values

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def done(cls, tasks):
        cls.write(list(tasks), {'done_at': dt.datetime.now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, tasks):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    def reopen(cls, tasks):
        cls.write(list(tasks), {'done_at': None})


class Consultation(ClientGuardMixin, ModelSQL, ModelView):
    "A question a caller asked and the answer given (咨询受理)"
    __name__ = 'tv.consultation'
    __string__ = "Consultation"

    date = fields.DateTime("Date", required=True)
    party = fields.Many2One('party.party', "Customer")
    phone = fields.Char("Phone")
    call = fields.Many2One('callcenter.call', "Call")
    media = fields.Many2One('tv.media', "Medium")
    product = fields.Many2One('product.product', "Product")
    question = fields.Text("Question", required=True)
    answer = fields.Text("Answer")
    agent = fields.Many2One('res.user', "Agent", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        return dt.datetime.now().replace(microsecond=0)

    @classmethod
    def default_agent(cls):
        return Transaction().user or None

    @classmethod
    def default_call(cls):
        call = Pool().get('callcenter.call').of_context()
        return call.id if call else None
