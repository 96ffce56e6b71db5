"""Where a call goes: caller classification, the IVR walk, queue priority
and recording. Pure decisions on a Snapshot; the FastAGI route supplies the
caller's voice menu I/O and the database lookups.
"""
import datetime as dt
from dataclasses import dataclass, field

from tvcc import phone
from trytond.modules.tv_callcenter.calendar import calendar_state

# Strongest first: a blacklisted VIP is still blacklisted.
CLASS_PRECEDENCE = ['blacklist', 'vip', 'company', 'customer', 'new']
MAX_STEPS = 50


@dataclass
class Caller:
    raw: str
    number: str | None           # E.164, None when not a valid number
    location: str = ''
    long_distance: bool = False
    lists: frozenset = frozenset()   # 'blacklist', 'vip'
    party: int | None = None
    account_queue: int | None = None
    lookup_failed: bool = False

    @property
    def classes(self):
        "Every class the caller belongs to"
        found = set(self.lists)
        if self.account_queue:
            found.add('company')
        if self.party:
            found.add('customer')
        if not found:
            found.add('new')
        return found

    @property
    def caller_class(self):
        "The strongest class (what the call record shows)"
        classes = self.classes
        return next(c for c in CLASS_PRECEDENCE if c in classes)


@dataclass
class Step:
    name: str
    time: dt.datetime
    node: int | None = None
    key: str | None = None

    def as_fact(self):
        return {'name': self.name, 'time': self.time, 'node': self.node,
            'key': self.key}


@dataclass
class Decision:
    action: str                  # queue, agent, voicemail, hangup
    queue: int | None = None
    agent: int | None = None
    mailbox: str | None = None
    prompt: int | None = None
    priority: int = 0
    record: bool = False
    outcome: str = 'queue'       # queue, blacklisted, after_hours, ...
    steps: list = field(default_factory=list)


def is_long_distance(location, centre_city):
    "A caller from outside the centre's city (unknown location: local)"
    return bool(location and centre_city and centre_city not in location)


def classify(snapshot, raw, today=None, party=None, account_queue=None,
        lookup_failed=False, party_level=None):
    """Build the Caller of a raw caller id

    The caller lists and the customer's level (VIP, blacklisted) both count.
    """
    today = today or dt.date.today()
    # A local landline some trunks send without its area code is the
    # centre's area's number (and so a local caller).
    number = phone.normalize_or_none(raw, area=snapshot.area_code)
    location = ''
    if number:
        try:
            location = phone.location(number)
        except phone.InvalidPhoneNumber:
            location = ''
    lists = {kind for kind, expires in snapshot.caller_lists.get(number, ())
        if expires is None or expires >= today}
    if party_level in {'vip', 'blacklist'}:
        lists.add(party_level)
    lists = frozenset(lists)
    return Caller(
        raw=raw, number=number, location=location,
        long_distance=is_long_distance(location, snapshot.centre_city),
        lists=lists, party=party, account_queue=account_queue,
        lookup_failed=lookup_failed)


def queue_priority(queue, caller, boost=0):
    "VIP and long-distance callers jump the queue (higher is first)"
    priority = 0
    if 'vip' in caller.lists:
        priority = max(priority, queue.vip_priority)
    if caller.long_distance:
        priority = max(priority, queue.long_distance_priority)
    return priority + (boost or 0)


def should_record(queue, caller, did_id):
    if queue.recording == 'all':
        return True
    if queue.recording != 'selective':
        return False
    classes = set(caller.classes)
    if caller.long_distance:
        classes.add('long_distance')
    return bool(classes & queue.record_classes) or did_id in queue.record_dids


def queue_decision(snapshot, queue_id, caller, did_id=None, boost=0,
        outcome='queue', steps=None):
    queue = snapshot.queues[queue_id]
    return Decision(
        action='queue', queue=queue_id,
        priority=queue_priority(queue, caller, boost),
        record=should_record(queue, caller, did_id),
        outcome=outcome, steps=steps or [])


def default_decision(snapshot, caller=None, steps=None):
    "The configured default queue; a caller is never dropped because of us"
    if snapshot is None or snapshot.default_queue not in (
            snapshot.queues if snapshot else {}):
        return Decision(action='fallback', outcome='default_queue',
            steps=steps or [])
    caller = caller or Caller(raw='', number=None)
    return queue_decision(snapshot, snapshot.default_queue, caller,
        outcome='default_queue', steps=steps)


def overflow_decision(snapshot, queue_id, caller, did_id=None):
    "Where a call goes after waiting its queue's maximum time"
    queue = snapshot.queues.get(queue_id)
    if queue is None:
        return Decision(action='hangup', outcome='overflow')
    if queue.overflow_action == 'queue' and queue.overflow_queue in \
            snapshot.queues:
        return queue_decision(snapshot, queue.overflow_queue, caller,
            did_id, outcome='overflow')
    if queue.overflow_action == 'voicemail':
        return Decision(action='voicemail', mailbox=queue.overflow_mailbox,
            outcome='voicemail')
    return Decision(action='hangup', prompt=queue.overflow_prompt,
        outcome='overflow')


