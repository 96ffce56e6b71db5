# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Managers' statistics (统计分析): overall, products, media, staff,
logistics (by courier, by province) and finance.

Each report is a ModelSQL whose table_query aggregates in the database (the
pattern of Tryton's sale_reporting): the context model gives the range
(from_date, to_date) and, for the time series, the period rows are grouped
by (day, week, month). Reports that combine several sources (calls, orders,
order lines, parcels, review log, refunds) build one small grouped query
per source, "facts", UNION ALL them and sum by key, so every source is read
once with its own index and nothing is computed per record in Python.

Dates of the sources:
- a call counts on the day it started (start_time, inbound calls only);
- an order counts on the day it was taken (create_date), whatever its state
  except cancelled (rejected and merged-away orders are cancelled): the
  sale date is only set when the order is confirmed after both reviews, so
  it would leave today's orders out;
- a parcel counts on the day it was shipped (shipped_date): delivered,
  refused, returned and lost are what became of the parcels shipped in the
  range, so the sign rate never exceeds 100 %;
- COD receivable counts on the day the parcel was signed (delivered_date),
  remittances on settled_date, refunds on their date, paid refunds on
  paid_date.
Timestamps are stored in UTC: the day is the company's calendar day (its
timezone) on PostgreSQL; range filters compare the timestamps with the UTC
bounds of the days (the conversion is only in the grouping), so the date
indexes give range scans.

Speed (a year of a million orders under 2 s, bench/report_statistics.py):
overall, products, media and staff read the days before today from daily
rollups (models tv.statistics.rollup and tv.statistics.rollup.day): the
facts of each
source grouped by company, day and the reports' keys (medium, agent,
product), computed by the same fact queries (_rollup_inserts). _plan
splits the range: days rolled up, before today and with no source row
counted on them created or written since their rollup (less
ROLLUP_MARGIN, for transactions not committed yet) come from the rollups,
the others (today, changed days, days without a rollup) are computed live,
so the figures are those of the live queries. Outdated and missing days
whose changes are settled are rolled up again when a report is opened (in
a transaction of their own when it is read-only), and all of them at
module update (rebuild_rollups). Deleting orders drops their days'
rollups; sources changed in SQL must set write_date (as record_tracking
does). Small sources (refunds, review log) are always read live. JIT is
turned off for these queries: PostgreSQL spent longer compiling them than
running them. No rows are cached between requests.
"""
import datetime as dt
from zoneinfo import ZoneInfo

from sql import Cast, Column, Literal, Null, Select, Union
from sql.aggregate import Count, Max, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import AtTimeZone, CurrentTimestamp, DateTrunc, Function

from trytond import backend
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction
from trytond.modules.tv_callcenter.guard import ClientGuardMixin
# The named ranges are those of the call statistics (one definition).
from trytond.modules.tv_callcenter.report import (  # noqa: F401
    RANGES, WithoutJITMixin, range_dates)

from tvcc import sheets

from .download import FileWizard

PERIODS = [
    ('day', "Day"),
    ('week', "Week"),
    ('month', "Month"),
    ]
# Review log actions that send an order back: counted against its agent.
REVIEW_REJECTIONS = ('return', 'reject')
# Refund states that mean the refund was asked for and not withdrawn.
REFUND_REQUESTED = ('requested', 'approved', 'refunded')
# Refund states that mean the goods were accepted back.
REFUND_RETURNED = ('approved', 'refunded')


class _SQLiteDate(Function):
    __slots__ = ()
    _function = 'DATE'


class _JulianDay(Function):
    __slots__ = ()
    _function = 'JULIANDAY'


def _context():
    return Transaction().context


def _timezone():
    "The company's timezone (None on SQLite, which has no time zones)"
    company_id = _context().get('company')
    if backend.name == 'sqlite' or not company_id:
        return None
    company = Pool().get('company.company')(company_id)
    return company.timezone


def _intervals():
    """The intervals of days [(from, to)] (None: open) the facts read: the
    context's range, or the part of it the rollups do not cover"""
    context = _context()
    if '_statistics_intervals' in context:
        return context['_statistics_intervals']
    return [(context.get('from_date'), context.get('to_date'))]


def _or(conditions):
    where = None
    for condition in conditions:
        where = condition if where is None else (where | condition)
    return where if where is not None else Literal(False)


def _in_date_range(column):
    "column (a date) is set and in the context's range"
    conditions = []
    for start, end in _intervals():
        condition = column != Null
        if start:
            condition &= column >= start
        if end:
            condition &= column <= end
        conditions.append(condition)
    return _or(conditions)


def _utc(date):
    "The UTC timestamp the company's day starts at"
    timezone = _timezone()
    zone = ZoneInfo(timezone) if timezone else dt.timezone.utc
    local = dt.datetime.combine(date, dt.time(), tzinfo=zone)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _in_datetime_range(column):
    """column (a UTC timestamp) is in the context's range of local days:
    compared with the UTC bounds of the days, so its index is used"""
    conditions = []
    for start, end in _intervals():
        condition = column != Null
        if start:
            condition &= column >= _utc(start)
        if end:
            condition &= column < _utc(end + dt.timedelta(days=1))
        conditions.append(condition)
    return _or(conditions)


def _local_date(column):
    "The company's calendar day of a UTC timestamp column"
    if backend.name == 'sqlite':
        return _SQLiteDate(column)
    timezone = _timezone()
    if timezone:
        column = AtTimeZone(AtTimeZone(column, 'UTC'), timezone)
    return Cast(column, 'DATE')


def _period_start(date):
    "The first day of the context's period (day, ISO week, month) of date"
    period = _context().get('period') or 'day'
    if backend.name == 'sqlite':
        modifiers = {
            'day': [],
            # back 6 days then forward to a Monday: this week's Monday
            'week': ['-6 days', 'weekday 1'],
            'month': ['start of month'],
            }[period]
        return _SQLiteDate(date, *modifiers)
    if period == 'day':
        return date
    return Cast(DateTrunc(period, Cast(date, 'TIMESTAMP')), 'DATE')


