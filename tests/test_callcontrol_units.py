"""Call control's pure decisions (telephony/callcontrol.py, the leg facts
of telephony/facts.py): which channels the bridge acts on, and what it
refuses, without Asterisk."""
import pytest

from telephony import callcontrol
from telephony.callcontrol import Refused, Tracker, plan

CALL = '1764000000.10'
CALLER = 'Local/s@tvcc-caller-00000001;1'
AGENT = 'Local/7001@tvcc-agents-0000000a;1'
OTHER = 'Local/7002@tvcc-agents-0000000b;1'


def tracker_with_call():
    tracker = Tracker()
    for channel, uniqueid in ((CALLER, CALL), (AGENT, '1764000000.12')):
        tracker.on_event({'Event': 'BridgeEnter', 'Channel': channel,
                'Uniqueid': uniqueid, 'Linkedid': CALL,
                'BridgeUniqueid': 'b1'})
    return tracker


def request(action, **values):
    return {'id': 1, 'action': action, 'extension': '7001',
        'agent_id': 5, 'linkedid': CALL, **values}


def test_blind_transfer_moves_the_caller_and_drops_the_agent():
    actions, facts = plan(request('blind', target_kind='agent',
            target='7002', note='请回电'), tracker_with_call(), CALLER)
    setvar, redirect = actions
    assert setvar == {'Action': 'Setvar', 'Channel': CALLER,
        'Variable': 'TVCC_XFER_TARGET', 'Value': '7002'}
    assert (redirect['Channel'], redirect['Exten'], redirect['ExtraChannel'],
        redirect['ExtraExten']) == (CALLER, 'agent', AGENT, 'drop')
    assert facts[0]['note'] == '请回电' and facts[0]['kind'] == 'control'


def test_the_bridge_acts_only_on_the_agents_own_call():
    tracker = tracker_with_call()
    # Another agent, or another call: no channel of theirs was reported.
    with pytest.raises(Refused, match='not_your_call'):
        plan(request('park', extension='7009'), tracker, CALLER)
    with pytest.raises(Refused, match='not_your_call'):
        plan(request('park', linkedid='1764000000.99'), tracker, CALLER)
    # A linked id that is no linked id never reaches AMI.
    with pytest.raises(Refused):
        plan(request('park', linkedid='x;Hangup'), tracker, CALLER)


def test_targets_are_checked_before_any_action():
    tracker = tracker_with_call()
    for kind, target in [('agent', '7,1'), ('queue', 'Q;x'),
            ('number', '+8613800138000'), ('number', '1380013800\n0'),
            ('room', 'x')]:
        with pytest.raises(Refused, match='target'):
            plan(request('blind', target_kind=kind, target=target), tracker,
                CALLER)


def test_consult_then_complete_uses_the_consulted_channel():
    tracker = tracker_with_call()
    actions, facts = plan(request('consult', target_kind='agent',
            target='7002'), tracker, CALLER)
    assert actions[-1]['Exten'] == 'hold'
    assert actions[-1]['ExtraExten'] == 'consult'
    assert facts[0]['mode'] == 'consult'
    # The caller waits in the room; the agent's channel talks to 7002.
    tracker.on_event({'Event': 'BridgeLeave', 'Channel': CALLER,
            'BridgeUniqueid': 'b1'})
    tracker.on_event({'Event': 'BridgeLeave', 'Channel': AGENT,
            'BridgeUniqueid': 'b1'})
    for channel in (AGENT, OTHER):
        tracker.on_event({'Event': 'BridgeEnter', 'Channel': channel,
                'Uniqueid': channel, 'Linkedid': CALL,
                'BridgeUniqueid': 'b2'})
    actions, facts = plan(request('complete'), tracker, CALLER)
    assert actions[-1]['Channel'] == OTHER
    assert actions[-1]['Exten'] == 'join'
    assert actions[-1]['ExtraExten'] == 'drop'
    assert facts[1]['leg_kind'] == 'transfer'
    actions, _ = plan(request('retrieve'), tracker, CALLER)
    assert actions == [{'Action': 'Hangup', 'Channel': OTHER}]
    with pytest.raises(Refused, match='state'):
        plan(request('park'), tracker, CALLER)


def test_pickup_needs_a_parked_call():
    tracker = Tracker()
    with pytest.raises(Refused, match='not_parked'):
        plan(request('pickup'), tracker, None)
    tracker.on_event({'Event': 'ParkedCall', 'ParkeeLinkedid': CALL,
            'ParkingSpace': '701', 'ParkeeChannel': CALLER})
    actions, _ = plan(request('pickup'), tracker, None)
    assert actions[0]['Channel'] == 'Local/7001@tvcc-agents/n'
    assert 'TVCC_XFER_SPACE=701' in actions[0]['Variable']


def test_leg_facts_of_the_events():
    from telephony.facts import FactMapper

    class Snapshot:
        queues = {}
        agents_by_extension = {'7002': type('A', (), {'id': 42})()}
    mapper = FactMapper(Snapshot())
    facts, agents = mapper.from_event({'Event': 'UserEvent',
            'UserEvent': 'TvccLegAnswered', 'Agent': '7002',
            'Kind': 'consult', 'Linkedid': '1764000000.50',
            'Call': CALL, 'Uniqueid': '1764000000.51',
            'Timestamp': '1764000001.0'})
    assert facts[0]['kind'] == 'leg_start' and facts[0]['linkedid'] == CALL
    assert facts[0]['leg_kind'] == 'consult' and facts[0]['agent'] == 42
    assert agents[0]['state'] == 'in_call'
    facts, _ = mapper.from_event({'Event': 'Hangup', 'Channel': OTHER,
            'Uniqueid': '1764000000.51', 'Linkedid': CALL})
    assert [f['kind'] for f in facts] == ['leg_end']


def test_outside_numbers_follow_the_dialler_rules():
    from trytond.modules.tv_callcenter.transfer import outside_number
    assert outside_number('13800138000') == '13800138000'
    assert outside_number('+86 21 6123 4567') == '02161234567'
    assert outside_number('16012345678') is None
    assert outside_number('+1 212 555 0100') is None
    assert outside_number('110') is None
    assert callcontrol.room_of(CALL) == f'tvcc-{CALL}'
