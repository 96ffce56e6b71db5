"""Attacks on the telephony side, each through the real path: the real
Asterisk of the 'test' instance, the bridge, sipp, trytond over JSON-RPC.

Each test plays the attacker and checks that the attack is refused and that
nothing changed."""
import asyncio
import os
import random
import subprocess
import time
from pathlib import Path

import pytest

from callcenter import ami_session, EventLog
from helpers import RPC, RPCError, runtime

from tvcc import settings

SIPP = Path(__file__).parent / 'sipp'
BRIDGE_NODE = 'pytest'      # the node conftest's bridge serves


def run(coroutine):
    return asyncio.run(coroutine)


def asterisk_processes(instance):
    "PIDs of the instance's Asterisk itself (not the unshare/sh wrapper)"
    import sys
    sys.path.insert(0, str(settings.PROJECT / 'asterisk'))
    import runtime as asterisk_runtime
    return [pid for pid in asterisk_runtime.instance_pids(instance)
        if Path(f'/proc/{pid}/comm').read_text().strip() == 'asterisk']


def root_ids(name):
    "(uid, gid) of name in the Asterisk root"
    root = settings.ASTERISK_ROOT
    ids = []
    for table in ['passwd', 'group']:
        for line in (root / 'etc' / table).read_text().splitlines():
            fields = line.split(':')
            if fields[0] == name:
                ids.append(int(fields[2]))
    return tuple(ids)


# -- least privilege --

def test_asterisk_does_not_run_as_root(asterisk, instance):
    "Asterisk's process runs as the root's asterisk user and group"
    pids = asterisk_processes(instance)
    assert pids
    uid, gid = root_ids('asterisk')
    assert uid and gid
    for pid in pids:
        status = dict(line.split(':', 1) for line in
            Path(f'/proc/{pid}/status').read_text().splitlines())
        real, effective, saved, _ = status['Uid'].split()
        assert {int(real), int(effective), int(saved)} == {uid}, status
        assert int(status['Gid'].split()[1]) == gid


def test_no_shell_from_the_dialplan(asterisk, instance):
    "app_system and func_shell are not loaded: System() and SHELL() fail"
    for module in ['app_system', 'func_shell']:
        output = runtime('cli', instance.name,
            f'module show like {module}').stdout
        assert '0 modules loaded' in output, output
    output = runtime('cli', instance.name,
        'core show application System').stdout
    assert 'not registered' in output or 'Your application' in output, \
        output


def test_ami_account_has_no_system_or_command_right(asterisk, instance):
    """The AMI account cannot run CLI commands or write AstDB; it reloads
    modules through the Reload action"""
    async def scenario():
        async with ami_session(instance) as ami:
            command = await ami.action({'Action': 'Command',
                    'Command': 'core show version'})
            dbput = await ami.action({'Action': 'DBPut', 'Family': 'x',
                    'Key': 'y', 'Val': 'z'})
            reload = await ami.action({'Action': 'Reload',
                    'Module': 'app_queue.so'})
            return command, dbput, reload
    command, dbput, reload = run(scenario())
    assert not command.success and 'Permission denied' in \
        command.get('Message', ''), command
    assert not dbput.success and 'Permission denied' in \
        dbput.get('Message', ''), dbput
    assert reload.success, reload
    manager = (instance.host_path / 'etc' / 'manager.conf').read_text()
    rights = [line for line in manager.splitlines()
        if line.startswith(('read =', 'write ='))]
    assert rights and not any('system' in line or 'command' in line
        for line in rights), rights


def test_configuration_with_secrets_is_not_world_readable(bridge, instance):
    """manager.conf (the AMI secret), extensions.conf (the FastAGI token)
    and the rendered pjsip.conf (SIP passwords): exactly root:asterisk
    0640. Not 0600: Asterisk, which is not root, must read them; not
    Asterisk's own: it must not be able to rewrite them."""
    _, gid = root_ids('asterisk')
    etc = instance.host_path / 'etc'
    for path in [etc / 'manager.conf', etc / 'extensions.conf',
            etc / 'tvcc' / 'pjsip.conf']:
        stat = path.stat()
        assert oct(stat.st_mode & 0o7777) == oct(0o640), path
        assert (stat.st_uid, stat.st_gid) == (0, gid), path
    # Asterisk cannot rewrite its own configuration (AMI UpdateConfig).
    assert os.stat(etc).st_uid == 0 and os.stat(etc).st_mode & 0o022 == 0