def _day_number(date):
    "Days since 1970-01-01: the id of a time series row"
    if backend.name == 'sqlite':
        return Cast(_JulianDay(date) - Literal(2440587.5), 'INTEGER')
    return date - Cast(Literal('1970-01-01'), 'DATE')


def _days_between(end, start):
    if backend.name == 'sqlite':
        return _JulianDay(end) - _JulianDay(start)
    return end - start


def _count_if(condition):
    return Sum(Case((condition, 1), else_=0))


def _ratio(numerator, denominator):
    "numerator / denominator as a float, None when nothing to divide by"
    return Case((denominator > 0,
            Cast(numerator, 'FLOAT') / Cast(denominator, 'FLOAT')),
        else_=Null)


def _amount(column):
    # SQLite keeps Decimal as text: cast before summing.
    return Cast(column, 'NUMERIC')


# Rollups: the sources' facts summed per company and day, so a year of
# orders is read as a few thousand rows (see _Statistics).
ROLLUP_MEASURES = ['calls', 'answered_calls', 'orders', 'revenue', 'quantity',
    'shipped', 'delivered']
# A change younger than this may belong to a transaction not committed yet
# (the change date is when it started): its days are computed live.
ROLLUP_MARGIN = dt.timedelta(minutes=10)


def _rollup_tables():
    pool = Pool()
    return (pool.get('tv.statistics.rollup').__table__(),
        pool.get('tv.statistics.rollup.day').__table__())


class _RollupAmount(fields.Numeric):
    """An amount summed by the rollups: exact (NUMERIC) on PostgreSQL, a
    float on SQLite, which computes the live amounts as floats too (its
    NUMERIC would store 500.0 as the integer 500)"""

    @property
    def _sql_type(self):
        return 'FLOAT' if backend.name == 'sqlite' else 'NUMERIC'


class Rollup(ClientGuardMixin, ModelSQL):
    """The facts of one day of the overall, products, media and staff
    reports, summed (kind: call, order, revenue, product, parcel)"""
    __name__ = 'tv.statistics.rollup'
    __string__ = "Statistics Rollup"

    company = fields.Many2One('company.company', "Company", required=True,
        ondelete='CASCADE')
    day = fields.Date("Day", required=True)
    kind = fields.Char("Kind", required=True)
    media = fields.Many2One('tv.media', "Medium", ondelete='CASCADE')
    user = fields.Many2One('res.user', "User", ondelete='CASCADE')
    product = fields.Many2One('product.product', "Product",
        ondelete='CASCADE')
    calls = fields.Integer("Calls")
    answered_calls = fields.Integer("Answered Calls")
    orders = fields.Integer("Orders")
    revenue = _RollupAmount("Revenue")
    quantity = fields.Float("Quantity")
    shipped = fields.Integer("Shipped")
    delivered = fields.Integer("Signed")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.company, Index.Equality()), (t.day, Index.Range())))


class RollupDay(ClientGuardMixin, ModelSQL):
    "A day of a company whose rollups were computed, and when"
    __name__ = 'tv.statistics.rollup.day'
    __string__ = "Statistics Rollup Day"

    company = fields.Many2One('company.company', "Company", required=True,
        ondelete='CASCADE')
    day = fields.Date("Day", required=True)
    refreshed = fields.DateTime("Refreshed", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.company, Index.Equality()), (t.day, Index.Range())))

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        # Every day before today, from the sources (a module update; the
        # rollup table is registered before this one).
        rebuild_rollups()


def change_indexes(table):
    """Indexes on when rows were created and changed: the days of orders,
    lines and calls a rollup no longer matches are found by them"""
    return {
        Index(table, (table.create_date, Index.Range())),
        Index(table, (table.write_date, Index.Range())),
        }


class Line(metaclass=PoolMeta):
    __name__ = 'sale.line'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._sql_indexes.update(change_indexes(cls.__table__()))


class Call(metaclass=PoolMeta):
    __name__ = 'callcenter.call'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._sql_indexes.update(change_indexes(cls.__table__()))


def _now():
    "The database's clock (UTC), as the create and write dates"
    cursor = Transaction().connection.cursor()
    cursor.execute(*Select([CurrentTimestamp()]))
    now, = cursor.fetchone()
    if isinstance(now, str):
        now = dt.datetime.fromisoformat(now)
    return now.replace(tzinfo=None)


def _as_datetime(value):
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value


def _as_date(value):
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return value


def _merge(days):
    "[(from, to)] of the runs of consecutive days"
    intervals = []
    for day in sorted(days):
        if intervals and intervals[-1][1] + dt.timedelta(days=1) == day:
            intervals[-1] = (intervals[-1][0], day)
        else:
            intervals.append((day, day))
    return intervals


def _complement(intervals, start, end):
    "The days of [start, end] (None: open) outside the intervals"
    result = []
    for low, high in intervals:
        if start is None or low > start:
            result.append((start, low - dt.timedelta(days=1)))
        start = high + dt.timedelta(days=1)
    if end is None or start is None or start <= end:
        result.append((start, end))
    return [(a, b) for a, b in result
        if a is None or b is None or a <= b]


