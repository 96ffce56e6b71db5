"""Start-up and shutdown leave nothing behind, and every failure says what
failed and what to do. These tests use the 'probe' instance (its own ports),
so they run beside the 'test' instance."""
import asyncio
import signal
import socket
import subprocess

import pytest

from helpers import (
    PYTHON, RPC, Service, ami_session, http_ok, runtime)

from tvcc import settings
from telephony.ami import AMIAuthenticationError

import sys
sys.path.insert(0, str(settings.PROJECT / 'asterisk'))
import runtime as asterisk_runtime  # noqa: E402

PROBE = settings.instance('probe')


def assert_nothing_left(instance=PROBE):
    assert asterisk_runtime.instance_pids(instance) == []
    assert asterisk_runtime.host_mounts() == []
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(('127.0.0.1', instance.ami_port))


@pytest.fixture
def admin_rpc(web, instance):
    rpc = RPC(web, instance.database)
    rpc.login('admin', settings.DEMO_PASSWORD)
    return rpc


@pytest.fixture
def probe_node(admin_rpc):
    "A node record for the probe instance, removed afterwards"
    created = []

    def make(code, secret_ref):
        values = {
            'name': f'probe {code}', 'code': code, 'active': True,
            'ami_port': PROBE.ami_port, 'agi_port': PROBE.agi_port,
            'ami_secret_ref': secret_ref,
            'agi_secret_ref': PROBE.agi_secret_ref,
            'instance_path': PROBE.path,
            'host_path': str(PROBE.host_path)}
        # A run that crashed may have left it behind.
        ids = admin_rpc.model('callcenter.node', 'search',
            [('code', '=', code), ('active', 'in', [True, False])],
            0, None, None)
        if ids:
            admin_rpc.model('callcenter.node', 'write', ids, values)
        else:
            ids = admin_rpc.model('callcenter.node', 'create', [values])
        created.extend(ids)
        return code
    yield make
    if created:
        # Its bridge may have recovered calls from the probe instance's
        # logs: a node with history cannot be deleted (RESTRICT).
        calls = admin_rpc.model('callcenter.call', 'search',
            [('node', 'in', created)], 0, None, None)
        admin_rpc.model('callcenter.call', 'delete', calls)
        admin_rpc.model('callcenter.node', 'delete', created)


def test_asterisk_start_refuses_a_taken_port():
    "A taken AMI port stops the start with its owner named; nothing remains"
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(('127.0.0.1', PROBE.ami_port))
        squatter.listen()
        result = runtime('start', PROBE.name, check=False)
    assert result.returncode == 1
    assert f'AMI port {PROBE.ami_port}/tcp is taken' in result.stderr
    assert_nothing_left()


def test_asterisk_ctrl_c_leaves_no_process_and_no_mount():
    "Ctrl-C on the foreground runtime stops Asterisk and drops its mounts"
    service = Service('probe-asterisk', [
            PYTHON, str(settings.PROJECT / 'asterisk' / 'runtime.py'),
            'run', '-i', PROBE.name])
    try:
        service.wait_log('READY asterisk', timeout=60)
        assert asterisk_runtime.instance_pids(PROBE)
        # The mounts live in Asterisk's private namespace, not the host's.
        assert asterisk_runtime.host_mounts() == []
        service.signal(signal.SIGINT)
        assert service.process.wait(30) == 0
    finally:
        service.stop()
    assert 'instance "probe" stopped' in service.log()
    assert_nothing_left()


def test_wrong_ami_secret_is_refused_clearly():
    "A wrong secret is an AMIAuthenticationError, not endless retries"
    runtime('start', PROBE.name, '--restart')
    try:
        async def login():
            from telephony.ami import AMIClient
            client = AMIClient('127.0.0.1', PROBE.ami_port, 'tvcc', 'wrong')
            try:
                await client.start(timeout=10)
            finally:
                client.close()
        with pytest.raises(AMIAuthenticationError, match='refused'):
            asyncio.run(login())
    finally:
        runtime('stop', PROBE.name)
    assert_nothing_left()