# -- FastAGI --

async def agi_request(port, script, read_timeout=5, uniqueid='1.1'):
    """Send FastAGI headers as Asterisk would; return what the server sent
    back before closing (b'' when it closed without a word)"""
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    headers = {
        'agi_network': 'yes', 'agi_network_script': script,
        'agi_request': f'agi://127.0.0.1:{port}/{script}',
        'agi_channel': 'PJSIP/forged-00000001', 'agi_uniqueid': uniqueid,
        'agi_callerid': '13800138000', 'agi_arg_1': '4009000001',
        'agi_arg_2': uniqueid}
    writer.write(''.join(f'{k}: {v}\n' for k, v in headers.items()).encode()
        + b'\n')
    await writer.drain()
    try:
        data = await asyncio.wait_for(reader.readline(), read_timeout)
    finally:
        writer.close()
    return data


def test_forged_fastagi_request_without_the_token_is_refused(bridge,
        instance):
    """A local process that connects to the FastAGI port without the
    installation's key for the channel gets no route and no command: the
    token itself (which the dialplan no longer sends) is no key either,
    nor the key of another channel"""
    from telephony.agi import request_key
    token = instance.agi_secret(create=False)
    before = bridge.log().count('refused a request without the '
        'installation token')
    forged = ['inbound', 'ping', 'x' * 32 + '/inbound',
        token[:-1] + '/ping', f'{token}/ping',
        request_key(token, '2.2') + '/ping']
    for script in forged:
        assert run(agi_request(instance.agi_port, script)) == b'', script
    bridge.wait_for(lambda: bridge.log().count(
            'refused a request without the installation token')
        >= before + len(forged), timeout=10,
        what='refusing the forged requests')
    # The request with the channel's key is served (the route answers).
    answer = run(agi_request(instance.agi_port,
            request_key(token, '1.1') + '/ping'))
    assert answer.startswith(b'SET VARIABLE TVCC_PING'), answer


async def selftest_ping(ami, events):
    "A call to the self-test DID: the dialplan's AGI ping; its AGI AppData"
    linkedid = f'{int(time.time())}.{random.randrange(10**6, 10**7)}'
    response = await ami.action({'Action': 'Originate',
            'Channel': 'Local/answer@tvcc-script',
            'Context': 'tvcc-selftest', 'Exten': '4000', 'Priority': 1,
            'Async': 'true', 'ChannelId': linkedid,
            'OtherChannelId': linkedid + '1', 'Variable': 'TVCC_TALK=1'})
    assert response.success, response
    pong = await events.wait(lambda e: e.get('Event') == 'VarSet'
        and e.get('Variable') == 'TVCC_PING'
        and e.get('Uniqueid') == linkedid, timeout=30, what='TVCC_PING')
    agi_app = await events.wait(lambda e: e.get('Event') == 'Newexten'
        and e.get('Application') == 'AGI' and e.get('Uniqueid') == linkedid,
        timeout=5, what='the AGI step')
    return linkedid, pong, agi_app


def test_dialplan_sends_a_key_per_channel_never_the_token(bridge, instance):
    """The dialplan's AGI URL carries SHA1(token + UNIQUEID): the bridge
    answers it, and neither the URL nor AMI's events show the token"""
    from telephony.agi import request_key
    token = instance.agi_secret(create=False)

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            result = await selftest_ping(ami, events)
            return result, events.events
    (linkedid, pong, agi_app), seen = run(scenario())
    assert pong.get('Value', '').startswith('pong')
    assert f'/{request_key(token, linkedid)}/ping' in agi_app['AppData']
    assert not [e for e in seen if token in str(dict(e))]


# -- AMI --