def _rollup_inserts(company):
    """INSERT ... SELECT of each kind of rollup row, for the days of
    _intervals(): the same sources, conditions and dates as the live
    facts, grouped by day and the keys of the reports"""
    pool = Pool()
    Sale = pool.get('sale.sale')
    Line = pool.get('sale.line')
    Call = pool.get('callcenter.call')
    rollup, _ = _rollup_tables()
    queries = []

    def insert(from_item, kind, keys, where, **measures):
        names = ['company', 'day', 'kind']
        columns = [Literal(company).as_('company'), keys['day'].as_('day'),
            Literal(kind).as_('kind')]
        group_by = [keys['day'].as_('day')]
        for name in ['media', 'user', 'product']:
            if name in keys:
                names.append(name)
                columns.append(keys[name].as_(name))
                group_by.append(keys[name])
        for name in ROLLUP_MEASURES:
            names.append(name)
            columns.append(measures.get(name, Literal(0)).as_(name))
        query = from_item.select(*columns, where=where, group_by=group_by)
        queries.append(rollup.insert(
                [Column(rollup, c) for c in names], query))

    call = Call.__table__()
    insert(call, 'call',
        {'day': _local_date(call.start_time), 'media': call.media},
        (call.direction == 'inbound') & _in_datetime_range(call.start_time),
        calls=Count(call.id),
        answered_calls=_count_if(call.disposition == 'answered'))
    sale, where = _Statistics._sales()
    insert(sale, 'order', {'day': _local_date(sale.create_date),
            'media': sale.media, 'user': sale.entered_by},
        where, orders=Count(sale.id))
    sale, where = _Statistics._sales()
    line = Line.__table__()
    insert(line.join(sale, condition=line.sale == sale.id), 'revenue',
        {'day': _local_date(sale.create_date), 'media': sale.media,
            'user': sale.entered_by},
        where & (line.type == 'line'),
        revenue=Sum(_amount(line.quantity) * _amount(line.unit_price)))
    sale, where = _Statistics._sales()
    line = Line.__table__()
    insert(line.join(sale, condition=line.sale == sale.id), 'product',
        {'day': _local_date(sale.create_date), 'product': line.product},
        where & (line.type == 'line') & (line.product != Null)
        & (Coalesce(line.is_gift, False) == Literal(False)),
        quantity=Sum(line.quantity),
        revenue=Sum(_amount(line.quantity) * _amount(line.unit_price)),
        orders=Count(sale.id, distinct=True))
    sale = Sale.__table__()
    insert(sale, 'parcel', {'day': sale.shipped_date, 'user': sale.entered_by},
        _in_date_range(sale.shipped_date) & _Statistics._company(sale),
        shipped=Count(sale.id),
        delivered=_count_if(sale.delivery_status == 'delivered'))
    return queries


def refresh_rollups(days, company=None):
    """Compute the rollups of the days (dates) again from the sources, for
    the company (of the context by default)"""
    company = company or _context().get('company')
    days = sorted(set(days))
    if not company or not days:
        return
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    rollup, rollup_day = _rollup_tables()
    now = _now()
    for start in range(0, len(days), 500):
        chunk = days[start:start + 500]
        intervals = _merge(chunk)
        with transaction.set_context(company=company,
                _statistics_intervals=intervals):
            cursor.execute(*rollup.delete(where=(rollup.company == company)
                    & _in_date_range(rollup.day)))
            cursor.execute(*rollup_day.delete(
                    where=(rollup_day.company == company)
                    & _in_date_range(rollup_day.day)))
            for query in _rollup_inserts(company):
                cursor.execute(*query)
        cursor.execute(*rollup_day.insert(
                [rollup_day.company, rollup_day.day, rollup_day.refreshed],
                [[company, day, now] for day in chunk]))
    transaction.counter += 1  # the plans (_plan) of the days are outdated


def rebuild_rollups():
    "The rollups of every company for every day before today"
    pool = Pool()
    Company = pool.get('company.company')
    Date = pool.get('ir.date')
    Sale = pool.get('sale.sale')
    Call = pool.get('callcenter.call')
    cursor = Transaction().connection.cursor()
    for company in Company.search([]):
        with Transaction().set_context(company=company.id):
            today = Date.today()
            sale = Sale.__table__()
            call = Call.__table__()
            cursor.execute(*sale.select(Min(sale.create_date),
                    Min(sale.shipped_date),
                    where=sale.company == company.id))
            first = [v for v in cursor.fetchone() if v]
            cursor.execute(*call.select(Min(call.start_time)))
            first += [v for v in cursor.fetchone() if v]
            if not first:
                continue
            # a day earlier: the company's day may start before UTC's
            first = min(_as_date(v if isinstance(v, str)
                    else v.isoformat()) for v in first) - dt.timedelta(days=1)
            days = [first + dt.timedelta(days=i)
                for i in range((today - first).days)]
            refresh_rollups(days, company.id)


def _changed_days(company, since):
    """{day: when} the latest change since then of a source row counted on
    that day (orders by the day taken and shipped, lines by their order's
    day, calls by the day they started)"""
    pool = Pool()
    Sale = pool.get('sale.sale')
    Line = pool.get('sale.line')
    Call = pool.get('callcenter.call')
    cursor = Transaction().connection.cursor()
    changed = {}

    def add(day, when):
        day, when = _as_date(day), _as_datetime(when)
        if day and when and (day not in changed or changed[day] < when):
            changed[day] = when
    with Transaction().set_context(company=company):
        for audit in ['create_date', 'write_date']:
            sale = Sale.__table__()
            date = _local_date(sale.create_date).as_('day')
            cursor.execute(*sale.select(date, sale.shipped_date,
                    Max(Column(sale, audit)),
                    where=(Column(sale, audit) >= since)
                    & (sale.company == company),
                    group_by=[date, sale.shipped_date]))
            for day, shipped, when in cursor:
                add(day, when)
                add(shipped, when)
            sale = Sale.__table__()
            line = Line.__table__()
            date = _local_date(sale.create_date).as_('day')
            cursor.execute(*line.join(sale, condition=line.sale == sale.id)
                .select(date, Max(Column(line, audit)),
                    where=(Column(line, audit) >= since)
                    & (sale.company == company),
                    group_by=[date]))
            for day, when in cursor:
                add(day, when)
            call = Call.__table__()
            date = _local_date(call.start_time).as_('day')
            cursor.execute(*call.select(date, Max(Column(call, audit)),
                    where=Column(call, audit) >= since, group_by=[date]))
            for day, when in cursor:
                add(day, when)
    return changed


