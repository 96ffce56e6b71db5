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
    assert ('exten => _00X.,1,Gosub(tvcc-dialer-present,s,1)\n'
        ' same => n,Dial(PJSIP/${EXTEN}@') in text


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


# -- SIP bans outlive the bridge (security.BanList's file) --

def test_sip_bans_are_saved_and_survive_a_new_ban_list(tmp_path):
    import json
    import stat
    from telephony import security
    path = security.bans_file('pytest', tmp_path / 'state')
    assert path == tmp_path / 'state' / 'sip-bans-pytest.json'
    bans = security.BanList(limit=2, window=10, ban_for=100, path=path)
    assert bans.load(1000) == 0                     # no file: no ban
    assert not bans.failure('203.0.113.9', 1000)
    assert bans.failure('203.0.113.9', 1001)
    # Written at once, 0600 in a 0700 folder, nothing else left beside it.
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert json.loads(path.read_text())['bans'] == {'203.0.113.9': 1101}
    assert bans.failure('2001:db8::7', 1002) is False
    assert bans.failure('2001:db8::7', 1003)
    # A new bridge (a new BanList on the same file) keeps them...
    again = security.BanList(limit=2, window=10, ban_for=100, path=path)
    assert again.load(1050) == 2
    assert again.banned() == ['2001:db8::7', '203.0.113.9']
    # ... until they expire: an expired ban is dropped at load, and the
    # file rewritten without it.
    later = security.BanList(limit=2, window=10, ban_for=100, path=path)
    assert later.load(1102) == 1 and later.banned() == ['2001:db8::7']
    assert list(json.loads(path.read_text())['bans']) == ['2001:db8::7']
    assert later.expire(1103) and later.banned() == []
    assert json.loads(path.read_text())['bans'] == {}


def test_sip_bans_file_that_lies_bans_nothing_forever(tmp_path, caplog):
    import json
    from telephony import security
    path = tmp_path / 'sip-bans-t.json'
    path.write_text(json.dumps({'version': 1, 'bans': {
                '198.51.100.1': 1e18,           # "forever": capped
                'x;y': 5000, '198.51.100.2': 'soon', '198.51.100.3': True,
                '198.51.100.4': 1500}}))
    bans = security.BanList(ban_for=100, path=path)
    assert bans.load(1000) == 2
    assert bans.bans == {'198.51.100.1': 1100, '198.51.100.4': 1100}
    for text in ['not json', '[]', '{"bans": 3}']:
        path.write_text(text)
        with caplog.at_level(logging.ERROR, logger='telephony.security'):
            assert security.BanList(path=path).load(1000) == 0
    # A link is not followed (another file would be read or replaced).
    (tmp_path / 'elsewhere.json').write_text('{"bans": {"192.0.2.1": 2000}}')
    path.unlink()
    path.symlink_to(tmp_path / 'elsewhere.json')
    assert security.BanList(path=path).load(1000) == 0
    with pytest.raises(ValueError):
        security.bans_file('../etc/x')


def test_bridge_renders_restored_bans_before_serving(tmp_path, monkeypatch):
    "A new Bridge loads the bans of its node and renders them into pjsip.conf"
    import time
    from telephony import security, service
    monkeypatch.setenv('Y', 'T' * 20)
    node = dataclasses.replace(NODE, host_path=str(tmp_path / 'host'))
    path = security.bans_file(node.code, tmp_path / 'state')
    first = security.BanList(path=path)
    first.bans['203.0.113.50'] = time.time() + 600
    first.bans['192.0.2.10'] = time.time() + 600     # now a trunk's address
    first.save()

    async def start():
        bridge = service.Bridge(node)
        bridge.bans.path = path
        bridge.bans.load(time.time())
        bridge.snapshot = snapshot(trunks={1: Trunk(1, 'carrier',
                    '192.0.2.10', 5060, None, None, False, 'alaw')})
        return bridge, await bridge.write_config()
    bridge, commands = asyncio.run(start())
    assert bridge.bans.banned() == ['192.0.2.10', '203.0.113.50']
    pjsip = (tmp_path / 'host' / 'etc' / 'tvcc' / 'pjsip.conf').read_text()
    assert '[tvcc-banned]\ntype = acl\ndeny = 203.0.113.50\n' in pjsip
    assert 'res_pjsip.so' in commands


# -- the AMI secret never crosses the connection --

