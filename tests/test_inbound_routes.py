"""The IVR's other exits through the real Asterisk, bridge and PostgreSQL:
one agent (record and screen pop), overflow at the maximum wait (to another
queue, to voicemail), the voicemail node, the branch by called number, and
local callers whose trunk drops the area code. Scripted Local channels."""
import asyncio
import random
import shutil

import pytest

from callcenter import called, ended, linked, local_caller, unique
from callcenter import test_did as new_number
from helpers import EventLog, ami_session
from test_screenpop import BusListener

from tvcc import phone


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(scope='module')
def mailboxes(tryton, instance):
    "Mailbox numbers for this module's tests, empty; their boxes go at the end"
    used = []

    def new():
        # Short: Asterisk's greeting reads the number out.
        mailbox = f'79{random.randrange(10**4):04d}'
        shutil.rmtree(instance.host_path / 'spool' / 'voicemail' / 'tvcc'
            / mailbox, ignore_errors=True)
        used.append(mailbox)
        return mailbox
    yield new

    def remove(pool):
        Voicemail = pool.get('callcenter.voicemail')
        Voicemail.delete(Voicemail.search([('mailbox', 'in', used)]))
    tryton.call(remove)


def agent_id(pool, extension):
    return pool.get('callcenter.agent').search(
        [('extension', '=', extension)])[0].id


def call_details(cc, linkedid):
    "What cc.record leaves out: where the caller is, the agent's states"
    def read(pool):
        Call = pool.get('callcenter.call')
        StateLog = pool.get('callcenter.agent.state_log')
        call, = Call.search([('linkedid', '=', linkedid)])
        return {
            'caller_location': call.caller_location,
            'long_distance': call.long_distance,
            'ring_time': call.ring_time,
            'agent_states': sorted({entry.state for entry in StateLog.search(
                            [('call', '=', call.id)])}),
            }
    return cc.call_db(read)


def voicemail_messages(instance, mailbox):
    inbox = instance.host_path / 'spool' / 'voicemail' / 'tvcc' / mailbox \
        / 'INBOX'
    return sorted(inbox.glob('msg*.wav'))


def box_pin(cc, mailbox):
    def read(pool):
        Voicemail = pool.get('callcenter.voicemail')
        boxes = Voicemail.search([('mailbox', '=', mailbox)])
        return boxes[0].password if boxes else None
    return cc.call_db(read)


async def left_a_message(events, mailbox, timeout=30):
    "Asterisk's MessageWaiting for mailbox once the message is saved"
    return await events.wait(lambda e: e.get('Event') == 'MessageWaiting'
        and e.get('Mailbox') == f'{mailbox}@tvcc'
        and int(e.get('New') or 0) >= 1, timeout=timeout,
        what=f'a message in mailbox {mailbox}')


def test_a_call_sent_to_one_agent_is_a_full_record_with_pop(cc, instance,
        web):
    "The agent node: the agent's phone rings, their screen pops, the call "
    "has its agent, ring, wait, answer and talk time like a queue call"
    a, = cc.agents(1)
    queue, _ = cc.queue([a])

    def build(pool, node):
        return node('专属坐席', 'agent', agent=agent_id(pool, a))
    did = cc.did(flow=cc.flow(build))
    cc.presence([a], 'login')
    caller = local_caller()
    listener = BusListener(web, instance.database, f'pt_{a}', 25)

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '1,3'})
            await cc.wait_ready(ami, queue, [a])
            listener.start()
            await asyncio.sleep(0.5)   # the bus poll is open
            await cc.call(ami, did, caller, hold=15)
            linkedid = await cc.linkedid_of(events, caller)
            await ended(events, linkedid, timeout=30)
            return linkedid, events
    linkedid, events = run(scenario())
    listener.join(25)
    record = cc.record(linkedid)
    route = [e.get('Value') for e in events.events
        if e.get('Variable') == 'TVCC_ROUTE' and linked(e) == linkedid]
    assert record['agent'] == a, (route, record,
        cc.bridge_log(linkedid))
    assert record['disposition'] == 'answered'
    assert record['route_outcome'] == 'agent'
    assert record['connect_time'] is not None
    assert 2 <= record['talk'] <= 5, record
    assert 0 <= record['ring'] <= 3 and record['wait'] is not None
    assert ('专属坐席', None) in record['steps']
    details = call_details(cc, linkedid)
    assert details['ring_time'] is not None
    assert {'ringing', 'in_call'} <= set(details['agent_states'])
    message = listener.message
    assert message is not None, 'the agent got no screen pop'
    assert message['type'] == 'tvcc.screen_pop'
    assert (message['call'], message['agent']) == (record['id'], a)
    assert message['caller'] == phone.normalize(caller)


