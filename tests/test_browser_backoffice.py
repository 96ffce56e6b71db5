"""The back office in the web client: the logistics clerk ships a batch and
downloads the pick-up list, finance imports a courier's COD statement and
sees the short-paid parcel, the manager opens every statistics report and
its graph and exports one to Excel (sao in Chromium, tests/browser.py).

The orders they work on are made beforehand through the models, as the
agent, the two reviewers and the logistics clerk would (their buttons'
methods, each as that user). Everything made here is findable: customers
are named "pt_收货人…", settlement references and file names start with
"pt-".
"""
import csv
import io
import itertools
import random
import time
from decimal import Decimal

import openpyxl

from browser import wait_until, widget

COURIER = 'SF'
COURIER_LABEL = '顺丰'
_counter = itertools.count(int(time.time()) % 10000 * 10)


# What the people before them did, through the models

def _company(pool):
    Company = pool.get('company.company')
    company, = Company.search([], order=[('id', 'ASC')], limit=1)
    return company


def _users(pool, *logins):
    User = pool.get('res.user')
    users = {u.login: u.id for u in User.search([('login', 'in', logins)])}
    assert set(users) == set(logins), f'demo users missing: {logins}'
    return users


def _run_tasks(pool):
    "The tasks the buttons queued (sale.process), as trytond runs them"
    from trytond.transaction import Transaction
    Queue = pool.get('ir.queue')
    tasks = Transaction().tasks
    while tasks:
        Queue(tasks.pop(0)).run()


def _customers(pool, count):
    "New customers with a mobile phone and a Shanghai address"
    Party = pool.get('party.party')
    Country = pool.get('country.country')
    Subdivision = pool.get('country.subdivision')
    country, = Country.search([('code', '=', 'CN')])
    shanghai, = Subdivision.search([('code', '=', 'CN-SH')])
    values = []
    for _ in range(count):
        n = next(_counter)
        values.append({
                'name': f'pt_收货人{n}',
                'contact_mechanisms': [('create', [{'type': 'mobile',
                                'value': '199' + f'{random.randrange(10**8):08d}'}])],
                'addresses': [('create', [{'country': country.id,
                                'subdivision': shanghai.id, 'city': '上海市',
                                'district': '浦东新区',
                                'street': f'测试路{n}号'}])],
                })
    return Party.create(values)


def approved_orders(pool, count, payment_method='cod'):
    """Orders entered by agent01, first-reviewed by review1a and approved by
    review2a (each pressing the button as themselves)"""
    from trytond.transaction import Transaction
    Sale = pool.get('sale.sale')
    Product = pool.get('product.product')
    users = _users(pool, 'agent01', 'review1a', 'review2a')
    company = _company(pool)
    with Transaction().set_context(company=company.id):
        # The price is the company's: read in its context.
        products = Product.search([('code', 'in', ['TV002', 'TV004'])],
            order=[('code', 'ASC')])
        assert len(products) == 2, 'demo products TV002, TV004 missing'
        parties = _customers(pool, count)
        values = []
        for i, party in enumerate(parties):
            address, = party.addresses
            product = products[i % 2]
            values.append({'company': company.id,
                    'currency': company.currency.id,
                    'party': party.id, 'shipment_address': address.id,
                    'invoice_address': address.id,
                    'payment_method': payment_method,
                    'delivery_notes': 'pytest back office',
                    'lines': [('create', [{'type': 'line',
                                    'product': product.id,
                                    'unit': product.sale_uom.id,
                                    'quantity': 1 + i % 2,
                                    'unit_price':
                                    product.template.list_price}])]})
        with Transaction().set_user(users['agent01']):
            sales = Sale.create(values)
            Sale.submit(sales)
        with Transaction().set_user(users['review1a']):
            Sale.take_first_review(Sale.browse(sales))
            Sale.pass_first_review(Sale.browse(sales))
        with Transaction().set_user(users['review2a']):
            Sale.take_second_review(Sale.browse(sales))
            Sale.approve(Sale.browse(sales))
        _run_tasks(pool)
        sales = Sale.browse(sales)
        for sale in sales:
            assert sale.state in {'confirmed', 'processing'}, sale.state
            assert sale.shipments, f'{sale.number} has no shipment'
        return [{'id': s.id, 'number': s.number, 'receiver': s.party.name,
                'phone': s.party.contact_mechanisms[0].value_compact,
                'cod': s.cod_amount} for s in sales]


