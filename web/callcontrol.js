/* tvcc: call control in the browser phone's panel (transfers, consultation,
 * three-way, conference, park) and the transfer note of a screen pop.
 *
 * Loaded by custom.js after softphone.js. The buttons press the agent's own
 * desk buttons over RPC (callcenter.agent: transfer opens the transfer
 * wizard, complete_transfer, retrieve, three_way, park): the server checks
 * the rules and the bridge carries the request out on the channels Asterisk
 * reported, so they work for every device (browser, SIP desk phone). A
 * refusal the bridge reports comes back on the bus (tvcc.call_control) and
 * is shown; a call transferred to this agent pops with the first agent's
 * note (tvcc.screen_pop carries note and transferred_by).
 */
(function() {
    'use strict';

    var INFO_POLL_MS = 1500;
    var LABELS = {
        transfer: {en: 'Transfer…', zh: '转接…'},
        complete: {en: 'Complete Transfer', zh: '完成转接'},
        retrieve: {en: 'Return to Caller', zh: '取回'},
        threeway: {en: 'Three-Way', zh: '三方通话'},
        park: {en: 'Park', zh: '停泊'},
        from: {en: 'Transferred by', zh: '转接自'},
        note: {en: 'Note', zh: '备注'},
        close: {en: 'Close', zh: '关闭'},
    };

    var tvcc = window.tvcc = window.tvcc || {};
    var control = tvcc.callcontrol = {info: null, notes: [], refusals: []};

    function lang() {
        return ((window.Sao && Sao.i18n.getlang && Sao.i18n.getlang()) ||
            'en').split(/[_-]/)[0];
    }

    function label(name) {
        return LABELS[name][lang()] || LABELS[name].en;
    }

    function rpc(method, params) {
        return Sao.rpc({method: method, params: params},
            Sao.Session.current_session);
    }

    // The agent, its state and whether a consultation is going on.
    // Only once the sao session is logged in (a request sent during the
    // login has no session yet: the server answers 401 and sao asks for
    // the password again) and only for a user with the browser phone.
    function active() {
        var session = window.Sao && Sao.Session.current_session;
        return Boolean(session && session.user_id &&
            tvcc.softphone && tvcc.softphone.config);
    }

    control.refresh = function() {
        if (!active()) {
            return jQuery.when(null);
        }
        return rpc('model.callcenter.agent.call_control_info', [{}])
            .then(function(info) {
                control.info = info;
                if (tvcc.softphone && tvcc.softphone.addAction) {
                    install_actions();
                }
                return info;
            }, function() {
                return null;
            });
    };

    function in_call() {
        var info = control.info;
        return Boolean(info && info.state == 'in_call');
    }

    function consulting() {
        return in_call() && control.info.control_mode == 'consult';
    }

    function press(name) {
        if (!control.info) {
            return null;
        }
        return rpc('model.callcenter.agent.' + name,
            [[control.info.agent], {}]).always(control.refresh);
    }

    // The transfer wizard (target kind, logged-in agents with their
    // state, queue, number, note), as the desk's Transfer button opens it.
    control.open_transfer = function() {
        var info = control.info;
        if (!info) {
            return null;
        }
        return Sao.Action.execute(info.transfer_wizard, {
            model: 'callcenter.agent', id: info.agent, ids: [info.agent],
        }, {});
    };

    var installed = false;

    function install_actions() {
        var sp = tvcc.softphone;
        if (installed) {
            return;
        }
        installed = true;
        sp.addAction('tvcc-transfer', LABELS.transfer.en, LABELS.transfer.zh,
            control.open_transfer, {group: 'transfer', when: function() {
                return in_call() && !consulting();
            }});
        sp.addAction('tvcc-complete', LABELS.complete.en, LABELS.complete.zh,
            function() {
                press('complete_transfer');
            }, {group: 'transfer', when: consulting});
        sp.addAction('tvcc-retrieve', LABELS.retrieve.en, LABELS.retrieve.zh,
            function() {
                press('retrieve');
            }, {group: 'transfer', when: consulting});
        sp.addAction('tvcc-threeway', LABELS.threeway.en, LABELS.threeway.zh,
            function() {
                press('three_way');
            }, {group: 'transfer', when: consulting});
        sp.addAction('tvcc-park', LABELS.park.en, LABELS.park.zh,
            function() {
                press('park');
            }, {group: 'transfer', when: function() {
                return in_call() && !consulting();
            }});
        ['answered', 'ended', 'state', 'registered'].forEach(function(name) {
            sp.on(name, control.refresh);
        });
    }

    // A box in the corner: the transfer note of a pop, a refusal.
    function show_box(id, title, text) {
        var box = document.getElementById(id);
        if (!box) {
            box = document.createElement('div');
            box.id = id;
            box.className = 'tvcc-callcontrol-box alert alert-info';
            box.setAttribute('style', 'position: fixed; bottom: 8px; ' +
                'right: 8px; z-index: 2000; max-width: 360px;');
            document.body.appendChild(box);
        }
        box.textContent = '';
        var strong = document.createElement('strong');
        strong.textContent = title;
        var body = document.createElement('div');
        body.setAttribute('data-field', 'text');
        body.textContent = text;
        var close = document.createElement('button');
        close.type = 'button';
        close.className = 'btn btn-link btn-sm';
        close.textContent = label('close');
        close.addEventListener('click', function() {
            box.remove();
        });
        box.appendChild(strong);
        box.appendChild(body);
        box.appendChild(close);
        return box;
    }

    function install_handlers() {
        if (!tvcc.handlers || !tvcc.handlers['tvcc.screen_pop'] ||
                tvcc.handlers['tvcc.screen_pop'].tvcc_callcontrol) {
            return Boolean(tvcc.handlers && tvcc.handlers['tvcc.screen_pop']);
        }
        var pop = tvcc.handlers['tvcc.screen_pop'];
        var wrapped = function(message) {
            var result = pop.apply(this, arguments);
            if (message.transferred_by) {
                control.notes.push({call: message.call,
                    from: message.transferred_by, note: message.note});
                show_box('tvcc-transfer-note',
                    label('from') + ' ' + message.transferred_by,
                    message.note ? label('note') + ': ' + message.note : '');
            }
            control.refresh();
            return result;
        };
        wrapped.tvcc_callcontrol = true;
        tvcc.handlers['tvcc.screen_pop'] = wrapped;
        tvcc.handlers['tvcc.call_control'] = function(message) {
            control.refusals.push(message);
            var box = show_box('tvcc-call-control-refused', '',
                message.message || '');
            box.className = 'tvcc-callcontrol-box alert alert-warning';
            control.refresh();
        };
        return true;
    }

    function start() {
        if (!install_handlers()) {
            window.setTimeout(start, 200);
            return;
        }
        // Until the buttons are in the panel, then only during a call: a
        // consultation starts and ends without a state change of the
        // phone; outside a call the panel's own events ('state',
        // 'answered', ...) refresh it (softphone.js already polls the
        // agent's state: no second poll per agent).
        window.setInterval(function() {
            if (!document.hidden && active() && (!installed || in_call())) {
                control.refresh();
            }
        }, INFO_POLL_MS);
    }

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', start);
    } else {
        start();
    }
}());
