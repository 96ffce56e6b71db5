"""Spreadsheets in and out: every Excel/CSV export and import goes here.

write_xlsx() and write_csv() make a file from headers and rows, every text
cell neutralised so that a spreadsheet never runs it as a formula;
read_table() reads an uploaded .xlsx or .csv (UTF-8, UTF-8 with BOM or GBK,
as Chinese couriers send them) into (headers, rows) with the spreadsheet row
number of each row, within the size and row limits below. identifier(),
parse_amount() and parse_date() read the cells the way every import needs:
full-width digits and letters (１２３, ＳＦ), ¥/元 amounts, Excel date serials
and Chinese dates.
"""
import csv
import datetime as dt
import io
import os
import re
import unicodedata
import zipfile
from decimal import Decimal, InvalidOperation

# A fixed creation date: the same content always gives the same bytes
# (re-exporting a shipping batch gives the same file).
_EPOCH = dt.datetime(2000, 1, 1)

# Limits of one imported file (issue 12.7), overridable from the
# environment: a file larger or longer is refused whole before it is parsed.
MAX_BYTES = int(float(os.environ.get('TVCC_IMPORT_MAX_MB', 20)) * 1024 * 1024)
MAX_ROWS = int(os.environ.get('TVCC_IMPORT_MAX_ROWS', 200000))
MAX_COLUMNS = 256
# An .xlsx is a zip: what it unpacks to is bounded too (a few kB can
# unpack to gigabytes; openpyxl holds the shared strings in memory).
MAX_UNPACKED_BYTES = 12 * MAX_BYTES
MAX_SHARED_STRINGS_BYTES = 4 * MAX_BYTES
# Rows above the header a courier may put (title, date, blank lines).
HEADER_SCAN = 20


class SheetError(Exception):
    "The file cannot be read as a table (the whole file is refused)"


class SheetLimitError(SheetError):
    "The file is over a limit (the whole file is refused); reason in Chinese"

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


# -- Writing ------------------------------------------------------------

# What makes Excel, LibreOffice or WPS read a cell as a formula (OWASP CSV
# injection); such text is written with a leading apostrophe.
_FORMULA_START = ('=', '+', '-', '@', '\t', '\r', '\n')


def safe_text(value):
    "value as text a spreadsheet shows and never evaluates"
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _is_number(value):
    return isinstance(value, (int, float, Decimal)) \
        and not isinstance(value, bool)


def write_xlsx(sheets):
    """Workbook bytes of sheets: [(title, headers, rows)] where rows are
    lists of str, int, Decimal, float, date or None"""
    import xlsxwriter
    data = io.BytesIO()
    workbook = xlsxwriter.Workbook(data, {'in_memory': True,
            'strings_to_formulas': False, 'strings_to_urls': False})
    workbook.set_properties({'created': _EPOCH})
    bold = workbook.add_format({'bold': True})
    date_format = workbook.add_format({'num_format': 'yyyy-mm-dd'})
    money = workbook.add_format({'num_format': '0.00'})
    for title, headers, rows in sheets:
        sheet = workbook.add_worksheet(title[:31])
        widths = [max(8, _width(h)) for h in headers]
        for column, header in enumerate(headers):
            sheet.write_string(0, column, safe_text(header), bold)
        for row_index, row in enumerate(rows, 1):
            for column, value in enumerate(row):
                if value is None or value == '':
                    continue
                if isinstance(value, dt.datetime):
                    sheet.write_string(row_index, column,
                        value.strftime('%Y-%m-%d %H:%M:%S'))
                elif isinstance(value, dt.date):
                    sheet.write_datetime(row_index, column,
                        dt.datetime.combine(value, dt.time()), date_format)
                elif isinstance(value, Decimal):
                    sheet.write_number(row_index, column, float(value),
                        money)
                elif _is_number(value):
                    sheet.write_number(row_index, column, value)
                else:
                    # Phone and waybill numbers stay text (no 1.3E+10).
                    sheet.write_string(row_index, column, safe_text(value))
                if column < len(widths) and row_index <= 200:
                    widths[column] = max(widths[column],
                        min(40, _width(value)))
        for column, width in enumerate(widths):
            sheet.set_column(column, column, width + 2)
    workbook.close()
    return data.getvalue()


def write_csv(headers, rows):
    """CSV bytes (UTF-8 with BOM, which Excel opens as such) of headers and
    rows, text neutralised as in write_xlsx"""
    def text(value):
        if value is None:
            return ''
        if isinstance(value, dt.datetime):
            return value.strftime('%Y-%m-%d %H:%M:%S')
        if isinstance(value, dt.date):
            return value.isoformat()
        if _is_number(value):
            return str(value)
        return safe_text(value)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\r\n')
    writer.writerow([text(h) for h in headers])
    for row in rows:
        writer.writerow([text(v) for v in row])
    return out.getvalue().encode('utf-8-sig')