def signed_cod_parcels(pool, count):
    """Approved COD orders shipped by the logistics clerk in their own SF
    batch, then signed for according to SF's tracking file"""
    from trytond.transaction import Transaction
    orders = approved_orders(pool, count)
    Sale = pool.get('sale.sale')
    Batch = pool.get('tv.shipping.batch')
    Carrier = pool.get('carrier')
    Import = pool.get('tv.tracking.import')
    company = _company(pool)
    carrier, = Carrier.search([('code', '=', COURIER)])
    users = _users(pool, 'logistics')
    with Transaction().set_context(company=company.id), \
            Transaction().set_user(users['logistics']):
        batch, = Batch.create([{'carrier': carrier.id,
                    'company': company.id,
                    'orders': [('add', [o['id'] for o in orders])]}])
        Batch.do_ship([batch])
        _run_tasks(pool)
        batch = Batch(batch.id)
        assert batch.state == 'shipped', batch.state
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(['订单号', '运单号', '物流状态', '状态日期'])
        for order in orders:
            order['tracking'] = f'SF{random.randrange(10**13):013d}'
            writer.writerow([order['number'], order['tracking'], '已签收',
                    batch.date.isoformat()])
        import_, = Import.create([{'carrier': carrier.id,
                    'file': out.getvalue().encode('utf-8'),
                    'filename': f'pt-signed-{next(_counter)}.csv'}])
        Import.process([import_])
        _run_tasks(pool)
    for order in orders:
        sale = Sale(order['id'])
        assert (sale.delivery_status, sale.tracking_number) == (
            'delivered', order['tracking']), (
            f'{sale.number}: {sale.delivery_status} {sale.tracking_number}')
    return orders


# The screens

def active(client):
    return client.page.locator('#tabcontent > .tab-pane.active')


def toolbar_button(client, name):
    "A button of the current tab's toolbar by its id (new_, switch_, action)"
    return active(client).locator(f'button#{name}').first


def new_record(client):
    toolbar_button(client, 'new_').click()
    client.wait_idle()
    assert client.current_tab()['view_type'] == 'form'


def choose(client, field, text, option=None):
    "Type in a many2one field and pick the proposed record, as a person"
    entry = widget(client, field).locator('input:visible').first
    proposed = client.page.locator('.dropdown-menu:visible li a',
        has_text=option or text).first
    for attempt in range(3):
        client.wait_idle()
        # The new record's form may still be filling its defaults in and
        # clear what was typed: type again, as a person would.
        entry.fill('')
        entry.press_sequentially(text, delay=50)
        try:
            proposed.wait_for(timeout=5000)
            break
        except Exception:
            if attempt == 2:
                raise
    proposed.click()
    client.wait_idle()
    assert text in widget(client, field).locator('input:visible').first \
        .input_value()


def list_texts(client, field=None):
    """Texts of the rows of the current tab's list, or of a one2many field
    of its form"""
    return client.page.evaluate("""field => {
        const view = Sao.Tab.tabs.get_current().screen.current_view;
        const list = field ? view.widgets[field][0].screen.current_view
            : view;
        return list.tbody.children('tr:visible').map(
            (i, el) => jQuery(el).text().replace(/\\s+/g, ' ').trim()).get();
    }""", field)


def xlsx_rows(data):
    "Every row of every sheet of a workbook, as lists of cell values"
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [list(row) for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)]


