"""Outbound campaigns on the production path, measured.

The bridge runs with its production dialling channel (Local/<number>@
tvcc-dialer-out, no test override): the dialplan dials through a PJSIP
trunk whose far end is sipp acting as the carrier (tests/sipp/
uas_callee.xml: every callee the dialer rings; the number says whether it
answers and how long it talks). Scripted agents (Local channels) take the
calls and wrap up 20 s after each, as the queue says.

The compliance figure: a predictive campaign of COMPLIANCE_CALLS numbers,
of which ANSWER_SHARE answer; abandoned calls (answered, no agent within
2 s: the compliance message) must stay at or under 3 % of the live answers,
counted from the call records (dialer.attempt, and the outbound call
records of the agents).
"""
import asyncio
import contextlib
import datetime as dt
import os
import random
import re
import signal
import subprocess
import time
import types
from pathlib import Path

import pytest

from helpers import ami_session
from test_dialer import attempts, campaign, number_states, stop

SIPP = Path(__file__).parent / 'sipp'
CARRIER_HOST = '127.0.0.6'       # a loopback address no other trunk uses
CARRIER_PORT = 15096
TRUNK = 'a-pytest-carrier'       # first by code: the trunk campaigns use
CALLER_ID = '02160001234'        # what the callees must see

COMPLIANCE_CALLS = 200
ANSWER_SHARE = 0.6
AGENTS = 16
WRAPUP = 20
RING_TIMEOUT = 8
SEED = 11


def callee(serial, answers, talk_digit):
    """A mobile number for the sipp callee: the last digit says whether it
    answers (0-4) or not (5-9), the one before how long it talks"""
    fate = serial % 5 if answers else 5 + serial % 5
    return f'1985{serial % 10**5:05d}{talk_digit}{fate}'


@pytest.fixture(scope='module')
def production_bridge(bridge):
    """The session's bridge started again without the scripted-callee
    channel: campaigns dial through tvcc-dialer-out and the trunk"""
    original = dict(bridge.env)

    def restart(env):
        bridge.stop()
        bridge.env = env
        bridge.start()
        bridge.wait_log('READY bridge', timeout=60)
        bridge.wait_log('resync:', timeout=60)
    restart({**{k: v for k, v in original.items()
                if k != 'TVCC_DIALER_CHANNEL'},
            'TVCC_DIALER_RING': str(RING_TIMEOUT)})
    try:
        yield bridge
    finally:
        restart(original)


@pytest.fixture(scope='module')
def carrier(production_bridge, tryton, tmp_path_factory):
    """The trunk the dialer calls through, and sipp answering on it as the
    carrier's callees; yields sipp (its process, message and error
    logs)"""
    with sipp_carrier(tryton, tmp_path_factory.mktemp('carrier'),
            CARRIER_HOST, CARRIER_PORT, TRUNK) as found:
        yield found


@contextlib.contextmanager
def sipp_carrier(tryton, folder, host, port, code, **trunk_values):
    """sipp answering as the carrier's callees (tests/sipp/uas_callee.xml)
    on host:port, and the trunk code to it; yields sipp (its process,
    message and error logs)"""
    sipp = subprocess.Popen(['sipp', '-sf', str(SIPP / 'uas_callee.xml'),
            '-i', host, '-p', str(port), '-aa', '-nostdin',
            '-trace_msg', '-message_file', str(folder / 'messages.log'),
            '-trace_err', '-error_file', str(folder / 'errors.log')],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=folder,
        start_new_session=True)

    def trunk(pool):
        Trunk = pool.get('callcenter.trunk')
        found = Trunk.search([('code', '=', code),
                ('active', 'in', [True, False])])
        values = {'code': code, 'name': '测试外呼运营商',
            'host': host, 'port': port, 'active': True,
            'codecs': 'alaw,ulaw', **trunk_values}
        if found:
            Trunk.write(found, values)
        else:
            Trunk.create([values])
    # Created once sipp listens: Asterisk qualifies it at once.
    tryton.call(trunk)
    try:
        yield types.SimpleNamespace(process=sipp,
            log=folder / 'messages.log', errors=folder / 'errors.log')
    finally:
        sipp.send_signal(signal.SIGTERM)
        try:
            sipp.wait(10)
        except subprocess.TimeoutExpired:
            sipp.kill()
            sipp.wait()

        def remove(pool):
            Trunk = pool.get('callcenter.trunk')
            Trunk.delete(Trunk.search([('code', '=', code),
                        ('active', 'in', [True, False])]))
        tryton.call(remove)


