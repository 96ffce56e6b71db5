"""Every menu of every demo role opens clean in sao, in Chromium.

For each role one test logs in through the login page, walks every menu
entry with an action the user has (clicked through the menu tree), and
checks: no JS error, no error in any JSON-RPC response, the list renders
(with rows where the demo data certainly has records), the first record's
form opens, and the tab title and the labels are Chinese. Each failure
names the role and the menu path; a screenshot of it is kept under
var/log/browser/.
"""
import asyncio
import re
import time

import pytest
from playwright.sync_api import Error as PlaywrightError

# One login per role of README's table.
ROLES = ['agent01', 'leader01', 'review1a', 'review2a', 'logistics',
    'finance', 'manager', 'admin']

# Models the demo data always fills (README: customers, products, queues,
# agents, couriers...); a list of them without rows is a failure, unless
# its action filters the records (then it may rightly be empty).
DEMO_MODELS = {
    'party.party', 'product.template', 'product.product',
    'product.category', 'callcenter.queue', 'callcenter.agent',
    'callcenter.skill', 'callcenter.pause_reason', 'callcenter.did',
    'callcenter.ivr.flow', 'callcenter.prompt', 'callcenter.calendar',
    'tv.channel', 'tv.media', 'carrier', 'res.user', 'res.role',
    'country.country', 'currency.currency', 'company.company',
    'company.employee',
    }

# Menu entries that rightly answer with a message on the demo data:
# path -> (pattern of the expected error, why).
ALLOWED_MESSAGES = {
    ('呼叫中心', '我的坐席台'): (r'UserError: 您还没有坐席账号',
        'a user without an agent record (the administrator) is told to '
        'ask for one'),
    ('呼叫中心', '预览外呼'): (r'^RPC wizard\.dialer\.preview\.\w+: UserError: ',
        'the demo has no preview campaign with numbers to dial: the wizard '
        'says so'),
    }

# Tryton screens that rightly take longer than a list of ours: path ->
# (seconds sao may stay busy, why).
SLOW_SCREENS = {
    ('管理', '模型', '模型', '日志'): (60,
        "Tryton's model log checks the read access to every logged record "
        '(ir.resource search) before it counts them, so it grows with the '
        'log; the audit log (操作日志) is the screen for people'),
    }

CJK = re.compile(r'[\u3400-\u9fff\uf900-\ufaff]')
# A label without Chinese may still be a code or a number: SIP, URL, 400,
# E.164, CDR ID...
CODE = re.compile(r'^[A-Z0-9\s.:/_#%()+\-&*]*$')
# Names kept in Latin letters in Chinese too.
PROPER_NAMES = re.compile(r'\b(FastAGI|Asterisk)\b')


def untranslated(texts):
    return [text for text in texts if not CJK.search(text)
        and not CODE.match(PROPER_NAMES.sub('', text))]


# Menu entries opened clean in this run, by the first role that had them:
# the administrator, who has every menu, only opens the others (alone, it
# opens them all).
OPENED_CLEAN = {}


