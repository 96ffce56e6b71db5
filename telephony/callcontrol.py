"""Call control: transfers, consultation, three-way, conference, park.

An agent's button (or the transfer wizard) writes a request on the trytond
side (callcenter.call.control); the bridge reads the pending requests (the
watcher, woken early by a PostgreSQL NOTIFY on ``tvcc_call_control``),
plans the AMI actions here and reports the outcome on the request. It acts
only on channels AMI reported for the agent's current call (the Tracker
below follows them), never on a channel name from the database or a client,
and sends only values that pass tvcc.asterisk_values. The dialplan side is
asterisk/templates/extensions_transfer.conf.
"""
import datetime as dt
import logging
import re

from tvcc import asterisk_values

from .facts import LEG_CHANNEL

log = logging.getLogger(__name__)

CONTEXT = 'tvcc-xfer'
ACTIONS = {'blind', 'consult', 'complete', 'retrieve', 'threeway',
    'conference', 'park', 'pickup'}
TARGET_KINDS = {'agent', 'queue', 'number'}
AGENT_CHANNEL = re.compile(
    r'^Local/(?P<ext>[0-9]{3,6})@tvcc-agents-[0-9a-f]+;1$')


class Refused(Exception):
    "A request the bridge cannot carry out; args[0] names the reason"


def room_of(linkedid):
    return f'tvcc-{linkedid}'


class Tracker:
    """Which channels belong to which call and which bridge, from AMI events
    (pure: no I/O; tests feed it events)"""

    def __init__(self):
        self.call_of = {}       # channel -> linked id of its call
        self.uniqueid = {}      # channel -> its unique id
        self.bridge_of = {}     # channel -> bridge unique id
        self.rooms = {}         # room name -> bridge unique id
        self.parked = {}        # linked id -> (parking space, channel)
        self.members = {}       # room name -> channels in it
        self.consulting = {}    # linked id -> the consulting agent's channel

    def on_event(self, event):
        name = event.get('Event')
        channel = event.get('Channel') or ''
        if name == 'BridgeEnter':
            if not asterisk_values.is_safe('channel', channel):
                return
            self.call_of.setdefault(channel, event.get('Linkedid'))
            self.uniqueid[channel] = event.get('Uniqueid')
            self.bridge_of[channel] = event.get('BridgeUniqueid')
        elif name == 'BridgeLeave':
            if self.bridge_of.get(channel) == event.get('BridgeUniqueid'):
                del self.bridge_of[channel]
        elif name == 'ConfbridgeJoin':
            room = event.get('Conference') or ''
            if room.startswith('tvcc-') and \
                    asterisk_values.is_safe('channel', channel):
                self.rooms[room] = event.get('BridgeUniqueid')
                self.call_of[channel] = room[len('tvcc-'):]
                self.members.setdefault(room, set()).add(channel)
        elif name == 'ConfbridgeLeave':
            self.members.get(event.get('Conference') or '', set()).discard(
                channel)
        elif name == 'ConfbridgeEnd':
            self.rooms.pop(event.get('Conference'), None)
            self.members.pop(event.get('Conference'), None)
        elif name == 'UserEvent' and event.get('UserEvent') in {
                'TvccLegAnswered', 'TvccLegRinging'}:
            call = event.get('Call') or ''
            if asterisk_values.is_safe('linkedid', call) and \
                    asterisk_values.is_safe('channel', channel):
                self.call_of[channel] = call
        elif name == 'ParkedCall':
            linkedid = event.get('ParkeeLinkedid')
            space = event.get('ParkingSpace') or ''
            if linkedid and space.isdigit():
                self.parked[linkedid] = (space, event.get('ParkeeChannel'))
        elif name in {'UnParkedCall', 'ParkedCallGiveUp',
                'ParkedCallTimeOut'}:
            self.parked.pop(event.get('ParkeeLinkedid'), None)
        elif name == 'Hangup':
            for table in (self.call_of, self.uniqueid, self.bridge_of):
                table.pop(channel, None)
            for members in self.members.values():
                members.discard(channel)

    def consultation_over(self, event):
        """The linked id of the call whose consulting agent is back in the
        room (the target did not answer, hung up, or was sent away)"""
        if event.get('Event') != 'ConfbridgeJoin':
            return None
        room = event.get('Conference') or ''
        linkedid = room[len('tvcc-'):]
        if self.consulting.get(linkedid) == event.get('Channel'):
            del self.consulting[linkedid]
            return linkedid
        return None

    def orphaned(self, event):
        """Callers to hang up: the last agent left the room for good (not
        to consult), so no one will come back to them"""
        if event.get('Event') != 'ConfbridgeLeave':
            return []
        channel = event.get('Channel') or ''
        if not LEG_CHANNEL.match(channel):
            return []
        found = []
        for room, members in self.members.items():
            linkedid = room[len('tvcc-'):]
            if self.consulting.get(linkedid) or not members or any(
                    LEG_CHANNEL.match(m) for m in members):
                continue
            if event.get('Conference') != room:
                continue
            found.extend(sorted(members))
            members.clear()
        return found

    def agent_channel(self, linkedid, extension):
        "The agent's leg of the call (Local/<ext>@tvcc-agents-...;1)"
        for channel, call in self.call_of.items():
            match = AGENT_CHANNEL.match(channel)
            if call == linkedid and match and match['ext'] == extension \
                    and channel in self.bridge_of:
                return channel
        return None

    def peers(self, channel):
        "The other channels in the bridge channel is in"
        bridge = self.bridge_of.get(channel)
        if bridge is None:
            return []
        return sorted(c for c, b in self.bridge_of.items()
            if b == bridge and c != channel)

    def in_room(self, channel, linkedid):
        bridge = self.bridge_of.get(channel)
        return bridge is not None and \
            self.rooms.get(room_of(linkedid)) == bridge


