# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Call statistics (话务统计, seed §3.4.6): what every report shares.

The reports (report_queue, report_agent, report_ivr, report_detail) are
table_query models over the call records and the agent state log, with the
context model of this file: a range of the centre's local days, the period
rows (year, month, day, hour, 15 minutes or the whole range) and the key
(queue, agent, trunk, called number).

The periods are a VALUES list made here from the local boundaries (the
company's timezone, else the call center's) converted to UTC: a call is
joined to the period its start falls in by a range condition on the
indexed UTC column, and an agent state is joined to every period it
overlaps and counted for the overlap only, so a state crossing midnight or
an hour is split at the boundary. The same SQL runs on PostgreSQL and
SQLite; nothing is computed per record in Python.
"""
import datetime as dt
from zoneinfo import ZoneInfo

from sql import Cast, Column, Literal, Null, Values
from sql.aggregate import Sum
from sql.conditionals import Case, Coalesce
from sql.functions import (
    AtTimeZone, DateTrunc, Extract, Floor, Function, Round)
from sql.operators import Concat

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from tvcc import sheets

from .exceptions import ReportError

RANGES = [
    ('today', "Today"),
    ('yesterday', "Yesterday"),
    ('this_week', "This Week"),
    ('last_week', "Last Week"),
    ('this_month', "This Month"),
    ('last_month', "Last Month"),
    ('custom', "Custom"),
    ]
PERIODS = [
    ('year', "Year"),
    ('month', "Month"),
    ('day', "Day"),
    ('hour', "Hour"),
    ('quarter_hour', "15 Minutes"),
    ('range', "Whole Range"),
    ]
KEYS = [
    ('queue', "Queue"),
    ('agent', "Agent"),
    ('trunk', "Trunk"),
    ('did', "Called Number (Medium)"),
    ('none', "Nothing"),
    ]
# A report of more periods than this is refused (a month of 15 minutes is
# 2,976): choose a coarser grouping or a shorter range.
MAX_PERIODS = 3000
# Row ids: period index × KEY_SPAN + the key's id (or, for rows of many
# keys, the id of one of their source rows: under 10 ** 10, and 3,000
# periods × 10 ** 10 stays within the integers a browser keeps exact).
KEY_SPAN = 10 ** 10


def range_dates(range_, today):
    "(from, to) dates of a named range ending today; None for custom"
    monday = today - dt.timedelta(days=today.weekday())
    first = today.replace(day=1)
    last_month_end = first - dt.timedelta(days=1)
    return {
        'today': (today, today),
        'yesterday': (today - dt.timedelta(days=1),) * 2,
        'this_week': (monday, today),
        'last_week': (monday - dt.timedelta(days=7),
            monday - dt.timedelta(days=1)),
        'this_month': (first, today),
        'last_month': (last_month_end.replace(day=1), last_month_end),
        }.get(range_)


def _context():
    return Transaction().context


def timezone():
    "The centre's timezone: the company's, else the call center's"
    pool = Pool()
    company_id = _context().get('company')
    zone = None
    with without_check_access():
        if company_id:
            zone = pool.get('company.company')(company_id).timezone
        if not zone:
            zone = pool.get('callcenter.configuration')(1).timezone
    return ZoneInfo(zone or 'UTC')


def local_today():
    return dt.datetime.now(timezone()).date()


def _next(start, period):
    if period == 'year':
        return start.replace(year=start.year + 1)
    if period == 'month':
        if start.month == 12:
            return start.replace(year=start.year + 1, month=1)
        return start.replace(month=start.month + 1)
    return start + {
        'day': dt.timedelta(days=1),
        'hour': dt.timedelta(hours=1),
        'quarter_hour': dt.timedelta(minutes=15),
        }[period]


def _floor(moment, period):
    if period == 'year':
        return moment.replace(month=1, day=1, hour=0, minute=0)
    if period == 'month':
        return moment.replace(day=1, hour=0, minute=0)
    if period == 'day':
        return moment.replace(hour=0, minute=0)
    if period == 'hour':
        return moment.replace(minute=0)
    return moment.replace(minute=moment.minute // 15 * 15)


def _utc(local, zone):
    return local.replace(tzinfo=zone).astimezone(dt.timezone.utc).replace(
        tzinfo=None)


def periods(from_date, to_date, period, zone):
    """[(index, local start, UTC start, UTC end)] of the periods of the
    local days from_date … to_date; the first and last are cut to the
    range (a month of a range starting on the 10th starts on the 10th)"""
    start = dt.datetime.combine(from_date, dt.time())
    end = dt.datetime.combine(to_date + dt.timedelta(days=1), dt.time())
    if period == 'range':
        return [(0, start, _utc(start, zone), _utc(end, zone))]
    result = []
    moment = _floor(start, period)
    while moment < end:
        following = _next(moment, period)
        low, high = max(moment, start), min(following, end)
        result.append((len(result), moment, _utc(low, zone),
                _utc(high, zone)))
        if len(result) > MAX_PERIODS:
            raise ReportError(gettext(
                    'tv_callcenter.msg_report_too_many_periods',
                    limit=MAX_PERIODS))
        moment = following
    return result


def _context_dates():
    context = _context()
    today = local_today()
    from_date = context.get('from_date') or today
    to_date = context.get('to_date') or from_date
    if isinstance(from_date, str):
        from_date = dt.date.fromisoformat(from_date)
    if isinstance(to_date, str):
        to_date = dt.date.fromisoformat(to_date)
    return from_date, to_date


def range_bounds():
    "(UTC start, UTC end) of the context's range of local days"
    from_date, to_date = _context_dates()
    (_, _, low, high), = periods(from_date, to_date, 'range', timezone())
    return low, high


def report_periods():
    "periods() of the context (today when it names no range)"
    from_date, to_date = _context_dates()
    return periods(from_date, to_date, _context().get('period') or 'day',
        timezone())


def within_periods(column):
    """column (UTC) inside the first and last periods: a constant range
    beside the join's, for the planner and the index"""
    rows = report_periods()
    return (column >= rows[0][2]) & (column < rows[-1][3])


