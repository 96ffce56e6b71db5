# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Call records and queues, as desk calls and callbacks need them."""

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval

from .exceptions import CallbackValidationError

CALLBACK_KEYS = [(None, "")] + [(k, k) for k in '123456789']


class Call(metaclass=PoolMeta):
    __name__ = 'callcenter.call'

    origin = fields.Reference("Dialled From", selection='get_origins',
        readonly=True,
        help="The record an outbound call from the desk was dialled from.")
    desk_call = fields.Many2One('dialer.desk_call', "Desk Call",
        readonly=True, ondelete='SET NULL')
    callbacks = fields.One2Many('dialer.callback', 'call', "Callbacks",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        selection = cls.disposition.selection
        for value in [('not_answered', "Not answered"),
                ('callback', "Callback requested")]:
            if value not in selection:
                selection.append(value)

    @classmethod
    def get_origins(cls):
        return Pool().get('dialer.desk_call').get_origins()

    @classmethod
    def _apply_desk_dialed(cls, call, fact):
        "An agent's call from the desk: the agent answered their phone"
        call.direction = 'outbound'
        cls._set_if_empty(call, uniqueid=fact.get('uniqueid'),
            caller=fact.get('caller'), called_number=fact.get('caller'),
            party=fact.get('party'), agent=fact.get('agent'),
            origin=fact.get('origin'), desk_call=fact.get('desk_call'),
            recording_path=fact.get('recording_path'))
        if fact.get('record'):
            call.record = True
        if call.start_time is None or fact['time'] < call.start_time:
            call.start_time = fact['time']

    @classmethod
    def _apply_desk_answered(cls, call, fact):
        "The callee of a desk call answered"
        cls._set_if_empty(call, connect_time=fact['time'])

    @classmethod
    def _apply_callback_requested(cls, call, fact):
        "The caller pressed the queue's callback key and left the queue"
        call.route_outcome = 'callback'
        cls._set_if_empty(call, end_time=fact['time'])

    def compute_disposition(self):
        if self.route_outcome == 'callback' and not self.connect_time:
            return 'callback'
        if self.desk_call and not self.connect_time and self.state == 'ended':
            return 'not_answered'
        return super().compute_disposition()

    @classmethod
    def apply_facts(cls, node, facts):
        "Callers who asked for a callback, or gave up after a long wait"
        calls = super().apply_facts(node, facts)
        asked = {f['linkedid'] for f in facts
            if f['kind'] == 'callback_requested'}
        gave_up = {f['linkedid']: f.get('wait') for f in facts
            if f['kind'] == 'abandon'}
        if asked or gave_up:
            Callback = Pool().get('dialer.callback')
            for call in calls:
                if call.linkedid in asked:
                    Callback.from_call(call, 'key')
                elif call.linkedid in gave_up and call.queue:
                    limit = call.queue.callback_after
                    waited = gave_up[call.linkedid]
                    if waited is None and call.wait_duration is not None:
                        waited = call.wait_duration.total_seconds()
                    if limit and waited is not None and waited >= limit:
                        Callback.from_call(call, 'abandoned')
        return calls


class Queue(metaclass=PoolMeta):
    __name__ = 'callcenter.queue'

    callback_key = fields.Selection(CALLBACK_KEYS, "Callback Key",
        help="A caller waiting in this queue who presses this key leaves "
        "the queue keeping their place: a callback is made for them. "
        "Empty: no callbacks on request.")
    callback_prompt = fields.Many2One('callcenter.prompt', "Callback Offer",
        ondelete='RESTRICT',
        states={'invisible': ~Bool(Eval('callback_key'))},
        help="Played to the waiting callers every few seconds (e.g. "
        "\"press 1 to be called back\").")
    callback_announce_every = fields.Integer("Offer Every (s)",
        states={'invisible': ~Bool(Eval('callback_key'))})
    callback_after = fields.Integer("Callback After Waiting (s)",
        help="A caller who hangs up after waiting this long gets a "
        "callback. Empty: none.")
    callback_attempts = fields.Integer("Callback Attempts", required=True,
        help="Calls made to a caller before the callback fails.")
    callback_interval = fields.Integer("Retry Interval (min)",
        required=True,
        help="Minutes between two calls to a caller who did not answer.")

    @classmethod
    def default_callback_announce_every(cls):
        return 30

    @classmethod
    def default_callback_attempts(cls):
        return 3

    @classmethod
    def default_callback_interval(cls):
        return 10

    @classmethod
    def validate_fields(cls, queues, field_names):
        super().validate_fields(queues, field_names)
        if field_names & {'callback_key', 'callback_prompt',
                'callback_announce_every', 'callback_attempts',
                'callback_interval'}:
            for queue in queues:
                if queue.callback_key and not queue.callback_prompt:
                    raise CallbackValidationError(gettext(
                            'tv_dialer.msg_queue_callback_prompt',
                            queue=queue.rec_name))
                if ((queue.callback_announce_every or 0) < 5
                        and queue.callback_key) \
                        or queue.callback_attempts < 1 \
                        or queue.callback_interval < 0:
                    raise CallbackValidationError(gettext(
                            'tv_dialer.msg_queue_callback_values',
                            queue=queue.rec_name))
