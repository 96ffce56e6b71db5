#!/usr/bin/env python3
"""Statistics reports (统计分析) over a million orders.

    .venv/bin/python bench/report_statistics.py [--orders 1000000]
        [--calls 1500000] [--runs 5]

The bench orders of search_latency.py (numbers 'B0000001'..., spread over
the last 365 days) are completed once, in SQL, with what the reports read:
the day they were taken, agent, medium, courier, province, payment, total,
shipping and signing dates and status, remittance; plus one or two lines
each, inbound calls over the same year, review returns/rejections and
refunds. Each report is then opened as the web client does (search_read
of its list columns over JSON-RPC, as the manager) for the last 30 days
and for the whole year, by day, week and month for the time series.
Target: each view <= 2 s.
"""
import argparse
import datetime as dt
import subprocess
import time

import common

from helpers import RPC
from tvcc import settings

REPORTS = {
    'tv.statistics.overall': ['date', 'calls', 'answered_calls', 'orders',
        'conversion', 'revenue', 'average_order', 'shipped', 'delivered',
        'sign_rate'],
    'tv.statistics.product': ['product', 'quantity', 'revenue', 'orders',
        'returned_quantity'],
    'tv.statistics.media': ['media', 'calls', 'answered_calls', 'orders',
        'conversion', 'revenue', 'broadcast_days', 'airtime_cost',
        'return_ratio'],
    'tv.statistics.employee': ['user', 'orders', 'revenue', 'average_order',
        'shipped', 'delivered', 'sign_rate', 'review_rejections'],
    'tv.statistics.courier': ['carrier', 'shipped', 'delivered', 'refused',
        'lost', 'in_transit', 'sign_rate', 'refusal_rate', 'transit_days'],
    'tv.statistics.region': ['subdivision', 'shipped', 'delivered',
        'refused', 'lost', 'in_transit', 'sign_rate', 'refusal_rate',
        'transit_days'],
    'tv.statistics.finance': ['date', 'cod_orders', 'cod_receivable',
        'cod_settled', 'cod_outstanding', 'remitted', 'refund_requested',
        'refund_pending', 'refund_paid'],
    }
TIME_SERIES = {'tv.statistics.overall', 'tv.statistics.finance'}


def ensure_statistics_module():
    "The bench copy may predate the statistics: update tv_logistics then"
    with common.bench_cursor() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM ir_model "
            "WHERE name = 'tv.statistics.overall'")
        if cursor.fetchone():
            return
    print('updating tv_logistics in the bench database...', flush=True)
    subprocess.run([str(settings.PROJECT / '.venv' / 'bin' / 'trytond-admin'),
            '-c', str(settings.TRYTOND_CONF), '-d', common.BENCH_DB,
            '-u', 'tv_logistics'], check=True)


def ensure_couriers():
    "Three couriers (the demo has none)"
    def make(pool):
        Carrier = pool.get('carrier')
        Party = pool.get('party.party')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        carriers = Carrier.search([])
        if len(carriers) >= 3:
            return [c.id for c in carriers]
        unit, = Uom.search([('name', '=', 'Unit')])
        template, = Template.create([{'name': '快递费(bench)',
                    'type': 'service', 'default_uom': unit.id,
                    'list_price': 12, 'products': [('create', [{}])]}])
        parties = Party.create([{'name': n}
                for n in ['顺丰(bench)', '中通(bench)', 'EMS(bench)']])
        return [c.id for c in Carrier.create([{'party': p.id,
                        'carrier_product': template.products[0].id}
                    for p in parties])]
    return common.tryton_database().call(make)


