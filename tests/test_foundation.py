"""The foundation works end to end: Asterisk -> FastAGI -> bridge, and the
web client served by trytond with the demo logins and role menus."""
import asyncio
import re
import subprocess

import pytest

from helpers import (RPC, EventLog, RPCError, ami_session, http_get,
    random_mobile)

from tvcc import settings
from tvcc.bootstrap import MODULES


def test_local_call_reaches_bridge_with_caller_id(bridge, instance):
    "A call into the self-test DID runs FastAGI and the bridge sees who calls"
    caller = random_mobile()

    async def call():
        async with ami_session(instance) as ami:
            events = EventLog(ami, 'VarSet')
            response = await ami.action({
                    'Action': 'Originate',
                    'Channel': 'Local/answer@tvcc-script',
                    'Context': 'tvcc-selftest', 'Exten': '4000',
                    'Priority': 1, 'Async': 'true',
                    'CallerID': f'"测试客户" <{caller}>',
                    'Variable': 'TVCC_TALK=1'})
            assert response.success, response
            return await events.wait(
                lambda e: e.get('Variable') == 'TVCC_PING', what='TVCC_PING')

    varset = asyncio.run(call())
    assert varset['Value'] == f'pong {caller}'
    bridge.wait_log(f'AGI ping: caller id {caller}', timeout=5)


def test_ami_listens_on_loopback_only(asterisk, instance):
    "AMI accepts connections on 127.0.0.1 only"
    listeners = subprocess.run(['ss', '-H', '-ltn'], capture_output=True,
        text=True).stdout.splitlines()
    addresses = [line.split()[3] for line in listeners
        if line.split()[3].endswith(f':{instance.ami_port}')]
    assert addresses == [f'127.0.0.1:{instance.ami_port}']


def test_web_serves_sao_with_custom_hook(web):
    "trytond serves sao, its bundle and our custom.js"
    status, index = http_get(web)
    assert status == 200 and b'tryton-sao' in index and b'custom.js' in index
    status, bundle = http_get(web + 'dist/tryton-sao.js')
    assert status == 200 and len(bundle) > 500_000
    status, custom = http_get(web + 'custom.js')
    assert status == 200 and b'tvcc.screen_pop' in custom


def root_menus(rpc):
    menus = rpc.model('ir.ui.menu', 'search_read',
        [('parent', '=', None)], 0, None, None, ['name'])
    return {m['name'] for m in menus}


def all_menus(rpc):
    menus = rpc.model('ir.ui.menu', 'search_read', [], 0, None, None,
        ['complete_name'])
    return {m['complete_name'] for m in menus}


CALLCENTER, ORDERS, LOGISTICS, DIALER = (
    '呼叫中心', '电视购物', '物流与财务', '外呼营销')


def test_admin_sees_the_four_module_menus_in_chinese(web, instance):
    rpc = RPC(web, instance.database)
    rpc.login('admin', settings.DEMO_PASSWORD)
    assert rpc.context['language'] == 'zh_CN'
    assert {CALLCENTER, ORDERS, LOGISTICS, DIALER} <= root_menus(rpc)
    assert f'{CALLCENTER} / 配置 / Asterisk 节点' in all_menus(rpc)


def test_agent_sees_only_agent_menus(web, instance):
    rpc = RPC(web, instance.database)
    rpc.login('agent01', settings.DEMO_PASSWORD)
    roots = root_menus(rpc)
    assert {CALLCENTER, ORDERS} <= roots
    assert not roots & {LOGISTICS, DIALER, '管理'}, roots
    assert not any('配置' in name for name in all_menus(rpc))


def test_every_module_is_activated(web, instance):
    rpc = RPC(web, instance.database)
    rpc.login('admin', settings.DEMO_PASSWORD)
    modules = rpc.model('ir.module', 'search_read',
        [('name', 'in', MODULES)], 0, None, None, ['name', 'state'])
    assert {m['name']: m['state'] for m in modules} == {
        name: 'activated' for name in MODULES}


def test_docker_compose_is_consistent():
    "The production compose file loads and references what exists"
    from tvcc import compose_check
    assert compose_check.problems() == []


def test_every_string_of_our_modules_is_translated():
    "zh_CN is the users' language: no empty or fuzzy entry ships"
    from tvcc import i18n
    missing = {module: [e.msgid for e in i18n.untranslated(module)]
        for module in MODULES}
    assert missing == {module: [] for module in MODULES}


def english_labels(rpc, model):
    "Labels of model's form and list that an agent would read in English"
    labels = []
    for view_type in ['form', 'tree']:
        view = rpc.model(model, 'fields_view_get', None, view_type)
        labels += re.findall(r'string="([^"]+)"', view['arch'])
        labels += [field['string'] for field in view['fields'].values()]
        for field in view['fields'].values():
            if isinstance(field.get('selection'), list):
                labels += [label for _, label in field['selection']]
    return sorted({label for label in labels
            if re.search('[A-Za-z]{3}', label)
            and not re.search('[\u4e00-\u9fff]', label)
            and label not in {'SIP', 'Skype', 'IRC', 'Jabber', 'URL', 'ID', 'VIP'}})


def test_tryton_screens_agents_use_are_in_chinese(web, instance):
    "Tryton's own sale, party and complaint screens, overridden in zh_CN"
    rpc = RPC(web, instance.database)
    rpc.login('agent01', settings.DEMO_PASSWORD)
    english = {model: english_labels(rpc, model) for model in [
            'sale.sale', 'sale.line', 'party.party', 'party.address',
            'party.contact_mechanism', 'sale.complaint']}
    assert english == {model: [] for model in english}


def test_tryton_validation_errors_reach_agents_in_chinese(web, instance):
    "A required field left empty is reported in Chinese, nothing is saved"
    rpc = RPC(web, instance.database)
    rpc.login('agent01', settings.DEMO_PASSWORD)
    party, = rpc.model('party.party', 'search_read',
        [('addresses', '!=', None)], 0, 1, None, ['addresses'])
    product, = rpc.model('product.product', 'search_read',
        [('salable', '=', True)], 0, 1, None, ['default_uom'])
    before = rpc.model('sale.sale', 'search_count', [])
    with pytest.raises(RPCError) as raised:
        rpc.model('sale.sale', 'create', [{
                    'party': party['id'],
                    'shipment_address': party['addresses'][0],
                    'lines': [['create', [{'type': 'line',
                                    'product': product['id'], 'quantity': 1,
                                    'unit': product['default_uom']}]]]}])
    kind, (message, *_) = raised.value.args[0]
    assert kind == 'UserError'
    assert '必须填写' in message and 'required' not in message
    assert rpc.model('sale.sale', 'search_count', []) == before