def in_period(column, local):
    """The join of a UTC timestamp column to its period (local, the
    period_table's local start): an equality on the column's local period
    start, so PostgreSQL hashes it instead of comparing every pair"""
    period = _context().get('period') or 'day'
    if period == 'range':
        return within_periods(column)
    if backend.name == 'sqlite':
        # No time zones in SQLite: the zone's offset at the range's start.
        first = report_periods()[0][2]
        offset = timezone().utcoffset(first)
        utc_column, column = column, _Datetime(column,
            Literal(f'{int(offset.total_seconds()):+d} seconds'))
        text = {
            'year': '%Y-01-01 00:00:00',
            'month': '%Y-%m-01 00:00:00',
            'day': '%Y-%m-%d 00:00:00',
            'hour': '%Y-%m-%d %H:00:00',
            }.get(period)
        if text:
            start = _StrFTime(text, column)
        else:
            # Back by the minutes past the quarter.
            start = _StrFTime('%Y-%m-%d %H:%M:00', _Datetime(column,
                    Concat(Concat(Literal('-'), Cast(
                                Cast(_StrFTime('%M', column), 'INTEGER')
                                % Literal(15), 'TEXT')),
                        Literal(' minutes'))))
        return (start == local) & within_periods(utc_column)
    zone = str(timezone())
    moment = AtTimeZone(AtTimeZone(column, 'UTC'), zone)
    if period == 'quarter_hour':
        start = DateTrunc('hour', moment) + Floor(
            Extract('MINUTE', moment) / Literal(15)) * Cast(
            Literal('15 minutes'), 'INTERVAL')
    else:
        start = DateTrunc(period, moment)
    return (start == local) & within_periods(column)


class _StrFTime(Function):
    __slots__ = ()
    _function = 'STRFTIME'


class _Datetime(Function):
    __slots__ = ()
    _function = 'DATETIME'


def period_table():
    "The periods as a table: index, start (local), utc_start, utc_end"
    rows = [[Literal(i), Literal(local), Literal(low), Literal(high)]
        for i, local, low, high in report_periods()]
    if backend.name == 'postgresql':
        # Typed first row: PostgreSQL reads the parameters as text else.
        first = rows[0]
        rows[0] = [first[0], Cast(first[1], 'TIMESTAMP'),
            Cast(first[2], 'TIMESTAMP'), Cast(first[3], 'TIMESTAMP')]
    return Values(rows)


def period_columns(table):
    "(index, local start, UTC start, UTC end) columns of period_table()"
    return tuple(Column(table, f'column{i}') for i in range(1, 5))


class _Greatest(Function):
    __slots__ = ()
    _function = 'GREATEST'


class _Least(Function):
    __slots__ = ()
    _function = 'LEAST'


class _Max(Function):
    __slots__ = ()
    _function = 'MAX'


class _Min(Function):
    __slots__ = ()
    _function = 'MIN'


