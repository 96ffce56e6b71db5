# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt
import io
import itertools
import wave

from trytond.exceptions import UserError
from trytond.model.exceptions import SQLConstraintError, ValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

from ..calendar import calendar_state
from ..exceptions import ClientWriteError
from ..ivr import nodes_without_exit
from ..node import is_loopback
from ..queue import member_penalty
from .tools import as_client


class CallCenterTestCase(ModuleTestCase):
    "Test Call Center module"
    module = 'tv_callcenter'

    def test_is_loopback(self):
        "Only loopback addresses count as loopback"
        for host in ['127.0.0.1', '127.0.0.53', '::1', 'localhost']:
            self.assertTrue(is_loopback(host), host)
        for host in ['0.0.0.0', '192.168.1.10', '::', 'pbx.example.com', '']:
            self.assertFalse(is_loopback(host), host)

    _codes = itertools.count(1)

    def _node(self, **values):
        Node = Pool().get('callcenter.node')
        values.setdefault('name', "PBX")
        values.setdefault('code', f'pbx{next(self._codes)}')
        values.setdefault('ami_secret_ref', 'env:TVCC_AMI_SECRET')
        values.setdefault('instance_path', '/srv/tvcc/pbx')
        values.setdefault('host_path', '/srv/tvcc/pbx')
        return Node.create([values])[0]

    @with_transaction()
    def test_node_defaults_on_loopback(self):
        "A new node listens on loopback with the standard ports"
        node = self._node()
        self.assertEqual(
            (node.ami_host, node.ami_port, node.agi_host, node.agi_port),
            ('127.0.0.1', 5038, '127.0.0.1', 4573))

    @with_transaction()
    def test_node_refuses_public_bind(self):
        "AMI or FastAGI on a public address is refused"
        with self.assertRaisesRegex(ValidationError, 'loopback'):
            self._node(agi_host='0.0.0.0')
        with self.assertRaisesRegex(ValidationError, 'loopback'):
            self._node(ami_host='10.0.0.5')

    @with_transaction()
    def test_node_refuses_literal_secret(self):
        "A secret typed into the reference field is refused"
        for ref in ['s3cret', 'file:relative/path', 'env:']:
            with self.subTest(ref=ref):
                with self.assertRaisesRegex(ValidationError, 'env:VARIABLE'):
                    self._node(ami_secret_ref=ref)

    @with_transaction()
    def test_node_refuses_bad_ports(self):
        "Ports out of range or shared by AMI and FastAGI are refused"
        with self.assertRaisesRegex(ValidationError, '65535'):
            self._node(ami_port=70000)
        with self.assertRaisesRegex(ValidationError, 'different ports'):
            self._node(ami_port=5038, agi_port=5038)

    @with_transaction()
    def test_node_code_unique(self):
        "Two nodes cannot share a code"
        self._node(code='pbx')
        with self.assertRaisesRegex(SQLConstraintError, 'unique'):
            self._node(code='pbx', name="Other")

    @with_transaction()
    def test_customer_phone_normalised(self):
        "A customer's phone typed any usual way is stored in E.164"
        pool = Pool()
        Party = pool.get('party.party')
        party, = Party.create([{
                    'name': "王芳",
                    'contact_mechanisms': [('create', [
                                {'type': 'mobile', 'value': '138 0013 8000'},
                                {'type': 'phone', 'value': '020-8888 7777'},
                                ])],
                    }])
        self.assertEqual(
            {m.value_compact for m in party.contact_mechanisms},
            {'+862088887777', '+8613800138000'})

    @with_transaction()
    def test_customer_phone_invalid(self):
        "An impossible phone number is refused"
        Party = Pool().get('party.party')
        with self.assertRaises(ValidationError):
            Party.create([{
                        'name': "张三",
                        'contact_mechanisms': [('create', [
                                    {'type': 'mobile', 'value': '1380013'}])],
                        }])

    # -- pure rules --

    def test_calendar_state(self):
        "Open hours, closed hours, holidays and a working weekend"
        hours = [(d, dt.time(8), dt.time(22)) for d in range(5)]
        holidays = {
            dt.date(2027, 2, 8): (True, None, None),       # Monday holiday
            dt.date(2027, 2, 13): (False, None, None),     # Saturday 调休
            dt.date(2027, 2, 14): (False, dt.time(9), dt.time(12)),
            }
        cases = [
            (dt.datetime(2027, 2, 1, 9), 'open'),
            (dt.datetime(2027, 2, 1, 7, 59), 'closed'),
            (dt.datetime(2027, 2, 1, 22), 'closed'),
            (dt.datetime(2027, 2, 6, 10), 'closed'),        # Saturday
            (dt.datetime(2027, 2, 8, 10), 'holiday'),
            (dt.datetime(2027, 2, 13, 10), 'open'),
            (dt.datetime(2027, 2, 14, 11), 'open'),
            (dt.datetime(2027, 2, 14, 13), 'closed'),
            ]
        for moment, state in cases:
            with self.subTest(moment=moment):
                self.assertEqual(calendar_state(hours, holidays, moment),
                    state)

    def test_nodes_without_exit(self):
        "A loop with an exit is fine; a loop or dead end without one is not"
        edges = {'menu': {'menu', 'queue'}, 'queue': set()}
        self.assertEqual(nodes_without_exit('menu', edges, {'queue'}), set())
        edges = {'a': {'b'}, 'b': {'a'}, 'q': set()}
        self.assertEqual(nodes_without_exit('a', edges, {'q'}), {'a', 'b'})
        edges = {'a': {'dead'}, 'dead': set()}
        self.assertEqual(nodes_without_exit('a', edges, set()),
            {'a', 'dead'})

    def test_member_penalty(self):
        "Skill level 10 rings first; other strategies keep the penalty"
        self.assertEqual(member_penalty('skills', 10, 5), 0)
        self.assertEqual(member_penalty('skills', 1, 0), 9)
        self.assertEqual(member_penalty('skills', None, 0), 10)
        self.assertEqual(member_penalty('linear', 8, 3), 3)

    # -- configuration --

    def _agents(self, count):
        pool = Pool()
        User = pool.get('res.user')
        Agent = pool.get('callcenter.agent')
        users = User.create([{'login': f'agent{next(self._codes)}',
                    'name': f"坐席{i}"} for i in range(count)])
        return Agent.create([{'user': u, 'extension': f'{8000 + u.id}',
                    'device': 'simulated'} for u in users])

    def _queue(self, agents, **values):
        Queue = Pool().get('callcenter.queue')
        values.setdefault('code', f'q{next(self._codes)}')
        values.setdefault('name', values['code'])
        values['members'] = [('create', [{'agent': a} for a in agents])]
        return Queue.create([values])[0]

    def _flow(self, queue):
        pool = Pool()
        Flow = pool.get('callcenter.ivr.flow')
        Node = pool.get('callcenter.ivr.node')
        Prompt = pool.get('callcenter.prompt')
        flow, = Flow.create([{'code': f'f{next(self._codes)}',
                    'name': "主流程"}])
        prompt = Prompt(id=None)
        prompt, = Prompt.create([{'code': f'p{next(self._codes)}',
                    'name': "菜单", 'source': 'upload',
                    'upload': _silence(), 'upload_name': 'menu.wav'}])
        to_queue, = Node.create([{'flow': flow, 'name': "队列",
                    'type': 'queue', 'queue': queue}])
        menu, = Node.create([{'flow': flow, 'name': "主菜单", 'type': 'menu',
                    'prompt': prompt, 'next_node': to_queue}])
        return flow, menu, to_queue

    @with_transaction()
    def test_queue_without_members_refused(self):
        "A queue nobody answers cannot be saved"
        with self.assertRaisesRegex(ValidationError, 'no members'):
            self._queue([])

    @with_transaction()
    def test_overflow_back_to_itself_refused(self):
        "Overflow A -> B -> A would send a caller round for ever"
        Queue = Pool().get('callcenter.queue')
        agent, = self._agents(1)
        first = self._queue([agent])
        second = self._queue([agent], max_wait=60, overflow_action='queue',
            overflow_queue=first.id)
        with self.assertRaisesRegex(ValidationError, 'back to itself'):
            Queue.write([first], {'max_wait': 60, 'overflow_action': 'queue',
                    'overflow_queue': second.id})

    @with_transaction()
    def test_max_wait_needs_an_overflow(self):
        agent, = self._agents(1)
        with self.assertRaisesRegex(ValidationError, 'Overflow'):
            self._queue([agent], max_wait=30)

    @with_transaction()
    def test_ivr_loop_without_exit_refused(self):
        "Two menus that only lead to each other trap the caller"
        pool = Pool()
        Flow = pool.get('callcenter.ivr.flow')
        Node = pool.get('callcenter.ivr.node')
        Option = pool.get('callcenter.ivr.option')
        agent, = self._agents(1)
        flow, menu, to_queue = self._flow(self._queue([agent]))
        other, = Node.create([{'flow': flow, 'name': "子菜单",
                    'type': 'menu', 'prompt': menu.prompt,
                    'next_node': menu}])
        Option.create([{'node': menu, 'match': '1', 'target': other}])
        Flow.write([flow], {'entry': menu})
        # "press 9 to hear it again" is a loop with an exit: accepted
        Option.create([{'node': menu, 'match': '9', 'target': menu}])
        with self.assertRaisesRegex(ValidationError, '主菜单|子菜单'):
            Node.write([menu], {'next_node': other})

    @with_transaction()
    def test_ivr_duplicate_key_refused(self):
        pool = Pool()
        Option = pool.get('callcenter.ivr.option')
        agent, = self._agents(1)
        flow, menu, to_queue = self._flow(self._queue([agent]))
        Option.create([{'node': menu, 'match': '1', 'target': to_queue}])
        with self.assertRaisesRegex(SQLConstraintError, 'already used'):
            Option.create([{'node': menu, 'match': '1',
                        'target': to_queue}])

    @with_transaction()
    def test_ivr_invalid_key_refused(self):
        Option = Pool().get('callcenter.ivr.option')
        agent, = self._agents(1)
        flow, menu, to_queue = self._flow(self._queue([agent]))
        with self.assertRaisesRegex(ValidationError, '"A" is not valid'):
            Option.create([{'node': menu, 'match': 'A',
                        'target': to_queue}])

    @with_transaction()
    def test_did_normalised_and_needs_a_route(self):
        DID = Pool().get('callcenter.did')
        agent, = self._agents(1)
        queue = self._queue([agent])
        did, = DID.create([{'number': '400-820-1001', 'queue': queue}])
        self.assertEqual(did.number, '+864008201001')
        with self.assertRaises(ValidationError):
            DID.create([{'number': '400-820-1002'}])

    @with_transaction()
    def test_config_serial_follows_changes_not_presence(self):
        "Editing a queue is a configuration change; logging in is not"
        pool = Pool()
        Configuration = pool.get('callcenter.configuration')
        Agent = pool.get('callcenter.agent')
        Queue = pool.get('callcenter.queue')
        agent, = self._agents(1)
        queue = self._queue([agent])
        before = Configuration.get_serial()
        Queue.write([queue], {'ring_timeout': 20})
        changed = Configuration.get_serial()
        self.assertGreater(changed, before)
        Agent.login([agent])
        self.assertEqual(Configuration.get_serial(), changed)

    @with_transaction()
    def test_agent_presence(self):
        "Log-in needs a queue; a pause needs a reason; both are logged"
        pool = Pool()
        Agent = pool.get('callcenter.agent')
        PauseReason = pool.get('callcenter.pause_reason')
        StateLog = pool.get('callcenter.agent.state_log')
        lonely, member = self._agents(2)
        self._queue([member])
        with self.assertRaisesRegex(UserError, 'no queue'):
            Agent.login([lonely])
        Agent.login([member])
        self.assertEqual((member.presence, member.state), ('ready', 'ready'))
        with self.assertRaisesRegex(UserError, 'pause reason'):
            Agent.pause([member])
        reason, = PauseReason.create([{'code': 'meal', 'name': "就餐"}])
        Agent.write([member], {'pause_reason': reason})
        Agent.pause([member])
        self.assertEqual(member.presence, 'paused')
        log = StateLog.search([('agent', '=', member.id)],
            order=[('start', 'ASC'), ('id', 'ASC')])
        self.assertEqual([entry.state for entry in log], ['ready', 'paused'])
        self.assertEqual(log[0].end, log[1].start)
        self.assertEqual(log[1].reason, reason)

    # -- call records --

    def _node_record(self):
        return self._node(code=f'n{next(self._codes)}')

    @with_transaction()
    def test_call_facts_applied_once(self):
        "Replaying every fact (as after a reconnect) changes nothing"
        Call = Pool().get('callcenter.call')
        node = self._node_record()
        a, b = self._agents(2)
        queue = self._queue([a, b])
        t0 = dt.datetime(2026, 11, 26, 9, 0, 0)
        second = dt.timedelta(seconds=1)
        facts = [
            {'kind': 'routed', 'linkedid': 'L1', 'uniqueid': 'L1',
                'time': t0, 'caller': '+8613800138000',
                'caller_class': 'new', 'queue': queue.id, 'priority': 5,
                'outcome': 'queue', 'long_distance': True,
                'steps': [{'name': "主菜单", 'key': '1', 'time': t0,
                        'node': None}]},
            {'kind': 'queue_join', 'linkedid': 'L1', 'time': t0 + 2 * second,
                'queue': queue.id},
            {'kind': 'agent_ringing', 'linkedid': 'L1',
                'time': t0 + 2 * second, 'agent': a.id},
            {'kind': 'ring_no_answer', 'linkedid': 'L1',
                'time': t0 + 5 * second, 'agent': a.id, 'ring': 3},
            {'kind': 'agent_connect', 'linkedid': 'L1',
                'time': t0 + 7 * second, 'agent': b.id, 'wait': 5,
                'ring': 2},
            {'kind': 'hold', 'linkedid': 'L1', 'time': t0 + 10 * second},
            {'kind': 'unhold', 'linkedid': 'L1', 'time': t0 + 14 * second},
            {'kind': 'agent_complete', 'linkedid': 'L1',
                'time': t0 + 40 * second, 'agent': b.id, 'talk': 33},
            {'kind': 'hangup', 'linkedid': 'L1', 'time': t0 + 40 * second},
            ]
        for _ in range(2):
            call, = Call.apply_facts(node, facts)
        self.assertEqual(Call.search_count([('linkedid', '=', 'L1')]), 1)
        self.assertEqual(call.state, 'ended')
        self.assertEqual(call.disposition, 'answered')
        self.assertEqual(call.agent, b)
        self.assertEqual(call.rona_count, 1)
        self.assertEqual([r.agent for r in call.ronas], [a])
        self.assertEqual(call.wait_duration, 5 * second)
        self.assertEqual(call.ring_duration, 2 * second)
        self.assertEqual(call.talk_duration, 33 * second)
        self.assertEqual((call.hold_count, call.hold_duration),
            (1, 4 * second))
        self.assertTrue(call.long_distance)
        self.assertEqual([(s.name, s.key) for s in call.ivr_steps],
            [("主菜单", '1')])

    @with_transaction()
    def test_abandoned_call_keeps_its_wait(self):
        Call = Pool().get('callcenter.call')
        node = self._node_record()
        agent, = self._agents(1)
        queue = self._queue([agent])
        t0 = dt.datetime(2026, 11, 26, 9, 0, 0)
        call, = Call.apply_facts(node, [
                {'kind': 'queue_join', 'linkedid': 'L2', 'time': t0,
                    'queue': queue.id, 'caller': '+862161234567'},
                {'kind': 'abandon', 'linkedid': 'L2',
                    'time': t0 + dt.timedelta(seconds=12), 'wait': 12},
                {'kind': 'hangup', 'linkedid': 'L2',
                    'time': t0 + dt.timedelta(seconds=12)},
                ])
        self.assertEqual(call.disposition, 'abandoned')
        self.assertEqual(call.wait_duration, dt.timedelta(seconds=12))

    @with_transaction()
    def test_one_agent_call_and_voicemail_overflow_records(self):
        "The agent node's facts make an answered call; an overflow to "
        "voicemail stays a voicemail call when queue_log replays it"
        Call = Pool().get('callcenter.call')
        node = self._node_record()
        agent, = self._agents(1)
        queue = self._queue([agent])
        t0 = dt.datetime(2026, 11, 26, 9, 0, 0)
        second = dt.timedelta(seconds=1)
        direct, = Call.apply_facts(node, [
                {'kind': 'routed', 'linkedid': 'A1', 'time': t0,
                    'outcome': 'agent', 'caller': '+862161234567'},
                {'kind': 'agent_ringing', 'linkedid': 'A1',
                    'time': t0 + second, 'agent': agent.id},
                {'kind': 'agent_connect', 'linkedid': 'A1',
                    'time': t0 + 4 * second, 'agent': agent.id, 'wait': 3,
                    'ring': 3},
                {'kind': 'agent_complete', 'linkedid': 'A1',
                    'time': t0 + 24 * second, 'agent': agent.id,
                    'talk': 20},
                {'kind': 'hangup', 'linkedid': 'A1',
                    'time': t0 + 24 * second},
                ])
        self.assertEqual((direct.disposition, direct.agent),
            ('answered', agent))
        self.assertEqual((direct.wait_duration, direct.ring_duration,
                direct.talk_duration), (3 * second, 3 * second,
                20 * second))
        facts = [
            {'kind': 'queue_join', 'linkedid': 'V1', 'time': t0,
                'queue': queue.id},
            {'kind': 'queue_timeout', 'linkedid': 'V1',
                'time': t0 + 30 * second, 'outcome': 'voicemail'},
            {'kind': 'hangup', 'linkedid': 'V1', 'time': t0 + 50 * second},
            ]
        replay = {'kind': 'queue_timeout', 'linkedid': 'V1',
            'time': t0 + 30 * second}
        Call.apply_facts(node, facts)
        voicemail, = Call.apply_facts(node, [replay])
        self.assertEqual(voicemail.disposition, 'voicemail')

    @with_transaction()
    def test_calls_missing_from_asterisk_are_closed(self):
        Call = Pool().get('callcenter.call')
        node = self._node_record()
        t0 = dt.datetime(2026, 11, 26, 9, 0, 0)
        live, gone = Call.apply_facts(node, [
                {'kind': 'queue_join', 'linkedid': 'live', 'time': t0},
                {'kind': 'queue_join', 'linkedid': 'gone', 'time': t0},
                ])
        Call.close_missing(node, {'live'}, t0 + dt.timedelta(minutes=1))
        self.assertEqual((live.state, gone.state), ('active', 'ended'))
        self.assertEqual(gone.disposition, 'abandoned')

    @with_transaction()
    def test_prompt_text_rendered_to_8khz(self):
        "A TTS prompt is spoken by espeak-ng and converted to 8 kHz mono"
        Prompt = Pool().get('callcenter.prompt')
        prompt, = Prompt.create([{'code': 'hello', 'name': "问候",
                    'text': "您好，欢迎致电"}])
        with wave.open(io.BytesIO(prompt.audio)) as audio:
            self.assertEqual((audio.getframerate(), audio.getnchannels()),
                (8000, 1))
        self.assertGreater(prompt.duration, 0.5)


    # -- the client guard --

    def _staff(self, agent, group):
        "Give agent's user the group (as its role would)"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        User.write([agent.user], {'groups': [
                    ('add', [ModelData.get_id('tv_callcenter', group)])]})
        return agent.user

    @with_transaction()
    def test_client_cannot_rewrite_call_records(self):
        "What the bridge recorded stays as recorded, whatever a client sends"
        Call = Pool().get('callcenter.call')
        node = self._node_record()
        agent, other = self._agents(2)
        user = self._staff(agent, 'group_agent')
        call, = Call.create([{'node': node, 'linkedid': 'G1',
                    'direction': 'inbound', 'state': 'ended',
                    'agent': agent, 'disposition': 'answered',
                    'channel': 'PJSIP/8001-00000001',
                    'talk_duration': dt.timedelta(seconds=30)}])
        for values in [
                {'disposition': 'abandoned'},
                {'agent': other.id},
                {'talk_duration': dt.timedelta(hours=5)},
                {'channel': 'PJSIP/evil'},
                {'recording_path': '../../../etc/shadow'},
                {'state': 'active'},
                ]:
            with self.subTest(values=values), as_client(user):
                with self.assertRaises(ClientWriteError) as cm:
                    Call.write([Call(call.id)], values)
                self.assertIn('read-only here', cm.exception.message)
        with as_client(user), self.assertRaises(ClientWriteError):
            Call.create([{'node': node.id, 'linkedid': 'G2',
                        'direction': 'inbound', 'state': 'ended'}])
        call = Call(call.id)
        self.assertEqual(
            (call.disposition, call.agent, call.channel, call.recording_path,
                call.talk_duration, call.state),
            ('answered', agent, 'PJSIP/8001-00000001', None,
                dt.timedelta(seconds=30), 'ended'))
        self.assertEqual(Call.search([('linkedid', '=', 'G2')]), [])

    @with_transaction()
    def test_client_cannot_set_agent_presence(self):
        "Presence and state move by the desk's buttons, even for an admin"
        Agent = Pool().get('callcenter.agent')
        agent, = self._agents(1)
        user = self._staff(agent, 'group_admin')
        for values in [{'presence': 'ready'}, {'state': 'in_call'},
                {'state_since': dt.datetime(2026, 1, 1)}]:
            with self.subTest(values=values), as_client(user):
                with self.assertRaises(ClientWriteError):
                    Agent.write([Agent(agent.id)], values)
        with as_client(user):
            # What the form leaves editable stays editable.
            Agent.write([Agent(agent.id)], {'device': 'simulated'})
        self.assertEqual(Agent(agent.id).presence, 'logged_out')

    @with_transaction()
    def test_internal_code_is_not_guarded(self):
        "Buttons, the bridge and the scheduler run without the client flag"
        Call = Pool().get('callcenter.call')
        node = self._node_record()
        call, = Call.create([{'node': node, 'linkedid': 'G3',
                    'direction': 'inbound', 'state': 'active'}])
        Call.write([call], {'state': 'ended', 'disposition': 'answered'})
        self.assertEqual(call.state, 'ended')

    @with_transaction()
    def test_values_asterisk_would_misread_are_refused(self):
        "A separator in a value rendered into Asterisk is refused"
        pool = Pool()
        Trunk = pool.get('callcenter.trunk')
        Node = pool.get('callcenter.node')
        base = {'name': "Carrier", 'port': 5060}
        # A refused create leaves its row in the transaction: one code each.
        for index, values in enumerate([{'host': '192.0.2.1;transport=tcp'},
                {'host': '192.0.2.1', 'username': 'user;x'},
                {'host': '192.0.2.1', 'password': 'Secret1 [evil]'},
                {'host': '192.0.2.1', 'codecs': 'alaw;x'}]):
            with self.subTest(values=values):
                with self.assertRaisesRegex(
                        ValidationError, 'cannot be given to Asterisk'):
                    Trunk.create([{**base, 'code': f'bad{index}', **values}])
        Trunk.create([{**base, 'code': 'carrier',
                    'host': 'sip.carrier.example',
                    'username': 'user', 'password': 'Secret1'}])
        with self.assertRaisesRegex(ValidationError, 'cannot be given'):
            self._node(instance_path='/srv/tvcc/../../etc')

    @with_transaction()
    def test_agent_sip_password_policy(self):
        "Weak SIP passwords are refused; an empty one is generated strong"
        pool = Pool()
        User = pool.get('res.user')
        Agent = pool.get('callcenter.agent')
        from ..agent import strong_sip_password
        for password in ['short1A', 'alllowercase12345', 'NoDigitsAtAllHere',
                '8001Abcdefghijklmn', 'Abcdefgh1234567;x']:
            self.assertFalse(strong_sip_password(password, '8001'), password)
        self.assertTrue(strong_sip_password('Abcdefgh12345678', '8001'))
        weak, strong = User.create([{'login': 'sipweak', 'name': "坐席"},
                {'login': 'sipstrong', 'name': "坐席"}])
        with self.assertRaisesRegex(ValidationError, 'too weak'):
            Agent.create([{'user': weak, 'extension': '8009',
                        'device': 'sip', 'sip_password': 'password1'}])
        agent, = Agent.create([{'user': strong, 'extension': '8001',
                    'device': 'sip'}])
        self.assertTrue(strong_sip_password(agent.sip_password, '8001'))

    @with_transaction()
    def test_new_agent_has_the_browser_phone(self):
        "A new agent's phone is the browser phone, with a strong password"
        pool = Pool()
        User = pool.get('res.user')
        Agent = pool.get('callcenter.agent')
        from ..agent import strong_sip_password
        from ..softphone import ice_servers
        user, = User.create([{'login': 'webphone', 'name': "坐席"}])
        agent, = Agent.create([{'user': user, 'extension': '8011'}])
        self.assertEqual(agent.device, 'browser')
        self.assertEqual(agent.state_interface, 'PJSIP/8011')
        self.assertTrue(strong_sip_password(agent.sip_password, '8011'))
        with self.assertRaisesRegex(ValidationError, 'too weak'):
            Agent.write([agent], {'sip_password': 'password1'})
        self.assertEqual(ice_servers(
                'stun:stun.example.com:3478\n'
                'turn:turn.example.com:3478 agent s3cret\nnot a server'), [
                {'urls': 'stun:stun.example.com:3478'},
                {'urls': 'turn:turn.example.com:3478', 'username': 'agent',
                    'credential': 's3cret'}])

    @with_transaction()
    def test_voicemail_boxes_get_their_own_pin(self):
        "A mailbox named by a queue or a node gets a box with its own PIN"
        pool = Pool()
        Voicemail = pool.get('callcenter.voicemail')
        Node = pool.get('callcenter.ivr.node')
        from ..voicemail import strong_pin
        for pin in ['0000', '123456', '654321', '111111', '121212',
                '12a45678', '7001234', '1234567890123']:
            self.assertFalse(strong_pin(pin, '7001'), pin)
        self.assertTrue(strong_pin('40917352', '7001'))
        agent, = self._agents(1)
        self._queue([agent], max_wait=30, overflow_action='voicemail',
            overflow_mailbox='7001')
        flow, menu, to_queue = self._flow(self._queue([agent]))
        Node.create([{'flow': flow, 'name': "留言", 'type': 'voicemail',
                    'mailbox': '7002'}])
        first, second = Voicemail.search([], order=[('mailbox', 'ASC')])
        self.assertEqual((first.mailbox, second.mailbox), ('7001', '7002'))
        self.assertTrue(strong_pin(first.password, '7001'))
        self.assertTrue(strong_pin(second.password, '7002'))
        self.assertNotEqual(first.password, second.password)
        with self.assertRaisesRegex(ValidationError, 'too weak'):
            Voicemail.write([first], {'password': '0000'})
        with self.assertRaisesRegex(ValidationError, 'too weak'):
            Voicemail.create([{'mailbox': '7003', 'password': '123456'}])

    @with_transaction()
    def test_centre_area_code_is_checked(self):
        Configuration = Pool().get('callcenter.configuration')
        config = Configuration(1)
        self.assertEqual(config.area_code, '021')
        config.area_code = '0755'
        config.save()
        config.area_code = '755x'
        with self.assertRaisesRegex(ValidationError, 'not an area code'):
            config.save()


def _silence(seconds=1):
    "An uploaded WAV of silence (44.1 kHz stereo, converted on save)"
    data = io.BytesIO()
    with wave.open(data, 'wb') as audio:
        audio.setnchannels(2)
        audio.setsampwidth(2)
        audio.setframerate(44100)
        audio.writeframes(b'\0' * 4 * 44100 * seconds)
    return data.getvalue()


del ModuleTestCase
