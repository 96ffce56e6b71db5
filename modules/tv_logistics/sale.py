# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""What logistics and finance add to an order: the courier, the parcel's
tracking number and history, and the cash-on-delivery settlement.

One order is one parcel (how TV-shopping companies ship): the tracking
number, the dates and the delivery status live on the order, the history of
statuses in sale.tracking.
"""
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction

from trytond.modules.tv_callcenter.tools import forget_cached
from trytond.modules.tv_callcenter.guard import ClientGuardMixin

# The statuses a courier reports, in the order a parcel goes through them.
TRACKING_STATUSES = [
    ('shipped', "Shipped"),
    ('picked_up', "Picked up"),
    ('in_transit', "In transit"),
    ('delivered', "Delivered (signed)"),
    ('refused', "Refused"),
    ('returned', "Returned"),
    ('lost', "Lost"),
    ]
# Statuses after which the parcel's journey is over.
FINAL_STATUSES = {'delivered', 'returned', 'lost'}
# How a tracking status shows on the order (sale.delivery_status).
DELIVERY_STATUS = {
    'shipped': 'shipped',
    'picked_up': 'in_transit',
    'in_transit': 'in_transit',
    'delivered': 'delivered',
    'refused': 'refused',
    'returned': 'returned',
    'lost': 'lost',
    }


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    carrier = fields.Many2One('carrier', "Courier", ondelete='RESTRICT',
        states={'readonly': Bool(Eval('shipping_batch'))},
        help="The courier who delivers the parcel.")
    shipping_batch = fields.Many2One('tv.shipping.batch', "Shipping Batch",
        readonly=True, ondelete='RESTRICT')
    tracking_number = fields.Char("Tracking Number", readonly=True,
        help="The courier's waybill number (运单号).")
    shipped_date = fields.Date("Shipped On", readonly=True)
    delivered_date = fields.Date("Signed On", readonly=True)
    delivery_status_date = fields.Date("Status Date", readonly=True,
        help="The date of the last status the courier reported.")
    trackings = fields.One2Many('sale.tracking', 'sale', "Tracking",
        readonly=True)
    settlement_line = fields.Many2One('tv.settlement.line',
        "Settlement", readonly=True, ondelete='SET NULL')
    settled_amount = fields.Numeric("Settled", digits='currency',
        readonly=True,
        help="What the courier remitted for this cash-on-delivery order.")
    settled_date = fields.Date("Settled On", readonly=True)
    refusal_return = fields.Many2One('stock.shipment.out.return',
        "Refusal Return", readonly=True, ondelete='SET NULL',
        help="The return that brings a refused parcel back to stock.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.tracking_number, Index.Equality()),
                    where=t.tracking_number != None),  # noqa: E711
                Index(t, (t.shipped_date, Index.Range()),
                    where=t.shipped_date != None),  # noqa: E711
                })

    @classmethod
    def search_rec_name(cls, name, clause):
        domain = super().search_rec_name(name, clause)
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            return domain
        return ['OR', domain,
            ('tracking_number', operator, operand, *extra)]

    @classmethod
    def copy(cls, sales, default=None):
        default = default.copy() if default is not None else {}
        for name in ['shipping_batch', 'tracking_number', 'shipped_date',
                'delivered_date', 'delivery_status_date', 'trackings',
                'settlement_line', 'settled_amount', 'settled_date',
                'refusal_return']:
            default.setdefault(name, None)
        return super().copy(sales, default=default)

    @classmethod
    def open_returns(cls, sales):
        """A refused parcel comes back: a customer return of its goods for
        the warehouse and, if the customer paid in advance, a refund for
        finance to approve and pay"""
        pool = Pool()
        RefundLine = pool.get('sale.refund.line')
        Refund = pool.get('sale.refund')
        refunds = []
        for sale in sales:
            if sale.refusal_return:
                continue
            goods = [g for line in sale.lines
                if line.type == 'line' and line.product
                and line.product.type in {'goods', 'kit'}
                for g in RefundLine(sale_line=line,
                    quantity=line.quantity).returned_goods()]
            if goods:
                sale.refusal_return = sale.create_return_shipment(goods)
            owed = sale.paid_amount - sum((r.amount for r in sale.refunds
                    if r.state != 'cancelled'), Decimal(0))
            if sale.payment_method == 'prepaid' and owed > 0:
                refunds.append(Refund(sale=sale, amount=owed,
                        reason=gettext('tv_logistics.msg_refused_refund',
                            order=sale.rec_name)))
        cls.save(sales)
        if refunds:
            Refund.save(refunds)
            Refund.request(refunds)

    @classmethod
    def record_tracking(cls, tracking_numbers, statuses):
        """Set the tracking numbers ({sale id: number}) and the statuses
        ({sale id: (status, date)}) couriers reported, in bulk; a refused
        parcel opens its return.

        A tracking import touches thousands of orders: the columns are
        updated in SQL, one statement per distinct change; the import's
        rows and sale.tracking keep who reported what and when.
        """
        table = cls.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        now = dt.datetime.now()
        audit = [table.write_uid, table.write_date]
        audit_values = [transaction.user, now]
        for sale_id, number in tracking_numbers.items():
            cursor.execute(*table.update([table.tracking_number] + audit,
                    [number] + audit_values, where=table.id == sale_id))
        grouped = {}
        for sale_id, (status, date) in statuses.items():
            grouped.setdefault((status, date), []).append(sale_id)
        for (status, date), sale_ids in grouped.items():
            columns = [table.delivery_status, table.delivery_status_date]
            values = [DELIVERY_STATUS[status], date]
            if status == 'delivered':
                columns.append(table.delivered_date)
                values.append(date)
            for start in range(0, len(sale_ids), 1000):
                cursor.execute(*table.update(columns + audit,
                        values + audit_values,
                        where=table.id.in_(sale_ids[start:start + 1000])))
        forget_cached(cls, set(tracking_numbers) | set(statuses))
        refused = [sale_id for sale_id, (status, _) in statuses.items()
            if status == 'refused']
        if refused:
            cls.open_returns(cls.browse(refused))


class Tracking(ClientGuardMixin, ModelSQL, ModelView):
    "One status the courier reported for a parcel"
    __name__ = 'sale.tracking'
    __string__ = "Tracking Status"

    sale = fields.Many2One('sale.sale', "Order", required=True,
        ondelete='CASCADE')
    tracking_number = fields.Char("Tracking Number", required=True)
    date = fields.Date("Date", required=True)
    status = fields.Selection(TRACKING_STATUSES, "Status", required=True)
    note = fields.Char("Note")
    source = fields.Many2One('tv.tracking.import', "Imported From",
        ondelete='SET NULL')
    user = fields.Many2One('res.user', "User", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.add(
            Index(t, (t.tracking_number, Index.Equality())))

    @classmethod
    def default_user(cls):
        return Transaction().user or None
