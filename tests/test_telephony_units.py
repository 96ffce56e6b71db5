"""The bridge's pure decisions, without Asterisk or a database: routing,
configuration rendering, queue membership plans, fact mapping, screen pop."""
import asyncio
import dataclasses
import datetime as dt

from telephony import facts, members, render, routing, screenpop
from telephony.snapshot import (
    DID, Agent, Calendar, Flow, IVRNode, Queue, Snapshot)


def queue(id_, code, **values):
    defaults = dict(id=id_, code=code, name=code, strategy='linear',
        ring_timeout=15, retry=1, wrapup=5, service_level=20, max_wait=None,
        overflow_action=None, overflow_queue=None, overflow_mailbox=None,
        overflow_prompt=None, recording='none', record_classes=frozenset(),
        record_dids=frozenset(), vip_priority=10, long_distance_priority=5,
        music_class='default', members=((1, 0), (2, 0)))
    defaults.update(values)
    return Queue(**defaults)


def node(id_, type_, **values):
    defaults = dict(id=id_, name=f'n{id_}', type=type_, prompt=None,
        next_node=None, options={}, timeout=3, max_retries=1,
        invalid_prompt=None, calendar=None, queue=None, priority_boost=0,
        agent=None, mailbox=None)
    defaults.update(values)
    return IVRNode(**defaults)


def snapshot(**values):
    agents = {
        1: Agent(1, 11, '李娜', '8001', 'sip', 'pw1',
            'Local/8001@tvcc-agents/n', 'PJSIP/8001'),
        2: Agent(2, 12, '王芳', '8002', 'simulated', None,
            'Local/8002@tvcc-agents/n', 'Custom:tvcc8002'),
        }
    defaults = dict(serial=1, default_queue=10, centre_city='上海市',
        timezone='Asia/Shanghai', screen_pop_url=None,
        queues={10: queue(10, 'sales'), 20: queue(20, 'service')},
        agents=agents, flows={}, nodes={}, dids={}, calendars={},
        caller_lists={}, prompts={}, trunks={})
    defaults.update(values)
    return Snapshot(**defaults)


class Voice:
    "Scripted caller: presses the given keys in turn ('' = no key)"

    def __init__(self, keys):
        self.keys = list(keys)
        self.played = []

    async def play(self, prompt):
        self.played.append(prompt)

    async def read_key(self, prompt, timeout):
        self.played.append(prompt)
        return self.keys.pop(0) if self.keys else ''


MENU_FLOW = dict(
    flows={1: Flow(1, 'main', 'main', 100)},
    nodes={
        100: node(100, 'branch_caller', next_node=101,
            options={'blacklist': 104, 'vip': 105}),
        101: node(101, 'menu', prompt=7, invalid_prompt=8, next_node=102,
            options={'1': 102, '2': 103}),
        102: node(102, 'queue', queue=10),
        103: node(103, 'queue', queue=20, priority_boost=3),
        104: node(104, 'hangup', prompt=9),
        105: node(105, 'queue', queue=20),
        },
    dids={'+864008201001': DID(5, '+864008201001', 1, None)})


def walk(snap, caller, keys=(), did='+864008201001', now=None):
    voice = Voice(keys)
    walker = routing.IVRWalker(snap, caller, did,
        now or dt.datetime(2026, 11, 26, 10), voice)
    return asyncio.run(walker.route()), voice


def test_menu_keys_choose_the_queue():
    snap = snapshot(**MENU_FLOW)
    caller = routing.classify(snap, '02161234567')
    decision, voice = walk(snap, caller, keys=['2'])
    assert (decision.action, decision.queue) == ('queue', 20)
    assert decision.priority == 3            # the node's boost, local caller
    assert [(s.name, s.key) for s in decision.steps] == [
        ('n100', None), ('n101', '2'), ('n103', None)]


def test_invalid_key_replays_then_falls_through():
    snap = snapshot(**MENU_FLOW)
    caller = routing.classify(snap, '02161234567')
    decision, voice = walk(snap, caller, keys=['7', '7'])
    assert decision.queue == 10                  # the menu's next node
    assert voice.played == [7, 8, 7]             # invalid prompt once


