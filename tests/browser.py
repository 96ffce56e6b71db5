"""The web client (sao) in Debian's Chromium, driven like a person.

Fixtures (tests/conftest.py):

- ``chromium`` (session): one headless Chromium for the whole run, driven by
  sync Playwright on the main thread.
- ``sao`` (function): a factory. ``client = sao('agent01')`` opens a new
  browser context, logs in through the sao login page (database, user name,
  Enter, password, Enter) with the demo password (or ``password=``), waits
  for the menu and returns a :class:`SaoClient`. Every context it opened is
  closed at the end of the test.

A :class:`SaoClient` has:

- ``page``: the Playwright page, for anything not below;
- ``errors``: what went wrong so far, as strings: every ``pageerror`` (JS)
  and every JSON-RPC response carrying an ``error`` (UserError,
  AccessError, tracebacks...); ``clear_errors()`` forgets them,
  ``assert_clean(what)`` fails with them;
- ``open_menu('呼叫中心', '我的坐席台')``: clicks through the menu tree by
  its labels (each label is a row of the level below the previous one);
- ``menu_paths()``: the label path of every menu entry with an action the
  user has, in menu order (read as that user over sao's own session);
- ``wait_idle()``: no RPC pending (the bus long-poll aside) and sao's
  "processing" notice hidden, for a short while;
- ``tab_titles()``, ``current_tab()`` (title, model, view type),
  ``close_tabs()`` (answers "No" to "save the modified record?"),
  ``close_dialog()`` (No/Cancel/Close of the open dialog);
- ``row_count()``: rows of the current tab's list, ``wait_rows(n)`` waits
  for n of them (lists fill after the tab shows); ``open_row(0)``
  double-clicks a row to open its form; ``list_kind()`` says what that
  does: 'form', 'edit' (editable list: in place), 'tab' (tree_open) or
  'none' (a list without a form view);
- ``form_values()``: {field name: value as shown} of the current form,
  ``field_value(name)``, ``form_labels()``, ``column_headers()``;
  ``modal_text()`` and ``dialog_labels()`` for the open dialog;
- ``click_button(label)``: a button of the open dialog, else of the
  current tab, by its exact label;
- ``save_binary(field)``: presses a binary field's Save As (in the open
  dialog, else the form) and returns (file name, bytes) of the file the
  browser downloads; ``attach_file(field, name, data)`` chooses a file for
  a binary field as its Select button does;
- ``screenshot(name)``: var/log/browser/<test>-<name>.png.

A failing test that used ``sao`` gets a screenshot of every page it opened
(var/log/browser/<test>-failure-<n>.png), by the hook in conftest.py.

The integration tests drive Asterisk with ``asyncio.run(...)``. Sync
Playwright marks its own event loop as running on the main thread between
its calls, so asyncio.run refuses to start there; run the asyncio part
between Playwright calls inside ``allow_asyncio()`` (same thread; Playwright
is idle meanwhile, the browser goes on and its events are handled at the
next Playwright call)::

    client = sao('agent01')
    client.open_menu('呼叫中心', '我的坐席台')
    with allow_asyncio():
        ring(cc, instance, ...)        # calls asyncio.run(...)
    client.page.wait_for_selector(...)
"""
import asyncio
import contextlib
import json
import re
import time

from tvcc import settings

SCREENSHOTS = settings.LOG / 'browser'
CHROMIUM = '/usr/bin/chromium'
# Pop-ups allowed, as the README asks agents' browsers to allow them for the
# site (the external screen pop opens a tab without a click).
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream', '--disable-popup-blocking']
# JSON-RPC errors expected while logging in: sao first asks without a
# password and is told which one to give.
LOGIN_ERRORS = ('LoginException',)


@contextlib.contextmanager
def allow_asyncio():
    "Let asyncio.run() work between two sync Playwright calls"
    loop = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(loop)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM,
        headless=True, args=CHROMIUM_ARGS)


