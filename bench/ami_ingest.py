#!/usr/bin/env python3
"""AMI events per second the bridge ingests without a growing backlog.

    .venv/bin/python bench/ami_ingest.py [--rates 1000,2000,3000,4000]
        [--seconds 10]

A fake Asterisk Manager (this script) feeds the real bridge (python -m
telephony, on tvcc_bench) a stream of synthetic but complete queue calls,
16 events each as Asterisk sends them (channel, dialplan and variable noise
included), at each rate in turn. The bridge maps them to facts and writes
call records and agent states to PostgreSQL. A rate is sustained when the
last call of the stream is recorded within 2 s of the stream's end (no
backlog left to grow). Target: >= 2,000 events/s.
"""
import argparse
import asyncio
import itertools
import time

import common

EVENTS_PER_CALL = 16


class FakeAMI:
    "Speaks just enough AMI for the bridge: login, actions, an event stream"

    def __init__(self):
        self.writers = []
        self.connected = asyncio.Event()

    async def handle(self, reader, writer):
        writer.write(b'Asterisk Call Manager/11.0.0\r\n')
        self.writers.append(writer)
        buffer = b''
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                buffer += data
                while b'\r\n\r\n' in buffer:
                    block, buffer = buffer.split(b'\r\n\r\n', 1)
                    self.answer(writer, dict(
                        line.split(': ', 1) for line in
                        block.decode().split('\r\n') if ': ' in line))
        finally:
            self.writers.remove(writer)

    def answer(self, writer, action):
        name = action.get('Action', '')
        action_id = action.get('ActionID', '')
        if name.lower() in {'queuestatus', 'coreshowchannels'}:
            complete = {'queuestatus': 'QueueStatusComplete',
                'coreshowchannels': 'CoreShowChannelsComplete'}[name.lower()]
            writer.write(message({'Response': 'Success',
                        'ActionID': action_id, 'EventList': 'start',
                        'Message': 'will follow'}))
            writer.write(message({'Event': complete, 'ActionID': action_id,
                        'EventList': 'Complete', 'ListItems': '0'}))
        else:
            writer.write(message({'Response': 'Success',
                        'ActionID': action_id, 'Message': 'ok'}))
        if name.lower() == 'login':
            self.connected.set()

    def send(self, data):
        for writer in self.writers:
            writer.write(data)


def message(fields):
    return (''.join(f'{k}: {v}\r\n' for k, v in fields.items())
        + '\r\n').encode()


def call_events(linkedid, caller, agent, queue, now):
    "The 16 events of one answered queue call, as Asterisk sends them"
    chan = {'Channel': f'PJSIP/carrier-{linkedid}', 'Uniqueid': linkedid,
        'Linkedid': linkedid, 'CallerIDNum': caller}
    agent_chan = {'Channel': f'Local/{agent}@tvcc-agents-{linkedid};1',
        'Uniqueid': f'{linkedid}1', 'Linkedid': linkedid}
    dest = {'DestChannel': agent_chan['Channel'],
        'DestUniqueid': agent_chan['Uniqueid'], 'DestLinkedid': linkedid}
    member = {'Queue': queue, 'MemberName': agent,
        'Interface': f'Local/{agent}@tvcc-agents/n'}
    t = lambda offset: {'Timestamp': f'{now + offset:.6f}'}  # noqa: E731
    return [
        {'Event': 'Newchannel', **chan, **t(0)},
        {'Event': 'VarSet', **chan, 'Variable': '__TVCC_DID',
            'Value': '4008201001', **t(0)},
        {'Event': 'Newexten', **chan, 'Application': 'AGI', **t(0)},
        {'Event': 'VarSet', **chan, 'Variable': 'TVCC_ROUTE',
            'Value': f'queue|{queue}|0||0||||', **t(0.01)},
        {'Event': 'Newexten', **chan, 'Application': 'Queue', **t(0.02)},
        {'Event': 'QueueCallerJoin', **chan, 'Queue': queue,
            'Position': '1', **t(0.02)},
        {'Event': 'Newchannel', **agent_chan, **t(0.03)},
        {'Event': 'AgentCalled', **chan, **dest, **member, **t(0.03)},
        {'Event': 'Newstate', **agent_chan, **t(1)},
        {'Event': 'QueueCallerLeave', **chan, 'Queue': queue, **t(1)},
        {'Event': 'AgentConnect', **chan, **dest, **member,
            'HoldTime': '1', 'RingTime': '1', **t(1)},
        {'Event': 'BridgeEnter', **chan, **t(1)},
        {'Event': 'AgentComplete', **chan, **dest, **member,
            'HoldTime': '1', 'TalkTime': '30', 'Reason': 'caller', **t(31)},
        {'Event': 'Hangup', **agent_chan, **t(31)},
        {'Event': 'Hangup', **chan, **t(31)},
        {'Event': 'BridgeDestroy', **t(31)},
        ]


