"""Queue membership: make Asterisk's dynamic members match the database.

An agent who logs in (web) is added to each of the agent's queues, a pause
pauses every membership with its reason, a log-out removes them. In linear
queues the order of members is the ringing order, so members are re-added
in the configured order when it drifts.
"""
import logging
from dataclasses import dataclass

from tvcc.asterisk_values import is_safe

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Member:
    queue: str
    interface: str
    name: str
    state_interface: str
    penalty: int
    paused: bool
    reason: str = ''


def desired_members(snapshot, presences):
    """{queue code: [Member, ...] in order} for the agents' presences

    presences: {agent id: (presence, pause reason code)}
    """
    wanted = {}
    for queue in snapshot.queues.values():
        if not queue.active:
            continue
        members = []
        for agent_id, penalty in queue.members:
            agent = snapshot.agents.get(agent_id)
            presence, reason = presences.get(agent_id, ('logged_out', ''))
            if agent is None or presence == 'logged_out':
                continue
            if not (is_safe('extension', agent.extension)
                    and is_safe('interface', agent.interface)
                    and is_safe('interface', agent.state_interface)):
                log.error('members: agent %s left out of queue %s: unsafe '
                    'extension %r', agent.id, queue.code, agent.extension)
                continue
            if reason and not is_safe('code', reason):
                log.error('members: pause reason %r of agent %s not sent',
                    reason, agent.extension)
                reason = ''
            members.append(Member(
                queue=queue.code, interface=agent.interface,
                name=agent.extension, state_interface=agent.state_interface,
                penalty=penalty, paused=presence == 'paused',
                reason=reason or '' if presence == 'paused' else ''))
        wanted[queue.code] = members
    return wanted


def actual_members(queue_status_events):
    "{queue code: [Member, ...] in Asterisk's order} from QueueStatus"
    found = {}
    for event in queue_status_events:
        if event.get('Event') == 'QueueParams':
            found.setdefault(event['Queue'], [])
        elif event.get('Event') == 'QueueMember':
            found.setdefault(event['Queue'], []).append(Member(
                queue=event['Queue'],
                interface=event.get('Location') or event.get('Interface'),
                name=event.get('Name') or event.get('MemberName') or '',
                state_interface=event.get('StateInterface') or '',
                penalty=int(event.get('Penalty') or 0),
                paused=event.get('Paused') == '1',
                reason=event.get('PausedReason') or ''))
    return found


def plan(wanted, actual, linear_queues=()):
    """The AMI actions that turn actual into wanted, in order"""
    actions = []
    for queue in sorted(set(wanted) | set(actual)):
        want = wanted.get(queue, [])
        have = actual.get(queue, [])
        want_by_if = {m.interface: m for m in want}
        have_by_if = {m.interface: m for m in have}
        for member in have:
            if member.interface not in want_by_if:
                actions.append({'Action': 'QueueRemove', 'Queue': queue,
                        'Interface': member.interface})
        if queue in linear_queues:
            # Keep the prefix that is already in order; re-add the rest.
            kept = [m.interface for m in have if m.interface in want_by_if]
            order = [m.interface for m in want]
            prefix = 0
            while prefix < min(len(kept), len(order)) \
                    and kept[prefix] == order[prefix]:
                prefix += 1
            for interface in kept[prefix:]:
                actions.append({'Action': 'QueueRemove', 'Queue': queue,
                        'Interface': interface})
                have_by_if.pop(interface)
        for member in want:
            current = have_by_if.get(member.interface)
            if current is None:
                actions.append({'Action': 'QueueAdd', 'Queue': queue,
                        'Interface': member.interface,
                        'MemberName': member.name,
                        'StateInterface': member.state_interface,
                        'Penalty': member.penalty,
                        'Paused': 'true' if member.paused else 'false',
                        'Reason': member.reason})
                continue
            if current.penalty != member.penalty:
                actions.append({'Action': 'QueuePenalty', 'Queue': queue,
                        'Interface': member.interface,
                        'Penalty': member.penalty})
            if current.paused != member.paused or (
                    member.paused and current.reason != member.reason):
                actions.append({'Action': 'QueuePause', 'Queue': queue,
                        'Interface': member.interface,
                        'Paused': 'true' if member.paused else 'false',
                        'Reason': member.reason})
    return actions
