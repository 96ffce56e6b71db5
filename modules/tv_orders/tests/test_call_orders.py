# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Calls and their orders: an order names the call it was taken on by
itself, only calls that ended without an order become leads, and the agent
a lead is given to turns it into an order."""
import datetime as dt
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.tv_callcenter.tests.tools import as_client
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from ..exceptions import LeadError



class CallOrdersTestCase(unittest.TestCase):
    "Orders and the calls they were taken on"

    @classmethod
    def setUpClass(cls):
        activate_module('tv_orders')

    def _setup(self):
        "A hotline's medium, two agents, three callers"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        Agent = pool.get('callcenter.agent')
        Node = pool.get('callcenter.node')
        Party = pool.get('party.party')
        Channel = pool.get('tv.channel')
        Media = pool.get('tv.media')
        role = ModelData.get_id('tv_callcenter', 'role_agent')
        self.company = create_company()
        # Agents as the demo makes them: the agent role (user_role).
        users = User.create([{'login': login, 'name': login,
                    'companies': [('add', [self.company.id])],
                    'company': self.company.id,
                    'roles': [('create', [{'role': role}])]}
                for login in ['agent01', 'agent02']])
        self.user, self.colleague = users
        self.agent, self.other_agent = Agent.create([
                {'user': u.id, 'extension': str(8101 + i),
                    'device': 'simulated', 'state': 'ready'}
                for i, u in enumerate(users)])
        self.node, = Node.create([{'name': "PBX", 'code': 'orders',
                    'ami_secret_ref': 'env:TVCC_AMI_SECRET',
                    'instance_path': '/srv/tvcc/orders',
                    'host_path': '/srv/tvcc/orders'}])
        channel, = Channel.create([{'name': "购物频道", 'code': 'GW'}])
        self.medium, = Media.create([{'channel': channel.id,
                    'programme': "健康早班车", 'hotline': '4008001234'}])
        self.parties = Party.create([{'name': name,
                    'contact_mechanisms': [('create', [
                                {'type': 'mobile', 'value': number}])]}
                for name, number in [("王芳", '13800138001'),
                    ("李强", '13800138002'), ("张伟", '13800138003')]])

    def _call(self, party, agent, minutes_ago, linkedid, **values):
        "An answered inbound call of party, ended minutes_ago"
        Call = Pool().get('callcenter.call')
        end = dt.datetime.utcnow() - dt.timedelta(minutes=minutes_ago)
        call, = Call.create([{'node': self.node.id, 'linkedid': linkedid,
                    'direction': 'inbound', 'state': 'ended',
                    'disposition': 'answered',
                    'caller': party.contact_mechanisms[0].value_compact,
                    'party': party.id, 'agent': agent.id if agent else None,
                    'media': self.medium.id,
                    'start_time': end - dt.timedelta(minutes=3),
                    'end_time': end, **values}])
        return call

    @with_transaction()
    def test_order_entered_after_the_call_is_the_calls_and_no_lead(self):
        """The agent hangs up and finishes the order: it names the call
        (and its medium) by itself; that caller is no lead, the caller who
        did not order is"""
        pool = Pool()
        Sale = pool.get('sale.sale')
        Lead = pool.get('tv.lead')
        self._setup()
        ordered, browsing, _ = self.parties
        with set_company(self.company):
            call = self._call(ordered, self.agent, 20, 'A1')
            self._call(browsing, self.agent, 20, 'A2')
            # After-call work is over: the agent is ready again.
            with as_client(self.user):
                sale, = Sale.create([{'party': ordered.id, 'call': None}])
                self.assertEqual((sale.call, sale.media, sale.entered_by),
                    (call, self.medium, self.user))
            Lead.generate()
        self.assertEqual([l.phone for l in Lead.search([])],
            ['+8613800138002'])

    @with_transaction()
    def test_order_of_the_pop_takes_its_callers_call(self):
        """新建订单 on a caller's form names that caller's call, not the
        next call already ringing at the agent"""
        pool = Pool()
        Party = pool.get('party.party')
        Sale = pool.get('sale.sale')
        Agent = pool.get('callcenter.agent')
        self._setup()
        first, second, _ = self.parties
        with set_company(self.company):
            taken = self._call(first, self.agent, 1, 'B1')
            ringing = self._call(second, None, 0, 'B2',
                state='active', disposition=None, end_time=None)
            Agent.write([self.agent], {'state': 'ringing',
                    'current_call': ringing.id})
            with as_client(self.user):
                action = Party.new_order([Party(first.id)])
                sale, = Sale.browse(action['res_id'])
                self.assertEqual(sale.call, taken)
                # The ringing caller's order is the ringing call's.
                action = Party.new_order([Party(second.id)])
                sale, = Sale.browse(action['res_id'])
                self.assertEqual(sale.call, ringing)

    @with_transaction()
    def test_caller_who_got_an_order_otherwise_is_no_lead(self):
        """A caller whose order was entered by someone else after the call
        (not on that call) did not end without an order: no lead"""
        pool = Pool()
        Sale = pool.get('sale.sale')
        Lead = pool.get('tv.lead')
        self._setup()
        ordered, browsing, cancelled = self.parties
        with set_company(self.company):
            for index, party in enumerate(self.parties):
                self._call(party, self.agent, 30, f'C{index}')
            # Entered by the back office (no agent call of theirs).
            Sale.create([{'party': ordered.id}])
            sale, = Sale.create([{'party': cancelled.id}])
            Sale.cancel([sale])
            Lead.generate()
        self.assertEqual(sorted(l.phone for l in Lead.search([])),
            ['+8613800138002', '+8613800138003'])

    @with_transaction()
    def test_order_on_a_call_that_became_a_lead_converts_it(self):
        "The order entered after the lead was made converts that lead"
        pool = Pool()
        Sale = pool.get('sale.sale')
        Lead = pool.get('tv.lead')
        self._setup()
        caller = self.parties[0]
        with set_company(self.company):
            call = self._call(caller, self.agent, 30, 'D1')
            Lead.generate()
            lead, = Lead.search([])
            with as_client(self.user):
                sale, = Sale.create([{'party': caller.id}])
        self.assertEqual((sale.call, sale.lead), (call, lead))
        self.assertEqual((lead.state, lead.sale), ('converted', sale))

    @with_transaction()
    def test_lead_becomes_an_order_of_its_agent(self):
        """The agent a lead is given to presses 转为订单: a draft order of
        its customer with the lead's medium and call opens; the lead is
        converted. Nobody else may, nor without a customer"""
        pool = Pool()
        Lead = pool.get('tv.lead')
        Sale = pool.get('sale.sale')
        self._setup()
        caller, _, unknown = self.parties
        with set_company(self.company):
            call = self._call(caller, self.other_agent, 60 * 24, 'E1')
            lead, stranger = Lead.create([
                    {'phone': '+8613800138001', 'party': caller.id,
                        'media': self.medium.id, 'first_call': call.id,
                        'last_call': call.id, 'state': 'assigned',
                        'assigned_to': self.user.id},
                    {'phone': '+8613900139000', 'state': 'assigned',
                        'assigned_to': self.user.id}])
            with as_client(self.colleague), self.assertRaises(Exception):
                # Not theirs: the record rule hides it.
                Lead.make_order([Lead(lead.id)])
            with as_client(self.user):
                with self.assertRaisesRegex(LeadError, 'no customer'):
                    Lead.make_order([Lead(stranger.id)])
                action = Lead.make_order([Lead(lead.id)])
                sale, = Sale.browse(action['res_id'])
                self.assertEqual(
                    (sale.state, sale.party, sale.media, sale.call,
                        sale.lead, sale.entered_by),
                    ('draft', caller, self.medium, call, lead, self.user))
        lead = Lead(lead.id)
        self.assertEqual((lead.state, lead.sale), ('converted', sale))
