"""Applies facts to the database in order, in batches, surviving outages.

Facts queue up in memory while the database is unreachable and are applied
when it is back; what is lost with a bridge restart is recovered from
queue_log and the CDR file at start-up (see resync in service.py).
"""
import asyncio
import datetime as dt
import logging
import time

from .screenpop import pop_message

log = logging.getLogger(__name__)

BATCH = 500
MAX_BACKLOG = 200_000


def apply_batch(pool, node_id, facts, url_template=None):
    """Apply facts in one transaction; return the pops' arrival times.

    Call facts first (one callcenter.call.apply_facts for the batch), then
    agent states in order, then freed agents, then screen pops: each step
    needs the calls the first one records.
    """
    Node = pool.get('callcenter.node')
    Call = pool.get('callcenter.call')
    node = Node(node_id)
    call_facts = [f for f in facts
        if f['kind'] not in AGENT_KINDS | LEG_FACTS]
    calls = {c.linkedid: c for c in Call.apply_facts(node, call_facts)}
    missing = {f['linkedid'] for f in facts
        if f['kind'] in AGENT_KINDS | LEG_FACTS
        and f.get('linkedid') and f['linkedid'] not in calls}
    if missing:
        calls.update({c.linkedid: c for c in Call.search([
                        ('node', '=', node_id),
                        ('linkedid', 'in', list(missing))])})
    leg_facts = [f for f in facts if f['kind'] in LEG_FACTS]
    if leg_facts:
        # Legs (transfers, consultations, conferences) after the calls,
        # before the agents' states: a leg's end frees its agent.
        pool.get('callcenter.call.leg').apply_facts(node, leg_facts, calls)
    states = [f for f in facts if f['kind'] == 'agent_state']
    if states and calls:
        states = pool.get('callcenter.call.leg').keep_in_call(states, calls)
    apply_agent_states(pool, states, calls)
    released = [f['linkedid'] for f in facts if f['kind'] == 'release']
    if released:
        release_agents(pool, Call.search([('node', '=', node_id),
                    ('linkedid', 'in', released), ('state', '=', 'ended')]))
    return publish_pops(pool, [f for f in facts
            if f['kind'] == 'screen_pop'], calls, url_template)


AGENT_KINDS = {'agent_state', 'screen_pop', 'release'}
# Applied by callcenter.call.leg (tv_callcenter/transfer.py)
LEG_FACTS = {'leg_start', 'leg_end', 'leg_kind', 'control'}


def apply_agent_states(pool, facts, calls):
    "Agents' live state (last fact wins) and their state log (every fact)"
    if not facts:
        return
    Agent = pool.get('callcenter.agent')
    StateLog = pool.get('callcenter.agent.state_log')
    agents = {a.id: a for a in Agent.browse(list({f['agent'] for f in facts}))}
    entries, latest = [], {}
    for fact in facts:
        agent = agents[fact['agent']]
        state = fact['state']
        if state == 'ready' and agent.presence != 'ready':
            # Back from a call: what the agent asked for meanwhile.
            state = agent.presence
        call = calls.get(fact.get('linkedid'))
        entries.append((agent, state, fact['time'],
                agent.pause_reason if state == 'paused' else None, call,
                'asterisk'))
        latest[agent.id] = (state, fact['time'], call)
    StateLog.record_many(entries)
    to_write = []
    for agent_id, (state, moment, call) in latest.items():
        values = {'state': state, 'state_since': moment}
        if state in {'ringing', 'in_call'}:
            values['current_call'] = call.id if call else None
        elif state in {'ready', 'paused', 'logged_out'}:
            values['current_call'] = None
        to_write.extend([[agents[agent_id]], values])
    Agent.write(*to_write)


