"""Transfers, consultation, three-way calls, conferences and parking through
the real Asterisk and bridge: scripted agents (Local channels) answer, the
first agent asks as the web client does (the transfer wizard, the desk's
buttons, the call's 取回 button), and the call stays one record with its
legs; the second agent's screen pops with the first agent's note."""
import asyncio
import time

from callcenter import AGENT_PASSWORD, linked, local_caller  # noqa: F401
from helpers import EventLog, ami_session
from test_screenpop import BusListener

TALK = '1,60'       # scripted agents answer after 1 s and stay on the line


class Desk:
    "The agents of one test: two queues, all logged in and scripted"

    def __init__(self, cc, count=3, role='role_agent'):
        self.cc = cc
        self.agents = cc.agents(count, role=role)
        self.first_queue, _ = self.queue_of(self.agents[:1])
        self.other_queue, _ = self.queue_of(self.agents[1:])
        self.number = cc.did(queue=self.first_queue_id)
        cc.presence(self.agents, 'login')

    def queue_of(self, extensions):
        code, queue_id = self.cc.queue(extensions, strategy='linear',
            ring_timeout=15, recording='all')
        if not hasattr(self, 'first_queue_id'):
            self.first_queue_id = queue_id
        return code, queue_id

    async def ready(self, ami):
        await self.cc.simulate_agents(ami, {a: TALK for a in self.agents})
        await self.cc.wait_ready(ami, self.first_queue, self.agents[:1])
        await self.cc.wait_ready(ami, self.other_queue, self.agents[1:])


def wizard(cc, extension, action, note=None, **target):
    """The transfer wizard (转接) run by the agent at extension; returns the
    refusal's text, or None"""
    def run(pool):
        from trytond.exceptions import UserError
        from trytond.transaction import Transaction
        Agent = pool.get('callcenter.agent')
        Queue = pool.get('callcenter.queue')
        Wizard = pool.get('callcenter.call.transfer', type='wizard')
        agent, = Agent.search([('extension', '=', extension)])
        start = {'action': action, 'note': note, 'agent': agent.id}
        if 'agent' in target:
            other, = Agent.search([('extension', '=', target['agent'])])
            start.update(target_kind='agent', target_agent=str(other.id))
        elif 'queue' in target:
            queue, = Queue.search([('code', '=', target['queue'])])
            start.update(target_kind='queue', target_queue=queue.id)
        else:
            start.update(target_kind='number',
                target_number=target['number'])
        with Transaction().set_user(agent.user.id), \
                Transaction().set_context(language='zh_CN',
                    active_model='callcenter.agent', active_id=agent.id,
                    active_ids=[agent.id]):
            session, _, _ = Wizard.create()
            try:
                Wizard.execute(session, {'start': start}, 'send')
            except UserError as error:
                Transaction().rollback()
                return error.message
            finally:
                Wizard.delete(session)
        return None
    return cc.call_db(run)


def button(cc, extension, name, model='callcenter.agent', call=None):
    "A desk (or call) button pressed by the agent; the refusal's text"
    def press(pool):
        from trytond.exceptions import UserError
        from trytond.transaction import Transaction
        Agent = pool.get('callcenter.agent')
        Model = pool.get(model)
        agent, = Agent.search([('extension', '=', extension)])
        records = [Agent(agent.id)] if call is None else [Model(call)]
        with Transaction().set_user(agent.user.id), \
                Transaction().set_context(language='zh_CN',
                    _check_access=True):
            try:
                getattr(Model, name)(records)
            except UserError as error:
                Transaction().rollback()
                return error.message
        return None
    return cc.call_db(press)


def legs(cc, linkedid):
    "[(kind, agent extension or number, ended)] of the call, in order"
    def read(pool):
        Call = pool.get('callcenter.call')
        call, = Call.search([('linkedid', '=', linkedid)])
        return [(l.kind, l.agent.extension if l.agent else l.number,
                l.end is not None) for l in call.legs]
    return cc.call_db(read)


