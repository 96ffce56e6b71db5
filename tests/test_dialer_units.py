"""The dialer engine's decisions without Asterisk: wrap-up read from
QueueStatus, the caller ID it hands Asterisk, the cap, the local day, the
state a restart needs."""
import asyncio
import datetime as dt
import json
import stat
import time
import types

import pytest

from telephony import dialer, pacing


def member(queue, status='1', in_call='0', last_call=0, paused='0',
        wrapuptime=None):
    event = {'Event': 'QueueMember', 'Queue': queue, 'Status': status,
        'InCall': in_call, 'LastCall': str(last_call), 'Paused': paused}
    if wrapuptime is not None:
        event['Wrapuptime'] = str(wrapuptime)
    return event


def test_an_agent_in_wrap_up_is_not_ready():
    "LastCall + the queue's wrap-up: the agent is back only then"
    now = 1_800_000_000
    events = [
        member('sales', last_call=now - 5),            # 15 s of wrap-up left
        member('sales', last_call=now - 25),           # wrap-up over: ready
        member('sales', last_call=0),                  # never called: ready
        member('sales', status='2', in_call='1', last_call=now - 100),
        member('sales', last_call=now - 2, paused='1'),
        member('sales', last_call=now - 50, wrapuptime=60),  # its own 60 s
        member('other', last_call=now - 1),
        {'Event': 'QueueEntry', 'Queue': 'sales'},
        ]
    figures = dialer.queue_figures(events, 'sales', wrapup=20, now=now)
    assert (figures.ready, figures.busy, figures.waiting) == (2, 1, 1)
    assert sorted(figures.wrapping) == [now + 10, now + 15]
    # Without wrap-up in the queue, the same agents are ready.
    plain = dialer.queue_figures(events, 'sales', wrapup=0, now=now)
    assert (plain.ready, plain.wrapping) == (3, [now + 10])


def test_live_calls_of_the_engine_are_found_by_channel_name():
    events = [
        {'Event': 'CoreShowChannel', 'Uniqueid': '1.1', 'ChannelState': '6',
            'BridgeId': 'abc',
            'Channel': 'Local/13912345678@tvcc-dialer-out-0000001a;1'},
        {'Event': 'CoreShowChannel', 'Uniqueid': '1.2', 'ChannelState': '5',
            'BridgeId': '',
            'Channel': 'Local/02161234567@tvcc-dialer-out-0000001b;1'},
        {'Event': 'CoreShowChannel', 'Uniqueid': '1.3',
            'Channel': 'Local/13912345678@tvcc-dialer-out-0000001a;2'},
        {'Event': 'CoreShowChannel', 'Uniqueid': '1.4',
            'Channel': 'PJSIP/a-carrier-00000001'},
        {'Event': 'CoreShowChannel', 'Uniqueid': '1.5',
            'Channel': 'Local/7001@tvcc-agents-00000002;1'},
        ]
    assert dialer.live_dialer_calls(events) == {
        '+8613912345678': ('1.1', True, True),
        '+862161234567': ('1.2', False, False)}
    assert dialer.live_dialer_calls(events,
        'Local/{number}@tvcc-test-callee') == {}


def test_the_presented_number_is_national_digits_or_nothing():
    assert dialer.DialerEngine.presented('+862160001234') == '02160001234'
    assert dialer.DialerEngine.presented('+8613800138000') == '13800138000'
    assert dialer.DialerEngine.presented(None) is None
    assert dialer.DialerEngine.presented('1;Hangup') is None


def test_state_file_is_private_and_named_from_the_node_code(tmp_path):
    path = dialer.dialer_file('node-1', tmp_path)
    assert path == tmp_path / 'dialer-node-1.json'
    with pytest.raises(ValueError):
        dialer.dialer_file('../etc/passwd', tmp_path)
    controller = pacing.Ours()
    assert dialer.write_state(path, {'version': 1, 'campaigns': {
                '7': controller.state()}})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = dialer.read_state(path)
    assert list(saved) == [7] and saved[7]['controller'] == 'ours'
    path.write_text('{not json')
    assert dialer.read_state(path) == {}
    path.write_text(json.dumps({'campaigns': {'x': {}, '3': 'no'}}))
    assert dialer.read_state(path) == {}