def _plan():
    """(rolled, live): the intervals of days of the context's range read
    from the rollups and those computed live from the sources.

    A day is read from the rollups when it was rolled up, is before today
    and no row counted on it changed since (less the margin). Missing and
    outdated days whose changes are settled (older than the margin) are
    rolled up again on the way, in a transaction of their own when this
    one is read-only (they are computed live in this one)."""
    pool = Pool()
    Date = pool.get('ir.date')
    context = _context()
    company = context.get('company')
    start, end = context.get('from_date'), context.get('to_date')
    whole = [(start, end)]
    if not company or backend.name not in {'postgresql', 'sqlite'}:
        return [], whole
    transaction = Transaction()
    today = Date.today()
    key = (transaction.counter, company, start, end, today)
    plans = transaction.__dict__.setdefault('_tv_statistics_plans', {})
    if key in plans:
        return plans[key]
    cursor = transaction.connection.cursor()
    _, rollup_day = _rollup_tables()
    where = (rollup_day.company == company) & (rollup_day.day < today)
    if start:
        where &= rollup_day.day >= start
    if end:
        where &= rollup_day.day <= end
    cursor.execute(*rollup_day.select(rollup_day.day, rollup_day.refreshed,
            where=where))
    covered = {_as_date(d): _as_datetime(r) for d, r in cursor}
    now = _now()
    since = min(covered.values(), default=now) - ROLLUP_MARGIN
    changed = _changed_days(company, since)
    valid = {d for d, refreshed in covered.items()
        if changed.get(d, dt.datetime.min) < refreshed - ROLLUP_MARGIN}
    if start and end:
        last = min(end, today - dt.timedelta(days=1))
        todo = [start + dt.timedelta(days=i)
            for i in range((last - start).days + 1)]
        todo = [d for d in todo if d not in valid
            and changed.get(d, dt.datetime.min) < now - ROLLUP_MARGIN]
        if todo and _refresh_elsewhere(todo, company):
            valid.update(todo)
    rolled = _merge(valid)
    plan = rolled, _complement(rolled, start, end) if rolled else whole
    plans[key] = plan
    return plan


def _refresh_elsewhere(days, company):
    """Roll the days up: in this transaction if it may write (True) or in
    one of its own, committed, that this one does not see (False)"""
    transaction = Transaction()
    if not transaction.readonly:
        if _lock(company):
            refresh_rollups(days, company)
            return True
        return False
    with transaction.new_transaction() as refresh:
        if _lock(company):
            refresh_rollups(days, company)
            refresh.commit()
    return False


def _lock(company):
    "Whether no other transaction rolls the company's days up now"
    if backend.name != 'postgresql':
        return True
    cursor = Transaction().connection.cursor()
    cursor.execute('SELECT pg_try_advisory_xact_lock(%s, %s)',
        (0x7654, company))
    return cursor.fetchone()[0]