class Recorder:
    "A TCP relay to AMI that keeps what the client sent"

    def __init__(self, target_port):
        self.target_port = target_port
        self.sent = bytearray()

    async def start(self):
        self.server = await asyncio.start_server(self._relay, '127.0.0.1', 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _relay(self, reader, writer):
        up_reader, up_writer = await asyncio.open_connection('127.0.0.1',
            self.target_port)

        async def pipe(source, target, keep):
            try:
                while data := await source.read(65536):
                    if keep:
                        self.sent.extend(data)
                    target.write(data)
                    await target.drain()
            except ConnectionError:
                pass
            finally:
                target.close()
        await asyncio.gather(pipe(reader, up_writer, True),
            pipe(up_reader, writer, False))

    def close(self):
        self.server.close()


def test_ami_login_is_an_md5_challenge(asterisk, instance):
    """The AMI login never sends the secret: Challenge, then Login with
    AuthType MD5 and the key; Asterisk accepts it (and refuses a key made
    from a wrong secret)"""
    from telephony.ami import AMIAuthenticationError, AMIClient
    secret = instance.ami_secret(create=False)

    async def scenario(password):
        recorder = await Recorder(instance.ami_port).start()
        client = AMIClient('127.0.0.1', recorder.port, instance.ami_username,
            password, name='pytest-md5')
        try:
            await client.start(timeout=15)
            pong = await client.action({'Action': 'Ping'})
            return pong, bytes(recorder.sent)
        finally:
            client.close()
            recorder.close()
    pong, sent = run(scenario(secret))
    assert pong.success, pong
    text = sent.decode()
    assert 'Action: Challenge\r\n' in text and 'AuthType: MD5\r\n' in text
    assert 'Action: Login\r\n' in text and '\r\nKey: ' in text
    assert 'Secret:' not in text and secret not in text
    with pytest.raises(AMIAuthenticationError, match='refused'):
        run(scenario('not-the-secret'))


# -- SIP --

def test_spoofed_trunk_from_another_address_does_not_reach_the_dialplan(
        cc, tryton, instance, tmp_path):
    """An INVITE whose From user names a trunk, sent from an address that
    is not the trunk's, is refused before any dialplan runs"""
    a, = cc.agents(1)
    _, queue_id = cc.queue([a])
    did = cc.did(queue=queue_id)

    def trunk(pool):
        Trunk = pool.get('callcenter.trunk')
        if not Trunk.search([('code', '=', 't_spoof')]):
            Trunk.create([{'code': 't_spoof', 'name': '测试运营商 B',
                        'host': '192.0.2.77', 'port': 5060}])
    tryton.call(trunk)
    (tmp_path / 'users.csv').write_text('SEQUENTIAL\nt_spoof;\n')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            deadline = time.monotonic() + 30
            while not cc.applied():
                assert time.monotonic() < deadline, 'configuration not applied'
                await asyncio.sleep(0.2)
            pjsip = (instance.host_path / 'etc' / 'tvcc' /
                'pjsip.conf').read_text()
            assert '[t_spoof-identify]' in pjsip
            sipp = await asyncio.create_subprocess_exec(
                'sipp', '-sf', str(SIPP / 'uac_spoofed.xml'),
                '-inf', str(tmp_path / 'users.csv'),
                '-s', did.replace('+86', ''), '-i', '127.0.0.2',
                '-p', '15071', '-m', '1', '-l', '1',
                '-timeout', '15', '-timeout_error', '-nostdin',
                f'127.0.0.1:{instance.sip_port}',
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                cwd=tmp_path)
            _, stderr = await asyncio.wait_for(sipp.communicate(), 30)
            # Asterisk reports the refusal as a security event.
            await events.wait(lambda e: e.get('Event') in {
                    'InvalidAccountID', 'ChallengeSent'}
                and '127.0.0.2' in e.get('RemoteAddress', ''),
                timeout=10, what='the security event of the refusal')
            return sipp.returncode, stderr, events.events
    code, stderr, seen = run(scenario())
    assert code == 0, stderr.decode(errors='replace')[-2000:]
    assert not [e for e in seen if e.get('Event') == 'Newchannel'
        and e.get('Channel', '').startswith('PJSIP/t_spoof')]
    assert not [e for e in seen if e.get('Event') == 'Newexten'
        and e.get('Context') == 'tvcc-inbound']


async def spoofed_invites(instance, did, address, port, count, folder,
        timeout=20, scenario='uac_spoofed.xml'):
    "count INVITEs from address that no endpoint matches; sipp's exit code"
    (folder / 'users.csv').write_text('SEQUENTIAL\nt_nobody;\n')
    sipp = await asyncio.create_subprocess_exec(
        'sipp', '-sf', str(SIPP / scenario),
        '-inf', str(folder / 'users.csv'),
        '-s', did.replace('+86', ''), '-i', address, '-p', str(port),
        '-m', str(count), '-l', '1', '-r', '5',
        '-timeout', str(timeout), '-timeout_error', '-nostdin',
        f'127.0.0.1:{instance.sip_port}',
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=folder)
    _, stderr = await asyncio.wait_for(sipp.communicate(), timeout + 20)
    return sipp.returncode, stderr.decode(errors='replace')


def test_repeated_sip_failures_ban_the_address(cc, bridge, instance,
        tmp_path):
    """An address that keeps sending requests no endpoint accepts is
    banned by the bridge: Asterisk then refuses it by its ACL"""
    address = '127.0.0.3'
    _, _, did = cc.queue_with_number()

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            code, stderr = await spoofed_invites(instance, did, address,
                15072, 5, tmp_path)
            assert code == 0, stderr[-2000:]
            await asyncio.get_running_loop().run_in_executor(None,
                lambda: bridge.wait_log(f'SIP: banned {address}',
                    timeout=15))
            # Once res_pjsip has reloaded with the ban, its ACL answers the
            # address with 403 (uac_banned.xml fails on a 401 challenge).
            deadline = time.monotonic() + 30
            while True:
                code, stderr = await spoofed_invites(instance, did, address,
                    15072, 1, tmp_path, timeout=3, scenario='uac_banned.xml')
                if code == 0:
                    break
                assert time.monotonic() < deadline, stderr[-2000:]
    run(scenario())
    pjsip = (instance.host_path / 'etc' / 'tvcc' / 'pjsip.conf').read_text()
    assert f'[tvcc-banned]\ntype = acl\ndeny = {address}' in pjsip


async def wait_refused_by_acl(instance, did, address, port, folder):
    "Until res_pjsip answers the address with 403 (its ACL), at most 30 s"
    deadline = time.monotonic() + 30
    while True:
        code, stderr = await spoofed_invites(instance, did, address, port, 1,
            folder, timeout=3, scenario='uac_banned.xml')
        if code == 0:
            return
        assert time.monotonic() < deadline, stderr[-2000:]


def test_sip_ban_survives_a_bridge_restart(cc, bridge, instance, tmp_path):
    """A ban is kept in the bridge's state file (0600): the bridge started
    again loads it, renders the ACL at start, and Asterisk still refuses
    the address"""
    import json
    import stat
    address = '127.0.0.4'
    _, _, did = cc.queue_with_number()
    state = bridge.state_path / f'sip-bans-{BRIDGE_NODE}.json'

    async def ban():
        code, stderr = await spoofed_invites(instance, did, address, 15073,
            5, tmp_path)
        assert code == 0, stderr[-2000:]
        await asyncio.get_running_loop().run_in_executor(None,
            lambda: bridge.wait_log(f'SIP: banned {address}', timeout=15))
        await wait_refused_by_acl(instance, did, address, 15073, tmp_path)
    run(ban())
    saved = json.loads(state.read_text())['bans']
    assert saved[address] > time.time() + 3000
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    pjsip = instance.host_path / 'etc' / 'tvcc' / 'pjsip.conf'
    bridge.stop()
    # Nothing remembers the ban but the file: the ACL is gone from the
    # configuration the stopped bridge left...
    pjsip.write_text(pjsip.read_text().replace(address, '192.0.2.254'))
    bridge.start()
    bridge.wait_log('READY bridge', timeout=60)
    bridge.wait_log('resync:', timeout=60)
    # ... and the new bridge put it back before serving.
    assert f'ban(s) restored from {state}' in bridge.log()
    deny = [line for line in pjsip.read_text().splitlines()
        if line.startswith('deny = ')]
    assert deny and address in deny[0].split('= ')[1].split(','), deny
    run(wait_refused_by_acl(instance, did, address, 15073, tmp_path))


def test_fastagi_port_stays_held_while_the_bridge_restarts(cc, bridge,
        instance):
    """The keeper (as make run's supervisor) holds the FastAGI socket: with
    the bridge killed, no other process can bind the port; a request made
    meanwhile waits and is answered by the bridge started again, and the
    dialplan's calls reach it"""
    import errno
    import re
    import signal
    import socket
    from telephony.agi import request_key
    token = instance.agi_secret(create=False)
    pids = re.findall(r'bridge started \(pid (\d+)\)', bridge.log())
    assert pids, bridge.log()[-2000:]
    pid = int(pids[-1])
    starts = len(pids)
    os.kill(pid, signal.SIGKILL)
    bridge.wait_for(lambda: 'killed by SIGKILL: restarting' in bridge.log(),
        timeout=10, what='seeing the bridge die')
    # While the bridge is down, the port is still taken ...
    for reuse in (False, True):
        with socket.socket() as squatter:
            if reuse:
                squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR,
                    1)
            with pytest.raises(OSError) as raised:
                squatter.bind(('127.0.0.1', instance.agi_port))
            assert raised.value.errno == errno.EADDRINUSE
    assert len(re.findall(r'bridge started \(pid (\d+)\)',
            bridge.log())) == starts, 'restarted before the check'

    # ... and a request made now is served by the next bridge.
    async def waiting_request():
        return await agi_request(instance.agi_port,
            request_key(token, '3.3') + '/ping', read_timeout=90,
            uniqueid='3.3')
    answer = run(waiting_request())
    assert answer.startswith(b'SET VARIABLE TVCC_PING'), answer
    bridge.wait_log('resync:', timeout=60)
    new_pids = re.findall(r'bridge started \(pid (\d+)\)', bridge.log())
    assert len(new_pids) == starts + 1 and int(new_pids[-1]) != pid
    assert 'socket handed over' in bridge.log().rsplit(
        'bridge started', 1)[1]

    async def dialplan():
        async with ami_session(instance) as ami:
            return await selftest_ping(ami, EventLog(ami))
    _, pong, _ = run(dialplan())
    assert pong.get('Value', '').startswith('pong')