def safe_name(text):
    return re.sub(r'[^\w.-]+', '_', text).strip('_')[:120]


class SaoClient:
    "One user logged in to sao in their own browser context"

    def __init__(self, browser, base_url, database, test_name,
            timeout=30):
        self.base_url = base_url
        self.database = database
        self.test_name = test_name
        self.timeout = timeout
        self.errors = []
        self.notes = []
        self._pending = set()
        self.context = browser.new_context(locale='zh-CN',
            viewport={'width': 1440, 'height': 900})
        self.context.set_default_timeout(timeout * 1000)
        self.page = self.context.new_page()
        self.page.on('pageerror', self._on_pageerror)
        self.page.on('request', self._on_request)
        self.page.on('requestfinished', self._on_request_done)
        self.page.on('requestfailed', self._on_request_done)

    # What the browser reports

    def _is_rpc(self, request):
        # The bus long-poll (<db>/bus) is always pending: not an RPC.
        return request.method == 'POST' and '/rpc/' in request.url

    def _on_pageerror(self, error):
        self.errors.append(f'JS: {error}')

    def _on_request(self, request):
        if self._is_rpc(request):
            self._pending.add(request)

    def _on_request_done(self, request):
        if request not in self._pending:
            return
        self._pending.discard(request)
        if request.failure:
            self.errors.append(f'RPC failed: {request.url} {request.failure}')
            return
        try:
            payload = json.loads(request.response().body())
        except Exception:  # the page closed meanwhile, or not JSON
            return
        if isinstance(payload, dict) and payload.get('error'):
            try:
                method = json.loads(request.post_data or '{}').get('method')
            except json.JSONDecodeError:
                method = None
            error = payload['error']
            self.errors.append(f'RPC {method}: {_error_text(error)}')

    def clear_errors(self):
        self.errors.clear()

    def assert_clean(self, what=''):
        assert not self.errors, (
            f'{what}: ' if what else '') + '; '.join(self.errors)

    # Logging in

    def login(self, login, password):
        page = self.page
        page.goto(self.base_url)
        database = page.locator('select#database')
        # Shown once the server said which databases there are.
        page.wait_for_selector('#database:visible')
        if database.is_visible():
            database.select_option(self.database)
        else:
            typed = page.locator('input#database')
            # The server may name the one database itself (read-only).
            if typed.is_editable():
                typed.fill(self.database)
            else:
                assert typed.input_value() == self.database, (
                    f'the login page offers database {typed.input_value()!r}')
        page.fill('#login', login)
        page.press('#login', 'Enter')
        page.wait_for_selector('input[type=password]', state='visible')
        page.fill('input[type=password]', password)
        page.press('input[type=password]', 'Enter')
        self.wait_for_menu()
        self.errors[:] = [e for e in self.errors
            if not any(name in e for name in LOGIN_ERRORS)]
        self.login_name = login
        return self

    def wait_for_menu(self):
        """Wait for the menu. Tryton runs the module configuration wizard
        at an administrator's log-in while configuration items are open:
        it is cancelled, as a person would, and noted in ``self.notes``."""
        page = self.page
        page.wait_for_selector('#menu tbody tr:visible, #tablist li')
        self.wait_idle()
        for _ in range(10):
            if page.locator('#menu tbody tr:visible').count():
                return
            tab = self.current_tab()
            if not (tab and tab['wizard']):
                break
            self.notes.append(f'wizard at log-in: {tab["title"]}')
            page.locator('#tabcontent > .tab-pane.active').get_by_role(
                'button', name=re.compile(r'^\s*(取消|Cancel)\s*$')
                ).first.click()
            self.wait_idle()
        page.wait_for_selector('#menu tbody tr:visible')

    # Waiting

    def wait_idle(self, timeout=None, quiet=0.1):
        "Wait until no RPC is pending and sao shows no processing notice"
        deadline = time.monotonic() + (timeout or self.timeout)
        idle_since = None
        while True:
            busy = bool(self._pending) or self.page.evaluate(
                "() => !!(window.Sao && Sao.common.processing.queries)"
                " || jQuery('#processing').is(':visible')")
            now = time.monotonic()
            if busy:
                idle_since = None
            elif idle_since is None:
                idle_since = now
            elif now - idle_since >= quiet:
                return
            if now > deadline:
                urls = ', '.join(self._pending_methods())
                raise AssertionError(
                    f'sao still busy after {timeout or self.timeout} s'
                    + (f' (pending: {urls})' if urls else ''))
            self.page.wait_for_timeout(50)

    def _pending_methods(self):
        methods = []
        for request in list(self._pending):
            try:
                methods.append(json.loads(request.post_data).get('method'))
            except Exception:
                methods.append(request.url)
        return methods

    # The menu

    def open_menu(self, *labels, action=None):
        """Click through the menu tree, one label per level

        An entry with several actions asks which: choose ``action`` (its
        label), else the one sao proposes."""
        for depth in range(1, len(labels) + 1):
            row, expanded = self._menu_row(labels[:depth])
            last = depth == len(labels)
            if not last and expanded:
                continue
            before = self._ui_state()
            row.get_by_text(labels[depth - 1], exact=True).first.click()
            if last:
                # What the entry opens: a tab (or an open one shown again)
                # or a dialog.
                self._wait_change(before)
            self.wait_idle()
        self._choose_action(action)

    def _ui_state(self):
        return self.page.evaluate(_UI_STATE)

    def _wait_change(self, before, timeout=5):
        "Wait until a tab, the current view or a dialog changes"
        with contextlib.suppress(Exception):
            self.page.wait_for_function(
                "before => (" + _UI_STATE + ")() != before", arg=before,
                timeout=timeout * 1000)

    def _choose_action(self, action=None):
        "Answer sao's 'Select your action' (several actions for one click)"
        dialog = self.page.locator('.modal.in:visible').filter(
            has_text=self.page.evaluate(
                "() => Sao.i18n.gettext('Select your action')"))
        if dialog.count():
            if action:
                dialog.get_by_label(action, exact=True).check()
            before = self._ui_state()
            dialog.locator('.modal-footer .btn-primary').click()
            self._wait_change(before)
            self.wait_idle()

    def _menu_row(self, labels):
        "The row of a menu path and whether it is expanded"
        marker = str(time.monotonic_ns())
        try:
            expanded = self.page.wait_for_function(_FIND_MENU_ROW,
                arg=[labels, marker], timeout=self.timeout * 1000
                ).json_value()
        except Exception:
            raise AssertionError(
                f'no menu entry {" / ".join(labels)} in the menu') from None
        return (self.page.locator(f'#menu tr[data-test-menu="{marker}"]'),
            expanded == 'expanded')

    def menu_paths(self):
        "Label paths of the menu entries with an action, in menu order"
        menus = self.rpc('model.ir.ui.menu.search_read', [], 0, None, None,
            ['name', 'parent', 'action', 'sequence'], {})
        children = {}
        for menu in menus:
            children.setdefault(menu['parent'], []).append(menu)
        paths = []

        def walk(parent, path):
            for menu in sorted(children.get(parent, []),
                    key=lambda m: (m['sequence'] or 0, m['id'])):
                if menu['action']:
                    paths.append((*path, menu['name']))
                walk(menu['id'], (*path, menu['name']))
        # Entries under a parent the user cannot see are not in the tree.
        walk(None, ())
        return paths

    def rpc(self, method, *params):
        "Call trytond as the logged-in user through sao's own session"
        return self.page.evaluate(_RPC, [method, list(params)])

    # Tabs, lists and forms

    def tab_titles(self):
        return self.page.evaluate(
            "() => Sao.Tab.tabs.map(tab => tab.name_long)")

    def current_tab(self):
        "{'title', 'model', 'view_type', 'wizard'} of the current tab"
        return self.page.evaluate(_CURRENT_TAB)

    def close_tabs(self):
        "Close every dialog and tab, not saving a modified record"
        for _ in range(30):
            if self.close_dialog():
                continue
            if not self.page.evaluate("() => Sao.Tab.tabs.length"):
                return
            tabs = self.page.evaluate("() => Sao.Tab.tabs.length")
            self.page.locator('#tablist li.active button.close').click(
                timeout=5000)
            self.wait_idle()
            if self.page.evaluate("() => Sao.Tab.tabs.length") == tabs:
                # A question ("save the record?") fades in.
                with contextlib.suppress(Exception):
                    self.page.locator('.modal.in').last.wait_for(
                        timeout=1000)
        raise AssertionError(f'tabs do not close: {self.tab_titles()}')

    def close_dialog(self):
        "Answer the open dialog with No, Cancel or Close; False if none"
        modal = self.page.locator('.modal.in:visible')
        if not modal.count():
            return False
        dialog = modal.last
        for label in self.page.evaluate(
                "() => ['No', 'Cancel', 'Close'].map(t => Sao.i18n.gettext(t))"):
            button = dialog.locator('.modal-footer button').filter(
                has_text=re.compile(rf'^\s*{re.escape(label)}\s*$'))
            if button.count():
                button.first.click()
                break
        else:
            self.page.keyboard.press('Escape')
        self.wait_idle()
        with contextlib.suppress(Exception):
            dialog.wait_for(state='hidden', timeout=2000)
        return True

    def row_count(self):
        "Rows the current tab's list shows (None when it is not a list)"
        return self.page.evaluate(_ROW_COUNT)

    def open_row(self, index=0):
        "Double-click a row of the current list, as to open its form"
        marker = str(time.monotonic_ns())
        assert self.page.evaluate(_MARK_ROW, [index, marker]), (
            f'no row {index} in the list')
        row = self.page.locator(f'tr[data-test-row="{marker}"]')
        # A column's cell with text and no link (a link opens the linked
        # record), else the first column's cell beside its link.
        cells = row.locator('td[headers]:visible')
        plain = cells.filter(has_not=self.page.locator('a, button, input')
            ).filter(has_text=re.compile(r'\S'))
        before = self._ui_state()
        if plain.count():
            plain.first.dblclick()
        else:
            box = cells.first.bounding_box()
            cells.first.dblclick(position={
                    'x': box['width'] - 2, 'y': box['height'] / 2})
        self._wait_change(before)
        self.wait_idle()
        self._choose_action()

    def wait_rows(self, minimum=1, timeout=10):
        "Wait until the current list shows rows; their number (maybe less)"
        with contextlib.suppress(Exception):
            self.page.wait_for_function(
                "minimum => (" + _ROW_COUNT + ")() >= minimum", arg=minimum,
                timeout=timeout * 1000)
        self.wait_idle()
        return self.row_count()

    def list_kind(self):
        "How the current list opens a row: 'form', 'edit', 'tab' or 'none'"
        return self.page.evaluate(_LIST_KIND)

    def form_values(self):
        "{field name: value as shown} of the current tab's form"
        return self.page.evaluate(_FORM_VALUES)

    def field_value(self, name):
        return self.form_values()[name]

    def form_labels(self):
        return self._visible_texts(
            '#tabcontent > .tab-pane.active .form label.form-label, '
            '#tabcontent > .tab-pane.active .form .form-notebook '
            '> ul.nav-tabs > li > a, '
            '#tabcontent > .tab-pane.active .form .form-separator label')

    def column_headers(self):
        "Column titles of the current tab's list"
        return self.page.evaluate(_COLUMN_HEADERS)

    def _visible_texts(self, selector):
        return self.page.evaluate("""selector => jQuery(selector)
            .filter(':visible').map((i, el) => jQuery(el).text().trim())
            .get().filter(text => text)""", selector)

    def click_button(self, label):
        "Click a button by its label: in the open dialog, else the tab"
        modal = self.page.locator('.modal.in:visible')
        scope = (modal.last if modal.count()
            else self.page.locator('#tabcontent > .tab-pane.active'))
        scope.get_by_role('button', name=label, exact=True).first.click()
        self.wait_idle()

    def modal_text(self):
        "Text of the open dialog (message boxes, wizards), or None"
        modal = self.page.locator('.modal.in:visible')
        return modal.last.inner_text() if modal.count() else None

    def dialog_labels(self):
        "Labels of the open dialog's form (wizards, pop-up forms)"
        return self._visible_texts('.modal.in:last .form label.form-label, '
            '.modal.in:last .form-notebook > ul.nav-tabs > li > a')

    # Files: binary fields (sao's binary widget)

    def binary_widget(self, field):
        """The binary widget of a field in the open dialog, else in the
        current tab's form, as a locator"""
        modal = self.page.locator('.modal.in:visible')
        scope = (modal.last if modal.count()
            else self.page.locator('#tabcontent > .tab-pane.active'))
        return scope.locator('.form-binary').filter(
            has=self.page.locator(f'input[name="{field}"]')).first

    def save_binary(self, field, timeout=None):
        """Press a binary field's Save As and get the file the browser
        downloads: (file name, bytes). sao shows a Download dialog whose
        link it clicks itself (and that closes the dialog)."""
        widget = self.binary_widget(field)
        label = self.page.evaluate("() => Sao.i18n.gettext('Save As')")
        with self.page.expect_download(
                timeout=(timeout or self.timeout) * 1000) as info:
            widget.locator(f'button[aria-label="{label}"]').click()
        download = info.value
        with open(download.path(), 'rb') as file:
            data = file.read()
        with contextlib.suppress(Exception):
            self.page.locator('.modal a[download]').last.wait_for(
                state='detached', timeout=3000)
        self.wait_idle()
        return download.suggested_filename, data

    def attach_file(self, field, name, data, mime_type=None):
        """Choose a file for a binary field, as with its Select button"""
        widget = self.binary_widget(field)
        widget.locator('input[type=file]').set_input_files({
            'name': name, 'buffer': data,
            'mimeType': mime_type or 'application/octet-stream'})
        self.wait_idle()

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f'{safe_name(self.test_name)}-{safe_name(name)}.png'
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self):
        with contextlib.suppress(Exception):
            self.context.close()


