"""The agent's day in the web client: log in at the desk, pause with a
reason, and calls placed through the real Asterisk that pop the caller in
the agent's own browser (sao in Chromium, tests/browser.py)."""
import asyncio
import re

from browser import allow_asyncio, search_list, wait_until, widget
from callcenter import AGENT_PASSWORD, linked
from helpers import EventLog, ami_session, random_mobile
from test_screenpop import known_customer, ring

from tvcc import phone


def press(client, label):
    """Click a desk button once the desk shows what the server has (the
    bridge writes the agent's state as Asterisk applies it)"""
    wait_until(lambda: client.page.evaluate('() => tvcc.in_sync()'),
        what='the desk to show the current state')
    client.wait_idle()
    client.click_button(label)


def agent_state(tryton, extension):
    def read(pool):
        agent, = pool.get('callcenter.agent').search(
            [('extension', '=', extension)])
        return agent.presence, agent.pause_reason and agent.pause_reason.code
    return tryton.call(read)


def desk_agent(cc, **queue_values):
    "An agent with the Agent role, alone in a queue with a number"
    ext, = cc.agents(1, role='role_agent')
    cc.queue_code, queue_id = cc.queue([ext], **queue_values)
    return ext, cc.did(queue=queue_id)


def desk_logged_in(cc, sao, **queue_values):
    """An agent with a queue and a number, logged in at the desk in their
    browser: (extension, number, client)"""
    ext, did = desk_agent(cc, **queue_values)
    client = sao(f'pt_{ext}', password=AGENT_PASSWORD)
    open_desk(client, ext)
    press(client, '登录')
    wait_until(lambda: client.field_value('presence') == '空闲',
        what='the desk to show 空闲')
    return ext, did, client


def open_desk(client, extension):
    "The agent desk of extension, opened from the menu"
    client.open_menu('呼叫中心', '我的坐席台')
    # The menu's wizard opens the desk in a tab of its own.
    wait_until(lambda: (client.current_tab() or {}).get('model')
        == 'callcenter.agent' and client.field_value('extension'),
        what='the agent desk to open')
    tab = client.current_tab()
    assert tab['view_type'] == 'form'
    # The agent's own record, not a new one.
    assert client.field_value('extension') == extension
    return tab


def test_agent_logs_in_pauses_and_logs_out_at_the_desk(cc, tryton, sao):
    ext, _ = desk_agent(cc)
    client = sao(f'pt_{ext}', password=AGENT_PASSWORD)
    open_desk(client, ext)
    assert client.field_value('presence') == '已登出'

    press(client, '登录')
    wait_until(lambda: client.field_value('presence') == '空闲',
        what='the desk to show 空闲')
    assert agent_state(tryton, ext) == ('ready', None)

    press(client, '暂停')
    # The pause wizard's dialog opens once the server answered.
    wait_until(lambda: '暂停原因:' in client.dialog_labels(),
        what='the pause dialog to ask for the reason')
    dialog = client.page.locator('.modal.in:visible').last
    dialog.locator('select').select_option(label='培训')
    client.click_button('暂停')
    wait_until(lambda: client.field_value('presence') == '暂停',
        what='the desk to show 暂停')
    assert agent_state(tryton, ext) == ('paused', 'training')

    press(client, '恢复')
    client.assert_clean('resume')
    wait_until(lambda: client.field_value('presence') == '空闲',
        what='the desk to show 空闲 again')
    press(client, '登出')
    wait_until(lambda: client.field_value('presence') == '已登出',
        what='the desk to show 已登出')
    assert agent_state(tryton, ext)[0] == 'logged_out'
    client.assert_clean('agent desk')


def test_agent_cannot_press_another_agents_desk_buttons(cc, tryton, sao):
    ext, other = cc.agents(2, role='role_agent')
    client = sao(f'pt_{ext}', password=AGENT_PASSWORD)

    def other_id(pool):
        agent, = pool.get('callcenter.agent').search(
            [('extension', '=', other)])
        return agent.id
    error = client.page.evaluate("""([method, id]) => new Promise(resolve =>
        Sao.rpc({method: method, params: [[id], {}]},
            Sao.Session.current_session, true, false)
        .then(() => resolve(null), error => resolve(JSON.stringify(error))))
        """, ['model.callcenter.agent.login', tryton.call(other_id)])
    # Refused by the record rule (agents see their own record only).
    assert error and '坐席只见自己的记录' in error, error
    assert agent_state(tryton, other)[0] == 'logged_out'