class _JulianDay(Function):
    __slots__ = ()
    _function = 'JULIANDAY'


def greatest(*values):
    return (_Max if backend.name == 'sqlite' else _Greatest)(*values)


def least(*values):
    return (_Min if backend.name == 'sqlite' else _Least)(*values)


def seconds_between(end, start):
    "end - start (timestamps) in seconds, as a float"
    if backend.name == 'sqlite':
        # Julian days are floats: rounded to the millisecond.
        return Round(
            (_JulianDay(end) - _JulianDay(start)) * Literal(86400.0), 3)
    return Extract('EPOCH', end - start)


def seconds(duration):
    "A TimeDelta column in seconds (NULL stays NULL)"
    if backend.name == 'sqlite':
        return Cast(duration, 'FLOAT')
    return Extract('EPOCH', duration)


def count_if(condition):
    return Sum(Case((condition, 1), else_=0))


def sum_if(condition, value):
    return Sum(Case((condition, value), else_=Null))


def ratio(numerator, denominator):
    "numerator / denominator as a float, NULL when nothing to divide by"
    return Case((Coalesce(denominator, 0) > 0,
            Cast(numerator, 'FLOAT') / Cast(denominator, 'FLOAT')),
        else_=Null)


def utc_now():
    return dt.datetime.utcnow().replace(microsecond=0)


def thresholds():
    "(abandon threshold, service level threshold) in seconds"
    Configuration = Pool().get('callcenter.configuration')
    with without_check_access():
        config = Configuration(1)
        return (config.abandon_threshold or 0,
            config.service_level_threshold or 0)


def team_agents():
    """The ids of the agents whose figures the user may read (a team
    leader's own team), or None for all of them (managers, administrators,
    the server)"""
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    User = pool.get('res.user')
    Agent = pool.get('callcenter.agent')
    user = Transaction().user
    if not user:
        return None
    groups = set(User.get_groups())
    if ModelData.get_id('tv_callcenter', 'group_manager') in groups:
        return None
    with without_check_access():
        return [a.id for a in Agent.search([
                    ('team_leader', '=', user),
                    ('active', 'in', [True, False]),
                    ])]


def team_calls(call):
    """The condition on a call table of the calls a team leader may count:
    answered by, or queued at a queue of, one of their agents"""
    pool = Pool()
    Member = pool.get('callcenter.queue.member')
    agents = team_agents()
    if agents is None:
        return Literal(True)
    if not agents:
        return Literal(False)
    member = Member.__table__()
    return (call.agent.in_(agents) | call.queue.in_(member.select(
                member.queue, where=member.agent.in_(agents))))


def team_agent_condition(column):
    agents = team_agents()
    if agents is None:
        return Literal(True)
    return column.in_(agents) if agents else Literal(False)


class ReportContext(ModelView):
    "The range, periods and key of every call statistics report"
    __name__ = 'callcenter.report.context'
    __string__ = "Call Statistics"

    range = fields.Selection(RANGES, "Range")
    from_date = fields.Date("From Date", required=True,
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ])
    to_date = fields.Date("To Date", required=True,
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ])
    period = fields.Selection(PERIODS, "Period", required=True,
        help="One row per year, month, day, hour or 15 minutes of the "
        "centre's local time, or one for the whole range.")
    key = fields.Selection(KEYS, "Group By", required=True,
        help="The rows of the queue report and of the call details: per "
        "queue, answering agent, trunk or called number (each number is "
        "a TV programme's medium).")
    note = fields.Text("Definitions", readonly=True)

    @classmethod
    def default_range(cls):
        return _context().get('range', 'today')

    @classmethod
    def default_from_date(cls):
        if _context().get('from_date'):
            return _context()['from_date']
        return range_dates(cls.default_range(), local_today())[0]

    @classmethod
    def default_to_date(cls):
        if _context().get('to_date'):
            return _context()['to_date']
        return range_dates(cls.default_range(), local_today())[1]

    @classmethod
    def default_period(cls):
        return _context().get('period', 'day')

    @classmethod
    def default_key(cls):
        return _context().get('key', 'queue')

    @classmethod
    def default_note(cls):
        abandon, level = thresholds()
        return gettext('tv_callcenter.msg_report_note',
            abandon=abandon, level=level)

    @fields.depends('range')
    def on_change_range(self):
        dates = range_dates(self.range, local_today())
        if dates:
            self.from_date, self.to_date = dates

    @fields.depends('range', 'from_date', 'to_date')
    def on_change_from_date(self):
        if (self.from_date, self.to_date) != range_dates(
                self.range, local_today()):
            self.range = 'custom'

    on_change_to_date = on_change_from_date


