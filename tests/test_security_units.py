"""What the bridge refuses to hand Asterisk, without Asterisk: the value
allow-lists, the rendered files, the FastAGI token, recording paths."""
import asyncio
import dataclasses
import datetime as dt
import logging

import pytest

from telephony import agi, members, render, routes
from telephony.ami import AMIClient
from telephony.node import NodeSettings
from telephony.snapshot import Agent, Trunk
from tvcc import asterisk_values

from test_telephony_units import queue, snapshot

INJECTIONS = ['a\nb', 'a\rb', 'x;y', 'x[y]', 'a,b', 'a|b', '${SHELL(id)}',
    'a"b', '../etc', '']


@pytest.mark.parametrize('kind', ['code', 'extension', 'number', 'mailbox',
        'username', 'codecs', 'music_class', 'linkedid', 'channel',
        'interface', 'token'])
def test_no_kind_accepts_separators_or_line_breaks(kind):
    for value in INJECTIONS:
        assert not asterisk_values.is_safe(kind, value), (kind, value)


def test_kinds_accept_what_the_product_uses():
    good = {
        'code': ['sales', 't_q1234', 'dialer_abandon'],
        'extension': ['8001', '70123'],
        'number': ['+8613800138000', '01012345678'],
        'host': ['127.0.0.1', '2001:db8::1', 'sip.carrier.example'],
        'secret': ['Tr0ub4dor&3xyzAB', 'a-b_c.d@e'],
        'codecs': ['alaw,ulaw,g722'],
        'name': ['李娜', '测试坐席7001', "O'Brien Jr."],
        'linkedid': ['1733051234.42', 'pbx-1-1733051234.42'],
        'channel': ['PJSIP/8001-0000002a', 'Local/s@tvcc-caller-00000001;2'],
        'interface': ['Local/8001@tvcc-agents/n', 'PJSIP/8001',
            'Custom:tvcc8001'],
        'path': ['/srv/tvcc/test/spool/monitor/2026/12/01/1.2.wav'],
        'sound': ['/srv/tvcc/test/sounds/tvcc/welcome-0123abcd', 'beep'],
        'integer': [5, '10', '-3'],
        }
    for kind, values in good.items():
        for value in values:
            assert asterisk_values.is_safe(kind, value), (kind, value)
    for kind, value in [('host', 'a.b;transport=tcp'), ('host', 'x y'),
            ('secret', 'pass;word'), ('secret', 'pass word'),
            ('name', '李娜"<8001>'), ('name', 'x\n[evil]'),
            ('path', '/srv/tvcc/../../etc/shadow'), ('path', 'relative'),
            ('sound', '/srv/../etc/x'), ('integer', True),
            ('integer', '1;2')]:
        assert not asterisk_values.is_safe(kind, value), (kind, value)
    assert asterisk_values.is_line_safe('Reason: meal')
    assert not asterisk_values.is_line_safe('meal\r\nAction: Command')


def test_renderer_leaves_out_what_it_must_not_render(caplog):
    "A value written behind the forms' back is never rendered"
    agents = {
        1: Agent(1, 11, '李娜', '8001', 'sip', 'Str0ngPassw0rdXYZ',
            'Local/8001@tvcc-agents/n', 'PJSIP/8001'),
        2: Agent(2, 12, 'x"\n[evil]', '8002', 'sip', 'Str0ngPassw0rdXYZ',
            'Local/8002@tvcc-agents/n', 'PJSIP/8002'),
        3: Agent(3, 13, '王芳', '8003', 'sip', 'weak;\n[x]',
            'Local/8003@tvcc-agents/n', 'PJSIP/8003'),
        4: Agent(4, 14, '赵', '80;04', 'simulated', None,
            'Local/80;04@tvcc-agents/n', 'Custom:tvcc80;04'),
        }
    trunks = {
        1: Trunk(1, 'carrier', '192.0.2.10', 5060, None, None, False,
            'alaw,ulaw'),
        2: Trunk(2, 'bad', '192.0.2.11\n[evil]', 5060, None, None, False,
            'alaw'),
        }
    snap = snapshot(agents=agents, trunks=trunks, queues={
            10: queue(10, 'sales'),
            20: queue(20, 'evil', music_class='default\n[x]')})
    with caplog.at_level(logging.ERROR, logger='telephony.render'):
        files = render.render_all(snap)
    text = ''.join(files.values())
    assert '[evil]' not in text and '80;04' not in text
    pjsip = files['pjsip.conf']
    assert 'callerid = "李娜" <8001>' in pjsip
    assert 'callerid = <8002>' in pjsip      # the name is left out
    assert '[8003]' not in pjsip             # no usable password
    assert '[bad]' not in pjsip and '[carrier]' in pjsip
    assert 'identify_by = ip' in pjsip.split('[carrier]')[1]
    assert 'identify_by = username' in pjsip.split('[8001]')[1]
    assert '[evil]' not in files['queues.conf']
    assert 'left out' in caplog.text


def test_dialer_allow_list_follows_the_trunk():
    plain = Trunk(1, 'carrier', '192.0.2.10', 5060, None, None, False, 'alaw')
    text = render.render_extensions(snapshot(trunks={1: plain}))
    assert '[tvcc-dialer-allowed]\n\n' in text
    wide = dataclasses.replace(plain, allow_international=True)
    text = render.render_extensions(snapshot(trunks={1: wide}))
    assert 'exten => _00X.,1,Dial(PJSIP/${EXTEN}@' in text