def test_overflow_at_maximum_wait_to_another_queue(cc, instance):
    "Nobody free in the first queue: after its maximum wait the call "
    "goes to the overflow queue, whose agent answers"
    a, b = cc.agents(2)
    backup, backup_id = cc.queue([b])
    first, _ = cc.queue([a], max_wait=2, overflow_action='queue',
        overflow_queue=backup_id)
    did = cc.did(queue=_)
    cc.presence([a, b], 'login')
    cc.presence([a], 'pause', reason='break')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '0,2', b: '0,2'})
            await cc.wait_ready(ami, first, [a], paused=[a])
            await cc.wait_members(ami, backup, [b])
            linkedid = await cc.place(ami, events, did, hold=15)
            joins = []
            for queue in (first, backup):
                event = await events.wait(lambda e: e.get('Event') ==
                    'QueueCallerJoin' and linked(e) == linkedid
                    and e.get('Queue') == queue, timeout=15)
                joins.append(event['Queue'])
            connect = await events.wait(lambda e: e.get('Event') ==
                'AgentConnect' and linked(e) == linkedid, timeout=15)
            await ended(events, linkedid)
            return linkedid, joins, connect['MemberName'], events
    linkedid, joins, answered_by, events = run(scenario())
    assert joins == [first, backup]
    assert called(events, linkedid) == [b]
    assert answered_by == b
    record = cc.record(linkedid)
    assert record['queue'] == backup and record['agent'] == b
    assert record['route_outcome'] == 'overflow'
    assert record['disposition'] == 'answered'
    # The wait counts from the first queue.
    assert record['wait'] >= 2


def test_overflow_at_maximum_wait_to_voicemail(cc, instance, mailboxes):
    "The caller leaves a message in the queue's overflow box"
    mailbox = mailboxes()
    a, = cc.agents(1)
    queue, queue_id = cc.queue([a], max_wait=2, overflow_action='voicemail',
        overflow_mailbox=mailbox)
    did = cc.did(queue=queue_id)
    cc.presence([a], 'login')
    cc.presence([a], 'pause', reason='break')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.wait_ready(ami, queue, [a], paused=[a])
            linkedid = await cc.place(ami, events, did, delay=0, hold=12)
            start = await events.wait(lambda e: e.get('Event') ==
                'Newexten' and linked(e) == linkedid
                and e.get('Application') == 'VoiceMail', timeout=15)
            waiting = await left_a_message(events, mailbox)
            await ended(events, linkedid)
            return linkedid, start['AppData'], waiting, events
    linkedid, app_data, waiting, events = run(scenario())
    assert app_data.startswith(f'{mailbox}@tvcc')
    assert called(events, linkedid) == []
    assert voicemail_messages(instance, mailbox)
    record = cc.record(linkedid)
    assert record['queue'] == queue
    assert record['disposition'] == 'voicemail'
    assert record['route_outcome'] == 'voicemail'
    pin = box_pin(cc, mailbox)
    assert pin and pin != '0000'


def test_voicemail_node_records_a_message_in_its_own_box(cc, instance,
        mailboxes):
    "The IVR's voicemail node; the box Asterisk uses has its own PIN"
    mailbox = mailboxes()
    prompt = cc.prompt('t_leave_message', '请在提示音后留言')

    def build(pool, node):
        leave = node('留言', 'voicemail', mailbox=mailbox)
        return node('问候', 'prompt', prompt=prompt, next_node=leave)
    did = cc.did(flow=cc.flow(build))

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.wait_applied()
            linkedid = await cc.place(ami, events, did, delay=0, hold=12)
            waiting = await left_a_message(events, mailbox)
            await ended(events, linkedid)
            return linkedid, waiting
    linkedid, waiting = run(scenario())
    assert voicemail_messages(instance, mailbox)
    record = cc.record(linkedid)
    assert record['disposition'] == 'voicemail'
    assert [name for name, _ in record['steps']] == ['问候', '留言']
    pin = box_pin(cc, mailbox)
    conf = instance.host_path / 'etc' / 'tvcc' / 'voicemail.conf'
    rendered = conf.read_text()
    assert f'\n{mailbox} => {pin},' in rendered
    assert ' => 0000,' not in rendered
    # PINs, like SIP passwords: Asterisk's group reads them, no one else.
    assert oct(conf.stat().st_mode & 0o777) == oct(0o640)
    assert conf.stat().st_uid == 0


