"""Tracking-status import: a courier's 100,000-row status file.

    .venv/bin/python bench/tracking_import.py [--rows 100000] [--xlsx]

Prepares ROWS shipped bench orders with tracking numbers (SQL), writes a
status file (CSV, or Excel with --xlsx) marking each parcel signed for, and
imports it the way the clerk's Import button and the queue worker do: the
file is read and its rows stored in one transaction, then applied in
background chunks, each its own transaction. Prints rows/s for each stage
and the process's peak memory. Run it twice: the second run imports the
same file again (every row "already recorded").
"""
import argparse
import csv
import datetime as dt
import io
import resource
import time

import common


def prepare(rows):
    "A bench courier, a shipped batch, rows shipped orders with waybills"
    common.ensure_bench_database()
    common.ensure_customers(min(rows, 100_000))
    common.ensure_orders(rows)
    database = common.tryton_database()

    def setup(pool):
        Carrier = pool.get('carrier')
        Batch = pool.get('tv.shipping.batch')
        Party = pool.get('party.party')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        Company = pool.get('company.company')
        carriers = Carrier.search([('code', '=', 'BENCHSF')])
        if not carriers:
            unit, = Uom.search([('name', '=', 'Unit')], limit=1)
            template, = Template.create([{'name': '运费', 'type': 'service',
                        'default_uom': unit.id, 'products': [('create',
                                [{}])]}])
            party, = Party.create([{'name': '压测快递'}])
            carriers = Carrier.create([{'party': party.id, 'code': 'BENCHSF',
                        'carrier_product': template.products[0].id}])
        batches = Batch.search([('carrier', '=', carriers[0].id)])
        if not batches:
            company, = Company.search([], limit=1)
            batches = Batch.create([{'carrier': carriers[0].id,
                        'company': company.id}])
            Batch.write(batches, {'state': 'shipped'})
        return carriers[0].id, batches[0].id
    carrier, batch = database.call(setup)
    with common.bench_cursor() as connection, connection.cursor() as cursor:
        # Every run starts from parcels just shipped, no import pending.
        cursor.execute("DELETE FROM ir_queue WHERE finished_at IS NULL")
        cursor.execute("""
            DELETE FROM sale_tracking WHERE sale IN (
                SELECT id FROM sale_sale WHERE shipping_batch = %s)""",
            (batch,))
        cursor.execute("""
            UPDATE sale_sale SET shipping_batch = %s, carrier = %s,
                tracking_number = 'BT' || lpad(id::text, 12, '0'),
                delivery_status = 'shipped', shipped_date = current_date,
                delivery_status_date = current_date, delivered_date = NULL
            WHERE id IN (SELECT id FROM sale_sale WHERE number LIKE 'B%%'
                ORDER BY id LIMIT %s)""", (batch, carrier, rows))
        cursor.execute("""
            SELECT tracking_number FROM sale_sale WHERE shipping_batch = %s
            ORDER BY id""", (batch,))
        numbers = [r[0] for r in cursor]
        cursor.execute('ANALYZE sale_sale')
    return database, numbers


def status_file(numbers, xlsx):
    today = dt.date.today().isoformat()
    header = ['运单号', '物流状态', '签收时间', '备注']
    body = [[n, '已签收', today, '本人签收'] for n in numbers]
    if xlsx:
        from tvcc import sheets
        return sheets.write_xlsx([('状态', header, body)]), 'status.xlsx'
    out = io.StringIO()
    csv.writer(out).writerows([header] + body)
    return out.getvalue().encode('utf-8'), 'status.csv'


def reset_peak():
    "Start measuring the peak resident memory from now (Linux)"
    try:
        with open('/proc/self/clear_refs', 'w') as file:
            file.write('5')
    except OSError:
        pass


def peak_mb():
    "The process's peak resident memory since reset_peak() (MB)"
    try:
        with open('/proc/self/status') as file:
            for line in file:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_mb():
    with open('/proc/self/status') as file:
        for line in file:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rows', type=int, default=100_000)
    parser.add_argument('--xlsx', action='store_true')
    args = parser.parse_args()
    database, numbers = prepare(args.rows)
    data, filename = status_file(numbers, args.xlsx)
    before = current_mb()
    print(f'{len(numbers)} shipped parcels; file {filename} '
        f'{len(data) / 1e6:.1f} MB; memory before import {before:.0f} MB',
        flush=True)
    reset_peak()

    def read(pool):
        Import = pool.get('tv.tracking.import')
        import_, = Import.create([{'file': data, 'filename': filename}])
        Import.process([import_])
        return import_.id
    started = time.perf_counter()
    import_id = database.call(read)
    read_seconds = time.perf_counter() - started
    print(f'read and stored: {len(numbers) / read_seconds:,.0f} rows/s '
        f'({read_seconds:.1f} s)', flush=True)

    def next_task(pool):
        Queue = pool.get('ir.queue')
        tasks = Queue.search([('finished_at', '=', None)],
            order=[('id', 'ASC')], limit=1)
        if tasks:
            tasks[0].run()
            Queue.write(tasks, {'finished_at': dt.datetime.now()})
            return True
        return False

    started = time.perf_counter()
    chunks = 0
    while database.call(next_task):
        chunks += 1
    apply_seconds = time.perf_counter() - started

    def result(pool):
        import_ = pool.get('tv.tracking.import')(import_id)
        return (import_.state, import_.total, import_.applied,
            import_.unchanged, import_.rejected)
    state, total, applied, unchanged, rejected = database.call(result)
    print(f'applied in {chunks} background chunks: '
        f'{total / apply_seconds:,.0f} rows/s ({apply_seconds:.1f} s)')
    print(f'import {state}: {total} rows, {applied} applied, {unchanged} '
        f'already recorded, {rejected} rejected')
    print(f'overall: {total / (read_seconds + apply_seconds):,.0f} rows/s; '
        f'peak memory during import {peak_mb():.0f} MB '
        f'(+{peak_mb() - before:.0f} MB)')


if __name__ == '__main__':
    main()
