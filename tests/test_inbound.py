"""Inbound calls through the real Asterisk, the bridge and PostgreSQL:
IVR, ACD strategies, priorities, RONA, abandon, after hours, failures,
recording. Agents and callers are scripted Local channels."""
import asyncio
import datetime as dt

from callcenter import (
    called, connects, distant_caller, ended, linked,
    local_caller, unique)
from helpers import EventLog, ami_session


def run(coroutine):
    return asyncio.run(coroutine)


def test_ivr_keys_route_to_different_queues(cc, instance):
    "Key 1 reaches the order queue, key 2 the service queue"
    a, b = cc.agents(2)
    sales, sales_id = cc.queue([a])
    service, service_id = cc.queue([b])
    prompt = cc.prompt('t_menu', '订购请按1，售后请按2')

    def build(pool, node):
        to_sales = node('订购', 'queue', queue=sales_id)
        to_service = node('售后', 'queue', queue=service_id)
        return node('主菜单', 'menu', prompt=prompt, timeout=4,
            next_node=to_sales,
            options={'1': to_sales.id, '2': to_service.id})
    did = cc.did(flow=cc.flow(build))
    cc.presence([a, b], 'login')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '1,2', b: '1,2'})
            await cc.wait_ready(ami, sales, [a])
            await cc.wait_members(ami, service, [b])
            caller2, caller1 = local_caller(), local_caller()
            await cc.call(ami, did, caller2, keys='2', delay=2, hold=8)
            id2 = await cc.linkedid_of(events, caller2)
            await cc.call(ami, did, caller1, keys='1', delay=2, hold=8)
            id1 = await cc.linkedid_of(events, caller1)
            joins = {}
            for linkedid in (id1, id2):
                event = await events.wait(
                    lambda e: e.get('Event') == 'QueueCallerJoin'
                    and linked(e) == linkedid)
                joins[linkedid] = event['Queue']
            return id1, id2, joins
    id1, id2, joins = run(scenario())
    assert joins == {id1: sales, id2: service}
    record = cc.record(id2)
    assert record['queue'] == service and record['agent'] == b
    assert record['disposition'] == 'answered'
    assert ('主菜单', '2') in record['steps']


def test_blacklisted_caller_hears_message_and_no_agent_rings(cc, instance,
        tryton):
    a, = cc.agents(1)
    queue, queue_id = cc.queue([a])
    caller = local_caller()
    blocked = cc.prompt('t_blocked', '对不起，您的号码暂时无法接通')

    def listed(pool):
        pool.get('callcenter.caller_list').create([{
                    'number': caller, 'kind': 'blacklist',
                    'reason': 'pytest'}])
    tryton.call(listed)

    def build(pool, node):
        to_queue = node('订购', 'queue', queue=queue_id)
        hangup = node('黑名单', 'hangup', prompt=blocked)
        return node('甄别', 'branch_caller', next_node=to_queue,
            options={'blacklist': hangup.id})
    did = cc.did(flow=cc.flow(build))
    cc.presence([a], 'login')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '0,2'})
            await cc.wait_ready(ami, queue, [a])
            await cc.call(ami, did, caller, hold=10)
            linkedid = await cc.linkedid_of(events, caller)
            prompt = await events.wait(
                lambda e: e.get('Event') == 'VarSet'
                and linked(e) == linkedid
                and e.get('Variable') == 'TVCC_PROMPT')
            played = await events.wait(
                lambda e: e.get('Event') == 'Newexten'
                and linked(e) == linkedid
                and 'Playback(' in (e.get('AppData') or ''))
            await ended(events, linkedid)
            return linkedid, prompt.get('Value', ''), played, events
    linkedid, prompt, played, events = run(scenario())
    route = [e.get("Value") for e in events.events
        if e.get('Variable') == 'TVCC_ROUTE' and linked(e) == linkedid]
    assert 't_blocked' in prompt and 't_blocked' in played['AppData'], (
        f'route {route}; bridge: {cc.bridge_log(linkedid, "prompt")}')
    assert called(events, linkedid) == []
    record = cc.record(linkedid)
    assert record['disposition'] == 'blacklisted'
    assert record['caller_class'] == 'blacklist'
    assert record['agent'] is None


