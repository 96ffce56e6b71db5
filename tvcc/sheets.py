"""Spreadsheets in and out: every Excel/CSV export and import goes here.

write_xlsx() makes a workbook from headers and rows; read_table() reads an
uploaded .xlsx or .csv (UTF-8, UTF-8 with BOM or GBK, as Chinese couriers
send them) into (headers, rows) with the spreadsheet row number of each row.
"""
import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal, InvalidOperation

# A fixed creation date: the same content always gives the same bytes
# (re-exporting a shipping batch gives the same file).
_EPOCH = dt.datetime(2000, 1, 1)


class SheetError(Exception):
    "The file cannot be read as a table (the whole file is refused)"


def write_xlsx(sheets):
    """Workbook bytes of sheets: [(title, headers, rows)] where rows are
    lists of str, int, Decimal, float, date or None"""
    import xlsxwriter
    data = io.BytesIO()
    workbook = xlsxwriter.Workbook(data, {'in_memory': True})
    workbook.set_properties({'created': _EPOCH})
    bold = workbook.add_format({'bold': True})
    date_format = workbook.add_format({'num_format': 'yyyy-mm-dd'})
    money = workbook.add_format({'num_format': '0.00'})
    for title, headers, rows in sheets:
        sheet = workbook.add_worksheet(title[:31])
        widths = [max(8, _width(h)) for h in headers]
        for column, header in enumerate(headers):
            sheet.write_string(0, column, header, bold)
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
                elif isinstance(value, (int, float)) \
                        and not isinstance(value, bool):
                    sheet.write_number(row_index, column, value)
                else:
                    # Phone and waybill numbers stay text (no 1.3E+10).
                    sheet.write_string(row_index, column, str(value))
                if column < len(widths) and row_index <= 200:
                    widths[column] = max(widths[column],
                        min(40, _width(value)))
        for column, width in enumerate(widths):
            sheet.set_column(column, column, width + 2)
    workbook.close()
    return data.getvalue()


def _width(value):
    text = str(value)
    return sum(2 if ord(c) > 0x2e7f else 1 for c in text)


def read_table(data, filename=''):
    """(headers, [(row number, [cell, ...])]) of an .xlsx or .csv file;
    empty rows are skipped; cells are str, or date/number from Excel"""
    if not data:
        raise SheetError('empty')
    if isinstance(data, str):
        data = data.encode('utf-8')
    if data[:2] == b'PK' or (filename or '').lower().endswith('.xlsx'):
        rows = _read_xlsx(data)
    else:
        rows = _read_csv(data)
    rows = [(number, cells) for number, cells in rows
        if any(c not in (None, '') for c in cells)]
    if not rows:
        raise SheetError('empty')
    (_, headers), *body = rows
    headers = [normalize_header(h) for h in headers]
    return headers, body


def _read_xlsx(data):
    import openpyxl
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True,
            data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise SheetError(str(error)) from None
    sheet = workbook.worksheets[0]
    rows = []
    for number, cells in enumerate(sheet.iter_rows(values_only=True), 1):
        rows.append((number, [
                    c.strip() if isinstance(c, str) else c for c in cells]))
    workbook.close()
    return rows


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
    return [(number, [c.strip() for c in cells]) for number, cells
        in enumerate(csv.reader(io.StringIO(text), dialect), 1)]


def normalize_header(header):
    "Compare headers without spaces, case or full-width brackets"
    text = '' if header is None else str(header)
    text = text.replace('（', '(').replace('）', ')')
    return re.sub(r'\s+', '', text).lower()


_DATE_FORMATS = ['%Y-%m-%d', '%Y/%m/%d', '%Y.%m.%d', '%Y%m%d',
    '%Y-%m-%d %H:%M:%S', '%Y/%m/%d %H:%M:%S', '%Y-%m-%d %H:%M',
    '%Y/%m/%d %H:%M', '%Y年%m月%d日']


def parse_date(value):
    "A date from a cell (Excel date, or text in the usual formats) or None"
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or '').strip()
    for format_ in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, format_).date()
        except ValueError:
            continue
    return None


def parse_amount(value):
    "A Decimal from a cell (number or text like '¥1,299.00') or None"
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value)).quantize(Decimal('0.01'))
    text = re.sub(r'[\s,¥￥元]|RMB|CNY', '', str(value or ''),
        flags=re.IGNORECASE)
    if not text:
        return None
    try:
        return Decimal(text).quantize(Decimal('0.01'))
    except InvalidOperation:
        return None


def cell_text(value):
    "A cell as text (Excel may hand a waybill number back as a float)"
    if value is None:
        return ''
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