class WithoutJITMixin:
    """Reports of big aggregates: PostgreSQL's JIT compiles them for longer
    (seconds) than they take to run, so it is off for the transaction that
    searches or reads them (the call and the business statistics)"""
    __slots__ = ()

    @classmethod
    def search(cls, *args, **kwargs):
        cls._without_jit()
        return super().search(*args, **kwargs)

    @classmethod
    def read(cls, *args, **kwargs):
        cls._without_jit()
        return super().read(*args, **kwargs)

    @classmethod
    def _without_jit(cls):
        if backend.name == 'postgresql':
            Transaction().connection.cursor().execute('SET LOCAL jit = off')


class CallReport(WithoutJITMixin, ModelSQL, ModelView):
    """A call statistics report: a table_query of the context's periods
    (and key); subclasses give table_query, the list's _export_fields"""
    period_start = fields.Timestamp("Period Start")
    period = fields.Function(fields.Char("Period",
            help="The period of the centre's local time the row counts."),
        'get_period')

    _export_fields = []

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('period_start', 'ASC'), ('id', 'ASC')]

    def get_period(self, name):
        start = self.period_start
        if isinstance(start, str):
            start = dt.datetime.fromisoformat(start)
        if start is None:
            return ''
        period = _context().get('period') or 'day'
        if period == 'range':
            context = _context()
            return ' ~ '.join(str(context[d]) for d in
                ['from_date', 'to_date'] if context.get(d))
        return start.strftime({
                'year': '%Y',
                'month': '%Y-%m',
                'day': '%Y-%m-%d',
                'hour': '%Y-%m-%d %H:00',
                'quarter_hour': '%Y-%m-%d %H:%M',
                }[period])

    @classmethod
    def _row_id(cls, index, key):
        return Cast(index, 'BIGINT') * KEY_SPAN + Coalesce(key, 0)

    @classmethod
    def _cast(cls, name, expression):
        return getattr(cls, name).sql_cast(expression).as_(name)

    @classmethod
    def export_rows(cls):
        """(headers, rows) of the list as shown for the context: the
        labels in the user's language, rates in percent"""
        ModelAccess = Pool().get('ir.model.access')
        definitions = cls.fields_get(cls._export_fields)
        # A column whose records the user may not read is not in their list
        # (Tryton leaves it out of the view): not in the file either.
        names = [name for name in cls._export_fields
            if not definitions[name].get('relation')
            or ModelAccess.check(definitions[name]['relation'], 'read',
                raise_exception=False)]
        headers, percents = [], []
        for name in names:
            header = definitions[name]['string']
            percent = name.endswith('_rate') or name.startswith(
                ('service_level', 'occupancy'))
            if percent:
                header += ' (%)'
            headers.append(header)
            percents.append(percent)
        rows = []
        for record in cls.search([]):
            row = []
            for name, percent in zip(names, percents):
                value = getattr(record, name)
                selection = definitions[name].get('selection')
                if isinstance(value, ModelSQL):
                    value = value.rec_name
                elif selection and not isinstance(selection, str):
                    value = dict(selection).get(value, value)
                elif percent and value is not None:
                    value = round(value * 100, 2)
                elif isinstance(value, float):
                    value = round(value, 1)
                row.append(value)
            rows.append(row)
        return headers, rows


class ReportFile(ModelView):
    "A report exported to Excel"
    __name__ = 'callcenter.report.file'
    __string__ = "Export to Excel"

    file = fields.Binary("File", filename='filename', readonly=True)
    filename = fields.Char("File Name", readonly=True)


class ReportExport(Wizard):
    "The report as shown (range, periods, key) in an Excel workbook"
    __name__ = 'callcenter.report.export'
    start_state = 'make'
    make = StateTransition()
    result = StateView('callcenter.report.file',
        'tv_callcenter.report_file_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_make(self):
        return 'result'

    def default_result(self, fields):
        Report = self.model
        headers, rows = Report.export_rows()
        title = Report.__names__()['model']
        data = sheets.write_xlsx([(title, headers, rows)])
        context = Transaction().context
        dates = [str(context[d]) for d in ['from_date', 'to_date']
            if context.get(d)]
        filename = '-'.join(
            [Report.__name__.rsplit('.', 1)[-1]] + dates) + '.xlsx'
        Pool().get('tv.audit.log').record(
            Report, self.records, 'download', action=filename)
        return {'file': data, 'filename': filename}