# 1. Logistics

def test_logistics_ships_a_batch_and_downloads_the_pickup_list(tryton, sao):
    orders = tryton.call(approved_orders, 3)

    client = sao('logistics')
    client.open_menu('物流与财务', '发货批次')
    assert client.current_tab()['model'] == 'tv.shipping.batch'
    new_record(client)
    choose(client, 'carrier', COURIER_LABEL)
    client.click_button('加入待发货订单')
    client.assert_clean('adding the ready orders')
    assert client.field_value('number').startswith('FH'), (
        'the batch was not saved with a number')
    shown = list_texts(client, 'orders')
    for order in orders:
        # Receivers are unique (order numbers may be short integers).
        assert [r for r in shown if order['receiver'] in r
            and order['number'] in r], (
            f'{order["number"]} not in the batch: {shown}')
    assert client.field_value('state') == '草稿'

    client.click_button('发货并导出')
    client.assert_clean('ship and export')
    # Shipping takes a moment before the pick-up list shows.
    summary = wait_until(lambda: client.modal_text(), timeout=60,
        what='the pick-up list dialog')
    assert '发货清单' in summary, summary
    filename, data = client.save_binary('file')
    assert filename.endswith('-SF.xlsx'), filename
    client.click_button('关闭')
    wait_until(lambda: client.field_value('state') == '已发货',
        what='the batch to show 已发货')
    client.assert_clean('downloading the pick-up list')

    rows = xlsx_rows(data)
    headers, body = rows[0], rows[1:]
    assert '用户订单号' in headers, headers
    by_number = {row[headers.index('用户订单号')]: row for row in body}
    for order in orders:
        row = by_number.get(order['number'])
        assert row, f'{order["number"]} not in the pick-up list'
        assert order['receiver'] in row, (order['receiver'], row)
        # Phones stay text (a number would lose nothing here, but a
        # leading zero or 11 digits as a float would be mangled).
        assert order['phone'].replace('+86', '') in [
            c for c in row if isinstance(c, str)], (order['phone'], row)

    def states(pool):
        Sale = pool.get('sale.sale')
        return {s.delivery_status for s in Sale.browse(
                    [o['id'] for o in orders])}
    assert tryton.call(states) == {'shipped'}


# 2. Finance

