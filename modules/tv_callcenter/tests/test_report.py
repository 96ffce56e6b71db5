# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Call statistics (话务统计): a day of calls and agent states whose every
figure is worked out by hand below, per grouping (day, hour, 15 minutes,
month, the whole range; queue, agent, none), with the abandon threshold,
a pause crossing midnight, the centre's timezone (Asia/Shanghai, UTC+8),
and a team leader who sees their own team only."""
import datetime as dt
import unittest

from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import as_client

DAY = dt.date(2026, 11, 20)
NEXT = DAY + dt.timedelta(days=1)


def utc(day, hour, minute=0, second=0):
    "The UTC time of a local (Beijing, UTC+8) time"
    return dt.datetime.combine(day, dt.time(hour, minute, second)) \
        - dt.timedelta(hours=8)


def s(value):
    return dt.timedelta(seconds=value)


class ReportTestCase(unittest.TestCase):
    "Call statistics"

    @classmethod
    def setUpClass(cls):
        activate_module('tv_callcenter')

    def setUp(self):
        self.x = {}

    def _fixture(self):
        pool = Pool()
        Node = pool.get('callcenter.node')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Agent = pool.get('callcenter.agent')
        Queue = pool.get('callcenter.queue')
        Call = pool.get('callcenter.call')
        Hold = pool.get('callcenter.call.hold')
        Rona = pool.get('callcenter.call.rona')
        Step = pool.get('callcenter.call.ivr_step')
        Log = pool.get('callcenter.agent.state_log')
        Reason = pool.get('callcenter.pause_reason')
        Flow = pool.get('callcenter.ivr.flow')
        IVRNode = pool.get('callcenter.ivr.node')
        x = self.x
        node, = Node.create([{'name': "PBX", 'code': 'rpt',
                    'ami_secret_ref': 'env:TVCC_AMI_SECRET',
                    'instance_path': '/srv/tvcc/rpt',
                    'host_path': '/srv/tvcc/rpt'}])
        leader_group = ModelData.get_id('tv_callcenter', 'group_team_leader')
        manager_group = ModelData.get_id('tv_callcenter', 'group_manager')
        x['leader'], x['manager'], ua, ub, uc = User.create([
                {'login': 'rpt_leader', 'name': "班长",
                    'groups': [('add', [leader_group])]},
                {'login': 'rpt_manager', 'name': "经理",
                    'groups': [('add', [manager_group])]},
                {'login': 'rpt_a', 'name': "坐席甲"},
                {'login': 'rpt_b', 'name': "坐席乙"},
                {'login': 'rpt_c', 'name': "坐席丙"}])
        a, b, c = x['a'], x['b'], x['c'] = Agent.create([
                {'user': u, 'extension': ext, 'device': 'simulated',
                    'team_leader': leader}
                for u, ext, leader in [(ua, '8101', x['leader']),
                    (ub, '8102', x['leader']), (uc, '8103', None)]])
        q1, q2 = x['q1'], x['q2'] = Queue.create([
                {'code': 'rq1', 'name': "销售",
                    'members': [('create', [{'agent': a}, {'agent': b}])]},
                {'code': 'rq2', 'name': "售后",
                    'members': [('create', [{'agent': c}])]}])
        lunch, training = Reason.create([
                {'code': 'rlunch', 'name': "就餐"},
                {'code': 'rtrain', 'name': "培训"}])
        x['lunch'], x['training'] = lunch, training

        def call(name, start, **values):
            values.update({'node': node, 'linkedid': name, 'uniqueid': name,
                    'state': 'ended', 'start_time': start,
                    'caller': '+8613800138000'})
            values.setdefault('direction', 'inbound')
            if values.get('wait') is not None:
                values['enter_time'] = start
                values['wait_duration'] = s(values.pop('wait'))
            for name_ in ['ring', 'talk']:
                if name_ in values:
                    values[f'{name_}_duration'] = s(values.pop(name_))
            call, = Call.create([values])
            x[name] = call
            return call
        # Day D, local times.
        call('c1', utc(DAY, 9, 5), queue=q1, wait=10, ring=4, agent=a,
            talk=60, disposition='answered',
            connect_time=utc(DAY, 9, 5, 10), rona_count=1)
        call('c2', utc(DAY, 9, 20), queue=q1, wait=30, ring=2, agent=b,
            talk=120, disposition='answered',
            connect_time=utc(DAY, 9, 20, 30))
        call('c3', utc(DAY, 9, 40), queue=q1, wait=3,
            disposition='abandoned')
        call('c4', utc(DAY, 10, 10), queue=q1, wait=40,
            disposition='abandoned')
        call('c5', utc(DAY, 10, 20), queue=q2, wait=5, ring=1, agent=c,
            talk=30, disposition='answered',
            connect_time=utc(DAY, 10, 20, 5))
        call('c6', utc(DAY, 23, 50), disposition='after_hours')
        call('c7', utc(DAY, 10, 30), disposition='blacklisted')
        call('c8', utc(DAY, 10, 45), queue=q1, wait=60,
            disposition='overflow')
        call('c9', utc(DAY, 11, 0), queue=q2, wait=20,
            disposition='voicemail')
        # The next local day (still day D in UTC).
        call('c10', utc(NEXT, 0, 20), queue=q1, wait=2, ring=1, agent=c,
            talk=50, disposition='answered',
            connect_time=utc(NEXT, 0, 20, 2))
        call('c11', utc(NEXT, 0, 30), direction='outbound', agent=a,
            talk=600, disposition='answered',
            connect_time=utc(NEXT, 0, 30))
        Hold.create([{'call': x['c1'], 'start': utc(DAY, 9, 5, 20),
                    'end': utc(DAY, 9, 5, 50)}])
        Rona.create([{'call': x['c1'], 'agent': b,
                    'time': utc(DAY, 9, 5, 6), 'ring_duration': s(6)}])

        def states(agent, entries, end_state=None):
            rows = []
            for (state, start, end, *more) in entries:
                rows.append({'agent': agent, 'state': state, 'start': start,
                        'end': end, 'duration': (end - start) if end else None,
                        'source': 'asterisk',
                        'call': more[0] if more and state == 'in_call'
                        else None,
                        'reason': more[0] if more and state == 'paused'
                        else None})
            Log.create(rows)
        states(a, [
                ('ready', utc(DAY, 8), utc(DAY, 9, 5, 6)),
                ('ringing', utc(DAY, 9, 5, 6), utc(DAY, 9, 5, 10)),
                ('in_call', utc(DAY, 9, 5, 10), utc(DAY, 9, 6, 10), x['c1']),
                ('wrapup', utc(DAY, 9, 6, 10), utc(DAY, 9, 6, 40)),
                ('ready', utc(DAY, 9, 6, 40), utc(DAY, 10)),
                ('paused', utc(DAY, 10), utc(DAY, 10, 30), lunch),
                ('ready', utc(DAY, 10, 30), utc(DAY, 23, 30)),
                # Crosses midnight: 30 min on each day.
                ('paused', utc(DAY, 23, 30), utc(NEXT, 0, 30), training),
                ('in_call', utc(NEXT, 0, 30), utc(NEXT, 0, 40), x['c11']),
                ('logged_out', utc(NEXT, 0, 40), None),
                ])
        states(b, [
                ('ready', utc(DAY, 9), utc(DAY, 9, 20, 28)),
                ('ringing', utc(DAY, 9, 20, 28), utc(DAY, 9, 20, 30)),
                ('in_call', utc(DAY, 9, 20, 30), utc(DAY, 9, 22, 30),
                    x['c2']),
                ('wrapup', utc(DAY, 9, 22, 30), utc(DAY, 9, 23, 30)),
                ('logged_out', utc(DAY, 9, 23, 30), None),
                ])
        # IVR: a menu (1: sales, 2: service) and the queue nodes.
        flow, = Flow.create([{'code': 'rflow', 'name': "主流程"}])
        n1, n2 = IVRNode.create([
                {'flow': flow, 'name': "销售队列", 'type': 'queue',
                    'queue': q1},
                {'flow': flow, 'name': "售后队列", 'type': 'queue',
                    'queue': q2}])
        menu, = IVRNode.create([{'flow': flow, 'name': "主菜单",
                    'type': 'hangup'}])
        x['menu'], x['n1'], x['n2'] = menu, n1, n2
        paths = {
            'c1': [(menu, '1'), (n1, None)],
            'c2': [(menu, '1'), (n1, None)],
            'c3': [(menu, None), (menu, '1'), (n1, None)],
            'c5': [(menu, '2'), (n2, None)],
            'c9': [(menu, '2'), (n2, None)],
            }
        Step.create([{'call': x[name], 'sequence': i, 'node': node_,
                    'name': node_.name, 'key': key,
                    'entered_at': x[name].start_time}
                for name, path in paths.items()
                for i, (node_, key) in enumerate(path)])

    def _rows(self, model, user=None, **context):
        "The report's rows for the context, as the user (None: server)"
        Report = Pool().get(model)
        context.setdefault('from_date', DAY)
        context.setdefault('to_date', DAY)
        context.setdefault('period', 'day')
        context.setdefault('key', 'queue')
        transaction = Transaction()
        with transaction.set_context(**context):
            if user is None:
                return Report.search([])
            with as_client(user):
                return Report.search([])

    @with_transaction()
    def test_queue_report(self):
        "Queue figures per queue for a day, by hand"
        self._fixture()
        x = self.x
        rows = {r.queue: r for r in self._rows('callcenter.report.queue')}
        self.assertEqual(set(rows), {x['q1'], x['q2'], None})
        q1 = rows[x['q1']]
        self.assertEqual(q1.period, '2026-11-20')
        # c1 c2 c3 c4 c8 entered the queue; c1 c2 answered.
        self.assertEqual(q1.calls_in, 5)
        self.assertEqual(q1.answered, 2)
        self.assertAlmostEqual(q1.average_wait, 20)  # (10 + 30) / 2
        self.assertAlmostEqual(q1.longest_wait, 40)  # c4, abandoned
        self.assertAlmostEqual(q1.average_talk, 90)  # (60 + 120) / 2
        self.assertAlmostEqual(q1.answer_speed, 3)  # (4 + 2) / 2
        self.assertEqual(q1.abandoned, 2)
        # c3 waited 3 s, under the 5 s threshold: not counted.
        self.assertEqual(q1.abandoned_counted, 1)
        self.assertAlmostEqual(q1.abandon_rate, 1 / 5)
        self.assertAlmostEqual(q1.average_abandon, 21.5)  # (3 + 40) / 2
        self.assertEqual(q1.rona, 1)
        self.assertAlmostEqual(q1.service_level, 2 / 5)
        # Within 20 s: c1 only.
        self.assertAlmostEqual(q1.service_level_threshold, 1 / 5)
        self.assertEqual((q1.overflow, q1.after_hours, q1.blacklisted,
                q1.voicemail), (1, 0, 0, 0))
        q2 = rows[x['q2']]
        self.assertEqual((q2.calls_in, q2.answered, q2.abandoned,
                q2.abandoned_counted, q2.voicemail), (2, 1, 0, 0, 1))
        self.assertAlmostEqual(q2.average_wait, 5)
        self.assertAlmostEqual(q2.longest_wait, 5)
        self.assertAlmostEqual(q2.abandon_rate, 0)
        self.assertIsNone(q2.average_abandon)
        self.assertAlmostEqual(q2.service_level, 1 / 2)
        none = rows[None]
        self.assertEqual((none.calls_in, none.after_hours, none.blacklisted),
            (0, 1, 1))
        self.assertIsNone(none.abandon_rate)

        # A threshold of 50 s counts no abandon of queue 1.
        Configuration = Pool().get('callcenter.configuration')
        Configuration.write([Configuration(1)], {'abandon_threshold': 50,
                'service_level_threshold': 30})
        q1, = [r for r in self._rows('callcenter.report.queue')
            if r.queue == x['q1']]
        self.assertEqual((q1.abandoned, q1.abandoned_counted), (2, 0))
        self.assertAlmostEqual(q1.abandon_rate, 0)
        self.assertAlmostEqual(q1.service_level_threshold, 2 / 5)

    @with_transaction()
    def test_queue_report_periods(self):
        "Hours, 15 minutes, local days, month and the whole range"
        self._fixture()
        x = self.x
        hours = {r.period: r for r in self._rows('callcenter.report.queue',
                period='hour', key='none')}
        self.assertEqual(sorted(hours), ['2026-11-20 09:00',
                '2026-11-20 10:00', '2026-11-20 11:00', '2026-11-20 23:00'])
        h9, h10 = hours['2026-11-20 09:00'], hours['2026-11-20 10:00']
        self.assertEqual((h9.calls_in, h9.answered, h9.abandoned,
                h9.abandoned_counted), (3, 2, 1, 0))
        self.assertEqual((h10.calls_in, h10.answered, h10.abandoned,
                h10.abandoned_counted, h10.blacklisted, h10.overflow),
            (3, 1, 1, 1, 1, 1))
        self.assertEqual(hours['2026-11-20 23:00'].after_hours, 1)
        quarters = [r.period for r in self._rows('callcenter.report.queue',
                period='quarter_hour', key='none')]
        self.assertEqual(quarters[:3], ['2026-11-20 09:00',
                '2026-11-20 09:15', '2026-11-20 09:30'])
        # c10 and c11 are on the next local day (still the 20th in UTC).
        days = {(r.period, r.queue): r for r in self._rows(
                'callcenter.report.queue', to_date=NEXT)}
        self.assertEqual(days[('2026-11-21', x['q1'])].calls_in, 1)
        self.assertEqual(days[('2026-11-20', x['q1'])].calls_in, 5)
        month, = [r for r in self._rows('callcenter.report.queue',
                to_date=NEXT, period='month', key='none')]
        self.assertEqual(month.period, '2026-11')
        self.assertEqual(month.calls_in, 8)  # 5 + 2 + c10
        whole, = self._rows('callcenter.report.queue', to_date=NEXT,
            period='range', key='none')
        self.assertEqual(whole.period, '2026-11-20 ~ 2026-11-21')
        self.assertEqual(whole.answered, 4)  # c1 c2 c5 c10
        by_agent = {r.agent: r for r in self._rows('callcenter.report.queue',
                key='agent')}
        self.assertEqual(by_agent[x['a']].answered, 1)
        self.assertEqual(by_agent[x['c']].answered, 1)
        with self.assertRaises(UserError):
            self._rows('callcenter.report.queue', period='quarter_hour',
                to_date=DAY + dt.timedelta(days=40))

    @with_transaction()
    def test_agent_report(self):
        "Agent figures by hand, a pause split at midnight"
        self._fixture()
        x = self.x
        rows = {r.agent: r for r in self._rows('callcenter.report.agent')}
        # c answered a call and has no state logged.
        self.assertEqual(set(rows), {x['a'], x['b'], x['c']})
        self.assertEqual(rows[x['c']].inbound_calls, 1)
        self.assertAlmostEqual(rows[x['c']].login_time, 0)
        a = rows[x['a']]
        # 08:00 to midnight logged in.
        self.assertAlmostEqual(a.login_time, 16 * 3600)
        self.assertAlmostEqual(a.inbound_time, 60)
        self.assertAlmostEqual(a.outbound_time, 0)
        # Lunch 30 min and the first half of the training pause.
        self.assertAlmostEqual(a.aux_time, 3600)
        self.assertEqual(a.aux_count, 2)
        self.assertAlmostEqual(a.wrapup_time, 30)
        self.assertEqual(a.wrapup_count, 1)
        self.assertAlmostEqual(a.average_wrapup, 30)
        self.assertAlmostEqual(a.idle_time, 57600 - 60 - 3600 - 30)
        self.assertEqual((a.inbound_calls, a.outbound_calls), (1, 0))
        self.assertEqual(a.hold_count, 1)
        self.assertAlmostEqual(a.average_hold, 30)
        self.assertEqual(a.rona, 0)
        self.assertAlmostEqual(a.occupancy, 90 / 54000)
        b = rows[x['b']]
        self.assertAlmostEqual(b.login_time, 1410)
        self.assertAlmostEqual(b.inbound_time, 120)
        self.assertAlmostEqual(b.wrapup_time, 60)
        self.assertAlmostEqual(b.idle_time, 1230)
        self.assertEqual((b.inbound_calls, b.rona, b.aux_count), (1, 1, 0))
        self.assertAlmostEqual(b.occupancy, 180 / 1410)

        # The next day: the other half of the pause, an outbound call.
        nxt, = [r for r in self._rows('callcenter.report.agent',
                from_date=NEXT, to_date=NEXT) if r.agent == x['a']]
        self.assertAlmostEqual(nxt.login_time, 2400)
        self.assertAlmostEqual(nxt.aux_time, 1800)
        self.assertEqual(nxt.aux_count, 0)  # begun the day before
        self.assertAlmostEqual(nxt.outbound_time, 600)
        self.assertEqual(nxt.outbound_calls, 1)
        self.assertAlmostEqual(nxt.idle_time, 0)
        self.assertAlmostEqual(nxt.occupancy, 1)
        # Hours: 23:00 half ready, half paused.
        h23, = [r for r in self._rows('callcenter.report.agent',
                period='hour') if r.agent == x['a']
            and r.period == '2026-11-20 23:00']
        self.assertAlmostEqual(h23.login_time, 3600)
        self.assertAlmostEqual(h23.aux_time, 1800)
        self.assertAlmostEqual(h23.idle_time, 1800)
        whole, = [r for r in self._rows('callcenter.report.agent',
                to_date=NEXT, period='range') if r.agent == x['a']]
        self.assertAlmostEqual(whole.login_time, 57600 + 2400)
        self.assertAlmostEqual(whole.aux_time, 5400)
        self.assertEqual(whole.aux_count, 2)

        aux = {(r.period, r.reason): r for r in self._rows(
                'callcenter.report.agent_aux', to_date=NEXT)}
        self.assertEqual(aux[('2026-11-20', x['lunch'])].aux_time, 1800)
        self.assertEqual(aux[('2026-11-20', x['training'])].aux_count, 1)
        self.assertEqual(aux[('2026-11-21', x['training'])].aux_time, 1800)
        self.assertEqual(aux[('2026-11-21', x['training'])].aux_count, 0)

    @with_transaction()
    def test_ivr_report(self):
        "Callers at each node and by each exit"
        self._fixture()
        x = self.x
        rows = {(r.node, r.key, r.next_node, r.outcome): r
            for r in self._rows('callcenter.report.ivr')}
        menu, n1, n2 = x['menu'], x['n1'], x['n2']
        self.assertEqual({k: r.callers for k, r in rows.items()}, {
                (menu, '1', n1, None): 3,
                (menu, None, menu, None): 1,  # c3's timeout, then 1
                (menu, '2', n2, None): 2,
                (n1, None, None, 'answered'): 2,
                (n1, None, None, 'abandoned'): 1,
                (n2, None, None, 'answered'): 1,
                (n2, None, None, 'voicemail'): 1,
                })
        self.assertEqual({r.node: r.entered for r in rows.values()},
            {menu: 5, n1: 3, n2: 2})

    @with_transaction()
    def test_team_leader_sees_their_team(self):
        "A team leader counts their agents and their queues only"
        self._fixture()
        x = self.x
        agents = {r.agent for r in self._rows('callcenter.report.agent',
                user=x['leader'])}
        self.assertEqual(agents, {x['a'], x['b']})
        queues = {r.queue: r.calls_in for r in self._rows(
                'callcenter.report.queue', user=x['leader'])}
        self.assertEqual(queues, {x['q1']: 5})
        calls = self._rows('callcenter.report.call', user=x['leader'])
        self.assertEqual({c.call.linkedid for c in calls},
            {'c1', 'c2', 'c3', 'c4', 'c8'})
        self.assertEqual(len(self._rows('callcenter.report.call',
                    user=x['manager'])), 9)
        actions = [(r.action, r.duration) for r in self._rows(
                'callcenter.report.agent_action', user=x['leader'])
            if r.agent == x['b']]
        self.assertEqual(sorted(a for a, _ in actions), sorted([
                    'ready', 'ringing', 'in_call', 'wrapup', 'logged_out',
                    'rona']))
        self.assertIn(('rona', 6), actions)
        self.assertIn(('in_call', 120), actions)

    @with_transaction()
    def test_export(self):
        "The export holds the list's columns and rows"
        self._fixture()
        pool = Pool()
        Report = pool.get('callcenter.report.queue')
        with Transaction().set_context(from_date=DAY, to_date=DAY,
                period='day', key='queue', language='en'):
            headers, rows = Report.export_rows()
        self.assertEqual(headers[:2], ['Period', 'Queue'])
        self.assertIn('Abandon Rate (%)', headers)
        rate = headers.index('Abandon Rate (%)')
        calls_in = headers.index('Calls In')
        q1, = [r for r in rows if r[1] == '销售']
        self.assertEqual((q1[calls_in], q1[rate]), (5, 20.0))
