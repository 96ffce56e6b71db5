# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Tracking-status import (物流状态导入).

The courier (or its portal) hands back a sheet: order or tracking number,
status, date. Every row is checked; valid rows apply, the others are
reported with the reason, row by row; the file as a whole is refused only
when it cannot be read (wrong columns, not a table). Importing the same file
again changes nothing: a status already recorded is reported as unchanged.
"""
import datetime as dt

from sql import Null
from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from trytond.modules.tv_callcenter.tools import forget_cached
from trytond.modules.tv_callcenter.guard import ClientGuardMixin

from tvcc import sheets

from .background import ChunkedWork
from .download import FileWizard
from .exceptions import ImportFileError
from .sale import TRACKING_STATUSES

RESULTS = [
    ('applied', "Applied"),
    ('unchanged', "Already recorded"),
    ('unknown', "Unknown parcel"),
    ('invalid', "Invalid row"),
    ('duplicate', "Duplicated row"),
    ]


class TrackingImport(ClientGuardMixin, ChunkedWork, Workflow, ModelSQL, ModelView):
    "A courier's tracking-status file and what importing it did"
    __name__ = 'tv.tracking.import'
    __string__ = "Tracking Import"

    carrier = fields.Many2One('carrier', "Courier",
        states={'readonly': Eval('state') != 'draft'},
        help="Leave empty when the file mixes couriers.")
    file = fields.Binary("File", filename='filename', file_id='file_id',
        required=True, states={'readonly': Eval('state') != 'draft'})
    file_id = fields.Char("File ID", readonly=True)
    filename = fields.Char("File Name",
        states={'readonly': Eval('state') != 'draft'})
    lines = fields.One2Many('tv.tracking.import.line', 'import_', "Rows",
        readonly=True)
    total = fields.Integer("Rows", readonly=True)
    applied = fields.Integer("Applied", readonly=True)
    unchanged = fields.Integer("Unchanged", readonly=True)
    rejected = fields.Integer("Rejected", readonly=True)
    progress = fields.Float("Progress", readonly=True, digits=(1, 2))
    state = fields.Selection([
            ('draft', "Draft"),
            ('processing', "Processing"),
            ('done', "Done"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {('draft', 'processing'), ('processing', 'done')}
        cls._buttons.update({
                'process': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-launch',
                    'depends': ['state'],
                    },
                'export_report': {
                    'invisible': Eval('state') == 'draft',
                    'icon': 'tryton-save',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_progress(cls):
        return 0.0

    def get_rec_name(self, name):
        return self.filename or str(self.id)

    @classmethod
    def copy(cls, imports, default=None):
        default = default.copy() if default is not None else {}
        for name in ['lines', 'total', 'applied', 'unchanged', 'rejected',
                'progress']:
            default.setdefault(name, None)
        return super().copy(imports, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('processing')
    def process(cls, imports):
        """Read each file (refused whole if it cannot be read), then apply
        its rows: at once for a small file, in background chunks for a
        large one"""
        Line = Pool().get('tv.tracking.import.line')
        for import_ in imports:
            rows = import_.read_rows()
            insert_rows(Line, [{**row, 'import_': import_.id}
                    for row in rows])
            import_.total = len(rows)
            import_.applied = import_.unchanged = import_.rejected = 0
            import_.progress = 0.0
        cls.save(imports)
        cls.start_chunks(imports, 'apply_pending', 'processing',
            lambda i: i.total, CHUNK)

    @classmethod
    @ModelView.button_action('tv_logistics.wizard_tracking_import_report')
    def export_report(cls, imports):
        pass

    def read_rows(self):
        "The file's rows as import line values; the checks of a single row"
        body, cell = read_parcel_file(self.file, self.filename, COLUMNS,
            ['status', 'date'])
        rows, seen = [], {}
        for number, cells in body:
            tracking = sheets.identifier(cell(cells, 'tracking_number'))
            order = sheets.identifier(cell(cells, 'order_number'))
            raw_status = sheets.cell_text(cell(cells, 'status'))
            raw_date = cell(cells, 'date')
            status = parse_status(raw_status)
            date = sheets.parse_date(raw_date)
            row = {'row': number, 'tracking_number': tracking or None,
                'order_number': order or None, 'status': status,
                'date': date, 'note': sheets.cell_text(cell(cells, 'note'))
                or None, 'courier': sheets.cell_text(cell(cells, 'courier'))
                or None}
            message = unreadable_number(cells, cell)
            if message:
                # Reported as is: a mangled number matches on a guess.
                pass
            elif not tracking and not order:
                message = gettext('tv_logistics.msg_row_no_number')
            elif not status:
                message = gettext('tv_logistics.msg_row_status',
                    status=raw_status or '-',
                    allowed='、'.join(w[0] for w in STATUS_WORDS.values()))
            elif not date:
                message = gettext('tv_logistics.msg_row_date',
                    date=sheets.cell_text(raw_date) or '-')
            if message:
                row.update(result='invalid', message=message)
            else:
                key = (tracking or order, status, date)
                if key in seen:
                    row.update(result='duplicate', message=gettext(
                            'tv_logistics.msg_row_duplicate',
                            row=seen[key]))
                else:
                    seen[key] = number
            rows.append(row)
        return rows

    def apply_pending(self, limit=None):
        """Apply the rows not yet applied (all, or the next limit ones);
        return whether rows remain"""
        pool = Pool()
        Line = pool.get('tv.tracking.import.line')
        lines = pending_rows(self, limit)
        if lines:
            apply_rows(self, lines)
        remaining = Line.search_count([
                ('import_', '=', self.id), ('result', '=', None)])
        self.count_results()
        if not remaining:
            self.state = 'done'
        self.save()
        return bool(remaining)

    def count_results(self):
        pool = Pool()
        Line = pool.get('tv.tracking.import.line')
        line = Line.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*line.select(line.result, Count(line.id),
                where=line.import_ == self.id, group_by=[line.result]))
        counts = dict(cursor)
        self.applied = counts.get('applied', 0)
        self.unchanged = counts.get('unchanged', 0)
        self.rejected = sum(counts.get(r, 0)
            for r in ['invalid', 'unknown', 'duplicate'])
        done = sum(n for r, n in counts.items() if r)
        self.progress = round(done / self.total, 2) if self.total else 1.0

    def report_rows(self):
        "(headers, rows) of the per-row report, in the user's language"
        Line = Pool().get('tv.tracking.import.line')
        names = ['row', 'tracking_number', 'order_number', 'status', 'date',
            'result', 'message']
        fields_ = Line.fields_get(names)
        results = dict(fields_['result']['selection'])
        statuses = dict(fields_['status']['selection'])
        rows = [[l.row, l.tracking_number, l.order_number,
                statuses.get(l.status, ''), l.date, results.get(l.result, ''),
                l.message] for l in in_batches(Line, [
                    ('import_', '=', self.id)])]
        return [fields_[n]['string'] for n in names], rows


class TrackingImportLine(ClientGuardMixin, ModelSQL, ModelView):
    "One row of a tracking import and its result"
    __name__ = 'tv.tracking.import.line'
    __string__ = "Tracking Import Row"

    import_ = fields.Many2One('tv.tracking.import', "Import", required=True,
        ondelete='CASCADE')
    row = fields.Integer("Row", readonly=True)
    tracking_number = fields.Char("Tracking Number", readonly=True)
    order_number = fields.Char("Order Number", readonly=True)
    status = fields.Selection([(None, '')] + TRACKING_STATUSES, "Status",
        readonly=True)
    date = fields.Date("Date", readonly=True)
    note = fields.Char("Note", readonly=True)
    courier = fields.Char("Courier", readonly=True)
    sale = fields.Many2One('sale.sale', "Order", readonly=True,
        ondelete='SET NULL')
    result = fields.Selection([(None, "Pending")] + RESULTS, "Result",
        readonly=True, sort=False)
    message = fields.Char("Message", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('row', 'ASC'), ('id', 'ASC')]
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.import_, Index.Equality()),
                (t.row, Index.Range())))


# Headers a courier's file may use for each column (compared without
# spaces or case, see tvcc.sheets.normalize_header).
COLUMNS = {
    'tracking_number': ['运单号', '快递单号', '物流单号', '运单编号', '面单号',
        'trackingnumber', 'waybill', 'waybillno'],
    'order_number': ['订单号', '订单编号', '用户订单号', '商家订单号', '物流订单号',
        'ordernumber', 'order'],
    'status': ['状态', '物流状态', '快递状态', '签收状态', 'status'],
    'date': ['日期', '时间', '状态日期', '状态时间', '签收时间', '更新时间', 'date'],
    'note': ['备注', '说明', 'note', 'remark'],
    'courier': ['快递公司', '承运商', '快递', 'courier', 'carrier'],
    }
STATUS_WORDS = {
    'shipped': ['已发货', '发货', 'shipped'],
    'picked_up': ['已揽收', '揽收', '已揽件', '揽件', 'pickedup', 'picked_up'],
    'in_transit': ['运输中', '在途', '派送中', '派件中', 'intransit',
        'in_transit'],
    'delivered': ['已签收', '签收', '妥投', '已妥投', 'delivered', 'signed'],
    'refused': ['拒收', '已拒收', '客户拒收', 'refused'],
    'returned': ['退回', '已退回', '退件', '已退件', 'returned'],
    'lost': ['丢失', '遗失', '丢件', 'lost'],
    }
_STATUS = {word: status for status, words in STATUS_WORDS.items()
    for word in words}
# Rows applied per transaction when a large file runs as a background task.
CHUNK = 5000
# Records handled per ORM call (browsing n records costs n² in Tryton).
BATCH = 500


def map_columns(headers, columns):
    "{name: index} of the columns found; columns maps names to aliases"
    found = {}
    for index, header in enumerate(headers):
        for name, aliases in columns.items():
            if name not in found and header in {
                    sheets.normalize_header(a) for a in aliases}:
                found[name] = index
    return found


def read_parcel_file(data, filename, columns, required):
    """(rows, cell) of a courier's file naming parcels: rows are (row
    number, cells), cell(cells, name) the cell of a column of columns (None
    when absent). The file is refused whole when it cannot be read, or
    lacks a required column or both a tracking and an order number."""
    try:
        headers, body = sheets.read_table(data, filename,
            known=[a for aliases in columns.values() for a in aliases])
    except sheets.SheetLimitError as error:
        raise ImportFileError(gettext(
                'tv_logistics.msg_import_limit',
                file=filename or '', reason=error.reason)) from None
    except sheets.SheetError:
        raise ImportFileError(gettext(
                'tv_logistics.msg_import_unreadable',
                file=filename or '')) from None
    found = map_columns(headers, columns)
    missing = [name for name in required if name not in found]
    if not ({'tracking_number', 'order_number'} & set(found)):
        missing.insert(0, 'tracking_number')
    if missing:
        raise ImportFileError(gettext(
                'tv_logistics.msg_import_columns',
                file=filename or '',
                missing=', '.join(columns[m][0] for m in missing),
                found=', '.join(h for h in headers if h) or '-'))

    def cell(cells, name):
        index = found.get(name)
        if index is None or index >= len(cells):
            return None
        return cells[index]
    return body, cell


def unreadable_number(cells, cell):
    """The row's message when its tracking or order number cannot be
    trusted (Excel mangled it, see tvcc.sheets.identifier_error), or None:
    such a row is reported, never matched on a guess"""
    reason = (sheets.identifier_error(cell(cells, 'tracking_number'))
        or sheets.identifier_error(cell(cells, 'order_number')))
    if reason:
        return gettext('tv_logistics.msg_row_number_unreadable',
            reason=reason)
    return None


def parse_status(value):
    return _STATUS.get(sheets.normalize_header(value))


def in_batches(Model, domain, size=BATCH):
    "The records of domain in their order, browsed BATCH at a time"
    offset = 0
    while True:
        records = Model.search(domain, offset=offset, limit=size)
        yield from records
        if len(records) < size:
            return
        offset += size


def find_orders(tracking_numbers, order_numbers):
    "({tracking number: sale}, {order number: sale}) in batches"
    Sale = Pool().get('sale.sale')
    by_tracking, by_number = {}, {}
    for field, values, found in [
            ('tracking_number', tracking_numbers, by_tracking),
            ('number', order_numbers, by_number)]:
        values = sorted(v for v in values if v)
        for start in range(0, len(values), 1000):
            for sale in Sale.search([
                        (field, 'in', values[start:start + 1000])]):
                found[getattr(sale, field)] = sale
    return by_tracking, by_number


class _Parcel:
    "What applying a status needs to know of an order (read in bulk)"
    __slots__ = ('id', 'number', 'tracking_number', 'shipped', 'carrier',
        'status_date')

    def __init__(self, row):
        (self.id, self.number, self.tracking_number, self.shipped,
            self.carrier, self.status_date) = row
        if isinstance(self.status_date, str):     # SQLite
            self.status_date = dt.date.fromisoformat(self.status_date)


class _Row:
    "A row of a tracking import waiting to be applied (read in bulk)"
    __slots__ = ('id', 'row', 'tracking_number', 'order_number', 'status',
        'date', 'note', 'result', 'message')

    def __init__(self, values):
        for name, value in zip(self.__slots__, values):
            setattr(self, name, value)
        if isinstance(self.date, str):     # SQLite
            self.date = dt.date.fromisoformat(self.date)


def pending_rows(import_, limit=None):
    "The next rows of import_ not yet applied, in file order"
    Line = Pool().get('tv.tracking.import.line')
    table = Line.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(
            *[getattr(table, name) for name in _Row.__slots__],
            where=(table.import_ == import_.id) & (table.result == Null),
            order_by=[table.row.asc, table.id.asc], limit=limit))
    return [_Row(values) for values in cursor]


def load_parcels(tracking_numbers, order_numbers):
    "({tracking number: parcel}, {order number: parcel}) of the orders"
    pool = Pool()
    sale = pool.get('sale.sale').__table__()
    batch = pool.get('tv.shipping.batch').__table__()
    cursor = Transaction().connection.cursor()
    by_tracking, by_number = {}, {}
    for key, values, found in [
            ('tracking_number', tracking_numbers, by_tracking),
            ('number', order_numbers, by_number)]:
        column = getattr(sale, key)
        values = sorted(v for v in values if v)
        for start in range(0, len(values), 1000):
            cursor.execute(*sale.join(batch, 'LEFT',
                    condition=sale.shipping_batch == batch.id).select(
                    sale.id, sale.number, sale.tracking_number,
                    batch.state == 'shipped', sale.carrier,
                    sale.delivery_status_date,
                    where=column.in_(values[start:start + 1000])))
            for row in cursor:
                parcel = _Parcel(row)
                found[getattr(parcel, key)] = parcel
    return by_tracking, by_number


def recorded_statuses(sale_ids):
    "{(sale, status, date)} already recorded for these orders"
    Tracking = Pool().get('sale.tracking')
    table = Tracking.__table__()
    cursor = Transaction().connection.cursor()
    recorded = set()
    sale_ids = sorted(sale_ids)
    for start in range(0, len(sale_ids), 1000):
        cursor.execute(*table.select(table.sale, table.status, table.date,
                where=table.sale.in_(sale_ids[start:start + 1000])))
        recorded.update((s, st, d if isinstance(d, dt.date)
                else dt.date.fromisoformat(d)) for s, st, d in cursor)
    return recorded


def apply_rows(import_, lines):
    """Apply these rows of a tracking import: record each status on its
    order, assign tracking numbers, open the return of refused parcels;
    every row gets its result and, when not applied, the reason"""
    pool = Pool()
    Sale = pool.get('sale.sale')
    Carrier = pool.get('carrier')
    Line = pool.get('tv.tracking.import.line')
    today = pool.get('ir.date').today()
    by_tracking, by_number = load_parcels(
        {l.tracking_number for l in lines if l.result is None},
        {l.order_number for l in lines if l.result is None})
    parcels = {p.id: p for p in list(by_tracking.values())
        + list(by_number.values())}
    recorded = recorded_statuses(parcels)
    carrier = import_.carrier
    assigned = {}       # sale id -> tracking number
    latest = {}         # sale id -> (date, row, status) it shows
    new_trackings, results = [], []
    for line in lines:
        if line.result is not None:
            results.append((line.id, line.result, line.message, None))
            continue
        parcel = by_tracking.get(line.tracking_number) \
            or by_number.get(line.order_number)
        result, message = 'applied', None
        if parcel is None:
            result, message = 'unknown', gettext(
                'tv_logistics.msg_row_unknown',
                number=line.tracking_number or line.order_number)
        elif not parcel.shipped:
            result, message = 'invalid', gettext(
                'tv_logistics.msg_row_not_shipped', order=parcel.number)
        elif (line.tracking_number and parcel.tracking_number
                and parcel.tracking_number != line.tracking_number):
            result, message = 'invalid', gettext(
                'tv_logistics.msg_row_other_tracking', order=parcel.number,
                number=parcel.tracking_number)
        elif carrier and parcel.carrier and parcel.carrier != carrier.id:
            result, message = 'invalid', gettext(
                'tv_logistics.msg_row_other_courier', order=parcel.number,
                courier=Carrier(parcel.carrier).rec_name)
        elif line.date > today:
            result, message = 'invalid', gettext(
                'tv_logistics.msg_row_future', date=line.date)
        elif (parcel.id, line.status, line.date) in recorded:
            result, message = 'unchanged', gettext(
                'tv_logistics.msg_row_unchanged', order=parcel.number)
        if result != 'applied':
            results.append((line.id, result, message,
                    parcel.id if parcel else None))
            continue
        recorded.add((parcel.id, line.status, line.date))
        if not parcel.tracking_number and line.tracking_number:
            parcel.tracking_number = assigned[parcel.id] = \
                line.tracking_number
            by_tracking[line.tracking_number] = parcel
        new_trackings.append({'sale': parcel.id, 'date': line.date,
                'status': line.status, 'note': line.note,
                'tracking_number': parcel.tracking_number or '',
                'source': import_.id})
        # The order shows its latest status (a later row wins a tie).
        if (line.date, line.row) >= latest.get(parcel.id, (
                    parcel.status_date or line.date, -1, None))[:2]:
            latest[parcel.id] = (line.date, line.row, line.status)
        results.append((line.id, result, message, parcel.id))
    insert_trackings(new_trackings)
    Sale.record_tracking(assigned,
        {sale: (status, date) for sale, (date, _, status) in latest.items()})
    record_results(Line, results)


def insert_trackings(values):
    """Record courier statuses in bulk (a history log: no rule applies to
    a row beyond its required columns, checked when the row was read)"""
    user = Transaction().user
    insert_rows(Pool().get('sale.tracking'),
        [{**v, 'user': user} for v in values])


def insert_rows(Model, rows):
    """Insert rows (dicts of column values) in bulk: the rows of an import
    (checked when the file was read) are a report, not business records"""
    if not rows:
        return
    table = Model.__table__()
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    now = dt.datetime.now()
    columns = sorted({c for row in rows for c in row})
    for start in range(0, len(rows), BATCH * 4):
        cursor.execute(*table.insert(
                [getattr(table, c) for c in columns]
                + [table.create_uid, table.create_date],
                [[row.get(c) for c in columns] + [transaction.user, now]
                    for row in rows[start:start + BATCH * 4]]))


def record_results(Line, results):
    "Store each row's (id, result, message, sale) on the import's rows"
    table = Line.__table__()
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    now = dt.datetime.now()
    query, parameters = None, []
    for line_id, result, message, sale in results:
        query, params = tuple(table.update(
                [table.result, table.message, table.sale, table.write_uid,
                    table.write_date],
                [result, message, sale, transaction.user, now],
                where=table.id == line_id))
        parameters.append(params)
    if parameters:
        cursor.executemany(query, parameters)
    forget_cached(Line)


class TrackingImportReport(FileWizard):
    "Download the per-row report of a tracking import"
    __name__ = 'tv.tracking.import.report'

    def make_file(self):
        import_ = self.record
        headers, rows = import_.report_rows()
        summary = gettext('tv_logistics.msg_import_summary',
            total=import_.total or 0, applied=import_.applied or 0,
            unchanged=import_.unchanged or 0, rejected=import_.rejected or 0)
        stem = (import_.filename or 'tracking').rsplit('.', 1)[0]
        return (sheets.write_xlsx([(stem, headers, rows)]),
            f'{stem}-report.xlsx', summary)
