"""A read-only copy of the telephony configuration, held by the bridge.

Routing a call must not wait on the database, and must still work when the
database is gone: the bridge loads everything routing and rendering need
into these plain objects, and reloads them when the configuration serial of
its node changes.
"""
import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Prompt:
    id: int
    code: str
    digest: str
    audio: bytes = field(repr=False)

    @property
    def file_name(self):
        "Sound file name (without extension) under the instance's sounds"
        return f'tvcc/{self.code}-{self.digest}'


@dataclass(frozen=True)
class IVRNode:
    id: int
    name: str
    type: str
    prompt: int | None
    next_node: int | None
    options: dict            # match -> target node id
    timeout: int
    max_retries: int
    invalid_prompt: int | None
    calendar: int | None
    queue: int | None
    priority_boost: int
    agent: int | None
    mailbox: str | None


@dataclass(frozen=True)
class Flow:
    id: int
    code: str
    name: str
    entry: int | None


@dataclass(frozen=True)
class Queue:
    id: int
    code: str
    name: str
    strategy: str            # app_queue strategy
    ring_timeout: int
    retry: int
    wrapup: int
    service_level: int
    max_wait: int | None
    overflow_action: str | None
    overflow_queue: int | None
    overflow_mailbox: str | None
    overflow_prompt: int | None
    recording: str
    record_classes: frozenset
    record_dids: frozenset
    vip_priority: int
    long_distance_priority: int
    music_class: str
    members: tuple           # (agent id, penalty) in member order
    active: bool = True
    # Callbacks (tv_dialer): the key that leaves the queue for one, the
    # prompt offering it and how often it is played.
    callback_key: str | None = None
    callback_prompt: int | None = None
    callback_announce_every: int = 30


@dataclass(frozen=True)
class Agent:
    id: int
    user: int
    name: str
    extension: str
    device: str
    sip_password: str | None
    interface: str
    state_interface: str


@dataclass(frozen=True)
class Trunk:
    id: int
    code: str
    host: str
    port: int
    username: str | None
    password: str | None
    register: bool
    codecs: str
    allow_international: bool = False


@dataclass(frozen=True)
class DID:
    id: int
    number: str
    flow: int | None
    queue: int | None
    media: int | None = None


@dataclass(frozen=True)
class VoicemailBox:
    mailbox: str
    name: str | None
    password: str | None = field(repr=False)


@dataclass(frozen=True)
class Calendar:
    id: int
    hours: tuple             # (weekday, start, end)
    holidays: dict           # date -> (closed, start, end)


@dataclass
class Snapshot:
    serial: int
    default_queue: int | None
    centre_city: str
    timezone: str
    screen_pop_url: str | None
    queues: dict
    agents: dict
    flows: dict
    nodes: dict
    dids: dict               # E.164 number -> DID
    calendars: dict
    caller_lists: dict       # E.164 number -> {(kind, expires)}
    prompts: dict
    trunks: dict
    account_queues: dict = field(default_factory=dict)  # party -> queue id
    # The centre's area code: local numbers some trunks send without it.
    area_code: str = ''
    voicemail_boxes: dict = field(default_factory=dict)  # mailbox -> box
    loaded_at: dt.datetime = field(default_factory=dt.datetime.utcnow)

    @property
    def agents_by_extension(self):
        return {a.extension: a for a in self.agents.values()}

    @property
    def queues_by_code(self):
        return {q.code: q for q in self.queues.values()}

    def queue_code(self, queue_id):
        queue = self.queues.get(queue_id)
        return queue.code if queue else None