def test_calls_pop_the_caller_in_the_agents_browser(cc, tryton, instance,
        sao):
    ext, did, client = desk_logged_in(cc, sao)

    # A known customer with orders other agents entered and calls they
    # took: their form opens by itself and shows both to this agent.
    number, party, orders = customer_with_history(tryton)
    name = tryton.call(lambda pool: pool.get('party.party')(party).name)
    with allow_asyncio():
        ring(cc, instance, [ext], did, phone.national(number), [])
    wait_until(lambda: any(name in (t or '') for t in client.tab_titles()),
        what=f'the form of {name} to open')
    wait_until(lambda: (client.form_values() or {}).get('name') == name,
        what=f'the form to show {name}')
    tab = client.current_tab()
    assert tab['model'] == 'party.party' and tab['view_type'] == 'form'
    # The pop's own form: recent orders first, then the calls.
    assert client.page.evaluate(POP_PAGES)[:2] == ['最近订单', '通话记录']
    wait_until(lambda: client.page.evaluate(LISTED, 'recent_sales')
        == min(orders, 10), what='the recent orders to be listed')
    client.page.locator('#tabcontent > .tab-pane.active .nav-tabs a',
        has_text='通话记录').click()
    wait_until(lambda: client.page.evaluate(LISTED, 'calls'),
        what='the earlier calls to be listed')
    client.assert_clean('the screen pop of a known customer')

    # A new caller: a new-customer form with the number, saved by the
    # agent and linked to the call.
    caller = random_mobile()
    with allow_asyncio():
        linkedid, _ = ring(cc, instance, [ext], did, caller, [])
    national = re.sub(r'\D', '', phone.national(phone.normalize(caller)))
    wait_until(lambda: any(national in re.sub(r'\D', '', t or '')
            for t in client.tab_titles()),
        what='the new-customer form to open')
    wait_until(lambda: 'name' in (client.form_values() or {}),
        what='the new-customer form to render')
    assert client.current_tab()['model'] == 'party.party'
    client.page.locator(
        '#tabcontent > .tab-pane.active input[name="name"]').fill('新来电客户')
    client.page.keyboard.press('Control+s')
    client.wait_idle()
    client.assert_clean('new customer from the screen pop')

    def linked_party(pool):
        Call = pool.get('callcenter.call')
        call, = Call.search([('linkedid', '=', linkedid)])
        return call.party and (call.party.name, [
                m.value_compact for m in call.party.contact_mechanisms])
    assert tryton.call(linked_party) == (
        '新来电客户', [phone.normalize(caller)])


# The page titles of the current form's notebook.
POP_PAGES = """() => Array.from(document.querySelectorAll(
    '#tabcontent > .tab-pane.active .form-notebook > ul.nav-tabs > li > a'))
    .map(a => a.textContent.trim())"""

# How many records a one2many/many2many of the current form lists.
LISTED = """name => {
    const view = Sao.Tab.tabs.get_current().screen.current_view;
    const widget = (view.widgets[name] || [])[0];
    return widget ? widget.screen.group.length : null;
}"""


def customer_with_history(tryton):
    """A demo customer (national mobile number, party id, order count)
    whose orders other agents entered and whose calls they took"""
    def find(pool):
        Sale = pool.get('sale.sale')
        Call = pool.get('callcenter.call')
        blocked = {entry.number for entry in pool.get(
                'callcenter.caller_list').search([('kind', '=', 'blacklist')])}
        for sale in Sale.search([
                    ('party.account_queue', '=', None),
                    ('party.contact_mechanisms.type', '=', 'mobile'),
                    ('entered_by', '!=', None),
                    ], order=[('id', 'ASC')], limit=200):
            party = sale.party
            if not Call.search([('party', '=', party.id),
                        ('agent', '!=', None)], limit=1):
                continue
            mobile = next(m.value_compact for m in party.contact_mechanisms
                if m.type == 'mobile')
            if mobile in blocked:
                continue
            return mobile, party.id, Sale.search_count(
                [('party', '=', party.id)])
    found = tryton.call(find)
    assert found, 'the demo history has no customer with orders and calls'
    return found


def add_order_line(client, product):
    "A line in the order's editable list: the product typed, then chosen"
    widget(client, 'lines', 'but_new').click()
    client.wait_idle()
    # The new row's first editable cell: the product.
    cell = widget(client, 'lines').locator(
        'tbody tr input:not([type=checkbox]):visible').first
    cell.fill(product)
    client.page.locator('.dropdown-menu:visible li a', has_text=product) \
        .first.click()
    client.wait_idle()