def call_of(cc, linkedid):
    def read(pool):
        Call = pool.get('callcenter.call')
        call, = Call.search([('linkedid', '=', linkedid)])
        return {'id': call.id, 'agent': call.agent.extension
            if call.agent else None, 'state': call.state,
            'note': call.transfer_note, 'parked_at': call.parked_at,
            'queue': call.queue.code if call.queue else None,
            'control_mode': call.control_mode,
            'readers': readers(pool, call.id)}
    return cc.call_db(read)


def readers(pool, call_id):
    "The test agents whose record rules let them read the call"
    from trytond.transaction import Transaction
    Call = pool.get('callcenter.call')
    found = []
    for agent in pool.get('callcenter.agent').search(
            [('extension', 'like', '7%')]):
        with Transaction().set_user(agent.user.id), \
                Transaction().set_context(_check_access=True):
            # Agents of other tests without the agent role read no call.
            if not pool.get('ir.model.access').check(
                    'callcenter.call', 'read', raise_exception=False):
                continue
            if Call.search([('id', '=', call_id)]):
                found.append(agent.extension)
    return sorted(found)


async def consult(cc, events, extension, target, linkedid, note=None):
    """The agent at extension consults the agent target (转接 → 咨询): wait
    until target has answered that call and its record is in consultation"""
    assert wizard(cc, extension, 'consult', note=note, agent=target) is None
    await events.wait(lambda e: e.get('UserEvent') == 'TvccLegAnswered'
        and e.get('Agent') == target and linked(e) == linkedid, timeout=20)
    await until(lambda: call_of(cc, linkedid)['control_mode'] == 'consult',
        what=f'the consultation of {target} on the record')


async def until(predicate, timeout=20, what='condition'):
    "Wait (polling the database) until predicate() is true"
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(predicate)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f'no {what} within {timeout} s')
        await asyncio.sleep(0.2)


def agent_state(cc, extension):
    def read(pool):
        agent, = pool.get('callcenter.agent').search(
            [('extension', '=', extension)])
        return agent.state
    return cc.call_db(read)


async def answered(cc, ami, events, desk, hold=90):
    "A call into the first queue, answered by the first agent"
    linkedid = await cc.place(ami, events, desk.number,
        caller=local_caller(), hold=hold)
    join = await events.wait(lambda e: e.get('Event') == 'QueueCallerJoin'
        and linked(e) == linkedid, timeout=20)
    await events.wait(lambda e: e.get('Event') == 'AgentConnect'
        and linked(e) == linkedid, timeout=20)
    # The bridge has seen the agent's channel in the call's bridge.
    await until(lambda: agent_state(cc, desk.agents[0]) == 'in_call',
        what='the first agent in call')
    return linkedid, join['Channel']


async def room_members(ami, linkedid):
    "The channels in the call's ConfBridge room"
    events = await ami.action({'Action': 'ConfbridgeList',
            'Conference': f'tvcc-{linkedid}'}, as_list=True)
    return sorted(e.get('Channel') for e in events
        if e.get('Event') == 'ConfbridgeList')


async def hang_up(ami, events, channel, linkedid, cc=None):
    "The caller hangs up; wait until the record has every leg's end"
    await ami.action({'Action': 'Hangup', 'Channel': channel})
    await events.wait(lambda e: e.get('Event') == 'Hangup'
        and e.get('Uniqueid') == linkedid, timeout=20)
    if cc is not None:
        await until(lambda: all(e for _, _, e in legs(cc, linkedid)),
            what='the end of every leg')


def run(coroutine):
    return asyncio.run(coroutine)