class Context(ModelView):
    "The range (and grouping) every statistics report shows"
    __name__ = 'tv.statistics.context'
    __string__ = "Statistics Range"

    range = fields.Selection(RANGES, "Range")
    from_date = fields.Date("From Date",
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ])
    to_date = fields.Date("To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ])
    period = fields.Selection(PERIODS, "Group By", required=True,
        help="The rows of the time series: one per day, week or month.")

    @classmethod
    def default_range(cls):
        return _context().get('range', 'this_month')

    @classmethod
    def default_from_date(cls):
        if 'from_date' in _context():
            return _context()['from_date']
        return range_dates(cls.default_range(), cls._today())[0]

    @classmethod
    def default_to_date(cls):
        if 'to_date' in _context():
            return _context()['to_date']
        return range_dates(cls.default_range(), cls._today())[1]

    @classmethod
    def default_period(cls):
        return _context().get('period', 'day')

    @classmethod
    def _today(cls):
        return Pool().get('ir.date').today()

    @fields.depends('range')
    def on_change_range(self):
        dates = range_dates(self.range, self._today())
        if dates:
            self.from_date, self.to_date = dates

    @fields.depends('range', 'from_date', 'to_date')
    def on_change_from_date(self):
        if (self.from_date, self.to_date) != range_dates(
                self.range, self._today()):
            self.range = 'custom'

    on_change_to_date = on_change_from_date


class _Statistics(WithoutJITMixin, ModelSQL, ModelView):
    """A report: one grouped query per source (a fact) united and summed
    by key; subclasses give _facts() and _columns()"""
    # The measures each fact provides (0 where a source has none).
    _measures = []
    # The columns of the Excel export, in the list view's order.
    _export_fields = []
    # The rows come largest first by this measure (None: by date).
    _rank = 'revenue'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        if cls._rank:
            cls._order = [(cls._rank, 'DESC'), ('id', 'ASC')]

    # Whether the report reads the rollups for the days they cover.
    _rollups = False

    @classmethod
    def table_query(cls):
        facts = cls._facts()
        facts = Union(*facts, all_=True) if len(facts) > 1 else facts[0]
        return cls._summary(facts)

    @classmethod
    def _facts(cls):
        """The facts of the days the rollups cover read from them, those of
        the other days (today, changed since) computed live"""
        if not cls._rollups:
            return cls._live_facts() + cls._range_facts()
        rolled, live = _plan()
        facts = []
        transaction = Transaction()
        if live:
            with transaction.set_context(_statistics_intervals=live):
                facts += cls._live_facts()
        if rolled:
            with transaction.set_context(_statistics_intervals=rolled):
                rollup, _ = _rollup_tables()
                facts += cls._rollup_facts(rollup)
        return facts + cls._range_facts()

    @classmethod
    def _live_facts(cls):
        "The facts computed from the sources, for the days of _intervals()"
        raise NotImplementedError

    @classmethod
    def _rollup_facts(cls, rollup):
        "The same facts read from the rollups, for the days of _intervals()"
        raise NotImplementedError

    @classmethod
    def _range_facts(cls):
        "Facts always computed live (small sources), for the whole range"
        return []

    @classmethod
    def _rollup_fact(cls, rollup, keys, kinds, measures, where=None):
        "A grouped query of the rollups of kinds, summing the measures"
        condition = ((rollup.company == _context()['company'])
            & rollup.kind.in_(kinds) & _in_date_range(rollup.day))
        if where is not None:
            condition &= where
        return cls._fact(rollup, keys, condition,
            **{name: Sum(Column(rollup, name)) for name in measures})

    @classmethod
    def _fact(cls, from_item, keys, where, **measures):
        "A grouped query of one source: keys [(name, expression)]"
        columns = [expression.as_(name) for name, expression in keys]
        columns += [measures.get(name, Literal(0)).as_(name)
            for name in cls._measures]
        # A computed key is grouped by its output name: its parameters
        # (the period, the timezone) would not match those of the select.
        group_by = [expression if isinstance(expression, Column)
            else expression.as_(name) for name, expression in keys]
        return from_item.select(*columns, where=where, group_by=group_by)

    @classmethod
    def _cast(cls, name, expression):
        return getattr(cls, name).sql_cast(expression).as_(name)

    @classmethod
    def _sales(cls):
        "The sale table and the condition of the orders taken in the range"
        Sale = Pool().get('sale.sale')
        sale = Sale.__table__()
        where = (sale.state != 'cancelled') & _in_datetime_range(
            sale.create_date)
        where &= cls._company(sale)
        return sale, where

    @classmethod
    def _company(cls, sale):
        company = _context().get('company')
        return (sale.company == company) if company else Literal(True)

    @classmethod
    def _order_facts(cls, key):
        """Orders and revenue of the orders taken in the range, by
        key(sale): revenue is the amount of their lines before tax"""
        Line = Pool().get('sale.line')
        sale, where = cls._sales()
        orders = cls._fact(sale, key(sale), where, orders=Count(sale.id))
        sale, where = cls._sales()
        line = Line.__table__()
        revenue = cls._fact(
            line.join(sale, condition=line.sale == sale.id),
            key(sale), where & (line.type == 'line'),
            revenue=Sum(_amount(line.quantity) * _amount(line.unit_price)))
        return [orders, revenue]

    @classmethod
    def _call_facts(cls, key):
        "Inbound calls started in the range and those answered, by key(call)"
        Call = Pool().get('callcenter.call')
        call = Call.__table__()
        return [cls._fact(call, key(call),
                (call.direction == 'inbound')
                & _in_datetime_range(call.start_time),
                calls=Count(call.id),
                answered_calls=_count_if(call.disposition == 'answered'))]

    @classmethod
    def _parcel_facts(cls, key):
        "Parcels shipped in the range and those signed, by key(sale)"
        Sale = Pool().get('sale.sale')
        sale = Sale.__table__()
        return [cls._fact(sale, key(sale),
                _in_date_range(sale.shipped_date) & cls._company(sale),
                shipped=Count(sale.id),
                delivered=_count_if(sale.delivery_status == 'delivered'))]

    @classmethod
    def export_rows(cls):
        """(headers, rows) of what the report shows for the context, with
        the field labels in the user's language; rates in percent"""
        definitions = cls.fields_get(cls._export_fields)
        headers, percents = [], []
        for name in cls._export_fields:
            header = definitions[name]['string']
            percent = definitions[name]['type'] == 'float'
            if percent:
                header += ' (%)'
            headers.append(header)
            percents.append(percent)
        rows = []
        for record in cls.search([]):
            row = []
            for name, percent in zip(cls._export_fields, percents):
                value = getattr(record, name)
                if isinstance(value, ModelSQL):
                    value = value.rec_name
                elif percent and value is not None:
                    value = round(value * 100, 2)
                row.append(value)
            rows.append(row)
        return headers, rows


class _TimeSeries(_Statistics):
    "A report with one row per day, week or month of the range"
    date = fields.Date("Date")
    _rank = None

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('date', 'ASC'))

    @classmethod
    def _period(cls, column):
        "key of a fact: the period of a date column"
        return lambda table: [('date', _period_start(column(table)))]

    @classmethod
    def _local_period(cls, column):
        "key of a fact: the period of a UTC timestamp column"
        return lambda table: [
            ('date', _period_start(_local_date(column(table))))]

    @classmethod
    def _summary(cls, facts):
        return facts.select(
            _day_number(facts.date).as_('id'),
            cls.date.sql_cast(facts.date).as_('date'),
            *cls._columns(facts),
            group_by=[facts.date])

    def get_rec_name(self, name):
        return str(self.date) if self.date else ''


class Overall(_TimeSeries):
    "Calls, orders, conversion, revenue and signing over time"
    __name__ = 'tv.statistics.overall'
    __string__ = "Overall Statistics"

    calls = fields.Integer("Inbound Calls")
    answered_calls = fields.Integer("Answered Calls")
    orders = fields.Integer("Orders",
        help="Orders taken (not cancelled), on the day they were taken.")
    conversion = fields.Float("Conversion", digits=(16, 4),
        help="Orders / answered calls.")
    revenue = fields.Numeric("Revenue", digits=(16, 2),
        help="Amount of the order lines before tax.")
    average_order = fields.Numeric("Average Order", digits=(16, 2))
    shipped = fields.Integer("Shipped",
        help="Parcels shipped, on the day they were shipped.")
    delivered = fields.Integer("Signed",
        help="Of the parcels shipped, those the customer signed for.")
    sign_rate = fields.Float("Sign Rate", digits=(16, 4),
        help="Signed / shipped.")

    _measures = ['calls', 'answered_calls', 'orders', 'revenue', 'shipped',
        'delivered']
    _export_fields = ['date', 'calls', 'answered_calls', 'orders',
        'conversion', 'revenue', 'average_order', 'shipped', 'delivered',
        'sign_rate']

    _rollups = True

    @classmethod
    def _live_facts(cls):
        return (
            cls._call_facts(cls._local_period(lambda c: c.start_time))
            + cls._order_facts(cls._local_period(lambda s: s.create_date))
            + cls._parcel_facts(cls._period(lambda s: s.shipped_date)))

    @classmethod
    def _rollup_facts(cls, rollup):
        return [cls._rollup_fact(rollup, cls._period(lambda r: r.day)(rollup),
                ['call', 'order', 'revenue', 'parcel'], cls._measures)]

    @classmethod
    def _columns(cls, facts):
        orders = Sum(facts.orders)
        revenue = Sum(facts.revenue)
        return [
            cls._cast('calls', Sum(facts.calls)),
            cls._cast('answered_calls', Sum(facts.answered_calls)),
            cls._cast('orders', orders),
            cls._cast('conversion', _ratio(orders, Sum(facts.answered_calls))),
            cls._cast('revenue', revenue),
            cls._cast('average_order', Case((orders > 0, revenue / orders),
                    else_=Null)),
            cls._cast('shipped', Sum(facts.shipped)),
            cls._cast('delivered', Sum(facts.delivered)),
            cls._cast('sign_rate',
                _ratio(Sum(facts.delivered), Sum(facts.shipped))),
            ]


