"""Pure rules of the inbound path (issue 11): local numbers without their
area code, the one-agent call's events, voicemail boxes' own PINs."""
import datetime as dt

import pytest

from telephony import facts, render, routing
from telephony.snapshot import VoicemailBox
from tvcc import asterisk_values, phone

from test_telephony_units import node, queue, snapshot


@pytest.mark.parametrize('raw, area, e164', [
    # Shenzhen's 8-digit local numbers, as some trunks deliver them.
    ('87654321', '0755', '+8675587654321'),
    ('8765-4321', '755', '+8675587654321'),
    ('23456789', '021', '+862123456789'),
    # Already complete, or not a landline: the area code changes nothing.
    ('0755 8765 4321', '021', '+8675587654321'),
    ('13800138000', '0755', '+8613800138000'),
    ('400-820-1001', '0755', '+864008201001'),
    ])
def test_local_numbers_take_the_centre_area_code(raw, area, e164):
    assert phone.normalize(raw, area=area) == e164
    assert phone.normalize(raw, area=area) == phone.normalize(
        phone.with_area_code(raw, area))


@pytest.mark.parametrize('raw, area', [
    ('87654321', None), ('87654321', ''), ('87654321', 'x755'),
    ('07654321', '0755'), ('18765432', '0755'), ('95555', '0755'),
    ('876543210', '0755'),
    ])
def test_what_is_not_a_local_number_stays_invalid(raw, area):
    assert phone.normalize_or_none(raw, area=area) is None


@pytest.mark.parametrize('value, digits', [
    ('0755', '755'), ('755', '755'), ('021', '21'), (' 010 ', '10'),
    ('0', None), ('07555', None), ('0x55', None), ('', None), (None, None),
    ])
def test_area_codes(value, digits):
    assert phone.area_code(value) == digits


def test_a_shenzhen_caller_without_area_code_is_local():
    "Classified as the same number dialled with 0755: a local caller"
    snap = snapshot(centre_city='深圳市', area_code='0755')
    short = routing.classify(snap, '87654321')
    full = routing.classify(snap, '075587654321')
    assert short.number == full.number == '+8675587654321'
    assert short.location == '广东省深圳市'
    assert short.long_distance is False
    # Without the area code configured the number stays unknown.
    assert routing.classify(snapshot(), '87654321').number is None


def agent_event(name, **values):
    return {'Event': 'UserEvent', 'UserEvent': name,
        'Timestamp': '1795737242.5', 'Linkedid': 'L9',
        'Uniqueid': 'L9-agent', **values}


def test_a_one_agent_call_reports_like_a_queue_call():
    "Ringing pops the agent's screen, connect and end time the call"
    mapper = facts.FactMapper(snapshot())
    when = dt.datetime.utcfromtimestamp(1795737242.5)
    call_facts, agent_facts = mapper.from_event(
        agent_event('TvccAgentRinging', Agent='8002'))
    assert [(f['kind'], f['agent'], f['linkedid']) for f in call_facts] == [
        ('agent_ringing', 2, 'L9')]
    assert [(f['kind'], f['agent'], f['state'], f['linkedid'])
        for f in agent_facts] == [('agent_state', 2, 'ringing', 'L9'),
        ('screen_pop', 2, 'ringing', 'L9')]
    call_facts, agent_facts = mapper.from_event(
        agent_event('TvccAgentConnect', Agent='8002', Ring='3'))
    assert call_facts[0] == {'kind': 'agent_connect', 'time': when,
            'linkedid': 'L9', 'uniqueid': 'L9-agent', 'agent': 2,
            'wait': 3.0, 'ring': 3.0}
    assert [(f['kind'], f['agent']) for f in call_facts[1:]] == [
        ('leg_start', 2)]
    assert agent_facts[0]['state'] == 'in_call'
    call_facts, agent_facts = mapper.from_event(agent_event(
            'TvccAgentDone', Agent='8002', Status='ANSWER', Talk='12',
            Dialed='15'))
    assert [(f['kind'], f['talk']) for f in call_facts] == [
        ('agent_complete', 12.0)]
    assert agent_facts[0]['state'] == 'ready'