def test_blind_transfer_to_an_agent_pops_the_note(cc, instance, web):
    desk = Desk(cc, 2)
    a, b = desk.agents
    listener = BusListener(web, instance.database, f'pt_{b}', 40)

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await desk.ready(ami)
            linkedid, caller = await answered(cc, ami, events, desk)
            listener.start()
            await asyncio.sleep(0.3)
            assert wizard(cc, a, 'blind', agent=b,
                note='客户要改地址,已核对身份') is None
            await events.wait(lambda e: e.get('UserEvent') ==
                'TvccAgentConnect' and e.get('Agent') == b
                and linked(e) == linkedid, timeout=20)
            await until(lambda: call_of(cc, linkedid)['agent'] == b,
                what='the second agent on the call record')
            await hang_up(ami, events, caller, linkedid, cc)
            return linkedid
    linkedid = run(scenario())
    listener.join(10)
    record = cc.record(linkedid)
    assert record['disposition'] == 'answered' and record['agent'] == b
    assert [(k, x) for k, x, _ in legs(cc, linkedid)] == [
        ('answered', a), ('transfer', b)]
    message = listener.message
    assert message and message['type'] == 'tvcc.screen_pop', message
    assert message['call'] == record['id']
    assert message['note'] == '客户要改地址,已核对身份'
    assert a in message['transferred_by']
    # Both agents find the call in their lists.
    assert call_of(cc, linkedid)['readers'] == sorted([a, b])


def test_blind_transfer_to_a_queue(cc, instance):
    desk = Desk(cc, 2)
    a, b = desk.agents

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await desk.ready(ami)
            linkedid, caller = await answered(cc, ami, events, desk)
            assert wizard(cc, a, 'blind', queue=desk.other_queue) is None
            await events.wait(lambda e: e.get('Event') == 'AgentConnect'
                and e.get('MemberName') == b and linked(e) == linkedid,
                timeout=20)
            await until(lambda: call_of(cc, linkedid)['agent'] == b,
                what='the queue agent on the call record')
            await hang_up(ami, events, caller, linkedid, cc)
            return linkedid
    linkedid = run(scenario())
    call = call_of(cc, linkedid)
    assert call['queue'] == desk.other_queue
    assert [(k, x, e) for k, x, e in legs(cc, linkedid)] == [
        ('answered', a, True), ('transfer', b, True)]


def test_consult_then_complete_and_consult_then_return(cc, instance):
    desk = Desk(cc, 3)
    a, b, c = desk.agents

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await desk.ready(ami)
            # 1. consult b, then take the caller back (取回)
            linkedid, caller = await answered(cc, ami, events, desk)
            await consult(cc, events, a, b, linkedid)
            # The caller waits in the room, hearing music, alone.
            assert await room_members(ami, linkedid) == [caller]
            assert button(cc, a, 'retrieve') is None
            await events.wait(lambda e: e.get('Event') == 'ConfbridgeJoin'
                and (e.get('Channel') or '').startswith(f'Local/{a}@'),
                timeout=20)
            members = await room_members(ami, linkedid)
            assert len(members) == 2 and caller in members
            await until(lambda: legs(cc, linkedid)[1:] == [
                    ('consult', b, True)], what="b's consultation ended")
            # 2. consult c, then complete the transfer (完成转接)
            await consult(cc, events, a, c, linkedid, note='请处理退货')
            assert button(cc, a, 'complete_transfer') is None
            await events.wait(lambda e: e.get('Event') == 'ConfbridgeJoin'
                and (e.get('Channel') or '').startswith(f'Local/{c}@'),
                timeout=20)
            await until(lambda: call_of(cc, linkedid)['agent'] == c,
                what='c on the call record')
            members = await room_members(ami, linkedid)
            assert len(members) == 2 and caller in members
            assert not any(m.startswith(f'Local/{a}@') for m in members)
            await hang_up(ami, events, caller, linkedid, cc)
            return linkedid
    linkedid = run(scenario())
    call = call_of(cc, linkedid)
    assert call['note'] == '请处理退货'
    assert [(k, x) for k, x, _ in legs(cc, linkedid)] == [
        ('answered', a), ('consult', b), ('transfer', c)]
    assert call['readers'] == sorted([a, b, c])


