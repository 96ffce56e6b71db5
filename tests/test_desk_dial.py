"""Click-to-dial and callbacks on the production path.

The agent's desk call goes out as a real one: the bridge rings the agent's
(scripted) phone, then dials the number through tvcc-dialer-out and a PJSIP
trunk whose far end is sipp acting as the carrier (tests/sipp/
uas_callee.xml: the number's last digit says whether the callee answers).
Callers waiting in a queue press its callback key (Local channels into the
DID, as in test_inbound); callbacks are dialled back through the same desk
path.
"""
import asyncio
import datetime as dt
import itertools
import time

import pytest

from tvcc import phone

from callcenter import local_caller
from helpers import EventLog, ami_session
from test_dialer_compliance import invites, sipp_carrier
from test_dialer_compliance import wait_trunk as wait_dialer_trunk

CARRIER_HOST = '127.0.0.7'       # a loopback address no other trunk uses
CARRIER_PORT = 15097
TRUNK = 'a-pytest-desk'          # first by code: the outbound trunk
CALLER_ID = '02160005678'        # the company's caller ID


_serials = itertools.count(int(time.time()) % 1000 * 100)


def callee(answers=True, talk_digit=1):
    """A mobile number for the sipp callee: last digit 1 answers, 7 lets it
    ring; the digit before it how long the callee talks (1: 3 s)"""
    return f'1986{next(_serials) % 10**5:05d}{talk_digit}' \
        f'{1 if answers else 7}'


@pytest.fixture(scope='module')
def carrier(bridge, tryton, tmp_path_factory):
    "The outbound trunk with the company's caller ID, sipp on its far end"
    with sipp_carrier(tryton, tmp_path_factory.mktemp('desk-carrier'),
            CARRIER_HOST, CARRIER_PORT, TRUNK,
            dialer_caller_id=CALLER_ID) as found:
        yield found


async def wait_trunk(cc, ami, carrier):
    "Until Asterisk dials out through the test trunk"
    await wait_dialer_trunk(cc, ami, carrier, code=TRUNK)


def as_agent(cc, extension, function, *args):
    """Run function(pool, *args) as the agent's user, with the access
    rights and record rules a client's request has, in Chinese"""
    def run(pool):
        from trytond.transaction import Transaction
        Agent = pool.get('callcenter.agent')
        agent, = Agent.search([('extension', '=', extension)])
        with Transaction().set_user(agent.user.id), \
                Transaction().set_context(_check_access=True,
                    language='zh_CN'):
            return function(pool, *args)
    return cc.call_db(run)


def dial(pool, number, origin):
    return pool.get('dialer.desk_call').dial(number, origin)


def refusal(cc, extension, number, origin=None):
    "The message the agent reads when the server refuses to dial"
    from trytond.exceptions import UserError
    try:
        as_agent(cc, extension, dial, number, origin)
    except UserError as error:
        return error.message
    raise AssertionError(f'{number} was accepted')


def customer(cc, extension, mobile):
    """A customer with this mobile, served by the agent (a call of theirs
    an hour ago): the agent may read them. Return 'party.party,<id>'"""
    def make(pool):
        Party = pool.get('party.party')
        Agent = pool.get('callcenter.agent')
        Call = pool.get('callcenter.call')
        agent, = Agent.search([('extension', '=', extension)])
        party, = Party.create([{'name': f'外呼客户{extension}',
                    'contact_mechanisms': [('create', [
                                {'type': 'mobile', 'value': mobile}])]}])
        Call.create([{'node': cc.node_id, 'linkedid': f'pytest.{party.id}',
                    'direction': 'inbound', 'state': 'ended',
                    'agent': agent.id, 'party': party.id,
                    'start_time': dt.datetime.utcnow()
                    - dt.timedelta(hours=1)}])
        return f'party.party,{party.id}'
    return cc.call_db(make)


def desk_call(cc, request_id, timeout=40):
    "The desk call once it has ended, with its call record"
    deadline = time.monotonic() + timeout

    def read(pool):
        request = pool.get('dialer.desk_call')(request_id)
        call = request.call
        return {'state': request.state, 'outcome': request.outcome,
            'call': call and {
                'direction': call.direction, 'caller': call.caller,
                'agent': call.agent.extension if call.agent else None,
                'party': call.party.id if call.party else None,
                'origin': str(call.origin) if call.origin else None,
                'disposition': call.disposition, 'record': call.record,
                'linkedid': call.linkedid, 'state': call.state}}
    while True:
        found = cc.call_db(read)
        if found['state'] == 'ended' and (found['call'] is None
                or found['call']['state'] == 'ended'):
            return found
        assert time.monotonic() < deadline, f'desk call not ended: {found}'
        time.sleep(0.3)