def statement_xlsx(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(['运单号', '订单号', '代收货款'])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_finance_imports_a_cod_statement_and_sees_the_short_payment(tryton,
        sao):
    paid, short = tryton.call(signed_cod_parcels, 2)
    short_amount = short['cod'] - Decimal(50)
    reference = f'pt-cod-{next(_counter)}'
    data = statement_xlsx([
            [paid['tracking'], paid['number'], float(paid['cod'])],
            [short['tracking'], short['number'], float(short_amount)],
            ])

    client = sao('finance')
    client.open_menu('物流与财务', '代收货款结算')
    assert client.current_tab()['model'] == 'tv.settlement'
    new_record(client)
    choose(client, 'carrier', COURIER_LABEL)
    entry = widget(client, 'reference').locator('input').first
    entry.fill(reference)
    entry.press('Tab')
    client.wait_idle()
    client.attach_file('file', f'{reference}.xlsx', data,
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    client.click_button('导入')
    client.assert_clean('import')
    assert client.field_value('state') == '已导入'
    assert client.field_value('row_count') == '2'
    assert client.field_value('problems') == '1'
    assert client.field_value('difference') in {'-50.00', '-50'}
    lines = list_texts(client, 'lines')
    assert len(lines) == 2, lines
    short_line, = [l for l in lines if short['tracking'] in l]
    assert '少付' in short_line and '-50.00' in short_line, short_line
    paid_line, = [l for l in lines if paid['tracking'] in l]
    assert '已匹配' in paid_line, paid_line
    assert client.field_value('reference') == reference

    client.click_button('确认')
    client.assert_clean('confirm')
    wait_until(lambda: client.field_value('state') == '已确认',
        what='the settlement to show 已确认')
    client.close_tabs()

    client.open_menu('物流与财务', '结算差异')
    tab = client.current_tab()
    assert tab['model'] == 'tv.settlement.line', tab
    # The list fills in after the tab opens.
    rows = wait_until(lambda: list_texts(client), timeout=10,
        what='the short-paid rows')
    mine = [r for r in rows if short['tracking'] in r]
    assert len(mine) == 1, f'{short["tracking"]} not in {rows[:5]}'
    assert f'{short_amount:,.2f}' in mine[0] and '-50.00' in mine[0], (
        mine[0])
    assert not [r for r in rows if paid['tracking'] in r], (
        'the fully paid parcel is listed as a difference')
    client.assert_clean('settlement differences')

    def settled(pool):
        Sale = pool.get('sale.sale')
        return [(s.settled_amount, bool(s.settlement_line))
            for s in Sale.browse([paid['id'], short['id']])]
    assert tryton.call(settled) == [(paid['cod'], True),
        (short_amount, True)]


# 3. Manager

def graph_rendered(client):
    return client.page.evaluate("""() => {
        const pane = jQuery('#tabcontent > .tab-pane.active');
        return pane.find('.graph svg, .graph canvas').filter(':visible')
            .length > 0;
    }""")


def test_manager_opens_every_report_and_its_graph(tryton, sao):
    # Something to count today: an approved order.
    tryton.call(approved_orders, 1)
    client = sao('manager')
    reports = [p for p in client.menu_paths() if p[0] == '统计分析']
    assert len(reports) >= 7, reports
    failures = []
    for path in reports:
        name = ' / '.join(path)
        client.clear_errors()
        try:
            client.open_menu(*path)
            tab = client.current_tab()
            assert tab and tab['view_type'] == 'tree', f'opened {tab}'
            assert tab['model'].startswith('tv.statistics.'), tab
            headers = client.column_headers()
            assert headers, 'the list has no columns'
            client.assert_clean('list')
            toolbar_button(client, 'switch_').click()
            client.wait_idle()
            assert client.current_tab()['view_type'] == 'graph', (
                'switch did not show the graph')
            wait_until(lambda: graph_rendered(client), timeout=10,
                what='the graph to render')
            client.assert_clean('graph')
        except AssertionError as error:
            failures.append(f'{name}: {str(error).splitlines()[0]}')
            client.screenshot(name)
        client.close_tabs()
    assert not failures, '\n'.join(failures)

    # The overall report exported as the list shows it.
    client.open_menu('统计分析', '综合统计')
    headers = client.column_headers()
    shown = wait_until(client.row_count, timeout=10,
        what="today's row in the overall report")
    # sao offers a list's actions once a row is selected.
    active(client).locator('tbody tr:visible td.selection-state input') \
        .first.check()
    toolbar_button(client, 'action').click()
    client.page.locator('#tabcontent > .tab-pane.active '
        '.dropdown-menu:visible a', has_text='导出 Excel').first.click()
    client.wait_idle()
    client.page.locator('.modal.in:visible').last.wait_for()
    assert '导出 Excel' in client.modal_text()
    filename, data = client.save_binary('file')
    assert filename.startswith('overall') and filename.endswith('.xlsx'), (
        filename)
    client.click_button('关闭')
    rows = xlsx_rows(data)
    # The list's columns, in its order (rates are headed "… (%)").
    exported = [str(h) for h in rows[0]]
    assert [h.removesuffix(' (%)') for h in exported] == headers, (
        headers, exported)
    body = [r for r in rows[1:] if r[0] is not None]
    assert len(body) == shown, (shown, body)
    orders = exported.index('订单数')
    assert sum(r[orders] or 0 for r in body) >= 1, body
    client.assert_clean('export to Excel')