@pytest.mark.parametrize('number, allowed', [
        ('0085212345678', False),     # international
        ('0012125550100', False),     # international (US)
        ('16012345678', False),       # 160 service range
        ('95555', False),             # short service number
        ('13800138000', True),        # mainland mobile
        ('02161234567', True),        # Shanghai landline
        ])
def test_outbound_dialling_allow_list(asterisk, instance, number, allowed):
    """tvcc-dialer-out dials mainland mobiles and landlines only;
    international, premium and service numbers never reach a trunk"""
    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            key = f'allow-{random.randrange(10**9)}'
            response = await ami.action({'Action': 'Originate',
                    'Channel': f'Local/{number}@tvcc-dialer-out/n',
                    'Application': 'Wait', 'Data': '1', 'Async': 'true',
                    'Timeout': 3000, 'ActionID': key})
            assert response.success, response

            def verdict(e):
                return (e.get('Event') == 'UserEvent'
                    and e.get('UserEvent') == 'TvccDialRefused'
                    and e.get('Number') == number) or (
                    e.get('Event') == 'Newexten'
                    and e.get('Context') == 'tvcc-dialer-out'
                    and e.get('Extension') == number
                    and e.get('Application') == 'Dial')
            found = await events.wait(verdict, timeout=10,
                what=f'the verdict on {number}')
            await events.wait(lambda e: e.get('Event') == 'OriginateResponse'
                and e.get('ActionID') == key, timeout=15)
            return found
    found = run(scenario())
    assert (found.get('Application') == 'Dial') == allowed, found


