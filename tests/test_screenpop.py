"""Screen pop: the ringing agent's web client, and only that one, is told
which customer (or new-customer form) to open, through trytond's bus."""
import asyncio
import json
import threading
import time
import urllib.error
import urllib.request

from callcenter import (
    AGENT_PASSWORD, ended, linked, local_caller)
from helpers import RPC, EventLog, ami_session

from tvcc import phone


class BusListener(threading.Thread):
    "Long-polls the bus as a user, like sao does, until a message or timeout"

    def __init__(self, web, database, login, timeout):
        super().__init__(daemon=True)
        self.rpc = RPC(web, database)
        self.user_id = self.rpc.login(login, AGENT_PASSWORD)
        self.url = f'{web}{database}/bus'
        self.timeout = timeout
        self.message = None
        self.channel = None
        self.received_at = None

    def run(self):
        request = urllib.request.Request(self.url, data=json.dumps({
                    'last_message': None, 'channels': []}).encode(),
            headers={'Content-Type': 'application/json',
                'Authorization': self.rpc.auth})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as r:
                payload = json.loads(r.read())
        except (urllib.error.URLError, TimeoutError, OSError):
            return
        self.received_at = time.time()
        self.channel = payload.get('channel')
        self.message = payload.get('message')


def known_customer(tryton):
    "A demo customer's mobile number and party id"
    def find(pool):
        Mechanism = pool.get('party.contact_mechanism')
        mechanism, = Mechanism.search([('type', '=', 'mobile')], limit=1,
            order=[('id', 'ASC')])
        return mechanism.value_compact, mechanism.party.id
    return tryton.call(find)


def ring(cc, instance, agents, did, caller, listeners):
    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            await cc.simulate_agents(ami, {a: '2,2' for a in agents})
            await cc.wait_ready(ami, cc.queue_code, agents)
            for listener in listeners:
                listener.start()
            await asyncio.sleep(0.5)
            await cc.call(ami, did, caller, hold=10)
            linkedid = await cc.linkedid_of(events, caller)
            rung = await events.wait(lambda e: e.get('Event') ==
                'AgentCalled' and linked(e) == linkedid)
            await ended(events, linkedid)
            return linkedid, rung
    return asyncio.run(scenario())


def test_screen_pop_reaches_exactly_the_rung_agent(cc, instance, web,
        tryton):
    a, b = cc.agents(2)
    cc.queue_code, queue_id = cc.queue([a, b], strategy='linear')
    did = cc.did(queue=queue_id)
    cc.presence([a, b], 'login')
    number, party = known_customer(tryton)
    caller = phone.national(number)
    rung_listener = BusListener(web, instance.database, f'pt_{a}', 20)
    other_listener = BusListener(web, instance.database, f'pt_{b}', 8)
    linkedid, rung = ring(cc, instance, [a, b], did, caller,
        [rung_listener, other_listener])
    rung_listener.join(20)
    other_listener.join(10)
    assert rung['MemberName'] == a
    message = rung_listener.message
    assert message is not None, 'the rung agent got no screen pop'
    record = cc.record(linkedid)
    assert message['type'] == 'tvcc.screen_pop'
    assert message['call'] == record['id']
    assert (message['model'], message['res_id']) == ('party.party', party)
    assert rung_listener.channel == f'user:{rung_listener.user_id}'
    assert other_listener.message is None
    latency = rung_listener.received_at - float(rung['Timestamp'])
    assert latency < 1.0, f'screen pop took {latency:.3f} s'


def test_screen_pop_of_unknown_caller_prefills_a_new_customer(cc, instance,
        web, tryton):
    a, b = cc.agents(2)
    cc.queue_code, queue_id = cc.queue([a, b], strategy='linear')
    did = cc.did(queue=queue_id)
    cc.presence([a, b], 'login')
    caller = local_caller()
    listener = BusListener(web, instance.database, f'pt_{a}', 20)
    linkedid, _ = ring(cc, instance, [a, b], did, caller, [listener])
    listener.join(20)
    message = listener.message
    assert message is not None
    record = cc.record(linkedid)
    assert message['res_id'] is None and message['mode'] == ['form']
    assert message['context']['tvcc_call'] == record['id']
    # The new-customer form reads the caller from the call (its default).
    assert 'default_contact_mechanisms' not in message['context']

    def create_from_pop(pool):
        from trytond.transaction import Transaction
        Party = pool.get('party.party')
        with Transaction().set_context(**message['context']):
            values = Party.default_get(['contact_mechanisms'])
            party, = Party.create([{'name': '新客户', 'contact_mechanisms':
                        [('create', values['contact_mechanisms'])]}])
        return party.id, [m.value_compact for m in party.contact_mechanisms]
    party, numbers = tryton.call(create_from_pop)
    assert numbers == [phone.normalize(caller)]
    assert cc.record(linkedid)['party'] == party


def test_a_new_session_is_never_handed_an_old_pop(cc, instance, web,
        tryton):
    "A browser that logs in (or reloads) after a call rang gets no pop of it"
    a, b = cc.agents(2)
    cc.queue_code, queue_id = cc.queue([a, b], strategy='linear')
    did = cc.did(queue=queue_id)
    cc.presence([a, b], 'login')
    number, _ = known_customer(tryton)
    rung = BusListener(web, instance.database, f'pt_{a}', 20)
    ring(cc, instance, [a, b], did, phone.national(number), [rung])
    rung.join(20)
    assert rung.message is not None, 'the rung agent got no screen pop'
    # trytond keeps the message in its bus cache for minutes: a session
    # that starts now must not be given it.
    late = BusListener(web, instance.database, f'pt_{a}', 4)
    late.start()
    late.join(10)
    assert late.message is None, late.message