def test_blacklisted_caller_is_hung_up():
    snap = snapshot(**MENU_FLOW,
        caller_lists={'+862161234567': {('blacklist', None)}})
    caller = routing.classify(snap, '021-6123 4567')
    assert caller.caller_class == 'blacklist'
    decision, _ = walk(snap, caller)
    assert (decision.action, decision.prompt, decision.outcome) == (
        'hangup', 9, 'blacklisted')


def test_expired_list_entry_no_longer_counts():
    snap = snapshot(**MENU_FLOW, caller_lists={
            '+862161234567': {('blacklist', dt.date(2020, 1, 1))}})
    caller = routing.classify(snap, '02161234567',
        today=dt.date(2026, 11, 26))
    assert caller.caller_class == 'new'


def test_vip_and_long_distance_priority():
    snap = snapshot(caller_lists={'+8613800138000': {('vip', None)}})
    vip = routing.classify(snap, '13800138000')       # Beijing mobile
    local = routing.classify(snap, '02161234567')
    distant = routing.classify(snap, '01061234567')
    sales = snap.queues[10]
    assert routing.queue_priority(sales, vip) == 10
    assert routing.queue_priority(sales, distant) == 5
    assert routing.queue_priority(sales, local) == 0
    assert distant.long_distance and not local.long_distance


def test_company_account_goes_to_its_own_queue():
    snap = snapshot(**MENU_FLOW)
    caller = routing.classify(snap, '02161234567', party=42,
        account_queue=20)
    decision, _ = walk(snap, caller, keys=['1'])
    assert (decision.queue, decision.outcome) == (20, 'account')


def test_unknown_number_and_broken_flow_go_to_default_queue():
    snap = snapshot(**MENU_FLOW)
    caller = routing.classify(snap, '02161234567')
    decision, _ = walk(snap, caller, did='+864000000000')
    assert (decision.queue, decision.outcome) == (10, 'default_queue')
    broken = snapshot(flows={1: Flow(1, 'x', 'x', 999)}, dids={
            '+864008201001': DID(5, '+864008201001', 1, None)})
    decision, _ = walk(broken, caller)
    assert decision.queue == 10
    assert routing.default_decision(None).action == 'fallback'


def test_after_hours_branch():
    snap = snapshot(
        flows={1: Flow(1, 'main', 'main', 100)},
        nodes={
            100: node(100, 'branch_time', calendar=1, next_node=101,
                options={'closed': 102}),
            101: node(101, 'queue', queue=10),
            102: node(102, 'hangup', prompt=9),
            },
        calendars={1: Calendar(1, tuple(
                    (d, dt.time(8), dt.time(22)) for d in range(7)), {
                    dt.date(2027, 2, 7): (True, None, None)})},
        dids={'+864008201001': DID(5, '+864008201001', 1, None)})
    caller = routing.classify(snap, '02161234567')
    decision, _ = walk(snap, caller, now=dt.datetime(2026, 11, 26, 23))
    assert (decision.action, decision.outcome) == ('hangup', 'after_hours')
    decision, _ = walk(snap, caller, now=dt.datetime(2026, 11, 26, 9))
    assert decision.action == 'queue'
    # A holiday without its own branch takes the closed one.
    decision, _ = walk(snap, caller, now=dt.datetime(2027, 2, 7, 10))
    assert decision.outcome == 'after_hours'


def test_selective_recording():
    snap = snapshot()
    sales = queue(10, 'sales', recording='selective',
        record_classes=frozenset({'vip'}), record_dids=frozenset({5}))
    vip = routing.Caller(raw='x', number='+8613800138000',
        lists=frozenset({'vip'}))
    plain = routing.Caller(raw='x', number='+862161234567')
    assert routing.should_record(sales, vip, None)
    assert not routing.should_record(sales, plain, None)
    assert routing.should_record(sales, plain, 5)
    assert routing.should_record(queue(1, 'a', recording='all'), plain, None)


def test_overflow_decisions():
    snap = snapshot(queues={
            10: queue(10, 'sales', max_wait=60, overflow_action='queue',
                overflow_queue=20),
            20: queue(20, 'night', max_wait=60, overflow_action='voicemail',
                overflow_mailbox='100')})
    caller = routing.classify(snap, '02161234567')
    assert routing.overflow_decision(snap, 10, caller).queue == 20
    voicemail = routing.overflow_decision(snap, 20, caller)
    assert (voicemail.action, voicemail.mailbox) == ('voicemail', '100')


