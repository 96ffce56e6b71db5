"""Outbound campaigns through the real Asterisk: the bridge's dialer engine
originates calls to scripted callees (tvcc-test-callee: the last digit of
the number says whether it answers, is busy or never answers), connects
answered calls to simulated agents, and records each outcome."""
import asyncio
import datetime as dt
import time

from callcenter import unique
from helpers import ami_session, EventLog

_serial = iter(range(10**6))


def mobile(last_digit):
    "A mobile number nobody else uses, ending with last_digit"
    return f'1391{int(time.time()) % 10**5:05d}{next(_serial) % 10}' \
        f'{last_digit}'


def agent_queue(cc):
    "A logged-in agent and its queue: (extension, queue code, queue id)"
    a, = cc.agents(1)
    queue, queue_id = cc.queue([a])
    cc.presence([a], 'login')
    return a, queue, queue_id


def campaign(cc, queue_id, numbers, type_='progressive', window=None,
        dnc=(), blacklist=(), **values):
    "A running campaign calling numbers (or {number: name}): its id"
    def make(pool):
        Campaign = pool.get('dialer.campaign')
        Number = pool.get('dialer.number')
        DNC = pool.get('dialer.dnc')
        CallerList = pool.get('callcenter.caller_list')
        start, end = window or (dt.time(0, 0), dt.time(23, 59, 59))
        record, = Campaign.create([{'name': unique('t_c'), 'type': type_,
                    'queue': queue_id, 'window_start': start,
                    'window_end': end, 'max_concurrent': 5,
                    'max_attempts': 3, 'caller_id': '021 6000 1234',
                    **values, **{day: True for day in [
                            'monday', 'tuesday', 'wednesday', 'thursday',
                            'friday', 'saturday', 'sunday']}}])
        names = numbers if isinstance(numbers, dict) else {}
        Number.create([{'campaign': record.id, 'phone': n,
                    'name': names.get(n)} for n in numbers])
        if dnc:
            DNC.create([{'number': n, 'reason': 'pytest'} for n in dnc])
        if blacklist:
            CallerList.create([{'number': n, 'kind': 'blacklist',
                        'reason': 'pytest'} for n in blacklist])
        Campaign.start([record])
        return record.id
    return cc.call_db(make)


def broadcast(cc, callees, template, queue_id=None, **values):
    "A running voice broadcast to callees ({number: name}): its id"
    return campaign(cc, queue_id, callees, type_='broadcast',
        message_template=template, max_concurrent=2, max_attempts=1,
        **values)


def attempts(cc, campaign_id, count, timeout=40):
    "{national number: [(outcome, agent extension)]} once count are in"
    deadline = time.monotonic() + timeout

    def read(pool):
        Attempt = pool.get('dialer.attempt')
        found = {}
        for attempt in Attempt.search([('campaign', '=', campaign_id)],
                order=[('id', 'ASC')]):
            found.setdefault(attempt.number.phone, []).append((
                    attempt.outcome,
                    attempt.agent.extension if attempt.agent else None))
        return found
    while True:
        found = cc.call_db(read)
        if sum(len(v) for v in found.values()) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f'{count} attempts expected, got {found}')
        time.sleep(0.5)


def number_states(cc, campaign_id):
    def read(pool):
        Number = pool.get('dialer.number')
        return {n.phone: (n.state, n.attempts, n.next_attempt)
            for n in Number.search([('campaign', '=', campaign_id)])}
    return cc.call_db(read)


def stop(cc, campaign_id):
    def make(pool):
        Campaign = pool.get('dialer.campaign')
        Campaign.stop([Campaign(campaign_id)])
    cc.call_db(make)


def key_presser():
    "A number whose scripted callee answers and presses 1"
    return f'1390{int(time.time()) % 10**5:05d}{next(_serial) % 100:02d}'


def e164(number):
    return f'+86{number}'


def dialled(events, number):
    "Did Asterisk create a channel calling number?"
    return [e for e in events.events if e.get('Event') == 'Newchannel'
        and f'/{number}@tvcc-test-callee' in (e.get('Channel') or '')]


