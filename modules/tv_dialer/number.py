# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The numbers a campaign calls, and how they get there.

Import rule (Excel/CSV): the file is refused as a whole only when it
cannot be read or has no phone column. Every other row is checked on its
own: a number is normalised to E.164 with tvcc.phone; a row without a
valid number, a number already met higher in the file, or one already in
the campaign is reported (row, text, reason) and skipped; every valid row
is added. Numbers on the do-not-call list or blacklisted are added but
marked so, and reported: they are never dialled.
"""
import datetime as dt
import string

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard
from tvcc import phone, sheets

from trytond.modules.tv_callcenter.tools import forget_cached
from trytond.modules.tv_callcenter.guard import ClientGuardMixin

from .campaign import OUTCOMES, batches, in_
from .exceptions import NumberImportError, NumberValidationError
from .window import callee_time_zones

NUMBER_STATES = [
    ('pending', "Pending"),
    ('dialing', "Dialing"),
    ('done', "Done"),
    ('failed', "Failed"),
    ('dnc', "Do Not Call"),
    ('blacklisted', "Blacklisted"),
    ]

# Normalised headers (tvcc.sheets.normalize_header) of the phone and name
# columns; every other column is kept for the message template.
PHONE_HEADERS = {'phone', 'mobile', 'tel', 'telephone', 'number',
    'phonenumber', 'mobilephone', '电话', '手机', '手机号', '手机号码',
    '电话号码', '号码', '联系电话', '联系方式'}
NAME_HEADERS = {'name', 'customer', 'customername', '姓名', '客户',
    '客户姓名', '客户名称', '名称', '联系人'}

# A number range generates at most this many numbers at once.
RANGE_CAP = 10000


class _Missing(dict):
    "Template placeholders without a value read as nothing"

    def __missing__(self, key):
        return ''


class Number(ClientGuardMixin, ModelSQL, ModelView):
    "A number to call in an outbound campaign"
    __name__ = 'dialer.number'
    __string__ = "Campaign Number"

    campaign = fields.Many2One('dialer.campaign', "Campaign", required=True,
        ondelete='CASCADE')
    phone = fields.Char("Phone", required=True,
        help="In international (E.164) form.")
    name = fields.Char("Name", help="How the callee is addressed.")
    party = fields.Many2One('party.party', "Customer", ondelete='SET NULL',
        help="The customer with this number, when there is one.")
    time_zones = fields.Char("Time Zones", readonly=True,
        help="Where the callee may be, from the number: the calling window "
        "is read in these time zones.")
    state = fields.Selection(NUMBER_STATES, "State", required=True,
        readonly=True, sort=False)
    attempts = fields.Integer("Attempts", required=True, readonly=True)
    next_attempt = fields.DateTime("Next Attempt", readonly=True,
        help="Empty: as soon as the calling window allows.")
    last_attempt = fields.DateTime("Last Attempt", readonly=True)
    last_outcome = fields.Selection([(None, "")] + OUTCOMES, "Last Outcome",
        readonly=True)
    dialing_since = fields.DateTime("Dialing Since", readonly=True)
    template_values = fields.Dict(None, "Template Values", readonly=True,
        help="The other columns of the imported row, for the message.")
    template_values_text = fields.Function(fields.Text("Template Values",
            help="The other columns of the imported row, for the message."),
        'get_template_values_text')
    call_attempts = fields.One2Many('dialer.attempt', 'number', "Calls",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('campaign_phone_unique', Unique(t, t.campaign, t.phone),
                'tv_dialer.msg_number_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.campaign, Index.Range()),
                    (t.state, Index.Equality()),
                    (t.next_attempt, Index.Range())),
                Index(t, (t.phone, Index.Equality())),
                })
        cls._order = [('campaign', 'DESC'), ('id', 'ASC')]
        cls._buttons.update({
                'reset': {
                    'invisible': ~Eval('state').in_(['failed', 'done']),
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_attempts(cls):
        return 0

    def get_rec_name(self, name):
        return self.phone

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if isinstance(operand, str):
            digits = ''.join(c for c in operand if c.isdigit())
            if digits and len(digits) >= 4 and 'like' in operator:
                operand = f'%{digits}%'
        return ['OR', ('phone', operator, operand, *extra),
            ('name', *clause[1:])]

    def get_template_values_text(self, name):
        return '\n'.join(f'{k}: {v}'
            for k, v in sorted((self.template_values or {}).items()))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        values = phone.normalize_field(values, 'phone',
            lambda raw: NumberValidationError(gettext(
                    'tv_dialer.msg_number_invalid', number=raw)))
        if values.get('phone'):
            values['time_zones'] = cls.time_zones_of(values['phone'])
        return values

    @classmethod
    def time_zones_of(cls, number):
        Configuration = Pool().get('callcenter.configuration')
        return callee_time_zones(number, Configuration(1).timezone)

    def message(self):
        "The broadcast message for this callee, placeholders filled"
        template = self.campaign.message_template or ''
        values = _Missing(self.template_values or {})
        values['name'] = self.name or (self.party.name if self.party else '')
        values['phone'] = phone.national(self.phone)
        return string.Formatter().vformat(template, (), values)

    @classmethod
    def blocked_states(cls, numbers, date):
        """{number id: state} of numbers that must not be called on date:
        'dnc' for the do-not-call list, 'blacklisted' for the blacklist"""
        blocked = cls.blocked_phones({n.phone for n in numbers}, date)
        return {n.id: blocked[n.phone] for n in numbers if n.phone in blocked}

    @classmethod
    def blocked_phones(cls, phones, date):
        """{E.164: 'dnc' or 'blacklisted'} of the phones that must not be
        called on date: the one rule of campaigns and of desk calls"""
        pool = Pool()
        DNC = pool.get('dialer.dnc')
        CallerList = pool.get('callcenter.caller_list')
        phones = set(phones)
        dnc = {e.number for e in DNC.search([
                    ('number', 'in', list(phones)),
                    ['OR', ('expires', '=', None), ('expires', '>=', date)],
                    ])}
        blacklist = {e.number for e in CallerList.search([
                    ('number', 'in', list(phones)),
                    ('kind', '=', 'blacklist'),
                    ['OR', ('expires', '=', None), ('expires', '>=', date)],
                    ])}
        result = {}
        for number in phones:
            if number in dnc:
                result[number] = 'dnc'
            elif number in blacklist:
                result[number] = 'blacklisted'
        return result

    @classmethod
    def mark_blocked(cls, numbers, date=None):
        """Mark the numbers that must not be called (do-not-call list,
        blacklist); return {number id: state} of those marked"""
        date = date or dt.date.today()
        blocked = {}
        for sub_numbers in batches(numbers):
            blocked.update(cls.blocked_states(sub_numbers, date))
        by_state = {}
        for id_, state in blocked.items():
            by_state.setdefault(state, []).append(id_)
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for state, ids in by_state.items():
            for sub_ids in batches(ids):
                cursor.execute(*table.update([table.state], [state],
                        where=in_(table.id, sub_ids)))
        if blocked:
            forget_cached(cls)
        return blocked

    def apply_outcome(self, outcome, now):
        """Recycle the number after a call (号码回收): answered closes it;
        another outcome schedules the next call per the campaign's retry
        rule, or closes it as failed when the rule says never or the
        attempts are used up"""
        campaign = self.campaign
        self.attempts = (self.attempts or 0) + 1
        self.last_outcome = outcome
        self.last_attempt = now
        self.dialing_since = None
        self.next_attempt = None
        if self.state in {'dnc', 'blacklisted'}:
            pass
        elif outcome == 'answered':
            self.state = 'done'
        else:
            delay = campaign.retry_delay(outcome)
            if delay is None or self.attempts >= campaign.max_attempts:
                self.state = 'failed'
            else:
                self.state = 'pending'
                self.next_attempt = now + dt.timedelta(minutes=delay)
        self.save()

    @classmethod
    def release(cls, numbers):
        "Give back numbers the engine took but did not dial"
        cls.write([n for n in numbers if n.state == 'dialing'],
            {'state': 'pending', 'dialing_since': None})

    @classmethod
    @ModelView.button
    def reset(cls, numbers):
        "Call the numbers again, from the first attempt"
        cls.write(numbers, {
                'state': 'pending', 'attempts': 0, 'next_attempt': None,
                'dialing_since': None})

    @classmethod
    def add_to_campaign(cls, campaign, rows):
        """Add rows (dicts: row, raw, name, template_values) to campaign;
        return (numbers added to call, numbers added but blocked, report)
        where report is [(row, raw, reason)] of the rows skipped or
        blocked, in row order"""
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        report, seen, valid = [], {}, []
        for row in rows:
            if row.get('unreadable'):
                report.append((row['row'], row['raw'], gettext(
                            'tv_dialer.msg_row_unreadable',
                            reason=row['unreadable'])))
                continue
            if not row['raw']:
                report.append((row['row'], '', gettext(
                            'tv_dialer.msg_row_no_number')))
                continue
            number = phone.normalize_or_none(row['raw'])
            if not number:
                report.append((row['row'], row['raw'], gettext(
                            'tv_dialer.msg_row_invalid',
                            number=row['raw'])))
            elif number in seen:
                report.append((row['row'], row['raw'], gettext(
                            'tv_dialer.msg_row_duplicate',
                            row=seen[number])))
            else:
                seen[number] = row['row']
                valid.append({**row, 'phone': number})
        existing = set()
        for sub_phones in batches([r['phone'] for r in valid]):
            cursor.execute(*table.select(table.phone,
                    where=(table.campaign == campaign.id)
                    & in_(table.phone, sub_phones)))
            existing.update(p for p, in cursor)
        to_create = []
        for row in valid:
            if row['phone'] in existing:
                report.append((row['row'], row['raw'], gettext(
                            'tv_dialer.msg_row_in_campaign')))
            else:
                to_create.append(row)
        parties = {}
        for sub_phones in batches([r['phone'] for r in to_create]):
            for mechanism in ContactMechanism.search([
                        ('value_compact', 'in', sub_phones),
                        ('type', 'in', ['phone', 'mobile']),
                        ], order=[('id', 'ASC')]):
                parties.setdefault(mechanism.value_compact,
                    mechanism.party.id)
        numbers, blocked = [], {}
        # In batches: browsing n records at once costs n² in trytond.
        for sub_rows in batches(to_create):
            sub_numbers = cls.create([{
                        'campaign': campaign.id,
                        'phone': r['phone'],
                        'name': r.get('name') or None,
                        'party': parties.get(r['phone']),
                        'template_values': r.get('template_values') or None,
                        } for r in sub_rows])
            blocked.update(cls.mark_blocked(sub_numbers))
            numbers.extend(sub_numbers)
        reasons = {
            'dnc': gettext('tv_dialer.msg_row_dnc'),
            'blacklisted': gettext('tv_dialer.msg_row_blacklisted'),
            }
        for row, number in zip(to_create, numbers):
            if number.id in blocked:
                report.append((row['row'], row['raw'],
                        reasons[blocked[number.id]]))
        report.sort(key=lambda r: r[0])
        return len(numbers) - len(blocked), len(blocked), report

    @classmethod
    def rows_from_file(cls, data, filename=''):
        "The rows of an Excel/CSV file for add_to_campaign"
        try:
            headers, body = sheets.read_table(data, filename,
                known=PHONE_HEADERS | NAME_HEADERS)
        except sheets.SheetLimitError as error:
            raise NumberImportError(gettext(
                    'tv_dialer.msg_import_limit',
                    file=filename or '', reason=error.reason)) from None
        except sheets.SheetError:
            raise NumberImportError(gettext(
                    'tv_dialer.msg_import_unreadable',
                    file=filename or '')) from None
        phone_column = next(
            (i for i, h in enumerate(headers) if h in PHONE_HEADERS), None)
        if phone_column is None:
            if headers and phone.normalize_or_none(
                    sheets.cell_text(headers[0])):
                # No header row: the first column holds the numbers.
                body = [(1, [headers[0]])] + body
                headers, phone_column = [''], 0
            else:
                raise NumberImportError(gettext(
                        'tv_dialer.msg_import_no_phone_column',
                        file=filename or '',
                        found=', '.join(h for h in headers if h) or '-'))
        name_column = next(
            (i for i, h in enumerate(headers) if h in NAME_HEADERS), None)
        rows = []
        for row_number, cells in body:
            raw = cells[phone_column] if phone_column < len(cells) else None
            cells = [sheets.cell_text(c) for c in cells]
            cells += [''] * (len(headers) - len(cells))
            values = {h: c for i, (h, c) in enumerate(zip(headers, cells))
                if h and c and i not in {phone_column, name_column}}
            rows.append({
                    'row': row_number,
                    'raw': sheets.identifier(raw),
                    'unreadable': sheets.identifier_error(raw),
                    'name': cells[name_column]
                    if name_column is not None else None,
                    'template_values': values,
                    })
        return rows

    @classmethod
    def rows_from_range(cls, prefix, first, last, digits):
        """The rows of a number range (自动号码段): prefix followed by first
        to last, written on digits digits (1380013 + 0000..9999)"""
        prefix = ''.join(c for c in (prefix or '') if c.isdigit()
            or c == '+')
        if first < 0 or last < first or len(str(last)) > digits:
            raise NumberImportError(gettext(
                    'tv_dialer.msg_range_invalid',
                    first=first, last=last, digits=digits))
        if last - first + 1 > RANGE_CAP:
            raise NumberImportError(gettext(
                    'tv_dialer.msg_range_too_large',
                    count=last - first + 1, cap=RANGE_CAP))
        return [{'row': i + 1, 'raw': f'{prefix}{n:0{digits}d}'}
            for i, n in enumerate(range(first, last + 1))]


class NumberReport(ModelView):
    "What adding numbers to a campaign did"
    __name__ = 'dialer.number.report'
    __string__ = "Number Import Report"

    added = fields.Integer("Added", readonly=True,
        help="Numbers added that will be called.")
    blocked = fields.Integer("Blocked", readonly=True,
        help="Numbers added but on the do-not-call list or blacklisted: "
        "they will not be called.")
    skipped = fields.Integer("Skipped", readonly=True,
        help="Rows not added: invalid, repeated, or already in the "
        "campaign.")
    report = fields.Text("Report", readonly=True,
        help="One line per row skipped or blocked, with the reason.")

    @classmethod
    def values(cls, added, blocked, report):
        return {
            'added': added,
            'blocked': blocked,
            'skipped': len(report) - blocked,
            'report': '\n'.join(gettext('tv_dialer.msg_report_line',
                    row=row, number=raw or '-', reason=reason)
                for row, raw, reason in report),
            }


class NumberImportStart(ModelView):
    "Import numbers from a file"
    __name__ = 'dialer.number.import.start'
    __string__ = "Import Numbers"

    file = fields.Binary("File", filename='filename', required=True,
        help="Excel (.xlsx) or CSV: a column headed phone, 电话 or 手机 "
        "(or numbers alone in the first column); optionally a name column "
        "(姓名); other columns can be used in the broadcast message.")
    filename = fields.Char("File Name")


class _AddNumbersMixin:
    result = StateView('dialer.number.report',
        'tv_dialer.number_report_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def add_rows(self, rows):
        "Add rows (a function giving them) to the campaign, then report"
        pool = Pool()
        Number = pool.get('dialer.number')
        Report = pool.get('dialer.number.report')
        if self.record.state == 'stopped':
            raise NumberImportError(gettext(
                    'tv_dialer.msg_import_stopped',
                    campaign=self.record.rec_name))
        self._report = Report.values(
            *Number.add_to_campaign(self.record, rows()))
        return 'result'

    def default_result(self, fields):
        return self._report


class NumberImport(_AddNumbersMixin, Wizard):
    "Import numbers from a file"
    __name__ = 'dialer.number.import'
    start = StateView('dialer.number.import.start',
        'tv_dialer.number_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()

    def transition_import_(self):
        Number = Pool().get('dialer.number')
        return self.add_rows(lambda: Number.rows_from_file(
                self.start.file, self.start.filename))


class NumberGenerateStart(ModelView):
    "Generate numbers from a range"
    __name__ = 'dialer.number.generate.start'
    __string__ = "Generate Numbers"

    prefix = fields.Char("Prefix", required=True,
        help="The digits every number starts with, e.g. 1380013.")
    first = fields.Integer("From", required=True)
    last = fields.Integer("To", required=True)
    digits = fields.Integer("Digits", required=True,
        help="How many digits follow the prefix (4: 0000 to 9999).")
    count = fields.Function(fields.Integer("Count"), 'on_change_with_count')

    @classmethod
    def default_first(cls):
        return 0

    @classmethod
    def default_last(cls):
        return 9999

    @classmethod
    def default_digits(cls):
        return 4

    @fields.depends('first', 'last')
    def on_change_with_count(self, name=None):
        if self.first is not None and self.last is not None:
            return max(0, self.last - self.first + 1)


class NumberGenerate(_AddNumbersMixin, Wizard):
    "Generate numbers from a range (自动号码段)"
    __name__ = 'dialer.number.generate'
    start = StateView('dialer.number.generate.start',
        'tv_dialer.number_generate_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Generate", 'generate', 'tryton-ok', default=True),
            ])
    generate = StateTransition()

    def transition_generate(self):
        Number = Pool().get('dialer.number')
        return self.add_rows(lambda: Number.rows_from_range(
                self.start.prefix, self.start.first, self.start.last,
                self.start.digits))
