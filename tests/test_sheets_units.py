"""Spreadsheets couriers send and receive (tvcc.sheets): pure rules."""
import datetime as dt
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
