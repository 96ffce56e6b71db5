#!/usr/bin/env python3
"""Call statistics (话务统计) over a month of a million calls.

    .venv/bin/python bench/report_callcenter.py [--calls 1000000]
        [--states 100000] [--runs 3] [--template tvcc_test] [--fresh]

A scratch database (tvcc_callstats_bench, a copy of the template: the test
database by default) gets, in SQL, a month (the last 30 days) of inbound
calls over the demo queues and agents (answered, abandoned, overflow,
after hours...) with two IVR steps each, holds and RONAs on some, and
100,000 agent state changes (ready, ringing, in call, after-call work,
paused with a reason). Each report is then opened as the web client does
(search_read of its list columns over JSON-RPC, as the manager) for the
whole month, by day, hour and 15 minutes and for the range as one row, by
queue and by agent. Target: each view <= 2 s.
"""
import argparse
import datetime as dt
import time

import common

from helpers import RPC
from tvcc import settings

DB = 'tvcc_callstats_bench'
REPORTS = {
    'callcenter.report.queue': ['period', 'queue', 'agent', 'trunk', 'did',
        'calls_in', 'average_wait', 'longest_wait', 'answered',
        'average_talk', 'answer_speed', 'abandoned', 'abandoned_counted',
        'abandon_rate', 'average_abandon', 'rona', 'service_level',
        'service_level_threshold', 'overflow', 'after_hours', 'blacklisted',
        'voicemail'],
    'callcenter.report.agent': ['period', 'agent', 'login_time',
        'idle_time', 'inbound_calls', 'inbound_time', 'outbound_calls',
        'outbound_time', 'hold_count', 'average_hold', 'wrapup_count',
        'wrapup_time', 'average_wrapup', 'aux_count', 'aux_time', 'rona',
        'occupancy'],
    'callcenter.report.agent_aux': ['period', 'agent', 'reason',
        'aux_count', 'aux_time'],
    'callcenter.report.ivr': ['period', 'flow', 'node', 'key', 'next_node',
        'outcome', 'entered', 'callers'],
    'callcenter.report.call': ['start', 'direction', 'caller',
        'called_number', 'did', 'queue', 'agent', 'disposition', 'wait',
        'ring', 'talk', 'duration', 'hold_count', 'rona_count', 'recorded'],
    'callcenter.report.agent_action': ['start', 'end', 'agent', 'action',
        'reason', 'duration', 'call'],
    }
VIEWS = {
    'callcenter.report.queue': [('day', 'queue'), ('hour', 'queue'),
        ('quarter_hour', 'none'), ('range', 'agent'), ('day', 'did')],
    'callcenter.report.agent': [('day', 'queue'), ('hour', 'queue'),
        ('quarter_hour', 'queue'), ('range', 'queue')],
    'callcenter.report.agent_aux': [('day', 'queue'), ('range', 'queue')],
    'callcenter.report.ivr': [('day', 'queue'), ('range', 'queue')],
    'callcenter.report.call': [('range', 'queue')],
    'callcenter.report.agent_action': [('range', 'queue')],
    }


def ensure_database(template, fresh):
    with common.admin_connection() as connection, \
            connection.cursor() as cursor:
        cursor.execute('SELECT 1 FROM pg_database WHERE datname = %s', (DB,))
        exists = bool(cursor.fetchone())
        if exists and not fresh:
            return
        if exists:
            cursor.execute(f'DROP DATABASE "{DB}" WITH (FORCE)')
        print(f'creating {DB} from {template}', flush=True)
        cursor.execute(f'CREATE DATABASE "{DB}" TEMPLATE "{template}" '
            f'OWNER "{common.application_role()}"')


def cursor():
    from tvcc.bootstrap import _connect, database_uri
    return _connect(database_uri(), dbname=DB, timeout=10)