def test_ami_login_sends_no_secret_to_a_squatter():
    """A process squatting the AMI port (Asterisk restarting) sees a
    Challenge and an MD5 key, never the secret"""
    secret = 'S3cret-of-this-installation'
    received = bytearray()

    async def scenario():
        async def squatter(reader, writer):
            writer.write(b'Asterisk Call Manager/9.0.0\r\n')
            while True:
                block = await reader.readuntil(b'\r\n\r\n')
                received.extend(block)
                headers = dict(line.split(': ', 1) for line in
                    block.decode().strip().split('\r\n'))
                reply = f'ActionID: {headers.get("ActionID", "")}\r\n'
                if headers['Action'] == 'Challenge':
                    writer.write(('Response: Success\r\n' + reply
                            + 'Challenge: 123456789\r\n\r\n').encode())
                else:
                    writer.write(('Response: Error\r\n' + reply
                            + 'Message: Authentication failed\r\n\r\n'
                            ).encode())
                await writer.drain()
        server = await asyncio.start_server(squatter, '127.0.0.1', 0)
        port = server.sockets[0].getsockname()[1]
        client = AMIClient('127.0.0.1', port, 'tvcc', secret)
        try:
            with pytest.raises(Exception) as raised:
                await client.start(timeout=10)
        finally:
            client.close()
            server.close()
        return raised.value
    error = asyncio.run(scenario())
    assert 'refused the AMI login' in str(error)
    text = received.decode()
    assert 'Action: Challenge\r\n' in text and 'AuthType: MD5\r\n' in text
    assert 'secret' not in text.lower() and secret not in text
    from telephony.ami import login_key
    import hashlib
    key = hashlib.md5(('123456789' + secret).encode()).hexdigest()
    assert login_key('123456789', secret) == key
    assert f'Key: {key}\r\n' in text


# -- FastAGI: a key per channel, a socket handed over --

def test_agi_key_is_bound_to_the_channel_and_hides_the_token():
    import hashlib
    token = 'Tok3n-of-this-installation'
    key = agi.request_key(token, '1733051234.42')
    assert key == hashlib.sha1(
        (token + '1733051234.42').encode()).hexdigest()
    assert agi.is_authentic(key, token, '1733051234.42')
    assert agi.is_authentic(key.upper(), token, '1733051234.42')
    assert not agi.is_authentic(key, token, '1733051234.43')
    assert not agi.is_authentic(token, token, '1733051234.42')  # in clear
    assert not agi.is_authentic(key, token, '')
    assert not agi.is_authentic('', token, '1.1')


def test_fastagi_serves_a_socket_handed_over(tmp_path):
    "listen.inherited finds the socket; FastAGIServer serves on it"
    import os
    import socket
    from telephony import listen
    held = listen.bind('127.0.0.1', 0)
    port = held.getsockname()[1]
    # Nobody else can bind the port while it is held.
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with pytest.raises(OSError) as raised:
            squatter.bind(('127.0.0.1', port))
    assert raised.value.errno == __import__('errno').EADDRINUSE
    fd = os.dup(held.fileno())
    environ = {listen.FD_VARIABLE: str(fd), 'LISTEN_FDS': '1',
        'LISTEN_PID': '1'}          # systemd's, for another process
    sock = listen.inherited('127.0.0.1', port, environ)
    assert sock.fileno() == fd and not sock.get_inheritable()
    assert environ == {}                # not passed on to our children
    assert listen.inherited('127.0.0.1', port, {}) is None
    with pytest.raises(listen.ListenError):
        listen.inherited('127.0.0.1', port + 1,
            {listen.FD_VARIABLE: str(held.fileno())})
    with pytest.raises(listen.ListenError):
        listen.inherited('127.0.0.1', port, {listen.FD_VARIABLE: '987'})

    async def scenario():
        server = agi.FastAGIServer('127.0.0.1', port, 'T' * 20, sock=sock)

        @server.route('ping')
        async def ping(request):
            await request.set_variable('TVCC_PING', 'pong')
        await server.start()
        answers = []
        for key in [agi.request_key('T' * 20, '9.9'), 'T' * 20]:
            reader, writer = await asyncio.open_connection('127.0.0.1', port)
            writer.write(f'agi_network_script: {key}/ping\n'
                f'agi_uniqueid: 9.9\n\n'.encode())
            answers.append(await asyncio.wait_for(reader.readline(), 5))
            writer.close()
        await server.close()
        return answers
    served, refused = asyncio.run(scenario())
    assert served == b'SET VARIABLE TVCC_PING "pong"\n' and refused == b''
    held.close()


def test_keeper_restarts_a_dead_bridge_but_not_a_misconfigured_one():
    from tvcc.keeper import Restarts
    restarts = Restarts(limit=3, window=60, initial=1, maximum=4)
    assert restarts.delay(2, 0) is None and restarts.delay(3, 0) is None
    assert [restarts.delay(-9, t) for t in (0, 1, 2)] == [1, 2, 4]
    assert restarts.delay(1, 3) is None          # a fourth death in 60 s
    assert restarts.delay(-9, 100) == 1          # the old ones are forgotten