def test_outcomes_are_recorded_and_blocked_numbers_never_dialled(cc,
        instance, bridge):
    "The callee who answers talks to the agent; busy and unanswered "
    "numbers are recycled per the retry rules; do-not-call and blacklisted "
    "numbers are never dialled"
    a, queue, queue_id = agent_queue(cc)
    answers, busy, silent = mobile(1), mobile(5), mobile(8)
    on_dnc, blacklisted = mobile(2), mobile(3)

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '0,3'})
            await cc.wait_ready(ami, queue, [a])
            campaign_id = campaign(cc, queue_id,
                [answers, busy, silent, on_dnc, blacklisted],
                dnc=[on_dnc], blacklist=[e164(blacklisted)])
            found = await asyncio.get_running_loop().run_in_executor(
                None, attempts, cc, campaign_id, 3)
            # The engine comes to the blocked numbers once the others are
            # done: it marks them instead of dialling them.
            deadline = asyncio.get_running_loop().time() + 20
            while any(number_states(cc, campaign_id)[e164(n)][0] == 'pending'
                    for n in [on_dnc, blacklisted]):
                assert asyncio.get_running_loop().time() < deadline, \
                    'the blocked numbers were never offered'
                await asyncio.sleep(0.5)
            stop(cc, campaign_id)
            return campaign_id, found, events
    campaign_id, found, events = asyncio.run(scenario())
    assert found[e164(answers)] == [('answered', a)]
    assert found[e164(busy)] == [('busy', None)]
    assert found[e164(silent)] == [('no_answer', None)]
    assert not dialled(events, on_dnc) and not dialled(events, blacklisted)
    states = number_states(cc, campaign_id)
    assert states[e164(on_dnc)][:2] == ('dnc', 0)
    assert states[e164(blacklisted)][:2] == ('blacklisted', 0)
    assert states[e164(answers)][:2] == ('done', 1)
    # The campaign's monitor counts today's calls.
    monitor = cc.call_db(lambda pool: (lambda c: (c.dialled_today,
                c.answered_today, c.abandoned_today, c.numbers_left))(
            pool.get('dialer.campaign')(campaign_id)))
    assert monitor == (3, 1, 0, 2)
    # The agent's call record is an outbound call to the customer.
    def call_of(pool):
        Attempt = pool.get('dialer.attempt')
        Call = pool.get('callcenter.call')
        attempt, = Attempt.search([('campaign', '=', campaign_id),
                ('outcome', '=', 'answered')])
        call, = Call.search([('linkedid', '=', attempt.linkedid)])
        return call.direction, call.caller, call.agent.extension
    assert cc.call_db(call_of) == ('outbound', e164(answers), a)
    # Recycled: busy and unanswered numbers wait for their retry.
    for number in [busy, silent]:
        state, tries, next_attempt = states[e164(number)]
        assert (state, tries) == ('pending', 1)
        assert next_attempt > dt.datetime.utcnow()


def test_predictive_campaign_paces_and_shows_its_dial_level(cc, instance,
        bridge):
    "Our predictive controller drives a campaign: every number gets an "
    "outcome, the agents take the answered calls, the monitor shows the "
    "dial level and the agents"
    agents = cc.agents(2)
    queue, queue_id = cc.queue(agents)
    cc.presence(agents, 'login')
    numbers = [mobile(1), mobile(2), mobile(5), mobile(8)]

    async def scenario():
        async with ami_session(instance) as ami:
            await cc.simulate_agents(ami, {a: '0,2' for a in agents})
            await cc.wait_ready(ami, queue, agents)
            campaign_id = campaign(cc, queue_id, numbers,
                type_='predictive', max_attempts=1)
            found = await asyncio.get_running_loop().run_in_executor(
                None, attempts, cc, campaign_id, 4, 60)
            monitor = cc.call_db(lambda pool: (lambda c: (c.dial_level,
                        c.agents_busy + c.agents_idle, c.numbers_left))(
                    pool.get('dialer.campaign')(campaign_id)))
            stop(cc, campaign_id)
            return found, monitor
    found, monitor = asyncio.run(scenario())
    outcomes = {n: found[e164(n)][0][0] for n in numbers}
    assert outcomes[numbers[2]] == 'busy'
    assert outcomes[numbers[3]] == 'no_answer'
    answered = [found[e164(n)][0] for n in numbers[:2]]
    # An answered call reaches an agent, or is abandoned with the message.
    assert all(o == 'answered' and agent in agents
        or o == 'abandoned' and agent is None for o, agent in answered)
    assert any(o == 'answered' for o, _ in answered)
    dial_level, logged_in, left = monitor
    assert dial_level is not None and dial_level > 0
    assert logged_in == 2 and left == 0


def test_answered_call_without_a_free_agent_is_abandoned_with_message(cc,
        instance, bridge):
    "The agent is offered the call but does not take it within 2 s: the "
    "callee hears the compliance message, the call counts as abandoned"
    a, queue, queue_id = agent_queue(cc)
    callee = mobile(4)

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: 'never'})
            await cc.wait_ready(ami, queue, [a])
            campaign_id = campaign(cc, queue_id, [callee])
            found = await asyncio.get_running_loop().run_in_executor(
                None, attempts, cc, campaign_id, 1)
            stop(cc, campaign_id)
            return found, events
    found, events = asyncio.run(scenario())
    assert found[e164(callee)] == [('abandoned', None)]
    assert [e for e in events.events if e.get('Event') == 'UserEvent'
        and e.get('UserEvent') == 'TvccDialerAbandon']
    assert [e for e in events.events if e.get('Event') == 'Newexten'
        and e.get('Application') == 'Playback'
        and e.get('Context') == 'tvcc-dialer']