def widget(client, field, part=None):
    """The element of a field's widget in the current form (part: one of
    its jQuery members, e.g. 'but_new' of a one2many), as a locator"""
    marker = str(time.monotonic_ns())
    assert client.page.evaluate("""([field, part, marker]) => {
        const view = Sao.Tab.tabs.get_current().screen.current_view;
        const widget = (view.widgets[field] || [])[0];
        const el = widget && (part ? widget[part] : widget.el);
        if (!el) {
            return false;
        }
        el.attr('data-test-widget', marker);
        return true;
    }""", [field, part, marker]), f'no widget {field} {part or ""}'
    return client.page.locator(f'[data-test-widget="{marker}"]')


def search_list(client, text):
    "Type in the current list's search bar, as a person looks a record up"
    entry = client.page.locator(
        '#tabcontent > .tab-pane.active input.form-control.mousetrap').first
    entry.fill(text)
    entry.press('Enter')
    client.wait_idle()


def wait_until(condition, timeout=30, what='condition'):
    "The first true value of condition(), polled; fails after timeout s"
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out waiting for {what}')
        time.sleep(0.2)


def _error_text(error):
    "A JSON-RPC error as one line: its name and message"
    if isinstance(error, list) and error:
        name = error[0]
        detail = error[1] if len(error) > 1 else ''
        if isinstance(detail, list) and detail:
            detail = detail[0]
        return f'{name}: {detail}'[:500]
    return str(error)[:500]