def ensure_facts(calls, states, start):
    "The month of calls, IVR steps, holds, RONAs and states, once"
    with cursor() as connection, connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM callcenter_call "
            "WHERE linkedid LIKE 'BCS%%'")
        have_calls = cur.fetchone()[0] >= calls
        cur.execute("SELECT count(*) FROM callcenter_agent_state_log "
            "WHERE start >= %s", (start,))
        have_states = cur.fetchone()[0] >= states
        if have_calls and have_states:
            return
        cur.execute('SELECT min(id) FROM callcenter_node')
        node, = cur.fetchone()
        cur.execute('SELECT array_agg(id) FROM callcenter_queue')
        queues, = cur.fetchone()
        cur.execute('SELECT array_agg(id) FROM callcenter_agent')
        agents, = cur.fetchone()
        cur.execute('SELECT array_agg(id) FROM callcenter_did')
        dids, = cur.fetchone()
        cur.execute('SELECT array_agg(id) FROM callcenter_ivr_node')
        nodes, = cur.fetchone()
        cur.execute('SELECT array_agg(id) FROM callcenter_pause_reason')
        reasons, = cur.fetchone()
        if not (node and queues and agents and nodes and reasons):
            raise RuntimeError('the template has no demo call center')
        seconds = 30 * 86400
        started = time.monotonic()
        if not have_calls:
            insert_calls(cur, calls, start, seconds, node, dids, queues,
                agents, nodes)
        # The demo's states of the month make way for the bench's.
        cur.execute("DELETE FROM callcenter_agent_state_log "
            "WHERE start >= %s", (start,))
        # Each agent's month as consecutive states of equal length.
        per_agent = states // len(agents)
        length = seconds // per_agent
        cur.execute("""
            INSERT INTO callcenter_agent_state_log (agent, state, reason,
                start, "end", duration, source, create_uid, create_date)
            SELECT a, st, CASE WHEN st = 'paused'
                    THEN (%s::int[])[1 + n %% cardinality(%s::int[])] END,
                %s::timestamp + n * %s * interval '1 second',
                %s::timestamp + (n + 1) * %s * interval '1 second',
                %s * interval '1 second', 'asterisk', 0,
                now() AT TIME ZONE 'UTC'
            FROM unnest(%s::int[]) AS a,
                generate_series(0, %s - 1) AS n,
                LATERAL (SELECT (ARRAY['ready', 'ringing', 'in_call',
                    'wrapup', 'ready', 'paused'])[1 + (n + a) %% 6] AS st)
                    AS s""",
            (reasons, reasons, start, length, start, length, length, agents,
                per_agent))
        for table in ['callcenter_call', 'callcenter_call_ivr_step',
                'callcenter_call_hold', 'callcenter_call_rona',
                'callcenter_agent_state_log']:
            cur.execute(f'ANALYZE {table}')
        connection.commit()
        print('facts inserted in %.0f s' % (time.monotonic() - started),
            flush=True)


def insert_calls(cur, calls, start, seconds, node, dids, queues, agents,
        nodes):
    "The calls of the month with their IVR steps, holds and RONAs"
    cur.execute("DELETE FROM callcenter_call WHERE linkedid LIKE 'BCS%%'")
    # 70 % answered, 15 % abandoned (a third under 5 s), then overflow,
    # after hours, blacklisted, voicemail.
    common.insert_in_batches(cur, 'calls', 0, calls, """
        INSERT INTO callcenter_call (node, linkedid, uniqueid,
            direction, state, caller, called_number, did, queue, agent,
            start_time, enter_time, connect_time, end_time,
            wait_duration, ring_duration, talk_duration, disposition,
            rona_count, hold_count, create_uid, create_date)
        SELECT %(node)s, 'BCS' || n, 'BCS' || n, 'inbound', 'ended',
            '+86138' || lpad((n %% 100000000)::text, 8, '0'), '4008001',
            %(did)s,
            CASE WHEN d IN ('after_hours', 'blacklisted') THEN NULL
                ELSE (%(queues)s::int[])[1 + n %% cardinality(
                    %(queues)s::int[])] END,
            CASE WHEN d = 'answered' THEN (%(agents)s::int[])[
                1 + n %% cardinality(%(agents)s::int[])] END,
            t, CASE WHEN d NOT IN ('after_hours', 'blacklisted')
                THEN t + interval '8 seconds' END,
            CASE WHEN d = 'answered'
                THEN t + (8 + n %% 40) * interval '1 second' END,
            t + (8 + n %% 40 + 120) * interval '1 second',
            CASE WHEN d NOT IN ('after_hours', 'blacklisted')
                THEN (n %% 40) * interval '1 second' END,
            CASE WHEN d = 'answered'
                THEN (n %% 7) * interval '1 second' END,
            CASE WHEN d = 'answered'
                THEN 112 * interval '1 second' END,
            d, CASE WHEN n %% 20 = 0 THEN 1 ELSE 0 END,
            CASE WHEN n %% 10 = 0 THEN 1 ELSE 0 END,
            0, now() AT TIME ZONE 'UTC'
        FROM (SELECT n, %(start)s::timestamp
                + (n::bigint * 2654435761 %% %(seconds)s)
                * interval '1 second' AS t,
                (ARRAY['answered', 'answered', 'answered', 'answered',
                    'answered', 'answered', 'answered', 'answered',
                    'answered', 'answered', 'answered', 'answered',
                    'answered', 'answered', 'abandoned', 'abandoned',
                    'abandoned', 'overflow', 'after_hours',
                    'voicemail'])[1 + n %% 20] AS d
            FROM generate_series(%s, %s) AS n) AS s
        """.replace('%(node)s', str(node))
        .replace('%(did)s', f"('{_array(dids)}'::int[])[1 + n %% "
            f"cardinality('{_array(dids)}'::int[])]" if dids else 'NULL')
        .replace('%(queues)s', f"'{_array(queues)}'")
        .replace('%(agents)s', f"'{_array(agents)}'")
        .replace('%(start)s', f"'{start.isoformat()}'")
        .replace('%(seconds)s', str(seconds)), step=250_000)
    print('IVR steps, holds, RONAs...', flush=True)
    for sequence in (0, 1):
        cur.execute("""
            INSERT INTO callcenter_call_ivr_step (call, sequence, node,
                name, key, entered_at, create_uid, create_date)
            SELECT id, %s, (%s::int[])[1 + (id + %s) %% cardinality(
                    %s::int[])], 'bench', CASE WHEN %s = 0
                THEN (1 + id %% 3)::text END, start_time, 0,
                now() AT TIME ZONE 'UTC'
            FROM callcenter_call WHERE linkedid LIKE 'BCS%%'""",
            (sequence, nodes, sequence, nodes, sequence))
    cur.execute("""
        INSERT INTO callcenter_call_hold (call, start, "end",
            create_uid, create_date)
        SELECT id, connect_time + interval '20 seconds',
            connect_time + interval '35 seconds', 0,
            now() AT TIME ZONE 'UTC'
        FROM callcenter_call WHERE linkedid LIKE 'BCS%%'
            AND hold_count = 1 AND connect_time IS NOT NULL""")
    cur.execute("""
        INSERT INTO callcenter_call_rona (call, agent, time,
            ring_duration, create_uid, create_date)
        SELECT id, (%s::int[])[1 + (id + 1) %% cardinality(%s::int[])],
            enter_time + interval '2 seconds', interval '15 seconds', 0,
            now() AT TIME ZONE 'UTC'
        FROM callcenter_call WHERE linkedid LIKE 'BCS%%'
            AND rona_count = 1""", (agents, agents))