class Product(_Statistics):
    "Quantity, revenue, orders and returns per product"
    __name__ = 'tv.statistics.product'
    __string__ = "Product Statistics"

    product = fields.Many2One('product.product', "Product")
    quantity = fields.Float("Quantity Sold", digits=(16, 2),
        help="Quantity on the orders taken in the range, gifts excluded.")
    revenue = fields.Numeric("Revenue", digits=(16, 2))
    orders = fields.Integer("Orders")
    returned_quantity = fields.Float("Quantity Returned", digits=(16, 2),
        help="Quantity on the refunds dated in the range whose goods were "
        "accepted back (approved or refunded).")

    _measures = ['quantity', 'revenue', 'orders', 'returned_quantity']
    _export_fields = ['product', 'quantity', 'revenue', 'orders',
        'returned_quantity']

    _rollups = True

    @classmethod
    def _live_facts(cls):
        Line = Pool().get('sale.line')
        sale, where = cls._sales()
        line = Line.__table__()
        sold = cls._fact(
            line.join(sale, condition=line.sale == sale.id),
            [('product', line.product)],
            where & (line.type == 'line') & (line.product != Null)
            & (Coalesce(line.is_gift, False) == Literal(False)),
            quantity=Sum(line.quantity),
            revenue=Sum(_amount(line.quantity) * _amount(line.unit_price)),
            orders=Count(sale.id, distinct=True))
        return [sold]

    @classmethod
    def _rollup_facts(cls, rollup):
        # orders: an order is taken on one day, so its product's distinct
        # orders per day add up to those of the range
        return [cls._rollup_fact(rollup, [('product', rollup.product)],
                ['product'], ['quantity', 'revenue', 'orders'])]

    @classmethod
    def _range_facts(cls):
        pool = Pool()
        Line = pool.get('sale.line')
        Refund = pool.get('sale.refund')
        RefundLine = pool.get('sale.refund.line')
        refund = Refund.__table__()
        refund_line = RefundLine.__table__()
        line = Line.__table__()
        returned = cls._fact(
            refund_line
            .join(refund, condition=refund_line.refund == refund.id)
            .join(line, condition=refund_line.sale_line == line.id),
            [('product', line.product)],
            refund.state.in_(REFUND_RETURNED) & _in_date_range(refund.date)
            & (line.product != Null)
            & (Coalesce(line.is_gift, False) == Literal(False)),
            returned_quantity=Sum(refund_line.quantity))
        return [returned]

    @classmethod
    def _summary(cls, facts):
        return facts.select(
            facts.product.as_('id'),
            facts.product.as_('product'),
            cls._cast('quantity', Sum(facts.quantity)),
            cls._cast('revenue', Sum(facts.revenue)),
            cls._cast('orders', Sum(facts.orders)),
            cls._cast('returned_quantity', Sum(facts.returned_quantity)),
            group_by=[facts.product])

    def get_rec_name(self, name):
        return self.product.rec_name if self.product else ''


class Media(_Statistics):
    "Calls, orders, revenue and airtime cost per TV medium"
    __name__ = 'tv.statistics.media'
    __string__ = "Media Statistics"

    media = fields.Many2One('tv.media', "Medium")
    calls = fields.Integer("Inbound Calls")
    answered_calls = fields.Integer("Answered Calls")
    orders = fields.Integer("Orders")
    conversion = fields.Float("Conversion", digits=(16, 4),
        help="Orders / answered calls.")
    revenue = fields.Numeric("Revenue", digits=(16, 2))
    broadcast_days = fields.Integer("Days on Air",
        help="Days of the range with at least one call or order for the "
        "medium: the days it is counted as broadcast.")
    airtime_cost = fields.Numeric("Airtime Cost", digits=(16, 2),
        help="The medium's airtime cost per broadcast × days on air.")
    return_ratio = fields.Float("Return on Airtime", digits=(16, 2),
        help="Revenue / airtime cost (2.0: the airtime brought twice what "
        "it cost).")

    _measures = ['calls', 'answered_calls', 'orders', 'revenue']
    _export_fields = ['media', 'calls', 'answered_calls', 'orders',
        'conversion', 'revenue', 'broadcast_days', 'airtime_cost',
        'return_ratio']

    _rollups = True

    @classmethod
    def _rollup_facts(cls, rollup):
        return [cls._rollup_fact(rollup,
                [('media', rollup.media), ('day', rollup.day)],
                ['call', 'order', 'revenue'], cls._measures,
                where=rollup.media != Null)]

    @classmethod
    def _live_facts(cls):
        def by_call(call):
            return [('media', call.media),
                ('day', _local_date(call.start_time))]

        def by_sale(sale):
            return [('media', sale.media),
                ('day', _local_date(sale.create_date))]
        facts = cls._call_facts(by_call) + cls._order_facts(by_sale)
        # A source without a medium counts in the overall report only.
        for fact in facts:
            fact.where &= fact.columns[0].expression != Null
        return facts

    @classmethod
    def _summary(cls, facts):
        Medium = Pool().get('tv.media')
        medium = Medium.__table__()
        revenue = Sum(facts.revenue)
        days = Count(facts.day, distinct=True)
        cost = _amount(Coalesce(medium.airtime_cost, 0)) * days
        return facts.join(medium, condition=facts.media == medium.id).select(
            facts.media.as_('id'),
            facts.media.as_('media'),
            cls._cast('calls', Sum(facts.calls)),
            cls._cast('answered_calls', Sum(facts.answered_calls)),
            cls._cast('orders', Sum(facts.orders)),
            cls._cast('conversion',
                _ratio(Sum(facts.orders), Sum(facts.answered_calls))),
            cls._cast('revenue', revenue),
            cls._cast('broadcast_days', days),
            cls._cast('airtime_cost', cost),
            cls._cast('return_ratio', _ratio(revenue, cost)),
            group_by=[facts.media, medium.airtime_cost])

    def get_rec_name(self, name):
        return self.media.rec_name if self.media else ''


