"""Session fixtures: the 'test' instance's Asterisk, bridge and trytond.

Each is started once for the whole run and stopped at its end, whatever the
outcome. They use the database tvcc_test that `make test` prepares. The
bridge reaches PostgreSQL and AMI through proxies the tests can cut.
"""
import configparser
import os
import shutil
from urllib.parse import urlparse

from tvcc import settings
from tvcc.bootstrap import configured_uri

os.environ.setdefault('TRYTOND_CONFIG', str(settings.TRYTOND_CONF))

import pytest  # noqa: E402

from helpers import BIN, PYTHON, Service, http_ok, runtime  # noqa: E402
from proxy import Proxy  # noqa: E402

BRIDGE_NODE = 'pytest'


@pytest.fixture(scope='session')
def instance():
    # TVCC_TEST_INSTANCE=probe runs a suite beside another on 'test'.
    return settings.instance(os.environ.get('TVCC_TEST_INSTANCE', 'test'))


@pytest.fixture(scope='session')
def tryton(instance):
    "The test database, opened in this process (user root, no access rules)"
    from telephony.database import TrytonDatabase
    database = TrytonDatabase(instance.database).init()
    from callcenter import remove_test_data
    database.call(remove_test_data)
    yield database
    database.close()


@pytest.fixture(scope='session')
def asterisk(instance):
    runtime('start', instance.name, '--restart')
    yield instance
    runtime('stop', instance.name)


@pytest.fixture(scope='session')
def db_proxy():
    uri = urlparse(configured_uri())
    proxy = Proxy(uri.port or 5432)
    yield proxy
    proxy.close()


@pytest.fixture(scope='session')
def ami_proxy(instance):
    proxy = Proxy(instance.ami_port)
    yield proxy
    proxy.close()


@pytest.fixture(scope='session')
def bridge_node(tryton, instance, ami_proxy):
    "The node record the test bridge serves: AMI through the proxy"
    def make(pool):
        Node = pool.get('callcenter.node')
        values = {
            'name': 'pytest', 'code': BRIDGE_NODE,
            'ami_port': ami_proxy.port, 'agi_port': instance.agi_port,
            'ami_secret_ref': instance.ami_secret_ref,
            'agi_secret_ref': instance.agi_secret_ref,
            'wss_port': instance.wss_port,
            'instance_path': instance.path,
            'host_path': str(instance.host_path),
            }
        nodes = Node.search([('code', '=', BRIDGE_NODE)])
        if nodes:
            Node.write(nodes, values)
        else:
            nodes = Node.create([values])
        # The demo node of the test instance is not served in tests.
        Node.write(Node.search([('code', '!=', BRIDGE_NODE)]),
            {'active': False})
        return nodes[0].id
    return tryton.call(make)


@pytest.fixture(scope='session')
def bridge(asterisk, instance, bridge_node, db_proxy):
    config = configparser.ConfigParser()
    config.read(settings.TRYTOND_CONF)
    uri = urlparse(config.get('database', 'uri'))
    credentials = uri.netloc.rpartition('@')[0] or 'postgres'
    config.set('database', 'uri', uri._replace(
            netloc=f'{credentials}@127.0.0.1:{db_proxy.port}').geturl())
    path = settings.RUN / f'pytest-bridge-{instance.name}.conf'
    with open(path, 'w') as file:
        config.write(file)
    # The bridge's state (its SIP bans, the dialer's pacing) starts empty
    # for each run; one folder per instance, as suites run side by side.
    state = settings.RUN / f'pytest-bridge-state-{instance.name}'
    shutil.rmtree(state, ignore_errors=True)
    # As make run does: a keeper holds the FastAGI port and hands it to the
    # bridge it starts (and starts again if it dies).
    service = Service(f'bridge-{instance.name}', [
            PYTHON, '-m', 'tvcc.keeper',
            '--listen', f'127.0.0.1:{instance.agi_port}', '--',
            PYTHON, '-m', 'telephony', '-c', str(path),
            '-d', instance.database, '--node', BRIDGE_NODE],
        env={'TVCC_BRIDGE_WATCH': '0.3',
            'TVCC_BRIDGE_STATE': str(state),
            # Outbound campaigns call the scripted callees.
            'TVCC_DIALER_CHANNEL': 'Local/{number}@tvcc-test-callee',
            'TVCC_DIALER_RING': '6'})
    service.config_path = path
    service.state_path = state
    try:
        service.wait_log('READY bridge')
        service.wait_log('resync:', timeout=30)
        yield service
    finally:
        service.stop()


@pytest.fixture(scope='session')
def web(instance):
    base = f'http://127.0.0.1:{instance.web_port}/'
    service = Service('trytond', [
            str(BIN / 'trytond'), '-c', str(settings.TRYTOND_CONF),
            '-d', instance.database],
        env={'TRYTOND_WEB__LISTEN': f'127.0.0.1:{instance.web_port}'})
    try:
        service.wait_for(lambda: http_ok(base), timeout=90, what='serving')
        yield base
    finally:
        service.stop()


@pytest.fixture
def cc(bridge, tryton, instance, bridge_node):
    "Set-ups in the database and calls through Asterisk, for one test"
    from callcenter import CallCenter
    return CallCenter(tryton, instance, bridge_node, bridge)


# The web client in Chromium (tests/browser.py)

@pytest.fixture(scope='module')
def chromium():
    """One headless Chromium per test module (sync Playwright, main
    thread). Not per session: while sync Playwright runs, it marks its
    event loop as running on the main thread, and the modules after the
    browser ones call asyncio.run() freely."""
    from playwright.sync_api import sync_playwright
    from browser import launch
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def sao(request, chromium, web, instance):
    "sao(login, password=demo) -> a SaoClient logged in its own context"
    from browser import SaoClient
    clients = request.node.sao_clients = []

    def open_client(login, password=settings.DEMO_PASSWORD):
        client = SaoClient(chromium, web, instance.database,
            request.node.name)
        clients.append(client)
        return client.login(login, password)
    yield open_client
    for client in clients:
        client.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    "Screenshots of the browser pages of a failing test (var/log/browser)"
    report = yield
    if report.failed and report.when in {'setup', 'call'}:
        for number, client in enumerate(
                getattr(item, 'sao_clients', []), 1):
            try:
                path = client.screenshot(f'failure-{number}')
            except Exception as exception:
                path = f'(no screenshot: {exception})'
            report.sections.append(
                ('browser', f'{client.test_name}: {path}'))
    return report