_FIND_MENU_ROW = """([labels, marker]) => {
    if (!window.Sao || !Sao.main_menu_screen
            || !Sao.main_menu_screen.current_view) {
        return false;
    }
    let rows = Sao.main_menu_screen.current_view.rows;
    let found = null;
    for (const label of labels) {
        found = rows.find(row => row.el.text().trim() == label
            && jQuery.contains(document, row.el[0]));
        if (!found) {
            return false;
        }
        rows = found.rows;
    }
    found.el.attr('data-test-menu', marker);
    return found.is_expanded() && found.rows.length ? 'expanded' : 'folded';
}"""

_RPC = """([method, params]) => new Promise((resolve, reject) => {
    const session = Sao.Session.current_session;
    Sao.rpc({method: method, params: params}, session, true, false)
        .then(resolve, error => reject(new Error(JSON.stringify(error))));
})"""

_CURRENT_TAB = """() => {
    const tab = Sao.Tab.tabs.get_current();
    if (!tab) {
        return null;
    }
    const screen = tab.screen;
    return {
        title: tab.name_long,
        model: screen ? screen.model_name : null,
        view_type: screen && screen.current_view
            ? screen.current_view.view_type : null,
        wizard: tab.wizard ? String(tab.wizard.action || tab.name_long) : null,
    };
}"""

