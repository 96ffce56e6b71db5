#!/usr/bin/env python3
"""How many concurrent recorded calls the real Asterisk carries here.

    .venv/bin/python bench/recorded_calls.py [--steps 30,60,90,120,150,200]

On the 'probe' instance with the bridge on tvcc_bench: for each step, that
many callers dial a queue that records every call (MixMonitor) and as many
simulated agents answer and stay on the line; the step holds the calls up
together a while. A step passes when every call is answered and
leaves a non-empty recording. It reports Asterisk's CPU use per step and
stops at the first step where call set-up fails. The seed needs 90.
"""
import argparse
import asyncio
import os
import subprocess
import time

import common

from callcenter import CallCenter, local_caller
from helpers import ami_session


def cpu_seconds(pids):
    total = 0.0
    ticks = os.sysconf('SC_CLK_TCK')
    for pid in pids:
        try:
            fields = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1]
        except OSError:
            continue
        utime, stime = fields.split()[11:13]
        total += (int(utime) + int(stime)) / ticks
    return total


def asterisk_pids():
    import sys
    sys.path.insert(0, str(common.settings.PROJECT / 'asterisk'))
    import runtime
    return runtime.instance_pids(common.PROBE)


async def step(cc, inst, did, agents, count, rate):
    "Place count calls held together; return (callers, Asterisk CPU share)"
    # Callers stay until every call of the step is up, and some more.
    hold = count / rate + 20
    async with ami_session(inst) as ami:
        # Every member answers (a member without a script would ring a
        # phone that is not there and make the queue retry).
        await cc.simulate_agents(ami, {e: f'1,{hold + 30:.0f}'
                for e in agents})
        callers = set()
        placed = time.monotonic()
        for _ in range(count):
            caller = local_caller()
            callers.add(caller)
            await cc.call(ami, did, caller, hold=round(hold))
            await asyncio.sleep(1 / rate)
    await asyncio.sleep(4)
    pids = asterisk_pids()
    before, started = cpu_seconds(pids), time.monotonic()
    await asyncio.sleep(4)
    cpu = (cpu_seconds(pids) - before) / (time.monotonic() - started)
    # Let the callers hang up and the recordings close.
    await asyncio.sleep(max(0, placed + hold + 6 - time.monotonic()))
    return callers, cpu


def outcome(database, callers):
    """(answered, recorded, most calls up at once) from the call records"""
    from tvcc import phone
    numbers = [phone.normalize(c) for c in callers]

    def read(pool):
        Call = pool.get('callcenter.call')
        calls = Call.search([('caller', 'in', numbers)])
        answered = [c for c in calls if c.connect_time and c.end_time]
        recorded = sum(1 for c in calls if (c.recording_size or 0) > 8000)
        moments = sorted([(c.connect_time, 1) for c in answered]
            + [(c.end_time, -1) for c in answered])
        up = peak = 0
        for _, change in moments:
            up += change
            peak = max(peak, up)
        return len(answered), recorded, peak
    return database.call(read, readonly=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', default='30,60,90,120,150,200',
        type=lambda text: [int(s) for s in text.split(',')])
    parser.add_argument('--rate', type=float, default=15,
        help="calls started per second within a step")
    args = parser.parse_args()
    common.ensure_bench_database()
    inst = common.PROBE
    database = common.tryton_database()
    node = common.bench_node(database, code='benchrec')
    cc = CallCenter(database, inst, node)
    agents = cc.agents(max(args.steps))
    queue, queue_id = cc.queue(agents, strategy='longest_idle',
        recording='all', ring_timeout=10)
    did = cc.did(queue=queue_id)
    cc.presence(agents, 'login')
    subprocess.run([common.PYTHON, str(common.settings.PROJECT / 'asterisk'
                / 'runtime.py'), 'start', '-i', inst.name, '--restart'],
        check=True, stdout=subprocess.DEVNULL)
    results = []
    try:
        with common.process('rec-bridge', [common.PYTHON, '-m', 'telephony',
                    '-c', str(common.settings.TRYTOND_CONF),
                    '-d', common.BENCH_DB, '--node', 'benchrec'],
                ready=lambda log: 'resync:' in log, timeout=120):
            async def ready():
                async with ami_session(inst) as ami:
                    await cc.wait_ready(ami, queue, agents)
            asyncio.run(ready())
            for count in args.steps:
                callers, cpu = asyncio.run(step(cc, inst, did, agents,
                        count, args.rate))
                deadline = time.monotonic() + 30
                while True:
                    connected, recorded, peak = outcome(database, callers)
                    if (connected >= count and recorded >= connected) \
                            or time.monotonic() > deadline:
                        break
                    time.sleep(1)
                load = os.getloadavg()[0]
                results.append((count, connected, recorded, peak))
                print(f'  {count} calls: {connected} answered, {peak} up at '
                    f'once, {recorded} recordings; Asterisk CPU '
                    f'{cpu * 100:.0f}% of one core, load {load:.1f}',
                    flush=True)
                if connected < count or recorded < connected:
                    break
                time.sleep(5)
    finally:
        subprocess.run([common.PYTHON, str(common.settings.PROJECT /
                    'asterisk' / 'runtime.py'), 'stop', '-i', inst.name],
            stdout=subprocess.DEVNULL)
    carried = max([peak for count, connected, recorded, peak in results
            if connected == count and recorded == count], default=0)
    print(f'concurrent recorded calls on {os.cpu_count()} cores: '
        f'{carried} up at once with every call answered and recorded '
        f'({"meets" if carried >= 90 else "MISSES"} the 90 the seed needs)')


if __name__ == '__main__':
    main()