def test_vip_and_long_distance_callers_are_answered_first(cc, instance,
        tryton):
    "Joining after a normal caller, a VIP (then a long-distance caller) is "
    "connected first when the agent frees up"
    a, = cc.agents(1)
    queue, _ = cc.queue([a], vip_priority=10, long_distance_priority=5)
    did = cc.did(queue=_)
    vip = local_caller()

    def listed(pool):
        pool.get('callcenter.caller_list').create([{
                    'number': vip, 'kind': 'vip', 'reason': 'pytest'}])
    tryton.call(listed)
    cc.presence([a], 'login')
    busy, normal, distant = local_caller(), local_caller(), distant_caller()

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '0,4'})
            await cc.wait_ready(ami, queue, [a])
            ids = {}
            for caller in (busy, normal, vip, distant):
                await cc.call(ami, did, caller, hold=30)
                ids[caller] = await cc.linkedid_of(events, caller)
                await events.wait(lambda e: e.get('Event') ==
                    'QueueCallerJoin' and linked(e) == ids[caller])
            await events.wait(
                lambda e: len(connects(events, set(ids.values()))) >= 4,
                timeout=40, what='four connected calls')
            return ids, connects(events, set(ids.values()))
    ids, order = run(scenario())
    assert [linkedid for linkedid, _ in order] == [
        ids[busy], ids[vip], ids[distant], ids[normal]]
    assert cc.record(ids[vip], ended=False)['priority'] == 10
    assert cc.record(ids[distant], ended=False)['priority'] == 5
    assert cc.record(ids[normal], ended=False)['priority'] == 0


def sequential_calls(cc, instance, queue, did, behaviours, members,
        count, spacing=0.5, before=None, paused=None):
    """Place count calls one after the other (each waits for the previous
    to connect and end); return the agent rung first for each"""
    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, behaviours)
            await cc.wait_ready(ami, queue, members, paused=paused)
            first_rung = []
            for index in range(count):
                if before:
                    await before(ami, index)
                caller = local_caller()
                await cc.call(ami, did, caller, hold=20)
                linkedid = await cc.linkedid_of(events, caller)
                rung = await events.wait(lambda e: e.get('Event') ==
                    'AgentCalled' and linked(e) == linkedid)
                first_rung.append(rung['MemberName'])
                await ended(events, linkedid)
                await asyncio.sleep(spacing)
            return first_rung, events
    return run(scenario())


def test_linear_always_rings_the_first_member_first(cc, instance):
    agents = cc.agents(3)
    queue, queue_id = cc.queue(agents, strategy='linear')
    did = cc.did(queue=queue_id)
    cc.presence(agents, 'login')
    rung, _ = sequential_calls(cc, instance, queue, did,
        {e: '0,1' for e in agents}, agents, 3)
    assert rung == [agents[0]] * 3


def test_linear_order_follows_member_sequence_after_relogin(cc, instance):
    "The member who logs in last keeps its configured place"
    agents = cc.agents(3)
    queue, queue_id = cc.queue(agents, strategy='linear')
    did = cc.did(queue=queue_id)
    cc.presence(agents[1:], 'login')
    cc.presence(agents[:1], 'login')
    rung, _ = sequential_calls(cc, instance, queue, did,
        {e: '0,1' for e in agents}, agents, 1)
    assert rung == [agents[0]]


def test_round_robin_rotates(cc, instance):
    agents = cc.agents(3)
    queue, queue_id = cc.queue(agents, strategy='round_robin')
    did = cc.did(queue=queue_id)
    cc.presence(agents, 'login')
    rung, _ = sequential_calls(cc, instance, queue, did,
        {e: '0,1' for e in agents}, agents, 4)
    # Each agent in turn, then the first again.
    assert sorted(rung[:3]) == sorted(agents) and rung[3] == rung[0]


