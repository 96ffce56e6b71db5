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
    header_rows = [(0, headers)]
    if start and rows[start - 1][0] == rows[start][0] - 1:
        # The row right above names the columns this one leaves empty
        # (a title merged down over two rows: 订单 beside 姓名, 手机).
        headers = _merge_header(rows[start - 1][1], headers)
    if body and _continues_header(headers, body[0][1], known):
        # A header on two rows (merged cells: 收件人信息 over 姓名, 电话).
        (_, lower), *body = body
        header_rows.append((0, lower))
        headers = _merge_header(headers, lower)
    if start or not known or _names_known(headers, known):
        # A header repeated inside the data (files pasted one after
        # another, or printed with a header on every page) is not data.
        # (A first row that is no header is data: its repeats too.)
        repeated = {_row_key(cells) for _, cells in above + header_rows}
        # Cheap first: only a row starting as one of those can repeat it.
        firsts = {cells[0] for _, cells in above + header_rows}
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


def _continues_header(upper, lower, known):
    """Whether the row lower completes the header row upper: it names a
    known column under a cell of upper that names none (a group title
    merged over several columns, or nothing), and is empty under every
    column upper names (merged down) — a data row has values there"""
    if not known:
        return False
    names = {normalize_header(k) for k in known}
    adds = False
    for index, cell in enumerate(lower):
        top = upper[index] if index < len(upper) else None
        top_known = normalize_header(top) in names
        if cell in (None, ''):
            continue
        if top_known:
            return False
        if normalize_header(cell) in names:
            adds = True
    return adds


def _merge_header(upper, lower):
    "The header of two rows: the lower name where there is one"
    width = max(len(upper), len(lower))
    upper = list(upper) + [None] * (width - len(upper))
    lower = list(lower) + [None] * (width - len(lower))
    return [low if low not in (None, '') else top
        for top, low in zip(upper, lower)]


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
    code) as text: ＳＦ１２３ → SF123, 'SF 1234 5678' → SF12345678, an
    Excel float 75312345678.0 → 75312345678, the text markers of
    spreadsheets (="0123", '0123) dropped; every import reads its
    identifiers through here (identifier_error says when one cannot be
    trusted)"""
    text = _unquote(normalize_text(cell_text(value)))
    # ="0123" keeps leading zeros in a CSV opened by Excel.
    match = re.fullmatch(r'=\s*"(.*)"', text)
    if match:
        text = match.group(1)
    if text.startswith("'"):
        # Excel's "this is text" mark, kept by some exports.
        text = text[1:]
    return re.sub(r'\s+', '', text)


# An identifier Excel turned into a number in scientific notation
# (1.38001E+10): its last digits are gone.
_SCIENTIFIC = re.compile(r'[+-]?\d+(?:\.\d+)?[eE][+-]?\d+')
# Excel keeps 15 significant digits of a number.
_EXCEL_DIGITS = 15


def identifier_error(value):
    """Why the identifier in cell value cannot be trusted (in Chinese, for
    the row's report), or None: Excel wrote it in scientific notation, or
    stored it as a number longer than the 15 digits Excel keeps"""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        if isinstance(value, float) and not value.is_integer():
            return ('“%s”不是完整的号码（带小数）：请把该列设为文本后'
                '重新导出' % value)
        digits = len(str(int(value)).lstrip('-'))
        if digits > _EXCEL_DIGITS:
            return ('“%s”超过 Excel 保存的 15 位数字，后几位已丢失：'
                '请把该列设为文本后重新导出' % cell_text(value))
        return None
    text = normalize_text(value)
    if _SCIENTIFIC.fullmatch(text.replace(' ', '')):
        return ('“%s”被 Excel 写成了科学计数法，后几位已丢失：请把该列设为'
            '文本后重新导出' % text)
    return None


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


# The day of the week some portals add: （星期四）, 周四, 礼拜天.
_WEEKDAY = re.compile(r'[(（]?\s*(?:星期|周|礼拜)[一二三四五六日天]\s*[)）]?')
# Morning or afternoon: 下午3:30, 3:30 PM.
_MERIDIEM = re.compile(r'上午|早上|凌晨|中午|下午|晚上|[AaPp]\.?[Mm]\.?')
_AFTERNOON = {'下午', '晚上', 'pm'}


def parse_datetime(value):
    """A datetime from a cell or None: an Excel date, an Excel serial
    (45981.4375, also as text in a CSV), 2025-11-20T10:30:00,
    2025/11/20 10:30, 2025年11月20日 10时30分, 2025年11月20日（星期四）
    下午3:30, 2025/11/20 3:30 PM, 20251120..."""
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
        text = _WEEKDAY.sub(' ', normalize_text(value)).strip()
    meridiem = None
    found = _MERIDIEM.search(text)
    if found and re.search(r'\d', text[found.end():] + text[:found.start()]):
        meridiem = found.group().replace('.', '').lower()
        text = (text[:found.start()] + ' ' + text[found.end():]).strip()
    match = _COMPACT.fullmatch(text) or _DATE.fullmatch(text)
    if match:
        parts = [int(p or 0) for p in match.groups()]
        parts += [0] * (6 - len(parts))
        if meridiem and match.group(4) is not None:
            if parts[3] > 12:
                return None
            if meridiem in _AFTERNOON and parts[3] < 12:
                parts[3] += 12
            elif meridiem not in _AFTERNOON | {'中午'} and parts[3] == 12:
                parts[3] = 0
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


_THOUSANDS = re.compile(r'[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?')


def parse_amount(value):
    "A Decimal from a cell (number, or text like '¥1,299.00', '１２９９元')"
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        text = str(value)
    else:
        text = re.sub(r'[\s¥元]|RMB|CNY|人民币', '',
            identifier(value), flags=re.IGNORECASE)
        # Accounting negatives: (100.00).
        negative = re.fullmatch(r'\((.*)\)', text)
        if negative:
            text = '-' + negative.group(1)
        # Commas only as thousands separators (1,299.00): in 1,29 or
        # 1.299,00 which digits are the cents is a guess.
        if ',' in text:
            if not _THOUSANDS.fullmatch(text):
                return None
            text = text.replace(',', '')
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
