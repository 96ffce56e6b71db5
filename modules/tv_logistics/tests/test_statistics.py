# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The statistics reports on a small fixture whose figures are worked out
by hand below (see the comments of _fixture): every expected number is
counted from the fixture, not copied from a report's output."""
import datetime as dt
from decimal import Decimal
from itertools import count

from sql import Insert

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    TestCase, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

from tvcc import sheets

from ..statistics import _now, _plan, range_dates, refresh_rollups

MARCH = {'from_date': dt.date(2024, 3, 1), 'to_date': dt.date(2024, 3, 31)}
D0 = dt.date(2024, 2, 28)   # before the range
D1 = dt.date(2024, 3, 4)    # a Monday
D2 = dt.date(2024, 3, 5)
D3 = dt.date(2024, 3, 11)   # the next Monday
D4 = dt.date(2024, 3, 12)


def at(date, hour=10):
    return dt.datetime.combine(date, dt.time(hour))


class StatisticsTestCase(TestCase):
    "The managers' statistics of tv_logistics"
    module = 'tv_logistics'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module([cls.module])

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def _update(self, Model, record_id, **values):
        "Set stored values directly (dates and states a workflow would set)"
        table = Model.__table__()
        cursor = Transaction().connection.cursor()
        columns = [getattr(table, name) for name in values]
        cursor.execute(*table.update(columns, list(values.values()),
                where=table.id == record_id))

    def _insert(self, Model, **values):
        table = Model.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*Insert(table,
                [getattr(table, name) for name in values],
                [list(values.values())]))

    def _fixture(self):
        """Two media, two agents, two couriers, two provinces; orders,
        calls, review log and refunds around March 2024:

        order  agent medium taken   lines (gift apart)   state      shipped
        o1     u1    M1     D1      A 2×100, B 1×50 (+B gift) processing
                                         C1 P1 D2 delivered D3 COD 250,
                                         settled 250 on D4
        o2     u1    M1     D1      A 1×100           processing C1 P2 D2
                                                                 refused
        o3     u2    M2     D2      B 3×50            confirmed  C2 P1 D3
                                         delivered D3 COD 150, unsettled
        o4     u2    M1     D3      A 1×100           draft      -
        o5     u1    M2     D2      A 5×100           cancelled  -
        o6     u2    -      D0      B 1×50            processing C2 P2 D1
                                                      prepaid, in transit
        """
        pool = Pool()
        Sale = pool.get('sale.sale')
        Party = pool.get('party.party')
        Country = pool.get('country.country')
        Subdivision = pool.get('country.subdivision')
        Uom = pool.get('product.uom')
        Template = pool.get('product.template')
        Carrier = pool.get('carrier')
        Channel = pool.get('tv.channel')
        Media = pool.get('tv.media')
        User = pool.get('res.user')
        Node = pool.get('callcenter.node')
        Call = pool.get('callcenter.call')
        Log = pool.get('sale.review.log')
        Refund = pool.get('sale.refund')
        RefundLine = pool.get('sale.refund.line')

        unit, = Uom.search([('name', '=', 'Unit')])

        def product(name, price, type_='goods'):
            template, = Template.create([{'name': name, 'type': type_,
                        'default_uom': unit.id, 'salable': True,
                        'sale_uom': unit.id, 'list_price': price,
                        'products': [('create', [{}])]}])
            return template.products[0]
        a = product("按摩椅", Decimal(100))
        b = product("炒锅", Decimal(50))
        fee = product("快递费", Decimal(12), 'service')

        channel, = Channel.create([{'name': "购物频道", 'code': 'GW'}])
        m1, m2 = Media.create([
                {'channel': channel.id, 'programme': "早间",
                    'airtime_cost': Decimal(1000)},
                {'channel': channel.id, 'programme': "晚间",
                    'airtime_cost': Decimal(500)}])
        u1, u2 = User.create([{'login': 'stat1', 'name': "李娜"},
                {'login': 'stat2', 'name': "杨磊"}])
        c1, c2 = Carrier.create([
                {'party': Party.create([{'name': "顺丰"}])[0].id,
                    'carrier_product': fee.id},
                {'party': Party.create([{'name': "中通"}])[0].id,
                    'carrier_product': fee.id}])
        china, = Country.create([{'name': "中国", 'code': 'CN'}])
        p1, p2 = Subdivision.create([
                {'country': china.id, 'name': "浙江省", 'code': 'CN-ZJ',
                    'type': 'province'},
                {'country': china.id, 'name': "广东省", 'code': 'CN-GD',
                    'type': 'province'}])
        customer, = Party.create([{'name': "张三", 'addresses': [
                        ('create', [
                                {'country': china.id, 'subdivision': p1.id,
                                    'city': "杭州市", 'street': "文三路90号"},
                                {'country': china.id, 'subdivision': p2.id,
                                    'city': "广州市", 'street': "天河路1号"},
                                ])]}])
        z1, z2 = customer.addresses

        def line(item, quantity, price, gift=False):
            return {'type': 'line', 'product': item.id, 'unit': unit.id,
                'quantity': quantity, 'unit_price': price, 'is_gift': gift}

        def order(user, medium, taken, lines, state, payment='cod',
                address=None, **logistics):
            sale, = Sale.create([{'party': customer.id,
                        'payment_method': payment,
                        'invoice_address': z1.id,
                        'shipment_address': (address or z1).id,
                        'lines': [('create', lines)]}])
            self._update(Sale, sale.id, entered_by=user.id,
                media=medium.id if medium else None,
                create_date=at(taken), state=state, **logistics)
            return sale
        o1 = order(u1, m1, D1, [line(a, 2, Decimal(100)),
                line(b, 1, Decimal(50)), line(b, 1, Decimal(0), True)],
            'processing', carrier=c1.id, shipped_date=D2,
            delivery_status='delivered', delivered_date=D3,
            total_amount_cache=Decimal(250), settled_amount=Decimal(250),
            settled_date=D4)
        o2 = order(u1, m1, D1, [line(a, 1, Decimal(100))], 'processing',
            address=z2, carrier=c1.id, shipped_date=D2,
            delivery_status='refused', total_amount_cache=Decimal(100))
        o3 = order(u2, m2, D2, [line(b, 3, Decimal(50))], 'confirmed',
            carrier=c2.id, shipped_date=D3, delivery_status='delivered',
            delivered_date=D3, total_amount_cache=Decimal(150))
        o4 = order(u2, m1, D3, [line(a, 1, Decimal(100))], 'draft')
        o5 = order(u1, m2, D2, [line(a, 5, Decimal(100))], 'cancelled')
        order(u2, None, D0, [line(b, 1, Decimal(50))], 'processing',
            payment='prepaid', address=z2, carrier=c2.id, shipped_date=D1,
            delivery_status='in_transit', total_amount_cache=Decimal(50))

        node, = Node.create([{'name': "PBX", 'code': 'stat',
                    'ami_secret_ref': 'env:TVCC_AMI_SECRET',
                    'instance_path': '/srv/tvcc/stat',
                    'host_path': '/srv/tvcc/stat'}])
        linkedids = count(1)

        def call(medium, date, disposition, direction='inbound'):
            return {'node': node.id, 'linkedid': str(next(linkedids)),
                'direction': direction, 'state': 'ended',
                'start_time': at(date, 9),
                'media': medium.id if medium else None,
                'disposition': disposition}
        Call.create([
                call(m1, D1, 'answered'), call(m1, D1, 'answered'),
                call(m1, D1, 'abandoned'), call(m2, D2, 'answered'),
                call(None, D2, 'answered'), call(m1, D3, 'answered'),
                call(m1, D1, 'answered', 'outbound'),
                call(m1, D0, 'answered')])

        for sale, action, date in [(o4, 'return', D3), (o5, 'reject', D2),
                (o1, 'submit', D1), (o2, 'return', D0)]:
            self._insert(Log, sale=sale.id, action=action, date=at(date))

        line_a_o1 = [l for l in o1.lines if l.product == a][0]
        line_b_o3, = o3.lines
        for sale, sale_line, quantity, amount, state, date, paid in [
                (o1, line_a_o1, 1, 100, 'refunded', D3, D4),
                (o3, line_b_o3, 1, 50, 'requested', D3, None),
                (o2, o2.lines[0], 1, 100, 'cancelled', D2, None)]:
            self._insert(Refund, sale=sale.id, date=date, reason="退货",
                amount=Decimal(amount), state=state, paid_date=paid)
            refund, = Refund.search([('sale', '=', sale.id)])
            self._insert(RefundLine, refund=refund.id,
                sale_line=sale_line.id, quantity=quantity)
        return {'a': a, 'b': b, 'm1': m1, 'm2': m2, 'u1': u1, 'u2': u2,
            'c1': c1, 'c2': c2, 'p1': p1, 'p2': p2}

    def _rows(self, model, key, fields, **context):
        Report = Pool().get(model)
        with Transaction().set_context(**{**MARCH, **context}):
            records = Report.search([])
            return {getattr(r, key): tuple(getattr(r, f) for f in fields)
                for r in records}

    @with_transaction()
    def test_overall_by_day_week_month(self):
        "Calls, orders, revenue, conversion and signing per period"
        fields = ['calls', 'answered_calls', 'orders', 'revenue',
            'conversion', 'shipped', 'delivered', 'sign_rate']
        with set_company(create_company()):
            self._fixture()
            by_day = self._rows('tv.statistics.overall', 'date', fields,
                period='day')
            by_week = self._rows('tv.statistics.overall', 'date', fields,
                period='week')
            by_month = self._rows('tv.statistics.overall', 'date', fields,
                period='month')
        # D1: calls 3 (2 answered; the outbound one aside), o1+o2 taken
        # (250 + 100), o6 shipped (in transit).
        # D2: 2 answered calls, o3 (o5 cancelled), o1+o2 shipped, o1 signed.
        # D3: 1 call, o4, o3 shipped and signed.
        self.assertEqual(by_day, {
                D1: (3, 2, 2, Decimal(350), 1.0, 1, 0, 0.0),
                D2: (2, 2, 1, Decimal(150), 0.5, 2, 1, 0.5),
                D3: (1, 1, 1, Decimal(100), 1.0, 1, 1, 1.0),
                })
        self.assertEqual(by_week, {
                D1: (5, 4, 3, Decimal(500), 0.75, 3, 1, 1 / 3),
                D3: (1, 1, 1, Decimal(100), 1.0, 1, 1, 1.0),
                })
        self.assertEqual(by_month, {
                dt.date(2024, 3, 1): (6, 5, 4, Decimal(600), 0.8, 4, 2, 0.5),
                })

    @with_transaction()
    def test_overall_range(self):
        "Only what happened between from and to counts"
        with set_company(create_company()):
            self._fixture()
            rows = self._rows('tv.statistics.overall', 'date',
                ['calls', 'orders', 'shipped'], period='month',
                from_date=D0, to_date=D2)
        # calls c1-c5 and the D0 one; orders o1, o2, o3 and o6 (D0);
        # shipped o6, o1, o2
        self.assertEqual(rows, {
                dt.date(2024, 2, 1): (1, 1, 0),
                dt.date(2024, 3, 1): (5, 3, 3),
                })

    @with_transaction()
    def test_product(self):
        "Quantity, revenue, orders and accepted returns per product"
        with set_company(create_company()):
            f = self._fixture()
            rows = self._rows('tv.statistics.product', 'product',
                ['quantity', 'revenue', 'orders', 'returned_quantity'])
        # A: o1 2 + o2 1 + o4 1; returned 1 (o1's refund, refunded).
        # B: o1 1 (its gift aside) + o3 3; o3's refund only requested.
        self.assertEqual(rows, {
                f['a']: (4, Decimal(400), 3, 1),
                f['b']: (4, Decimal(200), 2, 0),
                })

    @with_transaction()
    def test_media(self):
        "Calls, orders, revenue and the airtime of the days on air"
        with set_company(create_company()):
            f = self._fixture()
            rows = self._rows('tv.statistics.media', 'media',
                ['calls', 'answered_calls', 'orders', 'conversion',
                    'revenue', 'broadcast_days', 'airtime_cost',
                    'return_ratio'])
        # M1: calls on D1 (3) and D3 (1); orders o1, o2, o4 (350 + 100);
        # on air D1 and D3: 2 × 1000.
        # M2: call on D2; order o3 (o5 cancelled); on air D2: 1 × 500.
        self.assertEqual(rows, {
                f['m1']: (4, 3, 3, 1.0, Decimal(450), 2, Decimal(2000),
                    450 / 2000),
                f['m2']: (1, 1, 1, 1.0, Decimal(150), 1, Decimal(500),
                    150 / 500),
                })

    @with_transaction()
    def test_employee(self):
        "Orders, revenue, signing and review rejections per agent"
        with set_company(create_company()):
            f = self._fixture()
            rows = self._rows('tv.statistics.employee', 'user',
                ['orders', 'revenue', 'average_order', 'shipped',
                    'delivered', 'sign_rate', 'review_rejections'])
        # u1: o1, o2 (o5 cancelled) shipped D2, o1 signed; o5 rejected on
        # D2 (o2's return was in February).
        # u2: o3, o4; shipped o3 (signed) and o6 (taken in February);
        # o4 returned on D3.
        self.assertEqual(rows, {
                f['u1']: (2, Decimal(350), Decimal(175), 2, 1, 0.5, 1),
                f['u2']: (2, Decimal(250), Decimal(125), 2, 1, 0.5, 1),
                })

    @with_transaction()
    def test_courier_and_region(self):
        "What became of the parcels shipped, per courier and province"
        fields = ['shipped', 'delivered', 'refused', 'lost', 'in_transit',
            'sign_rate', 'refusal_rate', 'transit_days']
        with set_company(create_company()):
            f = self._fixture()
            couriers = self._rows('tv.statistics.courier', 'carrier', fields)
            regions = self._rows('tv.statistics.region', 'subdivision',
                fields)
        # C1: o1 (signed after 6 days), o2 refused.
        # C2: o3 (signed the day it shipped), o6 on the way.
        self.assertEqual(couriers, {
                f['c1']: (2, 1, 1, 0, 0, 0.5, 0.5, 6.0),
                f['c2']: (2, 1, 0, 0, 1, 0.5, 0.0, 0.0),
                })
        # P1: o1 and o3 signed (6 and 0 days); P2: o2 refused, o6 on the way
        self.assertEqual(regions, {
                f['p1']: (2, 2, 0, 0, 0, 1.0, 0.0, 3.0),
                f['p2']: (2, 0, 1, 0, 1, 0.0, 0.5, None),
                })

    @with_transaction()
    def test_finance(self):
        "COD receivable, settled, outstanding, remitted and refunds"
        with set_company(create_company()):
            self._fixture()
            rows = self._rows('tv.statistics.finance', 'date',
                ['cod_orders', 'cod_receivable', 'cod_settled',
                    'cod_outstanding', 'remitted', 'refund_requested',
                    'refund_pending', 'refund_paid'], period='day')
        # D3: o1 (250, settled) and o3 (150, not) signed; refunds of o1
        # (100, paid D4) and o3 (50, requested); o2's was cancelled.
        # D4: o1's remittance, o1's refund paid.
        self.assertEqual(rows, {
                D3: (2, Decimal(400), Decimal(250), Decimal(150), 0,
                    Decimal(150), Decimal(50), 0),
                D4: (0, 0, 0, 0, Decimal(250), 0, 0, Decimal(100)),
                })

    @with_transaction()
    def test_export(self):
        "The Excel export has the report's rows under its field labels"
        pool = Pool()
        Overall = pool.get('tv.statistics.overall')
        Export = pool.get('tv.statistics.export', type='wizard')
        with set_company(create_company()):
            self._fixture()
            with Transaction().set_context(active_model=Overall.__name__,
                    active_ids=[], period='week', **MARCH):
                session_id, _, _ = Export.create()
                export = Export(session_id)
                data, filename, summary = export.make_file()
        self.assertEqual(filename, 'overall-2024-03-01-2024-03-31.xlsx')
        headers, rows = sheets.read_table(data, filename)
        self.assertEqual(headers[:4], [sheets.normalize_header(h) for h in
                ["Date", "Inbound Calls", "Answered Calls", "Orders"]])
        self.assertIn(sheets.normalize_header("Sign Rate (%)"), headers)
        (_, first), (_, second) = rows
        self.assertEqual(first[1:4], [5, 4, 3])
        self.assertEqual(first[headers.index('conversion(%)')], 75)

    @with_transaction()
    def test_rollups(self):
        "The rollups give the live figures, also after orders change"
        pool = Pool()
        Sale = pool.get('sale.sale')
        Line = pool.get('sale.line')
        Call = pool.get('callcenter.call')
        reports = {
            'tv.statistics.overall': ('date', ['calls', 'answered_calls',
                    'orders', 'revenue', 'average_order', 'shipped',
                    'delivered', 'sign_rate']),
            'tv.statistics.product': ('product', ['quantity', 'revenue',
                    'orders', 'returned_quantity']),
            'tv.statistics.media': ('media', ['calls', 'answered_calls',
                    'orders', 'revenue', 'broadcast_days', 'airtime_cost']),
            'tv.statistics.employee': ('user', ['orders', 'revenue',
                    'shipped', 'delivered', 'review_rejections']),
            }
        days = [dt.date(2024, 2, 1) + dt.timedelta(days=i)
            for i in range(60)]

        def figures(**context):
            return {model: self._rows(model, key, fields, **context)
                for model, (key, fields) in reports.items()}

        def live():
            # without a company (the only one) nothing comes from rollups
            with Transaction().set_context(company=None, **MARCH):
                self.assertEqual(_plan()[0], [])
            return figures(period='week', company=None)

        def from_rollups():
            with Transaction().set_context(period='week', **MARCH):
                rolled, _ = _plan()
            return figures(period='week'), rolled

        with set_company(create_company()):
            f = self._fixture()
            # the fixture was entered long ago: every day is settled
            for Model in [Sale, Line, Call]:
                self._age(Model)
            expected = live()
            refresh_rollups(days)
            result, covered = from_rollups()
            self.assertEqual(covered, [(MARCH['from_date'], MARCH['to_date'])])
            self.assertEqual(result, expected)

            # o1 cancelled, a new order on D2 for M2, o3's parcel refused
            o1, = Sale.search([('lines.quantity', '=', 2)])
            Sale.write([o1], {'state': 'cancelled'})
            o7, = Sale.create([{'party': o1.party.id,
                        'invoice_address': o1.invoice_address.id,
                        'shipment_address': o1.shipment_address.id,
                        'lines': [('create', [{'type': 'line',
                                        'product': f['b'].id,
                                        'unit': f['b'].default_uom.id,
                                        'quantity': 2,
                                        'unit_price': Decimal(50)}])]}])
            self._update(Sale, o7.id, entered_by=f['u2'].id,
                media=f['m2'].id, create_date=at(D2))
            o3, = Sale.search([('lines.quantity', '=', 3)])
            # as the tracking import does: in SQL, with the write date
            self._update(Sale, o3.id, delivery_status='refused',
                write_date=_now())
            Transaction().counter += 1
            expected = live()
            # the week of D1: o1's 250 out, o7's 100 in
            self.assertEqual(expected['tv.statistics.overall'][D1][3],
                Decimal(350))
            result, covered = from_rollups()
            # the changed days (D1, D2, D3 by o3's shipping) are live
            self.assertNotIn(D1, [d for a, b in covered for d in [a, b]])
            self.assertEqual(result, expected)

            # rolled up again, the rollups give the same figures
            refresh_rollups(days)
            for Model in [Sale, Line, Call]:
                self._age(Model)
            refresh_rollups(days)
            result, covered = from_rollups()
            self.assertEqual(covered, [(MARCH['from_date'], MARCH['to_date'])])
            self.assertEqual(result, expected)

            # a deleted order: its day is computed live again
            o4, = Sale.search([('state', '=', 'draft'),
                    ('create_date', '>=', at(D3, 0))])
            Sale.delete([o4])
            expected = live()
            result, covered = from_rollups()
            self.assertEqual(result, expected)

    def _age(self, Model):
        "As if the rows were created and changed long ago"
        table = Model.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update([table.write_date],
                [dt.datetime(2024, 4, 1)], where=table.write_date != None))
        if Model.__name__ != 'sale.sale':  # its create date is the day taken
            cursor.execute(*table.update([table.create_date],
                    [dt.datetime(2024, 4, 1)]))
        Transaction().counter += 1  # as a write: records are read again

    def test_range_dates(self):
        "The named ranges end today"
        today = dt.date(2024, 3, 13)  # a Wednesday
        self.assertEqual(range_dates('today', today), (today, today))
        self.assertEqual(range_dates('yesterday', today), (D4, D4))
        self.assertEqual(range_dates('this_week', today), (D3, today))
        self.assertEqual(range_dates('last_week', today),
            (D1, dt.date(2024, 3, 10)))
        self.assertEqual(range_dates('this_month', today),
            (dt.date(2024, 3, 1), today))
        self.assertEqual(range_dates('last_month', today),
            (dt.date(2024, 2, 1), dt.date(2024, 2, 29)))
        self.assertIsNone(range_dates('custom', today))