def _setvar(channel, name, value):
    return {'Action': 'Setvar', 'Channel': channel, 'Variable': name,
        'Value': value}


def _redirect(channel, exten, extra=None, extra_exten=None):
    action = {'Action': 'Redirect', 'Channel': channel, 'Context': CONTEXT,
        'Exten': exten, 'Priority': '1'}
    if extra:
        action.update({'ExtraChannel': extra, 'ExtraContext': CONTEXT,
                'ExtraExten': extra_exten, 'ExtraPriority': '1'})
    return action


def target_value(request):
    "The request's target as Asterisk gets it, or Refused"
    kind = request.get('target_kind')
    target = request.get('target') or ''
    checks = {'agent': 'extension', 'queue': 'code', 'number': 'number'}
    if kind not in checks or not asterisk_values.is_safe(checks[kind],
            target) or (kind == 'number' and not target.isdigit()):
        raise Refused('target')
    return kind, target


def dial_channel(kind, target):
    "The channel to originate to add a party to a room"
    if kind == 'agent':
        return f'Local/{target}@tvcc-agents/n'
    if kind == 'number':
        return f'Local/{target}@tvcc-dialer-out/n'
    raise Refused('target')


def plan(request, tracker, caller_channel):
    """The AMI actions and the facts of one request.

    request: dict with action, extension (the agent's), linkedid (of the
    agent's current call, or the parked call to pick up), target_kind,
    target, agent_id, target_agent_id, note.
    caller_channel: the call's channel as AMI reported it (or None).
    Raises Refused(reason) when it cannot be done now.
    """
    action = request.get('action')
    linkedid = request.get('linkedid') or ''
    extension = request.get('extension') or ''
    if action not in ACTIONS:
        raise Refused('action')
    if not (asterisk_values.is_safe('linkedid', linkedid)
            and asterisk_values.is_safe('extension', extension)):
        raise Refused('not_your_call')
    room = room_of(linkedid)
    now = dt.datetime.utcnow()
    control = {'kind': 'control', 'linkedid': linkedid, 'time': now,
        'action': action, 'agent': request.get('agent_id'),
        'note': request.get('note') or None}
    if action == 'pickup':
        parked = tracker.parked.get(linkedid)
        if parked is None:
            raise Refused('not_parked')
        return [{'Action': 'Originate',
                'Channel': dial_channel('agent', extension),
                'Context': CONTEXT, 'Exten': 'pickup', 'Priority': '1',
                'Async': 'true', 'Timeout': '30000',
                'Variable': [f'TVCC_XFER_SPACE={parked[0]}',
                    f'TVCC_XFER_CALL={linkedid}',
                    f'TVCC_XFER_AGENT={extension}']}], [control]
    agent = tracker.agent_channel(linkedid, extension)
    if agent is None:
        raise Refused('not_your_call')
    peers = tracker.peers(agent)
    with_caller = caller_channel is not None and peers == [caller_channel]
    in_room = tracker.in_room(agent, linkedid)
    actions, facts = [], [control]
    if action in {'blind', 'park'}:
        if not with_caller:
            raise Refused('state')
        if action == 'blind':
            kind, target = target_value(request)
            actions.append(_setvar(caller_channel, 'TVCC_XFER_TARGET',
                    target))
            exten = kind
        else:
            exten = 'park'
        actions.append(_redirect(caller_channel, exten, agent, 'drop'))
        control['mode'] = None
    elif action == 'consult':
        if not (with_caller or in_room):
            raise Refused('state')
        kind, target = target_value(request)
        actions += [
            _setvar(agent, 'TVCC_XFER_TARGET', target),
            _setvar(agent, 'TVCC_XFER_KIND', kind),
            _setvar(agent, 'TVCC_XFER_ROOM', room)]
        if in_room:
            # The caller (and the others) stay in the room.
            actions.append(_redirect(agent, 'consult'))
        else:
            actions += [_setvar(caller_channel, 'TVCC_XFER_ROOM', room),
                _redirect(caller_channel, 'hold', agent, 'consult')]
        tracker.consulting[linkedid] = agent
        control['mode'] = 'consult'
    elif action in {'complete', 'threeway', 'retrieve'}:
        # The consulted party: the one other channel in the agent's bridge
        # (not the caller, who waits in the room).
        consulted = [p for p in peers if p != caller_channel]
        if in_room or len(consulted) != 1:
            raise Refused('no_consultation')
        other = consulted[0]
        control['mode'] = None if action == 'complete' else 'conference'
        if action != 'retrieve':
            tracker.consulting.pop(linkedid, None)
        if action == 'retrieve':
            # The agent's Dial ends: the dialplan takes them back to the
            # caller in the room.
            actions.append({'Action': 'Hangup', 'Channel': other})
        else:
            actions += [_setvar(other, 'TVCC_XFER_ROOM', room),
                _redirect(other, 'join', agent,
                    'drop' if action == 'complete' else 'join')]
            facts.append({'kind': 'leg_kind', 'linkedid': linkedid,
                    'time': now, 'from_kind': 'consult',
                    'leg_kind': 'transfer' if action == 'complete'
                    else 'conference',
                    'all': action == 'threeway'})
    elif action == 'conference':
        kind, target = target_value(request)
        if kind == 'queue':
            raise Refused('target')
        if with_caller:
            actions += [_setvar(agent, 'TVCC_XFER_ROOM', room),
                _setvar(caller_channel, 'TVCC_XFER_ROOM', room),
                _redirect(caller_channel, 'hold', agent, 'join')]
        elif not in_room:
            raise Refused('state')
        variables = [f'TVCC_XFER_ROOM={room}', f'TVCC_XFER_CALL={linkedid}']
        variables.append(f'TVCC_XFER_AGENT={target}' if kind == 'agent'
            else f'TVCC_XFER_NUMBER={target}')
        actions.append({'Action': 'Originate',
                'Channel': dial_channel(kind, target), 'Context': CONTEXT,
                'Exten': 'added', 'Priority': '1', 'Async': 'true',
                'Timeout': '30000', 'Variable': variables})
        facts.append({'kind': 'leg_kind', 'linkedid': linkedid, 'time': now,
                'from_kind': None, 'leg_kind': 'conference', 'all': True})
        control['mode'] = 'conference'
        if kind == 'agent' and request.get('target_agent_id'):
            # Originated: no dialplan event rings them; the bridge knows.
            ringing = {'agent': request['target_agent_id'],
                'state': 'ringing', 'time': now, 'linkedid': linkedid}
            facts += [{'kind': 'agent_state', **ringing},
                {'kind': 'screen_pop', **ringing}]
    return actions, facts


def is_leg_channel(channel):
    return bool(LEG_CHANNEL.match(channel or ''))


# -- database functions (run in the worker thread) --

def read_requests(pool, node_id):
    "The pending requests of calls on this node (or parked calls)"
    Control = pool.get('callcenter.call.control')
    return [r.as_bridge_request() for r in Control.search([
                ('state', '=', 'pending'),
                ('call.node', '=', node_id)],
            order=[('id', 'ASC')])]


def finish_requests(pool, outcomes):
    "outcomes: [(request id, None or the reason it was refused)]"
    Control = pool.get('callcenter.call.control')
    Control.finish(outcomes)