def ensure_facts(orders, calls, carriers):
    """Complete the bench orders and add lines, calls, review log and
    refunds (once; SQL bulk statements)"""
    with common.bench_cursor() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sale_sale "
            "WHERE number LIKE 'B%%' AND entered_by IS NULL")
        todo = cursor.fetchone()[0]
        cursor.execute("SELECT array_agg(id) FROM res_user "
            "WHERE login LIKE 'agent%%'")
        users = cursor.fetchone()[0] or [1]
        cursor.execute('SELECT array_agg(id) FROM tv_media')
        media = cursor.fetchone()[0]
        cursor.execute('SELECT array_agg(id) FROM party_address '
            'WHERE subdivision IS NOT NULL')
        addresses = cursor.fetchone()[0]
        cursor.execute("SELECT array_agg(p.id) "
            "FROM product_product p JOIN product_template t "
            "ON p.template = t.id WHERE t.type = 'goods' AND t.salable")
        products, = cursor.fetchone()
        cursor.execute("SELECT id FROM product_uom WHERE name = 'Unit'")
        unit, = cursor.fetchone()
        if todo:
            cursor.execute("SELECT min(id), max(id) FROM sale_sale "
                "WHERE number LIKE 'B%%' AND entered_by IS NULL")
            low, high = cursor.fetchone()
            print(f'completing {todo} orders...', flush=True)
            started = time.monotonic()
            for start in range(low, high + 1, 100_000):
                # status by n: 7 of 10 signed, then refused, returned,
                # still on the way; a parcel only once processing/done
                cursor.execute("""
                    WITH x AS (
                        SELECT id, state, sale_date,
                            substr(number, 2)::int AS n
                        FROM sale_sale
                        WHERE number LIKE 'B%%' AND entered_by IS NULL
                            AND id BETWEEN %(start)s AND %(stop)s),
                    y AS (
                        SELECT x.*, CASE WHEN state IN ('processing', 'done')
                            THEN (ARRAY['delivered', 'delivered', 'delivered',
                                'delivered', 'delivered', 'delivered',
                                'delivered', 'refused', 'returned',
                                'in_transit'])[1 + n %% 10] END AS status
                        FROM x)
                    UPDATE sale_sale s SET
                        create_date = y.sale_date + time '01:00'
                            + (y.n %% 720) * interval '1 minute',
                        entered_by = (%(users)s::int[])[
                            1 + y.n %% cardinality(%(users)s::int[])],
                        media = (%(media)s::int[])[
                            1 + (y.n / 7) %% cardinality(%(media)s::int[])],
                        shipment_address = (%(addresses)s::int[])[
                            1 + y.n %% cardinality(%(addresses)s::int[])],
                        payment_method = CASE WHEN y.n %% 10 = 3
                            THEN 'prepaid' ELSE 'cod' END,
                        total_amount_cache = 100 + (y.n %% 20) * 50,
                        carrier = CASE WHEN y.status IS NOT NULL THEN
                            (%(carriers)s::int[])[1 + y.n %% 3] END,
                        delivery_status = y.status,
                        shipped_date = CASE WHEN y.status IS NOT NULL
                            THEN y.sale_date + 1 END,
                        delivery_status_date = CASE WHEN y.status IS NOT NULL
                            THEN y.sale_date + 2 + y.n %% 4 END,
                        delivered_date = CASE WHEN y.status = 'delivered'
                            THEN y.sale_date + 2 + y.n %% 4 END,
                        settled_amount = CASE WHEN y.status = 'delivered'
                            AND y.n %% 10 NOT IN (3, 6)
                            THEN 100 + (y.n %% 20) * 50 END,
                        settled_date = CASE WHEN y.status = 'delivered'
                            AND y.n %% 10 NOT IN (3, 6)
                            THEN y.sale_date + 12 END
                    FROM y WHERE s.id = y.id""", {
                        'start': start, 'stop': start + 99_999,
                        'users': users, 'media': media,
                        'addresses': addresses, 'carriers': carriers})
                print(f'  orders up to id {start + 99_999}', flush=True)
            # one line each, a second one for every third order
            cursor.execute("""
                INSERT INTO sale_line (sale, type, sequence, product, unit,
                    quantity, unit_price, description, create_uid,
                    create_date)
                SELECT s.id, 'line', k, (%(products)s::int[])[1 + p],
                    %(unit)s, 1 + n %% 3, 100 + (p %% 10) * 50,
                    '', 0, now() AT TIME ZONE 'UTC'
                FROM (SELECT id, substr(number, 2)::int AS n
                    FROM sale_sale WHERE number LIKE 'B%%'
                        AND NOT EXISTS (SELECT 1 FROM sale_line l
                            WHERE l.sale = sale_sale.id)) AS s,
                LATERAL (SELECT k, (n + k * 7) %%
                        cardinality(%(products)s::int[]) AS p
                    FROM generate_series(1, CASE WHEN n %% 3 = 0
                        THEN 2 ELSE 1 END) AS k) AS g""",
                {'products': products, 'unit': unit})
            # review returns and rejections (1 in 20 orders)
            cursor.execute("""
                INSERT INTO sale_review_log (sale, date, action, "user",
                    create_uid, create_date)
                SELECT id, create_date + interval '1 hour',
                    CASE WHEN substr(number, 2)::int %% 40 = 0
                        THEN 'reject' ELSE 'return' END, 1, 0,
                    now() AT TIME ZONE 'UTC'
                FROM sale_sale WHERE number LIKE 'B%%'
                    AND substr(number, 2)::int %% 20 = 0""", ())
            # refunds of 1 in 25 signed orders, most paid
            cursor.execute("""
                WITH r AS (
                    INSERT INTO sale_refund (sale, date, reason, amount,
                        state, paid_date, create_uid, create_date)
                    SELECT id, delivered_date + 3, 'bench', 100,
                        CASE WHEN id %% 4 = 0 THEN 'requested'
                            ELSE 'refunded' END,
                        CASE WHEN id %% 4 = 0 THEN NULL
                            ELSE delivered_date + 10 END,
                        0, now() AT TIME ZONE 'UTC'
                    FROM sale_sale WHERE number LIKE 'B%%'
                        AND delivery_status = 'delivered'
                        AND substr(number, 2)::int %% 25 = 1
                    RETURNING id, sale)
                INSERT INTO sale_refund_line (refund, sale_line, quantity,
                    create_uid, create_date)
                SELECT r.id, (SELECT min(l.id) FROM sale_line l
                        WHERE l.sale = r.sale), 1, 0,
                    now() AT TIME ZONE 'UTC'
                FROM r""", ())
            print('orders completed in %.0f s'
                % (time.monotonic() - started), flush=True)
        cursor.execute("SELECT count(*) FROM callcenter_call "
            "WHERE linkedid LIKE 'BSTAT%%'")
        have = cursor.fetchone()[0]
        if have < calls:
            cursor.execute('SELECT min(id) FROM callcenter_node')
            node = cursor.fetchone()[0]
            if node is None:
                raise RuntimeError('the bench database has no Asterisk node')
            # 3 of 4 answered; 1 in 10 without a medium
            common.insert_in_batches(cursor, 'calls', have, calls, """
                INSERT INTO callcenter_call (node, linkedid, direction,
                    state, start_time, media, disposition, rona_count,
                    hold_count, create_uid, create_date)
                SELECT %s, 'BSTAT' || n, 'inbound', 'ended',
                    (current_date - (n %% 365))::timestamp
                        + (n %% 86400) * interval '1 second',
                    CASE WHEN n %% 10 = 9 THEN NULL
                        ELSE (%s::int[])[1 + n %% cardinality(%s::int[])]
                        END,
                    CASE WHEN n %% 4 = 3 THEN 'abandoned'
                        ELSE 'answered' END, 0, 0, 0,
                    now() AT TIME ZONE 'UTC'
                FROM generate_series(%s, %s) AS n""", (node, media, media),
                step=250_000)
        for table in ['sale_sale', 'sale_line', 'callcenter_call',
                'sale_review_log', 'sale_refund', 'sale_refund_line']:
            cursor.execute(f'ANALYZE {table}')