def test_bridge_stops_with_a_message_on_wrong_secret(probe_node):
    "The bridge started with a wrong secret exits and says what to fix"
    code = probe_node('probebad', 'env:TVCC_PROBE_SECRET')
    runtime('start', PROBE.name, '--restart')
    try:
        result = subprocess.run(
            [PYTHON, '-m', 'telephony', '-c', str(settings.TRYTOND_CONF),
                '-d', PROBE.database, '--node', code],
            capture_output=True, text=True, timeout=60,
            env={**__import__('os').environ,
                'TVCC_PROBE_SECRET': 'not-the-secret'})
    finally:
        runtime('stop', PROBE.name)
    assert result.returncode == 3
    assert 'refused the AMI login' in result.stderr
    assert 'env:TVCC_PROBE_SECRET' in result.stderr
    assert_nothing_left()


def test_bridge_names_a_missing_secret(probe_node):
    "An unreadable secret reference stops the bridge before it starts"
    code = probe_node('probemissing', 'file:/nonexistent/ami.secret')
    result = subprocess.run(
        [PYTHON, '-m', 'telephony', '-c', str(settings.TRYTOND_CONF),
            '-d', PROBE.database, '--node', code],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert '/nonexistent/ami.secret' in result.stderr


def test_make_run_supervisor_starts_all_and_ctrl_c_stops_all(probe_node):
    "What make run does: all processes up, then Ctrl-C leaves nothing"
    probe_node(PROBE.node_code, PROBE.ami_secret_ref)
    service = Service('probe-supervisor', [
            PYTHON, '-m', 'tvcc.supervisor', '--instance', PROBE.name])
    try:
        service.wait_log('Ctrl-C stops everything', timeout=120)
        assert http_ok(f'http://127.0.0.1:{PROBE.web_port}/')

        async def ami_ok():
            async with ami_session(PROBE) as ami:
                return (await ami.action({'Action': 'Ping'})).success
        assert asyncio.run(ami_ok())
        service.signal(signal.SIGINT)
        assert service.process.wait(60) == 0
    finally:
        service.stop()
    assert 'stopped cleanly' in service.log()
    assert not http_ok(f'http://127.0.0.1:{PROBE.web_port}/')
    assert_nothing_left()


def test_port_taken_stops_make_run_before_starting_anything():
    "The web port in use: one message, and no process started"
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(('127.0.0.1', PROBE.web_port))
        squatter.listen()
        result = subprocess.run(
            [PYTHON, '-m', 'tvcc.supervisor', '--instance', PROBE.name],
            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f'port {PROBE.web_port} is already in use' in result.stderr
    assert_nothing_left()


def test_unreachable_postgresql_is_named():
    result = subprocess.run(
        [PYTHON, '-m', 'tvcc.bootstrap', 'uri'], capture_output=True,
        text=True, timeout=60, env={**__import__('os').environ,
            'TVCC_DATABASE_URI': 'postgresql://postgres@127.0.0.1:1/'})
    assert result.returncode == 1
    assert 'unreachable' in result.stderr and '127.0.0.1:1' in result.stderr


def test_no_network_for_debootstrap_is_named(tmp_path):
    "Building the root without a reachable mirror fails cleanly"
    root = tmp_path / 'root'
    result = subprocess.run(
        [PYTHON, str(settings.PROJECT / 'asterisk' / 'runtime.py'), 'build'],
        capture_output=True, text=True, timeout=60,
        env={**__import__('os').environ, 'TVCC_ASTERISK_ROOT': str(root),
            'TVCC_DEBIAN_MIRROR': 'http://127.0.0.1:9/debian'})
    assert result.returncode == 1
    assert 'Cannot reach the Debian mirror' in result.stderr
    assert list(tmp_path.iterdir()) == []
