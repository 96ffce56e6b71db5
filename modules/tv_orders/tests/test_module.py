# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import contextlib
import datetime as dt

from trytond.model.exceptions import ValidationError
from trytond.modules.tv_callcenter.exceptions import ClientWriteError
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


del ModuleTestCase
