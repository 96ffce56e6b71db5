/* tvcc: click-to-dial from any phone number the agent sees.
 *
 * The forms show phone numbers with the callto widget (a customer's phones,
 * an order's, a lead's, a task's, a callback's, a call record's caller):
 * sao renders them as callto: links (a contact mechanism's URL of a phone
 * is a tel: link: the same). A click on one does not leave the page:
 * it asks the server to dial the number for the agent
 * (dialer.desk_call.dial), naming the record shown in the current tab as
 * where the number comes from. The server decides (the agent, the record,
 * the number's lists, the caller ID) and refuses in the agent's language;
 * the bridge then rings the agent's phone and, once answered, the number.
 *
 * tvcc.softphone.dial(number, origin) is this same request (the browser
 * phone's dial pad); the browser phone answers the ring of the agent's own
 * click-to-dial by itself: the incoming call shows the dialled number, and
 * arrives within AUTO_ANSWER_MS of the request.
 */
(function() {
    'use strict';

    var AUTO_ANSWER_MS = 30 * 1000;
    var tvcc = window.tvcc = window.tvcc || {};
    var LABELS = {
        calling: {
            en: 'Calling %s: your phone rings first, then the customer.',
            zh: '正在呼叫 %s：您的话机先振铃，接起后呼叫客户。',
        },
    };
    tvcc.dial_requests = [];

    function lang() {
        return ((Sao.i18n && Sao.i18n.getlang && Sao.i18n.getlang()) || 'en')
            .split(/[_-]/)[0];
    }

    function label(key, value) {
        var text = LABELS[key][lang()] || LABELS[key].en;
        return text.replace('%s', value);
    }

    function digits(text) {
        return String(text || '').replace(/[^0-9]/g, '');
    }

    /* Where a clicked number comes from: in a list, the record of the
     * row holding the link; else the record of the current tab (a form,
     * and the lists inside it: a customer's phones are the customer's). */
    tvcc.current_origin = function(link) {
        var tab = Sao.Tab.tabs.get_current && Sao.Tab.tabs.get_current();
        var screen = tab && tab.screen;
        if (!screen) {
            return null;
        }
        var record = screen.current_record;
        var view = screen.current_view;
        if (link && view && view.view_type == 'tree' && view.rows) {
            var row = view.rows.find(function(row) {
                return row.el && row.el[0] && row.el[0].contains(link);
            });
            if (row && row.record) {
                record = row.record;
            }
        }
        if (!record || record.id === undefined || record.id < 0) {
            return null;
        }
        return screen.model_name + ',' + record.id;
    };

    tvcc.show_dial_status = function(text) {
        var box = document.getElementById('tvcc-dial-status');
        if (!box) {
            box = document.createElement('div');
            box.id = 'tvcc-dial-status';
            box.setAttribute('role', 'status');
            document.body.appendChild(box);
        }
        box.textContent = text;
        clearTimeout(box.tvcc_timer);
        box.tvcc_timer = setTimeout(function() {
            box.textContent = '';
        }, 15000);
    };

    /* Ask the server to dial number for the current user's agent; origin:
     * 'model,id' of the record it was clicked on, null for a typed number.
     * Returns sao's deferred (the desk call's id); a refusal is shown by
     * sao as the server's message. */
    tvcc.dial = function(number, origin) {
        if (origin && typeof origin === 'object') {
            origin = origin.model + ',' + origin.id;
        }
        var request = {number: digits(number), at: Date.now()};
        tvcc.dial_requests.push(request);
        return Sao.rpc({
            method: 'model.dialer.desk_call.dial',
            params: [String(number), origin || null, {}],
        }, Sao.Session.current_session).then(function(id) {
            request.id = id;
            tvcc.show_dial_status(label('calling', number));
            return id;
        }, function(error) {
            request.refused = true;
            return jQuery.Deferred().reject(error);
        });
    };

    // The ring of our own click-to-dial: the agent's leg shows the number.
    tvcc.is_own_click = function(remote_number, now) {
        var wanted = digits(remote_number);
        now = now || Date.now();
        return tvcc.dial_requests.some(function(request) {
            return request.id && !request.answered
                && now - request.at < AUTO_ANSWER_MS && wanted
                && (request.number.slice(-wanted.length) === wanted
                    || wanted.slice(-request.number.length)
                    === request.number);
        });
    };

    function hook_softphone() {
        var phone = tvcc.softphone;
        if (!phone || phone.tvcc_dial_hooked) {
            return Boolean(phone);
        }
        phone.tvcc_dial_hooked = true;
        var internal = phone.dial;
        phone.dial = function(number, origin) {
            // An agent's extension is called straight from the phone; any
            // other number goes out through the server (click-to-dial).
            if (/^[1-9][0-9]{2,5}$/.test(String(number || '')) && internal) {
                return internal.call(phone, number, origin);
            }
            return tvcc.dial(number, origin);
        };
        if (phone.on) {
            phone.on('ringing', function(session, caller) {
                session = session || phone.session;
                var identity = session && session.remote_identity;
                var number = (caller && caller.number) || (identity
                    && identity.uri ? identity.uri.user : '');
                if (tvcc.is_own_click(number)) {
                    tvcc.dial_requests.forEach(function(request) {
                        request.answered = true;
                    });
                    phone.answer();
                }
            });
        }
        return true;
    }
    tvcc.hook_softphone = hook_softphone;
    // The browser phone may load after this file.
    var tries = 0;
    var timer = setInterval(function() {
        if (hook_softphone() || ++tries > 120) {
            clearInterval(timer);
        }
    }, 500);

    // callto: links (sao's callto widget, forms and lists) and tel: links
    // (Tryton's contact mechanism URL of a phone) dial from here.
    document.addEventListener('click', function(event) {
        var link = event.target.closest && event.target.closest(
            'a[href^="callto:"], a[href^="tel:"]');
        if (!link) {
            return;
        }
        event.preventDefault();
        var href = link.getAttribute('href');
        var number = decodeURIComponent(href.slice(href.indexOf(':') + 1));
        if (!digits(number)) {
            return;
        }
        tvcc.dial(number, tvcc.current_origin(link));
    }, true);
}());
