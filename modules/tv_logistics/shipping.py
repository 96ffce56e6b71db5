# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Courier export templates and shipping batches (发货批次).

Each courier takes its own Excel layout for a pick-up list: which columns,
in which order, some with fixed values (sender, goods type). The logistics
clerk edits that template on the courier, or loads a sample for SF, EMS,
ZTO, YTO or JD.

A shipping batch gathers approved orders for one courier. Exporting it the
first time ships them (their stock shipments are done, the orders show
"shipped") and keeps the file; exporting it again hands back the same file
and ships nothing twice.
"""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import (
    ModelSQL, ModelView, Workflow, fields, sequence_ordered)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.modules.tv_callcenter.guard import ClientGuardMixin

from tvcc import phone, sheets

from .background import ChunkedWork
from .download import FileWizard
from .exceptions import ShippingError

# Orders shipped in one transaction; a larger batch ships in the background.
SHIP_CHUNK = 200

SOURCES = [
    ('order_number', "Order number"),
    ('order_date', "Order date"),
    ('tracking_number', "Tracking number"),
    ('receiver_name', "Receiver name"),
    ('receiver_phone', "Receiver phone"),
    ('province', "Province"),
    ('city', "City"),
    ('district', "District"),
    ('street', "Street"),
    ('full_address', "Full address"),
    ('postal_code', "Postal code"),
    ('goods', "Goods"),
    ('quantity', "Pieces"),
    ('cod_amount', "COD amount"),
    ('order_amount', "Order amount"),
    ('payment', "Payment"),
    ('notes', "Delivery notes"),
    ('sender_name', "Sender name"),
    ('sender_phone', "Sender phone"),
    ('sender_address', "Sender address"),
    ('fixed', "Fixed value"),
    ('empty', "Empty column"),
    ]

# Sample pick-up list layouts of the common couriers: (header, source,
# fixed value). The clerk adapts them to the courier's current template.
SAMPLES = {
    'SF': [
        ('用户订单号', 'order_number', None),
        ('寄件公司', 'sender_name', None),
        ('寄件人电话', 'sender_phone', None),
        ('寄件详细地址', 'sender_address', None),
        ('收件人', 'receiver_name', None),
        ('收件人电话', 'receiver_phone', None),
        ('收件详细地址', 'full_address', None),
        ('托寄物内容', 'goods', None),
        ('托寄物数量', 'quantity', None),
        ('付款方式', 'fixed', '寄付月结'),
        ('代收货款', 'cod_amount', None),
        ('业务类型', 'fixed', '顺丰标快'),
        ('备注', 'notes', None),
        ],
    'EMS': [
        ('订单号', 'order_number', None),
        ('收件人姓名', 'receiver_name', None),
        ('收件人手机', 'receiver_phone', None),
        ('收件省', 'province', None),
        ('收件市', 'city', None),
        ('收件区县', 'district', None),
        ('收件详细地址', 'street', None),
        ('邮编', 'postal_code', None),
        ('内件名称', 'goods', None),
        ('代收货款金额', 'cod_amount', None),
        ('寄件人', 'sender_name', None),
        ('寄件人电话', 'sender_phone', None),
        ('产品类型', 'fixed', '标准快递'),
        ],
    'ZTO': [
        ('订单编号', 'order_number', None),
        ('收件人', 'receiver_name', None),
        ('收件人手机/电话', 'receiver_phone', None),
        ('收件省份', 'province', None),
        ('收件城市', 'city', None),
        ('收件区县', 'district', None),
        ('收件地址', 'street', None),
        ('物品名称', 'goods', None),
        ('件数', 'quantity', None),
        ('代收货款', 'cod_amount', None),
        ('备注', 'notes', None),
        ],
    'YTO': [
        ('物流订单号', 'order_number', None),
        ('收件人姓名', 'receiver_name', None),
        ('收件人电话', 'receiver_phone', None),
        ('收件人地址', 'full_address', None),
        ('货物名称', 'goods', None),
        ('数量', 'quantity', None),
        ('代收金额', 'cod_amount', None),
        ('发件人姓名', 'sender_name', None),
        ('发件人电话', 'sender_phone', None),
        ('备注', 'notes', None),
        ],
    'JD': [
        ('商家订单号', 'order_number', None),
        ('收件人姓名', 'receiver_name', None),
        ('收件人手机', 'receiver_phone', None),
        ('收件省', 'province', None),
        ('收件市', 'city', None),
        ('收件县/区', 'district', None),
        ('收件人地址', 'street', None),
        ('物品内容', 'goods', None),
        ('包裹数', 'fixed', '1'),
        ('代收货款', 'cod_amount', None),
        ('寄件人', 'sender_name', None),
        ('寄件人电话', 'sender_phone', None),
        ('备注', 'notes', None),
        ],
    }


class Carrier(metaclass=PoolMeta):
    __name__ = 'carrier'

    export_columns = fields.One2Many('carrier.export.column', 'carrier',
        "Export Template",
        help="The columns of the courier's pick-up list, in order.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'load_sample_template': {
                    'icon': 'tryton-launch',
                    },
                })

    @classmethod
    @ModelView.button
    def load_sample_template(cls, carriers):
        "Replace the template with the sample of the courier's code"
        pool = Pool()
        Column = pool.get('carrier.export.column')
        for carrier in carriers:
            sample = SAMPLES.get((carrier.code or '').upper())
            if not sample:
                raise ShippingError(gettext(
                        'tv_logistics.msg_no_sample_template',
                        courier=carrier.rec_name,
                        codes=', '.join(sorted(SAMPLES))))
            Column.delete(list(carrier.export_columns))
            Column.create([{'carrier': carrier.id, 'sequence': index,
                        'header': header, 'source': source,
                        'value': value}
                    for index, (header, source, value)
                    in enumerate(sample, 1)])

    def export_template(self):
        "[(header, source, fixed value)] of the courier's pick-up list"
        columns = [(c.header, c.source, c.value)
            for c in self.export_columns]
        if not columns:
            raise ShippingError(gettext('tv_logistics.msg_no_template',
                    courier=self.rec_name))
        return columns


class ExportColumn(ClientGuardMixin, sequence_ordered(), ModelSQL, ModelView):
    "A column of a courier's pick-up list"
    __name__ = 'carrier.export.column'
    __string__ = "Courier Export Column"

    carrier = fields.Many2One('carrier', "Courier", required=True,
        ondelete='CASCADE')
    header = fields.Char("Header", required=True)
    source = fields.Selection(SOURCES, "Content", required=True)
    value = fields.Char("Value",
        states={
            'invisible': Eval('source') != 'fixed',
            'required': Eval('source') == 'fixed',
            },
        help="Written in every row.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # A column added without a position goes to the end.
        cls._order = [('sequence', 'ASC NULLS LAST'), ('id', 'ASC')]

    @classmethod
    def default_source(cls):
        return 'order_number'


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'

    sender_name = fields.Char("Sender Name",
        help="Printed on the waybills as the sender (寄件人).")
    sender_phone = fields.Char("Sender Phone")
    sender_address = fields.Char("Sender Address")


def national_phone(number):
    "The number as couriers' systems take it (13800138000, 02088887777)"
    if not number:
        return ''
    try:
        return phone.national(number)
    except phone.InvalidPhoneNumber:
        return number


def order_values(sale, config):
    "What an order gives each column of a pick-up list"
    address = sale.shipment_address
    province = (address.subdivision.name
        if address and address.subdivision else '')
    city = address.city if address else ''
    district = getattr(address, 'district', None) or '' if address else ''
    street = address.street if address else ''
    goods, pieces = [], 0
    for line in sale.lines:
        if line.type != 'line' or not line.product:
            continue
        quantity = int(line.quantity) if float(line.quantity).is_integer() \
            else line.quantity
        goods.append(f'{line.product.name}×{quantity}')
        pieces += line.quantity
    return {
        'order_number': sale.number or '',
        'order_date': sale.sale_date,
        'tracking_number': sale.tracking_number or '',
        'receiver_name': (address.party_name if address
            and getattr(address, 'party_name', None) else sale.party.name),
        'receiver_phone': national_phone(sale.shipment_phone),
        'province': province,
        'city': city or '',
        'district': district,
        'street': street or '',
        'full_address': ''.join(p for p in [province,
                city if city != province else '', district, street] if p),
        'postal_code': address.postal_code or '' if address else '',
        'goods': '，'.join(goods),
        'quantity': int(pieces) if float(pieces).is_integer() else pieces,
        'cod_amount': sale.cod_amount,
        'order_amount': sale.total_amount,
        'payment': dict(sale.fields_get(['payment_method'])
            ['payment_method']['selection']).get(sale.payment_method, ''),
        'notes': sale.delivery_notes or '',
        'sender_name': config.sender_name or sale.company.party.name,
        'sender_phone': config.sender_phone or '',
        'sender_address': config.sender_address or '',
        }


def pickup_list(carrier, sales, config):
    "(headers, rows) of the courier's pick-up list for these orders"
    template = carrier.export_template()
    headers = [header for header, _, _ in template]
    rows = []
    for sale in sales:
        values = order_values(sale, config)
        rows.append([value if source == 'fixed'
                else None if source == 'empty' else values[source]
                for _, source, value in template])
    return headers, rows


class ShippingBatch(ClientGuardMixin, ChunkedWork, Workflow, ModelSQL, ModelView):
    "Approved orders handed to one courier together"
    __name__ = 'tv.shipping.batch'
    __string__ = "Shipping Batch"
    _rec_name = 'number'

    number = fields.Char("Number", readonly=True)
    carrier = fields.Many2One('carrier', "Courier", required=True,
        ondelete='RESTRICT',
        states={'readonly': Eval('state') != 'draft'})
    company = fields.Many2One('company.company', "Company", required=True,
        states={'readonly': Eval('state') != 'draft'})
    date = fields.Date("Date", required=True,
        states={'readonly': Eval('state') != 'draft'})
    orders = fields.One2Many('sale.sale', 'shipping_batch', "Orders",
        domain=[('company', '=', Eval('company', -1))],
        states={'readonly': Eval('state') != 'draft'},
        add_remove=[
            ('state', 'in', ['confirmed', 'processing']),
            ('shipping_batch', '=', None),
            ('delivery_status', '=', None),
            ])
    order_count = fields.Function(fields.Integer("Orders"),
        'get_totals')
    cod_total = fields.Function(fields.Numeric("COD Total",
            digits=(16, 2)), 'get_totals')
    file = fields.Binary("Pick-up List", filename='filename',
        file_id='file_id', readonly=True)
    file_id = fields.Char("File ID", readonly=True)
    filename = fields.Char("File Name", readonly=True)
    exported_by = fields.Many2One('res.user', "Exported By", readonly=True)
    exported_at = fields.DateTime("Exported At", readonly=True)
    progress = fields.Float("Progress", readonly=True, digits=(1, 2),
        help="Share of the batch's orders shipped so far (a large batch "
        "is shipped in the background).")
    state = fields.Selection([
            ('draft', "Draft"),
            ('shipping', "Shipping"),
            ('shipped', "Shipped"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'shipping'),
            ('shipping', 'shipped'),
            ('draft', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'gather': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                'ship': {
                    'invisible': ~Eval('state').in_(['draft', 'shipping']),
                    'readonly': ~Eval('orders', []),
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'download': {
                    'invisible': Eval('state') != 'shipped',
                    'icon': 'tryton-save',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def get_totals(cls, batches, names):
        result = {n: {} for n in names}
        for batch in batches:
            if 'order_count' in names:
                result['order_count'][batch.id] = len(batch.orders)
            if 'cod_total' in names:
                result['cod_total'][batch.id] = sum(
                    (s.cod_amount or 0 for s in batch.orders), 0)
        return result

    @classmethod
    def preprocess_values(cls, mode, values):
        # After the client guard: the number is the server's to give.
        pool = Pool()
        Sequence = pool.get('ir.sequence')
        ModelData = pool.get('ir.model.data')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('number'):
            values['number'] = Sequence(ModelData.get_id(
                    'tv_logistics', 'sequence_shipping_batch')).get()
        return values

    @classmethod
    def copy(cls, batches, default=None):
        default = default.copy() if default is not None else {}
        for name in ['number', 'orders', 'file', 'file_id', 'filename',
                'exported_by', 'exported_at', 'progress']:
            default.setdefault(name, None)
        return super().copy(batches, default=default)

    @classmethod
    def delete(cls, batches):
        for batch in batches:
            if batch.state in {'shipping', 'shipped'}:
                raise ShippingError(gettext(
                        'tv_logistics.msg_batch_delete_shipped',
                        batch=batch.rec_name))
        super().delete(batches)

    @classmethod
    def ready_orders(cls, batch):
        "Approved orders not yet in a batch, for this courier or none"
        Sale = Pool().get('sale.sale')
        return Sale.search([
                ('company', '=', batch.company.id),
                ('state', 'in', ['confirmed', 'processing']),
                ('shipping_batch', '=', None),
                ('delivery_status', '=', None),
                ('carrier', 'in', [None, batch.carrier.id]),
                ], order=[('sale_date', 'ASC'), ('id', 'ASC')])

    @classmethod
    @ModelView.button
    def gather(cls, batches):
        "Add every approved order waiting to be shipped by the courier"
        Sale = Pool().get('sale.sale')
        for batch in batches:
            sales = cls.ready_orders(batch)
            if sales:
                Sale.write(sales, {'shipping_batch': batch.id,
                        'carrier': batch.carrier.id})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, batches):
        Sale = Pool().get('sale.sale')
        Sale.write([s for b in batches for s in b.orders],
            {'shipping_batch': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, batches):
        pass

    @classmethod
    @ModelView.button_action('tv_logistics.wizard_shipping_export')
    def ship(cls, batches):
        pass

    @classmethod
    @ModelView.button_action('tv_logistics.wizard_shipping_export')
    def download(cls, batches):
        pass

    @classmethod
    def check_orders(cls, batches):
        for batch in batches:
            for sale in batch.orders:
                if sale.state not in {'confirmed', 'processing'}:
                    raise ShippingError(gettext(
                            'tv_logistics.msg_batch_order_state',
                            order=sale.rec_name, batch=batch.rec_name))
                if sale.carrier and sale.carrier != batch.carrier:
                    raise ShippingError(gettext(
                            'tv_logistics.msg_batch_order_carrier',
                            order=sale.rec_name,
                            courier=sale.carrier.rec_name,
                            batch=batch.rec_name))
                address = sale.shipment_address
                if not address or not address.street:
                    raise ShippingError(gettext(
                            'tv_logistics.msg_batch_order_address',
                            order=sale.rec_name))

    @classmethod
    @Workflow.transition('shipping')
    def do_ship(cls, batches):
        """Ship the orders (stock shipments done, orders shipped), at once
        for a small batch, in background chunks for a large one; once all
        are shipped the batch keeps its pick-up list. A batch ships once."""
        cls.check_orders(batches)
        now = dt.datetime.now()
        for batch in batches:
            batch.exported_by = Transaction().user
            batch.exported_at = now
            batch.progress = 0.0
        cls.save(batches)
        cls.start_chunks(batches, 'ship_pending', 'shipping',
            lambda b: len(b.orders), SHIP_CHUNK)

    def ship_pending(self, limit=None):
        """Ship the batch's orders not yet shipped (all, or the next limit
        ones); the last chunk writes the pick-up list and the batch is
        shipped. Return whether orders remain"""
        pool = Pool()
        Sale = pool.get('sale.sale')
        Tracking = pool.get('sale.tracking')
        Configuration = pool.get('sale.configuration')
        pending = [('shipping_batch', '=', self.id),
            ('delivery_status', '=', None)]
        sales = Sale.search(pending, order=[('id', 'ASC')], limit=limit)
        if sales:
            self.ship_stock(sales)
            Sale.write(sales, {'carrier': self.carrier.id,
                    'delivery_status': 'shipped',
                    'shipped_date': self.date,
                    'delivery_status_date': self.date})
            Tracking.create([{'sale': s.id,
                        'tracking_number': s.tracking_number or '',
                        'date': self.date, 'status': 'shipped',
                        'note': self.number} for s in sales
                    if s.tracking_number])
        remaining = Sale.search_count(pending)
        total = Sale.search_count([('shipping_batch', '=', self.id)])
        self.progress = (round((total - remaining) / total, 2)
            if total else 1.0)
        if not remaining:
            headers, rows = pickup_list(self.carrier, list(self.orders),
                Configuration(1))
            self.file = sheets.write_xlsx([(self.carrier.rec_name,
                        headers, rows)])
            self.filename = f'{self.number}-{self.carrier.code or ""}' \
                '.xlsx'
            self.state = 'shipped'
        self.save()
        return bool(remaining)

    @classmethod
    def ship_stock(cls, sales):
        "The goods of these orders leave the warehouse"
        pool = Pool()
        Shipment = pool.get('stock.shipment.out')
        shipments = [s for sale in sales for s in sale.shipments
            if s.state not in {'done', 'cancelled'}]
        waiting = [s for s in shipments if s.state in {'draft', 'waiting'}]
        if waiting:
            Shipment.wait([s for s in waiting if s.state == 'draft'])
            Shipment.assign_force(waiting)
        Shipment.pick([s for s in shipments if s.state == 'assigned']
            or [])
        Shipment.pack([s for s in shipments if s.state in {
                    'assigned', 'picked'}] or [])
        Shipment.do(shipments)


class ShippingExport(FileWizard):
    "Ship a batch (the first time) and download its pick-up list"
    __name__ = 'tv.shipping.export'

    def transition_make(self):
        if self.record.state == 'draft':
            self.model.do_ship([self.record])
        elif self.record.state == 'shipping':
            # Resume a batch whose background shipping stopped (a failed
            # chunk): the orders already shipped are not shipped again.
            self.model.__queue__.run_chunk([self.record], 'ship_pending',
                'shipping', SHIP_CHUNK)
        return 'result'

    def make_file(self):
        batch = self.model(self.record.id)
        if batch.state == 'shipping':
            return None, None, gettext(
                'tv_logistics.msg_batch_shipping', batch=batch.rec_name,
                count=batch.order_count,
                progress=f'{(batch.progress or 0):.0%}')
        return batch.file, batch.filename, gettext(
            'tv_logistics.msg_batch_summary', batch=batch.rec_name,
            count=batch.order_count, amount=batch.cod_total)
