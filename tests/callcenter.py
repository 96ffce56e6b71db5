"""Building call-center set-ups in the test database and placing calls.

Everything a test creates is named so remove_test_data can find it: queue,
flow, skill and prompt codes start with "t_", extensions with 7, DIDs are
400-9xx numbers, users' logins start with "pt_".
"""
import asyncio
import datetime as dt
import itertools
import time

from tvcc import phone

from helpers import EventLog, ami_session

_counter = itertools.count(int(time.time()) % 90 * 100)

TEST_DID_PREFIX = '+86400900'
AGENT_PASSWORD = 'pytest-agent-2026'


def unique(prefix=''):
    return f'{prefix}{next(_counter)}'


def local_caller():
    "A Shanghai landline: a local caller for a centre in 上海市"
    return f'021{next(_counter) % 10**8:08d}'.replace('0210', '0216', 1)


def distant_caller():
    "A Beijing landline: a long-distance caller"
    return f'010{next(_counter) % 10**8:08d}'.replace('0100', '0106', 1)


def test_did():
    "A valid 400 number no one else uses"
    return f'40090{next(_counter) % 100000:05d}'


def remove_test_campaigns(pool, queues):
    "Outbound campaigns of the test queues, their numbers and attempts"
    Campaign = pool.get('dialer.campaign')
    Attempt = pool.get('dialer.attempt')
    Number = pool.get('dialer.number')
    DNC = pool.get('dialer.dnc')
    campaigns = Campaign.search(['OR', ('queue', 'in', queues),
            ('name', 'like', 't\\_%')])
    Attempt.delete(Attempt.search([('campaign', 'in', campaigns)]))
    Number.delete(Number.search([('campaign', 'in', campaigns)]))
    # Only a draft campaign may be deleted.
    Campaign.write(campaigns, {'state': 'draft'})
    Campaign.delete(campaigns)
    DNC.delete(DNC.search([('reason', '=', 'pytest')]))


def remove_test_data(pool):
    "Delete what earlier runs created (a crashed run leaves some behind)"
    Call = pool.get('callcenter.call')
    Agent = pool.get('callcenter.agent')
    User = pool.get('res.user')
    Queue = pool.get('callcenter.queue')
    Member = pool.get('callcenter.queue.member')
    Flow = pool.get('callcenter.ivr.flow')
    DID = pool.get('callcenter.did')
    Calendar = pool.get('callcenter.calendar')
    CallerList = pool.get('callcenter.caller_list')
    Skill = pool.get('callcenter.skill')
    StateLog = pool.get('callcenter.agent.state_log')
    Configuration = pool.get('callcenter.configuration')
    Party = pool.get('party.party')
    agents = Agent.search([('extension', 'like', '7%'),
            ('active', 'in', [True, False])])
    queues = Queue.search([('code', 'like', 't_%'),
            ('active', 'in', [True, False])])
    remove_test_campaigns(pool, queues)
    config = Configuration(1)
    if config.default_queue in queues:
        demo = Queue.search([('code', '=', 'sales')], limit=1)
        config.default_queue = demo[0] if demo else None
        config.save()
    Call.delete(Call.search(['OR', ('agent', 'in', agents),
                ('queue', 'in', queues),
                ('did.number', 'like', f'{TEST_DID_PREFIX}%'),
                ('node.code', '=', 'pytest')]))
    StateLog.delete(StateLog.search([('agent', 'in', agents)]))
    DID.delete(DID.search([('number', 'like', f'{TEST_DID_PREFIX}%'),
                ('active', 'in', [True, False])]))
    flows = Flow.search([('code', 'like', 't_%'),
            ('active', 'in', [True, False])])
    Flow.write(flows, {'entry': None})
    Flow.delete(flows)
    Party.write(Party.search([('account_queue', 'in', queues)]),
        {'account_queue': None})
    Queue.write(queues, {'overflow_queue': None, 'overflow_action': None,
            'max_wait': None})
    Member.delete(Member.search([('queue', 'in', queues)]))
    Queue.delete(queues)
    Member.delete(Member.search([('agent', 'in', agents)]))
    Agent.delete(agents)
    users = User.search([('login', 'like', 'pt_%'),
            ('active', 'in', [True, False])])
    for user in users:
        user.login = f'pt_old_{user.id}'
        user.active = False
    User.save(users)
    Calendar.delete(Calendar.search([('name', 'like', 't_%'),
                ('active', 'in', [True, False])]))
    CallerList.delete(CallerList.search([('reason', '=', 'pytest'),
                ('active', 'in', [True, False])]))
    Skill.delete(Skill.search([('code', 'like', 't_%')]))