# -- production compose: PostgreSQL's superuser is nobody else's --

def test_compose_services_do_not_use_the_postgres_superuser(tmp_path):
    "make check-compose: the shipped file passes, a superuser login fails"
    import shutil
    import yaml
    from tvcc import compose_check, settings
    assert compose_check.problems() == []
    config = yaml.safe_load(compose_check.COMPOSE.read_text())
    assert config['services']['postgres']['environment'][
        'POSTGRES_USER'] == 'postgres'
    # The image's defaults (POSTGRES_USER: tvcc makes tvcc a superuser)...
    config['services']['postgres']['environment']['POSTGRES_USER'] = 'tvcc'
    # ... and a service handed the superuser's password.
    config['services']['bridge']['secrets'].append('postgres_password')
    shutil.copytree(settings.PROJECT / 'docker', tmp_path / 'docker')
    compose = tmp_path / 'docker-compose.yml'
    compose.write_text(yaml.safe_dump(config))
    found = compose_check.problems(compose)
    assert 'postgres: TVCC_DB_ROLE tvcc is the superuser (POSTGRES_USER)' \
        in found
    assert any(p.startswith('trytond: TRYTOND_DATABASE__URI connects as '
            'tvcc, the superuser') for p in found), found
    assert 'bridge: has the superuser\'s password (secret ' \
        'postgres_password)' in found
    (tmp_path / 'docker' / 'postgres-init' / '10-tvcc-role.sh').unlink()
    config['services']['postgres']['environment']['POSTGRES_USER'] = \
        'postgres'
    compose.write_text(yaml.safe_dump(config))
    assert any('no init script' in p
        for p in compose_check.problems(compose))


def test_compose_containers_can_read_and_write_what_they_use():
    """make check-compose: the images' users own their volumes and secrets,
    the bridge shares Asterisk's folder and writes what it renders; each
    break is named"""
    import yaml
    from tvcc import compose_check
    text = compose_check.COMPOSE.read_text()
    config = yaml.safe_load(text)
    assert compose_check.deployment_problems(config, text) == []

    def broken(text=text, **changes):
        config = yaml.safe_load(text)
        for service, (key, value) in changes.items():
            if key == 'volumes':
                config['services'][service]['volumes'] = [v for v in
                    config['services'][service]['volumes']
                    if not v.startswith(value)]
            else:
                config['services'][service]['environment'][key] = value
        return compose_check.deployment_problems(config, text)
    assert any(p.startswith('bridge: does not mount the Asterisk volume')
        for p in broken(bridge=('volumes', 'asterisk:')))
    assert any(p.startswith('asterisk: TVCC_BRIDGE_UID is not 2001')
        for p in broken(asterisk=('TVCC_BRIDGE_UID', '0')))
    # The first-start commands forget to give pgpass to the tryton user.
    found = broken(text.replace(' secrets/pgpass secrets/ami.secret',
            ' secrets/ami.secret'))
    for service in ['trytond', 'trytond-cron', 'trytond-worker', 'bridge']:
        assert f'{service}: secret pgpass (./secrets/pgpass) is not given ' \
            'to uid 2001 in the first-start commands (mounted 0600, the ' \
            'service could not read it)' in found, found
    # An image that would run as root, or a volume it cannot write.
    dockerfile = compose_check._dockerfile(config['services']['bridge'],
        compose_check.settings.PROJECT)
    assert compose_check._image_user(dockerfile)[:2] == ('tvcc', 2001)
    assert compose_check._image_user(
        dockerfile.replace('USER tvcc', 'USER root'))[1] is None


def _scram_matches(verifier, password):
    "Whether PostgreSQL's SCRAM-SHA-256 verifier is the one of password"
    import base64
    import hashlib
    import hmac
    method, _, rest = verifier.partition('$')
    iterations_salt, _, keys = rest.partition('$')
    iterations, _, salt = iterations_salt.partition(':')
    stored_key, _, server_key = keys.partition(':')
    salted = hashlib.pbkdf2_hmac('sha256', password.encode(),
        base64.b64decode(salt), int(iterations))
    client = hmac.new(salted, b'Client Key', 'sha256').digest()
    return method == 'SCRAM-SHA-256' and hmac.compare_digest(
        base64.b64decode(stored_key), hashlib.sha256(client).digest())