def date_value(date):
    return {'__class__': 'date', 'year': date.year, 'month': date.month,
        'day': date.day}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--customers', type=int, default=100_000)
    parser.add_argument('--orders', type=int, default=1_000_000)
    parser.add_argument('--calls', type=int, default=1_500_000)
    parser.add_argument('--runs', type=int, default=5)
    args = parser.parse_args()
    common.ensure_bench_database()
    ensure_statistics_module()
    common.ensure_customers(args.customers)
    orders = common.ensure_orders(args.orders)
    carriers = ensure_couriers()
    ensure_facts(orders, args.calls, carriers)
    today = dt.date.today()
    ranges = {
        'last 30 days': (today - dt.timedelta(days=29), today),
        'whole year': (today - dt.timedelta(days=364), today),
        }
    results = []
    with common.trytond('statistics-trytond') as url:
        rpc = RPC(url, common.BENCH_DB)
        rpc.login('manager', settings.DEMO_PASSWORD)
        base = dict(rpc.context)
        for model, fields in REPORTS.items():
            periods = ['day', 'week', 'month'] if model in TIME_SERIES \
                else ['day']
            for range_name, (start, end) in ranges.items():
                for period in periods:
                    rpc.context = {**base, 'from_date': date_value(start),
                        'to_date': date_value(end), 'period': period,
                        'context_model': 'tv.statistics.context'}
                    timings, rows = [], 0
                    for _ in range(args.runs + 1):  # first run warms up
                        started = time.perf_counter()
                        rows = len(rpc.model(model, 'search_read', [], 0,
                                1000, None, fields))
                        timings.append(time.perf_counter() - started)
                    timings = timings[1:]
                    label = f'{model[len("tv.statistics."):]}, {range_name}'
                    if len(periods) > 1:
                        label += f', by {period}'
                    results.append((label, timings, rows))
    print(f'statistics over {orders:,} bench orders and {args.calls:,} '
        f'bench calls ({args.runs} runs each, search_read of the list)')
    for label, timings, rows in results:
        worst = max(timings)
        verdict = 'meets' if worst <= 2.0 else 'MISSES'
        print(f'  {label}: {rows} rows, median '
            f'{sorted(timings)[len(timings) // 2] * 1000:.0f} ms, max '
            f'{worst * 1000:.0f} ms [{verdict} <= 2 s]')


if __name__ == '__main__':
    main()