class Employee(_Statistics):
    "Orders, revenue, signing and review rejections per agent"
    __name__ = 'tv.statistics.employee'
    __string__ = "Staff Statistics"

    user = fields.Many2One('res.user', "Agent",
        help="The user who entered the orders.")
    orders = fields.Integer("Orders")
    revenue = fields.Numeric("Revenue", digits=(16, 2))
    average_order = fields.Numeric("Average Order", digits=(16, 2))
    shipped = fields.Integer("Shipped",
        help="Their orders shipped in the range.")
    delivered = fields.Integer("Signed")
    sign_rate = fields.Float("Sign Rate", digits=(16, 4),
        help="Signed / shipped.")
    review_rejections = fields.Integer("Sent Back by Review",
        help="Times a reviewer returned one of their orders to them or "
        "rejected it, in the range.")

    _measures = ['orders', 'revenue', 'shipped', 'delivered',
        'review_rejections']
    _export_fields = ['user', 'orders', 'revenue', 'average_order',
        'shipped', 'delivered', 'sign_rate', 'review_rejections']

    _rollups = True

    @classmethod
    def _live_facts(cls):
        def key(sale):
            return [('user', sale.entered_by)]
        facts = cls._order_facts(key) + cls._parcel_facts(key)
        for fact in facts:
            fact.where &= fact.columns[0].expression != Null
        return facts

    @classmethod
    def _rollup_facts(cls, rollup):
        return [cls._rollup_fact(rollup, [('user', rollup.user)],
                ['order', 'revenue', 'parcel'],
                ['orders', 'revenue', 'shipped', 'delivered'],
                where=rollup.user != Null)]

    @classmethod
    def _range_facts(cls):
        pool = Pool()
        Sale = pool.get('sale.sale')
        Log = pool.get('sale.review.log')
        log = Log.__table__()
        sale = Sale.__table__()
        return [cls._fact(
                log.join(sale, condition=log.sale == sale.id),
                [('user', sale.entered_by)],
                log.action.in_(REVIEW_REJECTIONS)
                & _in_datetime_range(log.date) & cls._company(sale)
                & (sale.entered_by != Null),
                review_rejections=Count(log.id))]

    @classmethod
    def _summary(cls, facts):
        orders = Sum(facts.orders)
        revenue = Sum(facts.revenue)
        return facts.select(
            facts.user.as_('id'),
            facts.user.as_('user'),
            cls._cast('orders', orders),
            cls._cast('revenue', revenue),
            cls._cast('average_order', Case((orders > 0, revenue / orders),
                    else_=Null)),
            cls._cast('shipped', Sum(facts.shipped)),
            cls._cast('delivered', Sum(facts.delivered)),
            cls._cast('sign_rate',
                _ratio(Sum(facts.delivered), Sum(facts.shipped))),
            cls._cast('review_rejections', Sum(facts.review_rejections)),
            group_by=[facts.user])

    def get_rec_name(self, name):
        return self.user.rec_name if self.user else ''


class _Logistics(_Statistics):
    """What became of the parcels shipped in the range, by a key of the
    order (one grouped query over the orders, no union needed)"""
    shipped = fields.Integer("Shipped")
    delivered = fields.Integer("Signed")
    refused = fields.Integer("Refused or Returned")
    lost = fields.Integer("Lost")
    in_transit = fields.Integer("On the Way",
        help="Shipped parcels with no final status yet.")
    sign_rate = fields.Float("Sign Rate", digits=(16, 4),
        help="Signed / shipped.")
    refusal_rate = fields.Float("Refusal Rate", digits=(16, 4),
        help="Refused or returned / shipped.")
    transit_days = fields.Float("Average Days to Sign", digits=(16, 1),
        help="Average days from shipping to signing, of the signed parcels.")

    _key = None
    _rank = 'shipped'
    _export_fields = ['shipped', 'delivered', 'refused', 'lost',
        'in_transit', 'sign_rate', 'refusal_rate', 'transit_days']

    @classmethod
    def _from(cls):
        "(from item, orders table, key column)"
        raise NotImplementedError

    @classmethod
    def table_query(cls):
        from_item, sale, key = cls._from()
        status = sale.delivery_status
        shipped = Count(sale.id)
        delivered = _count_if(status == 'delivered')
        refused = _count_if(status.in_(['refused', 'returned']))
        signed = (status == 'delivered') & (sale.delivered_date != Null)
        transit = Sum(Case((signed,
                    _days_between(sale.delivered_date, sale.shipped_date)),
                else_=Null))
        return from_item.select(
            key.as_('id'),
            key.as_(cls._key),
            cls._cast('shipped', shipped),
            cls._cast('delivered', delivered),
            cls._cast('refused', refused),
            cls._cast('lost', _count_if(status == 'lost')),
            cls._cast('in_transit',
                _count_if(status.in_(['shipped', 'in_transit']))),
            cls._cast('sign_rate', _ratio(delivered, shipped)),
            cls._cast('refusal_rate', _ratio(refused, shipped)),
            cls._cast('transit_days', _ratio(transit, _count_if(signed))),
            where=_in_date_range(sale.shipped_date) & cls._company(sale)
            & (key != Null),
            group_by=[key])

    def get_rec_name(self, name):
        value = getattr(self, self._key)
        return value.rec_name if value else ''


class Courier(_Logistics):
    "Shipped, signed, refused and transit time per courier"
    __name__ = 'tv.statistics.courier'
    __string__ = "Courier Statistics"

    carrier = fields.Many2One('carrier', "Courier")

    _key = 'carrier'
    _export_fields = ['carrier'] + _Logistics._export_fields

    @classmethod
    def _from(cls):
        Sale = Pool().get('sale.sale')
        sale = Sale.__table__()
        return sale, sale, sale.carrier