def test_longest_idle_agent_gets_the_call(cc, instance):
    """x talks long, y and z briefly: once all are free again the 4th call
    goes to y, idle the longest (round robin would pick x)"""
    agents = cc.agents(3)
    queue, queue_id = cc.queue(agents, strategy='longest_idle')
    did = cc.did(queue=queue_id)
    cc.presence(agents, 'login')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {e: '0,7' for e in agents})
            await cc.wait_ready(ami, queue, agents)
            order, calls = [], []
            for index in range(4):
                caller = local_caller()
                await cc.call(ami, did, caller, hold=20)
                linkedid = await cc.linkedid_of(events, caller)
                calls.append(linkedid)
                event = await events.wait(lambda e: e.get('Event') ==
                    'AgentConnect' and linked(e) == linkedid)
                order.append(event['MemberName'])
                if index == 0:
                    # Everyone but the first agent now talks briefly.
                    await cc.simulate_agents(ami, {e: '0,1'
                            for e in agents if e != order[0]})
                    await asyncio.sleep(0.5)
                elif index == 1:
                    await asyncio.sleep(1.5)
                elif index == 2:
                    await ended(events, calls[0])
                    await asyncio.sleep(1.5)
            return order
    x, y, z, fourth = run(scenario())
    assert len({x, y, z}) == 3
    assert fourth == y


def test_fewest_calls_balances_call_volume(cc, instance):
    "After A took two calls while B was paused, B gets the next two"
    a, b = cc.agents(2)
    queue, queue_id = cc.queue([a, b], strategy='fewest_calls')
    did = cc.did(queue=queue_id)
    cc.presence([a, b], 'login')
    cc.presence([b], 'pause', reason='break')

    async def before(ami, index):
        if index == 2:
            cc.presence([b], 'resume')
            await cc.wait_members(ami, queue, [a, b], paused=[])
    rung, _ = sequential_calls(cc, instance, queue, did,
        {a: '0,1', b: '0,1'}, [a, b], 4, before=before, paused=[b])
    assert rung == [a, a, b, b]


def test_skills_rings_the_best_skill_level_first(cc, instance):
    "Levels 3, 9, 6: busy agents aside, the expert is rung first"
    agents = cc.agents(3, skills=[{'t_wine': 3}, {'t_wine': 9},
            {'t_wine': 6}])
    queue, queue_id = cc.queue(agents, strategy='skills', skill='t_wine')
    did = cc.did(queue=queue_id)
    cc.presence(agents, 'login')
    low, expert, middle = agents

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {e: '0,8' for e in agents})
            members = await cc.wait_ready(ami, queue, agents)
            penalties = {m['Name']: int(m['Penalty']) for m in members}
            order = []
            for _ in range(3):
                caller = local_caller()
                await cc.call(ami, did, caller, hold=20)
                linkedid = await cc.linkedid_of(events, caller)
                event = await events.wait(lambda e: e.get('Event') ==
                    'AgentConnect' and linked(e) == linkedid)
                order.append(event['MemberName'])
            return penalties, order
    penalties, order = run(scenario())
    assert penalties == {low: 7, expert: 1, middle: 4}
    assert order == [expert, middle, low]


def test_random_spreads_calls_over_members(cc, instance):
    agents = cc.agents(3)
    queue, queue_id = cc.queue(agents, strategy='random')
    did = cc.did(queue=queue_id)
    cc.presence(agents, 'login')
    rung, _ = sequential_calls(cc, instance, queue, did,
        {e: '0,1' for e in agents}, agents, 10, spacing=0.2)
    assert set(rung) <= set(agents)
    assert len(set(rung)) >= 2


def test_ring_all_rings_every_member_at_once(cc, instance):
    agents = cc.agents(3)
    queue, queue_id = cc.queue(agents, strategy='ring_all')
    did = cc.did(queue=queue_id)
    cc.presence(agents, 'login')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {agents[0]: '2,1',
                    agents[1]: 'never', agents[2]: 'never'})
            await cc.wait_ready(ami, queue, agents)
            caller = local_caller()
            await cc.call(ami, did, caller, hold=20)
            linkedid = await cc.linkedid_of(events, caller)
            await events.wait(lambda e: e.get('Event') == 'AgentConnect'
                and linked(e) == linkedid)
            return called(events, linkedid), connects(events, {linkedid})
    rung, connected = run(scenario())
    assert sorted(rung) == sorted(agents)
    assert [agent for _, agent in connected] == [agents[0]]