def _width(value):
    text = str(value)
    return sum(2 if ord(c) > 0x2e7f else 1 for c in text)


# -- Reading ------------------------------------------------------------

def read_table(data, filename='', known=(), max_rows=None, max_bytes=None):
    """(headers, [(row number, [cell, ...])]) of an .xlsx or .csv file;
    empty rows are skipped; cells are str, or date/number from Excel.

    known: header names the caller looks for; the header row is the first
    of the top rows naming one of them (a title row above it, such as
    "顺丰速运 2025年11月对账单", is skipped), else the first row. Rows
    repeating the header or a title row further down are skipped too."""
    max_rows = MAX_ROWS if max_rows is None else max_rows
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    if not data:
        raise SheetError('empty')
    if isinstance(data, str):
        data = data.encode('utf-8')
    if len(data) > max_bytes:
        raise SheetLimitError('文件大小 %.1f MB，超过 %.0f MB 的上限，'
            '请拆分成多个文件' % (len(data) / 2**20, max_bytes / 2**20))
    # Rows above the header and the header itself come on top of the data.
    max_read = max_rows + HEADER_SCAN
    if data[:2] == b'PK' or (filename or '').lower().endswith('.xlsx'):
        raw_rows = _read_xlsx(data, max_read)
    else:
        raw_rows = _read_csv(data)
    rows = []
    for number, cells in raw_rows:
        if number > max_read:
            raise _too_many_rows(max_rows)
        if len(cells) > MAX_COLUMNS:
            cells = list(cells)
            if any(c not in (None, '') for c in cells[MAX_COLUMNS:]):
                raise SheetLimitError('第 %d 行有 %d 列，超过 %d 列的上限'
                    % (number, len(cells), MAX_COLUMNS))
            del cells[MAX_COLUMNS:]
        if any(c not in (None, '') for c in cells):
            rows.append((number, cells))
    if not rows:
        raise SheetError('empty')
    start = _header_index(rows, known)
    above, ((_, headers), *body) = rows[:start], rows[start:]
    if start or not known or _names_known(headers, known):
        # A header repeated inside the data (files pasted one after
        # another, or printed with a header on every page) is not data.
        # (A first row that is no header is data: its repeats too.)
        repeated = {_row_key(cells) for _, cells in above + [(0, headers)]}
        # Cheap first: only a row starting as one of those can repeat it.
        firsts = {cells[0] for _, cells in above + [(0, headers)]}
        body = [(number, cells) for number, cells in body
            if cells[0] not in firsts or _row_key(cells) not in repeated]
    if len(body) > max_rows:
        raise _too_many_rows(max_rows)
    headers = [normalize_header(h) for h in headers]
    return headers, body


def _too_many_rows(max_rows):
    return SheetLimitError('超过 %d 行的上限，请拆分成多个文件' % max_rows)


def _names_known(cells, known):
    return bool({normalize_header(k) for k in known}
        & {normalize_header(c) for c in cells})


def _header_index(rows, known):
    "Index in rows of the header row"
    if known:
        for index, (_, cells) in enumerate(rows[:HEADER_SCAN]):
            if _names_known(cells, known):
                return index
    return 0


def _row_key(cells):
    key = [normalize_header(c) for c in cells]
    while key and not key[-1]:
        key.pop()
    return tuple(key)


def _check_xlsx_archive(data):
    "Refuse an .xlsx that would unpack to more than the limits"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise SheetError(str(error)) from None
    unpacked = sum(m.file_size for m in members)
    shared = sum(m.file_size for m in members
        if m.filename.lower().endswith('sharedstrings.xml'))
    if unpacked > MAX_UNPACKED_BYTES or shared > MAX_SHARED_STRINGS_BYTES:
        raise SheetLimitError('Excel 文件解压后 %.0f MB，超过 %.0f MB 的上限'
            % (unpacked / 2**20, MAX_UNPACKED_BYTES / 2**20))


def _read_xlsx(data, max_read):
    "The (row number, cells) of the first sheet, lazily"
    import openpyxl
    _check_xlsx_archive(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True,
            data_only=True)
        sheet = workbook.worksheets[0]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError,
            IndexError) as error:
        raise SheetError(str(error)) from None
    # In read-only mode openpyxl pads every row to the declared dimension
    # and yields every row up to it: 5 kB can declare 17 billion cells.
    declared_rows, declared_columns = sheet.max_row, sheet.max_column
    if (declared_rows, declared_columns) == (1, 1):
        # Some portals write "A1" whatever the size: read what is there.
        sheet.reset_dimensions()
        declared_rows = declared_columns = None
    if (declared_rows or 0) > max_read \
            or (declared_columns or 0) > MAX_COLUMNS:
        workbook.close()
        raise SheetLimitError('工作表声明了 %d 行 × %d 列，超过上限（%d 行、'
            '%d 列）：请删除多余的空行和空列后另存' % (declared_rows or 0,
                declared_columns or 0, max_read - HEADER_SCAN, MAX_COLUMNS))
    # Undeclared: read no wider than the limit (cells beyond are dropped).
    max_col = None if declared_columns else MAX_COLUMNS + 1
    try:
        for number, cells in enumerate(
                sheet.iter_rows(values_only=True, max_col=max_col), 1):
            yield number, [c.strip() if isinstance(c, str) else c
                for c in cells]
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as error:
        raise SheetError(str(error)) from None
    finally:
        workbook.close()