def publish_pops(pool, facts, calls, url_template):
    "Send each ringing agent the record to open; return arrival times"
    if not facts:
        return []
    from trytond.bus import Bus
    Agent = pool.get('callcenter.agent')
    ModelData = pool.get('ir.model.data')
    known_view = ModelData.get_id('tv_callcenter', 'party_view_form_pop')
    received = []
    for fact in facts:
        call = calls.get(fact.get('linkedid'))
        if call is None:
            continue
        agent = Agent(fact['agent'])
        message = pop_message(
            {'id': call.id, 'caller': call.caller,
                'party': call.party.id if call.party else None,
                'party_name': call.party.rec_name if call.party else None,
                'did_number': call.did.number if call.did else None,
                # A transferred call: the first agent's note.
                'note': getattr(call, 'transfer_note', None),
                'transferred_by': call.transferred_by.rec_name
                if getattr(call, 'transferred_by', None) else None},
            {'user': agent.user.id, 'extension': agent.extension,
                'name': agent.rec_name},
            url_template=url_template,
            new_party_defaults=new_party_defaults(pool, call),
            known_view=known_view)
        Bus.publish(f'user:{agent.user.id}', message)
        received.append(fact.get('received'))
    return received


def release_agents(pool, calls):
    """Agents still shown busy on an ended call are free again.

    Asterisk does not always send AgentComplete (a Local-channel agent
    hanging up races the bridge teardown); the call's end is certain.
    """
    if not calls:
        return
    Agent = pool.get('callcenter.agent')
    StateLog = pool.get('callcenter.agent.state_log')
    for agent in Agent.search([
                ('current_call', 'in', [c.id for c in calls]),
                ('state', 'in', ['ringing', 'in_call'])]):
        call = agent.current_call
        moment = call.end_time or dt.datetime.utcnow()
        state = agent.presence
        Agent.write([agent], {'state': state, 'state_since': moment,
                'current_call': None})
        StateLog.record([agent], state, moment, call=call,
            reason=agent.pause_reason if state == 'paused' else None)


def new_party_defaults(pool, call):
    "Extra defaults for a new customer created from this call's pop"
    party_fields = pool.get('party.party')._fields
    defaults = {}
    did = call.did
    medium = getattr(did, 'media', None) if did else None
    if medium and 'source_media' in party_fields:
        defaults['default_source_media'] = medium.id
    return defaults


class Ingestor:

    def __init__(self, database, node_id, url_template=None):
        self.database = database
        self.node_id = node_id
        self.url_template = url_template
        self._queue = asyncio.Queue()
        self.applied = 0
        self.failures = 0
        self.pop_latencies = []
        self._idle = asyncio.Event()
        self._idle.set()

    def submit(self, facts):
        for fact in facts:
            fact.setdefault('received', time.monotonic())
            if self._queue.qsize() >= MAX_BACKLOG:
                log.error('fact backlog full (%d): dropping %s; queue_log '
                    'will restore it', MAX_BACKLOG, fact['kind'])
                continue
            self._idle.clear()
            self._queue.put_nowait(fact)

    @property
    def backlog(self):
        return self._queue.qsize()

    async def _reachable(self):
        try:
            await self.database.run(lambda pool: None, readonly=True)
            return True
        except Exception:
            return False

    async def _apply_one_by_one(self, batch):
        received = []
        for fact in batch:
            try:
                received += await self.database.run(
                    apply_batch, self.node_id, [fact], self.url_template)
            except Exception as error:
                log.error('dropped a %s fact of %s that cannot be '
                    'recorded: %s', fact.get('kind'), fact.get('linkedid'),
                    error)
        return received

    async def drained(self, timeout=30):
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def run(self):
        delay = 0.2
        batch = []
        while True:
            if not batch:
                batch.append(await self._queue.get())
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                received = await self.database.run(
                    apply_batch, self.node_id, batch, self.url_template)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.failures += 1
                if not await self._reachable():
                    log.warning('database unavailable (%s): %d fact(s) '
                        'wait; retrying in %.1f s', error, len(batch), delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10)
                    continue
                # The database works: one fact is bad. Apply them one by
                # one so a single bad fact cannot block every call after it.
                received = await self._apply_one_by_one(batch)
            now = time.monotonic()
            self.pop_latencies.extend(
                now - r for r in received if r is not None)
            self.applied += len(batch)
            batch = []
            delay = 0.2
            if self._queue.empty():
                self._idle.set()