def test_rona_moves_the_call_and_is_counted(cc, instance):
    "The first agent never answers: after the ring timeout the next answers"
    a, b = cc.agents(2)
    queue, queue_id = cc.queue([a, b], strategy='linear', ring_timeout=2)
    did = cc.did(queue=queue_id)
    cc.presence([a, b], 'login')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: 'never', b: '1,2'})
            await cc.wait_ready(ami, queue, [a, b])
            caller = local_caller()
            await cc.call(ami, did, caller, hold=20)
            linkedid = await cc.linkedid_of(events, caller)
            rona = await events.wait(lambda e: e.get('Event') ==
                'AgentRingNoAnswer' and linked(e) == linkedid)
            connect = await events.wait(lambda e: e.get('Event') ==
                'AgentConnect' and linked(e) == linkedid,
                timeout=20)
            return linkedid, rona['MemberName'], connect['MemberName']
    linkedid, unanswered, answered = run(scenario())
    assert (unanswered, answered) == (a, b)
    record = cc.record(linkedid)
    assert record['rona_count'] == 1 and record['ronas'] == [a]
    assert record['agent'] == b and record['disposition'] == 'answered'


def test_caller_hanging_up_in_queue_is_abandoned_with_its_wait(cc, instance):
    a, = cc.agents(1)
    queue, queue_id = cc.queue([a])
    did = cc.did(queue=queue_id)
    cc.presence([a], 'login')
    cc.presence([a], 'pause', reason='break')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.wait_ready(ami, queue, [a], paused=[a])
            caller = local_caller()
            await cc.call(ami, did, caller, delay=0, hold=3)
            linkedid = await cc.linkedid_of(events, caller)
            await events.wait(lambda e: e.get('Event') ==
                'QueueCallerAbandon' and linked(e) == linkedid,
                timeout=20)
            return linkedid, events
    linkedid, events = run(scenario())
    assert called(events, linkedid) == []
    record = cc.record(linkedid)
    assert record['disposition'] == 'abandoned'
    assert 2 <= record['wait'] <= 5


def test_after_hours_call_takes_the_after_hours_branch(cc, instance, tryton):
    a, = cc.agents(1)
    queue, queue_id = cc.queue([a])
    closed_prompt = cc.prompt('t_closed', '现在是非工作时间')
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    # Open only during an hour that is not now (Asia/Shanghai).
    hour = (now.hour + 6) % 24

    def calendar(pool):
        Calendar = pool.get('callcenter.calendar')
        return Calendar.create([{'name': unique('t_cal'), 'hours': [
                        ('create', [{'weekday': str(d),
                                    'start_time': dt.time(hour),
                                    'end_time': dt.time(hour, 59)}
                                for d in range(7)])]}])[0].id
    calendar_id = tryton.call(calendar)

    def build(pool, node):
        to_queue = node('订购', 'queue', queue=queue_id)
        closed = node('下班', 'hangup', prompt=closed_prompt)
        return node('时间', 'branch_time', calendar=calendar_id,
            next_node=to_queue,
            options={'closed': closed.id, 'holiday': closed.id})
    did = cc.did(flow=cc.flow(build))
    cc.presence([a], 'login')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '0,2'})
            await cc.wait_ready(ami, queue, [a])
            caller = local_caller()
            await cc.call(ami, did, caller, hold=10)
            linkedid = await cc.linkedid_of(events, caller)
            action = await events.wait(lambda e: e.get('Event') == 'VarSet'
                and linked(e) == linkedid
                and e.get('Variable') == 'TVCC_ACTION')
            return linkedid, action['Value'], events
    linkedid, action, events = run(scenario())
    assert action == 'hangup'
    assert called(events, linkedid) == []
    record = cc.record(linkedid)
    assert record['disposition'] == 'after_hours'
    assert ('时间', None) in record['steps']


