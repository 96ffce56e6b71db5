"""The audit log (操作日志) and personal data in the web client: the manager
opens the log in sao and finds what was done, by whom, before and after; an
agent's bulk export of customers is refused in Chinese and logged as
refused, the manager's is logged as an export; an agent's customer list
holds the customers they serve, not the others. No Asterisk: only trytond
and the test database.
"""
import time

import pytest

from browser import search_list, wait_until

_marker = f'pt-audit-{int(time.time())}'


def _sales_configuration_change(pool, city):
    """The administrator changes the centre's city as the client would
    (access checked, so the change is audited); the id of its entry"""
    from trytond.transaction import Transaction
    User = pool.get('res.user')
    Configuration = pool.get('callcenter.configuration')
    AuditLog = pool.get('tv.audit.log')
    admin, = User.search([('login', '=', 'admin')])
    configuration = Configuration(1)
    before = configuration.centre_city
    transaction = Transaction()
    with transaction.set_user(admin.id), \
            transaction.set_context(_check_access=True):
        Configuration.write([Configuration(1)], {'centre_city': city})
    with transaction.set_user(admin.id), \
            transaction.set_context(_check_access=True):
        Configuration.write([Configuration(1)], {'centre_city': before})
    entries = AuditLog.search([
            ('model.name', '=', 'callcenter.configuration'),
            ('after', 'like', f'%{city}%')])
    return [e.id for e in entries], before


def _exports(pool, login, event='export'):
    AuditLog = pool.get('tv.audit.log')
    return AuditLog.search_count([
            ('event', '=', event), ('user.login', '=', login),
            ('model.name', '=', 'party.party')])


def _customers_of_agent01(pool, marker):
    """Two new customers: one called agent01 (the bridge recorded the call
    answered by agent01), the other called nobody; their names"""
    Party = pool.get('party.party')
    Agent = pool.get('callcenter.agent')
    Call = pool.get('callcenter.call')
    Node = pool.get('callcenter.node')
    served, stranger = Party.create([
            {'name': f"来电{marker}"}, {'name': f"他人{marker}"}])
    agent, = Agent.search([('user.login', '=', 'agent01')])
    node = Node.search([])[0]
    Call.create([{'node': node, 'linkedid': f'{marker}-served',
                'direction': 'inbound', 'state': 'ended', 'party': served,
                'agent': agent, 'disposition': 'answered'}])
    return served.name, stranger.name


def _rows(client):
    return client.page.evaluate("""() => {
        const view = Sao.Tab.tabs.get_current().screen.current_view;
        return view.tbody.children('tr:visible').map(
            (i, el) => jQuery(el).text().replace(/\\s+/g, ' ').trim()).get();
    }""")


def test_agent_cannot_export_customers_manager_export_is_logged(tryton, sao):
    agent_exports = tryton.call(_exports, 'agent01')
    agent_refused = tryton.call(_exports, 'agent01', 'export_refused')
    agent = sao('agent01')
    parties = agent.rpc('model.party.party.search', [], 0, 2, None, {})
    assert parties, 'the agent reads no customer'
    with pytest.raises(Exception) as refused:
        agent.rpc('model.party.party.export_data', parties, ['name'], False,
            {})
    # The reason, in the agent's language.
    assert '您无权批量导出客户' in str(refused.value), refused.value
    assert tryton.call(_exports, 'agent01') == agent_exports
    # The attempt is in the log, as refused.
    assert tryton.call(_exports, 'agent01', 'export_refused') == (
        agent_refused + 1)

    manager_exports = tryton.call(_exports, 'manager')
    manager = sao('manager')
    rows = manager.rpc('model.party.party.export_data', parties, ['name'],
        False, {})
    assert len(rows) == len(parties)
    assert tryton.call(_exports, 'manager') == manager_exports + 1

    # The export is in 操作日志, as the manager reads it.
    manager.open_menu('呼叫中心', '操作日志')
    assert manager.current_tab()['model'] == 'tv.audit.log'
    manager.assert_clean('opening 操作日志')
    search_list(manager, '类型:导出')
    rows = wait_until(lambda: _rows(manager), what='the export entries')
    assert any('郑国强' in r and '导出' in r for r in rows), rows[:5]


def test_manager_reads_a_configuration_change_before_and_after(tryton, sao):
    ids, before = tryton.call(_sales_configuration_change, _marker)
    assert len(ids) == 1, ids

    client = sao('manager')
    client.open_menu('呼叫中心', '操作日志')
    client.assert_clean('opening 操作日志')
    headers = client.column_headers()
    for header in ['用户', '类型', '对象', '修改前', '修改后', '来源']:
        assert header in headers, headers
    search_list(client, f'修改后:{_marker}')
    rows = wait_until(lambda: _rows(client), what='the change entry')
    assert len(rows) == 1, rows
    row, = rows
    assert 'Administrator' in row or '系统管理员' in row or 'admin' in row, row
    assert f'{before}' in row and _marker in row, row

    # Nobody edits it: the list offers no new entry.
    assert not client.page.locator(
        '#tabcontent > .tab-pane.active button[title*="新建"]:enabled'
        ).count()


def test_agent_lists_only_the_customers_they_serve(tryton, sao):
    """客户资料 of an agent: the caller they answered is there, a customer
    who called someone else is not, and opening the list raises nothing"""
    served, stranger = tryton.call(_customers_of_agent01, _marker)
    client = sao('agent01')
    client.open_menu('电视购物', '客户资料')
    client.assert_clean('opening 客户资料')
    search_list(client, served)
    wait_until(lambda: client.row_count() == 1,
        what=f'{served} in the list of agent01')
    search_list(client, stranger)
    wait_until(lambda: client.row_count() == 0,
        what=f'{stranger} absent from the list of agent01')
    client.assert_clean('searching 客户资料')
    # A team leader finds both.
    leader = sao('leader01')
    leader.open_menu('电视购物', '客户资料')
    search_list(leader, stranger)
    wait_until(lambda: leader.row_count() == 1,
        what=f'{stranger} in the list of leader01')