class FakeAMI:
    def __init__(self, status):
        self.status = status
        self.sent = []
        self.ready = types.SimpleNamespace(is_set=lambda: True)

    async def action(self, action, as_list=False, timeout=None):
        self.sent.append(action)
        if action['Action'] == 'QueueStatus':
            return self.status
        if action['Action'] == 'CoreShowChannels':
            return []
        return {'Response': 'Success'}


class FakeDatabase:
    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    async def run(self, function, *args, **kwargs):
        self.calls.append((function.__name__, args))
        answer = self.answers.get(function.__name__)
        return answer(*args) if callable(answer) else answer


def engine_with(status, running, claimed, tmp_path, wrapup=20):
    queue = types.SimpleNamespace(code='sales', wrapup=wrapup)
    bridge = types.SimpleNamespace(
        node=types.SimpleNamespace(code='pytest'),
        ami=FakeAMI(status),
        snapshot=types.SimpleNamespace(queues_by_code={'sales': queue},
            prompts={}, agents={}),
        sounds_path='/sounds', submit=lambda facts: None)
    bridge.database = FakeDatabase({
            'load_campaigns': (dt.date(2026, 3, 2), running),
            'claim_numbers': lambda *args: claimed,
            'day_figures': (40, 30, 1),
            'recover_numbers': {},
            'write_monitor': None,
            })
    engine = dialer.DialerEngine(bridge,
        state_path=tmp_path / 'dialer-pytest.json')
    return engine, bridge


def test_one_tick_presents_the_campaign_number_and_caps_ringing_only(
        tmp_path):
    "The engine reads wrap-up, claims numbers with its count of calls "
    "ringing, and originates with the campaign's number for the callee"
    async def scenario():
        status = [member('sales'),
            member('sales', last_call=int(time.time()) - 2)]
        engine, bridge = engine_with(status,
            [(5, 'progressive', 'sales', False, '+862160001234')],
            [(50, '+8613912345678', None, False)], tmp_path)
        engine.loop = asyncio.get_running_loop()
        await engine.tick()
        return engine, bridge
    engine, bridge = asyncio.run(scenario())
    state = engine.campaigns[5]
    assert state.day == dt.date(2026, 3, 2)
    # The day's counts come from the call records.
    assert (state.controller.live_answers,
        state.controller.calls_abandoned) == (30, 1)
    claims = [args for name, args in bridge.database.calls
        if name == 'claim_numbers']
    # One agent ready, one wrapping up: one call, none ringing before.
    assert [(c[0], c[2], c[3]) for c in claims] == [(5, 1, 0)]
    originate, = [a for a in bridge.ami.sent if a['Action'] == 'Originate']
    assert originate['Channel'] == 'Local/13912345678@tvcc-dialer-out'
    assert 'TVCC_CALLER_ID=02160001234' in originate['Variable']
    # The agent side shows the callee.
    assert originate['CallerID'] == '+8613912345678'
    assert originate['ActionID'].startswith(f'tvccdial-{engine.run_id}-')
    monitor = [args for name, args in bridge.database.calls
        if name == 'write_monitor']
    # dial level: one call for two agents (one of them in wrap-up)
    assert monitor == [(5, 0.5, 1, 1)]


def test_engine_saves_and_restores_its_controllers(tmp_path):
    async def first():
        engine, bridge = engine_with([member('sales')],
            [(9, 'predictive', 'sales', False, '+862160001234')], [],
            tmp_path)
        engine.loop = asyncio.get_running_loop()
        await engine.tick()
        controller = engine.campaigns[9].controller
        for _ in range(300):
            controller.observe_answered(0, 4.0)
        engine.save()
        return controller.answer_probability()

    async def second():
        engine, bridge = engine_with([member('sales')],
            [(9, 'predictive', 'sales', False, '+862160001234')], [],
            tmp_path)
        engine.loop = asyncio.get_running_loop()
        await engine.tick()
        return engine.campaigns[9].controller.answer_probability()
    learned = asyncio.run(first())
    assert learned > 0.9
    assert asyncio.run(second()) == pytest.approx(learned)