def test_membership_leaves_out_unsafe_agents_and_reasons():
    agents = {
        1: Agent(1, 11, 'a', '8001', 'simulated', None,
            'Local/8001@tvcc-agents/n', 'Custom:tvcc8001'),
        2: Agent(2, 12, 'b', '8002', 'simulated', None,
            'Local/8002\r\nAction: Command@tvcc-agents/n', 'Custom:tvcc8002'),
        }
    snap = snapshot(agents=agents)
    wanted = members.desired_members(snap, {1: ('paused', 'meal\r\nX: y'),
            2: ('ready', '')})
    assert [(m.name, m.reason) for m in wanted['sales']] == [('8001', '')]


NODE = NodeSettings(id=1, code='t', name='t', ami_host='127.0.0.1',
    ami_port=1, ami_username='tvcc', ami_secret_ref='env:X',
    agi_host='127.0.0.1', agi_port=2, instance_path='/srv/tvcc/t',
    host_path='/tmp/unused', agi_secret_ref='env:Y')


def test_recording_file_is_rebuilt_never_taken_from_the_record(tmp_path):
    node = dataclasses.replace(NODE, host_path=str(tmp_path))
    day = dt.date(2026, 12, 1)
    good = routes.recording_path(node, '1733051234.42', day)
    assert good == '/srv/tvcc/t/spool/monitor/2026/12/01/1733051234.42.wav'
    assert routes.recording_file(node, '1733051234.42', good) == (
        tmp_path / 'spool/monitor/2026/12/01/1733051234.42.wav')
    for stored in [
            '/srv/tvcc/t/spool/monitor/../../etc/manager.conf',
            '/srv/tvcc/t/spool/monitor/2026/12/01/../../../../etc/x.wav',
            '/srv/tvcc/t/spool/monitor/2026/12/01/other.wav',
            '/etc/passwd', '', None]:
        assert routes.recording_file(node, '1733051234.42', stored) is None
    assert routes.recording_file(node, '../x', good) is None
    with pytest.raises(asterisk_values.UnsafeValue):
        routes.recording_path(node, '1.2/../../x')
    # A link planted in the spool does not lead out of it.
    folder = tmp_path / 'spool/monitor/2026/12/01'
    folder.mkdir(parents=True)
    (tmp_path / 'secret').write_text('x')
    (folder / '1733051234.42.wav').symlink_to(tmp_path / 'secret')
    assert routes.recording_file(node, '1733051234.42', good) is None


def test_route_values_the_dialplan_could_misread_fall_back():
    class Bridge:
        node = NODE
        sounds_path = '/srv/tvcc/t/sounds'
    decision = routes.routing.Decision(action='voicemail',
        mailbox='100,,evil', outcome='voicemail')
    values = routes.decision_values(decision, snapshot(), Bridge, '1.2')
    assert values == {'TVCC_ACTION': ''}
    decision = routes.routing.Decision(action='voicemail', mailbox='100',
        outcome='voicemail')
    assert routes.decision_values(decision, snapshot(), Bridge, '1.2')[
        'TVCC_MAILBOX'] == '100'


def test_agi_script_carries_the_token():
    assert agi.split_script('tok123/inbound?x=1') == (
        'tok123', 'inbound', {'x': '1'})
    assert agi.split_script('inbound') == ('inbound', '', {})


def test_agi_commands_never_carry_a_line_break():
    class Writer:
        written = []

        def write(self, data):
            self.written.append(data)

        async def drain(self):
            pass
    request = agi.AGIRequest({'agi_channel': 'x'}, None, Writer())
    with pytest.raises(agi.AGIRefused):
        asyncio.run(request.command('SET VARIABLE A "1"\nEXEC System id'))
    assert Writer.written == []


def test_ami_actions_never_carry_a_line_break():
    async def send():
        client = AMIClient('127.0.0.1', 1, 'u', 's')
        return await client.action({'Action': 'QueuePause',
                'Reason': 'meal\r\nAction: Command\r\nCommand: core stop'})
    response = asyncio.run(send())
    assert not response.success and 'Reason' in response['Message']


def test_repeated_sip_failures_ban_the_address():
    from telephony import security
    bans = security.BanList(limit=3, window=10, ban_for=100)
    event = {'Event': 'InvalidAccountID',
        'RemoteAddress': 'IPV4/UDP/203.0.113.9/5060'}
    assert security.remote_ip(event) == '203.0.113.9'
    assert security.remote_ip({'RemoteAddress': 'junk'}) is None
    assert not bans.failure('203.0.113.9', 0)
    assert not bans.failure('203.0.113.9', 20)      # the first is too old
    assert not bans.failure('203.0.113.9', 21)
    assert bans.failure('203.0.113.9', 22)
    assert bans.banned() == ['203.0.113.9']
    for _ in range(5):                              # trunks are spared
        assert not bans.failure('192.0.2.10', 30, spared={'192.0.2.10'})
    assert not bans.expire(50) and bans.expire(122)
    assert bans.banned() == []
    pjsip = render.render_pjsip(snapshot(), ['203.0.113.9', 'x;y'])
    assert '[tvcc-banned]\ntype = acl\ndeny = 203.0.113.9\n' in pjsip