class CallCenter:
    "Creates a set-up in the database and drives calls through Asterisk"

    def __init__(self, tryton, instance, node_id, bridge=None):
        self.tryton = tryton
        self.instance = instance
        self.node_id = node_id
        self.bridge = bridge

    def bridge_log(self, *words):
        "The bridge's log lines holding any of words (for failure messages)"
        if self.bridge is None:
            return ''
        return '\n'.join(line for line in self.bridge.log().splitlines()
            if any(w in line for w in words))[-3000:]

    def call_db(self, function, *args):
        return self.tryton.call(function, *args)

    # -- configuration --

    def agents(self, count, skills=None, role=None):
        """Create count simulated agents; return their extensions.

        role: a role of tv_callcenter/roles.xml (e.g. 'role_agent') gives
        the users the menus and rights of that job, as in the web client."""
        def make(pool):
            User = pool.get('res.user')
            Agent = pool.get('callcenter.agent')
            Skill = pool.get('callcenter.skill')
            ModelData = pool.get('ir.model.data')
            group = ModelData.get_id('tv_callcenter', 'group_agent')
            language, = pool.get('ir.lang').search([('code', '=', 'zh_CN')])
            extensions, users = [], []
            for index in range(count):
                ext = f'7{next(_counter) % 10000:04d}'
                while Agent.search([('extension', '=', ext),
                            ('active', 'in', [True, False])]):
                    ext = f'7{next(_counter) % 10000:04d}'
                values = {'login': f'pt_{ext}', 'name': f'测试坐席{ext}',
                    'password': AGENT_PASSWORD,
                    'groups': [('add', [group])]}
                if role:
                    values['language'] = language
                    values['roles'] = [('create', [{'role': ModelData.get_id(
                                        'tv_callcenter', role)}])]
                user, = User.create([values])
                users.append(user)
                agent_skills = []
                for code, level in (skills[index] if skills else {}).items():
                    skill = Skill.search([('code', '=', code)], limit=1)
                    skill = skill[0] if skill else Skill.create(
                        [{'code': code, 'name': code}])[0]
                    agent_skills.append({'skill': skill, 'level': level})
                Agent.create([{'user': user, 'extension': ext,
                            'device': 'simulated',
                            'skills': [('create', agent_skills)]}])
                extensions.append(ext)
            if role:
                User.sync_roles(users)
            return extensions
        return self.call_db(make)

    def queue(self, extensions, strategy='linear', **values):
        "Create a queue whose members are the agents, in that order"
        code = unique('t_q')

        def make(pool):
            Queue = pool.get('callcenter.queue')
            Agent = pool.get('callcenter.agent')
            Skill = pool.get('callcenter.skill')
            agents = {a.extension: a for a in Agent.search(
                    [('extension', 'in', extensions)])}
            record = dict(code=code, name=f'测试队列 {code}',
                strategy=strategy, ring_timeout=3, retry=1, wrapup=0,
                recording='none', members=[('create', [
                            {'agent': agents[e].id, 'sequence': i}
                            for i, e in enumerate(extensions)])])
            if 'skill' in values:
                values['skill'] = Skill.search(
                    [('code', '=', values['skill'])])[0].id
            record.update(values)
            return Queue.create([record])[0].id
        return code, self.call_db(make)

    def queue_with_number(self, agents=1, **queue_values):
        """Agents (a count or extensions), a queue of them, a number dialling
        it; the agents logged in. Return (extensions, queue code, number)"""
        extensions = self.agents(agents) if isinstance(agents, int) \
            else agents
        code, queue_id = self.queue(extensions, **queue_values)
        number = self.did(queue=queue_id)
        self.presence(extensions, 'login')
        return extensions, code, number

    def did(self, queue=None, flow=None):
        number = test_did()

        def make(pool):
            DID = pool.get('callcenter.did')
            DID.create([{'number': number, 'queue': queue, 'flow': flow}])
        self.call_db(make)
        return number

    def flow(self, build):
        """Create a flow: build(pool, node) creates nodes with
        node(name, type, **values) and returns the entry node"""
        code = unique('t_f')

        def make(pool):
            Flow = pool.get('callcenter.ivr.flow')
            Node = pool.get('callcenter.ivr.node')
            flow, = Flow.create([{'code': code, 'name': code}])

            def node(name, type_, options=None, **values):
                record, = Node.create([{'flow': flow, 'name': name,
                            'type': type_, **values}])
                if options:
                    pool.get('callcenter.ivr.option').create([
                            {'node': record, 'match': match,
                                'target': target}
                            for match, target in options.items()])
                return record
            entry = build(pool, node)
            flow.entry = entry
            flow.save()
            return flow.id
        return self.call_db(make)

    def prompt(self, code, text):
        def make(pool):
            Prompt = pool.get('callcenter.prompt')
            found = Prompt.search([('code', '=', code)], limit=1)
            if found:
                return found[0].id
            return Prompt.create([{'code': code, 'name': code,
                        'text': text}])[0].id
        return self.call_db(make)

    def presence(self, extensions, action, reason=None):
        "login, pause, resume or logout the agents, as their buttons do"
        def make(pool):
            Agent = pool.get('callcenter.agent')
            PauseReason = pool.get('callcenter.pause_reason')
            agents = Agent.search([('extension', 'in', extensions)])
            if reason:
                Agent.write(agents, {'pause_reason': PauseReason.search(
                            [('code', '=', reason)])[0].id})
            getattr(Agent, action)(agents)
        self.call_db(make)

    def agent_button(self, extension, button):
        "Press an agent-desk button as that agent's user"
        def press(pool):
            from trytond.transaction import Transaction
            Agent = pool.get('callcenter.agent')
            agent, = Agent.search([('extension', '=', extension)])
            with Transaction().set_user(agent.user.id), \
                    Transaction().set_context(_check_access=True):
                getattr(Agent, button)([Agent(agent.id)])
        self.call_db(press)

    def set_default_queue(self, queue_id):
        def make(pool):
            Configuration = pool.get('callcenter.configuration')
            config = Configuration(1)
            previous = config.default_queue.id \
                if config.default_queue else None
            config.default_queue = queue_id
            config.save()
            return previous
        return self.call_db(make)

    # -- waiting for the bridge --

    def applied(self):
        def read(pool):
            node = pool.get('callcenter.node')(self.node_id)
            serial = pool.get('callcenter.configuration').get_serial()
            return serial, node.config_applied_serial
        serial, applied = self.call_db(read)
        return serial == applied

    async def wait_members(self, ami, queue_code, extensions, paused=None,
            timeout=20, ordered=False):
        """Wait until Asterisk's members of queue are exactly extensions
        (in that order if ordered: only linear queues keep an order)"""
        deadline = time.monotonic() + timeout
        while True:
            status = await ami.action(
                {'Action': 'QueueStatus', 'Queue': queue_code}, as_list=True)
            members = [e for e in status if e.get('Event') == 'QueueMember']
            names = [m.get('Name') for m in members]
            paused_ok = paused is None or all(
                (m.get('Paused') == '1') == (m.get('Name') in paused)
                for m in members)
            same = names == list(extensions) if ordered \
                else sorted(names) == sorted(extensions)
            if same and paused_ok:
                return members
            if time.monotonic() > deadline:
                raise AssertionError(
                    f'queue {queue_code}: members {names}, wanted '
                    f'{list(extensions)}')
            await asyncio.sleep(0.2)

    async def wait_applied(self, timeout=30):
        "Wait until the bridge has rendered the current configuration"
        deadline = time.monotonic() + timeout
        while not self.applied():
            if time.monotonic() > deadline:
                raise AssertionError('the bridge did not apply the '
                    'configuration')
            await asyncio.sleep(0.2)

    async def wait_ready(self, ami, queue_code, extensions, paused=None,
            ordered=False):
        await self.wait_applied()
        return await self.wait_members(ami, queue_code, extensions, paused,
            ordered=ordered)

    # -- calls --

    @staticmethod
    async def simulate_agents(ami, behaviours):
        "behaviours: {extension: 'answer_after,talk' or 'never'}"
        from telephony.simulate import script_agent
        for ext, behaviour in behaviours.items():
            await script_agent(ami, ext, behaviour)

    @staticmethod
    async def call(ami, did, caller, keys='', delay=1, hold=30, tone=''):
        """Place a call from caller into did (saying a tone of `tone` Hz
        when given); return its linked id"""
        tone = f',TVCC_SIM_TONE={tone}' if tone else ''
        response = await ami.action({
                'Action': 'Originate',
                'Channel': 'Local/s@tvcc-caller/n',
                'Context': 'tvcc-inbound', 'Exten': phone.national(did)
                if did.startswith('+') else did,
                'Priority': 1, 'Async': 'true',
                'CallerID': f'"测试" <{caller}>',
                'Variable': f'TVCC_SIM_DELAY={delay},TVCC_SIM_KEYS={keys},'
                f'TVCC_SIM_HOLD={hold}{tone}'})
        assert response.success, response
        return None

    @staticmethod
    async def linkedid_of(events, caller, timeout=20):
        "The linked id of the call from caller, once it reaches the trunk"
        event = await events.wait(
            lambda e: e.get('Event') == 'VarSet'
            and e.get('Variable') in {'TVCC_DID', '__TVCC_DID'}
            and e.get('CallerIDNum') == caller,
            timeout=timeout, what=f'the call from {caller}')
        return event.get('Linkedid')

    async def place(self, ami, events, did, caller=None, **values):
        "Call did (from caller, or a new local number); return its linked id"
        caller = caller or local_caller()
        await self.call(ami, did, caller, **values)
        return await self.linkedid_of(events, caller)

    def wait_recording(self, linkedid, timeout=20):
        "The call record once its recording is stored"
        deadline = time.monotonic() + timeout
        while True:
            record = self.record(linkedid)
            if record['recording_size'] or time.monotonic() > deadline:
                return record
            time.sleep(0.5)

    def record(self, linkedid, timeout=20, ended=True):
        "The call record of linkedid (waiting until it has ended)"
        deadline = time.monotonic() + timeout

        def read(pool):
            Call = pool.get('callcenter.call')
            calls = Call.search([('linkedid', '=', linkedid)])
            if not calls:
                return None
            call = calls[0]
            return {
                'id': call.id, 'state': call.state,
                'disposition': call.disposition, 'queue':
                call.queue.code if call.queue else None,
                'agent': call.agent.extension if call.agent else None,
                'caller': call.caller, 'caller_class': call.caller_class,
                'priority': call.priority,
                'wait': call.wait_duration.total_seconds()
                if call.wait_duration is not None else None,
                'talk': call.talk_duration.total_seconds()
                if call.talk_duration is not None else None,
                'ring': call.ring_duration.total_seconds()
                if call.ring_duration is not None else None,
                'rona_count': call.rona_count,
                'ronas': [r.agent.extension for r in call.ronas],
                'steps': [(s.name, s.key) for s in call.ivr_steps],
                'enter_time': call.enter_time,
                'connect_time': call.connect_time,
                'end_time': call.end_time,
                'party': call.party.id if call.party else None,
                'record': call.record,
                'recording_size': call.recording_size,
                'recording_duration': call.recording_duration,
                'route_outcome': call.route_outcome,
                }
        while True:
            found = self.call_db(read)
            if found and (not ended or found['state'] == 'ended'):
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f'no {"ended " if ended else ""}call record for '
                    f'{linkedid}: {found}')
            time.sleep(0.3)


def linked(event):
    "The call an event belongs to (the agent side when the caller is gone)"
    return event.get('Linkedid') or event.get('DestLinkedid')


async def ended(events, linkedid, timeout=30):
    """Wait for the call's own channel to hang up (Asterisk does not always
    send AgentComplete when the agent's Local channel ends the call)"""
    return await events.wait(lambda e: e.get('Event') == 'Hangup'
        and e.get('Uniqueid') == linkedid, timeout=timeout,
        what=f'the end of call {linkedid}')


def connects(events, linkedids=None):
    "[(linkedid, agent extension)] of AgentConnect events, in order"
    return [(linked(e), e.get('MemberName')) for e in events.events
        if e.get('Event') == 'AgentConnect'
        and (linkedids is None or linked(e) in linkedids)]


def called(events, linkedid):
    "Agent extensions rung for a call, in order"
    return [e.get('MemberName') for e in events.events
        if e.get('Event') == 'AgentCalled' and linked(e) == linkedid]


__all__ = ['CallCenter', 'EventLog', 'ami_session', 'connects', 'called',
    'remove_test_data', 'unique', 'dt']