def test_answering_machines_are_hung_up_on_and_people_put_through(cc,
        instance, bridge):
    "With machine detection, a long greeting is an answering machine: "
    "hung up on and recycled, no agent rings; a person who says hello "
    "reaches the agent"
    a, queue, queue_id = agent_queue(cc)
    machine, person = mobile(4), mobile(3)

    async def scenario():
        async with ami_session(instance) as ami:
            await cc.simulate_agents(ami, {a: '0,3'})
            await cc.wait_ready(ami, queue, [a])
            campaign_id = campaign(cc, queue_id, [machine, person],
                detect_machines=True)
            found = await asyncio.get_running_loop().run_in_executor(
                None, attempts, cc, campaign_id, 2, 60)
            stop(cc, campaign_id)
            return campaign_id, found
    campaign_id, found = asyncio.run(scenario())
    assert found[e164(machine)] == [('machine', None)]
    assert found[e164(person)] == [('answered', a)]
    state, tries, next_attempt = number_states(cc, campaign_id)[
        e164(machine)]
    assert (state, tries) == ('pending', 1)
    assert next_attempt > dt.datetime.utcnow()


def test_machine_detection_wait_counts_in_the_two_seconds(cc, instance,
        bridge):
    "With machine detection, the time the callee waited while Asterisk "
    "listened is spent from the 2 seconds: with no agent free, the person "
    "hears the compliance message no later than 2 s after answering, not "
    "2 s after detection ended (the call as the engine originates it)"
    a, queue, queue_id = agent_queue(cc)
    cc.presence([a], 'pause', reason='break')
    person = mobile(3)
    key = f'pytest-amd-{next(_serial)}'

    async def scenario():
        async with ami_session(instance) as ami:
            await cc.wait_ready(ami, queue, [a], paused=[a])
            loop = asyncio.get_running_loop()
            arrived = {}

            def stamp(manager, event):
                if event.get('Context') == 'tvcc-dialer' and event.get(
                        'Application') == 'AMD':
                    arrived.setdefault('answered', loop.time())
                elif event.get('UserEvent') in {'TvccDialerHuman',
                        'TvccDialerAbandon'} and event.get('Attempt') == key:
                    arrived.setdefault(event['UserEvent'], loop.time())
            ami.register_event('*', stamp)
            response = await ami.action({'Action': 'Originate',
                    'Channel': f'Local/{person}@tvcc-test-callee',
                    'Context': 'tvcc-dialer', 'Exten': 's', 'Priority': 1,
                    'Timeout': 10000, 'Async': 'true', 'CallerID': person,
                    'Variable': [f'TVCC_DIALER_ATTEMPT={key}',
                        f'TVCC_QUEUE={queue}', 'TVCC_CONNECT_WAIT=2',
                        'TVCC_AMD=1', 'TVCC_ABANDON_PROMPT=beep']})
            assert response.success, response
            deadline = loop.time() + 20
            while 'TvccDialerAbandon' not in arrived:
                assert loop.time() < deadline, arrived
                await asyncio.sleep(0.1)
            return arrived
    arrived = asyncio.run(scenario())
    listened = arrived['TvccDialerHuman'] - arrived['answered']
    waited = arrived['TvccDialerAbandon'] - arrived['answered']
    assert listened > 0.8, arrived         # AMD heard the word and silence
    assert waited <= 2.0 + 0.3, arrived    # 0.3 s for AMI's delivery


def preview(cc, extension, buttons):
    """The agent opens Preview Call and presses buttons (call, skip,
    release) in turn: return the numbers shown, as the agent saw them"""
    def run(pool):
        from trytond.transaction import Transaction
        Agent = pool.get('callcenter.agent')
        Wizard = pool.get('dialer.preview', type='wizard')
        agent, = Agent.search([('extension', '=', extension)])
        shown = []
        with Transaction().set_user(agent.user.id), \
                Transaction().set_context(_check_access=True):
            session, _, _ = Wizard.create()
            result = Wizard.execute(session, {}, 'start')
            for button in buttons:
                values = result['view']['defaults']
                shown.append(values['phone'])
                result = Wizard.execute(session, {'show': {k: v
                            for k, v in values.items() if '.' not in k}},
                    button)
            Wizard.delete(session)
        return shown
    return cc.call_db(run)