def test_click_to_dial_reaches_the_callee_with_the_company_caller_id(cc,
        instance, carrier):
    "An agent dials a customer's mobile from the desk: their phone rings, "
    "then the customer's, who sees the company's number; the call is an "
    "outbound call record of the agent, linked to the customer, recorded "
    "as the agent's queue records every call"
    a, = cc.agents(1, role='role_agent')
    cc.queue([a], recording='all')
    cc.presence([a], 'login')
    number = callee()
    origin = customer(cc, a, number)

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await wait_trunk(cc, ami, carrier)
            await cc.simulate_agents(ami, {a: '0,15'})
            request = as_agent(cc, a, dial, phone.normalize(number), origin)
            found = await asyncio.get_running_loop().run_in_executor(
                None, desk_call, cc, request)
            return request, found, events
    request, found, events = asyncio.run(scenario())
    assert found['outcome'] == 'answered', (found, cc.bridge_log('desk'))
    call = found['call']
    assert call['direction'] == 'outbound'
    assert call['agent'] == a
    assert call['party'] == int(origin.split(',')[1])
    assert call['origin'] == origin
    assert call['caller'] == phone.normalize(number)
    assert call['disposition'] == 'answered'
    assert call['record']
    # The agent's phone rang first, then the callee, through the trunk.
    assert [e for e in events.events if e.get('Event') == 'Newchannel'
        and (e.get('Channel') or '').startswith(f'Local/{a}@tvcc-agents')]
    sent = [sender for user, sender in invites(carrier.log)
        if user == phone.national(number)]
    assert sent and CALLER_ID in sent[0], invites(carrier.log)
    assert cc.wait_recording(call['linkedid'])['recording_size']


def test_numbers_the_centre_may_not_dial_are_refused_in_chinese(cc,
        instance, carrier):
    "Service, premium-rate and blacklisted numbers, a number that is not "
    "the customer's, a customer the agent may not read: refused, saying why"
    a, = cc.agents(1, role='role_agent')
    cc.queue([a])
    cc.presence([a], 'login')
    assert '不允许外呼' in refusal(cc, a, '4008001234')
    assert '不是有效的电话号码' in refusal(cc, a, '12345')
    blocked = callee()

    def blacklist(pool):
        pool.get('callcenter.caller_list').create([{'number': blocked,
                    'kind': 'blacklist', 'reason': 'pytest'}])
    cc.call_db(blacklist)
    assert '黑名单' in refusal(cc, a, blocked)
    origin = customer(cc, a, callee())
    assert '不是' in refusal(cc, a, callee(), origin)
    b, = cc.agents(1, role='role_agent')
    cc.queue([b])
    cc.presence([b], 'login')
    assert '无权' in refusal(cc, b, callee(), origin)


def callback_queue(cc, **values):
    "A queue offering callbacks on key 1, nobody answering it"
    prompt = cc.prompt('t_callback_offer', '按1键，我们稍后给您回电。')
    a, = cc.agents(1, role='role_agent')
    code, queue_id = cc.queue([a], callback_key='1', callback_prompt=prompt,
        callback_announce_every=5, **values)
    number = cc.did(queue=queue_id)
    return a, code, queue_id, number


def callbacks(cc, queue_id, count=1, timeout=30):
    deadline = time.monotonic() + timeout

    def read(pool):
        Callback = pool.get('dialer.callback')
        return [{'id': c.id, 'number': c.number, 'reason': c.reason,
                'did': c.did.number if c.did else None,
                'joined': c.joined, 'state': c.state,
                'attempts': c.attempts, 'next_attempt': c.next_attempt,
                'last_outcome': c.last_outcome,
                'enter_time': c.call.enter_time if c.call else None,
                'disposition': c.call.disposition if c.call else None}
            for c in Callback.search([('queue', '=', queue_id)])]
    while True:
        found = cc.call_db(read)
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f'callbacks: {found}'
        time.sleep(0.3)


def test_caller_pressing_the_key_gets_a_callback_keeping_their_place(cc,
        instance):
    "Waiting in the queue, the caller presses 1: a callback with their "
    "number, the number they called and when they joined the queue"
    a, code, queue_id, number = callback_queue(cc)
    caller = local_caller()

    async def scenario():
        async with ami_session(instance) as ami:
            await cc.wait_applied()
            await cc.call(ami, number, caller, keys='1', delay=3)
            return await asyncio.get_running_loop().run_in_executor(
                None, callbacks, cc, queue_id)
    found, = asyncio.run(scenario())
    assert found['number'] == phone.normalize(caller)
    assert found['reason'] == 'key'
    assert found['did'] == phone.normalize(number)
    assert found['joined'] == found['enter_time']
    assert found['state'] == 'pending'