def check_menu(client, path, forms_seen):
    """What is wrong with one menu entry (empty list: nothing)

    forms_seen: the models whose first record's form was already opened
    clean for this role (a form is opened once per model)."""
    problems = []
    client.clear_errors()
    client.open_menu(*path)
    tab = client.current_tab()
    modal = client.modal_text()
    if not tab and modal is None:
        return ['nothing opened (no tab, no dialog)']
    if modal is not None:
        # A wizard (or a message) in a dialog
        labels = untranslated(client.dialog_labels())
        if labels:
            problems.append(f'dialog labels not Chinese: {labels}')
        if not CJK.search(modal):
            problems.append(f'dialog not Chinese: {modal[:80]!r}')
        tab = None
    if tab and not CJK.search(tab['title'] or ''):
        problems.append(f'tab title not Chinese: {tab["title"]!r}')
    if tab and tab['view_type'] == 'tree':
        headers = untranslated(client.column_headers())
        if headers:
            problems.append(f'column headers not Chinese: {headers}')
        rows = client.row_count()
        if (not rows and tab['model'] in DEMO_MODELS
                and not client.page.evaluate(_ACTION_FILTERS)):
            rows = client.wait_rows()
            if not rows:
                problems.append(f'no rows in the list of {tab["model"]}')
        kind = client.list_kind()
        if (rows and not client.errors and kind not in {'edit', 'none'}
                and (tab['model'], kind) not in forms_seen):
            forms_seen.add((tab['model'], kind))
            tabs = len(client.tab_titles())
            client.open_row(0)
            # Switching to the form may take a moment on a loaded machine.
            deadline = time.monotonic() + 10
            tab = client.current_tab()
            while (kind == 'form' and tab['view_type'] != 'form'
                    and time.monotonic() < deadline):
                client.page.wait_for_timeout(100)
                tab = client.current_tab()
            if kind == 'tab':
                if len(client.tab_titles()) <= tabs:
                    problems.append('the first row opens no tab')
                elif not CJK.search(tab['title'] or ''):
                    problems.append(
                        f'tab title not Chinese: {tab["title"]!r}')
            elif tab['view_type'] != 'form':
                problems.append('the first row opens no form')
    if tab and tab['view_type'] == 'form':
        labels = untranslated(client.form_labels())
        if labels:
            problems.append(f'form labels not Chinese: {labels}')
    allowed = ALLOWED_MESSAGES.get(path)
    problems[:0] = [error for error in client.errors
        if not (allowed and re.search(allowed[0], error))]
    return problems


@pytest.mark.parametrize('login', ROLES)
def test_every_menu_opens(sao, login):
    client = sao(login)
    client.timeout = 15
    client.context.set_default_timeout(10000)
    client.assert_clean(f'{login}: logging in')
    paths = client.menu_paths()
    assert paths, f'{login} has no menu entry'
    if login == 'admin':
        skipped = [path for path in paths if path in OPENED_CLEAN]
        paths = [path for path in paths if path not in OPENED_CLEAN]
        client.notes.append(f'{len(skipped)} entries already opened clean '
            'by other roles')
    failures = []
    forms_seen = set()
    started = time.monotonic()
    for path in paths:
        name = ' / '.join(path)
        client.timeout = SLOW_SCREENS.get(path, (15,))[0]
        try:
            problems = check_menu(client, path, forms_seen)
        except (AssertionError, PlaywrightError) as error:
            problems = [str(error).splitlines()[0]]
        if problems:
            failures.append(f'{login} {name}: ' + '; '.join(problems))
            client.screenshot(name)
        else:
            OPENED_CLEAN.setdefault(path, login)
        try:
            client.close_tabs()
        except (AssertionError, PlaywrightError) as error:
            failures.append(f'{login} {name}: closing: '
                + str(error).splitlines()[0])
            # Start again from a fresh page so one stuck tab does not fail
            # every later entry.
            client.page.reload()
            client.wait_for_menu()
    print(f'{login}: {len(paths)} menu entries in '
        f'{time.monotonic() - started:.0f} s, {len(failures)} failing',
        *client.notes, sep='\n')
    assert not failures, (f'{len(failures)} of {len(paths)} menu entries '
        f'of {login} fail:\n' + '\n'.join(failures))


_ACTION_FILTERS = """() => {
    const tab = Sao.Tab.tabs.get_current();
    const screen = tab && tab.screen;
    if (!screen) {
        return false;
    }
    const domain = screen.domain || [];
    return Boolean(domain.length || (tab.attributes.tab_domain || []).length
        || screen.attributes.search_value);
}"""


def test_asyncio_between_playwright_calls(sao, web):
    "asyncio.run (the Asterisk parts of the flow tests) beside sync Playwright"
    from browser import allow_asyncio
    from urllib.parse import urlparse
    client = sao('agent01')
    url = urlparse(web)

    async def fetch_login_page():
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        writer.write(b'GET / HTTP/1.0\r\n\r\n')
        await writer.drain()
        status = await reader.readline()
        writer.close()
        return status
    client.open_menu('电视购物', '客户资料')
    with allow_asyncio():
        status = asyncio.run(fetch_login_page())
    assert b' 200 ' in status
    # The page went on meanwhile; events are handled at the next call.
    client.page.evaluate("setTimeout(() => { throw new Error('after'); })")
    with allow_asyncio():
        asyncio.run(asyncio.sleep(0.2))
    assert client.wait_rows()
    assert [e for e in client.errors if 'after' in e] == client.errors != []