def test_a_one_agent_call_not_answered():
    mapper = facts.FactMapper(snapshot())
    call_facts, agent_facts = mapper.from_event(agent_event(
            'TvccAgentDone', Agent='8002', Status='NOANSWER', Talk='',
            Dialed='30'))
    assert [(f['kind'], f['agent'], f['ring']) for f in call_facts] == [
        ('ring_no_answer', 2, 30.0)]
    assert agent_facts[0]['state'] == 'ready'
    call_facts, _ = mapper.from_event(agent_event(
            'TvccAgentDone', Agent='8002', Status='CANCEL', Dialed='4'))
    assert [(f['kind'], f['wait']) for f in call_facts] == [('abandon', 4.0)]
    # Durations are numbers, never 'nan' or 'inf'.
    call_facts, _ = mapper.from_event(agent_event(
            'TvccAgentDone', Agent='8002', Status='NOANSWER', Dialed='inf'))
    assert call_facts[0]['ring'] is None
    # An unknown agent or event is no one's fact.
    assert mapper.from_event(agent_event('TvccAgentRinging',
            Agent='9999'))[1] == []
    assert mapper.from_event(agent_event('Whatever')) == ([], [])


def test_a_one_agent_call_replays_from_queue_log():
    "The dialplan's QueueLog lines (queue tvcc-agent) after a restart"
    mapper = facts.FactMapper(snapshot())
    lines = [
        '1795737242|1795737238.11|tvcc-agent|8002|CONNECT|3|'
        '1795737240.13|3',
        '1795737254|1795737238.11|tvcc-agent|8002|COMPLETECALLER|3|12|1',
        ]
    found = [f for line in lines for f in mapper.from_queue_log(line)]
    assert [(f['kind'], f['agent']) for f in found] == [
        ('agent_connect', 2), ('agent_complete', 2)]
    assert found[1]['talk'] == 12.0


def boxes_snapshot(**boxes):
    return snapshot(
        nodes={1: node(1, 'voicemail', mailbox='7001')},
        queues={10: queue(10, 'sales', max_wait=30,
                overflow_action='voicemail', overflow_mailbox='7002')},
        voicemail_boxes={m: VoicemailBox(m, name, pin)
            for m, (name, pin) in boxes.items()})


def test_each_voicemail_box_has_its_own_pin():
    text = render.render_voicemail(boxes_snapshot(**{
                '7001': ('售后留言', '40917352'),
                '7002': (None, '83920461')}))
    assert '7001 => 40917352,售后留言\n' in text
    assert '7002 => 83920461,Mailbox 7002\n' in text
    assert '0000' not in text


@pytest.mark.parametrize('pin', ['0000', '', None, '1234,5678',
    '12345678\n7009 => 1', '40917352;x'])
def test_a_box_without_a_usable_pin_is_left_out(pin, caplog):
    text = render.render_voicemail(boxes_snapshot(**{
                '7001': ('x', pin), '7002': ('y', '83920461')}))
    assert '7001' not in text.split('[tvcc]')[1]
    assert '7002 => 83920461,y\n' in text
    assert 'voicemail 7001 left out' in caplog.text


def test_a_named_mailbox_without_a_box_is_left_out(caplog):
    text = render.render_voicemail(boxes_snapshot(**{
                '7002': ('y', '83920461')}))
    assert '7001' not in text.split('[tvcc]')[1]
    assert 'voicemail 7001 left out' in caplog.text


def test_a_box_name_cannot_add_fields():
    text = render.render_voicemail(boxes_snapshot(**{
                '7001': ('a,b@example.com', '40917352')}))
    assert '7001 => 40917352,Mailbox 7001\n' in text


@pytest.mark.parametrize('value, safe', [
    ('40917352', True), ('123456', True), ('000000000000', True),
    ('0000', False), ('1234567890123', False), ('1234 5678', False),
    ('4091735a', False), ('', False)])
def test_pin_kind(value, safe):
    assert asterisk_values.is_safe('pin', value) is safe