def test_caller_hanging_up_after_a_long_wait_gets_a_callback(cc, instance):
    a, code, queue_id, number = callback_queue(cc, callback_after=2)
    caller = local_caller()
    hasty = local_caller()

    async def scenario():
        async with ami_session(instance) as ami:
            await cc.wait_applied()
            await cc.call(ami, number, hasty, hold=0)
            await cc.call(ami, number, caller, hold=4)
            return await asyncio.get_running_loop().run_in_executor(
                None, callbacks, cc, queue_id)
    found, = asyncio.run(scenario())
    assert found['number'] == phone.normalize(caller)
    assert found['reason'] == 'abandoned'


def make_callback(cc, queue_id, number):
    def make(pool):
        Callback = pool.get('dialer.callback')
        return Callback.create([{'number': phone.normalize(number),
                    'queue': queue_id, 'reason': 'key',
                    'joined': dt.datetime.utcnow()}])[0].id
    return cc.call_db(make)


def call_back(pool, callback_id):
    Callback = pool.get('dialer.callback')
    Callback.call_back([Callback(callback_id)])


def test_callback_dialled_from_the_list_and_retried_when_unanswered(cc,
        instance, carrier):
    "Call back: an answering caller closes the callback; one who does not "
    "answer is tried again after the queue's interval"
    a, code, queue_id, number = callback_queue(cc, callback_interval=10)
    cc.presence([a], 'login')
    answering, silent = callee(), callee(answers=False)
    first = make_callback(cc, queue_id, answering)
    second = make_callback(cc, queue_id, silent)

    def worked(callback_id, timeout=40):
        deadline = time.monotonic() + timeout
        while True:
            found = {c['id']: c for c in callbacks(cc, queue_id, 2)}
            if found[callback_id]['state'] != 'dialing':
                return found[callback_id]
            assert time.monotonic() < deadline, found
            time.sleep(0.3)

    async def scenario():
        async with ami_session(instance) as ami:
            await wait_trunk(cc, ami, carrier)
            await cc.simulate_agents(ami, {a: '0,15'})
            loop = asyncio.get_running_loop()
            as_agent(cc, a, call_back, first)
            done = await loop.run_in_executor(None, worked, first)
            as_agent(cc, a, call_back, second)
            retried = await loop.run_in_executor(None, worked, second)
            return done, retried
    done, retried = asyncio.run(scenario())
    assert (done['state'], done['last_outcome']) == ('done', 'answered')
    assert retried['state'] == 'pending'
    assert retried['last_outcome'] == 'no_answer'
    assert retried['attempts'] == 1
    assert retried['next_attempt'] > dt.datetime.utcnow() + dt.timedelta(
        minutes=9)
    assert '时间' in refusal_of_call_back(cc, a, second)


def refusal_of_call_back(cc, extension, callback_id):
    from trytond.exceptions import UserError
    try:
        as_agent(cc, extension, call_back, callback_id)
    except UserError as error:
        return error.message
    raise AssertionError('called back before it was due')


OPEN_RECORD = """([model, id]) => Sao.Tab.create({model: model, res_id: id,
    mode: ['form', 'tree']})"""


def test_click_on_a_customer_phone_in_sao_dials_it(cc, instance, carrier,
        sao):
    "In the web client the agent clicks the customer's mobile on the "
    "customer form: the callee is rung with the company's caller ID"
    from browser import allow_asyncio, wait_until
    from callcenter import AGENT_PASSWORD
    a, = cc.agents(1, role='role_agent')
    cc.queue([a])
    cc.presence([a], 'login')
    number = callee()
    origin = customer(cc, a, number)
    model, party_id = origin.split(',')

    async def prepare():
        async with ami_session(instance) as ami:
            await wait_trunk(cc, ami, carrier)
            await cc.simulate_agents(ami, {a: '0,15'})
    with allow_asyncio():
        asyncio.run(prepare())
    client = sao(f'pt_{a}', AGENT_PASSWORD)
    client.page.evaluate(OPEN_RECORD, [model, int(party_id)])
    link = client.page.locator(
        f'a[href="callto:{phone.normalize(number)}"]').first
    # The phones are at the bottom of the form: sao draws the rows of a
    # list when it scrolls into view, as the agent scrolls down to them.
    client.page.locator('tr.more-row button').first.scroll_into_view_if_needed()
    link.wait_for(state='visible')
    link.click()
    status = client.page.locator('#tvcc-dial-status')
    wait_until(lambda: '正在呼叫' in (status.text_content() or ''),
        what='the calling notice')

    def request(pool):
        found = pool.get('dialer.desk_call').search([
                ('agent.extension', '=', a)], limit=1)
        return found[0].id if found else None
    request_id = wait_until(lambda: cc.call_db(request),
        what='the desk call')
    found = desk_call(cc, request_id)
    assert found['outcome'] == 'answered', found
    assert found['call']['origin'] == origin
    sent = [sender for user, sender in invites(carrier.log)
        if user == phone.national(number)]
    assert sent and CALLER_ID in sent[0]
    client.assert_clean('click-to-dial')