def review(sao, login, menu, number, *buttons):
    "A reviewer opens the review queue, finds the order, presses buttons"
    client = sao(login)
    client.open_menu('电视购物', menu)
    search_list(client, number)
    assert client.row_count() == 1, f'{login} does not find {number}'
    client.open_row(0)
    # The queue opens the order in a tab of its own (list, then form).
    wait_until(lambda: (client.current_tab() or {}).get('view_type') == 'form'
        or client.open_row(0), what=f'{login} to open {number}')
    wait_until(lambda: (client.form_values() or {}).get('number') == number,
        what=f'the form of {number}')
    for button in buttons:
        client.click_button(button)
    client.assert_clean(f'{login} {menu}')
    return client


def test_order_from_the_pop_passes_both_reviews_to_logistics(cc, tryton,
        instance, sao):
    # After-call work: the order entered then belongs to the call.
    ext, did, client = desk_logged_in(cc, sao, wrapup=120)
    number, party = known_customer(tryton)
    name = tryton.call(lambda pool: pool.get('party.party')(party).name)
    with allow_asyncio():
        linkedid, _ = ring(cc, instance, [ext], did,
            phone.national(number), [])
    wait_until(lambda: (client.form_values() or {}).get('name') == name,
        what=f'the form of {name} to open')

    client.click_button('新建订单')
    # A draft order of this customer, opened in a tab of its own.
    wait_until(lambda: (client.current_tab() or {}).get('model') == 'sale.sale'
        and (client.form_values() or {}).get('party') == name,
        what=f'the new order of {name} to open')
    add_order_line(client, '智能空气炸锅')
    client.page.keyboard.press('Control+s')
    client.wait_idle()
    client.assert_clean('order entry')
    client.click_button('提交审核')
    client.assert_clean('submit')
    # The number is given when the order is submitted.
    order = wait_until(lambda: client.field_value('number'),
        what='the submitted order to show its number')

    review(sao, 'review1a', '一审', order, '领取', '一审通过')
    review(sao, 'review2a', '二审', order, '领取', '审核通过')

    def read(pool):
        Sale = pool.get('sale.sale')
        sale, = Sale.search([('number', '=', order)])
        Call = pool.get('callcenter.call')
        call, = Call.search([('linkedid', '=', linkedid)])
        return (sale.state, sale.first_reviewer.login,
            sale.second_reviewer.login, sale.call == call,
            bool(sale.shipments))
    state, first, second, linked_call, shipped = tryton.call(read)
    assert (first, second) == ('review1a', 'review2a')
    assert linked_call, 'the order is not linked to the call it came from'
    assert shipped and state in {'processing', 'approved'}, state

    logistics = sao('logistics')
    logistics.open_menu('物流与财务', '待发货订单')
    search_list(logistics, order)
    assert logistics.row_count() == 1
    logistics.assert_clean('ready orders')


def test_team_leader_sees_ringing_and_talking_agents(cc, tryton, instance,
        sao):
    # Rings long enough for the monitor's refresh to see it.
    ext, did = desk_agent(cc, ring_timeout=20)
    cc.presence([ext], 'login')
    leader = sao('leader01')
    leader.open_menu('呼叫中心', '坐席监控')
    search_list(leader, ext)

    def shown_state():
        rows = leader.page.evaluate("""ext => {
            const view = Sao.Tab.tabs.get_current().screen.current_view;
            return view.tbody.children('tr:visible').map(
                (i, tr) => jQuery(tr).text()).get();
        }""", ext)
        return next((row for row in rows if ext in row), '')

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            # The agent answers after 8 s and talks 15 s.
            await cc.simulate_agents(ami, {ext: '8,15'})
            await cc.wait_ready(ami, cc.queue_code, [ext])
            caller = random_mobile()
            await cc.call(ami, did, caller, hold=30)
            linkedid = await cc.linkedid_of(events, caller)
            await events.wait(lambda e: e.get('Event') == 'AgentCalled'
                and linked(e) == linkedid)
            return linkedid
    with allow_asyncio():
        asyncio.run(scenario())
    # The monitor reads the states again by itself while it is in view.
    wait_until(lambda: '振铃' in shown_state(), timeout=15,
        what='the monitor to show the agent ringing')
    wait_until(lambda: '通话中' in shown_state(), timeout=20,
        what='the monitor to show the agent in a call')
    leader.assert_clean('agent monitor')