async def wait_trunk(cc, ami, carrier, timeout=30, code=TRUNK):
    "Until Asterisk has the trunk and dials campaigns through it"
    deadline = time.monotonic() + timeout
    while True:
        assert carrier.process.poll() is None, (
            f'sipp exited: {carrier.errors.read_text(errors="replace")}'
            if carrier.errors.exists() else 'sipp exited')
        response = await ami.action({'Action': 'Getvar',
                'Variable': 'GLOBAL(TVCC_DIALER_ENDPOINT)'})
        # (sipp answers Asterisk's OPTIONS, whenever it qualifies the
        # trunk: its contact never turns unreachable.)
        if response.get('Value') == code and cc.applied():
            return
        assert time.monotonic() < deadline, (
            f'the trunk {code} never became the dialer trunk: '
            f'{response.get("Value")!r}')
        await asyncio.sleep(0.3)


def invites(log_path):
    "The INVITEs sipp received: [(request user, From header)]"
    if not log_path.exists():
        return []
    text = log_path.read_text(errors='replace')
    found = []
    for block in re.split(r'\n(?=INVITE sip:)', text):
        match = re.match(r'INVITE sip:(\d+)@', block)
        if not match:
            continue
        sender = re.search(r'^From:\s*(.*)$', block, re.M)
        found.append((match.group(1), sender.group(1) if sender else ''))
    return found


def abandoned_at(cc, campaign_id):
    "When the abandoned calls started, in seconds into the campaign"
    def read(pool):
        Attempt = pool.get('dialer.attempt')
        found = Attempt.search([('campaign', '=', campaign_id)],
            order=[('start', 'ASC')])
        return [round((a.start - found[0].start).total_seconds())
            for a in found if a.outcome == 'abandoned']
    return cc.call_db(read)


def call_records(cc, campaign_id):
    "The outbound call records of the campaign's answered attempts"
    def read(pool):
        Attempt = pool.get('dialer.attempt')
        Call = pool.get('callcenter.call')
        linkedids = [a.linkedid for a in Attempt.search([
                    ('campaign', '=', campaign_id),
                    ('outcome', '=', 'answered')]) if a.linkedid]
        return [(c.direction, c.agent.extension if c.agent else None)
            for c in Call.search([('linkedid', 'in', linkedids)])]
    return cc.call_db(read)


def test_predictive_campaign_keeps_abandons_under_3_percent_live(cc,
        instance, carrier):
    "A predictive campaign through the real trunk: 200 numbers, 60 % of "
    "the callees answer and talk 3-11 s, 16 agents wrap up 20 s after each "
    "call; abandoned calls stay at or under 3 % of live answers, counted "
    "from the call records; every callee sees the campaign's number"
    draws = random.Random(SEED)
    answering = set(draws.sample(range(COMPLIANCE_CALLS),
        round(COMPLIANCE_CALLS * ANSWER_SHARE)))
    base = int(time.time()) % 10**4 * 10
    numbers = [callee(base + i, i in answering, draws.randrange(10))
        for i in range(COMPLIANCE_CALLS)]
    agents = cc.agents(AGENTS)
    queue, queue_id = cc.queue(agents, strategy='longest_idle', wrapup=WRAPUP,
        ring_timeout=5)
    cc.presence(agents, 'login')

    async def scenario():
        async with ami_session(instance) as ami:
            # The agents answer at once and stay until the callee hangs up.
            await cc.simulate_agents(ami, {a: '0,600' for a in agents})
            await cc.wait_ready(ami, queue, agents)
            await wait_trunk(cc, ami, carrier)
            started = time.monotonic()
            campaign_id = campaign(cc, queue_id, numbers, type_='predictive',
                max_attempts=1, max_concurrent=60, caller_id=CALLER_ID)
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(None, attempts, cc,
                campaign_id, COMPLIANCE_CALLS, 330)
            stop(cc, campaign_id)
            return campaign_id, found, time.monotonic() - started
    campaign_id, found, seconds = asyncio.run(scenario())
    outcomes = [o for calls in found.values() for o, _ in calls]
    answered = outcomes.count('answered')
    abandoned = outcomes.count('abandoned')
    live = answered + abandoned
    rate = abandoned / live
    print(f'\ncompliance: {len(outcomes)} calls, {live} live answers, '
        f'{abandoned} abandoned ({rate:.2%}), {seconds:.0f} s; abandoned '
        f'at {abandoned_at(cc, campaign_id)} s')
    assert len(outcomes) >= 150
    # Live answers are the answering callees (a call Asterisk was too
    # busy to place in time may ring out: at most a few).
    assert 0.95 * len(answering) <= live <= len(answering), (
        live, len(answering))
    assert rate <= 0.03, (
        f'{abandoned} of {live} live answers abandoned ({rate:.2%})')
    # The answered calls are the agents' outbound call records.
    records = call_records(cc, campaign_id)
    assert len(records) == answered
    assert all(d == 'outbound' and a in agents for d, a in records), records
    # The carrier saw every call, each from the campaign's number.
    seen = invites(carrier.log)
    assert {user for user, _ in seen} >= {n for n in numbers}, \
        'some numbers never reached the carrier'
    assert all(f'sip:{CALLER_ID}@' in sender for _, sender in seen), \
        [s for _, s in seen if f'sip:{CALLER_ID}@' not in s][:3]