_ROW_COUNT = """() => {
    const tab = Sao.Tab.tabs.get_current();
    const view = tab && tab.screen && tab.screen.current_view;
    if (!view || view.view_type != 'tree') {
        return null;
    }
    return view.tbody.children('tr:visible').length;
}"""

_UI_STATE = """() => {
    const tab = Sao.Tab.tabs.get_current();
    const view = tab && tab.screen && tab.screen.current_view;
    return [Sao.Tab.tabs.length, tab && tab.id, view && view.view_type,
        jQuery('.modal.in:visible').length].join(':');
}"""

_CURRENT_LIST = """
    const tab = Sao.Tab.tabs.get_current();
    const view = tab && tab.screen && tab.screen.current_view;
    if (!view || view.view_type != 'tree') {
        return null;
    }"""

_MARK_ROW = """([index, marker]) => {""" + _CURRENT_LIST + """
    const row = view.tbody.children('tr:visible').eq(index);
    row.attr('data-test-row', marker);
    return row.length > 0;
}"""

_COLUMN_HEADERS = """() => {""" + _CURRENT_LIST + """
    return view.thead.find('th:visible').map((i, el) => jQuery(el).text()
        .trim()).get().filter(text => text);
}"""

_LIST_KIND = """() => {
    const tab = Sao.Tab.tabs.get_current();
    const view = tab && tab.screen && tab.screen.current_view;
    if (!view || view.view_type != 'tree') {
        return null;
    }
    if (view.attributes.keyword_open == 1) {
        return 'tab';
    }
    if (view.editable) {
        return 'edit';
    }
    // A list without a form (a log, a report with a graph): a row opens
    // no form.
    const types = tab.screen.views.map(v => v.view_type)
        .concat(tab.screen.view_to_load);
    return types.includes('form') ? 'form' : 'none';
}"""

_FORM_VALUES = """() => {
    const tab = Sao.Tab.tabs.get_current();
    const view = tab && tab.screen && tab.screen.current_view;
    if (!view || view.view_type != 'form') {
        return null;
    }
    const values = {};
    for (const [name, widgets] of Object.entries(view.widgets)) {
        const el = widgets[0].el;
        const select = el.find('select');
        const input = el.find('input:not([type=hidden]), textarea');
        if (select.length) {
            values[name] = select.find('option:selected').text().trim();
        } else if (input.filter('[type=checkbox]').length) {
            values[name] = input.filter('[type=checkbox]').prop('checked');
        } else if (input.length) {
            values[name] = input.first().val();
        } else {
            values[name] = el.text().trim();
        }
    }
    return values;
}"""