def test_preview_agent_sees_the_callee_then_the_call_rings_through(cc,
        instance, bridge):
    "In a preview campaign the agent sees the next callee, skips one, "
    "calls the other: the callee is rung and put through to that agent"
    a, queue, queue_id = agent_queue(cc)
    first, second = mobile(1), mobile(2)

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '0,3'})
            await cc.wait_ready(ami, queue, [a])
            campaign_id = campaign(cc, queue_id, [first, second],
                type_='preview')
            await asyncio.sleep(2)
            # The engine dials nobody until an agent asks.
            assert not dialled(events, first) and not dialled(events, second)
            loop = asyncio.get_running_loop()
            shown = await loop.run_in_executor(None, preview, cc, a,
                ['skip', 'call'])
            found = await loop.run_in_executor(
                None, attempts, cc, campaign_id, 1)
            stop(cc, campaign_id)
            return shown, found, events
    shown, found, events = asyncio.run(scenario())
    assert shown == [e164(first), e164(second)]
    assert found == {e164(second): [('answered', a)]}
    assert not dialled(events, first)
    assert [e for e in events.events if e.get('Event') == 'Newchannel'
        and (e.get('Channel') or '').startswith(f'Local/{a}@tvcc-agents')]


def test_nothing_is_dialled_outside_the_calling_window(cc, instance,
        bridge):
    "A campaign whose window (in the callee's local time) is closed now "
    "dials nobody"
    a, queue, queue_id = agent_queue(cc)
    callee = mobile(1)
    shanghai = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    closed = ((shanghai + dt.timedelta(hours=2)).time().replace(
            microsecond=0),
        (shanghai + dt.timedelta(hours=3)).time().replace(microsecond=0))
    if closed[1] < closed[0]:
        closed = (dt.time(0, 0), (shanghai - dt.timedelta(hours=1)).time())

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '0,3'})
            await cc.wait_ready(ami, queue, [a])
            campaign_id = campaign(cc, queue_id, [callee], window=closed)
            await asyncio.sleep(5)
            stop(cc, campaign_id)
            return campaign_id, events
    campaign_id, events = asyncio.run(scenario())
    assert not dialled(events, callee)
    assert number_states(cc, campaign_id)[e164(callee)][:2] == \
        ('pending', 0)


def test_voice_broadcast_speaks_each_callees_message(cc, instance, bridge):
    "A broadcast plays the message rendered for the callee (TTS) and "
    "counts the call answered; no agent is involved"
    callee = mobile(2)

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            campaign_id = broadcast(cc, {callee: '王女士'},
                '{name}您好，您的订单已发货。')
            found = await asyncio.get_running_loop().run_in_executor(
                None, attempts, cc, campaign_id, 1)
            stop(cc, campaign_id)
            return campaign_id, found, events
    campaign_id, found, events = asyncio.run(scenario())
    assert found[e164(callee)] == [('answered', None)]
    played = [e for e in events.events if e.get('Event') == 'Newexten'
        and e.get('Context') == 'tvcc-dialer'
        and e.get('Application') == 'Playback']
    assert played and '/tvcc/dialer/' in played[0]['AppData']
    sound = played[0]['AppData'].rsplit('/tvcc/dialer/', 1)[1]
    assert (instance.host_path / 'sounds' / 'tvcc' / 'dialer'
        / f'{sound}.wav').stat().st_size > 1000


def test_broadcast_callee_who_presses_1_reaches_an_agent(cc, instance,
        bridge):
    "With \"press 1\", a callee who presses 1 during the message is put "
    "through to the campaign's agent; one who does not only hears it"
    a, queue, queue_id = agent_queue(cc)
    presser, listener = key_presser(), mobile(2)

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '0,3'})
            await cc.wait_ready(ami, queue, [a])
            campaign_id = broadcast(cc,
                {presser: '王女士', listener: '李先生'},
                '{name}您好，您的订单已发货，需要人工服务请按一。',
                queue_id, transfer_to_agent=True)
            found = await asyncio.get_running_loop().run_in_executor(
                None, attempts, cc, campaign_id, 2)
            stop(cc, campaign_id)
            return found, events
    found, events = asyncio.run(scenario())
    assert found[e164(presser)] == [('answered', a)]
    assert found[e164(listener)] == [('answered', None)]
    keys = [e.get('Value') for e in events.events
        if e.get('Event') == 'VarSet' and e.get('Variable') == 'TVCC_KEY']
    assert '1' in keys
    connected = [e for e in events.events if e.get('Event') ==
        'AgentConnect' and e.get('Queue') == queue]
    assert [e.get('MemberName') for e in connected] == [a]
