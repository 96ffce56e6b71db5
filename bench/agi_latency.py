#!/usr/bin/env python3
"""FastAGI routing latency with a million customers, at 50 calls/s.

    .venv/bin/python bench/agi_latency.py [--customers 1000000] [--rate 50]
        [--seconds 60]

The bridge runs against tvcc_bench (a million customers inserted once) and
serves FastAGI; this script plays Asterisk: it opens AGI sessions for the
demo hotline (its IVR: caller screening, business hours, a key menu, the
queue) from callers who are customers (90 %) or not, answers every AGI
command at once (key "1" to the menu) and measures each session from
connect to the bridge closing it: the routing time a caller waits for,
minus Asterisk's own work. Target: p99 <= 10 ms.
"""
import argparse
import asyncio
import random
import time

import common
from telephony.agi import request_key

TOKEN = common.PROBE.agi_secret()

DID = '4008201001'


async def agi_session(port, caller, linkedid):
    "One call's routing as Asterisk drives it; return its duration"
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    # The bridge serves only requests with the installation's key for the
    # channel, SHA1(token + uniqueid), as the dialplan computes it.
    key = request_key(TOKEN, linkedid)
    headers = {
        'agi_network': 'yes',
        'agi_network_script': f'{key}/inbound',
        'agi_request': f'agi://127.0.0.1:{port}/{key}/inbound',
        'agi_channel': f'SIP/carrier-{linkedid}',
        'agi_uniqueid': linkedid,
        'agi_callerid': caller,
        'agi_calleridname': 'unknown',
        'agi_context': 'tvcc-inbound',
        'agi_extension': DID,
        'agi_arg_1': DID,
        'agi_arg_2': linkedid,
        }
    writer.write(''.join(f'{k}: {v}\n' for k, v in headers.items())
        .encode() + b'\n')
    await writer.drain()
    while True:
        line = await reader.readline()
        if not line:
            break
        command = line.decode().strip()
        if command.startswith('GET DATA'):
            writer.write(b'200 result=1\n')
        else:
            writer.write(b'200 result=0\n')
        await writer.drain()
    writer.close()
    return time.perf_counter() - started


async def load(port, rate, seconds, customers, rng):
    durations = []
    errors = 0
    tasks = []
    total = int(rate * seconds)
    started = time.perf_counter()

    async def one(index):
        nonlocal errors
        if rng.random() < 0.9:
            caller = common.bench_mobile(rng.randrange(customers))
        else:
            caller = f'1{rng.choice("378")}{rng.randrange(10**9):09d}'
        try:
            durations.append(await agi_session(
                    port, caller, f'bench-{started:.0f}-{index}'))
        except OSError:
            errors += 1
    for index in range(total):
        tasks.append(asyncio.ensure_future(one(index)))
        delay = started + (index + 1) / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    await asyncio.gather(*tasks)
    return durations, errors, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--customers', type=int, default=1_000_000)
    parser.add_argument('--rate', type=float, default=50)
    parser.add_argument('--seconds', type=float, default=60)
    parser.add_argument('--warmup', type=float, default=5)
    args = parser.parse_args()

    common.ensure_bench_database()
    common.ensure_customers(args.customers)
    database = common.tryton_database()
    # AMI is not needed to route: the node points at a closed port.
    common.bench_node(database, code='bench', ami_port=1)
    database.close()
    rng = random.Random(2026)
    port = common.PROBE.agi_port
    with common.process('agi-bridge', [
            common.PYTHON, '-m', 'telephony', '-c',
            str(common.settings.TRYTOND_CONF), '-d', common.BENCH_DB,
            '--node', 'bench'], ready=lambda log: 'READY bridge' in log):
        asyncio.run(load(port, args.rate, args.warmup, args.customers, rng))
        durations, errors, elapsed = asyncio.run(
            load(port, args.rate, args.seconds, args.customers, rng))
    p = common.percentiles(durations)
    print(f'FastAGI routing, {args.customers} customers, '
        f'{len(durations)} calls at {len(durations) / elapsed:.1f}/s '
        f'({errors} errors)')
    print('  ' + common.describe(durations))
    verdict = 'meets' if p[99] <= 0.010 else 'MISSES'
    print(f'  target p99 <= 10 ms: {verdict} ({p[99] * 1000:.1f} ms)')


if __name__ == '__main__':
    main()
