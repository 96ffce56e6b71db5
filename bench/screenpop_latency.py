#!/usr/bin/env python3
"""AgentCalled -> bus delivery latency of the screen pop (p50/p95).

    .venv/bin/python bench/screenpop_latency.py [--calls 100] [--agents 10]

Real calls through the 'probe' Asterisk; the bridge and trytond serve
tvcc_bench. Every agent's browser is played by a thread long-polling
trytond's bus as that agent, as sao does. The latency of a pop is the time
the message reaches the agent's long-poll minus the AgentCalled event's
timestamp from Asterisk. Target: p95 <= 300 ms.
"""
import argparse
import asyncio
import json
import threading
import time
import urllib.request

import common

from callcenter import AGENT_PASSWORD, CallCenter, local_caller
from helpers import RPC, EventLog, ami_session


class Browser(threading.Thread):
    "One agent's web client: long-polls the bus until stopped"

    def __init__(self, web, database, login):
        super().__init__(daemon=True)
        self.rpc = RPC(web, database)
        self.rpc.login(login, AGENT_PASSWORD)
        self.url = f'{web}{database}/bus'
        self.received = []
        self.stopped = False

    def run(self):
        last = None
        while not self.stopped:
            request = urllib.request.Request(self.url, data=json.dumps({
                        'last_message': last, 'channels': []}).encode(),
                headers={'Content-Type': 'application/json',
                    'Authorization': self.rpc.auth})
            try:
                with urllib.request.urlopen(request, timeout=30) as reply:
                    payload = json.loads(reply.read())
            except OSError:
                continue
            arrived = time.time()
            message = payload.get('message')
            if message:
                last = message.get('message_id')
                if message.get('type') == 'tvcc.screen_pop':
                    self.received.append((arrived, message))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--calls', type=int, default=100)
    parser.add_argument('--agents', type=int, default=10)
    parser.add_argument('--rate', type=float, default=2.0)
    args = parser.parse_args()
    common.ensure_bench_database()
    inst = common.PROBE
    database = common.tryton_database()
    node = common.bench_node(database, code='benchpop')
    cc = CallCenter(database, inst, node)
    agents = cc.agents(args.agents)
    queue, queue_id = cc.queue(agents, strategy='longest_idle')
    did = cc.did(queue=queue_id)
    cc.presence(agents, 'login')
    web = f'http://127.0.0.1:{inst.web_port}/'
    import subprocess
    subprocess.run([common.PYTHON, str(common.settings.PROJECT / 'asterisk'
                / 'runtime.py'), 'start', '-i', inst.name, '--restart'],
        check=True)
    try:
        with common.process('pop-bridge', [common.PYTHON, '-m', 'telephony',
                    '-c', str(common.settings.TRYTOND_CONF),
                    '-d', common.BENCH_DB, '--node', 'benchpop'],
                ready=lambda log: 'resync:' in log), \
                common.trytond('pop-trytond'):
            browsers = {ext: Browser(web, common.BENCH_DB, f'pt_{ext}')
                for ext in agents}
            for browser in browsers.values():
                browser.start()
            called = asyncio.run(place_calls(cc, inst, queue, agents, did,
                    args.calls, args.rate))
            time.sleep(2)
            for browser in browsers.values():
                browser.stopped = True
    finally:
        subprocess.run([common.PYTHON, str(common.settings.PROJECT /
                    'asterisk' / 'runtime.py'), 'stop', '-i', inst.name])
    latencies = []
    missing = 0
    for (caller, ext), stamp in called.items():
        pops = [arrived for arrived, message in browsers[ext].received
            if message.get('caller', '').endswith(caller[1:])]
        if pops:
            latencies.append(min(pops) - stamp)
        else:
            missing += 1
    p = common.percentiles(latencies)
    print(f'screen pop, {len(called)} agent rings over {args.agents} '
        f'agents ({missing} without a pop)')
    print('  AgentCalled -> bus delivery: ' + common.describe(latencies))
    verdict = 'meets' if p[95] <= 0.300 else 'MISSES'
    print(f'  target p95 <= 300 ms: {verdict} ({p[95] * 1000:.0f} ms)')


async def place_calls(cc, inst, queue, agents, did, count, rate):
    "Place the calls; return {(caller, agent): AgentCalled timestamp}"
    async with ami_session(inst) as ami:
        events = EventLog(ami, 'AgentCalled')
        EventLog(ami, 'Hangup')
        await cc.simulate_agents(ami, {e: '1,2' for e in agents})
        await cc.wait_ready(ami, queue, agents)
        callers = []
        for _ in range(count):
            caller = local_caller()
            callers.append(caller)
            await cc.call(ami, did, caller, hold=15)
            await asyncio.sleep(1 / rate)
        await asyncio.sleep(8)
    return {(e['CallerIDNum'], e['MemberName']): float(e['Timestamp'])
        for e in events.events if e['CallerIDNum'] in set(callers)}


if __name__ == '__main__':
    main()
