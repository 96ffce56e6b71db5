# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from decimal import Decimal
from unittest.mock import patch

from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from .. import settlement as settlement_module
from .. import tracking


class TVLogisticsTestCase(ModuleTestCase):
    "Test TV Logistics module"
    module = 'tv_logistics'

    def _courier(self, **values):
        pool = Pool()
        Party = pool.get('party.party')
        Uom = pool.get('product.uom')
        Template = pool.get('product.template')
        Carrier = pool.get('carrier')
        unit, = Uom.search([('name', '=', 'Unit')])
        template, = Template.create([{
                    'name': "快递费", 'type': 'service',
                    'default_uom': unit.id,
                    'list_price': Decimal('12'),
                    'products': [('create', [{}])],
                    }])
        party, = Party.create([{'name': "顺丰速运"}])
        values.update(party=party, carrier_product=template.products[0])
        return Carrier.create([values])[0]

    def _run_queue(self, record):
        "Run the queued tasks as the worker does: record's progress after each"
        Queue = Pool().get('ir.queue')
        transaction = Transaction()
        progress = []
        while transaction.tasks:
            Queue(transaction.tasks.pop(0)).run()
            progress.append(record.__class__(record.id).progress)
        return progress

    @with_transaction()
    def test_courier_code_and_phone_normalised(self):
        "The courier code is upper case and the phone is in E.164"
        with set_company(create_company()):
            courier = self._courier(
                code=' sf ', contact_name="王经理",
                contact_phone='0755-8888 6666')
        self.assertEqual(courier.code, 'SF')
        self.assertEqual(courier.contact_phone, '+8675588886666')

    @with_transaction()
    def test_courier_phone_invalid(self):
        "An invalid contact phone is refused naming the number"
        with set_company(create_company()):
            with self.assertRaisesRegex(ValidationError, '12345'):
                self._courier(code='EMS', contact_phone='12345')

    @with_transaction()
    def test_large_import_runs_in_background_chunks_with_progress(self):
        "A large file is applied chunk by chunk by the queue, its progress "
        "visible, and every unknown parcel is listed"
        pool = Pool()
        Import = pool.get('tv.tracking.import')
        rows = ['运单号,状态,日期'] + [f'ZZ{n:04d},已签收,2026-11-20'
            for n in range(7)]
        with patch.object(tracking, 'CHUNK', 3):
            import_, = Import.create([{
                        'file': '\n'.join(rows).encode('utf-8'),
                        'filename': 'big.csv'}])
            Import.process([import_])
            self.assertEqual(
                (import_.state, import_.total, import_.progress),
                ('processing', 7, 0.0))
            progress = self._run_queue(import_)
        import_ = Import(import_.id)
        self.assertEqual(progress, [0.43, 0.86, 1.0])
        self.assertEqual((import_.state, import_.rejected), ('done', 7))
        self.assertEqual(
            {(l.result, l.message) for l in import_.lines},
            {('unknown', f'No order has tracking or order number "ZZ{n:04d}".')
                for n in range(7)})

    @with_transaction()
    def test_unreadable_import_applies_nothing(self):
        "A file that is not a table is refused whole, naming the file"
        pool = Pool()
        Import = pool.get('tv.tracking.import')
        import_, = Import.create([{'file': b'PK\x03\x04 not a workbook',
                    'filename': 'status.xlsx'}])
        with self.assertRaisesRegex(UserError, 'status.xlsx'):
            Import.process([import_])

    @with_transaction()
    def test_statement_in_another_currency_is_refused(self):
        "A remittance statement in another currency than the company's is "
        "refused whole: nothing imported"
        pool = Pool()
        Settlement = pool.get('tv.settlement')
        Currency = pool.get('currency.currency')
        company = create_company()
        with set_company(company):
            courier = self._courier(code='SF')
            euro, = Currency.create([{'name': 'Euro', 'code': 'EUR',
                        'symbol': '€'}])
            settlement, = Settlement.create([{'carrier': courier.id,
                        'currency': euro.id,
                        'file': '运单号,代收货款\nSF1,10\n'.encode('utf-8'),
                        'filename': 'sf.csv'}])
            with self.assertRaisesRegex(UserError,
                    f'EUR.*{company.currency.code}'):
                Settlement.import_statement([settlement])
            self.assertEqual(
                (settlement.state, len(settlement.lines)), ('draft', 0))

    @with_transaction()
    def test_large_statement_is_matched_in_background_chunks(self):
        "A large remittance statement is matched chunk by chunk by the "
        "queue with visible progress; every row gets its result and the "
        "totals come once all rows are matched"
        pool = Pool()
        Settlement = pool.get('tv.settlement')
        rows = ['运单号,代收货款'] + [f'SF{n:04d},{n + 10}' for n in range(6)] \
            + ['SF9999,十元']
        with set_company(create_company()):
            courier = self._courier(code='SF')
            with patch.object(settlement_module, 'CHUNK', 3):
                settlement, = Settlement.create([{'carrier': courier.id,
                            'file': '\n'.join(rows).encode('utf-8'),
                            'filename': 'sf.csv'}])
                Settlement.import_statement([settlement])
                self.assertEqual((settlement.state, settlement.row_count,
                        settlement.progress), ('importing', 7, 0.0))
                progress = self._run_queue(settlement)
        settlement = Settlement(settlement.id)
        self.assertEqual(progress, [0.43, 0.86, 1.0])
        self.assertEqual(settlement.state, 'imported')
        self.assertEqual(settlement.total, sum(n + 10 for n in range(6)))
        self.assertEqual((settlement.expected, settlement.problems),
            (0, 7))
        self.assertEqual(
            [(l.row, l.result) for l in settlement.lines],
            [(n + 2, 'unmatched') for n in range(6)] + [(8, 'invalid')])
        self.assertIn('十元', settlement.lines[-1].message)


del ModuleTestCase
