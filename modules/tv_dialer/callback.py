# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Callbacks (回拨任务, CALL-BACK单): callers the centre calls back.

A caller waiting in a queue that offers callbacks presses the queue's key
(the queue announces it) and hangs up keeping their place: the callback
holds their number, the number they called (the programme's medium), the
queue and when they joined it; the list is in that order. A caller who
hung up after waiting longer than the queue's limit gets one too. Agents
of the queue work the list: *Call back* dials the number from the desk
(dialer.desk_call); an answered call closes the callback, a call not
answered (no answer, busy, failed) is tried again after the queue's
interval until its number of attempts is spent.
"""
import datetime as dt

from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from trytond.modules.tv_callcenter.guard import ClientGuardMixin

from .desk import DESK_OUTCOMES
from .exceptions import DeskCallError

# Desk call outcomes that are the agent's, not the caller's: not an attempt.
NOT_ATTEMPTS = {'agent_no_answer', 'cancelled'}


class Callback(ClientGuardMixin, Workflow, ModelSQL, ModelView):
    "A caller to call back"
    __name__ = 'dialer.callback'
    __string__ = "Callback"

    number = fields.Char("Number", required=True, readonly=True)
    party = fields.Many2One('party.party', "Customer", readonly=True,
        ondelete='SET NULL')
    did = fields.Many2One('callcenter.did', "Called Number", readonly=True,
        ondelete='SET NULL',
        help="The number the caller dialled (the programme's medium).")
    queue = fields.Many2One('callcenter.queue', "Queue", required=True,
        readonly=True, ondelete='CASCADE')
    call = fields.Many2One('callcenter.call', "Call", readonly=True,
        ondelete='SET NULL', help="The call the callback was asked on.")
    reason = fields.Selection([
            ('key', "Asked for (key pressed)"),
            ('abandoned', "Hung up after a long wait"),
            ], "Reason", required=True, readonly=True)
    joined = fields.DateTime("Joined the Queue", required=True,
        readonly=True, help="Callbacks are worked in this order.")
    waited = fields.TimeDelta("Waited", readonly=True)
    state = fields.Selection([
            ('pending', "To Call"),
            ('dialing', "Calling"),
            ('done', "Done"),
            ('failed', "Failed"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    attempts = fields.Integer("Attempts", required=True, readonly=True)
    next_attempt = fields.DateTime("Next Attempt", readonly=True,
        help="Empty: now.")
    last_outcome = fields.Selection([(None, "")] + DESK_OUTCOMES,
        "Last Outcome", readonly=True)
    desk_calls = fields.One2Many('dialer.desk_call', 'origin', "Calls",
        readonly=True)
    notes = fields.Text("Notes")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('call_unique', Unique(t, t.call),
                'tv_dialer.msg_callback_call_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.state, Index.Equality(cardinality='low')),
                (t.joined, Index.Range())))
        cls._order = [('joined', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('pending', 'dialing'), ('dialing', 'pending'),
            ('dialing', 'done'), ('dialing', 'failed'),
            ('pending', 'done'), ('pending', 'cancelled'),
            ('failed', 'pending'), ('cancelled', 'pending'),
            }
        cls._buttons.update({
                'call_back': {
                    'invisible': Eval('state') != 'pending',
                    'icon': 'tryton-phone', 'depends': ['state'],
                    },
                'done': {
                    'invisible': Eval('state') != 'pending',
                    'icon': 'tryton-ok', 'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'pending',
                    'icon': 'tryton-cancel', 'depends': ['state'],
                    },
                'reopen': {
                    'invisible': ~Eval('state').in_(['failed', 'cancelled']),
                    'icon': 'tryton-undo', 'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_attempts(cls):
        return 0

    def get_rec_name(self, name):
        return self.number

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR', ('number',) + tuple(clause[1:]),
            ('party.name',) + tuple(clause[1:])]

    # -- created from calls (the bridge, user 0) --

    @classmethod
    def from_call(cls, call, reason):
        """The callback of a queued call (one per call), created when
        missing; None when the call cannot have one"""
        if call.id is None or not call.queue or not call.caller:
            return None
        found = cls.search([('call', '=', call.id)], limit=1)
        if found:
            return found[0]
        joined = call.enter_time or call.start_time or dt.datetime.utcnow()
        until = call.end_time or dt.datetime.utcnow()
        callback, = cls.create([{
                    'number': call.caller,
                    'party': call.party.id if call.party else None,
                    'did': call.did.id if call.did else None,
                    'queue': call.queue.id,
                    'call': call.id,
                    'reason': reason,
                    'joined': joined,
                    'waited': max(until - joined, dt.timedelta(0)),
                    }])
        return callback

    # -- worked by agents --

    @classmethod
    @ModelView.button
    def call_back(cls, callbacks):
        "Dial the caller from the desk (the checks of click-to-dial)"
        DeskCall = Pool().get('dialer.desk_call')
        if not callbacks:
            return
        # One call at a time: the agent's phone rings once.
        callback, = callbacks
        due = callback.next_attempt
        if due and due > dt.datetime.utcnow():
            raise DeskCallError(gettext('tv_dialer.msg_callback_not_due',
                    number=callback.number, due=due.replace(microsecond=0)))
        # As the agent: their agent, rights and the number's lists apply.
        with Transaction().set_context(_check_access=True):
            DeskCall.dial(callback.number, str(callback))
        cls.dialing([callback])

    @classmethod
    @Workflow.transition('dialing')
    def dialing(cls, callbacks):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def done(cls, callbacks):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, callbacks):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('pending')
    def reopen(cls, callbacks):
        cls.write(list(callbacks), {'attempts': 0, 'next_attempt': None})

    @classmethod
    @Workflow.transition('pending')
    def retry(cls, callbacks):
        pass

    @classmethod
    @Workflow.transition('failed')
    def fail(cls, callbacks):
        pass

    def desk_call_ended(self, desk_call):
        """The retry rule: an answered call closes the callback; another
        outcome counts an attempt and waits the queue's interval, until the
        queue's number of attempts is spent (failed). The agent's own
        misses (not answering their phone, hanging up) count nothing."""
        cls = self.__class__
        outcome = desk_call.outcome
        values = {'last_outcome': outcome}
        if outcome in NOT_ATTEMPTS:
            cls.write([self], values)
            if self.state == 'dialing':
                cls.retry([self])
            return
        if outcome == 'answered':
            cls.write([self], values)
            if self.state == 'dialing':
                cls.done([self])
            return
        attempts = self.attempts + 1
        values['attempts'] = attempts
        queue = self.queue
        if attempts < (queue.callback_attempts or 1):
            values['next_attempt'] = (desk_call.end_time
                or dt.datetime.utcnow()) + dt.timedelta(
                minutes=queue.callback_interval or 0)
            cls.write([self], values)
            if self.state == 'dialing':
                cls.retry([self])
        else:
            cls.write([self], values)
            if self.state == 'dialing':
                cls.fail([self])


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    @classmethod
    def _readable_by_queries(cls, user):
        "Add the customers of the callbacks of the agent's queues"
        pool = Pool()
        callback = pool.get('dialer.callback').__table__()
        member = pool.get('callcenter.queue.member').__table__()
        agent = pool.get('callcenter.agent').__table__()
        yield from super()._readable_by_queries(user)
        yield callback.join(member, condition=member.queue == callback.queue
            ).join(agent, condition=member.agent == agent.id
            ).select(callback.party,
                where=(agent.user == user) & (callback.party != Null))


class CallbackMedium(metaclass=PoolMeta):
    "The programme (medium) of the number the caller dialled"
    __name__ = 'dialer.callback'

    medium = fields.Function(fields.Many2One('tv.media', "Medium"),
        'get_medium')

    def get_medium(self, name):
        medium = getattr(self.did, 'media', None) if self.did else None
        return medium.id if medium else None
