/* tvcc: hooks loaded by sao from the web root (index.html loads custom.js).
 *
 * - Login page: trytond runs with `[database] list = False`, so the server's
 *   other databases are never listed; the database this server serves comes
 *   from /tvcc/databases and is preselected.
 * - Screen pop: the server publishes to the bus channel "user:<id>" of the
 *   agent who is ringing; sao 8.0 subscribes every session to that channel
 *   but has no handler for it, so this file adds one. It opens the record
 *   named by the message (the customer, or a new-customer form), opens the
 *   external screen-pop URL in a new tab when one is configured, and
 *   refreshes an open agent desk.
 * - Browser phone: loads jssip/jssip.min.js and softphone.js (the panel).
 * - Live states: the agent desk and the team leader's agent monitor are
 *   read again every few seconds while they are the tab in view. The server (tvcc.bus.FreshBus) never hands
 *   a new session an old message; here messages are also de-duplicated by
 *   message_id and dropped when older than MAX_AGE_MS (a clock-skew guard).
 */
(function() {
    'use strict';

    var MAX_AGE_MS = 60 * 1000;
    var LIVE_REFRESH_MS = 3 * 1000;
    var USER_QUIET_MS = 2 * 1000;
    var SEEN_LIMIT = 200;
    var LIVE_MODEL = 'callcenter.agent';

    var tvcc = window.tvcc = window.tvcc || {};
    tvcc.handlers = tvcc.handlers || {};
    tvcc.received = [];
    tvcc.opened_urls = [];
    var seen = [];
    var LABELS = {
        en: 'Open the external screen pop',
        zh: '打开外部弹屏页面',
    };

    function lang() {
        return ((Sao.i18n.getlang && Sao.i18n.getlang()) || 'en')
            .split(/[_-]/)[0];
    }

    tvcc.is_fresh = function(message, now) {
        if (!message || !message.message_id) {
            return false;
        }
        if (seen.indexOf(message.message_id) >= 0) {
            return false;
        }
        if (message.sent_at) {
            var sent = Date.parse(message.sent_at);
            if (!isNaN(sent) && (now || Date.now()) - sent > MAX_AGE_MS) {
                return false;
            }
        }
        return true;
    };

    tvcc.dispatch = function(channel, message) {
        if (!message || !message.type || !tvcc.handlers[message.type]) {
            return false;
        }
        if (!tvcc.is_fresh(message)) {
            return false;
        }
        seen.push(message.message_id);
        seen = seen.slice(-SEEN_LIMIT);
        tvcc.received.push({
            channel: channel, type: message.type,
            message_id: message.message_id, at: Date.now()});
        try {
            tvcc.handlers[message.type](message, channel);
        } catch (e) {
            Sao.Logger.error('tvcc handler failed', e);
        }
        return true;
    };

    // Open a record the way a click in a list would.
    tvcc.handlers['tvcc.open'] = function(message) {
        return Sao.Tab.create({
            model: message.model,
            res_id: message.res_id || undefined,
            mode: message.mode || ['form', 'tree'],
            view_ids: message.view_ids || [],
            context: message.context || {},
            name: message.name,
        });
    };

    // The external CRM page of a pop, in a new tab. Only http(s) URLs: the
    // template is configured by administrators, the values are URL-encoded
    // by the server.
    tvcc.open_url = function(url) {
        if (!url || !/^https?:\/\//i.test(url)) {
            return null;
        }
        var opened = window.open(url, '_blank');
        tvcc.opened_urls.push(url);
        if (opened) {
            opened.opener = null;
        } else {
            tvcc.show_link(url);
        }
        return opened;
    };

    // Pop-ups blocked: a link the agent can click instead.
    tvcc.show_link = function(url) {
        var box = document.getElementById('tvcc-popup-link');
        if (!box) {
            box = document.createElement('div');
            box.id = 'tvcc-popup-link';
            document.body.appendChild(box);
        }
        box.textContent = '';
        var link = document.createElement('a');
        link.href = url;
        link.target = '_blank';
        link.rel = 'noopener';
        link.textContent = LABELS[lang()] || LABELS.en;
        link.addEventListener('click', function() {
            box.remove();
        });
        box.appendChild(link);
    };

    // Tabs showing live agent states: the agent desk (form) and the team
    // leader's monitor (list).
    function live_tabs() {
        return Sao.Tab.tabs.filter(function(tab) {
            return tab.screen && tab.screen.model_name == LIVE_MODEL &&
                tab.screen.current_view;
        });
    }

    var last_input = 0;
    ['mousedown', 'keydown'].forEach(function(type) {
        document.addEventListener(type, function() {
            last_input = Date.now();
        }, true);
    });

    // Whether the tab's record changed on the server since it was read.
    function changed_on_server(tab) {
        var record = tab.screen.current_record;
        if (!record || record.id < 0) {
            return jQuery.when(false);
        }
        var session = Sao.Session.current_session;
        return Sao.rpc({
            method: 'model.' + LIVE_MODEL + '.read',
            params: [[record.id], ['_timestamp'], {}],
        }, session, true, false).then(function(values) {
            return values.length > 0 &&
                values[0]._timestamp != record._timestamp;
        }, function() {
            return false;
        });
    }

    // Whether the tab in view shows its record as the server has it (tests
    // and the bench wait on it before they click).
    tvcc.in_sync = function() {
        var tab = Sao.Tab.tabs.get_current();
        if (!tab || !tab.screen || !tab.screen.current_record) {
            return jQuery.when(true);
        }
        return changed_on_server(tab).then(function(changed) {
            return !changed && !tab.screen.current_record.modified;
        });
    };

    // Buttons of a form being run (sao saves, calls and reloads the record).
    var buttons_running = 0;

    function install_button_guard() {
        if (!Sao.Screen || Sao.Screen.prototype.tvcc_button) {
            return;
        }
        var button = Sao.Screen.prototype.button;
        Sao.Screen.prototype.button = function() {
            buttons_running += 1;
            var done = function() {
                buttons_running -= 1;
            };
            var result;
            try {
                result = button.apply(this, arguments);
            } catch (e) {
                done();
                throw e;
            }
            jQuery.when(result).always(done);
            return result;
        };
        Sao.Screen.prototype.tvcc_button = true;
    }

    // Not under a dialog (a wizard of the tab, a question), while sao
    // talks to the server, runs a button, or while the user is at the
    // keyboard/mouse: a reload then would rewrite the form under a click.
    function quiet() {
        return !jQuery('.modal.in').length &&
            !Sao.common.processing.queries && !buttons_running &&
            Date.now() - last_input >= USER_QUIET_MS;
    }

    // Read them again (never over unsaved changes); only_current: just the
    // tab the user is looking at. The desk is read again only when the
    // server changed it, and only if it is still quiet once the server
    // answered.
    tvcc.refresh_live = function(only_current) {
        if (!quiet()) {
            return;
        }
        var current = Sao.Tab.tabs.get_current();
        for (const tab of live_tabs()) {
            if (only_current && tab !== current) {
                continue;
            }
            const record = tab.screen.current_record;
            if (record && record.modified) {
                continue;
            }
            if (tab.screen.current_view.view_type != 'form') {
                tab.reload(false);
                continue;
            }
            changed_on_server(tab).then(function(changed) {
                if (changed && quiet() && tab.screen.current_record ===
                        record && !record.modified) {
                    tab.reload(false);
                }
            });
        }
    };

    // A call is ringing at this agent: the bridge sends what to open.
    // The desk is read again once the customer's form is there: both at
    // once would slow the pop down.
    tvcc.handlers['tvcc.screen_pop'] = function(message) {
        var opened = tvcc.handlers['tvcc.open'](message);
        tvcc.open_url(message.url);
        jQuery.when(opened).always(function() {
            tvcc.refresh_live(false);
        });
    };

    // The login page's database (see the header).
    function install_database_list() {
        if (!Sao.DB || Sao.DB.tvcc_installed) {
            return;
        }
        Sao.DB.list = function() {
            return jQuery.ajax({
                url: 'tvcc/databases',
                dataType: 'json',
                type: 'get',
            });
        };
        Sao.DB.tvcc_installed = true;
    }

    function install() {
        if (!window.Sao || !Sao.Bus || Sao.Bus.tvcc_installed) {
            return;
        }
        install_database_list();
        install_button_guard();
        var handle = Sao.Bus.handle;
        Sao.Bus.handle = function(channel, message) {
            if (channel && channel.indexOf('user:') === 0) {
                tvcc.dispatch(channel, message);
            }
            return handle.apply(this, arguments);
        };
        Sao.Bus.tvcc_installed = true;
        window.setInterval(function() {
            if (!document.hidden) {
                tvcc.refresh_live(true);
            }
        }, LIVE_REFRESH_MS);
    }

    // The browser phone (web/softphone.js) on JsSIP, both from the web
    // root; they run in this order, after sao.
    ['jssip/jssip.min.js', 'softphone.js'].forEach(function(src) {
        var script = document.createElement('script');
        script.src = src;
        script.async = false;
        document.head.appendChild(script);
    });

    // Before sao's own start-up asks for the databases.
    install_database_list();
    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', install);
    } else {
        install();
    }
}());

// Click-to-dial (web/dial.js): loaded beside this file.
(function() {
    'use strict';
    var script = document.createElement('script');
    script.src = 'dial.js';
    script.async = false;
    (document.head || document.documentElement).appendChild(script);
}());

// Transfers, consultation, conference and park (web/callcontrol.js): after
// softphone.js, whose panel it adds buttons to.
(function() {
    'use strict';
    var script = document.createElement('script');
    script.src = 'callcontrol.js';
    script.async = false;
    (document.head || document.documentElement).appendChild(script);
}());