def test_three_way_then_conference_of_four(cc, instance):
    desk = Desk(cc, 3)
    a, b, c = desk.agents

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await desk.ready(ami)
            linkedid, caller = await answered(cc, ami, events, desk)
            await consult(cc, events, a, b, linkedid)
            assert button(cc, a, 'three_way') is None
            for ext in (a, b):
                await events.wait(lambda e: e.get('Event') ==
                    'ConfbridgeJoin' and (e.get('Channel') or ''
                        ).startswith(f'Local/{ext}@'), timeout=20)
            await until(lambda: call_of(cc, linkedid)['control_mode']
                == 'conference', what='the conference on the record')
            assert len(await room_members(ami, linkedid)) == 3
            # A fourth party: agent c is added to the room.
            assert wizard(cc, a, 'conference', agent=c) is None
            await events.wait(lambda e: e.get('Event') == 'ConfbridgeJoin'
                and (e.get('Channel') or '').startswith(f'Local/{c}@'),
                timeout=20)
            members = await room_members(ami, linkedid)
            assert len(members) == 4 and caller in members
            await until(lambda: len(legs(cc, linkedid)) == 3,
                what="c's leg")
            await hang_up(ami, events, caller, linkedid, cc)
            return linkedid
    linkedid = run(scenario())
    assert sorted((k, x) for k, x, _ in legs(cc, linkedid)) == [
        ('conference', a), ('conference', b), ('conference', c)]


def test_park_and_pick_up(cc, instance):
    desk = Desk(cc, 2)
    a, b = desk.agents

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await desk.ready(ami)
            linkedid, caller = await answered(cc, ami, events, desk)
            assert button(cc, a, 'park') is None
            parked = await events.wait(lambda e: e.get('Event') ==
                'ParkedCall' and e.get('ParkeeLinkedid') == linkedid,
                timeout=20)
            call = await until(lambda: call_of(cc, linkedid)['parked_at']
                and call_of(cc, linkedid), what='the parking space')
            assert call['parked_at'] == parked['ParkingSpace']
            await until(lambda: agent_state(cc, a) != 'in_call',
                what='the first agent free')
            assert button(cc, b, 'pickup', model='callcenter.call',
                call=call['id']) is None
            await events.wait(lambda e: e.get('Event') == 'UnParkedCall'
                and e.get('ParkeeLinkedid') == linkedid, timeout=20)
            await until(lambda: call_of(cc, linkedid)['agent'] == b,
                what='b on the call record')
            await hang_up(ami, events, caller, linkedid, cc)
            return linkedid
    linkedid = run(scenario())
    assert [(k, e) for k, _, e in legs(cc, linkedid)] == [
        ('answered', True), ('park', True), ('transfer', True)]
    assert call_of(cc, linkedid)['parked_at'] is None


def test_refusals_are_in_chinese(cc, instance):
    desk = Desk(cc, 3)
    a, b, c = desk.agents

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await desk.ready(ami)
            cc.presence([c], 'logout')
            # Not on a call: nothing to transfer.
            assert '不是您的通话' in wizard(cc, b, 'blind', agent=a)
            linkedid, caller = await answered(cc, ami, events, desk)
            try:
                assert '未签入' in wizard(cc, a, 'blind', agent=c)
                assert '不允许呼叫' in wizard(cc, a, 'blind',
                    number='16012345678')
                # Without a consultation the button is not there: the
                # server refuses it too.
                refusal = button(cc, a, 'complete_transfer')
                assert '没有咨询' in refusal or '不能对' in refusal
                # b is not on this call: b's buttons do not reach it.
                refusal = button(cc, b, 'park')
                assert '不是您的通话' in refusal or '不能对' in refusal
            finally:
                await hang_up(ami, events, caller, linkedid, cc)
            return linkedid
    linkedid = run(scenario())
    assert [k for k, _, _ in legs(cc, linkedid)] == ['answered']