def test_postgres_init_script_creates_a_role_that_is_no_superuser(tmp_path):
    """docker/postgres-init/10-tvcc-role.sh, run as the image runs it
    (against this machine's PostgreSQL, a scratch role and database): a
    LOGIN role, no superuser, owning the database, its password the
    secret file's, quotes and backslashes included"""
    import os
    import random
    import shutil
    import subprocess
    from urllib.parse import urlparse
    import psycopg
    from tvcc import settings
    from tvcc import bootstrap
    if not shutil.which('psql'):
        pytest.skip('no psql on this machine')
    try:
        admin_uri = bootstrap.database_uri()     # the set-up's superuser
        admin = psycopg.connect(admin_uri.rstrip('/') + '/postgres',
            autocommit=True)
    except (bootstrap.SetupError, psycopg.OperationalError) as error:
        pytest.skip(f'no PostgreSQL: {error}')
    if not admin.execute('SELECT rolsuper FROM pg_roles '
            'WHERE rolname = current_user').fetchone()[0]:
        admin.close()
        pytest.skip('the set-up does not reach PostgreSQL as a superuser')
    uri = urlparse(admin_uri)
    name = f'tvcc_ci_{random.randrange(10**8)}'
    password = "pa'ss\\w$rd `x` " + name
    secret = tmp_path / 'tvcc_db_password'
    secret.write_text(password + '\n')
    env = {**os.environ, 'PGHOST': uri.hostname or '127.0.0.1',
        'PGPORT': str(uri.port or 5432),
        'POSTGRES_USER': uri.username or 'postgres',
        'TVCC_DB_ROLE': name, 'TVCC_DB_NAME': name,
        'TVCC_DB_PASSWORD_FILE': str(secret)}
    if uri.password:
        env['PGPASSWORD'] = uri.password
    script = settings.PROJECT / 'docker' / 'postgres-init' / '10-tvcc-role.sh'
    try:
        result = subprocess.run(['sh', str(script)], env=env,
            capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert password not in result.stdout + result.stderr
        row = admin.execute('SELECT rolsuper, rolcreatedb, rolcreaterole, '
            'rolreplication, rolcanlogin, rolpassword FROM pg_authid '
            'WHERE rolname = %s', (name,)).fetchone()
        assert row[:5] == (False, False, False, False, True)
        assert _scram_matches(row[5], password)
        assert admin.execute('SELECT pg_get_userbyid(datdba) FROM '
            'pg_database WHERE datname = %s', (name,)).fetchone() == (name,)
        # The superuser cannot be made the application role.
        bad = subprocess.run(['sh', str(script)], capture_output=True,
            text=True, env={**env, 'TVCC_DB_ROLE': env['POSTGRES_USER']})
        assert bad.returncode == 1 and 'must not be the superuser' in \
            bad.stderr
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'DROP ROLE IF EXISTS "{name}"')
        admin.close()


CHILD_SERVER = '''
import asyncio, sys
from telephony import agi, listen
port = int(sys.argv[1])
async def main():
    sock = listen.inherited('127.0.0.1', port)
    assert sock is not None, 'no socket handed over'
    server = agi.FastAGIServer('127.0.0.1', port, 'T' * 20, sock=sock)
    done = asyncio.Event()
    @server.route('ping')
    async def ping(request):
        done.set()
        await request.set_variable('TVCC_PING', 'pong')
    await server.start()
    await asyncio.wait_for(done.wait(), 20)
    await server.close()
asyncio.run(main())
'''


def test_fastagi_socket_from_systemd_socket_activation(tmp_path):
    """The bridge's side of docker/systemd/tvcc-bridge.socket: systemd's
    LISTEN_FDS/LISTEN_PID and descriptor 3 (systemd-socket-activate plays
    systemd)"""
    import shutil
    import socket
    import subprocess
    import sys
    import time
    from tvcc import settings
    if not shutil.which('systemd-socket-activate'):
        pytest.skip('no systemd-socket-activate')
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    script = tmp_path / 'child.py'
    script.write_text(CHILD_SERVER)
    activator = subprocess.Popen(['systemd-socket-activate',
            '-l', f'127.0.0.1:{port}', '--fdname=fastagi',
            '-E', f'PYTHONPATH={settings.PROJECT}',
            sys.executable, str(script), str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                connection = socket.create_connection(('127.0.0.1', port))
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, 'not listening'
                time.sleep(0.05)
        with connection:
            connection.settimeout(20)
            connection.sendall(f'agi_network_script: '
                f'{agi.request_key("T" * 20, "5.5")}/ping\n'
                'agi_uniqueid: 5.5\n\n'.encode())
            answer = connection.makefile('rb').readline()
        assert answer == b'SET VARIABLE TVCC_PING "pong"\n'
        assert activator.wait(20) == 0, activator.stdout.read()
    finally:
        if activator.poll() is None:
            activator.kill()
            activator.wait()