def _array(ids):
    return '{' + ','.join(str(i) for i in ids or []) + '}' if ids else None


def date_value(date):
    return {'__class__': 'date', 'year': date.year, 'month': date.month,
        'day': date.day}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--calls', type=int, default=1_000_000)
    parser.add_argument('--states', type=int, default=100_000)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--template', default=common.TEMPLATE_DB)
    parser.add_argument('--instance', default='probe',
        help="whose web port the bench trytond listens on")
    parser.add_argument('--fresh', action='store_true')
    args = parser.parse_args()
    ensure_database(args.template, args.fresh)
    today = dt.date.today()
    first = today - dt.timedelta(days=29)
    # The month in UTC, from the first local day's start (UTC+8).
    start = dt.datetime.combine(first, dt.time()) - dt.timedelta(hours=8)
    ensure_facts(args.calls, args.states, start)
    results = []
    instance = settings.instance(args.instance)
    with common.trytond('callstats-trytond', database=DB,
            instance=instance) as url:
        rpc = RPC(url, DB)
        rpc.login('manager', settings.DEMO_PASSWORD)
        base = dict(rpc.context)
        for model, fields in REPORTS.items():
            for period, key in VIEWS[model]:
                rpc.context = {**base, 'from_date': date_value(first),
                    'to_date': date_value(today), 'period': period,
                    'key': key,
                    'context_model': 'callcenter.report.context'}
                timings, rows = [], []
                for _ in range(args.runs + 1):  # the first run warms up
                    began = time.perf_counter()
                    rows = rpc.model(model, 'search_read', [], 0, 1000,
                        None, fields)
                    timings.append(time.perf_counter() - began)
                results.append((model, period, key, timings[1:], rows))
    print(f'call statistics over {args.calls:,} calls and {args.states:,} '
        f'agent states of 30 days ({args.runs} runs each, search_read of '
        'the list, first 1000 rows)')
    for model, period, key, timings, rows in results:
        worst = max(timings)
        verdict = 'meets' if worst <= 2.0 else 'MISSES'
        print(f'  {model[len("callcenter.report."):]} by {period}/{key}: '
            f'{len(rows)} rows, median '
            f'{sorted(timings)[len(timings) // 2] * 1000:.0f} ms, max '
            f'{worst * 1000:.0f} ms [{verdict} <= 2 s]')
        if rows and model == 'callcenter.report.queue' and period == 'range':
            total = {name: sum(r[name] or 0 for r in rows)
                for name in ['calls_in', 'answered', 'abandoned',
                    'abandoned_counted']}
            print(f'    figures: {total}')
        if rows and model == 'callcenter.report.agent' and period == 'range':
            print(f'    first agent: {rows[0]}')


if __name__ == '__main__':
    main()