def test_branch_by_called_number(cc, instance):
    "One flow for two hotlines: each number's callers reach its own queue"
    a, b = cc.agents(2)
    tv, tv_id = cc.queue([a])
    radio, radio_id = cc.queue([b])
    tv_number, radio_number = new_number(), new_number()

    def build(pool, node):
        to_tv = node('电视购物', 'queue', queue=tv_id)
        to_radio = node('广播购物', 'queue', queue=radio_id)
        # The called number as it is configured, with its separators.
        return node('按号码', 'branch_number', next_node=to_tv, options={
                tv_number: to_tv.id,
                f'{radio_number[:3]}-{radio_number[3:]}': to_radio.id})
    flow = cc.flow(build)

    def numbers(pool):
        pool.get('callcenter.did').create([
                {'number': tv_number, 'flow': flow},
                {'number': radio_number, 'flow': flow}])
    cc.call_db(numbers)
    cc.presence([a, b], 'login')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '0,1', b: '0,1'})
            await cc.wait_ready(ami, tv, [a])
            await cc.wait_members(ami, radio, [b])
            joined = {}
            for number in (radio_number, tv_number):
                linkedid = await cc.place(ami, events, number, hold=8)
                join = await events.wait(lambda e: e.get('Event') ==
                    'QueueCallerJoin' and linked(e) == linkedid)
                joined[number] = (linkedid, join['Queue'])
            for linkedid, _ in joined.values():
                await ended(events, linkedid)
            return joined
    joined = run(scenario())
    assert {n: q for n, (_, q) in joined.items()} == {
        tv_number: tv, radio_number: radio}
    for number, queue, agent in ((tv_number, tv, a),
            (radio_number, radio, b)):
        record = cc.record(joined[number][0])
        assert (record['queue'], record['agent']) == (queue, agent)
        assert ('按号码', None) in record['steps']


def shenzhen_number():
    "A valid Shenzhen landline (8 digits after 0755) no one has"
    while True:
        local = f'8{random.randrange(10**7):07d}'
        if phone.normalize_or_none(f'0755{local}'):
            return local


@pytest.fixture
def shenzhen_centre(cc):
    "The centre in 深圳市 (area code 0755) for one test"
    def configure(pool, city, area):
        Configuration = pool.get('callcenter.configuration')
        config = Configuration(1)
        previous = (config.centre_city, config.area_code)
        config.centre_city, config.area_code = city, area
        config.save()
        return previous
    previous = cc.call_db(configure, '深圳市', '0755')
    yield
    cc.call_db(configure, *previous)


def test_local_caller_without_area_code_is_the_centre_area_number(cc,
        instance, shenzhen_centre):
    "A Shenzhen trunk delivers 8 digits: the caller is the customer whose "
    "number is 0755 + those digits, a local (not long-distance) caller"
    local = shenzhen_number()
    a, = cc.agents(1)
    queue, queue_id = cc.queue([a], long_distance_priority=5)
    did = cc.did(queue=queue_id)

    def customer(pool):
        Party = pool.get('party.party')
        party, = Party.create([{'name': unique('深圳客户'),
                    'contact_mechanisms': [('create', [{
                                    'type': 'phone',
                                    'value': f'0755-{local}'}])]}])
        return party.id
    party = cc.call_db(customer)
    cc.presence([a], 'login')
    try:
        async def scenario():
            async with ami_session(instance) as ami:
                events = EventLog(ami)
                await cc.simulate_agents(ami, {a: '0,1'})
                await cc.wait_ready(ami, queue, [a])
                linkedid = await cc.place(ami, events, did, caller=local,
                    hold=6)
                join = await events.wait(lambda e: e.get('Event') ==
                    'QueueCallerJoin' and linked(e) == linkedid)
                await ended(events, linkedid)
                return linkedid, join
        linkedid, join = run(scenario())
        record = cc.record(linkedid)
        assert record['caller'] == f'+86755{local}'
        assert record['party'] == party
        assert record['caller_class'] == 'customer'
        assert record['priority'] == 0, 'a local caller is not long distance'
        details = call_details(cc, linkedid)
        assert details['caller_location'] == '广东省深圳市'
        assert details['long_distance'] is False
    finally:
        def remove(pool):
            Party = pool.get('party.party')
            Party.delete([Party(party)])
        cc.call_db(remove)