def test_rendered_configuration():
    snap = snapshot(**MENU_FLOW)
    files = render.render_all(snap)
    pjsip = files['pjsip.conf']
    assert '[8001]\ntype = endpoint' in pjsip
    assert 'password = pw1' in pjsip
    assert '[8002]' not in pjsip              # simulated: no phone
    queues = files['queues.conf']
    assert '[sales]\nstrategy = linear\ntimeout = 15' in queues
    assert 'wrapuptime = 5' in queues and 'ringinuse = no' in queues
    assert 'TVCC_DEFAULT_QUEUE = sales\n' in files['globals.conf']
    # Campaigns dial out through the first trunk.
    trunk = min(snap.trunks.values(), key=lambda t: t.code, default=None)
    assert f'TVCC_DIALER_ENDPOINT = {trunk.code if trunk else ""}\n' in \
        files['globals.conf']
    assert 'exten => 8002,hint,Custom:tvcc8002' in files['extensions.conf']


def test_browser_phone_endpoint_is_webrtc():
    "A browser phone: opus and G.711, WebRTC media, its own password"
    browser = Agent(3, 13, '张敏', '8003', 'browser', 'Br0wserPassw0rdXYZ',
        'Local/8003@tvcc-agents/n', 'PJSIP/8003')
    snap = snapshot(agents={**snapshot().agents, 3: browser})
    pjsip = render.render_pjsip(snap)
    section = pjsip.split('[8003]\n', 1)[1].split('\n\n', 1)[0]
    options = dict(line.split(' = ', 1) for line in section.splitlines())
    assert options['type'] == 'endpoint'
    assert options['allow'] == 'opus,ulaw,alaw'
    assert options['webrtc'] == 'yes'
    assert options['moh_passthrough'] == 'no'
    assert 'transport' not in options         # the contact's: WSS
    assert 'password = Br0wserPassw0rdXYZ' in pjsip
    sip = pjsip.split('[8001]\n', 1)[1].split('\n\n', 1)[0]
    assert 'webrtc' not in sip and 'allow = alaw,ulaw,g722' in sip
    assert 'exten => 8003,hint,PJSIP/8003' in render.render_extensions(snap)


def test_membership_plan_follows_presence():
    snap = snapshot()
    wanted = members.desired_members(snap, {
            1: ('ready', ''), 2: ('paused', 'meal')})
    sales = wanted['sales']
    assert [(m.name, m.paused, m.reason) for m in sales] == [
        ('8001', False, ''), ('8002', True, 'meal')]
    actions = members.plan(wanted, {}, linear_queues={'sales'})
    assert [(a['Action'], a['Queue'], a['MemberName']) for a in actions][:2] \
        == [('QueueAdd', 'sales', '8001'), ('QueueAdd', 'sales', '8002')]
    # Already there: only the pause changes.
    actual = {q: [dataclasses.replace(m, paused=False, reason='')
            for m in ms] for q, ms in wanted.items()}
    actions = members.plan(wanted, actual, linear_queues={'sales'})
    assert {(a['Action'], a['Interface']) for a in actions} == {
        ('QueuePause', 'Local/8002@tvcc-agents/n')}
    # Logged out: removed.
    actions = members.plan(members.desired_members(snap, {}), actual)
    assert {a['Action'] for a in actions} == {'QueueRemove'}


def test_linear_order_is_restored():
    "A member logging in late is re-placed in its configured position"
    snap = snapshot()
    wanted = members.desired_members(snap, {1: ('ready', ''),
            2: ('ready', '')})
    first, second = wanted['sales']
    actions = members.plan({'sales': [first, second]},
        {'sales': [second]}, linear_queues={'sales'})
    assert [(a['Action'], a['Interface']) for a in actions] == [
        ('QueueRemove', second.interface),
        ('QueueAdd', first.interface), ('QueueAdd', second.interface)]
    # Other strategies do not care about order.
    actions = members.plan({'sales': [first, second]}, {'sales': [second]})
    assert [a['Action'] for a in actions] == ['QueueAdd']


