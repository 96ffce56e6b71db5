"""What the benchmarks share: the bench database, processes, percentiles.

The benchmarks run on a copy of the test database (tvcc_bench, made from
tvcc_test: run `make setup-test` first), so they never disturb make run or
make test data, and on the 'probe' Asterisk instance.
"""
import contextlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / 'tests'))

from tvcc import settings  # noqa: E402

os.environ.setdefault('TRYTOND_CONFIG', str(settings.TRYTOND_CONF))

BENCH_DB = os.environ.get('TVCC_BENCH_DATABASE', 'tvcc_bench')
TEMPLATE_DB = settings.instance('test').database
PROBE = settings.instance('probe')
PYTHON = sys.executable


def admin_connection():
    from tvcc.bootstrap import _connect, database_uri
    return _connect(database_uri())


def application_role():
    "The role trytond and the bridge connect as (trytond.conf)"
    from tvcc.bootstrap import application_role, configured_uri
    return application_role(configured_uri())


def ensure_bench_database(fresh=False):
    "tvcc_bench: a copy of the test database (made once)"
    with admin_connection() as connection, connection.cursor() as cursor:
        cursor.execute('SELECT 1 FROM pg_database WHERE datname = %s',
            (BENCH_DB,))
        exists = bool(cursor.fetchone())
        if exists and not fresh:
            return
        if exists:
            cursor.execute(f'DROP DATABASE "{BENCH_DB}" WITH (FORCE)')
        cursor.execute(
            f'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
            f"WHERE datname = '{TEMPLATE_DB}' AND pid <> pg_backend_pid()")
        print(f'creating {BENCH_DB} from {TEMPLATE_DB}', flush=True)
        cursor.execute(
            f'CREATE DATABASE "{BENCH_DB}" TEMPLATE "{TEMPLATE_DB}" '
            f'OWNER "{application_role()}"')


def bench_cursor():
    from tvcc.bootstrap import _connect, database_uri
    return _connect(database_uri(), dbname=BENCH_DB, timeout=10)


def insert_in_batches(cursor, what, have, count, sql, params=(),
        step=200_000):
    """Run sql for rows have..count-1 in batches; sql ends with
    generate_series(%s, %s) after its own params"""
    print(f'inserting {count - have} {what} (have {have})...', flush=True)
    # psycopg sends small ints as smallint: generate_series would be
    # ambiguous.
    sql = sql.replace('generate_series(%s, %s)',
        'generate_series(%s::integer, %s::integer)')
    started = time.monotonic()
    for start in range(have, count, step):
        stop = min(start + step, count)
        cursor.execute(sql, (*params, start, stop - 1))
        print(f'  {stop} {what}', flush=True)
    print('inserted in %.0f s' % (time.monotonic() - started))


def ensure_customers(count):
    """count extra customers, each with a mobile +8615xxxxxxxxx; SQL bulk
    insert (the ORM would take hours for a million)"""
    with bench_cursor() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM party_party "
            "WHERE code LIKE 'BENCH%%'")
        have = cursor.fetchone()[0]
        if have >= count:
            return have
        insert_in_batches(cursor, 'customers', have, count, """
            WITH new AS (
                INSERT INTO party_party (code, name, level, active,
                    create_uid, create_date)
                SELECT 'BENCH' || n, '客户' || n, 'normal', true, 0,
                    now() AT TIME ZONE 'UTC'
                FROM generate_series(%s, %s) AS n
                RETURNING id, code)
            INSERT INTO party_contact_mechanism (party, type, value,
                value_compact, active, sequence, create_uid, create_date)
            SELECT id, 'mobile', '+8615' || lpad(substr(code, 6), 9, '0'),
                '+8615' || lpad(substr(code, 6), 9, '0'), true, 10, 0,
                now() AT TIME ZONE 'UTC'
            FROM new""")
        cursor.execute('ANALYZE party_party')
        cursor.execute('ANALYZE party_contact_mechanism')
        return count


def bench_mobile(n):
    "The national number of bench customer n"
    return f'15{n:09d}'


def percentiles(values, points=(50, 90, 95, 99)):
    ordered = sorted(values)
    if not ordered:
        return {p: float('nan') for p in points}
    result = {}
    for point in points:
        index = min(len(ordered) - 1,
            max(0, round(point / 100 * len(ordered)) - 1))
        result[point] = ordered[index]
    return result


def describe(values, unit='ms', scale=1000):
    if not values:
        return 'no samples'
    p = percentiles(values)
    return (f'n={len(values)} p50={p[50] * scale:.1f}{unit} '
        f'p90={p[90] * scale:.1f}{unit} p95={p[95] * scale:.1f}{unit} '
        f'p99={p[99] * scale:.1f}{unit} max={max(values) * scale:.1f}{unit} '
        f'mean={statistics.mean(values) * scale:.1f}{unit}')