def load(pool, node_id):
    "Read the snapshot for node_id (inside a Tryton transaction)"
    Configuration = pool.get('callcenter.configuration')
    Queue_ = pool.get('callcenter.queue')
    Agent_ = pool.get('callcenter.agent')
    Flow_ = pool.get('callcenter.ivr.flow')
    Node_ = pool.get('callcenter.ivr.node')
    DID_ = pool.get('callcenter.did')
    Calendar_ = pool.get('callcenter.calendar')
    CallerList = pool.get('callcenter.caller_list')
    Prompt_ = pool.get('callcenter.prompt')
    Trunk_ = pool.get('callcenter.trunk')
    Party = pool.get('party.party')
    Voicemail = pool.get('callcenter.voicemail')

    config = Configuration(1)
    queues = {}
    for queue in Queue_.search([]):
        queues[queue.id] = Queue(
            id=queue.id, code=queue.code, name=queue.name,
            strategy=queue.asterisk_strategy,
            ring_timeout=queue.ring_timeout, retry=queue.retry,
            wrapup=queue.wrapup, service_level=queue.service_level,
            max_wait=queue.max_wait or None,
            overflow_action=queue.overflow_action,
            overflow_queue=queue.overflow_queue.id
            if queue.overflow_queue else None,
            overflow_mailbox=queue.overflow_mailbox,
            overflow_prompt=queue.overflow_prompt.id
            if queue.overflow_prompt else None,
            recording=queue.recording,
            record_classes=frozenset(queue.record_classes or ()),
            record_dids=frozenset(d.id for d in queue.record_dids),
            vip_priority=queue.vip_priority,
            long_distance_priority=queue.long_distance_priority,
            music_class=queue.music_class,
            members=tuple((m.agent.id, m.asterisk_penalty)
                for m in queue.members if m.agent.active),
            callback_key=getattr(queue, 'callback_key', None) or None,
            callback_prompt=queue.callback_prompt.id
            if getattr(queue, 'callback_prompt', None) else None,
            callback_announce_every=getattr(
                queue, 'callback_announce_every', None) or 30)
    agents = {a.id: Agent(
            id=a.id, user=a.user.id, name=a.user.name,
            extension=a.extension, device=a.device,
            sip_password=a.sip_password, interface=a.interface,
            state_interface=a.state_interface)
        for a in Agent_.search([])}
    flows, ivr_nodes = {}, {}
    for flow in Flow_.search([]):
        flows[flow.id] = Flow(id=flow.id, code=flow.code, name=flow.name,
            entry=flow.entry.id if flow.entry else None)
    for n in Node_.search([('flow.active', '=', True)]):
        ivr_nodes[n.id] = IVRNode(
            id=n.id, name=n.name, type=n.type,
            prompt=n.prompt.id if n.prompt else None,
            next_node=n.next_node.id if n.next_node else None,
            options={o.match: o.target.id for o in n.options},
            timeout=n.timeout or 5, max_retries=n.max_retries or 0,
            invalid_prompt=n.invalid_prompt.id if n.invalid_prompt else None,
            calendar=n.calendar.id if n.calendar else None,
            queue=n.queue.id if n.queue else None,
            priority_boost=n.priority_boost or 0,
            agent=n.agent.id if n.agent else None,
            mailbox=n.mailbox)
    dids = {}
    for did in DID_.search([]):
        media = getattr(did, 'media', None)
        dids[did.number] = DID(
            id=did.id, number=did.number,
            flow=did.flow.id if did.flow else None,
            queue=did.queue.id if did.queue else None,
            media=media.id if media else None)
    calendars = {c.id: Calendar(
            id=c.id,
            hours=tuple((int(h.weekday), h.start_time, h.end_time)
                for h in c.hours),
            holidays={h.date: (h.closed, h.start_time, h.end_time)
                for h in c.holidays})
        for c in Calendar_.search([])}
    caller_lists = {}
    for entry in CallerList.search([]):
        caller_lists.setdefault(entry.number, set()).add(
            (entry.kind, entry.expires))
    prompts = {p.id: Prompt(id=p.id, code=p.code,
            digest=p.audio_digest or 'none', audio=p.audio or b'')
        for p in Prompt_.search([])}
    trunks = {t.id: Trunk(
            id=t.id, code=t.code, host=t.host, port=t.port,
            username=t.username, password=t.password,
            register=bool(t.register), codecs=t.codecs,
            allow_international=bool(
                getattr(t, 'allow_international', False)))
        for t in Trunk_.search([])}
    account_queues = {p.id: p.account_queue.id
        for p in Party.search([('account_queue', '!=', None)])}
    voicemail_boxes = {b.mailbox: VoicemailBox(
            mailbox=b.mailbox, name=b.name, password=b.password)
        for b in Voicemail.search([])}
    return Snapshot(
        serial=config.config_serial,
        default_queue=config.default_queue.id
        if config.default_queue else None,
        centre_city=config.centre_city or '',
        timezone=config.timezone or 'Asia/Shanghai',
        screen_pop_url=config.screen_pop_url,
        queues=queues, agents=agents, flows=flows, nodes=ivr_nodes,
        dids=dids, calendars=calendars, caller_lists=caller_lists,
        prompts=prompts, trunks=trunks, account_queues=account_queues,
        area_code=config.area_code or '', voicemail_boxes=voicemail_boxes)
