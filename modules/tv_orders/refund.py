# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Returns and refunds (退单): full or partial, before or after shipping.

A refund states what goes back (quantities per order line), why, and how
much money is owed. Approved after shipping, it opens a customer return
shipment so the goods come back to stock; finance pays it (state refunded).
"""
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.modules.product import round_price
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.modules.tv_callcenter.guard import ClientGuardMixin

from .exceptions import RefundError, RefundValidationError

_draft = {'readonly': Eval('state') != 'draft'}


class Refund(ClientGuardMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'sale.refund'
    __string__ = "Refund"

    sale = fields.Many2One('sale.sale', "Order", required=True,
        ondelete='RESTRICT', states=_draft,
        domain=[('state', 'in', ['confirmed', 'processing', 'done',
                    'submitted', 'first_reviewed'])])
    party = fields.Function(fields.Many2One('party.party', "Customer"),
        'on_change_with_party', searcher='search_party')
    date = fields.Date("Date", required=True, states=_draft)
    reason = fields.Text("Reason", required=True, states=_draft)
    lines = fields.One2Many('sale.refund.line', 'refund', "Goods",
        states=_draft,
        help="What the customer sends back; empty for money only.")
    amount = fields.Numeric("Refund Amount", digits=(16, 2), required=True,
        states=_draft)
    timing = fields.Function(fields.Selection([
                ('before', "Before shipping"),
                ('after', "After shipping"),
                ], "When"), 'get_timing')
    kind = fields.Function(fields.Selection([
                ('full', "Full"),
                ('partial', "Partial"),
                ], "Kind"), 'get_kind')
    return_shipment = fields.Many2One('stock.shipment.out.return',
        "Return Shipment", readonly=True)
    requested_by = fields.Many2One('res.user', "Requested By", readonly=True)
    paid_date = fields.Date("Paid On", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('requested', "Requested"),
            ('approved', "Approved"),
            ('refunded', "Refunded"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'requested'),
            ('requested', 'approved'),
            ('requested', 'draft'),
            ('approved', 'refunded'),
            ('draft', 'cancelled'),
            ('requested', 'cancelled'),
            }
        cls._buttons.update({
                'request': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward', 'depends': ['state']},
                'draft': {
                    'invisible': Eval('state') != 'requested',
                    'icon': 'tryton-back', 'depends': ['state']},
                'approve': {
                    'invisible': Eval('state') != 'requested',
                    'icon': 'tryton-ok', 'depends': ['state']},
                'pay': {
                    'invisible': Eval('state') != 'approved',
                    'icon': 'tryton-ok', 'depends': ['state']},
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'requested']),
                    'icon': 'tryton-cancel', 'depends': ['state']},
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_amount(cls):
        return Decimal(0)

    @fields.depends('sale')
    def on_change_with_party(self, name=None):
        return self.sale.party if self.sale else None

    @classmethod
    def search_party(cls, name, clause):
        return [('sale.party',) + tuple(clause[1:])]

    def get_timing(self, name):
        return 'after' if self.sale and self.sale.is_shipped() else 'before'

    def get_kind(self, name):
        if not self.sale:
            return None
        paid = self.sale.paid_amount
        if self.amount is not None and paid and self.amount >= paid:
            return 'full'
        return 'partial'

    def get_rec_name(self, name):
        return f'{self.sale.rec_name} / {self.amount}'

    @fields.depends('sale', 'lines', 'amount')
    def on_change_lines(self):
        total = sum((l.amount or 0) for l in self.lines)
        if total:
            self.amount = total

    @classmethod
    def validate_fields(cls, refunds, field_names):
        super().validate_fields(refunds, field_names)
        for refund in refunds:
            refund.check_amount()

    def check_amount(self):
        "Never more than was paid, counting the other refunds of the order"
        if self.amount is None or self.amount <= 0:
            raise RefundValidationError(gettext(
                    'tv_orders.msg_refund_amount_positive'))
        others = sum((r.amount for r in self.sale.refunds
                if r.id != self.id and r.state != 'cancelled'), Decimal(0))
        paid = self.sale.paid_amount
        if self.amount + others > paid:
            raise RefundValidationError(gettext(
                    'tv_orders.msg_refund_more_than_paid',
                    amount=self.amount, paid=paid,
                    refunded=others, order=self.sale.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('requested')
    def request(cls, refunds):
        cls.write(list(refunds), {'requested_by': Transaction().user})
        Sale = Pool().get('sale.sale')
        for refund in refunds:
            Sale.log_review([refund.sale], 'refund', reason=refund.reason)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, refunds):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, refunds):
        cls.create_return_shipments(refunds)

    @classmethod
    @ModelView.button
    @Workflow.transition('refunded')
    def pay(cls, refunds):
        cls.write(list(refunds), {
                'paid_date': Pool().get('ir.date').today()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, refunds):
        pass

    @classmethod
    def create_return_shipments(cls, refunds):
        "Goods shipped come back to the warehouse they left"
        for refund in refunds:
            lines = [l for l in refund.lines if l.quantity]
            if not lines or refund.timing != 'after':
                continue
            refund.return_shipment = refund.sale.create_return_shipment(
                [goods for line in lines for goods in line.returned_goods()])
        cls.save(refunds)


class RefundLine(ClientGuardMixin, ModelSQL, ModelView):
    __name__ = 'sale.refund.line'
    __string__ = "Refund Line"

    refund = fields.Many2One('sale.refund', "Refund", required=True,
        ondelete='CASCADE')
    sale_line = fields.Many2One('sale.line', "Order Line", required=True,
        domain=[('sale', '=', Eval('_parent_refund', {}).get('sale', -1)),
            ('type', '=', 'line')])
    quantity = fields.Float("Quantity", required=True)
    amount = fields.Function(fields.Numeric("Amount", digits=(16, 2)),
        'on_change_with_amount')

    def returned_goods(self):
        """(origin, product, unit, quantity, unit price) of what comes back:
        the line's product, or the components of a bundle (kit) in the
        proportion returned"""
        sale_line = self.sale_line
        components = getattr(sale_line, 'components', None) or []
        if not components:
            return [(sale_line, sale_line.product, sale_line.unit,
                    self.quantity, sale_line.unit_price)]
        whole = self.quantity >= sale_line.quantity
        goods = []
        for component in components:
            if component.fixed:
                quantity = component.quantity if whole else 0
            else:
                quantity = component.unit.round(component.quantity
                    * self.quantity / sale_line.quantity)
            if quantity:
                goods.append((component, component.product, component.unit,
                        quantity, round_price(
                            sale_line.unit_price * component.price_ratio)))
        return goods

    @fields.depends('sale_line', 'quantity')
    def on_change_with_amount(self, name=None):
        if self.sale_line and self.quantity is not None \
                and self.sale_line.unit_price is not None:
            return (self.sale_line.unit_price * Decimal(str(self.quantity))
                ).quantize(Decimal('0.01'))

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        for line in lines:
            if line.quantity is None or line.quantity <= 0:
                raise RefundValidationError(gettext(
                        'tv_orders.msg_refund_quantity_positive'))
            returned = sum(l.quantity for l in cls.search([
                        ('sale_line', '=', line.sale_line.id),
                        ('refund.state', '!=', 'cancelled')]))
            if returned > line.sale_line.quantity:
                raise RefundValidationError(gettext(
                        'tv_orders.msg_refund_quantity_too_much',
                        product=line.sale_line.rec_name,
                        ordered=line.sale_line.quantity,
                        returned=returned))


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    refunds = fields.One2Many('sale.refund', 'sale', "Refunds",
        readonly=True)
    paid_amount = fields.Function(fields.Numeric("Paid", digits='currency',
            help="Prepaid orders: the total; cash on delivery: what the "
            "courier collected."), 'get_paid_amount')

    def get_paid_amount(self, name):
        if self.state == 'cancelled':
            return Decimal(0)
        if self.payment_method == 'prepaid':
            return self.total_amount or Decimal(0)
        if self.delivery_status == 'delivered':
            return self.total_amount or Decimal(0)
        return Decimal(0)

    def create_return_shipment(self, goods):
        """A customer return shipment bringing goods back to the warehouse
        they left: goods are (origin, product, unit, quantity, unit price)"""
        pool = Pool()
        Return = pool.get('stock.shipment.out.return')
        Move = pool.get('stock.move')
        warehouse = self.warehouse
        shipment = Return(
            customer=self.party, contact_address=self.shipment_address,
            warehouse=warehouse, company=self.company,
            warehouse_input=warehouse.input_location,
            warehouse_storage=warehouse.storage_location,
            reference=self.number)
        shipment.save()
        Move.save([Move(shipment=shipment, product=product, unit=unit,
                    quantity=quantity,
                    from_location=self.party.customer_location,
                    to_location=shipment.warehouse_input,
                    company=self.company, unit_price=unit_price,
                    currency=self.currency, origin=origin)
                for origin, product, unit, quantity, unit_price in goods])
        return shipment

    def is_shipped(self):
        "Has any parcel of this order left the warehouse?"
        return any(s.state in {'shipped', 'done'} for s in self.shipments)
