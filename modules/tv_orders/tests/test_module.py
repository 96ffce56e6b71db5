# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import contextlib
import datetime as dt

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.tv_callcenter.exceptions import (
    ClientWriteError, CustomerAccessError)
from trytond.modules.tv_callcenter.tests.tools import as_client
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

AGENT_GROUPS = ['tv_callcenter.group_agent', 'tv_orders.group_order_entry']


class TVOrdersTestCase(ModuleTestCase):
    "Test TV Orders module"
    module = 'tv_orders'

    def _channel(self):
        Channel = Pool().get('tv.channel')
        channel, = Channel.create([{'name': "购物频道", 'code': 'GW'}])
        return channel

    @with_transaction()
    def test_media_hotline_normalised(self):
        "A hotline typed with dashes is stored in E.164"
        Media = Pool().get('tv.media')
        medium, = Media.create([{
                    'channel': self._channel(),
                    'programme': "健康早班车",
                    'start_time': dt.time(8), 'end_time': dt.time(9),
                    'hotline': '400-800-1234',
                    }])
        self.assertEqual(medium.hotline, '+864008001234')
        self.assertEqual(medium.rec_name, "购物频道 / 健康早班车")
        self.assertEqual(Media.search([('rec_name', 'ilike', '%早班%')]),
            [medium])

    @with_transaction()
    def test_media_hotline_invalid(self):
        "An invalid hotline is refused with the number in the message"
        Media = Pool().get('tv.media')
        with self.assertRaisesRegex(ValidationError, '400-12'):
            Media.create([{
                        'channel': self._channel(),
                        'programme': "夜间特卖",
                        'hotline': '400-12',
                        }])

    @with_transaction()
    def test_media_empty_slot(self):
        "A slot that starts and ends at the same time is refused"
        Media = Pool().get('tv.media')
        with self.assertRaisesRegex(ValidationError, 'same time'):
            Media.create([{
                        'channel': self._channel(),
                        'programme': "夜间特卖",
                        'start_time': dt.time(22), 'end_time': dt.time(22),
                        }])


    @contextlib.contextmanager
    def _client(self, login, *groups):
        "A JSON-RPC call of a new user of groups (module.xml_id)"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        user, = User.create([{'login': login, 'name': login, 'groups': [
                        ('add', [ModelData.get_id(*g.split('.'))
                                for g in groups])]}])
        with as_client(user):
            yield user

    @with_transaction()
    def test_client_cannot_move_leads_and_consultations(self):
        "A lead's state, assignment and counters move by the server only"
        pool = Pool()
        Lead = pool.get('tv.lead')
        Consultation = pool.get('tv.consultation')
        lead, = Lead.create([{'phone': '+8613900139000'}])
        with self._client('admin01', 'tv_callcenter.group_admin',
                'tv_orders.group_order_admin') as user:
            for values in [{'state': 'converted'}, {'assigned_to': user.id},
                    {'call_count': 99}, {'phone': '+8613800138000'}]:
                with self.subTest(values=values), \
                        self.assertRaises(ClientWriteError):
                    Lead.write([Lead(lead.id)], values)
            with self.assertRaises(ClientWriteError):
                Lead.create([{'phone': '+8613700137000', 'state': 'new'}])
            # What the form leaves editable stays editable.
            Lead.write([Lead(lead.id)], {'notes': "晚上再打"})
            with self.assertRaises(ClientWriteError):
                Consultation.create([{'date': dt.datetime.now(),
                            'question': "多少钱?", 'agent': 1}])
            consultation, = Consultation.create([{
                        'date': dt.datetime.now(), 'question': "多少钱?"}])
            self.assertEqual(consultation.agent, user)
        lead = Lead(lead.id)
        self.assertEqual((lead.state, lead.assigned_to, lead.call_count,
                lead.notes), ('new', None, 1, "晚上再打"))

    @with_transaction()
    def test_agents_see_their_own_consultations(self):
        "What a caller asked one agent is not listed to another agent"
        Consultation = Pool().get('tv.consultation')
        with self._client('agent01', *AGENT_GROUPS):
            mine, = Consultation.create([{'date': dt.datetime.now(),
                        'question': "送货要几天?"}])
            self.assertEqual(Consultation.search([]), [mine])
        with self._client('agent02', *AGENT_GROUPS):
            self.assertEqual(Consultation.search([]), [])
        with self._client('manager01', 'tv_callcenter.group_manager',
                'tv_orders.group_order_manager'):
            self.assertEqual(Consultation.search([]), [mine])


    @with_transaction()
    def test_agents_read_the_customers_they_serve(self):
        """An agent reads the customers they serve (callers, their orders,
        leads, the customers they entered), not the centre's list; team
        leaders and reviewers read every customer"""
        pool = Pool()
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        Mechanism = pool.get('party.contact_mechanism')
        Node = pool.get('callcenter.node')
        Agent = pool.get('callcenter.agent')
        Call = pool.get('callcenter.call')
        Lead = pool.get('tv.lead')
        caller, stranger, prospect = Party.create([
                {'name': "来电客户", 'contact_mechanisms': [('create', [
                                {'type': 'mobile',
                                    'value': '+8613800138001'}])]},
                {'name': "别人的客户", 'addresses': [('create', [{}])],
                    'contact_mechanisms': [('create', [
                                {'type': 'mobile',
                                    'value': '+8613800138002'}])]},
                {'name': "名单客户"},
                ])
        node, = Node.create([{'name': "PBX", 'code': 'pbxrule',
                    'ami_secret_ref': 'env:TVCC_AMI_SECRET',
                    'instance_path': '/srv/tvcc/pbx',
                    'host_path': '/srv/tvcc/pbx'}])
        with self._client('agent01', *AGENT_GROUPS) as user:
            pass
        agent, = Agent.create([{'user': user, 'extension': '8101',
                    'device': 'simulated'}])
        # A call agent01 took two days ago: past the screen pop's 12 hours.
        two_days_ago = dt.datetime.now() - dt.timedelta(days=2)
        Call.create([{'node': node, 'linkedid': 'R1', 'direction': 'inbound',
                    'state': 'ended', 'agent': agent, 'party': caller,
                    'start_time': two_days_ago, 'end_time': two_days_ago}])
        Lead.create([{'phone': '+8613900139001', 'party': prospect,
                    'assigned_to': user}])
        with as_client(user):
            mine, = Party.create([{'name': "新客户"}])
            found = Party.search([('name', 'in', [
                            "来电客户", "别人的客户", "名单客户", "新客户"])])
            self.assertEqual(sorted(p.name for p in found),
                sorted(["来电客户", "名单客户", "新客户"]))
            self.assertEqual(Party.search([('rec_name', 'ilike', '%138002%')]),
                [])
            for model, ids in [(Party, [stranger.id]),
                    (Address, [a.id for a in stranger.addresses]),
                    (Mechanism, [m.id for m in stranger.contact_mechanisms])]:
                with self.subTest(model=model.__name__), \
                        self.assertRaises(AccessError):
                    model.read(ids, ['rec_name'])
            with self.assertRaises(AccessError):
                Party.write([Party(stranger.id)], {'name': "改名"})
            Party.write([Party(caller.id)], {'name': "来电客户(更正)"})
            # Nor can a record of theirs name the other customer by its id.
            Consultation = pool.get('tv.consultation')
            with self.assertRaises(CustomerAccessError) as cm:
                Consultation.create([{'date': dt.datetime.now(),
                            'question': "多少钱?", 'party': stranger.id}])
            self.assertIn(f'#{stranger.id}', cm.exception.message)
            self.assertNotIn("别人的客户", cm.exception.message)
            Consultation.create([{'date': dt.datetime.now(),
                        'question': "多少钱?", 'party': caller.id}])
        for login, groups in [
                ('leader01', ['tv_callcenter.group_team_leader']),
                ('review01', ['tv_orders.group_first_review']),
                ('both01', AGENT_GROUPS + ['tv_orders.group_second_review']),
                ]:
            with self.subTest(login=login), self._client(login, *groups):
                self.assertEqual(Party.read([stranger.id], ['name']),
                    [{'id': stranger.id, 'name': "别人的客户"}])

del ModuleTestCase
