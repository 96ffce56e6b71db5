# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Real couriers' files (issue 11): full-width waybill numbers and amounts,
Excel date serials in a CSV, Chinese dates, a title row, a header on two
rows (merged cells) repeated on every page, and numbers Excel mangled —
each reported on its row in Chinese, nothing lost."""
import datetime as dt
import io
import unittest
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.currency.tests import create_currency
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction


def xlsx(rows, merges=()):
    import openpyxl
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


class RealFilesTestCase(unittest.TestCase):
    "Tracking and settlement imports of the files couriers really send"

    @classmethod
    def setUpClass(cls):
        activate_module('tv_logistics')

    def _company(self):
        return create_company(currency=create_currency('CNY'))

    def _parcels(self, *tracking_numbers, amount=Decimal('1299'), **values):
        """A courier and, for each tracking number, a cash-on-delivery
        order of amount shipped with it"""
        pool = Pool()
        Party = pool.get('party.party')
        Uom = pool.get('product.uom')
        Template = pool.get('product.template')
        Carrier = pool.get('carrier')
        Batch = pool.get('tv.shipping.batch')
        Sale = pool.get('sale.sale')
        Line = pool.get('sale.line')
        unit, = Uom.search([('name', '=', 'Unit')])
        template, = Template.create([{'name': "快递费", 'type': 'service',
                    'default_uom': unit.id, 'list_price': Decimal('12'),
                    'products': [('create', [{}])]}])
        courier_party, customer = Party.create([{'name': "顺丰速运"},
                {'name': "王芳", 'addresses': [('create', [{}])]}])
        courier, = Carrier.create([{'party': courier_party.id, 'code': 'SF',
                    'carrier_product': template.products[0].id}])
        batch, = Batch.create([{'carrier': courier.id,
                    'date': dt.date.today(), 'state': 'shipped'}])
        sales = Sale.create([{'party': customer.id,
                    'payment_method': 'cod'} for _ in tracking_numbers])
        Line.create([{'sale': sale.id, 'type': 'line', 'quantity': 1,
                    'description': "空气炸锅", 'unit': unit.id,
                    'unit_price': amount} for sale in sales])
        for sale, number in zip(sales, tracking_numbers):
            Sale.write([sale], {'tracking_number': number,
                    'carrier': courier.id, 'shipping_batch': batch.id,
                    'shipped_date': dt.date.today(), **values})
        return courier, Sale.browse(sales)

    @with_transaction()
    def test_tracking_file_with_full_width_numbers_and_chinese_dates(self):
        """A courier's .xlsx: title row, two-row header, full-width and
        spaced waybill numbers, 下午 times, Excel serials, the header again
        on the next page; a number Excel wrote in scientific notation is
        reported on its row"""
        pool = Pool()
        Import = pool.get('tv.tracking.import')
        with set_company(self._company()):
            courier, (first, second, third) = self._parcels(
                'SF1000001', 'SF1000002', '75312345678')
            header = [['运单号', '收件人信息', None, '物流信息', None],
                [None, '姓名', '电话', '状态', '时间']]
            data = xlsx([['顺丰速运 2025年11月 物流状态']] + header + [
                    ['ＳＦ１０００ ００１', '王芳', '１３８００１３８０００',
                        '已签收', '2025年11月20日（星期四） 下午3:30'],
                    ] + header + [
                    ['sf1000002'.upper(), '王芳', '13800138000', '已签收',
                        45981.4375],
                    ['7.53123E+10', '王芳', '13800138000', '已签收',
                        '2025/11/20'],
                    ], merges=['A1:E1', 'A2:A3', 'B2:C2', 'D2:E2',
                    'A5:A6', 'B5:C5', 'D5:E5'])
            import_, = Import.create([{'carrier': courier.id, 'file': data,
                        'filename': 'sf-status.xlsx'}])
            Import.process([import_])
        import_ = Import(import_.id)
        self.assertEqual((import_.state, import_.total, import_.applied,
                import_.rejected), ('done', 3, 2, 1))
        self.assertEqual(
            [(l.row, l.tracking_number, l.date, l.result)
                for l in import_.lines],
            [(4, 'SF1000001', dt.date(2025, 11, 20), 'applied'),
                (7, 'SF1000002', dt.date(2025, 11, 20), 'applied'),
                (8, '7.53123E+10', dt.date(2025, 11, 20), 'invalid')])
        self.assertIn('科学计数法', import_.lines[-1].message)
        self.assertEqual(
            [(s.delivery_status, s.delivered_date) for s in [first, second]],
            [('delivered', dt.date(2025, 11, 20))] * 2)
        self.assertNotEqual(third.delivery_status, 'delivered')

    @with_transaction()
    def test_tracking_csv_with_excel_serials_and_quoted_numbers(self):
        """A CSV saved from Excel: dates as serials, numbers kept as text
        with ="…", a title row above and the header repeated"""
        pool = Pool()
        Import = pool.get('tv.tracking.import')
        with set_company(self._company()):
            courier, (first, second) = self._parcels(
                'SF0000123', 'SF0000124')
            data = ('顺丰速运 对账,,\r\n运单号,状态,签收时间\r\n'
                '="SF0000123",已签收,45981.4375\r\n'
                '运单号,状态,签收时间\r\n'
                '\'SF0000124,已签收,2025年11月21日 10时30分\r\n'
                'SF0000125,已签收,明天\r\n').encode('gb18030')
            import_, = Import.create([{'carrier': courier.id, 'file': data,
                        'filename': 'sf.csv'}])
            Import.process([import_])
        import_ = Import(import_.id)
        self.assertEqual(
            [(l.row, l.tracking_number, l.date, l.result)
                for l in import_.lines],
            [(3, 'SF0000123', dt.date(2025, 11, 20), 'applied'),
                (5, 'SF0000124', dt.date(2025, 11, 21), 'applied'),
                (6, 'SF0000125', None, 'invalid')])
        self.assertIn('明天', import_.lines[-1].message)

    @with_transaction()
    def test_statement_with_full_width_amounts_and_mangled_numbers(self):
        """A remittance statement with full-width numbers and amounts (元,
        thousands separators, accounting negatives): the orders match; an
        ambiguous amount and a waybill Excel rounded are reported on their
        rows, the others are kept"""
        pool = Pool()
        Settlement = pool.get('tv.settlement')
        with set_company(self._company()):
            courier, (first, second, third) = self._parcels(
                'SF2000001', 'SF2000002', 'SF2000003',
                delivery_status='delivered')
            data = xlsx([
                    ['顺丰速运 2025年11月 代收货款对账单'],
                    ['运单号', '代收货款', '币种'],
                    ['ＳＦ２０００ ００１', '１，２９９．００元', 'ＣＮＹ'],
                    ['SF2000002', '￥1,299', '人民币'],
                    ['SF2000003', '1.299,00', 'CNY'],
                    [1234567890123456.0, '100', 'CNY'],
                    ['运单号', '代收货款', '币种'],
                    ['SF9999999', '(12.00)', 'CNY'],
                    ], merges=['A1:C1'])
            settlement, = Settlement.create([{'carrier': courier.id,
                        'file': data, 'filename': 'sf-cod.xlsx'}])
            Settlement.import_statement([settlement])
        settlement = Settlement(settlement.id)
        self.assertEqual(settlement.state, 'imported')
        self.assertEqual(
            [(l.row, l.tracking_number, l.amount, l.result)
                for l in settlement.lines],
            [(3, 'SF2000001', Decimal('1299.00'), 'matched'),
                (4, 'SF2000002', Decimal('1299.00'), 'matched'),
                (5, 'SF2000003', None, 'invalid'),
                (6, '1234567890123456', Decimal('100.00'), 'invalid'),
                (8, 'SF9999999', Decimal('-12.00'), 'unmatched')])
        self.assertIn('1.299,00', settlement.lines[2].message)
        self.assertIn('15', settlement.lines[3].message)
        self.assertEqual(settlement.problems, 3)