# -- recordings --

def test_recording_path_outside_the_spool_is_not_served(bridge, cc, tryton,
        instance):
    """A call record whose recording path was changed to leave the spool
    (manager.conf holds the AMI secret) is not collected when the call
    ends: nothing is stored, leaders cannot download the file"""
    linkedid = f'{int(time.time())}.{random.randrange(10**6, 10**7)}'
    forged = f'{instance.path}/spool/monitor/../../etc/manager.conf'

    def make(pool):
        Call = pool.get('callcenter.call')
        Call.create([{'node': cc.node_id, 'linkedid': linkedid,
                    'uniqueid': linkedid, 'direction': 'inbound',
                    'state': 'ended', 'record': True,
                    'recording_path': forged}])
    tryton.call(make)

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami, 'Hangup')
            response = await ami.action({'Action': 'Originate',
                    'Channel': 'Local/answer@tvcc-script',
                    'Context': 'tvcc-selftest', 'Exten': '4000',
                    'Priority': 1, 'Async': 'true',
                    'ChannelId': linkedid,
                    'OtherChannelId': linkedid + '1',
                    'Variable': 'TVCC_TALK=1'})
            assert response.success, response
            await events.wait(lambda e: e.get('Uniqueid') == linkedid
                and e.get('Linkedid') == linkedid, timeout=20,
                what='the end of the call')
    run(scenario())
    bridge.wait_log(f'recording of call {linkedid} refused', timeout=15)

    def read(pool):
        call, = pool.get('callcenter.call').search(
            [('linkedid', '=', linkedid)])
        return call.recording_size, call.recording_id
    assert tryton.call(read) == (None, None)