def test_database_unreachable_caller_still_goes_through_the_ivr(
        cc, instance, db_proxy):
    "PostgreSQL gone: the customer lookup fails, the caller is routed all "
    "the same by the configuration the bridge holds (a blacklisted number "
    "is still blocked), and the call's record is written once the "
    "database is back"
    a, = cc.agents(1)
    queue, queue_id = cc.queue([a])
    caller, blocked_caller = local_caller(), local_caller()

    def listed(pool):
        pool.get('callcenter.caller_list').create([{
                    'number': blocked_caller, 'kind': 'blacklist',
                    'reason': 'pytest'}])
    cc.call_db(listed)
    blocked = cc.prompt('t_blocked', '对不起，您的号码暂时无法接通')

    def build(pool, node):
        to_queue = node('订购', 'queue', queue=queue_id)
        hangup = node('黑名单', 'hangup', prompt=blocked)
        return node('甄别', 'branch_caller', next_node=to_queue,
            options={'blacklist': hangup.id})
    did = cc.did(flow=cc.flow(build))
    cc.presence([a], 'login')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '1,2'})
            await cc.wait_ready(ami, queue, [a])
            db_proxy.cut()
            try:
                await cc.call(ami, did, caller, hold=10)
                linkedid = await cc.linkedid_of(events, caller)
                join = await events.wait(lambda e: e.get('Event') ==
                    'QueueCallerJoin' and linked(e) == linkedid)
                connect = await events.wait(lambda e: e.get('Event') ==
                    'AgentConnect' and linked(e) == linkedid)
                await ended(events, linkedid)
                await cc.call(ami, did, blocked_caller, hold=10)
                blocked_id = await cc.linkedid_of(events, blocked_caller)
                await ended(events, blocked_id)
            finally:
                db_proxy.restore()
            return (linkedid, join['Queue'], connect['MemberName'],
                blocked_id, events)
    linkedid, joined, agent, blocked_id, events = run(scenario())
    assert (joined, agent) == (queue, a)
    assert called(events, blocked_id) == []
    record = cc.record(linkedid, timeout=40)
    assert record['route_outcome'] == 'queue'
    assert record['disposition'] == 'answered' and record['agent'] == a
    assert cc.record(blocked_id, timeout=40)['disposition'] == 'blacklisted'


def test_bridge_down_call_still_reaches_default_queue_and_is_recorded(
        cc, instance, bridge):
    "No FastAGI answer: the dialplan's fallback queue; the record comes "
    "from queue_log when the bridge is back"
    a, = cc.agents(1)
    queue, queue_id = cc.queue([a])
    did = cc.did(queue=queue_id)
    previous = cc.set_default_queue(queue_id)
    cc.presence([a], 'login')
    try:
        async def scenario():
            async with ami_session(instance) as ami:
                events = EventLog(ami)
                await cc.simulate_agents(ami, {a: '1,2'})
                await cc.wait_ready(ami, queue, [a])
                await asyncio.sleep(1)   # the dialplan global is reloaded
                bridge.stop()
                try:
                    caller = local_caller()
                    await cc.call(ami, did, caller, hold=10)
                    linkedid = await cc.linkedid_of(events, caller)
                    join = await events.wait(lambda e: e.get('Event') ==
                        'QueueCallerJoin' and linked(e) == linkedid,
                        timeout=30)
                    await ended(events, linkedid)
                finally:
                    bridge.start()
                return linkedid, join['Queue']
        linkedid, joined = run(scenario())
    finally:
        cc.set_default_queue(previous)
    assert joined == queue
    bridge.wait_log('resync:', timeout=60)
    record = cc.record(linkedid, timeout=40)
    assert record['disposition'] == 'answered' and record['agent'] == a


def test_ami_cut_mid_call_loses_no_record(cc, instance, ami_proxy, bridge):
    (a,), queue, did = cc.queue_with_number(1)

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '1,4'})
            await cc.wait_ready(ami, queue, [a])
            linkedid = await cc.place(ami, events, did, hold=20)
            await events.wait(lambda e: e.get('Event') == 'AgentConnect'
                and linked(e) == linkedid)
            ami_proxy.cut()
            try:
                await ended(events, linkedid)
            finally:
                ami_proxy.restore()
            return linkedid
    sessions = bridge.log().count('logged in to')
    linkedid = run(scenario())
    bridge.wait_for(lambda: bridge.log().count('logged in to') > sessions,
        timeout=40, what='reconnected to AMI')
    record = cc.record(linkedid, timeout=40)
    assert record['disposition'] == 'answered'
    assert record['agent'] == a
    assert record['end_time'] is not None
    assert 3 <= record['talk'] <= 6


