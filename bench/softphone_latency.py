#!/usr/bin/env python3
"""The browser phone: first ring -> ring in the browser, and 接听 (answer)
-> two-way audio (p50/p95).

    .venv/bin/python bench/softphone_latency.py [--calls 30]
        [--instance probe] [--database tvcc_bench] [--fresh]

Real calls through the instance's Asterisk (default 'probe'); its bridge and
trytond serve the database (default tvcc_bench, a copy of tvcc_test). One
agent with the browser phone is logged in to sao in Debian's Chromium (fake
microphone saying 1 kHz, the self-signed WSS certificate accepted); its
panel registers over WSS. Each call comes from a Local caller saying 440 Hz
into a queue of that agent.

- Ring: from Asterisk's AgentCalled event (its Timestamp: when the queue
  rings the agent for the caller) to the browser's JsSIP newRTCSession
  (tvcc.softphone.metrics.ring_at, Date.now(); same machine clock).
- Answer: from the click on 接听 (metrics.answer_at) to two-way audio: the
  later of the first inbound RTP packet with a non-silent audio level and
  the first outbound RTP packet (WebRTC getStats, polled every 20 ms).
Then the panel hangs up (挂断) and the next call starts once the agent is
ready again.
"""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import common

from browser import SaoClient
from callcenter import AGENT_PASSWORD, CallCenter, local_caller
from softphone import (
    AMIThread, browser_agents, caller_channel, launch_phone_browser,
    place_call, tone)

from tvcc import settings

PANEL = '#tvcc-softphone'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--calls', type=int, default=30)
    parser.add_argument('--instance', default='probe',
        choices=settings.INSTANCES)
    parser.add_argument('--database', default=common.BENCH_DB,
        help='served by the bench trytond and bridge (default: %(default)s,'
        ' copied from tvcc_test)')
    parser.add_argument('--fresh', action='store_true',
        help='recreate tvcc_bench from tvcc_test first')
    args = parser.parse_args()
    if args.database == common.BENCH_DB:
        common.ensure_bench_database(fresh=args.fresh)
    inst = settings.instance(args.instance)
    database = common.tryton_database(args.database)
    node = common.bench_node(database, code='benchphone', instance=inst)
    cc = CallCenter(database, inst, node)
    extension, = browser_agents(cc, 1)
    queue, queue_id = cc.queue([extension], ring_timeout=20, wrapup=0)
    did = cc.did(queue=queue_id)
    web = f'http://127.0.0.1:{inst.web_port}/'
    runtime = [common.PYTHON, str(settings.PROJECT / 'asterisk'
            / 'runtime.py')]
    subprocess.run([*runtime, 'start', '-i', inst.name, '--restart'],
        check=True)
    from playwright.sync_api import sync_playwright
    rings, answers = [], []
    try:
        with tempfile.TemporaryDirectory() as folder, \
                common.process('phone-bridge', [common.PYTHON, '-m',
                    'telephony', '-c', str(settings.TRYTOND_CONF),
                    '-d', args.database, '--node', 'benchphone'],
                ready=lambda log: 'resync:' in log), \
                common.trytond('phone-trytond', database=args.database,
                    instance=inst), \
                sync_playwright() as playwright:
            voice = tone(Path(folder) / 'agent.wav', 1000)
            chromium = launch_phone_browser(playwright, voice)
            ami = AMIThread(inst)
            try:
                ami.run(lambda ami, events: cc.wait_applied())
                client = SaoClient(chromium, web, args.database,
                    'softphone-bench')
                client.login(f'pt_{extension}', AGENT_PASSWORD)
                page = client.page
                page.wait_for_selector(f'{PANEL}[data-registered=yes]',
                    timeout=30000)
                page.locator(f'{PANEL} button[data-action=login]').click()
                page.wait_for_selector(f'{PANEL}[data-state=ready]')
                ami.run(lambda ami, events: cc.wait_ready(
                        ami, queue, [extension]))
                print(f'agent {extension} registered and ready; '
                    f'{args.calls} calls', flush=True)
                for number in range(args.calls):
                    ring, answer = one_call(ami, page, did, extension)
                    rings.append(ring)
                    answers.append(answer)
                    print(f'call {number + 1}: ring {ring * 1000:.0f} ms, '
                        f'answer -> audio {answer * 1000:.0f} ms',
                        flush=True)
            finally:
                ami.close()
                chromium.close()
    finally:
        subprocess.run([*runtime, 'stop', '-i', inst.name])
    print()
    print('first ring -> ring in the browser:', common.describe(rings))
    print('接听 -> two-way audio:           ', common.describe(answers))


def one_call(ami, page, did, extension):
    caller = local_caller()
    ami.run(place_call, did, caller, 440, 60)
    linkedid, _ = ami.run(lambda ami, events: caller_channel(events, caller))
    called = ami.run(lambda ami, events: events.wait(
            lambda e: e.get('Event') == 'AgentCalled'
            and e.get('Linkedid') == linkedid, timeout=20,
            what='AgentCalled'))
    page.wait_for_selector(f'{PANEL}[data-state=ringing]')
    ring_at = page.evaluate('() => tvcc.softphone.metrics.ring_at') / 1000
    ring = ring_at - float(called['Timestamp'])
    page.locator(f'{PANEL} button[data-action=answer]').click()
    page.wait_for_function('() => tvcc.softphone.metrics.audio_in_at && '
        'tvcc.softphone.metrics.audio_out_at', timeout=15000)
    metrics = page.evaluate('() => tvcc.softphone.metrics')
    answer = (max(metrics['audio_in_at'], metrics['audio_out_at'])
        - metrics['answer_at']) / 1000
    page.locator(f'{PANEL} button[data-action=hangup]').click()
    ami.run(lambda ami, events: events.wait(
            lambda e: e.get('Event') == 'Hangup'
            and e.get('Uniqueid') == linkedid, timeout=20,
            what='the end of the call'))
    page.wait_for_selector(f'{PANEL}[data-state=ready]', timeout=20000)
    return ring, answer


if __name__ == '__main__':
    sys.exit(main())