class IVRWalker:
    """Walks a flow for one call.

    io must provide ``async play(prompt_id)`` and
    ``async read_key(prompt_id, timeout) -> str`` ('' on timeout).
    """

    def __init__(self, snapshot, caller, did_number, now_local, io,
            clock=None):
        self.snapshot = snapshot
        self.caller = caller
        self.did = snapshot.dids.get(did_number)
        self.did_number = did_number
        self.now_local = now_local
        self.io = io
        self.clock = clock or dt.datetime.utcnow
        self.steps = []
        self.after_hours = False
        self.blacklisted = False

    def _step(self, node, key=None):
        self.steps.append(Step(node.name, self.clock(), node.id, key))

    async def route(self):
        "Return the Decision for the call"
        did = self.did
        if did is None:
            return default_decision(self.snapshot, self.caller)
        if did.flow is None:
            return self._queue_or_account(did.queue, 0)
        flow = self.snapshot.flows.get(did.flow)
        if flow is None or flow.entry is None:
            return default_decision(self.snapshot, self.caller)
        return await self.walk(flow.entry)

    def _queue_or_account(self, queue_id, boost):
        # Company accounts have their own agents (seed 3.4.3).
        account = self.caller.account_queue
        if account and account in self.snapshot.queues:
            queue_id, outcome = account, 'account'
        else:
            outcome = 'queue'
        if queue_id not in self.snapshot.queues:
            return default_decision(self.snapshot, self.caller, self.steps)
        return queue_decision(self.snapshot, queue_id, self.caller,
            self.did.id if self.did else None, boost, outcome, self.steps)

    def _terminal_outcome(self, normal):
        if self.blacklisted:
            return 'blacklisted'
        if self.after_hours:
            return 'after_hours'
        return normal

    async def walk(self, node_id):
        nodes = self.snapshot.nodes
        for _ in range(MAX_STEPS):
            node = nodes.get(node_id)
            if node is None:
                break
            if node.type == 'prompt':
                self._step(node)
                await self.io.play(node.prompt)
                node_id = node.next_node
            elif node.type == 'menu':
                node_id = await self._menu(node)
            elif node.type == 'branch_caller':
                self._step(node)
                node_id = self._branch_caller(node)
            elif node.type == 'branch_number':
                self._step(node)
                node_id = self._branch_number(node)
            elif node.type == 'branch_time':
                self._step(node)
                node_id = self._branch_time(node)
            elif node.type == 'queue':
                self._step(node)
                return self._queue_or_account(node.queue,
                    node.priority_boost)
            elif node.type == 'agent':
                self._step(node)
                return Decision(action='agent', agent=node.agent,
                    outcome='agent', steps=self.steps)
            elif node.type == 'voicemail':
                self._step(node)
                return Decision(action='voicemail', mailbox=node.mailbox,
                    outcome=self._terminal_outcome('voicemail'),
                    steps=self.steps)
            elif node.type == 'hangup':
                self._step(node)
                return Decision(action='hangup', prompt=node.prompt,
                    outcome=self._terminal_outcome('hangup'),
                    steps=self.steps)
            if node_id is None:
                break
        return default_decision(self.snapshot, self.caller, self.steps)

    async def _menu(self, node):
        attempts = 1 + max(node.max_retries, 0)
        for attempt in range(attempts):
            key = await self.io.read_key(node.prompt, node.timeout)
            self._step(node, key or None)
            if key and key in node.options:
                return node.options[key]
            if key and node.invalid_prompt and attempt + 1 < attempts:
                await self.io.play(node.invalid_prompt)
        return node.next_node

    def _branch_caller(self, node):
        for caller_class in CLASS_PRECEDENCE:
            if caller_class in self.caller.classes \
                    and caller_class in node.options:
                if caller_class == 'blacklist':
                    self.blacklisted = True
                return node.options[caller_class]
        return node.next_node

    def _branch_number(self, node):
        for match, target in node.options.items():
            if phone.normalize_or_none(match) == self.did_number \
                    or match == self.did_number:
                return target
        return node.next_node

    def _branch_time(self, node):
        calendar = self.snapshot.calendars.get(node.calendar)
        if calendar is None:
            return node.next_node
        state = calendar_state(
            calendar.hours, calendar.holidays, self.now_local)
        if state != 'open':
            self.after_hours = True
        if state in node.options:
            return node.options[state]
        if state == 'holiday' and 'closed' in node.options:
            return node.options['closed']
        return node.next_node