# -- values refused where they are entered --

def admin_rpc(web, instance):
    rpc = RPC(web, instance.database)
    rpc.login('admin', settings.DEMO_PASSWORD)
    return rpc


@pytest.mark.parametrize('model, values, field', [
        ('callcenter.trunk', {'code': 't_inject', 'name': 'x',
                'host': '192.0.2.1;transport=tcp', 'port': 5060},
            '主机'),
        ('callcenter.trunk', {'code': 't_inject', 'name': 'x',
                'host': '192.0.2.1', 'port': 5060,
                'password': 'Secret1;x [evil]'}, '密码'),
        ('callcenter.trunk', {'code': 't_inject', 'name': 'x',
                'host': '192.0.2.1', 'port': 5060,
                'username': 'carrier";x'}, '用户名'),
        ])
def test_values_asterisk_would_misread_are_refused_in_chinese(web,
        instance, tryton, model, values, field):
    """A separator or a line break in a value rendered into Asterisk's
    configuration is refused by the form's model, in Chinese"""
    rpc = admin_rpc(web, instance)
    before = rpc.model(model, 'search_count', [('code', '=', 't_inject')])
    with pytest.raises(RPCError) as raised:
        rpc.model(model, 'create', [values])
    kind, (message, *_) = raised.value.args[0]
    assert kind == 'UserError'
    assert '不能交给 Asterisk 使用' in message and field in message, message
    assert rpc.model(model, 'search_count',
        [('code', '=', 't_inject')]) == before


def test_agent_sip_passwords(web, instance, tryton):
    """Weak SIP passwords are refused, an empty one is generated strong,
    and team leaders cannot read it"""
    from callcenter import unique
    rpc = admin_rpc(web, instance)

    def user(pool):
        User = pool.get('res.user')
        login = unique('pt_sip')
        user, = User.create([{'login': login, 'name': login}])
        return user.id
    user_id = tryton.call(user)
    extension = f'7{random.randrange(10000):04d}'
    with pytest.raises(RPCError) as raised:
        rpc.model('callcenter.agent', 'create', [{'user': user_id,
                    'extension': extension, 'device': 'sip',
                    'sip_password': 'password1'}])
    assert '强度不够' in raised.value.args[0][1][0]
    agent_id, = rpc.model('callcenter.agent', 'create', [{'user': user_id,
                'extension': extension, 'device': 'sip'}])
    password = rpc.model('callcenter.agent', 'read', [agent_id],
        ['sip_password'])[0]['sip_password']
    assert len(password) >= 16 and extension not in password
    leader = RPC(web, instance.database)
    leader.login('leader01', settings.DEMO_PASSWORD)
    with pytest.raises(RPCError):
        leader.model('callcenter.agent', 'read', [agent_id],
            ['sip_password'])
    form = leader.model('callcenter.agent', 'fields_view_get', None, 'form')
    assert 'sip_password' not in form['fields']