@contextlib.contextmanager
def process(name, cmd, ready=None, env=None, timeout=90):
    "Run cmd in the background (log in var/log/bench-<name>.log)"
    settings.LOG.mkdir(parents=True, exist_ok=True)
    log_path = settings.LOG / f'bench-{name}.log'
    with open(log_path, 'wb') as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, 'PYTHONUNBUFFERED': '1', **(env or {})})
    try:
        if ready:
            deadline = time.monotonic() + timeout
            while not ready(log_path.read_text(errors='replace')):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f'{name} did not start; see {log_path}')
                time.sleep(0.2)
        proc.log_path = log_path
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def tryton_database(name=BENCH_DB):
    "The bench database, emptied of what earlier benchmark runs created"
    from telephony.database import TrytonDatabase
    from callcenter import remove_test_data
    database = TrytonDatabase(name).init()
    database.call(remove_test_data)
    return database


def bench_node(database, code='bench', ami_port=None, agi_port=None,
        instance=PROBE):
    "A node record for the benchmark's bridge"
    def make(pool):
        Node = pool.get('callcenter.node')
        values = {'name': code, 'code': code,
            'ami_port': ami_port or instance.ami_port,
            'agi_port': agi_port or instance.agi_port,
            'ami_secret_ref': instance.ami_secret_ref,
            'agi_secret_ref': instance.agi_secret_ref,
            'wss_port': instance.wss_port,
            'instance_path': instance.path,
            'host_path': str(instance.host_path)}
        nodes = Node.search([('code', '=', code),
                ('active', 'in', [True, False])])
        if nodes:
            Node.write(nodes, {**values, 'active': True})
        else:
            nodes = Node.create([values])
        return nodes[0].id
    return database.call(make)


def web_url(instance=PROBE, offset=0):
    return f'http://127.0.0.1:{instance.web_port + offset}/'


@contextlib.contextmanager
def trytond_servers(name='trytond', database=BENCH_DB, instance=PROBE,
        servers=1):
    """servers trytond processes serving database on the probe instance's
    web port and the next ones (one Python process uses one core); yields
    their URLs"""
    from helpers import http_ok
    with contextlib.ExitStack() as stack:
        urls = []
        for offset in range(servers):
            url = web_url(instance, offset)
            stack.enter_context(process(
                    f'{name}-{offset}' if servers > 1 else name, [
                        str(settings.PROJECT / '.venv' / 'bin' / 'trytond'),
                        '-c', str(settings.TRYTOND_CONF), '-d', database],
                    env={'TRYTOND_WEB__LISTEN':
                        f'127.0.0.1:{instance.web_port + offset}'},
                    ready=lambda log, url=url: http_ok(url)))
            urls.append(url)
        yield urls


@contextlib.contextmanager
def trytond(name='trytond', database=BENCH_DB, instance=PROBE):
    "One trytond serving database on the probe instance's web port"
    with trytond_servers(name, database, instance) as urls:
        yield urls[0]


def ensure_orders(count):
    """count extra orders (numbers 'B0000001'...) spread over the bench
    customers; SQL bulk insert"""
    with bench_cursor() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sale_sale "
            "WHERE number LIKE 'B%%'")
        have = cursor.fetchone()[0]
        if have >= count:
            return have
        cursor.execute("SELECT min(id), max(id), count(*) FROM party_party "
            "WHERE code LIKE 'BENCH%%'")
        first, _, customers = cursor.fetchone()
        if not customers:
            raise RuntimeError('insert the bench customers first')
        cursor.execute('SELECT id, currency FROM company_company LIMIT 1')
        company, currency = cursor.fetchone()
        insert_in_batches(cursor, 'orders', have, count, """
            INSERT INTO sale_sale (number, company, currency, party, state,
                invoice_method, invoice_state, shipment_method,
                shipment_state, payment_method, sale_date, create_uid,
                create_date)
            SELECT 'B' || lpad(n::text, 7, '0'), %s, %s,
                %s + (n::bigint * 7919) %% %s,
                (ARRAY['draft', 'submitted', 'first_reviewed', 'processing',
                    'done'])[1 + n %% 5],
                'manual', 'none', 'order', 'none', 'cod',
                current_date - (n %% 365), 0, now() AT TIME ZONE 'UTC'
            FROM generate_series(%s, %s) AS n""",
            (company, currency, first, customers))
        cursor.execute('ANALYZE sale_sale')
        return count