class Region(_Logistics):
    "Shipped, signed, refused and transit time per province"
    __name__ = 'tv.statistics.region'
    __string__ = "Region Statistics"

    subdivision = fields.Many2One('country.subdivision', "Province",
        help="The province of the shipment address.")

    _key = 'subdivision'
    _export_fields = ['subdivision'] + _Logistics._export_fields

    @classmethod
    def _from(cls):
        pool = Pool()
        Sale = pool.get('sale.sale')
        Address = pool.get('party.address')
        sale = Sale.__table__()
        address = Address.__table__()
        return (sale.join(address,
                condition=sale.shipment_address == address.id),
            sale, address.subdivision)


class Finance(_TimeSeries):
    "Cash on delivery receivable, remitted, outstanding and refunds"
    __name__ = 'tv.statistics.finance'
    __string__ = "Finance Statistics"

    cod_orders = fields.Integer("COD Signed",
        help="Cash-on-delivery parcels signed, on the day they were signed.")
    cod_receivable = fields.Numeric("COD Receivable", digits=(16, 2),
        help="What the courier collected for them (order totals).")
    cod_settled = fields.Numeric("COD Settled", digits=(16, 2),
        help="What the courier has remitted so far for them.")
    cod_outstanding = fields.Numeric("COD Outstanding", digits=(16, 2),
        help="Receivable not yet remitted.")
    remitted = fields.Numeric("Remitted", digits=(16, 2),
        help="Remittances received, on their settlement date, whatever "
        "day the parcels were signed.")
    refund_requested = fields.Numeric("Refunds Requested", digits=(16, 2),
        help="Refunds dated in the period and not cancelled (requested, "
        "approved or refunded).")
    refund_pending = fields.Numeric("Refunds to Pay", digits=(16, 2),
        help="Of those, the ones not paid yet (requested or approved).")
    refund_paid = fields.Numeric("Refunds Paid", digits=(16, 2),
        help="Refunds paid, on the day they were paid.")

    _measures = ['cod_orders', 'cod_receivable', 'cod_settled', 'remitted',
        'refund_requested', 'refund_pending', 'refund_paid']
    _export_fields = ['date', 'cod_orders', 'cod_receivable', 'cod_settled',
        'cod_outstanding', 'remitted', 'refund_requested', 'refund_pending',
        'refund_paid']

    @classmethod
    def _facts(cls):
        pool = Pool()
        Sale = pool.get('sale.sale')
        Refund = pool.get('sale.refund')
        sale = Sale.__table__()
        cod = cls._fact(sale, cls._period(lambda s: s.delivered_date)(sale),
            (sale.payment_method == 'cod')
            & (sale.delivery_status == 'delivered')
            & _in_date_range(sale.delivered_date) & cls._company(sale),
            cod_orders=Count(sale.id),
            cod_receivable=Sum(_amount(
                    Coalesce(sale.total_amount_cache, 0))),
            cod_settled=Sum(_amount(Coalesce(sale.settled_amount, 0))))
        sale = Sale.__table__()
        remitted = cls._fact(sale,
            cls._period(lambda s: s.settled_date)(sale),
            _in_date_range(sale.settled_date) & cls._company(sale),
            remitted=Sum(_amount(Coalesce(sale.settled_amount, 0))))
        refund = Refund.__table__()
        requested = cls._fact(refund,
            cls._period(lambda r: r.date)(refund),
            refund.state.in_(REFUND_REQUESTED) & _in_date_range(refund.date),
            refund_requested=Sum(_amount(refund.amount)),
            refund_pending=Sum(Case((refund.state != 'refunded',
                        _amount(refund.amount)), else_=0)))
        refund = Refund.__table__()
        paid = cls._fact(refund,
            cls._period(lambda r: r.paid_date)(refund),
            (refund.state == 'refunded') & _in_date_range(refund.paid_date),
            refund_paid=Sum(_amount(refund.amount)))
        return [cod, remitted, requested, paid]

    @classmethod
    def _columns(cls, facts):
        columns = [cls._cast(name, Sum(getattr(facts, name)))
            for name in cls._measures]
        columns.append(cls._cast('cod_outstanding',
                Sum(facts.cod_receivable) - Sum(facts.cod_settled)))
        return columns


class Sale(metaclass=PoolMeta):
    "The indexes the statistics read orders by"
    __name__ = 'sale.sale'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update(change_indexes(t))
        cls._sql_indexes.update({
                Index(t, (t.delivered_date, Index.Range()),
                    where=t.delivered_date != Null),
                Index(t, (t.settled_date, Index.Range()),
                    where=t.settled_date != Null),
                })

    @classmethod
    def delete(cls, sales):
        "The rollups of the days of deleted orders are computed again"
        _, rollup_day = _rollup_tables()
        cursor = Transaction().connection.cursor()
        for sale in sales:
            with Transaction().set_context(company=sale.company.id):
                days = {sale.shipped_date}
                if sale.create_date:
                    zone = ZoneInfo(_timezone() or 'UTC')
                    days.add(sale.create_date.replace(
                            tzinfo=dt.timezone.utc).astimezone(zone).date())
            days.discard(None)
            cursor.execute(*rollup_day.delete(
                    where=(rollup_day.company == sale.company.id)
                    & rollup_day.day.in_(list(days))))
        super().delete(sales)


class ReviewLog(metaclass=PoolMeta):
    "Review rejections by date for the staff statistics"
    __name__ = 'sale.review.log'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.date, Index.Range()),
                where=t.action.in_(REVIEW_REJECTIONS)))


class Export(FileWizard):
    "The report as shown (range of the context) in an Excel workbook"
    __name__ = 'tv.statistics.export'

    def make_file(self):
        Report = self.model
        title = Report.__names__()['model']
        headers, rows = Report.export_rows()
        data = sheets.write_xlsx([(title, headers, rows)])
        context = Transaction().context
        dates = [str(context[d]) for d in ['from_date', 'to_date']
            if context.get(d)]
        name = '-'.join([Report.__name__.rsplit('.', 1)[-1]] + dates)
        summary = ' ~ '.join(dates)
        return data, f'{name}.xlsx', summary
