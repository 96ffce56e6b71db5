# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Cash-on-delivery settlement (财务结算).

The courier collects the money at the door and remits it with a statement:
one row per parcel (tracking number, order number, amount). Finance imports
the statement, each row is matched to a delivered order and compared with
what the courier should have collected; confirming the settlement marks the
matched orders settled. The differences (short paid, over paid, unmatched,
not delivered, already settled) stay listed for finance to chase.
"""
from decimal import Decimal

from sql import Null
from sql.aggregate import Min

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.modules.tv_callcenter.guard import ClientGuardMixin

from tvcc import sheets

from .background import ChunkedWork
from .download import FileWizard
from .exceptions import SettlementError
from .tracking import COLUMNS as TRACKING_COLUMNS
from .tracking import (
    CHUNK, find_orders, in_batches, insert_rows, read_parcel_file,
    unreadable_number)

COLUMNS = {
    'tracking_number': TRACKING_COLUMNS['tracking_number'],
    'order_number': TRACKING_COLUMNS['order_number'],
    'amount': ['代收货款', '代收金额', '回款金额', '实收金额', '结算金额', '金额',
        'amount', 'codamount'],
    'currency': ['币种', '货币', 'currency'],
    'courier': TRACKING_COLUMNS['courier'],
    }

_draft = {'readonly': Eval('state') != 'draft'}

RESULTS = [
    ('matched', "Matched"),
    ('short', "Short paid"),
    ('over', "Over paid"),
    ('unmatched', "Unknown parcel"),
    ('not_delivered', "Not delivered"),
    ('not_cod', "Not cash on delivery"),
    ('settled', "Already settled"),
    ('duplicate', "Duplicated row"),
    ('wrong_carrier', "Other courier"),
    ('invalid', "Invalid row"),
    ]
# Rows whose money is booked on the order when the settlement is confirmed.
BOOKED = {'matched', 'short', 'over'}


class Settlement(ClientGuardMixin, ChunkedWork, Workflow, ModelSQL, ModelView):
    "A courier's cash-on-delivery remittance statement"
    __name__ = 'tv.settlement'
    __string__ = "COD Settlement"

    carrier = fields.Many2One('carrier', "Courier", required=True,
        states=_draft, ondelete='RESTRICT')
    company = fields.Many2One('company.company', "Company", required=True,
        states=_draft)
    currency = fields.Many2One('currency.currency', "Currency",
        required=True, states=_draft,
        help="The currency of the statement: it must be the company's.")
    date = fields.Date("Statement Date", required=True, states=_draft)
    reference = fields.Char("Statement Reference", states=_draft)
    file = fields.Binary("Statement File", filename='filename',
        states=_draft, file_id='file_id')
    file_id = fields.Char("File ID", readonly=True)
    filename = fields.Char("File Name", states=_draft)
    lines = fields.One2Many('tv.settlement.line', 'settlement', "Rows",
        readonly=True)
    total = fields.Numeric("Remitted", digits=(16, 2), readonly=True)
    expected = fields.Numeric("Expected", digits=(16, 2), readonly=True)
    difference = fields.Numeric("Difference", digits=(16, 2),
        readonly=True)
    problems = fields.Integer("Differences", readonly=True)
    row_count = fields.Integer("Rows", readonly=True)
    progress = fields.Float("Progress", readonly=True, digits=(1, 2),
        help="Share of the statement's rows matched so far (a large "
        "statement is matched in the background).")
    state = fields.Selection([
            ('draft', "Draft"),
            ('importing', "Importing"),
            ('imported', "Imported"),
            ('confirmed', "Confirmed"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    confirmed_by = fields.Many2One('res.user', "Confirmed By",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'importing'),
            ('importing', 'imported'),
            ('importing', 'draft'),
            ('imported', 'draft'),
            ('imported', 'confirmed'),
            ('draft', 'cancelled'),
            ('imported', 'cancelled'),
            }
        cls._buttons.update({
                'import_statement': {
                    'invisible': Eval('state') != 'draft',
                    'readonly': ~Eval('file'),
                    'icon': 'tryton-import',
                    'depends': ['state', 'file'],
                    },
                'draft': {
                    'invisible': ~Eval('state').in_(
                        ['importing', 'imported']),
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'confirm': {
                    'invisible': Eval('state') != 'imported',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'imported']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'export_report': {
                    'invisible': ~Eval('state').in_(
                        ['imported', 'confirmed', 'cancelled']),
                    'icon': 'tryton-save',
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
    def default_currency(cls):
        Company = Pool().get('company.company')
        company = Transaction().context.get('company')
        if company:
            return Company(company).currency.id

    def get_rec_name(self, name):
        return f'{self.carrier.rec_name} {self.date}' + (
            f' {self.reference}' if self.reference else '')

    @classmethod
    def copy(cls, settlements, default=None):
        default = default.copy() if default is not None else {}
        for name in ['lines', 'total', 'expected', 'difference', 'problems',
                'row_count', 'progress', 'confirmed_by']:
            default.setdefault(name, None)
        return super().copy(settlements, default=default)

    @classmethod
    def delete(cls, settlements):
        for settlement in settlements:
            if settlement.state == 'confirmed':
                raise SettlementError(gettext(
                        'tv_logistics.msg_settlement_delete_confirmed',
                        settlement=settlement.rec_name))
        super().delete(settlements)

    @classmethod
    @ModelView.button
    @Workflow.transition('importing')
    def import_statement(cls, settlements):
        """Read each statement (refused whole if it cannot be read, or is in
        another currency or for another courier), then match its rows: at
        once for a small statement, in background chunks for a large one"""
        Line = Pool().get('tv.settlement.line')
        for settlement in settlements:
            rows = settlement.read_rows()
            insert_rows(Line, [{**row, 'settlement': settlement.id}
                    for row in rows])
            settlement.row_count = len(rows)
            settlement.progress = 0.0
        cls.save(settlements)
        cls.start_chunks(settlements, 'match_pending', 'importing',
            lambda s: s.row_count, CHUNK)

    def match_pending(self, limit=None):
        """Match the rows not yet matched (all, or the next limit ones);
        once none remain, sum up and the statement is imported. Return
        whether rows remain"""
        Line = Pool().get('tv.settlement.line')
        pending = Line.search([
                ('settlement', '=', self.id), ('result', '=', None)],
            limit=limit)
        if pending:
            # The first row paying an order, among those already matched
            # (one query: a large statement has many matched rows).
            line = Line.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*line.select(line.sale, Min(line.row),
                    where=(line.settlement == self.id)
                    & (line.result != Null) & (line.sale != Null),
                    group_by=[line.sale]))
            seen = dict(cursor)
            rows = [{'row': l.row, 'tracking_number': l.tracking_number,
                    'order_number': l.order_number, 'amount': l.amount,
                    'raw_amount': l.raw_amount} for l in pending]
            to_write = []
            for line, values in zip(pending, match_rows(self, rows, seen)):
                to_write.extend([[line], {k: values[k] for k in [
                                'sale', 'expected', 'difference', 'result',
                                'message']}])
            with without_check_access():
                Line.write(*to_write)
        remaining = Line.search_count([
                ('settlement', '=', self.id), ('result', '=', None)])
        done = (self.row_count or 0) - remaining
        self.progress = (round(done / self.row_count, 2)
            if self.row_count else 1.0)
        if not remaining:
            self.summarize([self])
            self.state = 'imported'
        self.save()
        return bool(remaining)

    @classmethod
    def summarize(cls, settlements):
        Line = Pool().get('tv.settlement.line')
        for settlement in settlements:
            lines = list(in_batches(Line,
                    [('settlement', '=', settlement.id)]))
            settlement.total = sum((l.amount or 0 for l in lines
                    if l.result != 'duplicate'), Decimal(0))
            settlement.expected = sum((l.expected or 0 for l in lines
                    if l.result in BOOKED), Decimal(0))
            settlement.difference = settlement.total - settlement.expected
            settlement.problems = len([l for l in lines
                    if l.result != 'matched'])
        cls.save(settlements)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, settlements):
        Line = Pool().get('tv.settlement.line')
        Line.delete([l for s in settlements for l in s.lines])
        cls.write(list(settlements), {'total': None, 'expected': None,
                'difference': None, 'problems': None, 'row_count': None,
                'progress': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, settlements):
        """Book what the courier remitted on each matched order (short and
        over paid too: the difference stays listed for finance)"""
        pool = Pool()
        Sale = pool.get('sale.sale')
        Line = pool.get('tv.settlement.line')
        to_write = []
        for settlement in settlements:
            lines = list(in_batches(Line, [
                        ('settlement', '=', settlement.id),
                        ('result', 'in', list(BOOKED))]))
            sales = [l.sale for l in lines]
            # A row matched on import may have been settled since.
            for line in lines:
                if line.sale.settlement_line:
                    raise SettlementError(gettext(
                            'tv_logistics.msg_settlement_already',
                            order=line.sale.rec_name,
                            settlement=line.sale.settlement_line
                            .settlement.rec_name))
            for line, sale in zip(lines, sales):
                to_write.extend([[sale], {'settlement_line': line.id,
                            'settled_amount': line.amount,
                            'settled_date': settlement.date}])
        if to_write:
            Sale.write(*to_write)
        cls.write(list(settlements), {'confirmed_by': Transaction().user})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, settlements):
        pass

    @classmethod
    @ModelView.button_action('tv_logistics.wizard_settlement_report')
    def export_report(cls, settlements):
        pass

    def read_rows(self):
        "The statement's rows; the whole file is refused when unusable"
        company_currency = self.company.currency
        if self.currency != company_currency:
            raise SettlementError(gettext(
                    'tv_logistics.msg_settlement_currency',
                    currency=self.currency.code,
                    expected=company_currency.code))
        body, cell = read_parcel_file(self.file, self.filename, COLUMNS,
            ['amount'])
        codes = {c for c in [self.carrier.code, self.carrier.party.name,
                self.carrier.rec_name] if c}
        codes = {sheets.normalize_header(c) for c in codes}
        rows = []
        for number, cells in body:
            currency = sheets.identifier(cell(cells, 'currency'))
            if currency and currency.upper() not in {
                    company_currency.code, 'RMB', '人民币', '元'}:
                raise SettlementError(gettext(
                        'tv_logistics.msg_settlement_row_currency',
                        row=number, currency=currency,
                        expected=company_currency.code))
            courier = sheets.cell_text(cell(cells, 'courier'))
            if courier and sheets.normalize_header(courier) not in codes:
                raise SettlementError(gettext(
                        'tv_logistics.msg_settlement_row_courier',
                        row=number, courier=courier,
                        expected=self.carrier.rec_name))
            raw_amount = cell(cells, 'amount')
            row = {'row': number,
                'tracking_number': sheets.identifier(
                    cell(cells, 'tracking_number')) or None,
                'order_number': sheets.identifier(
                    cell(cells, 'order_number')) or None,
                'amount': sheets.parse_amount(raw_amount),
                'raw_amount': sheets.cell_text(raw_amount)}
            unreadable = unreadable_number(cells, cell)
            if unreadable:
                row.update(result='invalid', message=unreadable)
            rows.append(row)
        return rows

    def report_rows(self):
        "(headers, rows) of the matching, in the user's language"
        Line = Pool().get('tv.settlement.line')
        names = ['row', 'tracking_number', 'order_number', 'sale', 'amount',
            'expected', 'difference', 'result', 'message']
        fields_ = Line.fields_get(names)
        results = dict(fields_['result']['selection'])
        rows = [[l.row, l.tracking_number, l.order_number,
                l.sale.number if l.sale else None, l.amount, l.expected,
                l.difference, results.get(l.result, ''), l.message]
            for l in in_batches(Line, [('settlement', '=', self.id)])]
        return [fields_[n]['string'] for n in names], rows


class SettlementLine(ClientGuardMixin, ModelSQL, ModelView):
    "One row of a remittance statement and what it matched"
    __name__ = 'tv.settlement.line'
    __string__ = "COD Settlement Row"

    settlement = fields.Many2One('tv.settlement', "Settlement",
        required=True, ondelete='CASCADE')
    row = fields.Integer("Row", readonly=True)
    tracking_number = fields.Char("Tracking Number", readonly=True)
    order_number = fields.Char("Order Number", readonly=True)
    amount = fields.Numeric("Remitted", digits=(16, 2), readonly=True)
    raw_amount = fields.Char("Amount in the File", readonly=True)
    sale = fields.Many2One('sale.sale', "Order", readonly=True,
        ondelete='SET NULL')
    expected = fields.Numeric("Expected", digits=(16, 2), readonly=True)
    difference = fields.Numeric("Difference", digits=(16, 2),
        readonly=True)
    result = fields.Selection(RESULTS, "Result", readonly=True, sort=False)
    message = fields.Char("Message", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('row', 'ASC'), ('id', 'ASC')]


def match_rows(settlement, rows, seen=None):
    """Each statement row with the order it pays and how it compares;
    seen: {order id: row} of the rows matched before these"""
    by_tracking, by_number = find_orders(
        {r['tracking_number'] for r in rows},
        {r['order_number'] for r in rows})
    seen = dict(seen or {})
    matched = []
    for row in rows:
        raw_amount = row['raw_amount']
        number = row['tracking_number'] or row['order_number']
        sale = by_tracking.get(row['tracking_number']) \
            or by_number.get(row['order_number'])
        result, message, expected = None, None, None
        if not number:
            result, message = 'invalid', gettext(
                'tv_logistics.msg_row_no_number')
        elif row['amount'] is None:
            result, message = 'invalid', gettext(
                'tv_logistics.msg_row_amount', amount=raw_amount or '-')
        elif sale is None:
            result, message = 'unmatched', gettext(
                'tv_logistics.msg_row_unknown', number=number)
        elif sale.id in seen:
            result, message = 'duplicate', gettext(
                'tv_logistics.msg_row_duplicate', row=seen[sale.id])
        elif sale.carrier and sale.carrier != settlement.carrier:
            result, message = 'wrong_carrier', gettext(
                'tv_logistics.msg_row_other_courier', order=sale.rec_name,
                courier=sale.carrier.rec_name)
        elif sale.payment_method != 'cod':
            result, message = 'not_cod', gettext(
                'tv_logistics.msg_row_not_cod', order=sale.rec_name)
        elif sale.settlement_line:
            result, message = 'settled', gettext(
                'tv_logistics.msg_settlement_already', order=sale.rec_name,
                settlement=sale.settlement_line.settlement.rec_name)
        elif sale.delivery_status != 'delivered':
            result, message = 'not_delivered', gettext(
                'tv_logistics.msg_row_not_delivered', order=sale.rec_name)
        else:
            expected = sale.cod_amount
            if row['amount'] == expected:
                result = 'matched'
            elif row['amount'] < expected:
                result, message = 'short', gettext(
                    'tv_logistics.msg_row_short', order=sale.rec_name,
                    amount=row['amount'], expected=expected)
            else:
                result, message = 'over', gettext(
                    'tv_logistics.msg_row_over', order=sale.rec_name,
                    amount=row['amount'], expected=expected)
        if sale is not None and sale.id not in seen:
            seen[sale.id] = row['row']
        difference = (row['amount'] - expected
            if expected is not None and row['amount'] is not None else None)
        matched.append({**row, 'sale': sale.id if sale else None,
                'expected': expected, 'difference': difference,
                'result': result, 'message': message})
    return matched


class SettlementReport(FileWizard):
    "Download a settlement's matching and its differences"
    __name__ = 'tv.settlement.report'

    def make_file(self):
        settlement = self.record
        headers, rows = settlement.report_rows()
        summary = gettext('tv_logistics.msg_settlement_summary',
            total=settlement.total or 0, expected=settlement.expected or 0,
            difference=settlement.difference or 0,
            problems=settlement.problems or 0)
        name = f'settlement-{settlement.carrier.code or ""}-' \
            f'{settlement.date}.xlsx'
        return (sheets.write_xlsx([(settlement.carrier.rec_name, headers,
                        rows)]), name, summary)