def test_answered_call_recording_exists_and_is_not_empty(cc, instance):
    (a,), queue, did = cc.queue_with_number(1, recording='all')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '1,3'})
            await cc.wait_ready(ami, queue, [a])
            linkedid = await cc.place(ami, events, did, hold=20)
            await ended(events, linkedid)
            return linkedid
    record = cc.wait_recording(run(scenario()))
    assert record['record'] is True
    assert record['recording_size'] > 8000     # over a second of 8 kHz audio
    assert record['recording_duration'] >= 2


def test_on_demand_recording_started_by_the_agent(cc, instance):
    "In an on-demand queue nothing is recorded until the agent asks"
    (a,), queue, did = cc.queue_with_number(1, recording='on_demand')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '1,6'})
            await cc.wait_ready(ami, queue, [a])
            linkedid = await cc.place(ami, events, did, hold=20)
            await events.wait(lambda e: e.get('Event') == 'AgentConnect'
                and linked(e) == linkedid)
            await asyncio.sleep(1)
            # What the agent's "Start Recording" button does:
            cc.agent_button(a, 'start_recording')
            # The recorder channel (tvcc-recorder) writes the call's file.
            await events.wait(lambda e: e.get('Event') == 'VarSet'
                and e.get('Variable') == 'MIXMONITOR_FILENAME'
                and e.get('Value', '').endswith(f'/{linkedid}.wav'),
                timeout=10)
            await ended(events, linkedid)
            return linkedid
    record = cc.wait_recording(run(scenario()))
    assert record['record'] is True
    assert record['recording_size'] > 8000
    # Started about 1-2 s into a 6 s conversation.
    assert 2 <= record['recording_duration'] <= 5.5


def test_call_from_a_sip_trunk(cc, instance, tryton, tmp_path):
    "A real SIP INVITE from the carrier (sipp) into a DID reaches an agent"
    import subprocess
    a, = cc.agents(1)
    queue, queue_id = cc.queue([a])
    sipp_port = 15070

    def trunk(pool):
        Trunk = pool.get('callcenter.trunk')
        found = Trunk.search([('code', '=', 't_carrier')])
        if not found:
            Trunk.create([{'code': 't_carrier', 'name': '测试运营商',
                        'host': '127.0.0.1', 'port': sipp_port}])
    tryton.call(trunk)
    did = cc.did(queue=queue_id)
    cc.presence([a], 'login')
    caller = local_caller()
    (tmp_path / 'callers.csv').write_text(f'SEQUENTIAL\n{caller};\n')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            # The caller (sipp) hangs up first, after 8 s.
            await cc.simulate_agents(ami, {a: '1,30'})
            await cc.wait_ready(ami, queue, [a])
            await asyncio.sleep(1)     # PJSIP reloaded with the trunk
            sipp = await asyncio.create_subprocess_exec(
                'sipp', '-sf', str(__import__('pathlib').Path(__file__)
                    .parent / 'sipp' / 'uac_caller.xml'),
                '-inf', str(tmp_path / 'callers.csv'),
                '-s', did.replace('+86', ''), '-i', '127.0.0.1',
                '-p', str(sipp_port), '-m', '1', '-l', '1',
                '-timeout', '30', '-timeout_error', '-nostdin',
                f'127.0.0.1:{instance.sip_port}',
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                cwd=tmp_path)
            linkedid = await cc.linkedid_of(events, caller, timeout=20)
            connect = await events.wait(lambda e: e.get('Event') ==
                'AgentConnect' and linked(e) == linkedid, timeout=20)
            _, stderr = await asyncio.wait_for(sipp.communicate(), 40)
            return linkedid, connect, sipp.returncode, stderr
    linkedid, connect, code, stderr = run(scenario())
    assert code == 0, stderr.decode(errors='replace')[-2000:]
    assert connect['MemberName'] == a
    record = cc.record(linkedid)
    assert record['disposition'] == 'answered'
    assert record['caller'] == __import__('tvcc').phone.normalize(caller)