def prepare(database, agents_count):
    from callcenter import CallCenter
    cc = CallCenter(database, common.PROBE, None)
    agents = cc.agents(agents_count)
    queue, _ = cc.queue(agents)
    return agents, queue


def recorded(database, prefix):
    def count(pool):
        Call = pool.get('callcenter.call')
        return Call.search_count([('linkedid', 'like', f'{prefix}%'),
                ('state', '=', 'ended')])
    return database.call(count, readonly=True)


async def feed(ami, rate, seconds, prefix, agents, queue):
    "Stream calls at rate events/s; return the number of calls sent"
    calls = int(rate * seconds / EVENTS_PER_CALL)
    started = time.monotonic()
    now = time.time()
    agent_cycle = itertools.cycle(agents)
    for index in range(calls):
        for event in call_events(f'{prefix}{index}',
                f'021{60000000 + index % 10**7:08d}', next(agent_cycle),
                queue, now):
            ami.send(message(event))
        due = started + (index + 1) * EVENTS_PER_CALL / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
    return calls, time.monotonic() - started


async def run(args, database, agents, queue):
    ami = FakeAMI()
    server = await asyncio.start_server(ami.handle, '127.0.0.1', 0)
    port = server.sockets[0].getsockname()[1]
    common.bench_node(database, code='benchami', ami_port=port,
        agi_port=common.PROBE.agi_port + 1)
    results = []
    loop = asyncio.get_running_loop()
    with common.process('ingest-bridge', [common.PYTHON, '-m', 'telephony',
                '-c', str(common.settings.TRYTOND_CONF),
                '-d', common.BENCH_DB, '--node', 'benchami'],
            ready=lambda log: 'READY bridge' in log):
        await asyncio.wait_for(ami.connected.wait(), 60)
        await asyncio.sleep(3)        # initial resync
        for rate in args.rates:
            prefix = f'b{int(time.time())}r{rate}-'
            calls, elapsed = await feed(ami, rate, args.seconds, prefix,
                agents, queue)
            end = time.monotonic()
            done = 0
            while time.monotonic() - end < 60:
                done = await loop.run_in_executor(
                    None, recorded, database, prefix)
                if done >= calls:
                    break
                await asyncio.sleep(0.2)
            lag = time.monotonic() - end
            results.append((rate, calls, elapsed, done, lag))
    server.close()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rates', default='1000,2000,3000,4000',
        type=lambda text: [int(r) for r in text.split(',')])
    parser.add_argument('--seconds', type=float, default=10)
    args = parser.parse_args()
    common.ensure_bench_database()
    database = common.tryton_database()
    agents, queue = prepare(database, 20)
    results = asyncio.run(run(args, database, agents, queue))
    print(f'AMI ingestion ({EVENTS_PER_CALL} events per call, '
        f'{args.seconds:g} s per rate)')
    best = 0
    for rate, calls, elapsed, done, lag in results:
        sent = calls * EVENTS_PER_CALL / elapsed
        sustained = done >= calls and lag <= 2.0
        if sustained:
            best = max(best, rate)
        effective = calls * EVENTS_PER_CALL / (elapsed + lag)
        print(f'  offered {rate}/s: sent {sent:.0f} ev/s, {done}/{calls} '
            f'calls recorded, {lag:.1f} s after the stream ended '
            f'-> {effective:.0f} ev/s end to end, '
            f'{"sustained" if sustained else "BACKLOG GROWS"}')
    verdict = 'meets' if best >= 2000 else 'MISSES'
    print(f'  target >= 2000 events/s without backlog: {verdict} '
        f'(highest offered rate sustained: {best} ev/s)')


if __name__ == '__main__':
    main()
