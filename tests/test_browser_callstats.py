"""Call statistics (话务统计) in the web client: the manager opens the queue
report, sees today's figures of a queue, and exports them to Excel (sao in
Chromium, tests/browser.py; the workbook read back with openpyxl).

The calls are made beforehand through the models, as the bridge records
them: a queue "t_stats…" (cleaned by remove_test_data) with two answered
calls and one abandoned call started a minute ago.
"""
import datetime as dt
import io
import itertools
import time

import openpyxl

from browser import wait_until

_counter = itertools.count(int(time.time()) % 100000 * 10)


def _calls(pool, code):
    "A queue of agent01 with 3 calls of today: 2 answered, 1 abandoned"
    Node = pool.get('callcenter.node')
    Agent = pool.get('callcenter.agent')
    Queue = pool.get('callcenter.queue')
    Call = pool.get('callcenter.call')
    node, = Node.search([], order=[('id', 'ASC')], limit=1)
    agent, = Agent.search([('user.login', '=', 'agent01')])
    queue, = Queue.create([{'code': code, 'name': code,
                'members': [('create', [{'agent': agent}])]}])
    start = dt.datetime.utcnow().replace(microsecond=0) \
        - dt.timedelta(minutes=1)
    values = []
    for i, (wait, answered) in enumerate([(10, True), (20, True),
                (30, False)]):
        call = {'node': node, 'linkedid': f'{code}-{i}',
            'uniqueid': f'{code}-{i}', 'direction': 'inbound',
            'state': 'ended', 'caller': '+8613800138000', 'queue': queue,
            'start_time': start, 'enter_time': start,
            'wait_duration': dt.timedelta(seconds=wait),
            'end_time': start + dt.timedelta(seconds=wait + 60),
            'disposition': 'answered' if answered else 'abandoned'}
        if answered:
            call.update({'agent': agent,
                    'connect_time': start + dt.timedelta(seconds=wait),
                    'ring_duration': dt.timedelta(seconds=3),
                    'talk_duration': dt.timedelta(seconds=60)})
        values.append(call)
    Call.create(values)


def _active(client):
    return client.page.locator('#tabcontent > .tab-pane.active')


def _rows(client):
    "The cells' texts of each row of the current list"
    return client.page.evaluate("""() => {
        const view = Sao.Tab.tabs.get_current().screen.current_view;
        return view.tbody.children('tr:visible').map((i, row) =>
            [jQuery(row).children('td[headers]:visible').map((j, cell) =>
                jQuery(cell).text().trim()).get()]).get();
    }""")


def test_manager_opens_the_queue_report_and_exports_it(tryton, sao):
    code = f't_stats{next(_counter)}'
    tryton.call(_calls, code)
    client = sao('manager')
    client.open_menu('呼叫中心', '话务统计', '队列统计')
    tab = client.current_tab()
    assert tab['model'] == 'callcenter.report.queue', tab
    headers = client.column_headers()
    for title in ['时段', '队列', '呼入电话数', '通话数量', '总放弃电话数',
            '统计放弃电话数', '放弃率', '服务水平']:
        assert title in headers, (title, headers)

    def queue_row():
        for row in _rows(client):
            if code in row:
                return dict(zip(headers, row))
    row = wait_until(queue_row, timeout=15, what=f'the row of {code}')
    assert row['呼入电话数'] == '3', row
    assert row['通话数量'] == '2', row
    assert row['总放弃电话数'] == '1', row
    # 30 s is over the 5 s threshold: counted, 1 of 3 calls in.
    assert row['统计放弃电话数'] == '1', row
    assert row['放弃率'].startswith('33.33'), row
    assert row['平均等待时长(秒)'].startswith('15'), row
    client.assert_clean('queue report')

    # Exported as the list shows it.
    _active(client).locator('tbody tr:visible td.selection-state input') \
        .first.check()
    _active(client).locator('button#action').first.click()
    client.page.locator('#tabcontent > .tab-pane.active '
        '.dropdown-menu:visible a', has_text='导出 Excel').first.click()
    client.wait_idle()
    client.page.locator('.modal.in:visible').last.wait_for()
    filename, data = client.save_binary('file')
    assert filename.startswith('queue') and filename.endswith('.xlsx'), (
        filename)
    client.click_button('关闭')
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    exported = [str(h) for h in rows[0]]
    # Every column of the list, in its order (sao hides a column that is
    # empty in every row shown, e.g. the trunk of calls that came in
    # without one; the file keeps it).
    shown = [h for h in (h.removesuffix(' (%)') for h in exported)
        if h in headers]
    assert shown == headers, (headers, exported)
    line, = [r for r in rows[1:] if code in r]
    line = dict(zip(exported, line))
    assert (line['呼入电话数'], line['通话数量'], line['统计放弃电话数']) == (
        3, 2, 1), line
    assert line['放弃率 (%)'] == 33.33, line
    client.assert_clean('export to Excel')