def test_numbers_taken_before_a_restart_come_back_at_once(cc, instance,
        carrier, production_bridge):
    "The bridge stops while its calls ring; once Asterisk has ended them "
    "the bridge starts again: the numbers the previous engine had taken "
    "are called again at once (not after the 2 h timeout), and the pacing "
    "state it saved is restored"
    agents = cc.agents(2)
    queue, queue_id = cc.queue(agents)
    cc.presence(agents, 'login')
    base = int(time.time()) % 10**4 * 10 + 5
    # Nobody answers: each call rings RING_TIMEOUT s.
    numbers = [callee(base + i, False, 0) for i in range(4)]
    state_file = production_bridge.state_path / 'dialer-pytest.json'

    async def dialer_channels(ami):
        events = await ami.action({'Action': 'CoreShowChannels'},
            as_list=True)
        return [e for e in events if e.get('Event') == 'CoreShowChannel'
            and '@tvcc-dialer-out' in (e.get('Channel') or '')]

    async def scenario():
        async with ami_session(instance) as ami:
            await cc.simulate_agents(ami, {a: '0,5' for a in agents})
            await cc.wait_ready(ami, queue, agents)
            await wait_trunk(cc, ami, carrier)
            campaign_id = campaign(cc, queue_id, numbers,
                type_='progressive', max_attempts=1, caller_id=CALLER_ID)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while sum(s[0] == 'dialing' for s in number_states(
                    cc, campaign_id).values()) < 2:
                assert loop.time() < deadline, 'nothing was dialled'
                await asyncio.sleep(0.2)
            await loop.run_in_executor(None, production_bridge.stop)
            taken = [n for n, s in number_states(cc, campaign_id).items()
                if s[0] == 'dialing']
            deadline = loop.time() + RING_TIMEOUT + 10
            while await dialer_channels(ami):
                assert loop.time() < deadline, 'the calls never ended'
                await asyncio.sleep(0.2)
            production_bridge.start()
            restarted = loop.time()
            await loop.run_in_executor(None, lambda: production_bridge
                .wait_log('numbers of the previous engine given back',
                    timeout=60))
            found = await loop.run_in_executor(None, attempts, cc,
                campaign_id, len(numbers), 60)
            stop(cc, campaign_id)
            return campaign_id, taken, found, loop.time() - restarted
    campaign_id, taken, found, seconds = asyncio.run(scenario())
    assert len(taken) == 2
    # Each number called once more and recorded: none waited for 2 h.
    assert {n: [o for o, _ in calls] for n, calls in found.items()} == {
        f'+86{n}': ['no_answer'] for n in numbers}
    assert seconds < 60
    assert json_campaigns(state_file) >= {campaign_id}
    assert f'dialer: campaign {campaign_id}: pacing state restored' in \
        production_bridge.log()


def json_campaigns(path):
    import json
    return {int(k) for k in json.loads(path.read_text())['campaigns']}
