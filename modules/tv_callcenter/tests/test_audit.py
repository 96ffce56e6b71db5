# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The audit log (操作日志): configuration changes with their values before
and after, exports of personal data, recordings played; entries nobody
changes through the client."""
import unittest

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from ..exceptions import AuditExportError, AuditLogReadOnlyError
from .tools import as_client


class AuditTestCase(unittest.TestCase):
    "Audit log"

    @classmethod
    def setUpClass(cls):
        activate_module('tv_callcenter')

    def _user(self, login, *groups):
        "A user of the groups (XML ids, of tv_callcenter unless dotted)"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        user, = User.create([{'login': login, 'name': login,
                    'groups': [('add', [
                                ModelData.get_id(*(g if '.' in g
                                        else 'tv_callcenter.' + g).split('.'))
                                for g in groups])]}])
        return user

    def _entries(self, model, **clauses):
        AuditLog = Pool().get('tv.audit.log')
        return AuditLog.search([('model.name', '=', model),
                *((k, '=', v) for k, v in clauses.items())],
            order=[('id', 'ASC')])

    @with_transaction()
    def test_configuration_change_before_after(self):
        "An administrator's change of the settings keeps both values"
        Configuration = Pool().get('callcenter.configuration')
        admin = self._user('cfgadmin', 'group_admin')
        Configuration(1).save()
        with as_client(admin):
            Configuration.write([Configuration(1)], {
                    'centre_city': '北京市',
                    'screen_pop_url': 'https://crm.example/pop?c={caller}',
                    })
        entry, = self._entries('callcenter.configuration', event='write')
        self.assertEqual((entry.user, entry.origin, entry.record_id),
            (admin, 'server', 1))
        self.assertEqual(entry.before.splitlines(), [
                "Centre City: 上海市", "External Screen Pop URL: "])
        self.assertEqual(entry.after.splitlines(), [
                "Centre City: 北京市",
                "External Screen Pop URL: https://crm.example/pop?c={caller}",
                ])

    @with_transaction()
    def test_creation_deletion_and_secrets(self):
        "What a client creates or deletes is logged; a password never is"
        pool = Pool()
        Skill = pool.get('callcenter.skill')
        User = pool.get('res.user')
        admin = self._user('skilladmin', 'group_admin', 'res.group_admin')
        with as_client(admin):
            skill, = Skill.create([{'name': "家电", 'code': 'appliance'}])
            Skill.delete([skill])
        created, = self._entries('callcenter.skill', event='create')
        deleted, = self._entries('callcenter.skill', event='delete')
        self.assertEqual(created.after.splitlines(),
            ["Code: appliance", "Name: 家电"])
        self.assertIsNone(created.before)
        self.assertEqual(deleted.before.splitlines(),
            ["Code: appliance", "Name: 家电"])
        self.assertEqual(deleted.record_name, "家电")

        # Internal code (user 0) writes without an entry, unless it moves
        # a workflow state.
        user = self._user('someone', 'group_agent')
        User.write([user], {'name': "某人"})
        self.assertEqual(self._entries('res.user', record_id=user.id), [])
        with as_client(admin):
            User.write([User(user.id)], {'password': 'Sup3r-secret-2026'})
        entry, = self._entries('res.user', record_id=user.id)
        self.assertNotIn('Sup3r', entry.after)
        self.assertIn('******', entry.after)

    @with_transaction()
    def test_entries_cannot_be_changed_by_a_client(self):
        "Not even an administrator creates, edits or deletes an entry"
        pool = Pool()
        AuditLog = pool.get('tv.audit.log')
        Skill = pool.get('callcenter.skill')
        admin = self._user('logadmin', 'group_admin')
        with as_client(admin):
            Skill.create([{'name': "理财", 'code': 'finance'}])
        entry, = self._entries('callcenter.skill')
        for method, args in [
                (AuditLog.write, ([AuditLog(entry.id)], {'after': "x"})),
                (AuditLog.delete, ([AuditLog(entry.id)],)),
                (AuditLog.create, ([{'event': 'write'}],)),
                (AuditLog.copy, ([AuditLog(entry.id)],)),
                ]:
            with self.subTest(method=method.__name__), as_client(admin), \
                    self.assertRaises(AuditLogReadOnlyError) as cm:
                method(*args)
            self.assertIn('written by the server only', cm.exception.message)
        self.assertEqual(AuditLog(entry.id).after.splitlines(),
            ["Code: finance", "Name: 理财"])

        # Managers and administrators read it; an agent does not.
        manager = self._user('logmanager', 'group_manager')
        agent = self._user('logagent', 'group_agent')
        with as_client(manager):
            self.assertTrue(AuditLog.search([]))
        with as_client(agent), self.assertRaises(AccessError):
            AuditLog.search([])

    @with_transaction()
    def test_customer_export(self):
        """An agent cannot bulk-export or delete customers; a manager's
        export is logged with what was exported"""
        Party = Pool().get('party.party')
        parties = Party.create([{'name': "王芳"}, {'name': "李强"}])
        agent = self._user('exportagent', 'group_agent')
        manager = self._user('exportmanager', 'group_manager')
        with as_client(agent):
            with self.assertRaises(AuditExportError) as cm:
                Party.export_data(Party.browse(parties), ['name'])
            self.assertIn('may not export', cm.exception.message)
            with self.assertRaises(AccessError):
                Party.delete(Party.browse(parties[:1]))
        self.assertEqual(self._entries('party.party', event='export'), [])
        with as_client(manager):
            rows = Party.export_data(Party.browse(parties), ['name', 'code'])
        self.assertEqual(sorted(r[0] for r in rows), ["李强", "王芳"])
        entry, = self._entries('party.party', event='export')
        self.assertEqual(
            (entry.user, entry.record_count, entry.action),
            (manager, 2, 'name, code'))
        self.assertEqual(entry.record_ids,
            ', '.join(str(p.id) for p in parties))

    @with_transaction()
    def test_recording_played(self):
        "Reading a recording's data is logged; its size in the form is not"
        pool = Pool()
        Call = pool.get('callcenter.call')
        Node = pool.get('callcenter.node')
        node, = Node.create([{'name': "PBX", 'code': 'auditpbx',
                    'ami_secret_ref': 'env:TVCC_AMI_SECRET',
                    'instance_path': '/srv/tvcc/pbx',
                    'host_path': '/srv/tvcc/pbx'}])
        call, = Call.create([{'node': node, 'linkedid': 'A1',
                    'direction': 'inbound', 'state': 'ended',
                    'recording': b'RIFF' + b'\0' * 100}])
        leader = self._user('leader', 'group_team_leader')
        with as_client(leader), Transaction().set_context(
                {'callcenter.call.recording': 'size'}):
            Call.read([call.id], ['recording'])
        self.assertEqual(self._entries('callcenter.call'), [])
        with as_client(leader):
            Call.read([call.id], ['recording'])
        entry, = self._entries('callcenter.call')
        self.assertEqual((entry.event, entry.user, entry.record_id),
            ('recording', leader, call.id))
