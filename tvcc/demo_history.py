"""Demo history: the last 30 days of the demo call centre (ending yesterday).

Calls are recorded the way the bridge records them (Call.apply_facts with
the facts Asterisk would report, agent states through StateLog.record_many);
orders go through tv_orders' buttons run as the agents and reviewers who
would have pressed them; logistics ships batches, imports the couriers'
status files and finance their COD statements through tv_logistics' own
code. Only the dates those actions stamp with "now" are moved back to when
they happened (SQL on the audit and date columns, as a migration would).

The history is loaded once (calls whose linked id starts with "demo-" mark
it) and is deterministic for a given day (seeded random). Until the demo
opened its hotline 24 h, the service hours were 07:00-24:00: night calls in
the history are after-hours calls.
"""
import datetime as dt
import logging
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from . import demo_data as data
from . import phone

log = logging.getLogger('tvcc.demo')

DAYS = 30
LEAD_DAYS = 10
SEED = 20261201
PREFIX = 'demo-'
CENTRE_CITY = '上海'

# (login, local shift start, end) for the agents of both queues
SHIFTS = {
    'agent01': ((7, 30), (16, 0)), 'agent02': ((7, 30), (16, 0)),
    'agent03': ((11, 0), (20, 0)), 'agent04': ((15, 30), (24, 0)),
    'agent05': ((15, 30), (24, 0)),
    'agent06': ((7, 30), (16, 0)), 'agent07': ((7, 30), (16, 0)),
    'agent08': ((11, 0), (20, 0)), 'agent09': ((15, 30), (24, 0)),
    'agent10': ((15, 30), (24, 0)),
    }
FIRST_REVIEWERS = ['review1a', 'review1b']
# Share of orders each review returns to the agent, and (cumulated) rejects
REVIEW_RATES = {1: (0.05, 0.085), 2: (0.03, 0.055)}
# The buttons of a day, in the order they are pressed
STAGES = ['submit', 'take', 'first', 'return1', 'take2', 'approve',
    'return2', 'reject', 'ship']
SECOND_REVIEWERS = ['review2a', 'review2b']


def history_exists(pool):
    Call = pool.get('callcenter.call')
    return bool(Call.search([('linkedid', 'like', PREFIX + '%')], limit=1))


def ensure_history(pool, company, node_code, days=DAYS, today=None):
    "Load the history once; return {model: records created} or None"
    if history_exists(pool):
        return None
    history = History(pool, company, node_code, days, today)
    return history.load()


def seconds(value):
    return dt.timedelta(seconds=round(value))


