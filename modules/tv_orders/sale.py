# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""TV orders: Tryton's sale with a two-stage review before confirmation.

    draft --submit--> submitted --pass_first_review--> first_reviewed
        --approve--> (quotation) --> confirmed, ready for logistics
    submitted / first_reviewed --return_to_agent--> draft
    submitted / first_reviewed --reject--> cancelled

Every move is logged (who, when, why) in sale.review.log.
"""
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from trytond.model.exceptions import AccessError
from trytond.modules.tv_callcenter.guard import ClientGuardMixin

from .exceptions import OrderError, OrderValidationError

REVIEW_STATES = [
    ('submitted', "Waiting First Review"),
    ('first_reviewed', "Waiting Second Review"),
    ]
PAYMENT_METHODS = [
    ('cod', "Cash on delivery"),
    ('prepaid', "Prepaid (online)"),
    ]
DELIVERY_STATUSES = [
    (None, ""),
    ('shipped', "Shipped"),
    ('in_transit', "In transit"),
    ('delivered', "Delivered"),
    ('refused', "Refused"),
    ('returned', "Returned"),
    ('lost', "Lost"),
    ]
_editable = ~Eval('state').in_(['draft'])


class Sale(ClientGuardMixin, metaclass=PoolMeta):
    __name__ = 'sale.sale'

    entered_by = fields.Many2One(
        'res.user', "Entered By", readonly=True, ondelete='RESTRICT',
        help="The agent who took the order (never one of its reviewers).")
    media = fields.Many2One(
        'tv.media', "Medium", ondelete='RESTRICT',
        states={'readonly': _editable},
        help="The programme the order is attributed to.")
    call = fields.Many2One(
        'callcenter.call', "Call", ondelete='SET NULL',
        states={'readonly': _editable})
    payment_method = fields.Selection(PAYMENT_METHODS, "Payment",
        required=True, states={'readonly': _editable})
    cod_amount = fields.Function(fields.Numeric(
            "COD Amount", digits='currency',
            help="What the courier collects on delivery."),
        'get_cod_amount')
    delivery_notes = fields.Text("Delivery Notes",
        states={'readonly': _editable})
    first_reviewer = fields.Many2One('res.user', "First Reviewer",
        readonly=True)
    second_reviewer = fields.Many2One('res.user', "Second Reviewer",
        readonly=True)
    review_logs = fields.One2Many('sale.review.log', 'sale', "Review Log",
        readonly=True)
    findings = fields.Function(fields.Text("Review Findings"),
        'get_findings')
    has_findings = fields.Function(fields.Boolean("Findings"),
        'get_findings')
    delivery_status = fields.Selection(DELIVERY_STATUSES, "Delivery",
        readonly=True)
    merged_into = fields.Many2One('sale.sale', "Merged Into", readonly=True)
    shipment_phone = fields.Function(fields.Char("Phone"),
        'get_shipment_phone')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        selection = list(cls.state.selection)
        index = [s for s, _ in selection].index('draft') + 1
        cls.state.selection = (
            selection[:index] + REVIEW_STATES + selection[index:])
        # Every order passes both reviews: no quotation straight from draft.
        cls._transitions -= {('draft', 'quotation')}
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'first_reviewed'),
            ('first_reviewed', 'quotation'),
            ('submitted', 'draft'),
            ('first_reviewed', 'draft'),
            ('submitted', 'cancelled'),
            ('first_reviewed', 'cancelled'),
            }
        cls._buttons['quote']['invisible'] = True
        # The sale date is set when the order is confirmed, after review.
        cls.sale_date.states['required'] = ~Eval('state').in_(
            ['draft', 'quotation', 'cancelled'] + [s for s, _ in REVIEW_STATES])
        cls._buttons.update({
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'readonly': ~Eval('lines', []),
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'take_first_review': {
                    'invisible': (Eval('state') != 'submitted')
                    | Bool(Eval('first_reviewer')),
                    'depends': ['state', 'first_reviewer'],
                    },
                'pass_first_review': {
                    'invisible': Eval('state') != 'submitted',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'take_second_review': {
                    'invisible': (Eval('state') != 'first_reviewed')
                    | Bool(Eval('second_reviewer')),
                    'depends': ['state', 'second_reviewer'],
                    },
                'approve': {
                    'invisible': Eval('state') != 'first_reviewed',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'return_to_agent': {
                    'invisible': ~Eval('state').in_(
                        ['submitted', 'first_reviewed']),
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': ~Eval('state').in_(
                        ['submitted', 'first_reviewed']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_entered_by(cls):
        return Transaction().user or None

    @classmethod
    def default_payment_method(cls):
        return 'cod'

    @classmethod
    def default_invoice_method(cls, **pattern):
        # Cash on delivery: finance settles against the courier's
        # remittance, not against invoices.
        return 'manual'

    @classmethod
    def default_call(cls):
        "The call the order is taken on (screen pop, or the agent's call)"
        call = Pool().get('callcenter.call').of_context()
        return call.id if call else None

    @classmethod
    def create(cls, vlist):
        "An order names the call it was taken on without the agent's help"
        vlist = [cls._with_call(values) for values in vlist]
        return super().create(vlist)

    @classmethod
    def _with_call(cls, values):
        """values with the call of their customer when they name none: a
        copy starts with no call"""
        if (values.get('call') or not values.get('party')
                or Transaction().context.get('_tv_order_copy')):
            return values
        values = values.copy()
        user = values.get('entered_by') or Transaction().user
        # Named (None when no call): the server's default would be the
        # agent's current call, whoever the caller is.
        call = cls.call_taken_for(values['party'], user)
        values['call'] = call.id if call else None
        if call and not values.get('media') and getattr(call, 'media', None):
            values['media'] = call.media.id
        return values

    @classmethod
    def call_taken_for(cls, party, user):
        """The call an order of party entered now by user belongs to: the
        call the form was opened for (screen pop) or the one user is on,
        when it is party's (or has no customer yet); else the last call user
        took from party in the hours they serve it (an order entered after
        the call ended)"""
        pool = Pool()
        Call = pool.get('callcenter.call')
        Party = pool.get('party.party')
        party_id = getattr(party, 'id', party)
        call = Call.of_context()
        if call and (not call.party or call.party.id == party_id):
            return call
        if not user:
            return None
        since = dt.datetime.utcnow() - dt.timedelta(hours=Party.SERVED_HOURS)
        with without_check_access():
            calls = Call.search([
                    ('party', '=', party_id),
                    ('agent.user', '=', user),
                    ('start_time', '>=', since),
                    ], order=[('start_time', 'DESC'), ('id', 'DESC')],
                limit=1)
        return calls[0] if calls else None

    @fields.depends('call', 'party', 'media')
    def on_change_call(self):
        if self.call:
            if not self.party and self.call.party:
                self.party = self.call.party
            if not self.media and getattr(self.call, 'media', None):
                self.media = self.call.media

    def get_cod_amount(self, name):
        if self.payment_method == 'cod' and self.total_amount is not None:
            return self.total_amount
        return Decimal(0)

    def get_shipment_phone(self, name):
        for mechanism in (self.party.contact_mechanisms if self.party
                else []):
            if mechanism.type in {'mobile', 'phone'}:
                return mechanism.value
        return None

    # -- findings --

    @classmethod
    def get_findings(cls, sales, names):
        result = {'findings': {}, 'has_findings': {}}
        for sale in sales:
            found = sale.review_findings()
            result['findings'][sale.id] = '\n'.join(found) or None
            result['has_findings'][sale.id] = bool(found)
        return {name: result[name] for name in names}

    def review_findings(self):
        """What a reviewer must look at, in the user's language

        Looks across every agent's orders, whoever asks (an agent's own
        view of orders is limited by record rules).
        """
        with without_check_access():
            return self._review_findings()

    def _review_findings(self):
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        config = Configuration(1)
        found = []
        if not self.party:
            return found
        duplicates = self.duplicate_orders(config.duplicate_days or 7)
        if duplicates:
            found.append(gettext('tv_orders.msg_finding_duplicate',
                    orders=', '.join(s.number or str(s.id)
                        for s in duplicates),
                    days=config.duplicate_days or 7))
        if self.party.is_blacklisted():
            found.append(gettext('tv_orders.msg_finding_blacklisted',
                    party=self.party.rec_name))
        address = self.shipment_address
        if not address or not address.is_complete():
            found.append(gettext('tv_orders.msg_finding_address'))
        limit = config.cod_limit
        if (self.payment_method == 'cod' and limit
                and (self.total_amount or 0) > limit):
            found.append(gettext('tv_orders.msg_finding_cod_limit',
                    amount=f'{self.total_amount:.2f}', limit=f'{limit:.2f}'))
        refusals = self.party.refusal_count()
        if refusals:
            found.append(gettext('tv_orders.msg_finding_refusals',
                    count=refusals))
        for line in self.lines:
            product = getattr(line, 'product', None)
            if product and product.type == 'goods' and line.quantity \
                    and product.is_short(line.quantity):
                found.append(gettext('tv_orders.msg_finding_stock',
                        product=product.rec_name))
        return found

    def duplicate_orders(self, days):
        "Other live orders of the same phone or address in the last days"
        pool = Pool()
        Sale = pool.get('sale.sale')
        since = (self.create_date or dt.datetime.now()) - dt.timedelta(
            days=days)
        numbers = [m.value_compact for m in self.party.contact_mechanisms
            if m.type in {'phone', 'mobile'} and m.value_compact]
        clauses = [('party', '=', self.party.id)]
        if numbers:
            clauses.append(('party.contact_mechanisms.value_compact', 'in',
                    numbers))
        address = self.shipment_address
        if address and address.street:
            clauses.append([
                    ('shipment_address.street', '=', address.street),
                    ('shipment_address.city', '=', address.city)])
        return Sale.search([
                ('id', '!=', self.id),
                ('state', 'not in', ['cancelled']),
                ('create_date', '>=', since),
                ['OR'] + clauses,
                ], order=[('id', 'ASC')])

    # -- review workflow --

    @classmethod
    def log_review(cls, sales, action, reason=None, from_state=None,
            to_state=None):
        """Record who moved the orders, when and why (inside a transition
        the new state is not written yet: pass it as to_state)"""
        pool = Pool()
        Log = pool.get('sale.review.log')
        Log.create([{
                    'sale': sale.id, 'action': action,
                    'user': Transaction().user,
                    'from_state': from_state.get(sale.id) if from_state
                    else None,
                    'to_state': to_state or sale.state, 'reason': reason,
                    } for sale in sales])

    @classmethod
    def _check_not_own(cls, sales):
        "A reviewer never reviews an order they entered"
        user = Transaction().user
        if not user:
            return
        for sale in sales:
            if sale.entered_by and sale.entered_by.id == user:
                raise OrderError(gettext(
                        'tv_orders.msg_review_own_order',
                        order=sale.rec_name))

    @classmethod
    def _check_second_reviewer(cls, sale, user_id):
        "The second review is never done by the first reviewer"
        if (user_id and sale.first_reviewer
                and sale.first_reviewer.id == user_id):
            raise OrderError(gettext('tv_orders.msg_review_twice',
                    order=sale.rec_name))

    @classmethod
    def _states_of(cls, sales):
        return {sale.id: sale.state for sale in sales}

    @classmethod
    def check_for_submission(cls, sales):
        for sale in sales:
            if not sale.lines or not any(
                    not getattr(l, 'is_gift', False) for l in sale.lines):
                raise OrderError(gettext('tv_orders.msg_order_empty',
                        order=sale.rec_name))
            if not sale.shipment_address:
                raise OrderError(gettext('tv_orders.msg_order_no_address',
                        order=sale.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('submitted')
    def submit(cls, sales):
        states = cls._states_of(sales)
        cls.check_for_submission(sales)
        cls.add_gifts(sales)
        cls.set_number(sales)
        cls.log_review(sales, 'submit', from_state=states,
            to_state='submitted')

    @classmethod
    def add_gifts(cls, sales):
        "The gifts of each product ordered, as free lines"
        pool = Pool()
        Line = pool.get('sale.line')
        to_save = []
        for sale in sales:
            present = {(l.product.id if l.product else None)
                for l in sale.lines if getattr(l, 'is_gift', False)}
            for line in list(sale.lines):
                if getattr(line, 'is_gift', False) or not line.product:
                    continue
                for gift in line.product.template.gifts:
                    if gift.id in present:
                        continue
                    present.add(gift.id)
                    gift_line = Line(sale=sale, type='line', product=gift,
                        quantity=line.quantity, unit=gift.sale_uom,
                        is_gift=True)
                    gift_line.on_change_product()
                    gift_line.unit_price = Decimal(0)
                    to_save.append(gift_line)
        Line.save(to_save)

    @classmethod
    @ModelView.button
    def take_first_review(cls, sales):
        cls._check_not_own(sales)
        cls.write(list(sales), {'first_reviewer': Transaction().user})

    @classmethod
    @ModelView.button
    def take_second_review(cls, sales):
        cls._check_not_own(sales)
        cls.write(list(sales), {'second_reviewer': Transaction().user})

    @classmethod
    @ModelView.button
    @Workflow.transition('first_reviewed')
    def pass_first_review(cls, sales):
        cls._check_not_own(sales)
        states = cls._states_of(sales)
        cls.write([s for s in sales if not s.first_reviewer],
            {'first_reviewer': Transaction().user})
        cls.log_review(sales, 'first_review', from_state=states,
            to_state='first_reviewed')

    @classmethod
    @ModelView.button
    def approve(cls, sales):
        "Second review passed: the order is confirmed for logistics"
        cls._check_not_own(sales)
        for sale in sales:
            if sale.state != 'first_reviewed':
                raise OrderError(gettext('tv_orders.msg_approve_state',
                        order=sale.rec_name))
            cls._check_second_reviewer(sale, Transaction().user)
        states = cls._states_of(sales)
        cls.write([s for s in sales if not s.second_reviewer],
            {'second_reviewer': Transaction().user})
        # Quoting lays out bundles (kits) into their components.
        with Transaction().set_context(tv_order_action=True):
            approved = cls.browse(sales)
            cls.quote(approved)
            cls.confirm(approved)
        cls.log_review(sales, 'approve', from_state=states)

    @classmethod
    @ModelView.button_action('tv_orders.wizard_return_to_agent')
    def return_to_agent(cls, sales):
        pass

    @classmethod
    @ModelView.button_action('tv_orders.wizard_reject')
    def reject(cls, sales):
        pass

    @classmethod
    @Workflow.transition('draft')
    def do_return_to_agent(cls, sales, reason):
        cls._check_not_own(sales)
        states = cls._states_of(sales)
        cls.write(list(sales), {'first_reviewer': None,
                'second_reviewer': None})
        cls.log_review(sales, 'return', reason=reason, from_state=states,
            to_state='draft')

    @classmethod
    def do_assign_reviewer(cls, sales, user):
        """A manager hands orders waiting for a review to a reviewer: the
        first reviewer of submitted orders, the second of first-reviewed
        ones; the same rules as taking them apply to that reviewer"""
        pool = Pool()
        User = pool.get('res.user')
        user = User(int(user))
        to_first, to_second = [], []
        for sale in sales:
            if sale.state == 'submitted':
                to_first.append(sale)
            elif sale.state == 'first_reviewed':
                cls._check_second_reviewer(sale, user.id)
                to_second.append(sale)
            else:
                raise OrderError(gettext('tv_orders.msg_assign_state',
                        order=sale.rec_name))
            if sale.entered_by and sale.entered_by == user:
                raise OrderError(gettext('tv_orders.msg_assign_own',
                        order=sale.rec_name, reviewer=user.rec_name))
        args = []
        if to_first:
            args.extend([to_first, {'first_reviewer': user.id}])
        if to_second:
            args.extend([to_second, {'second_reviewer': user.id}])
        cls.write(*args)
        cls.log_review(list(sales), 'assign', reason=user.rec_name)

    @classmethod
    def do_reject(cls, sales, reason):
        cls._check_not_own(sales)
        states = cls._states_of(sales)
        cls.cancel(sales)
        cls.log_review(sales, 'reject', reason=reason, from_state=states)

    # What an agent entered: after submission only a defined action (the
    # review buttons, merge, refunds) may change it.
    _entered_fields = {
        'party', 'shipment_address', 'invoice_address', 'payment_method',
        'currency', 'media', 'lines', 'delivery_notes', 'shipment_party',
        'invoice_party'}

    @classmethod
    def check_modification(cls, mode, sales, values=None, external=False):
        super().check_modification(
            mode, sales, values=values, external=external)
        if (mode == 'write' and values
                and not Transaction().context.get('tv_order_action')
                and set(values) & cls._entered_fields):
            for sale in sales:
                if sale.state != 'draft':
                    raise AccessError(gettext(
                            'tv_orders.msg_order_locked',
                            order=sale.rec_name))

    @classmethod
    def copy(cls, sales, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('entered_by', Transaction().user or None)
        for name in ['first_reviewer', 'second_reviewer', 'review_logs',
                'delivery_status', 'merged_into', 'call']:
            default.setdefault(name, None)
        with Transaction().set_context(_tv_order_copy=True):
            return super().copy(sales, default=default)


class Line(ClientGuardMixin, metaclass=PoolMeta):
    __name__ = 'sale.line'

    _entered_fields = {'product', 'quantity', 'unit_price', 'unit',
        'is_gift', 'sale'}

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        if (mode == 'write' and values
                and not Transaction().context.get('tv_order_action')
                and set(values) & cls._entered_fields):
            for line in lines:
                if line.sale and line.sale.state != 'draft':
                    raise AccessError(gettext(
                            'tv_orders.msg_order_locked',
                            order=line.sale.rec_name))

    is_gift = fields.Boolean("Gift",
        states={'readonly': Eval('sale_state') != 'draft'},
        help="Free with the order: priced at zero.")

    @classmethod
    def default_quantity(cls):
        "A TV order line is one piece unless the agent types more"
        return 1

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        for line in lines:
            if line.type == 'line' and line.quantity is not None \
                    and line.quantity <= 0:
                raise OrderValidationError(gettext(
                        'tv_orders.msg_line_quantity_positive',
                        product=line.product.rec_name if line.product
                        else line.description or ''))
            if getattr(line, 'is_gift', False) and line.unit_price:
                raise OrderValidationError(gettext(
                        'tv_orders.msg_gift_price',
                        product=line.product.rec_name if line.product
                        else ''))

    @fields.depends('is_gift', methods=['compute_unit_price'])
    def on_change_is_gift(self):
        if self.is_gift:
            self.unit_price = Decimal(0)
        else:
            self.unit_price = self.compute_unit_price()

    @fields.depends('is_gift')
    def compute_unit_price(self):
        price = super().compute_unit_price()
        if self.is_gift:
            return Decimal(0)
        return price


class ReviewLog(ClientGuardMixin, ModelSQL, ModelView):
    "One move of an order through the review (who, when, why)"
    __name__ = 'sale.review.log'
    __string__ = "Order Review Log"

    sale = fields.Many2One('sale.sale', "Order", required=True,
        ondelete='CASCADE')
    date = fields.DateTime("Date", required=True)
    user = fields.Many2One('res.user', "User")
    action = fields.Selection([
            ('submit', "Submitted"),
            ('first_review', "First review passed"),
            ('approve', "Approved"),
            ('return', "Returned to the agent"),
            ('reject', "Rejected"),
            ('assign', "Assigned to a reviewer"),
            ('merge', "Merged"),
            ('refund', "Refund"),
            ], "Action", required=True)
    from_state = fields.Selection('get_sale_states', "From")
    to_state = fields.Selection('get_sale_states', "To")
    reason = fields.Text("Reason")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        return dt.datetime.now()

    @classmethod
    def get_sale_states(cls):
        Sale = Pool().get('sale.sale')
        return [(None, '')] + Sale.fields_get(['state'])['state']['selection']


class ReviewReasonStart(ModelView):
    __name__ = 'sale.review.reason.start'
    __string__ = "Review Reason"

    reason = fields.Text("Reason", required=True)


class _ReviewReasonWizard(Wizard):
    start_state = 'start'
    start = StateView('sale.review.reason.start',
        'tv_orders.review_reason_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("OK", 'apply', 'tryton-ok', default=True),
            ])
    apply = StateTransition()

    def transition_apply(self):
        reason = (self.start.reason or '').strip()
        if not reason:
            raise OrderError(gettext('tv_orders.msg_review_reason'))
        getattr(self.model, self._action)(list(self.records), reason)
        return 'end'


class AssignReviewerStart(ModelView):
    __name__ = 'sale.assign_reviewer.start'
    __string__ = "Assign Reviewer"

    reviewer = fields.Many2One('res.user', "Reviewer", required=True,
        domain=[('id', 'in', Eval('candidates', []))])
    candidates = fields.Many2Many('res.user', None, None, "Candidates",
        readonly=True)


class AssignReviewer(Wizard):
    "Hand orders waiting for review to a reviewer"
    __name__ = 'sale.assign_reviewer'
    start = StateView('sale.assign_reviewer.start',
        'tv_orders.assign_reviewer_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Assign", 'assign', 'tryton-ok', default=True),
            ])
    assign = StateTransition()

    def default_start(self, fields):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        states = {s.state for s in self.records}
        groups = []
        if 'submitted' in states:
            groups.append(ModelData.get_id('tv_orders', 'group_first_review'))
        if 'first_reviewed' in states:
            groups.append(
                ModelData.get_id('tv_orders', 'group_second_review'))
        with without_check_access():
            users = User.search([('groups', 'in', groups)]) if groups else []
        return {'candidates': [u.id for u in users]}

    def transition_assign(self):
        self.model.do_assign_reviewer(list(self.records), self.start.reviewer)
        return 'end'


class ReturnToAgent(_ReviewReasonWizard):
    "Send an order back to its agent for correction"
    __name__ = 'sale.return_to_agent'
    _action = 'do_return_to_agent'


class Reject(_ReviewReasonWizard):
    "Reject an order (it is cancelled)"
    __name__ = 'sale.reject'
    _action = 'do_reject'


class Configuration(ClientGuardMixin, metaclass=PoolMeta):
    __name__ = 'sale.configuration'

    duplicate_days = fields.Integer("Duplicate Window (days)",
        help="Orders of the same phone or address within this many days "
        "are shown to reviewers as possible duplicates.")
    cod_limit = fields.Numeric("COD Limit", digits=(16, 2),
        help="Cash-on-delivery orders above this amount are flagged.")

    @classmethod
    def default_duplicate_days(cls):
        return 7

    @classmethod
    def default_cod_limit(cls):
        return Decimal(5000)