def _read_csv(data):
    for encoding in ('utf-8-sig', 'gb18030'):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError('encoding')
    if '\x00' in text:
        raise SheetError('binary')
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=',\t;')
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        for number, cells in enumerate(reader, 1):
            yield number, [c.strip() for c in cells]
    except csv.Error as error:
        raise SheetError(str(error)) from None


# -- Cells --------------------------------------------------------------

# Characters copy-paste from courier portals leaves in numbers.
_INVISIBLE = re.compile('[\u200b\u200c\u200d\u2060\ufeff]')


def normalize_text(value):
    """A cell's text in its normal form: full-width digits, letters and
    spaces as ASCII (Unicode NFKC), invisible characters removed, trimmed"""
    text = '' if value is None else str(value)
    return _INVISIBLE.sub('', unicodedata.normalize('NFKC', text)).strip()


def identifier(value):
    """A cell naming something (waybill, order number, phone, currency,
    code) as text: ＳＦ１２３ → SF123, an Excel float 75312345678.0 →
    75312345678; every import reads its identifiers through here"""
    return _unquote(normalize_text(cell_text(value)))


def _unquote(text):
    "text without the apostrophe safe_text put before it (our own exports)"
    if text.startswith("'") and text[1:2] in _FORMULA_START:
        return text[1:]
    return text


def normalize_header(header):
    "Compare headers without spaces, case or full-width forms"
    return re.sub(r'\s+', '', normalize_text(header)).lower()


_DATE = re.compile(r'''
    (?P<year>\d{4}) \s* [-/.年] \s* (?P<month>\d{1,2}) \s* [-/.月] \s*
    (?P<day>\d{1,2}) \s* [日号]?
    (?: (?:\s+|T|\s*) (?P<hour>\d{1,2}) \s* [:时点] \s*
        (?: (?P<minute>\d{1,2}) \s* 分? \s*
            (?: :? \s* (?P<second>\d{1,2}) (?:\.\d+)? \s* 秒? )? )? )?
    \s* (?:Z|[+-]\d{2}:?\d{2})?
    ''', re.VERBOSE)
_COMPACT = re.compile(r'(\d{4})(\d{2})(\d{2})(?:[\sT]?(\d{2})(\d{2})(\d{2})?)?')
# Excel's day 0 (its serials count from 1900-01-00 and count 1900-02-29).
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# Serials of 1954..2173: a plausible date, not an amount or an id.
_SERIALS = (20000, 100000)


def parse_datetime(value):
    """A datetime from a cell or None: an Excel date, an Excel serial
    (45981.4375, also as text in a CSV), 2025-11-20T10:30:00,
    2025/11/20 10:30, 2025年11月20日 10时30分, 20251120..."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        text = str(value)
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
    else:
        text = normalize_text(value)
    match = _COMPACT.fullmatch(text) or _DATE.fullmatch(text)
    if match:
        parts = [int(p or 0) for p in match.groups()]
        parts += [0] * (6 - len(parts))
        try:
            return dt.datetime(*parts[:6])
        except ValueError:
            return None
    if re.fullmatch(r'\d{5}(?:\.\d+)?', text):
        serial = float(text)
        if _SERIALS[0] <= serial < _SERIALS[1]:
            # To the second: 45981.4375 is 10:30:00, not 10:29:59.999.
            seconds = round(serial * 86400)
            return _EXCEL_EPOCH + dt.timedelta(seconds=seconds)
    return None


def parse_date(value):
    "A date from a cell (see parse_datetime) or None"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    result = parse_datetime(value)
    return result.date() if result else None


def parse_amount(value):
    "A Decimal from a cell (number, or text like '¥1,299.00', '１２９９元')"
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        text = str(value)
    else:
        text = re.sub(r'[\s,¥元]|RMB|CNY|人民币', '',
            _unquote(normalize_text(value)), flags=re.IGNORECASE)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    # 'NaN' and 'Infinity' are Decimals too, but no amount.
    return amount.quantize(Decimal('0.01')) if amount.is_finite() else None


def cell_text(value):
    "A cell as text (Excel may hand a waybill number back as a float)"
    if value is None:
        return ''
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