def test_ami_events_become_facts():
    mapper = facts.FactMapper(snapshot())
    call_facts, agent_facts = mapper.from_event({
            'Event': 'AgentConnect', 'Timestamp': '1795737242.265',
            'Linkedid': 'L1', 'Uniqueid': 'L1', 'Queue': 'sales',
            'MemberName': '8002', 'HoldTime': '7', 'RingTime': '2'})
    assert call_facts[0] == {'kind': 'agent_connect', 'linkedid': 'L1',
            'uniqueid': 'L1', 'agent': 2, 'wait': 7.0, 'ring': 2.0,
            'time': dt.datetime.utcfromtimestamp(1795737242.265)}
    # The answering agent's leg of the call begins (legs of transfers).
    assert [(f['kind'], f['agent']) for f in call_facts[1:]] == [
        ('leg_start', 2)]
    assert agent_facts[0]['state'] == 'in_call'
    # The caller already gone: the agent side still names the call.
    call_facts, _ = mapper.from_event({
            'Event': 'AgentComplete', 'DestLinkedid': 'L1',
            'Queue': 'sales', 'MemberName': '8002', 'TalkTime': '30'})
    assert call_facts[0]['linkedid'] == 'L1'
    # Only the call's own channel ends the call.
    assert mapper.from_event({'Event': 'Hangup', 'Uniqueid': 'X2',
            'Linkedid': 'L1'}) == ([], [])


def test_queue_log_and_cdr_lines_become_facts():
    mapper = facts.FactMapper(snapshot())
    lines = [
        '1795737238|1795737238.11|sales|NONE|ENTERQUEUE||02161234567|1',
        '1795737240|1795737238.11|sales|8001|RINGNOANSWER|2000',
        '1795737242|1795737238.11|sales|8002|CONNECT|4|1795737240.13|2',
        '1795737246|1795737238.11|sales|8002|COMPLETECALLER|4|4|1',
        '1795737246|NONE|NONE|NONE|QUEUESTART||',
        ]
    kinds = [f['kind'] for line in lines for f in mapper.from_queue_log(
            line)]
    assert kinds == ['queue_join', 'ring_no_answer', 'agent_connect',
        'agent_complete']
    cdr = ('"1795737238.11","1795737238.11","02161234567","4008201001",'
        '"tvcc-inbound","Local/s@tvcc-caller-00000003;1","",'
        '"1795737238.1","1795737238.2","1795737246.3","ANSWERED","x"')
    fact, = facts.from_cdr(cdr)
    assert (fact['kind'], fact['linkedid']) == ('hangup', '1795737238.11')


def test_screen_pop_messages():
    known = screenpop.pop_message(
        {'id': 7, 'caller': '+8613800138000', 'party': 3,
            'party_name': '王芳'},
        {'user': 11, 'extension': '8001', 'name': 'x'},
        url_template='https://crm.example/pop?caller={caller}&agent={agent}',
        known_view=42)
    assert (known['model'], known['res_id']) == ('party.party', 3)
    assert known['context'] == {}
    # A known caller opens in the pop's light form, a new one in the full.
    assert known['view_ids'] == [42]
    assert known['url'] == \
        'https://crm.example/pop?caller=%2B8613800138000&agent=8001'
    new = screenpop.pop_message(
        {'id': 8, 'caller': '+862161234567', 'party': None},
        {'user': 11, 'extension': '8001', 'name': 'x'},
        new_party_defaults={'default_source_media': 4})
    assert new['res_id'] is None and new['mode'] == ['form']
    assert 'view_ids' not in new
    # The caller's number is the party's default, read from the call.
    assert new['context'] == {'tvcc_call': 8, 'default_source_media': 4}
    assert screenpop.pop_url('https://x/{nope}', caller='1') is None


def test_customer_level_counts_like_the_caller_lists():
    snap = snapshot()
    vip = routing.classify(snap, '02161234567', party=3, party_level='vip')
    assert vip.caller_class == 'vip'
    blocked = routing.classify(snap, '02161234567', party=3,
        party_level='blacklist')
    assert blocked.caller_class == 'blacklist'
    plain = routing.classify(snap, '02161234567', party=3,
        party_level='normal')
    assert plain.caller_class == 'customer'
