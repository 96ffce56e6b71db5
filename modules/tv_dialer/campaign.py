# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt
import string
from zoneinfo import ZoneInfo

from sql import Null, NullsLast
from sql.aggregate import Count
from sql.conditionals import Case

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.model.fields import SQL_OPERATORS
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from trytond.modules.tv_callcenter.tools import forget_cached
from trytond.modules.tv_callcenter.guard import ClientGuardMixin
from tvcc import phone

from .exceptions import CampaignError, CampaignValidationError
from .window import in_window

# The outcomes a retry rule can recycle; 'answered' closes a number.
RETRY_OUTCOMES = [
    ('no_answer', "No Answer"),
    ('busy', "Busy"),
    ('failed', "Failed"),
    ('machine', "Answering Machine"),
    ('abandoned', "Abandoned"),
    ]
OUTCOMES = [('answered', "Answered")] + RETRY_OUTCOMES
def in_(column, values):
    "column IN values, as Tryton's domains write it on each backend"
    return SQL_OPERATORS['in'](column, list(values))


def batches(values, size=1000):
    "values in lists small enough for one IN"
    return (list(b) for b in grouped_slice(values, size))


WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday',
    'saturday', 'sunday']


class Campaign(ClientGuardMixin, Workflow, ModelSQL, ModelView):
    "Outbound Campaign"
    __name__ = 'dialer.campaign'
    __string__ = "Outbound Campaign"

    _states = {'readonly': Eval('state') != 'draft'}
    _running = {'readonly': Eval('state') == 'stopped'}

    name = fields.Char("Name", required=True, states=_states)
    type = fields.Selection([
            ('predictive', "Predictive"),
            ('progressive', "Progressive (1:1)"),
            ('preview', "Preview"),
            ('broadcast', "Voice Broadcast"),
            ], "Type", required=True, states=_states)
    state = fields.Selection([
            ('draft', "Draft"),
            ('running', "Running"),
            ('paused', "Paused"),
            ('stopped', "Stopped"),
            ], "State", readonly=True, required=True, sort=False)
    description = fields.Text("Description")

    queue = fields.Many2One('callcenter.queue', "Agent Queue",
        ondelete='RESTRICT',
        states=_running,
        help="The agents who take the answered calls; needed to start, "
        "except for a voice broadcast without \"press 1\".")
    caller_id = fields.Char("Caller ID", states=_running,
        help="The number presented to the callees; leave empty for the "
        "outbound caller ID of the trunk the dialer calls through. A "
        "campaign with neither cannot start.")
    window_start = fields.Time("Calling From", required=True,
        states=_running,
        help="In the callee's local time (from the number's country and "
        "area code).")
    window_end = fields.Time("Calling Until", required=True,
        states=_running,
        help="In the callee's local time; no call starts at or after it.")
    monday = fields.Boolean("Monday", states=_running)
    tuesday = fields.Boolean("Tuesday", states=_running)
    wednesday = fields.Boolean("Wednesday", states=_running)
    thursday = fields.Boolean("Thursday", states=_running)
    friday = fields.Boolean("Friday", states=_running)
    saturday = fields.Boolean("Saturday", states=_running)
    sunday = fields.Boolean("Sunday", states=_running)
    max_concurrent = fields.Integer("Maximum Calls Ringing",
        required=True, states=_running,
        domain=[('max_concurrent', '>', 0)],
        help="The dialer never has more calls of this campaign ringing "
        "(dialled, not yet answered) than this; answered calls talking to "
        "agents do not count. A voice broadcast counts every call under "
        "way, its messages included.")
    max_attempts = fields.Integer("Maximum Attempts", required=True,
        states=_running, domain=[('max_attempts', '>', 0)],
        help="Calls made to one number at most, retries included.")
    retry_rules = fields.One2Many('dialer.campaign.retry_rule', 'campaign',
        "Retry Rules", states=_running,
        help="What happens to a number after each outcome (号码回收). An "
        "outcome without a rule is never retried.")
    abandon_limit = fields.Float("Abandon Limit (%)", required=True,
        digits=(3, 1), states=_running,
        domain=[('abandon_limit', '>=', 0), ('abandon_limit', '<=', 100)],
        help="The share of live answers per day that may be dropped for "
        "want of a free agent (FTC and Ofcom: 3 %); pacing keeps below it.")
    message_template = fields.Text("Message",
        states={
            'invisible': Eval('type') != 'broadcast',
            'required': Eval('type') == 'broadcast',
            'readonly': _running['readonly'],
            },
        help="Spoken to each callee. Placeholders: {name}, {phone} and the "
        "column headers of the imported file, e.g. "
        "\"{name}您好，您的订单{order}已发货\".")
    transfer_to_agent = fields.Boolean("Press 1 for an Agent",
        states={
            'invisible': Eval('type') != 'broadcast',
            'readonly': _running['readonly'],
            },
        help="After the message, a callee who presses 1 is put through to "
        "the agent queue.")
    detect_machines = fields.Boolean("Detect Answering Machines",
        states={
            'invisible': Eval('type') == 'broadcast',
            'readonly': _running['readonly'],
            },
        help="Asterisk listens to the first seconds of each answer: an "
        "answering machine is hung up on (outcome Answering Machine) "
        "instead of taking an agent; a person is put through a little "
        "later.")

    numbers = fields.One2Many('dialer.number', 'campaign', "Numbers",
        readonly=True)

    # Written by the dialer engine
    dial_level = fields.Float("Dial Level", readonly=True,
        help="Calls the dialer places per available agent.")
    agents_busy = fields.Integer("Agents Busy", readonly=True)
    agents_idle = fields.Integer("Agents Idle", readonly=True)

    # Live monitor, today in the contact center's time zone
    dialled_today = fields.Function(fields.Integer("Dialled Today"),
        'get_monitor')
    answered_today = fields.Function(fields.Integer("Answered Today",
            help="Live answers connected to an agent or to the message."),
        'get_monitor')
    abandoned_today = fields.Function(fields.Integer("Abandoned Today",
            help="Live answers dropped for want of a free agent."),
        'get_monitor')
    abandon_rate = fields.Function(fields.Float("Abandon Rate (%)",
            help="Abandoned calls as a share of today's live answers."),
        'get_monitor')
    numbers_total = fields.Function(fields.Integer("Numbers"), 'get_monitor')
    numbers_left = fields.Function(fields.Integer("Numbers Left",
            help="Numbers still to be called or called back."),
        'get_monitor')

    del _states, _running

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('id', 'DESC'))
        cls._transitions |= {
            ('draft', 'running'),
            ('running', 'paused'),
            ('paused', 'running'),
            ('running', 'stopped'),
            ('paused', 'stopped'),
            }
        cls._buttons.update({
                'start': {
                    'invisible': ~Eval('state').in_(['draft', 'paused']),
                    'icon': 'tryton-launch',
                    'depends': ['state'],
                    },
                'pause': {
                    'invisible': Eval('state') != 'running',
                    'icon': 'tryton-pause',
                    'depends': ['state'],
                    },
                'stop': {
                    'invisible': ~Eval('state').in_(['running', 'paused']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'import_numbers': {
                    'invisible': Eval('state') == 'stopped',
                    'icon': 'tryton-import',
                    'depends': ['state'],
                    },
                'generate_numbers': {
                    'invisible': Eval('state') == 'stopped',
                    'icon': 'tryton-add',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_type(cls):
        return 'predictive'

    @classmethod
    def default_window_start(cls):
        return dt.time(9, 0)

    @classmethod
    def default_window_end(cls):
        return dt.time(20, 0)

    @classmethod
    def _default_weekday(cls):
        return True

    default_monday = default_tuesday = default_wednesday = \
        default_thursday = default_friday = default_saturday = \
        default_sunday = _default_weekday

    @classmethod
    def default_max_concurrent(cls):
        return 30

    @classmethod
    def default_max_attempts(cls):
        return 3

    @classmethod
    def default_abandon_limit(cls):
        return 3.0

    @classmethod
    def default_dial_level(cls):
        return 1.0

    @classmethod
    def default_transfer_to_agent(cls):
        return False

    @classmethod
    def default_retry_rules(cls):
        # An abandoned callee heard silence from us: Ofcom allows a repeat
        # call within 72 hours only with a live agent guaranteed, which a
        # predictive dialer cannot promise.
        return [
            {'outcome': 'no_answer', 'retry': True, 'delay': 60},
            {'outcome': 'busy', 'retry': True, 'delay': 15},
            {'outcome': 'failed', 'retry': True, 'delay': 30},
            {'outcome': 'machine', 'retry': True, 'delay': 240},
            {'outcome': 'abandoned', 'retry': True, 'delay': 72 * 60},
            ]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        return phone.normalize_field(values, 'caller_id',
            lambda raw: CampaignValidationError(gettext(
                    'tv_dialer.msg_campaign_caller_id_invalid',
                    number=raw)))

    @classmethod
    def copy(cls, campaigns, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('numbers', None)
        default.setdefault('dial_level', None)
        default.setdefault('agents_busy', None)
        default.setdefault('agents_idle', None)
        return super().copy(campaigns, default=default)

    @classmethod
    def validate_fields(cls, campaigns, field_names):
        super().validate_fields(campaigns, field_names)
        if field_names & {'message_template'}:
            for campaign in campaigns:
                campaign.check_message_template()
        if field_names & {'window_start', 'window_end'}:
            for campaign in campaigns:
                if campaign.window_start >= campaign.window_end:
                    raise CampaignValidationError(gettext(
                            'tv_dialer.msg_campaign_window_order',
                            campaign=campaign.rec_name))
        if field_names & set(WEEKDAYS):
            for campaign in campaigns:
                if not campaign.weekdays:
                    raise CampaignValidationError(gettext(
                            'tv_dialer.msg_campaign_no_weekday',
                            campaign=campaign.rec_name))

    def check_message_template(self):
        "The template's placeholders are well formed"
        if not self.message_template:
            return
        try:
            list(string.Formatter().parse(self.message_template))
        except ValueError as error:
            raise CampaignValidationError(gettext(
                    'tv_dialer.msg_campaign_template_invalid',
                    campaign=self.rec_name, error=str(error))) from None

    @classmethod
    def check_modification(cls, mode, campaigns, values=None, external=False):
        super().check_modification(
            mode, campaigns, values=values, external=external)
        if mode == 'delete':
            for campaign in campaigns:
                if campaign.state != 'draft':
                    raise CampaignError(gettext(
                            'tv_dialer.msg_campaign_delete_draft',
                            campaign=campaign.rec_name))

    @property
    def weekdays(self):
        "The days calls may be made, 0 = Monday"
        return {i for i, name in enumerate(WEEKDAYS) if getattr(self, name)}

    def retry_delay(self, outcome):
        """The minutes after which a number is called again after outcome,
        or None when it is not called again"""
        for rule in self.retry_rules:
            if rule.outcome == outcome:
                return rule.delay if rule.retry else None
        return None

    def in_calling_window(self, now, zones):
        "Whether a callee in zones may be called at now (naive UTC)"
        return in_window(now, zones, self.window_start, self.window_end,
            self.weekdays)

    @classmethod
    def local_zone(cls):
        "The contact center's time zone: its days are the campaigns' days"
        Configuration = Pool().get('callcenter.configuration')
        return ZoneInfo(Configuration(1).timezone or 'Asia/Shanghai')

    @classmethod
    def today_start(cls, now=None):
        "The start of today in the contact center's time zone, naive UTC"
        zone = cls.local_zone()
        now = (now or dt.datetime.utcnow()).replace(tzinfo=dt.timezone.utc)
        local = now.astimezone(zone)
        midnight = dt.datetime.combine(local.date(), dt.time(), tzinfo=zone)
        return midnight.astimezone(dt.timezone.utc).replace(tzinfo=None)

    @classmethod
    def get_monitor(cls, campaigns, names, now=None):
        pool = Pool()
        Attempt = pool.get('dialer.attempt')
        Number = pool.get('dialer.number')
        attempt = Attempt.__table__()
        number = Number.__table__()
        cursor = Transaction().connection.cursor()
        ids = [c.id for c in campaigns]
        result = {name: dict.fromkeys(ids, 0) for name in names}
        since = cls.today_start(now)

        def count(condition, table):
            return Count(Case((condition, table.id)))
        for sub_ids in batches(ids):
            cursor.execute(*attempt.select(attempt.campaign,
                    Count(attempt.id),
                    count(attempt.outcome == 'answered', attempt),
                    count(attempt.outcome == 'abandoned', attempt),
                    where=in_(attempt.campaign, sub_ids)
                    & (attempt.start >= since),
                    group_by=[attempt.campaign]))
            for campaign, dialled, answered, abandoned in cursor:
                values = {
                    'dialled_today': dialled,
                    'answered_today': answered,
                    'abandoned_today': abandoned,
                    'abandon_rate': round(
                        100.0 * abandoned / (answered + abandoned), 1)
                    if answered + abandoned else 0.0,
                    }
                for name in names:
                    if name in values:
                        result[name][campaign] = values[name]
            cursor.execute(*number.select(number.campaign,
                    Count(number.id),
                    count(number.state.in_(['pending', 'dialing']), number),
                    where=in_(number.campaign, sub_ids),
                    group_by=[number.campaign]))
            for campaign, total, left in cursor:
                if 'numbers_total' in result:
                    result['numbers_total'][campaign] = total
                if 'numbers_left' in result:
                    result['numbers_left'][campaign] = left
        return result

    @classmethod
    def dialer_trunk(cls):
        "The trunk outbound campaigns dial through: the first by code"
        Trunk = Pool().get('callcenter.trunk')
        trunks = Trunk.search([], order=[('code', 'ASC'), ('id', 'ASC')],
            limit=1)
        return trunks[0] if trunks else None

    @property
    def presented_number(self):
        """The number (E.164) the callees see: the campaign's caller ID, or
        the dialer trunk's outbound caller ID; None when neither is set"""
        if self.caller_id:
            return self.caller_id
        trunk = self.dialer_trunk()
        return trunk.dialer_caller_id if trunk else None

    @classmethod
    @ModelView.button
    @Workflow.transition('running')
    def start(cls, campaigns):
        for campaign in campaigns:
            if not campaign.queue and (campaign.type != 'broadcast'
                    or campaign.transfer_to_agent):
                raise CampaignError(gettext(
                        'tv_dialer.msg_campaign_start_queue',
                        campaign=campaign.rec_name))
            if not campaign.presented_number:
                raise CampaignError(gettext(
                        'tv_dialer.msg_campaign_start_caller_id',
                        campaign=campaign.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('paused')
    def pause(cls, campaigns):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('stopped')
    def stop(cls, campaigns):
        "Numbers not dialled stay as they are: the campaign shows them left"
        pass

    @classmethod
    @ModelView.button_action('tv_dialer.wizard_number_import')
    def import_numbers(cls, campaigns):
        pass

    @classmethod
    @ModelView.button_action('tv_dialer.wizard_number_generate')
    def generate_numbers(cls, campaigns):
        pass

    # The dialer engine's entry points

    # A number the engine took but never reported on (the engine stopped)
    # is offered again after this; longer than any real call.
    dialing_timeout = dt.timedelta(hours=2)

    @classmethod
    def next_numbers(cls, campaign, now=None, count=1, ringing=None):
        """Claim up to count numbers of campaign to dial at now (naive UTC).

        Returned: pending numbers whose retry time has come, with fewer
        attempts than the maximum, inside the calling window in the
        callee's local time; never more than the cap (max_concurrent)
        allows with the calls already ringing: `ringing`, the engine's
        count of its calls not yet answered, or when it is None every
        number being dialled (answered calls included). Numbers on the
        do-not-call list or blacklisted are marked so (state 'dnc' or
        'blacklisted') and never returned. The numbers returned are in
        state 'dialing' until record_outcome (or Number.release) is called
        for them.
        """
        pool = Pool()
        Number = pool.get('dialer.number')
        number = Number.__table__()
        cursor = Transaction().connection.cursor()
        now = now or dt.datetime.utcnow()
        campaign = cls(int(campaign))
        if campaign.state != 'running' or count <= 0:
            return []
        # Two engine threads never claim the same numbers.
        cls.lock([campaign])

        cursor.execute(*number.update(
                [number.state, number.dialing_since], ['pending', Null],
                where=(number.campaign == campaign.id)
                & (number.state == 'dialing')
                & (number.dialing_since < now - cls.dialing_timeout)))
        if ringing is None:
            cursor.execute(*number.select(Count(number.id),
                    where=(number.campaign == campaign.id)
                    & (number.state == 'dialing')))
            ringing, = cursor.fetchone()
        count = min(count, campaign.max_concurrent - int(ringing))
        if count <= 0:
            return []

        cursor.execute(*number.select(number.time_zones,
                where=(number.campaign == campaign.id)
                & (number.state == 'pending'),
                group_by=[number.time_zones]))
        zones = [z for z, in cursor if campaign.in_calling_window(now, z)]
        if not zones:
            return []

        due = ((number.campaign == campaign.id)
            & (number.state == 'pending')
            & (number.attempts < campaign.max_attempts)
            & ((number.next_attempt == Null) | (number.next_attempt <= now))
            & in_(number.time_zones, zones))
        chosen = []
        while len(chosen) < count:
            # Retries that are due first, then fresh numbers in list order
            # (the blocked ones just marked are no longer pending).
            cursor.execute(*number.select(number.id,
                    where=due & ~in_(number.id, chosen or [0]),
                    order_by=[NullsLast(number.next_attempt.asc),
                        number.id.asc],
                    limit=count - len(chosen)))
            candidates = Number.browse([i for i, in cursor])
            if not candidates:
                break
            blocked = Number.mark_blocked(candidates, now.date())
            chosen.extend(n.id for n in candidates if n.id not in blocked)
        if chosen:
            cursor.execute(*number.update(
                    [number.state, number.dialing_since], ['dialing', now],
                    where=in_(number.id, chosen)))
        forget_cached(Number)
        return Number.browse(chosen)

    @classmethod
    def recover_numbers(cls, campaign, live_phones=()):
        """After a restart of the engine: give back at once the numbers of
        campaign it had taken (state 'dialing') whose call Asterisk no
        longer has, i.e. whose phone (E.164) is not in live_phones; return
        {id: phone} of the numbers kept, whose calls are still up.
        Numbers an agent is previewing are left alone."""
        Number = Pool().get('dialer.number')
        campaign = cls(int(campaign))
        if campaign.type == 'preview':
            return {}
        dialing = Number.search([
                ('campaign', '=', campaign.id),
                ('state', '=', 'dialing'),
                ])
        live_phones = set(live_phones)
        Number.release([n for n in dialing if n.phone not in live_phones])
        return {n.id: n.phone for n in dialing if n.phone in live_phones}

    @classmethod
    def day_figures(cls, campaign, now=None):
        """(dialled, live answers, abandoned) today in the contact center's
        time zone, from the call records: what the monitor shows, and what
        the pacing's daily abandon rate counts from"""
        monitor = cls.get_monitor([cls(int(campaign))],
            ['dialled_today', 'answered_today', 'abandoned_today'], now=now)
        dialled, answered, abandoned = (monitor[name][int(campaign)]
            for name in ['dialled_today', 'answered_today',
                'abandoned_today'])
        return dialled, answered + abandoned, abandoned

    @classmethod
    def local_date(cls, now=None):
        "Today's date in the contact center's time zone (now: naive UTC)"
        now = (now or dt.datetime.utcnow()).replace(tzinfo=dt.timezone.utc)
        return now.astimezone(cls.local_zone()).date()

    @classmethod
    def record_outcome(cls, number, outcome, start, answer_time=None,
            end=None, agent=None, linkedid=None):
        """Record one call to number (a dialer.number or its id) and
        recycle the number per the campaign's retry rules; return the
        dialer.attempt. Times are naive UTC; outcome is one of OUTCOMES;
        agent is the callcenter.agent (or id) who took the call."""
        pool = Pool()
        Attempt = pool.get('dialer.attempt')
        Number = pool.get('dialer.number')
        number = Number(int(number))
        attempt, = Attempt.create([{
                    'number': number.id,
                    'campaign': number.campaign.id,
                    'start': start,
                    'answer_time': answer_time,
                    'end': end,
                    'outcome': outcome,
                    'agent': int(agent) if agent is not None else None,
                    'linkedid': linkedid,
                    }])
        number.apply_outcome(outcome, end or answer_time or start)
        return attempt

    @classmethod
    def write_monitor(cls, campaign, dial_level=None, agents_busy=None,
            agents_idle=None):
        "The engine's live figures, written without touching the rest"
        table = cls.__table__()
        columns, values = [], []
        if dial_level is not None:
            dial_level = round(dial_level, 2)
        for column, value in [('dial_level', dial_level),
                ('agents_busy', agents_busy), ('agents_idle', agents_idle)]:
            if value is not None:
                columns.append(getattr(table, column))
                values.append(value)
        if columns:
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update(columns, values,
                    where=table.id == int(campaign)))
            forget_cached(cls)


class CampaignRetryRule(ClientGuardMixin, ModelSQL, ModelView):
    "What happens to a number after an unsuccessful call"
    __name__ = 'dialer.campaign.retry_rule'
    __string__ = "Retry Rule"

    campaign = fields.Many2One('dialer.campaign', "Campaign", required=True,
        ondelete='CASCADE')
    outcome = fields.Selection(RETRY_OUTCOMES, "Outcome", required=True,
        sort=False)
    retry = fields.Boolean("Retry",
        help="Call the number again; unchecked, the number is closed.")
    delay = fields.Integer("After (minutes)",
        states={
            'invisible': ~Eval('retry'),
            'required': Bool(Eval('retry')),
            },
        domain=[If(Bool(Eval('retry')), ('delay', '>=', 0), ())])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('campaign_outcome_unique', Unique(t, t.campaign, t.outcome),
                'tv_dialer.msg_retry_rule_unique'),
            ]
        cls._order = [('campaign', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_retry(cls):
        return True

    @classmethod
    def default_delay(cls):
        return 60