def test_external_screen_pop_url_opens_in_a_new_tab(cc, tryton, instance,
        sao, web):
    ext, did = desk_agent(cc)
    cc.presence([ext], 'login')
    template = f'{web}crm-test/pop?caller={{caller}}&agent={{agent}}'

    def configure(url):
        def write(pool):
            Configuration = pool.get('callcenter.configuration')
            config = Configuration(1)
            config.screen_pop_url = url
            config.save()
        tryton.call(write)
    configure(template)
    try:
        wait_until(cc.applied, what='the bridge to read the URL template')
        client = sao(f'pt_{ext}', password=AGENT_PASSWORD)
        caller = random_mobile()
        with allow_asyncio():
            ring(cc, instance, [ext], did, caller, [])
        def opened():
            # Lets Playwright take in the browser's events (new pages).
            client.page.wait_for_timeout(100)
            return next((p for p in client.context.pages
                    if 'crm-test' in p.url), None)
        try:
            page = wait_until(opened, what='the external page to open')
        except AssertionError:
            raise AssertionError('no external page; the pop: ' + str(
                    client.page.evaluate('() => [tvcc.received, '
                        'tvcc.opened_urls]'))) from None
        assert f'agent={ext}' in page.url
        assert phone.normalize(caller).lstrip('+') in page.url
    finally:
        configure(None)


def assigned_lead(pool):
    """A caller of the demo history who did not order, as a lead given to
    agent01 for callback: (lead id, national number, customer, medium)"""
    Call = pool.get('callcenter.call')
    Lead = pool.get('tv.lead')
    User = pool.get('res.user')
    agent01, = User.search([('login', '=', 'agent01')])
    open_numbers = {l.phone for l in Lead.search([
                ('state', 'in', ['new', 'assigned', 'contacted'])])}
    for call in Call.search([
                ('direction', '=', 'inbound'), ('disposition', '=', 'answered'),
                ('party', '!=', None), ('media', '!=', None),
                ('party.level', '=', 'normal'),
                ], order=[('id', 'DESC')], limit=500):
        if call.caller in open_numbers:
            continue
        lead, = Lead.create([{'phone': call.caller, 'party': call.party.id,
                    'media': call.media.id, 'first_call': call.id,
                    'last_call': call.id, 'first_date': call.start_time,
                    'last_date': call.start_time, 'state': 'assigned',
                    'assigned_to': agent01.id}])
        return (lead.id, phone.national(call.caller), call.party.name,
            call.media.rec_name)
    raise AssertionError('the demo history has no answered call to call back')


def test_agent_turns_a_lead_into_an_order(tryton, sao):
    lead_id, number, name, medium = tryton.call(assigned_lead)
    client = sao('agent01')
    client.open_menu('电视购物', '进线管理')

    def open_lead():
        "The lead from the 待回访 tab (sao may reopen the list in a new tab)"
        if (client.current_tab() or {}).get('view_type') == 'form':
            return True
        client.page.locator('#tabcontent > .tab-pane.active .nav-tabs a',
            has_text='待回访').click()
        client.wait_idle()
        search_list(client, number)
        assert client.wait_rows() == 1, \
            f'agent01 does not find the lead {number}'
        client.open_row(0)
        return (client.current_tab() or {}).get('view_type') == 'form'
    wait_until(open_lead, what=f'agent01 to open the lead {number}')
    wait_until(lambda: (client.form_values() or {}).get('party') == name,
        what=f'the lead of {name} to open')
    assert client.field_value('state') == '已分配'

    client.click_button('转为订单')
    # The order opens in a tab of its own: the lead's customer and medium.
    wait_until(lambda: (client.current_tab() or {}).get('model') == 'sale.sale'
        and (client.form_values() or {}).get('party') == name,
        what=f'the order of {name} to open')
    values = client.form_values()
    assert values['media'] == medium, values
    assert values['lead'] and values['call'], values
    assert values['state'] == '草稿', values
    client.assert_clean('order from a lead')

    def read(pool):
        Lead = pool.get('tv.lead')
        lead = Lead(lead_id)
        sale = lead.sale
        return (lead.state, sale and sale.lead == lead,
            sale and sale.call == lead.last_call,
            sale and sale.entered_by.login)
    assert tryton.call(read) == ('converted', True, True, 'agent01')