class History:

    def __init__(self, pool, company, node_code, days, today):
        self.pool = pool
        self.company = company
        self.rng = random.Random(SEED)
        self.tz = ZoneInfo(company.timezone or 'Asia/Shanghai')
        if today is None:
            today = dt.datetime.now(self.tz).date()
        self.today = today
        self.first_day = today - dt.timedelta(days=days)
        # Nothing happens at or after the local midnight starting today.
        self.cutoff = self.utc(today, 0, 0)
        self.counts = {}
        self.desks = []
        self.shipped = []
        User = pool.get('res.user')
        Agent = pool.get('callcenter.agent')
        Node = pool.get('callcenter.node')
        self.users = {u.login: u for u in User.search([
                    ('login', 'in', [s[0] for s in data.STAFF])])}
        self.agents = {a.user.login: a for a in Agent.search([
                    ('user.login', 'in', list(SHIFTS))])}
        self.node, = Node.search([('code', '=', node_code),
                ('active', 'in', [True, False])], limit=1)
        self.queue_of = {login: queue for login, _, _, queue
            in data.STAFF if login in SHIFTS}
        self._load_configuration()

    def _load_configuration(self):
        pool = self.pool
        Queue = pool.get('callcenter.queue')
        DID = pool.get('callcenter.did')
        IVRNode = pool.get('callcenter.ivr.node')
        Party = pool.get('party.party')
        Product = pool.get('product.product')
        Carrier = pool.get('carrier')
        PauseReason = pool.get('callcenter.pause_reason')
        self.queues = {q.code: q for q in Queue.search([])}
        self.dids = [d for d in DID.search([('media', '!=', None)])]
        self.ivr = {n.name: n for n in IVRNode.search([
                    ('flow.code', '=', 'main')])}
        self.customers = [p for p in Party.search([
                    ('addresses', '!=', None),
                    ('contact_mechanisms.type', '=', 'mobile'),
                    ('id', '!=', self.company.party.id),
                    ], order=[('id', 'ASC')])
            if p.addresses and p.addresses[0].street]
        self.by_phone = {}
        for party in self.customers:
            for mechanism in party.contact_mechanisms:
                if mechanism.type == 'mobile':
                    self.by_phone[mechanism.value_compact] = party
        products = Product.search([('salable', '=', True),
                ('type', 'in', ['goods', 'kit']),
                ('code', 'like', 'TV%')], order=[('code', 'ASC')])
        # Cheaper goods sell more often.
        self.products = products
        self.product_weights = [
            1 / max(float(p.template.list_price), 100) ** 0.6 for p in products]
        self.carriers = {c.code: c for c in Carrier.search([])}
        self.reasons = {r.code: r for r in PauseReason.search([])}

    # -- time --

    def utc(self, day, hour, minute=0, second=0):
        "UTC naive datetime of a local wall-clock time of day"
        extra = dt.timedelta(0)
        if hour >= 24:
            hour, extra = hour - 24, dt.timedelta(days=1)
        local = dt.datetime.combine(day, dt.time(hour, minute, second),
            self.tz) + extra
        return local.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def local(self, moment):
        return moment.replace(tzinfo=dt.timezone.utc).astimezone(self.tz)

    def local_date(self, moment):
        return self.local(moment).date()

    def days(self):
        day = self.first_day
        while day < self.today:
            yield day
            day += dt.timedelta(days=1)

    # -- the whole history --

    def load(self):
        from trytond.transaction import Transaction
        started = dt.datetime.now()
        self.blacklist = self._ensure_blacklist()
        self.new_numbers = self._new_numbers(500)
        calls = []
        for day in self.days():
            calls.extend(self._day_of_calls(day))
        self.calls = calls
        self._record_calls(calls)
        log.debug('calls: %.1f s', (dt.datetime.now() - started
                ).total_seconds())
        with Transaction().set_context(company=self.company.id):
            self.refund_mark = self.last_id('sale_refund')
            for part in [self._orders, self._trackings, self._settlements,
                    self._refunds, self._leads, self._tasks,
                    self._consultations, self._customers,
                    self._backdate_calls]:
                begin = dt.datetime.now()
                part()
                log.debug('%s: %.1f s', part.__name__,
                    (dt.datetime.now() - begin).total_seconds())
        log.info('demo history: %s in %.1f s', ', '.join(
                f'{n} {m}' for m, n in self.counts.items()),
            (dt.datetime.now() - started).total_seconds())
        return self.counts

    @staticmethod
    def cursor():
        from trytond.transaction import Transaction
        return Transaction().connection.cursor()

    def last_id(self, table):
        cursor = self.cursor()
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
        return cursor.fetchone()[0]

    def backdate(self, table, since, moment, column='create_date',
            where='', params=()):
        "Rows of table created after id since were written at moment"
        cursor = self.cursor()
        cursor.execute(f'UPDATE "{table}" SET "{column}" = %s '
            f'WHERE id > %s {where}', (moment, since, *params))
        return cursor.rowcount

    def run_tasks(self):
        """Run the tasks the buttons queued (sale.process after approval),
        as trytond does once a request's transaction is done"""
        from trytond.transaction import Transaction
        Queue = self.pool.get('ir.queue')
        tasks = Transaction().tasks
        while tasks:
            Queue(tasks.pop(0)).run()

    def as_user(self, login):
        from trytond.transaction import Transaction
        return Transaction().set_user(self.users[login].id)

    def count(self, model, n):
        self.counts[model] = self.counts.get(model, 0) + n

    def _ensure_blacklist(self):
        CallerList = self.pool.get('callcenter.caller_list')
        rng = random.Random(SEED + 1)
        numbers = []
        reasons = ['恶意骚扰', '多次恶意拒收', '冒用他人信息下单']
        while len(numbers) < 3:
            number = phone.normalize_or_none(
                rng.choice(data.MOBILE_PREFIXES) + f'{rng.randrange(10**8):08d}')
            if number and number not in self.by_phone:
                numbers.append(number)
        existing = {e.number for e in CallerList.search([
                    ('number', 'in', numbers),
                    ('active', 'in', [True, False])])}
        CallerList.create([{'number': n, 'kind': 'blacklist',
                    'reason': r} for n, r in zip(numbers, reasons)
                if n not in existing])
        return numbers

    def _new_numbers(self, count):
        "Callers not (yet) customers: distinct valid mobile numbers"
        rng = random.Random(SEED + 2)
        numbers = []
        seen = set(self.by_phone) | set(self.blacklist)
        while len(numbers) < count:
            number = rng.choice(data.MOBILE_PREFIXES) \
                + f'{rng.randrange(10**8):08d}'
            normalized = phone.normalize_or_none(number)
            if normalized and normalized not in seen:
                seen.add(normalized)
                numbers.append(normalized)
        return numbers

    # -- calls --

    def _call_times(self, day):
        "(local time, DID) of the day's calls: programmes draw most of them"
        rng = self.rng
        weekend = day.weekday() >= 5
        times = []
        for did in self.dids:
            medium = did.media
            start = dt.datetime.combine(day, medium.start_time)
            end = dt.datetime.combine(day, medium.end_time) \
                + dt.timedelta(minutes=30)
            n = rng.randint(3, 6) + (1 if weekend else 0)
            span = (end - start).total_seconds()
            times.extend((start + seconds(rng.random() * span), did)
                for _ in range(n))
        for _ in range(rng.randint(6, 10)):
            start = dt.datetime.combine(day, dt.time(7))
            times.append((start + seconds(rng.random() * 17 * 3600),
                    rng.choice(self.dids)))
        for _ in range(rng.choice([0, 1, 1, 2])):
            times.append((dt.datetime.combine(day, dt.time(0))
                    + seconds(rng.random() * 7 * 3600), rng.choice(self.dids)))
        return sorted(times, key=lambda t: t[0])

    def _caller(self):
        rng = self.rng
        draw = rng.random()
        if draw < 0.01:
            return rng.choice(self.blacklist), None
        if draw < 0.68:
            party = rng.choice(self.customers)
            number = next(m.value_compact for m in party.contact_mechanisms
                if m.type == 'mobile')
            return number, party
        return rng.choice(self.new_numbers), None

    def _desks(self, day):
        "Each agent on duty that day: shift, pauses, when free"
        desks = {}
        for n, (login, (start, end)) in enumerate(sorted(SHIFTS.items()), 1):
            if day.weekday() == n % 7:
                continue        # day off
            begin = self.utc(day, *start) + seconds(self.rng.randint(-300, 120))
            finish = self.utc(day, *end)
            middle = begin + (finish - begin) / 2
            pauses = [
                [middle, middle + dt.timedelta(minutes=30), 'meal'],
                [begin + dt.timedelta(minutes=self.rng.randint(90, 150)),
                    None, 'break'],
                [finish - dt.timedelta(minutes=self.rng.randint(60, 100)),
                    None, 'break'],
                ]
            if self.rng.random() < 0.15:
                pauses.append([begin + dt.timedelta(minutes=20), None,
                        self.rng.choice(['meeting', 'training'])])
            for pause in pauses:
                if pause[1] is None:
                    pause[1] = pause[0] + seconds(self.rng.randint(300, 720))
                pause[0] = pause[0].replace(microsecond=0)
                pause[1] = pause[1].replace(microsecond=0)
            desks[login] = {'login': login, 'queue': self.queue_of[login],
                'start': begin, 'end': finish, 'free': begin,
                'pauses': sorted(pauses), 'states': [(begin, 'ready', None,
                        None, 'web')], 'idle_since': begin}
        return desks

    def _available(self, desk, moment):
        "When the desk can take a call arriving at moment (None: gone)"
        t = max(desk['free'], moment)
        for start, end, _ in desk['pauses']:
            if start <= t < end:
                t = end
        return t if t < desk['end'] else None

    def _occupy(self, desk, start, until):
        "The agent is busy from start to until: later pauses wait for it"
        desk['free'] = until
        for pause in desk['pauses']:
            if start <= pause[0] < until:
                length = pause[1] - pause[0]
                pause[0], pause[1] = until, until + length

    def _day_of_calls(self, day):
        rng = self.rng
        desks = self._desks(day)
        calls = []
        for n, (local_time, did) in enumerate(self._call_times(day), 1):
            start = self.utc(local_time.date(), local_time.hour,
                local_time.minute, local_time.second)
            if start >= self.cutoff:
                continue
            number, party = self._caller()
            call = {'linkedid': f'{PREFIX}{day:%Y%m%d}-{n:03d}',
                'start': start, 'number': number, 'party': party,
                'did': did, 'desk': None, 'facts': []}
            self._route(call, local_time, desks)
            calls.append(call)
        for desk in desks.values():
            end = max(desk['end'], desk['free'])
            for start, finish, reason in desk['pauses']:
                if finish <= end:
                    desk['states'].append((start, 'paused',
                            self.reasons.get(reason), None, 'web'))
                    desk['states'].append((finish, 'ready', None, None,
                            'web'))
            desk['states'].append((end + seconds(rng.randint(30, 300)),
                    'logged_out', None, None, 'web'))
        self.desks.extend(desks.values())
        return calls

    def _route(self, call, local_time, desks):
        rng = self.rng
        start = call['start']
        number = call['number']
        location = phone.location(number) or ''
        long_distance = bool(location and CENTRE_CITY not in location)
        if number in self.blacklist:
            caller_class = 'blacklist'
        elif call['party'] and call['party'].level == 'vip':
            caller_class = 'vip'
        elif call['party']:
            caller_class = 'customer'
        else:
            caller_class = 'new'
        steps = [{'name': '来电甄别', 'time': start,
                'node': self.ivr['来电甄别'].id, 'key': None}]
        routed = {'kind': 'routed', 'time': start, 'caller': number,
            'linkedid': call['linkedid'], 'uniqueid': call['linkedid'],
            'caller_name': None, 'caller_class': caller_class,
            'caller_location': location or None,
            'long_distance': long_distance, 'did': call['did'].id,
            'called_number': call['did'].number.replace('+86', ''),
            'party': call['party'].id if call['party'] else None,
            'queue': None, 'priority': None, 'outcome': 'queue',
            'record': False, 'recording_path': None, 'steps': steps}
        facts = call['facts']
        facts.append(routed)
        at = start

        def step(name, delay=0, key=None):
            nonlocal at
            at = at + seconds(delay)
            steps.append({'name': name, 'time': at,
                    'node': self.ivr[name].id, 'key': key})

        if caller_class == 'blacklist':
            step('黑名单挂机')
            routed['outcome'] = 'blacklisted'
            call['outcome'] = 'blacklisted'
            facts.append(self._fact('hangup', call, at + seconds(6)))
            return
        step('服务时间')
        if local_time.hour < 7:
            step('非工作时间')
            routed['outcome'] = 'after_hours'
            call['outcome'] = 'after_hours'
            facts.append(self._fact('hangup', call, at + seconds(
                        rng.randint(9, 14))))
            return
        draw = rng.random()
        key = '1' if draw < 0.68 else '2' if draw < 0.95 else None
        step('主菜单', rng.randint(5, 9), key)
        if rng.random() < 0.025:
            # Hung up in the menu.
            call['outcome'] = 'ivr'
            facts.append(self._fact('hangup', call, at + seconds(
                        rng.randint(3, 10))))
            return
        queue = self.queues['service' if key == '2' else 'sales']
        step('售后组' if key == '2' else '订购组', 1)
        priority = queue.long_distance_priority if long_distance else 0
        routed.update(queue=queue.id, priority=priority)
        enter = at + seconds(1)
        call.update(queue=queue, enter=enter)
        facts.append(self._fact('queue_join', call, enter, queue=queue.id,
                caller=number, priority=priority,
                channel=f'PJSIP/carrier-{call["linkedid"][-12:]}'))
        patience = rng.expovariate(1 / 75)
        offers = []
        for desk in desks.values():
            if desk['queue'] != queue.code:
                continue
            when = self._available(desk, enter)
            if when is not None:
                offers.append((when, desk['idle_since'], desk['login']))
        offers.sort()
        if offers and rng.random() < 0.04 and len(offers) > 1:
            # Ring no answer: the first agent lets it ring out.
            when, _, login = offers.pop(0)
            if (when - enter).total_seconds() < patience:
                desk = desks[login]
                ring = queue.ring_timeout or 15
                desk['states'].append((when, 'ringing', None, call,
                        'asterisk'))
                desk['states'].append((when + seconds(ring), 'ready', None,
                        call, 'asterisk'))
                facts.append(self._fact('agent_ringing', call, when,
                        agent=self.agents[login].id))
                facts.append(self._fact('ring_no_answer', call,
                        when + seconds(ring), agent=self.agents[login].id,
                        ring=ring))
                self._occupy(desk, when, when + seconds(ring))
                offers = [(max(w, when + seconds(ring)), i, l)
                    for w, i, l in offers]
                offers.sort()
        max_wait = queue.max_wait or 300
        if not offers or (offers[0][0] - enter).total_seconds() > min(
                patience, max_wait):
            if patience >= max_wait:
                moment = enter + seconds(max_wait)
                facts.append(self._fact('queue_timeout', call, moment))
                call['outcome'] = 'overflow'
            else:
                moment = enter + seconds(max(patience, 3))
                facts.append(self._fact('abandon', call, moment,
                        wait=round((moment - enter).total_seconds())))
                call['outcome'] = 'abandoned'
            facts.append(self._fact('hangup', call, moment + seconds(
                        2 if call['outcome'] == 'abandoned' else 8)))
            return
        when, _, login = offers[0]
        desk = desks[login]
        agent = self.agents[login]
        ring = rng.randint(2, 7)
        connect = when + seconds(ring)
        sales = queue.code == 'sales'
        talk = max(40, min(1500, rng.lognormvariate(5.4 if sales else 5.0,
                        0.5)))
        complete = connect + seconds(talk)
        wrapup = queue.wrapup or 0
        wait = round((connect - enter).total_seconds())
        facts.append(self._fact('agent_ringing', call, when, agent=agent.id))
        facts.append(self._fact('agent_connect', call, connect,
                agent=agent.id, wait=wait, ring=ring))
        facts.append(self._fact('agent_complete', call, complete,
                agent=agent.id, talk=round(talk)))
        facts.append(self._fact('hangup', call, complete + seconds(1)))
        desk['states'].extend([
                (when, 'ringing', None, call, 'asterisk'),
                (connect, 'in_call', None, call, 'asterisk'),
                (complete, 'wrapup' if wrapup else 'ready', None, call,
                    'asterisk')])
        if wrapup:
            desk['states'].append((complete + seconds(wrapup), 'ready',
                    None, call, 'asterisk'))
        self._occupy(desk, when, complete + seconds(wrapup))
        desk['idle_since'] = complete + seconds(wrapup)
        call.update(outcome='answered', desk=login, connect=connect,
            end=complete)

    def _fact(self, kind, call, moment, **values):
        return {'kind': kind, 'time': moment.replace(microsecond=0),
            'linkedid': call['linkedid'], 'uniqueid': call['linkedid'],
            **values}

    def _record_calls(self, calls):
        pool = self.pool
        Call = pool.get('callcenter.call')
        StateLog = pool.get('callcenter.agent.state_log')
        by_day = {}
        for call in calls:
            by_day.setdefault(call['linkedid'][:13], []).append(call)
        records = {}
        for day_calls in by_day.values():
            facts = sorted((f for c in day_calls for f in c['facts']),
                key=lambda f: f['time'])
            for record in Call.apply_facts(self.node, facts):
                records[record.linkedid] = record
        for call in calls:
            call['record'] = records[call['linkedid']]
        self.count('callcenter.call', len(records))
        entries = []
        for desk in self.desks:
            agent = self.agents[desk['login']]
            for moment, state, reason, call, source in desk['states']:
                if moment >= self.cutoff:
                    continue
                entries.append((agent, state, moment.replace(microsecond=0),
                        reason, call['record'] if call else None, source))
        last = self.last_id('callcenter_agent_state_log')
        StateLog.record_many(entries)
        cursor = self.cursor()
        cursor.execute('UPDATE callcenter_agent_state_log '
            'SET create_date = start, write_date = COALESCE("end", start) '
            'WHERE id > %s', (last,))
        self.count('callcenter.agent.state_log', cursor.rowcount)

    def _backdate_calls(self):
        "Calls and their steps were written when they happened"
        cursor = self.cursor()
        cursor.execute('UPDATE callcenter_call SET create_date = start_time, '
            'write_date = COALESCE(end_time, start_time) '
            "WHERE linkedid LIKE %s", (PREFIX + '%',))
        cursor.execute('UPDATE callcenter_call_ivr_step s '
            'SET create_date = s.entered_at FROM callcenter_call c '
            "WHERE s.call = c.id AND c.linkedid LIKE %s", (PREFIX + '%',))

    # -- orders and their reviews --

    def _review_time(self, after, low, high):
        "A reviewer's moment between low and high minutes after, 08-18 h"
        moment = after + seconds(self.rng.uniform(low, high) * 60)
        local = self.local(moment)
        if local.hour < 8 or local.hour >= 18:
            day = local.date() + dt.timedelta(days=1 if local.hour >= 18
                else 0)
            moment = self.utc(day, 8) + seconds(self.rng.uniform(5, 150) * 60)
        return moment

    def _review(self, plan, moment, reviewer, stage, first_try):
        "One review: passed (True), rejected (False), returned (None)"
        returned, rejected = REVIEW_RATES[stage]
        draw = self.rng.random()
        if draw < returned and first_try:
            plan.append((moment, f'return{stage}', reviewer))
            return None
        if draw < rejected:
            plan.append((moment, 'reject', reviewer))
            return False
        plan.append((moment, 'first' if stage == 1 else 'approve', reviewer))
        return True

    def _plan(self, order):
        "The moves of one order, in time: [(moment, action, login)]"
        rng = self.rng
        agent = order['agent']
        moment = order['time'] + seconds(rng.randint(60, 240))
        if rng.random() < 0.03:
            return []       # kept as a draft (the customer will call back)
        plan = [(moment, 'submit', agent)]
        first = rng.choice(FIRST_REVIEWERS)
        second = rng.choice(SECOND_REVIEWERS)
        for attempt in range(3):
            moment = self._review_time(moment, 15, 240)
            passed = self._review(plan, moment, first, 1, attempt == 0)
            if passed:
                moment = self._review_time(moment, 15, 300)
                passed = self._review(plan, moment, second, 2, attempt == 0)
            if passed is not None:
                return plan
            if rng.random() < 0.25:
                return plan     # the agent has not fixed it yet
            moment += seconds(rng.uniform(20, 180) * 60)
            plan.append((moment, 'submit', agent))
        return plan

    def _order_lines(self):
        rng = self.rng
        count = 1 if rng.random() < 0.8 else 2
        products = []
        while len(products) < count:
            product, = rng.choices(self.products, self.product_weights)
            if product not in products:
                products.append(product)
        return [{'type': 'line', 'product': p.id, 'unit': p.sale_uom.id,
                'quantity': 1 if rng.random() < 0.88 else 2,
                'unit_price': p.template.list_price} for p in products]

    def _new_customers(self, orders):
        "New callers who order are saved as customers during the call"
        pool = self.pool
        Party = pool.get('party.party')
        Country = pool.get('country.country')
        Subdivision = pool.get('country.subdivision')
        country, = Country.search([('code', '=', 'CN')])
        provinces = {s.code: s for s in Subdivision.search([
                    ('country', '=', country.id)])}
        rng = random.Random(SEED + 3)
        todo = [o for o in orders if o['party'] is None]
        numbers = {}
        values = []
        for order in todo:
            number = order['call']['number']
            if number in numbers or number in self.by_phone:
                continue
            code, city, districts, postal = rng.choice(data.CITIES)
            numbers[number] = order
            values.append({
                    'name': rng.choice(data.SURNAMES) + ''.join(
                        rng.choice(data.GIVEN)
                        for _ in range(rng.choice([1, 2]))),
                    'source_media': order['call']['did'].media.id,
                    'contact_mechanisms': [('create', [{
                                    'type': 'mobile', 'value': number}])],
                    'addresses': [('create', [{
                                    'country': country.id,
                                    'subdivision': provinces[code].id,
                                    'city': city,
                                    'district': rng.choice(districts),
                                    'street': f'{rng.choice(data.STREETS)}'
                                    f'{rng.randint(1, 999)}号'
                                    f'{rng.choice(data.COMMUNITIES)}'
                                    f'{rng.randint(1, 30)}栋'
                                    f'{rng.randint(101, 2804)}室',
                                    'postal_code': postal
                                    + f'{rng.randrange(1000):03d}',
                                    }])],
                    })
        last = self.last_id('party_party')
        parties = Party.create(values)
        for number, party in zip(numbers, parties):
            self.by_phone[number] = party
            self.backdate('party_party', last, numbers[number]['time'],
                where='AND id = %s', params=(party.id,))
        self.count('party.party (new customers)', len(parties))
        Call = pool.get('callcenter.call')
        for order in todo:
            order['party'] = self.by_phone[order['call']['number']]
            order['call']['party'] = order['party']
        # The agent's new-customer form is linked to the call.
        to_write = []
        for order in todo:
            to_write.extend([[order['call']['record']],
                    {'party': order['party'].id}])
        if to_write:
            Call.write(*to_write)

    def _orders(self):
        pool = self.pool
        Sale = pool.get('sale.sale')
        rng = self.rng
        orders = []
        for call in self.calls:
            if call['outcome'] != 'answered' or call['queue'].code != 'sales':
                continue
            chance = 0.2 if call['party'] else 0.14
            if rng.random() >= chance:
                continue
            orders.append({'call': call, 'agent': call['desk'],
                    'party': call['party'],
                    'time': call['end'] - seconds(rng.randint(20, 90))})
        self._new_customers(orders)
        notes = ['请工作日送货', '送货前请电话联系', '放门卫室', '周末送货',
            '老人在家，请耐心敲门']
        by_agent = {}
        for order in orders:
            party = order['party']
            address = party.addresses[0]
            order['values'] = {
                'company': self.company.id,
                'currency': self.company.currency.id,
                'party': party.id, 'shipment_address': address.id,
                'invoice_address': address.id,
                'call': order['call']['record'].id,
                'media': order['call']['did'].media.id,
                'payment_method': 'cod' if rng.random() < 0.8 else 'prepaid',
                'delivery_notes': rng.choice(notes)
                if rng.random() < 0.2 else None,
                'lines': [('create', self._order_lines())],
                }
            order['plan'] = self._plan(order)
            by_agent.setdefault(order['agent'], []).append(order)
        for login, agent_orders in by_agent.items():
            with self.as_user(login):
                sales = Sale.create([o['values'] for o in agent_orders])
            for order, sale in zip(agent_orders, sales):
                order['sale'] = sale.id
        self.count('sale.sale', len(orders))
        self.orders = orders
        actions = [(moment, action, login, order)
            for order in orders for moment, action, login in order['plan']
            if moment < self.cutoff]
        # Reviewers who took an order and are still on it.
        for order in orders:
            done = [a for a in order['plan'] if a[0] < self.cutoff]
            pending = [a for a in order['plan'] if a[0] >= self.cutoff]
            if done and pending and pending[0][1] in {'first', 'approve'} \
                    and rng.random() < 0.4:
                moment = max(done[-1][0], self.cutoff
                    - seconds(rng.randint(600, 3600)))
                actions.append((moment + seconds(1), 'take' if pending[0][1]
                        == 'first' else 'take2', pending[0][2], order))
        # Day by day, each button pressed once for all the orders it moves
        # that day (as a reviewer works through a list), in rounds so that
        # an order's moves keep their order.
        by_day = {}
        for action in sorted(actions, key=lambda a: a[0]):
            by_day.setdefault(self.local_date(action[0]), []).append(action)
        for day in self.days():
            if day > self.first_day:
                self._run([(self.utc(day, 10), 'ship', 'logistics', None)])
            todo = by_day.get(day, [])
            while todo:
                seen, now, later = set(), [], []
                for action in todo:
                    key = id(action[3])
                    (later if key in seen else now).append(action)
                    seen.add(key)
                groups = {}
                for action in now:
                    groups.setdefault((STAGES.index(action[1]), action[2]),
                        []).append(action)
                for key in sorted(groups):
                    self._run(groups[key])
                todo = later
        self._backdate_orders()

    def _run(self, group):
        "Press one button for a group of orders, as the user who did"
        pool = self.pool
        Sale = pool.get('sale.sale')
        _, action, login, _ = group[0]
        if action == 'ship':
            with self.as_user(login):
                self._ship(group[0][0])
                self.run_tasks()
            return
        sales = Sale.browse([o['sale'] for _, _, _, o in group])
        last = self.last_id('sale_review_log')
        rng = self.rng
        with self.as_user(login):
            if action == 'submit':
                Sale.submit(sales)
            elif action == 'take':
                Sale.take_first_review(sales)
            elif action == 'take2':
                Sale.take_second_review(sales)
            elif action == 'first':
                Sale.take_first_review([s for s in sales
                        if not s.first_reviewer])
                Sale.pass_first_review(Sale.browse(sales))
            elif action == 'approve':
                Sale.take_second_review([s for s in sales
                        if not s.second_reviewer])
                Sale.approve(Sale.browse(sales))
                self.run_tasks()
            elif action in {'return1', 'return2'}:
                for sale in sales:
                    Sale.do_return_to_agent([sale], rng.choice(
                            data.HISTORY_RETURN_REASONS))
            elif action == 'reject':
                for sale in sales:
                    Sale.do_reject([sale], rng.choice(
                            data.HISTORY_REJECT_REASONS))
        for moment, _, _, order in group:
            self.backdate('sale_review_log', last, moment, column='date',
                where='AND sale = %s', params=(order['sale'],))
            self.backdate('sale_review_log', last, moment,
                where='AND sale = %s', params=(order['sale'],))
            order['last'] = moment
            if action == 'approve':
                order['approved'] = moment

    def _backdate_orders(self):
        cursor = self.cursor()
        for order in self.orders:
            approved = order.get('approved')
            cursor.execute('UPDATE sale_sale SET create_date = %s, '
                'write_date = %s, sale_date = COALESCE(%s, sale_date) '
                'WHERE id = %s', (order['time'], order.get('last'),
                    self.local_date(approved) if approved else None,
                    order['sale']))
            cursor.execute('UPDATE sale_line SET create_date = %s '
                'WHERE sale = %s', (order['time'], order['sale']))

    # -- logistics --

    def _courier(self, sale):
        address = sale.shipment_address
        province = address.subdivision.code if address.subdivision else ''
        if province in {'CN-YN', 'CN-SN', 'CN-LN'} or self.rng.random() < 0.1:
            return self.carriers['EMS']
        if sale.total_amount >= 1500 or address.city in {
                '北京市', '上海市', '深圳市', '广州市'}:
            return self.carriers['SF']
        return self.carriers['ZTO']

    def _ship(self, moment):
        "The morning's batches: every approved order waiting, per courier"
        pool = self.pool
        Sale = pool.get('sale.sale')
        Batch = pool.get('tv.shipping.batch')
        day = self.local_date(moment)
        ready = Sale.search([('company', '=', self.company.id),
                ('state', 'in', ['confirmed', 'processing']),
                ('shipping_batch', '=', None),
                ('delivery_status', '=', None)], order=[('id', 'ASC')])
        if not ready:
            return
        by_carrier = {}
        for sale in ready:
            by_carrier.setdefault(self._courier(sale), []).append(sale)
        to_write = []
        for carrier, sales in by_carrier.items():
            to_write.extend([sales, {'carrier': carrier.id}])
        Sale.write(*to_write)
        last = self.last_id('tv_shipping_batch')
        batches = Batch.create([{'carrier': c.id, 'company': self.company.id,
                    'date': day} for c in by_carrier])
        Batch.gather(batches)
        Batch.do_ship(batches)
        exported = moment + seconds(self.rng.randint(600, 3000))
        self.backdate('tv_shipping_batch', last, exported)
        self.backdate('tv_shipping_batch', last, exported,
            column='exported_at')
        self.count('tv.shipping.batch', len(batches))
        cursor = self.cursor()
        ids = [s.id for s in ready]
        cursor.execute('UPDATE stock_shipment_out s '
            'SET effective_date = %s, planned_date = %s, '
            'create_date = LEAST(s.create_date, %s) '
            'FROM stock_move m, sale_line l WHERE '
            "m.shipment = 'stock.shipment.out,' || s.id "
            "AND m.origin = 'sale.line,' || l.id AND l.sale = ANY(%s)",
            (day, day, moment, ids))
        cursor.execute("UPDATE stock_move m SET effective_date = %s, "
            "planned_date = %s FROM stock_shipment_out s "
            "WHERE m.shipment = 'stock.shipment.out,' || s.id "
            "AND s.effective_date = %s AND m.effective_date > %s",
            (day, day, day, day))
        for carrier, sales in by_carrier.items():
            self.shipped.extend((s, carrier, day) for s in sales)

    def _waybill(self, carrier):
        rng = self.rng
        if carrier.code == 'SF':
            return f'SF{rng.randrange(10**13):013d}'
        if carrier.code == 'ZTO':
            return f'7{rng.randrange(10**13):013d}'
        return f'1{rng.randrange(10**12):012d}'

    def _trackings(self):
        """What the couriers reported, imported every three days (and
        yesterday) by the logistics clerk, one file per courier"""
        rng = self.rng
        yesterday = self.today - dt.timedelta(days=1)
        events = {}       # (carrier code, date) -> [(order, waybill, status)]
        self.parcels = {}
        for sale, carrier, shipped in self.shipped:
            waybill = self._waybill(carrier)
            extra = 0 if sale.shipment_address.city in {
                '上海市', '杭州市', '南京市', '苏州市', '宁波市'} else \
                rng.randint(1, 3)
            draw = rng.random()
            steps = [(shipped, 'picked_up'),
                (shipped + dt.timedelta(days=1), 'in_transit')]
            outcome = shipped + dt.timedelta(days=1 + extra
                + rng.randint(1, 2))
            if draw < 0.86:
                steps.append((outcome, 'delivered'))
            elif draw < 0.94:
                steps.append((outcome, 'refused'))
                steps.append((outcome + dt.timedelta(
                            days=rng.randint(3, 6)), 'returned'))
            elif draw < 0.95:
                steps.append((outcome + dt.timedelta(days=4), 'lost'))
            self.parcels[sale.id] = (sale, carrier, waybill, steps)
            for date, status in steps:
                if date <= yesterday:
                    events.setdefault((carrier.code, date), []).append(
                        (sale.number, waybill, status))
        import_days = [d for d in self.days()
            if (d - self.first_day).days % 3 == 2 or d == yesterday]
        words = {'picked_up': '已揽收', 'in_transit': '运输中',
            'delivered': '已签收', 'refused': '拒收', 'returned': '退回',
            'lost': '丢失'}
        since = self.first_day
        for day in import_days:
            for code, carrier in sorted(self.carriers.items()):
                rows = [(number, waybill, words[status], date)
                    for (c, date), items in sorted(events.items())
                    if c == code and since <= date <= day
                    for number, waybill, status in items]
                if rows:
                    self._import_tracking(carrier, day, rows)
            since = day + dt.timedelta(days=1)

    def _import_tracking(self, carrier, day, rows):
        pool = self.pool
        Import = pool.get('tv.tracking.import')
        lines = ['订单号,运单号,物流状态,状态日期']
        lines.extend(f'{n},{w},{s},{d.isoformat()}' for n, w, s, d in rows)
        content = ('\n'.join(lines) + '\n').encode('utf-8')
        moment = self.utc(day, 17) + seconds(self.rng.randint(0, 3600))
        marks = {t: self.last_id(t) for t in ['tv_tracking_import',
                'sale_tracking', 'sale_review_log', 'sale_refund',
                'stock_shipment_out_return']}
        with self.as_user('logistics'):
            import_, = Import.create([{'carrier': carrier.id,
                        'file': content,
                        'filename': f'{carrier.code}-{day:%Y%m%d}.csv'}])
            Import.process([import_])
        for table, last in marks.items():
            self.backdate(table, last, moment)
        self.backdate('sale_review_log', marks['sale_review_log'], moment,
            column='date')
        self.backdate('sale_refund', marks['sale_refund'], day,
            column='date')
        self.count('tv.tracking.import', 1)

    def _settlements(self):
        """Weekly COD statements per courier for the parcels signed up to
        three days before; all confirmed but the latest of one courier"""
        pool = self.pool
        Sale = pool.get('sale.sale')
        Settlement = pool.get('tv.settlement')
        rng = self.rng
        statement_days = [d for d in self.days() if d.weekday() == 0
            and d - self.first_day >= dt.timedelta(days=7)]
        settled = set()
        created = []
        for day in statement_days:
            for _, carrier in sorted(self.carriers.items()):
                sales = Sale.search([('carrier', '=', carrier.id),
                        ('payment_method', '=', 'cod'),
                        ('delivery_status', '=', 'delivered'),
                        ('delivered_date', '<=', day - dt.timedelta(days=3)),
                        ('settlement_line', '=', None),
                        ('id', 'not in', list(settled))],
                    order=[('delivered_date', 'ASC'), ('id', 'ASC')])
                rows = []
                for sale in sales:
                    draw = rng.random()
                    amount = sale.total_amount
                    if draw < 0.015:
                        continue        # missing from the statement
                    elif draw < 0.045:
                        amount -= Decimal(rng.choice([10, 20, 50, 100]))
                    elif draw < 0.06:
                        amount += Decimal(rng.choice([5, 10]))
                    settled.add(sale.id)
                    rows.append((sale.tracking_number, sale.number, amount))
                if not rows:
                    continue
                if rng.random() < 0.3:
                    rows.append((self._waybill(carrier), '', Decimal(
                                rng.choice([199, 399, 598]))))
                created.append(self._statement(carrier, day, rows))
        latest = [s for s in created if s[1] == self.carriers['ZTO']]
        for settlement, carrier, day in created:
            if latest and settlement == latest[-1][0]:
                continue
            moment = self.utc(day, 15) + seconds(rng.randint(0, 7200))
            with self.as_user('finance'):
                Settlement.confirm([settlement])
            cursor = self.cursor()
            cursor.execute('UPDATE tv_settlement SET write_date = %s '
                'WHERE id = %s', (moment, settlement.id))
        self.count('tv.settlement', len(created))

    def _statement(self, carrier, day, rows):
        Settlement = self.pool.get('tv.settlement')
        lines = ['运单号,订单号,代收货款']
        lines.extend(f'{w},{n},{a}' for w, n, a in rows)
        content = ('\n'.join(lines) + '\n').encode('utf-8')
        moment = self.utc(day, 11) + seconds(self.rng.randint(0, 3600))
        last = self.last_id('tv_settlement')
        line = self.last_id('tv_settlement_line')
        with self.as_user('finance'):
            settlement, = Settlement.create([{'carrier': carrier.id,
                        'company': self.company.id, 'date': day,
                        'reference': f'{carrier.code}-COD-{day:%Y%m%d}',
                        'file': content,
                        'filename': f'{carrier.code}-cod-{day:%Y%m%d}.csv'}])
            Settlement.import_statement([settlement])
        self.backdate('tv_settlement', last, moment)
        self.backdate('tv_settlement_line', line, moment)
        return settlement, carrier, day

    # -- refunds --

    def _refunds(self):
        """After-sales refunds on signed parcels, requested by the agent who
        took the order; managers approve, finance pays"""
        pool = self.pool
        Refund = pool.get('sale.refund')
        Sale = pool.get('sale.sale')
        rng = self.rng
        yesterday = self.today - dt.timedelta(days=1)
        last = self.last_id('sale_refund')
        requests = []
        for sale_id, (sale, _, _, steps) in sorted(self.parcels.items()):
            signed = [d for d, s in steps if s == 'delivered']
            if not signed or signed[0] > yesterday - dt.timedelta(days=1) \
                    or rng.random() >= 0.07:
                continue
            day = min(signed[0] + dt.timedelta(days=rng.randint(1, 5)),
                yesterday)
            sale = Sale(sale_id)
            goods = [l for l in sale.lines
                if l.type == 'line' and not l.is_gift]
            if rng.random() < 0.7:
                line = rng.choice(goods)
                values = {'lines': [('create', [{'sale_line': line.id,
                                    'quantity': 1}])],
                    'amount': line.unit_price,
                    'reason': rng.choice(data.HISTORY_REFUND_REASONS)}
            else:
                values = {'amount': Decimal(rng.choice([30, 50, 80, 100])),
                    'reason': rng.choice(data.HISTORY_COMPENSATIONS)}
            if values['amount'] > sale.total_amount:
                continue
            requests.append((sale, day, values))
        by_agent = {}
        for sale, day, values in requests:
            by_agent.setdefault(sale.entered_by.login, []).append(
                (sale, day, values))
        for login, items in sorted(by_agent.items()):
            for sale, day, values in items:
                moment = self.utc(day, 10) + seconds(rng.randint(0, 36000))
                mark = self.last_id('sale_review_log')
                with self.as_user(login):
                    refund, = Refund.create([{'sale': sale.id, 'date': day,
                                **values}])
                    Refund.request([refund])
                self.backdate('sale_review_log', mark, moment, column='date')
                self.backdate('sale_review_log', mark, moment)
                self.backdate('sale_refund', last, moment,
                    where='AND id = %s', params=(refund.id,))
        # Those the refused prepaid parcels opened, and the above.
        refunds = Refund.search([('id', '>', 0), ('state', '=', 'requested'),
                ('date', '<', self.today)], order=[('date', 'ASC')])
        for refund in refunds:
            approve = refund.date + dt.timedelta(days=rng.randint(0, 2))
            if approve > yesterday or rng.random() < 0.15:
                continue
            with self.as_user('manager'):
                Refund.approve([refund])
            pay = approve + dt.timedelta(days=rng.randint(1, 2))
            if pay > yesterday or rng.random() < 0.15:
                continue
            with self.as_user('finance'):
                Refund.pay([refund])
            cursor = self.cursor()
            cursor.execute('UPDATE sale_refund SET paid_date = %s, '
                'write_date = %s WHERE id = %s',
                (pay, self.utc(pay, 14), refund.id))
        self.count('sale.refund', Refund.search_count([
                    ('id', '>', self.refund_mark)]))

    # -- leads, task orders, consultations, customers --

    def _leads(self):
        """Every call without an order counts on its number's lead (the
        scheduler's rule); team leaders hand out the older ones, agents
        call back"""
        pool = self.pool
        Lead = pool.get('tv.lead')
        rng = self.rng
        ordered = {o['call']['linkedid'] for o in self.orders}
        last = self.last_id('tv_lead')
        # The leads of the last ten days (older ones were worked through).
        since = self.cutoff - dt.timedelta(days=LEAD_DAYS)
        for call in self.calls:
            if (call['linkedid'] in ordered or call['start'] < since
                    or call['outcome'] == 'blacklisted'):
                continue
            Lead.add_call(call['record'])
        cursor = self.cursor()
        cursor.execute('UPDATE tv_lead SET create_date = first_date, '
            'write_date = last_date WHERE id > %s', (last,))
        leads = Lead.search([('id', '>', last)], order=[('id', 'ASC')])
        self.count('tv.lead', len(leads))
        self.leads = leads
        sales_agents = [login for login, queue in sorted(
                self.queue_of.items()) if queue == 'sales']
        horizon = self.cutoff - dt.timedelta(days=1)
        turn = 0
        for lead in leads:
            if lead.last_date >= horizon or rng.random() >= 0.75:
                continue
            login = sales_agents[turn % len(sales_agents)]
            turn += 1
            assigned = min(lead.last_date + seconds(
                    rng.uniform(2, 20) * 3600), self.cutoff
                - dt.timedelta(hours=1))
            with self.as_user('leader01'):
                Lead.assign([lead], [self.users[login].id])
            cursor.execute('UPDATE tv_lead SET assigned_at = %s, '
                'write_date = %s WHERE id = %s',
                (assigned, assigned, lead.id))
            draw = rng.random()
            done = assigned + seconds(rng.uniform(1, 30) * 3600)
            if done >= self.cutoff or draw >= 0.6:
                continue
            with self.as_user(login):
                if draw < 0.45:
                    Lead.contacted([lead])
                else:
                    Lead.invalid([lead])
            cursor.execute('UPDATE tv_lead SET write_date = %s '
                'WHERE id = %s', (done, lead.id))

    def _task(self, values, created, login, creator):
        "One task order: created by creator, done or not by login"
        Task = self.pool.get('tv.task')
        rng = self.rng
        last = self.last_id('tv_task')
        with self.as_user(creator):
            task, = Task.create([{**values,
                        'assigned_to': self.users[login].id}])
        self.backdate('tv_task', last, created)
        due = values['due']
        if due < self.cutoff - dt.timedelta(hours=12):
            draw = rng.random()
            when = due + seconds(rng.uniform(-90, 240) * 60)
            if draw < 0.85:
                with self.as_user(login):
                    Task.done([task])
                    Task.write([task], {'result': rng.choice(
                                data.HISTORY_TASK_RESULTS)})
                self.cursor().execute('UPDATE tv_task SET done_at = %s, '
                    'write_date = %s WHERE id = %s', (when, when, task.id))
            elif draw < 0.92:
                with self.as_user(login):
                    Task.cancel([task])
        return task

    def _tasks(self):
        rng = self.rng
        count = 0
        sales_agents = [login for login, queue in sorted(
                self.queue_of.items()) if queue == 'sales']
        lost = [c for c in self.calls if c['outcome'] in {
                'abandoned', 'overflow'} and c['party']]
        for call in rng.sample(lost, min(30, len(lost))):
            end = call['record'].end_time
            self._task({'name': f'回拨未接来电 {phone.national(call["number"])}',
                    'kind': 'callback', 'party': call['party'].id,
                    'phone': call['number'], 'call': call['record'].id,
                    'due': (end + dt.timedelta(hours=2)).replace(
                        microsecond=0),
                    'description': '客户排队时挂机，请尽快回拨。'},
                end + seconds(600), rng.choice(sales_agents), 'leader01')
            count += 1
        for _, (sale, _, _, steps) in sorted(self.parcels.items()):
            refused = [d for d, s in steps if s == 'refused']
            if not refused or refused[0] >= self.today:
                continue
            created = self.utc(refused[0], 18)
            self._task({'name': f'拒收回访 {sale.number}',
                    'kind': 'follow_up', 'party': sale.party.id,
                    'phone': sale.shipment_phone, 'sale': sale.id,
                    'due': self.utc(refused[0] + dt.timedelta(days=1), 11),
                    'description': '客户拒收包裹，请回访了解原因。'},
                created, sale.entered_by.login, 'leader01')
            count += 1
        service = [c for c in self.calls if c['outcome'] == 'answered'
            and c['queue'].code == 'service' and c['party']]
        for call in rng.sample(service, min(15, len(service))):
            end = call['record'].end_time
            self._task({'name': '售后跟进：' + rng.choice(
                        data.HISTORY_AFTER_SALES),
                    'kind': 'after_sales', 'party': call['party'].id,
                    'phone': call['number'], 'call': call['record'].id,
                    'due': (end + dt.timedelta(days=1)).replace(
                        microsecond=0)},
                end + seconds(60), call['desk'], 'leader02')
            count += 1
        self.count('tv.task', count)

    def _consultations(self):
        Consultation = self.pool.get('tv.consultation')
        rng = self.rng
        ordered = {o['call']['linkedid'] for o in self.orders}
        values = []
        for call in self.calls:
            if call['outcome'] != 'answered' or call['linkedid'] in ordered:
                continue
            chance = 0.35 if call['queue'].code == 'service' else 0.1
            if rng.random() >= chance:
                continue
            product = rng.choice(self.products)
            question, answer = rng.choice(data.HISTORY_QUESTIONS)
            values.append({'date': call['connect'].replace(microsecond=0),
                    'party': call['party'].id if call['party'] else None,
                    'phone': call['number'], 'call': call['record'].id,
                    'media': call['did'].media.id, 'product': product.id,
                    'question': question.format(product=product.name),
                    'answer': answer,
                    'agent': self.users[call['desk']].id,
                    'create_date': call['end']})
        last = self.last_id('tv_consultation')
        Consultation.create([{k: v for k, v in c.items()
                    if k != 'create_date'} for c in values])
        cursor = self.cursor()
        cursor.execute('UPDATE tv_consultation SET create_date = date '
            'WHERE id > %s', (last,))
        self.count('tv.consultation', len(values))

    def _customers(self):
        "Regular buyers become long-term customers, the best ones VIP"
        Party = self.pool.get('party.party')
        totals = {}
        for order in self.orders:
            if order.get('approved'):
                party = order['party']
                count, amount = totals.get(party.id, (0, Decimal(0)))
                totals[party.id] = (count + 1, amount + sum(
                        Decimal(str(l['quantity'])) * l['unit_price']
                        for l in order['values']['lines'][0][1]))
        vip = [p for p, (n, a) in totals.items() if n >= 3 or a >= 6000]
        regular = [p for p, (n, a) in totals.items() if n >= 2]
        to_write = []
        if vip:
            to_write.extend([Party.browse(vip), {'level': 'vip'}])
        if regular:
            to_write.extend([Party.browse(regular), {'long_term': True}])
        if to_write:
            Party.write(*to_write)
        self.count('party.party (VIP)', len(vip))
        self.count('party.party (long-term)', len(regular))
