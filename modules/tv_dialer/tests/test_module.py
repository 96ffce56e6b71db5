# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt
import itertools

from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from tvcc import sheets

from ..window import callee_time_zones, in_window

# 2026-03-02 is a Monday: 02:00 UTC is 10:00 in Shanghai and 21:00 (Sunday)
# in New York; 14:00 UTC is 22:00 in Shanghai and 09:00 in New York.
MONDAY_SHANGHAI_MORNING = dt.datetime(2026, 3, 2, 2, 0)
MONDAY_NEW_YORK_MORNING = dt.datetime(2026, 3, 2, 14, 0)
NEW_YORK = '+12125550123'


class TVDialerTestCase(ModuleTestCase):
    "Test TV Dialer module"
    module = 'tv_dialer'
    # Customers of level blacklist come from tv_orders.
    extras = ['tv_orders']

    _codes = itertools.count(1)

    def _queue(self):
        "A queue of one agent"
        pool = Pool()
        User = pool.get('res.user')
        Agent = pool.get('callcenter.agent')
        Queue = pool.get('callcenter.queue')
        code = next(self._codes)
        user, = User.create([{'login': f'agent{code}', 'name': "坐席"}])
        agent, = Agent.create([{'user': user, 'extension': f'{8000 + code}',
                    'device': 'simulated'}])
        queue, = Queue.create([{'code': f'q{code}', 'name': "外呼",
                    'members': [('create', [{'agent': agent}])]}])
        return queue

    def _campaign(self, **values):
        Campaign = Pool().get('dialer.campaign')
        if 'queue' not in values:
            values['queue'] = self._queue()
        values.setdefault('name', "老客户回访")
        values.setdefault('caller_id', '021 6123 4567')
        return Campaign.create([values])[0]

    def _numbers(self, campaign, *phones):
        Number = Pool().get('dialer.number')
        return Number.create([{'campaign': campaign, 'phone': p}
                for p in phones])

    def _running(self, *phones, **values):
        Campaign = Pool().get('dialer.campaign')
        campaign = self._campaign(**values)
        numbers = self._numbers(campaign, *phones)
        Campaign.start([campaign])
        return campaign, numbers

    # -- calling window (pure) --

    def test_callee_time_zones(self):
        "A number's time zones come from its country and area code"
        self.assertEqual(callee_time_zones('+8613800138000'), 'Asia/Shanghai')
        self.assertEqual(callee_time_zones(NEW_YORK), 'America/New_York')
        self.assertEqual(callee_time_zones('not a number', 'Asia/Shanghai'),
            'Asia/Shanghai')

    def test_in_window_local_time(self):
        "The window is read in the callee's time, in each of their zones"
        nine, eight_pm = dt.time(9), dt.time(20)
        every_day = set(range(7))
        self.assertTrue(in_window(MONDAY_SHANGHAI_MORNING, 'Asia/Shanghai',
                nine, eight_pm, every_day))
        self.assertFalse(in_window(MONDAY_SHANGHAI_MORNING,
                'America/New_York', nine, eight_pm, every_day))
        self.assertTrue(in_window(MONDAY_NEW_YORK_MORNING,
                'America/New_York', dt.time(8), eight_pm, every_day))
        # Monday in Shanghai, but not a calling day
        self.assertFalse(in_window(MONDAY_SHANGHAI_MORNING, 'Asia/Shanghai',
                nine, eight_pm, every_day - {0}))
        # Callable in only one of its zones: not callable
        self.assertFalse(in_window(MONDAY_SHANGHAI_MORNING,
                'America/New_York,Asia/Shanghai', nine, eight_pm, every_day))
        # The end is excluded
        self.assertFalse(in_window(dt.datetime(2026, 3, 2, 12, 0),
                'Asia/Shanghai', nine, eight_pm, every_day))

    # -- campaign --

    @with_transaction()
    def test_campaign_workflow(self):
        "A campaign runs, pauses, resumes and stops; a stopped one stays so"
        Campaign = Pool().get('dialer.campaign')
        campaign = self._campaign()
        self.assertEqual((campaign.state, campaign.type),
            ('draft', 'predictive'))
        Campaign.start([campaign])
        self.assertEqual(campaign.state, 'running')
        Campaign.pause([campaign])
        self.assertEqual(campaign.state, 'paused')
        Campaign.start([campaign])
        self.assertEqual(campaign.state, 'running')
        Campaign.stop([campaign])
        self.assertEqual(campaign.state, 'stopped')
        Campaign.start([campaign])
        self.assertEqual(campaign.state, 'stopped')

    @with_transaction()
    def test_campaign_delete_only_draft(self):
        "A campaign that has run cannot be deleted"
        Campaign = Pool().get('dialer.campaign')
        draft, running = self._campaign(name="草稿"), self._campaign()
        Campaign.start([running])
        with self.assertRaisesRegex(UserError, 'draft'):
            Campaign.delete([running])
        Campaign.delete([draft])
        self.assertEqual(Campaign.search([]), [running])

    @with_transaction()
    def test_campaign_start_needs_queue(self):
        "Answered calls need agents: no queue, no start (but a broadcast)"
        Campaign = Pool().get('dialer.campaign')
        campaign = self._campaign(queue=None)
        with self.assertRaisesRegex(UserError, 'queue'):
            Campaign.start([campaign])
        broadcast = self._campaign(queue=None, type='broadcast',
            message_template="您好")
        Campaign.start([broadcast])
        self.assertEqual(broadcast.state, 'running')

    @with_transaction()
    def test_campaign_start_needs_caller_id(self):
        "The callees see the campaign's number, or the dialer trunk's; a "
        "campaign with neither does not start"
        pool = Pool()
        Campaign = pool.get('dialer.campaign')
        Trunk = pool.get('callcenter.trunk')
        campaign = self._campaign(caller_id=None)
        with self.assertRaisesRegex(UserError, 'caller ID'):
            Campaign.start([campaign])
        self.assertEqual(campaign.state, 'draft')
        # The dialer calls through the first trunk by code.
        Trunk.create([{'code': 'b_carrier', 'name': "电信", 'host': '192.0.2.2',
                    'port': 5060, 'dialer_caller_id': '010 6123 4567'},
                {'code': 'a_carrier', 'name': "联通", 'host': '192.0.2.1',
                    'port': 5060}])
        with self.assertRaisesRegex(UserError, 'caller ID'):
            Campaign.start([campaign])
        first, = Trunk.search([('code', '=', 'a_carrier')])
        first.dialer_caller_id = '0755 2612 3456'
        first.save()
        self.assertEqual(first.dialer_caller_id, '+8675526123456')
        Campaign.start([campaign])
        self.assertEqual(campaign.state, 'running')
        self.assertEqual(campaign.presented_number, '+8675526123456')
        own = self._campaign(caller_id='13800138000')
        self.assertEqual(own.presented_number, '+8613800138000')
        with self.assertRaises(ValidationError):
            Trunk.write([first], {'dialer_caller_id': '12;3'})

    @with_transaction()
    def test_campaign_day_is_the_local_day(self):
        "The campaign's day is the contact center's (Beijing time)"
        Campaign = Pool().get('dialer.campaign')
        # 17:00 UTC on the 1st is 01:00 on the 2nd in Shanghai.
        self.assertEqual(Campaign.local_date(dt.datetime(2026, 3, 1, 17, 0)),
            dt.date(2026, 3, 2))
        self.assertEqual(Campaign.local_date(dt.datetime(2026, 3, 1, 15, 0)),
            dt.date(2026, 3, 1))
        self.assertEqual(Campaign.today_start(dt.datetime(2026, 3, 1, 17, 0)),
            dt.datetime(2026, 3, 1, 16, 0))

    @with_transaction()
    def test_campaign_defaults_and_checks(self):
        "Default rules and 3 % limit; a window must end after it starts"
        campaign = self._campaign(caller_id='021 6088 8888')
        self.assertEqual(campaign.caller_id, '+862160888888')
        self.assertEqual(campaign.abandon_limit, 3.0)
        self.assertEqual(campaign.retry_delay('busy'), 15)
        self.assertEqual(campaign.retry_delay('abandoned'), 72 * 60)
        self.assertIsNone(campaign.retry_delay('answered'))
        with self.assertRaisesRegex(ValidationError, 'end after'):
            self._campaign(window_start=dt.time(20), window_end=dt.time(9))
        with self.assertRaisesRegex(ValidationError, 'day of the week'):
            self._campaign(**{d: False for d in ['monday', 'tuesday',
                        'wednesday', 'thursday', 'friday', 'saturday',
                        'sunday']})
        with self.assertRaisesRegex(ValidationError, 'template'):
            self._campaign(type='broadcast', message_template="{name")

    @with_transaction()
    def test_broadcast_message(self):
        "The message is filled with the callee's name and file columns"
        Number = Pool().get('dialer.number')
        campaign = self._campaign(type='broadcast',
            message_template="{name}您好，您的订单{order}已发货{unknown}")
        number, = Number.create([{'campaign': campaign,
                    'phone': '13800138000', 'name': "王芳",
                    'template_values': {'order': 'SO1001'}}])
        self.assertEqual(number.message(), "王芳您好，您的订单SO1001已发货")

    # -- adding numbers --

    @with_transaction()
    def test_import_file(self):
        "Valid rows are added in E.164; the others are reported by row"
        pool = Pool()
        Number = pool.get('dialer.number')
        DNC = pool.get('dialer.dnc')
        CallerList = pool.get('callcenter.caller_list')
        campaign = self._campaign()
        self._numbers(campaign, '13900139000')
        DNC.create([{'number': '13700137000', 'reason': "客户要求"}])
        CallerList.create([{'number': '13600136000', 'reason': "骚扰",
                    'kind': 'blacklist'}])
        data = '\n'.join([
                '姓名,手机,订单',
                '王芳,13800138000,SO1',          # row 2
                '李雷,+86 138 0013 8001,SO2',    # row 3
                '韩梅,008613800138000,SO3',      # row 4: same as row 2
                '张三,12345,SO4',                # row 5: invalid
                '李四,,SO5',                     # row 6: no number
                '赵六,139-0013-9000,SO6',        # row 7: in the campaign
                '孙七,13700137000,SO7',          # row 8: do not call
                '周八,13600136000,SO8',          # row 9: blacklisted
                ]).encode('utf-8')
        rows = Number.rows_from_file(data, 'numbers.csv')
        added, blocked, report = Number.add_to_campaign(campaign, rows)
        self.assertEqual((added, blocked), (2, 2))
        self.assertEqual([(row, raw) for row, raw, _ in report], [
                (4, '008613800138000'), (5, '12345'), (6, ''),
                (7, '139-0013-9000'), (8, '13700137000'),
                (9, '13600136000')])
        reasons = [reason for _, _, reason in report]
        self.assertIn('row 2', reasons[0])
        self.assertIn('not a valid phone number', reasons[1])
        self.assertIn('No phone number', reasons[2])
        self.assertIn('Already in this campaign', reasons[3])
        self.assertIn('do-not-call', reasons[4])
        self.assertIn('blacklisted', reasons[5])
        numbers = {n.phone: n for n in Number.search(
                [('campaign', '=', campaign)])}
        self.assertEqual(set(numbers), {'+8613900139000', '+8613800138000',
                '+8613800138001', '+8613700137000', '+8613600136000'})
        first = numbers['+8613800138000']
        self.assertEqual((first.name, dict(first.template_values)),
            ("王芳", {'订单': 'SO1'}))
        self.assertEqual((first.state, first.time_zones),
            ('pending', 'Asia/Shanghai'))
        self.assertEqual(numbers['+8613700137000'].state, 'dnc')
        self.assertEqual(numbers['+8613600136000'].state, 'blacklisted')

    @with_transaction()
    def test_import_xlsx_and_headerless(self):
        "Excel numbers stay whole; a file of bare numbers is read too"
        Number = Pool().get('dialer.number')
        campaign = self._campaign()
        data = sheets.write_xlsx([("号码", ['Name', 'Phone'],
                    [["Li", 13800138000], ["Wu", '+1 212 555 0123']])])
        rows = Number.rows_from_file(data, 'list.xlsx')
        self.assertEqual(Number.add_to_campaign(campaign, rows)[:2], (2, 0))
        self.assertEqual(
            {(n.phone, n.time_zones) for n in campaign.numbers},
            {('+8613800138000', 'Asia/Shanghai'),
                (NEW_YORK, 'America/New_York')})
        rows = Number.rows_from_file(
            b'13800138002\n13800138003\nabc\n', 'bare.csv')
        added, blocked, report = Number.add_to_campaign(campaign, rows)
        self.assertEqual((added, [r[0] for r in report]), (2, [3]))

    @with_transaction()
    def test_import_file_refused(self):
        "A file that is not a table, or has no phone column, is refused"
        Number = Pool().get('dialer.number')
        with self.assertRaisesRegex(UserError, 'cannot be read'):
            Number.rows_from_file(b'', 'empty.csv')
        with self.assertRaisesRegex(UserError, 'no phone column'):
            Number.rows_from_file('姓名,地址\n王芳,上海\n'.encode(), 'x.csv')

    @with_transaction()
    def test_number_range(self):
        "1380013 + 0000..9999 gives 10000 numbers, once; the count is capped"
        Number = Pool().get('dialer.number')
        campaign = self._campaign()
        rows = Number.rows_from_range('1380013', 0, 9999, 4)
        self.assertEqual((rows[0]['raw'], rows[-1]['raw'], len(rows)),
            ('13800130000', '13800139999', 10000))
        added, blocked, report = Number.add_to_campaign(campaign, rows)
        self.assertEqual((added, blocked, report), (10000, 0, []))
        again = Number.rows_from_range('1380013', 9998, 9999, 4)
        self.assertEqual(Number.add_to_campaign(campaign, again)[:2], (0, 0))
        with self.assertRaisesRegex(UserError, 'at most 10000'):
            Number.rows_from_range('138001', 0, 99999, 5)
        with self.assertRaisesRegex(UserError, 'digits'):
            Number.rows_from_range('1380013', 0, 10000, 4)
        # Numbers no operator assigns are reported, not added
        added, _, report = Number.add_to_campaign(
            campaign, Number.rows_from_range('1', 0, 1, 4))
        self.assertEqual((added, len(report)), (0, 2))

    @with_transaction()
    def test_number_normalised(self):
        "A number typed by hand is stored in E.164, or refused"
        Number = Pool().get('dialer.number')
        campaign = self._campaign()
        number, = self._numbers(campaign, '138 0013 8000')
        self.assertEqual(number.phone, '+8613800138000')
        with self.assertRaisesRegex(ValidationError, 'not a valid'):
            self._numbers(campaign, '12345')

    # -- next_numbers --

    @with_transaction()
    def test_next_numbers_window_local_time(self):
        "Each callee is called in their own morning, not in ours"
        Campaign = Pool().get('dialer.campaign')
        campaign, (china, new_york) = self._running(
            '13800138000', NEW_YORK,
            window_start=dt.time(9), window_end=dt.time(20))
        self.assertEqual(Campaign.next_numbers(
                campaign, MONDAY_SHANGHAI_MORNING, 10), [china])
        self.assertEqual(Campaign.next_numbers(
                campaign, MONDAY_NEW_YORK_MORNING, 10), [new_york])

    @with_transaction()
    def test_next_numbers_weekdays(self):
        "Nothing is dialled on a day the campaign does not call"
        Campaign = Pool().get('dialer.campaign')
        campaign, _ = self._running('13800138000', monday=False)
        self.assertEqual(
            Campaign.next_numbers(campaign, MONDAY_SHANGHAI_MORNING, 10), [])

    @with_transaction()
    def test_next_numbers_never_dnc_or_blacklisted(self):
        "DNC, blacklisted numbers and customers are marked, never returned"
        pool = Pool()
        Campaign = pool.get('dialer.campaign')
        DNC = pool.get('dialer.dnc')
        CallerList = pool.get('callcenter.caller_list')
        Party = pool.get('party.party')
        now = MONDAY_SHANGHAI_MORNING
        customer, = Party.create([{'name': "黑名单客户", 'level': 'blacklist',
                    'contact_mechanisms': [('create', [{
                                    'type': 'mobile',
                                    'value': '13500135000'}])]}])
        campaign, numbers = self._running('13800138000', '13700137000',
            '13600136000', '13500135000', '13400134000', '13300133000')
        ok, dnc, blacklisted, by_customer, expired, later = numbers
        DNC.create([
                {'number': '13700137000', 'reason': "客户要求不再来电"},
                {'number': '13400134000', 'reason': "三个月",
                    'expires': now.date() - dt.timedelta(days=1)},
                ])
        CallerList.create([{'number': '13600136000', 'reason': "骚扰",
                    'kind': 'blacklist'}])
        got = Campaign.next_numbers(campaign, now, 10)
        self.assertEqual(got, [ok, expired, later])
        self.assertEqual(
            [n.state for n in [dnc, blacklisted, by_customer]],
            ['dnc', 'blacklisted', 'blacklisted'])
        # A number put on the list after import is caught at dial time
        DNC.create([{'number': '13300133000', 'reason': "投诉"}])
        Campaign.record_outcome(later, 'no_answer', now)
        self.assertEqual(later.state, 'pending')
        self.assertEqual(Campaign.next_numbers(
                campaign, now + dt.timedelta(hours=2), 10), [])
        self.assertEqual(later.state, 'dnc')

    @with_transaction()
    def test_preview_number_put_on_dnc_while_shown_is_not_called(self):
        "A number an agent previews, then put on the do-not-call list, is "
        "not handed to the engine when the agent asks to call it"
        pool = Pool()
        Campaign = pool.get('dialer.campaign')
        DNC = pool.get('dialer.dnc')
        now = MONDAY_SHANGHAI_MORNING
        campaign, (first, second) = self._running(
            '13800138000', '13700137000', type='preview')
        agent = campaign.queue.members[0].agent
        for number in [first, second]:
            self.assertEqual(Campaign.next_preview(agent, now=now), number)
            number.dial_requested = now
            number.save()
        DNC.create([{'number': '13800138000', 'reason': "客户要求不再来电"}])
        calls = Campaign.claim_preview_calls([campaign])
        self.assertEqual(calls, [(second, agent)])
        self.assertEqual(first.state, 'dnc')

    @with_transaction()
    def test_next_numbers_claims_and_caps(self):
        "A number is handed out once; the concurrency cap is respected"
        pool = Pool()
        Campaign = pool.get('dialer.campaign')
        Number = pool.get('dialer.number')
        now = MONDAY_SHANGHAI_MORNING
        campaign, numbers = self._running(
            *[f'1380013800{i}' for i in range(5)], max_concurrent=3)
        first = Campaign.next_numbers(campaign, now, 2)
        self.assertEqual(first, numbers[:2])
        self.assertEqual({n.state for n in first}, {'dialing'})
        self.assertEqual(Campaign.next_numbers(campaign, now, 10),
            numbers[2:3])
        self.assertEqual(Campaign.next_numbers(campaign, now, 10), [])
        Number.release(first)
        self.assertEqual(Campaign.next_numbers(campaign, now, 10), first)
        # A number the engine never reported on comes back after a while
        later = now + Campaign.dialing_timeout + dt.timedelta(minutes=1)
        self.assertEqual(len(Campaign.next_numbers(campaign, later, 10)), 3)
        Campaign.pause([campaign])
        self.assertEqual(Campaign.next_numbers(campaign, later, 10), [])

    @with_transaction()
    def test_next_numbers_cap_counts_only_ringing_calls(self):
        "Calls talking to agents leave room under the cap: the engine "
        "tells how many of its calls still ring"
        Campaign = Pool().get('dialer.campaign')
        now = MONDAY_SHANGHAI_MORNING
        campaign, numbers = self._running(
            *[f'1380013800{i}' for i in range(6)], max_concurrent=2)
        self.assertEqual(Campaign.next_numbers(campaign, now, 5, ringing=0),
            numbers[:2])
        # Both answered and talking: two more may ring.
        self.assertEqual(Campaign.next_numbers(campaign, now, 5, ringing=0),
            numbers[2:4])
        self.assertEqual(Campaign.next_numbers(campaign, now, 5, ringing=2),
            [])
        self.assertEqual(Campaign.next_numbers(campaign, now, 5, ringing=1),
            numbers[4:5])

    @with_transaction()
    def test_numbers_of_a_dead_engine_come_back_at_once(self):
        "After a restart, numbers whose calls Asterisk no longer has are "
        "offered again at once; those still on a call stay taken"
        Campaign = Pool().get('dialer.campaign')
        now = MONDAY_SHANGHAI_MORNING
        campaign, numbers = self._running(
            *[f'1380013800{i}' for i in range(3)])
        taken = Campaign.next_numbers(campaign, now, 3)
        self.assertEqual(taken, numbers)
        kept = Campaign.recover_numbers(campaign, [numbers[1].phone])
        self.assertEqual(kept, {numbers[1].id: numbers[1].phone})
        self.assertEqual([n.state for n in numbers],
            ['pending', 'dialing', 'pending'])
        self.assertEqual([n.attempts for n in numbers], [0, 0, 0])
        self.assertEqual(Campaign.next_numbers(campaign, now, 3),
            [numbers[0], numbers[2]])

    @with_transaction()
    def test_next_numbers_retry_due_and_attempts_cap(self):
        "A retry waits for its time; a number is called max_attempts times"
        Campaign = Pool().get('dialer.campaign')
        now = MONDAY_SHANGHAI_MORNING
        campaign, (number, fresh) = self._running(
            '13800138000', '13800138001', max_attempts=2)
        Campaign.write([campaign], {'retry_rules': [('write',
                        [r.id for r in campaign.retry_rules
                            if r.outcome == 'busy'], {'delay': 30})]})
        self.assertEqual(Campaign.next_numbers(campaign, now, 1), [number])
        Campaign.record_outcome(number, 'busy', now)
        self.assertEqual(number.next_attempt, now + dt.timedelta(minutes=30))
        # Not yet due: the fresh number goes first
        ten = now + dt.timedelta(minutes=10)
        self.assertEqual(Campaign.next_numbers(campaign, ten, 5), [fresh])
        Campaign.record_outcome(fresh, 'no_answer', ten)
        self.assertEqual(Campaign.next_numbers(
                campaign, now + dt.timedelta(minutes=30), 5), [number])
        Campaign.record_outcome(number, 'busy', now + dt.timedelta(minutes=30))
        self.assertEqual((number.state, number.attempts), ('failed', 2))
        # Lowering the maximum leaves numbers already called that often out
        Campaign.write([campaign], {'max_attempts': 1})
        self.assertEqual((fresh.state, fresh.attempts), ('pending', 1))
        self.assertEqual(Campaign.next_numbers(
                campaign, now + dt.timedelta(hours=3), 5), [])
        Campaign.write([campaign], {'max_attempts': 2})
        self.assertEqual(Campaign.next_numbers(
                campaign, now + dt.timedelta(hours=3), 5), [fresh])

    # -- outcomes --

    @with_transaction()
    def test_apply_outcome_per_rule(self):
        "Each outcome recycles the number as its rule says (号码回收)"
        pool = Pool()
        now = MONDAY_SHANGHAI_MORNING
        Rule = pool.get('dialer.campaign.retry_rule')
        campaign = self._campaign(max_attempts=5)
        Rule.delete(list(campaign.retry_rules))
        Rule.create([
                {'campaign': campaign, 'outcome': 'no_answer', 'delay': 60},
                {'campaign': campaign, 'outcome': 'busy', 'delay': 10},
                {'campaign': campaign, 'outcome': 'machine', 'retry': False},
                ])
        numbers = self._numbers(campaign, *[f'1380013800{i}'
                for i in range(5)])
        expected = {
            'answered': ('done', None),
            'no_answer': ('pending', now + dt.timedelta(minutes=60)),
            'busy': ('pending', now + dt.timedelta(minutes=10)),
            'machine': ('failed', None),
            'failed': ('failed', None),  # no rule: never again
            }
        for number, (outcome, result) in zip(numbers, expected.items()):
            number.apply_outcome(outcome, now)
            self.assertEqual((number.state, number.next_attempt), result,
                outcome)
            self.assertEqual((number.attempts, number.last_outcome),
                (1, outcome))

    @with_transaction()
    def test_record_outcome_and_monitor(self):
        "Attempts are recorded; the monitor counts today's abandon rate"
        pool = Pool()
        Campaign = pool.get('dialer.campaign')
        Attempt = pool.get('dialer.attempt')
        now = dt.datetime.utcnow()
        campaign, numbers = self._running(
            *[f'1380013800{i}' for i in range(5)])
        outcomes = ['answered', 'answered', 'answered', 'abandoned', 'busy']
        for number, outcome in zip(numbers, outcomes):
            attempt = Campaign.record_outcome(number.id, outcome, now,
                answer_time=now, end=now + dt.timedelta(seconds=90),
                linkedid=f'1700000000.{number.id}')
            self.assertEqual(attempt.campaign, campaign)
        self.assertEqual(Attempt.search_count(
                [('campaign', '=', campaign)]), 5)
        Campaign.write_monitor(campaign, dial_level=1.8, agents_busy=7,
            agents_idle=2)
        campaign = Campaign(campaign.id)
        self.assertEqual(
            (campaign.dialled_today, campaign.answered_today,
                campaign.abandoned_today, campaign.abandon_rate,
                campaign.numbers_left, campaign.numbers_total),
            (5, 3, 1, 25.0, 2, 5))
        self.assertEqual(
            (campaign.dial_level, campaign.agents_busy, campaign.agents_idle),
            (1.8, 7, 2))


del ModuleTestCase
