# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Preview dialing (预览外呼): the agent sees the callee first.

The agent asks for the next number of a running preview campaign of one of
their queues; the number is claimed for them and shown with its customer.
*Call* asks the dialer engine (in the bridge) to place the call: the callee
is rung and, once they answer, put straight through to that agent. *Skip*
gives the number back and shows the next one.
"""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import CampaignError

# A skipped number is offered again after this.
SKIP_DELAY = dt.timedelta(minutes=30)


class Number(metaclass=PoolMeta):
    __name__ = 'dialer.number'

    preview_agent = fields.Many2One('callcenter.agent', "Previewed By",
        readonly=True, ondelete='SET NULL',
        help="The agent of a preview campaign this number is shown to.")
    dial_requested = fields.DateTime("Call Requested", readonly=True,
        help="The agent asked for the call; the dialer places it.")

    @classmethod
    def release(cls, numbers):
        super().release(numbers)
        cls.write([n for n in numbers if n.preview_agent
                or n.dial_requested],
            {'preview_agent': None, 'dial_requested': None})


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    @classmethod
    def _readable_by_queries(cls, user):
        "Add the customers of the numbers previewed by the agent"
        pool = Pool()
        number = pool.get('dialer.number').__table__()
        agent = pool.get('callcenter.agent').__table__()
        yield from super()._readable_by_queries(user)
        yield number.join(agent, condition=number.preview_agent == agent.id
            ).select(number.party, where=agent.user == user)


class Campaign(metaclass=PoolMeta):
    __name__ = 'dialer.campaign'

    @classmethod
    def next_preview(cls, agent, now=None):
        """Claim the next number of a running preview campaign of agent's
        queues for agent; None when there is none"""
        pool = Pool()
        Member = pool.get('callcenter.queue.member')
        queues = [m.queue.id for m in Member.search([
                    ('agent', '=', agent.id)])]
        for campaign in cls.search([
                    ('type', '=', 'preview'),
                    ('state', '=', 'running'),
                    ('queue', 'in', queues),
                    ], order=[('id', 'ASC')]):
            numbers = cls.next_numbers(campaign, now=now, count=1)
            if numbers:
                number, = numbers
                number.preview_agent = agent
                number.save()
                return number
        return None

    @classmethod
    def claim_preview_calls(cls, campaigns):
        """The calls agents asked for in these preview campaigns, each
        handed to the engine once: [(number, agent)]"""
        Number = Pool().get('dialer.number')
        numbers = Number.search([
                ('campaign', 'in', [int(c) for c in campaigns]),
                ('state', '=', 'dialing'),
                ('dial_requested', '!=', None),
                ('preview_agent', '!=', None),
                ])
        if numbers:
            Number.write(numbers, {'dial_requested': None})
        # The agent may have looked at the number for a while: a number
        # put on the do-not-call list or blacklisted meanwhile is not
        # called (it is marked so instead).
        blocked = Number.mark_blocked(numbers)
        return [(n, n.preview_agent) for n in numbers
            if n.id not in blocked]


class PreviewShow(ModelView):
    "The number an agent previews before calling"
    __name__ = 'dialer.preview.show'
    __string__ = "Preview Call"

    number = fields.Many2One('dialer.number', "Number", readonly=True)
    campaign = fields.Many2One('dialer.campaign', "Campaign", readonly=True)
    phone = fields.Char("Phone", readonly=True)
    name = fields.Char("Name", readonly=True)
    party = fields.Many2One('party.party', "Customer", readonly=True)
    attempts = fields.Integer("Attempts", readonly=True)
    last_outcome = fields.Char("Last Outcome", readonly=True)
    notes = fields.Text("Notes", readonly=True)


class Preview(Wizard):
    "Preview the next callee of a campaign, then call or skip"
    __name__ = 'dialer.preview'
    start = StateTransition()
    show = StateView('dialer.preview.show',
        'tv_dialer.preview_show_view_form', [
            Button("Stop", 'release', 'tryton-cancel'),
            Button("Skip", 'skip', 'tryton-forward'),
            Button("Call", 'call', 'tryton-phone', default=True),
            ])
    skip = StateTransition()
    call = StateTransition()
    release = StateTransition()

    def _agent(self):
        Agent = Pool().get('callcenter.agent')
        agents = Agent.search([('user', '=', Transaction().user)], limit=1)
        if not agents:
            raise CampaignError(gettext('tv_dialer.msg_preview_no_agent'))
        return agents[0]

    def _next(self):
        Campaign = Pool().get('dialer.campaign')
        agent = self._agent()
        # Claiming reads the do-not-call list and the blacklist, which an
        # agent does not see: the agent only gets the number.
        with without_check_access():
            number = Campaign.next_preview(agent)
        if number is None:
            raise CampaignError(gettext('tv_dialer.msg_preview_none'))
        self.show.number = number
        return 'show'

    def transition_start(self):
        return self._next()

    def default_show(self, fields):
        number = self.show.number
        OUTCOMES = dict(number.fields_get(['last_outcome'])[
                'last_outcome']['selection'])
        return {
            'number': number.id,
            'campaign': number.campaign.id,
            'phone': number.phone,
            'name': number.name,
            'party': number.party.id if number.party else None,
            'attempts': number.attempts,
            'last_outcome': OUTCOMES.get(number.last_outcome) or '',
            'notes': number.template_values_text,
            }

    def transition_skip(self):
        "Not now: the number comes back later (SKIP_DELAY)"
        Number = Pool().get('dialer.number')
        number = self.show.number
        with without_check_access():
            Number.release([number])
            Number.write([number], {
                    'next_attempt': dt.datetime.utcnow() + SKIP_DELAY})
        return self._next()

    def transition_call(self):
        Number = Pool().get('dialer.number')
        number = self.show.number
        with without_check_access():
            if Number.mark_blocked([number]):
                # Put on the do-not-call list or blacklisted while the
                # agent was reading: not called, the next one is shown.
                return self._next()
            Number.write([number], {'dial_requested': dt.datetime.utcnow()})
        return 'end'

    def transition_release(self):
        Number = Pool().get('dialer.number')
        with without_check_access():
            Number.release([self.show.number])
        return 'end'
