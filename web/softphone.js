/* tvcc: the agent's browser phone, a JsSIP user agent inside sao.
 *
 * Loaded by custom.js after jssip/jssip.min.js. Once a user is logged in,
 * it asks the server for the user's phone account (GET <db>/tvcc/softphone:
 * 403 for users without a browser-phone agent, who see nothing), registers
 * to Asterisk over WSS and shows a small panel on the right of every tab:
 * registration, the agent's state (from the server, GET
 * <db>/tvcc/softphone/state, and from the phone itself), the caller, the
 * call timer, and the buttons. Log-in, log-out and pauses press the agent's
 * own buttons (Sao.rpc): the rules stay on the server.
 *
 * The API other parts build on (transfers, click-to-dial):
 *
 *   tvcc.softphone = {
 *     ua, session, sessions, state, config, ready,
 *     on(event, fn),       // 'registered', 'unregistered', 'ringing',
 *                          // 'answered', 'ended', 'hold', 'unhold', 'state'
 *     addAction(id, label_en, label_zh, handler, {group, when}),
 *     dial(number, origin), answer(), hangup(), hold(), unhold(),
 *     mute(on), dtmf(digits),
 *   };
 *
 * DOM: #tvcc-softphone (data-state, data-registered), buttons
 * button[data-action=...], fields [data-field=...], audio
 * #tvcc-softphone-audio.
 */
(function() {
    'use strict';

    var STATE_POLL_MS = 3000;
    var SESSION_POLL_MS = 1000;
    // Non-trickle ICE: the offer/answer leaves at the latest this long after
    // the first candidate (a STUN server that does not answer would
    // otherwise hold the call for many seconds).
    var ICE_WAIT_MS = 1000;
    var AUDIO_LEVEL = 0.001;
    var AFTER_CALL_POLLS_MS = [0, 300, 1000, 2000];

    var LABELS = {
        title: {en: 'Phone', zh: '软电话'},
        registered: {en: 'Registered', zh: '已注册'},
        unregistered: {en: 'Not registered', zh: '未注册'},
        connecting: {en: 'Connecting…', zh: '正在连接…'},
        logged_out: {en: 'Logged out', zh: '签出'},
        ready: {en: 'Ready', zh: '空闲'},
        paused: {en: 'Paused', zh: '置忙'},
        ringing: {en: 'Ringing', zh: '振铃'},
        in_call: {en: 'In call', zh: '通话中'},
        hold: {en: 'On hold', zh: '保持'},
        wrapup: {en: 'After-call work', zh: '话后'},
        dialing: {en: 'Dialling', zh: '呼出中'},
        seconds_left: {en: '%s s left', zh: '剩余 %s 秒'},
        login: {en: 'Log in', zh: '签入'},
        logout: {en: 'Log out', zh: '签出'},
        resume: {en: 'Ready', zh: '置闲'},
        pause: {en: 'Pause', zh: '置忙'},
        answer: {en: 'Answer', zh: '接听'},
        hangup: {en: 'Hang up', zh: '挂断'},
        mute: {en: 'Mute', zh: '静音'},
        unmute: {en: 'Unmute', zh: '取消静音'},
        do_hold: {en: 'Hold', zh: '保持'},
        do_unhold: {en: 'Resume', zh: '恢复'},
        keypad: {en: 'Keypad', zh: '键盘'},
        dialpad: {en: 'Dial', zh: '拨号'},
        call: {en: 'Call', zh: '呼叫'},
        number: {en: 'Number', zh: '号码'},
        collapse: {en: 'Hide the phone', zh: '收起软电话'},
        expand: {en: 'Show the phone', zh: '展开软电话'},
        certificate: {
            en: 'Cannot reach the phone server. If its certificate is ' +
                'self-signed, open this link once and accept it.',
            zh: '无法连接电话服务器。如使用自签名证书，请打开此链接并接受证书。'},
        no_microphone: {
            en: 'No microphone: allow the microphone for this site.',
            zh: '没有麦克风：请允许本网站使用麦克风。'},
    };

    var tvcc = window.tvcc = window.tvcc || {};
    var listeners = {};
    var actions = [];
    var panel = null;
    var audio = null;
    var database = null;
    var poll_timer = null;
    var tick_timer = null;
    var server = {};
    var wrapup_ends = null;
    var resolve_ready = null;
    var dialing = false;

    function lang() {
        var code = (window.Sao && Sao.i18n && Sao.i18n.getlang &&
            Sao.i18n.getlang()) || 'en';
        return code.split(/[_-]/)[0] == 'zh' ? 'zh' : 'en';
    }

    function label(key, value) {
        var entry = LABELS[key] || {};
        var text = entry[lang()] || entry.en || key;
        return value === undefined ? text : text.replace('%s', value);
    }

    function new_ready() {
        return new Promise(function(resolve) {
            resolve_ready = resolve;
        });
    }

    var sp = tvcc.softphone = {
        ua: null,
        session: null,
        sessions: [],
        state: 'logged_out',
        registered: false,
        muted: false,
        held: false,
        config: null,
        ready: new_ready(),
        // Moments (Date.now()) of the current call, for the bench and tests.
        metrics: {},
        // getUserMedia constraints of the microphone.
        audio_constraints: {
            echoCancellation: true, noiseSuppression: true,
            autoGainControl: true},

        on: function(event, fn) {
            (listeners[event] = listeners[event] || []).push(fn);
            return sp;
        },

        addAction: function(id, label_en, label_zh, handler, options) {
            options = options || {};
            actions = actions.filter(function(action) {
                return action.id != id;
            });
            actions.push({id: id, labels: {en: label_en, zh: label_zh},
                handler: handler, group: options.group || 'call',
                when: options.when});
            render();
            return sp;
        },

        dial: function(number, origin) {
            return call(number, origin);
        },

        answer: function() {
            var session = sp.session;
            if (!session || session.direction != 'incoming' ||
                    session.isEstablished() || session.isEnded()) {
                return false;
            }
            sp.metrics.answer_at = Date.now();
            session.answer(call_options());
            return true;
        },

        hangup: function() {
            if (!sp.session || sp.session.isEnded()) {
                return false;
            }
            sp.session.terminate();
            return true;
        },

        hold: function() {
            return Boolean(sp.session && sp.session.isEstablished() &&
                sp.session.hold());
        },

        unhold: function() {
            return Boolean(sp.session && sp.session.isEstablished() &&
                sp.session.unhold());
        },

        mute: function(on) {
            if (!sp.session || !sp.session.isEstablished()) {
                return false;
            }
            if (on === undefined ? !sp.muted : on) {
                sp.session.mute({audio: true});
            } else {
                sp.session.unmute({audio: true});
            }
            sp.muted = sp.session.isMuted().audio;
            render();
            return true;
        },

        // RFC 4733 (RTP telephone events), as Asterisk expects by default.
        dtmf: function(digits) {
            if (!sp.session || !sp.session.isEstablished() || !digits) {
                return false;
            }
            watch_dtmf(sp.session);
            sp.session.sendDTMF(String(digits), {transportType: 'RFC2833'});
            return true;
        },

        // What the panel shows now (the server's state, the phone's own).
        refresh: function() {
            return poll_state();
        },
    };

    function emit(event) {
        var args = Array.prototype.slice.call(arguments, 1);
        (listeners[event] || []).forEach(function(fn) {
            try {
                fn.apply(sp, args);
            } catch (e) {
                console.error('tvcc.softphone listener', event, e);
            }
        });
    }

    // --- the phone ----------------------------------------------------

    function pc_config() {
        return {
            iceServers: (sp.config && sp.config.ice_servers) || [],
            rtcpMuxPolicy: 'require',
            bundlePolicy: 'max-bundle',
        };
    }

    function call_options() {
        return {
            mediaConstraints: {audio: sp.audio_constraints, video: false},
            pcConfig: pc_config(),
            rtcOfferConstraints: {offerToReceiveAudio: true,
                offerToReceiveVideo: false},
        };
    }

    function call(number, origin) {
        number = String(number || '').replace(/[^0-9*#+]/g, '');
        if (!sp.ua || !number || (sp.session && !sp.session.isEnded())) {
            return null;
        }
        var host = sp.config.uri.split('@')[1];
        dialing = true;
        var session = sp.ua.call('sip:' + number + '@' + host,
            call_options());
        session.tvcc_origin = origin || null;
        return session;
    }

    function attach_audio(connection) {
        var play = function(stream) {
            if (audio.srcObject !== stream) {
                audio.srcObject = stream;
            }
            var playing = audio.play();
            if (playing && playing.catch) {
                playing.catch(function() {});
            }
        };
        connection.addEventListener('track', function(event) {
            play(event.streams && event.streams[0] ?
                event.streams[0] : new MediaStream([event.track]));
        });
    }

    // When sound first flows each way after the answer (getStats).
    function watch_audio(session) {
        var started = Date.now();
        var timer = window.setInterval(function() {
            var connection = session.connection;
            if (session.isEnded() || !connection ||
                    Date.now() - started > 20000) {
                window.clearInterval(timer);
                return;
            }
            connection.getStats().then(function(stats) {
                stats.forEach(function(report) {
                    if (report.kind != 'audio') {
                        return;
                    }
                    if (report.type == 'inbound-rtp' &&
                            !sp.metrics.audio_in_at &&
                            (report.audioLevel || 0) > AUDIO_LEVEL) {
                        sp.metrics.audio_in_at = Date.now();
                    }
                    if (report.type == 'outbound-rtp' &&
                            !sp.metrics.audio_out_at &&
                            (report.packetsSent || 0) > 0) {
                        sp.metrics.audio_out_at = Date.now();
                    }
                });
                if (sp.metrics.audio_in_at && sp.metrics.audio_out_at) {
                    window.clearInterval(timer);
                }
            }, function() {});
        }, 20);
    }

    function note_dtmf(tone) {
        (sp.metrics.dtmf_sent = sp.metrics.dtmf_sent || []).push(tone);
    }

    // The keys the browser really played into the RTP stream (RFC 4733).
    function watch_dtmf(session) {
        var connection = session.connection;
        var sender = connection && connection.getSenders().filter(
            function(s) {
                return s.track && s.track.kind == 'audio' && s.dtmf;
            })[0];
        if (sender && !sender.tvcc_watched) {
            sender.tvcc_watched = true;
            sender.dtmf.addEventListener('tonechange', function(event) {
                if (event.tone) {
                    note_dtmf(event.tone);
                }
            });
        }
    }

    function caller_of(session) {
        var identity = session.remote_identity;
        return {
            number: identity && identity.uri ? identity.uri.user : '',
            name: identity ? identity.display_name || '' : '',
        };
    }

    function on_session(event) {
        var session = event.session;
        if (sp.session && !sp.session.isEnded() &&
                session !== sp.session) {
            // One call at a time (the queues do not ring a busy agent).
            if (event.originator == 'remote') {
                session.terminate({status_code: 486});
            }
            return;
        }
        sp.session = session;
        sp.sessions.push(session);
        sp.muted = false;
        sp.held = false;
        if (event.originator == 'remote') {
            sp.metrics = {ring_at: Date.now()};
        } else {
            sp.metrics = {dial_at: Date.now()};
        }
        var ice_timer = null;
        session.on('peerconnection', function(e) {
            attach_audio(e.peerconnection);
        });
        session.on('icecandidate', function(e) {
            if (!ice_timer) {
                ice_timer = window.setTimeout(e.ready, ICE_WAIT_MS);
            }
        });
        session.on('accepted', function() {
            sp.metrics.accepted_at = Date.now();
            dialing = false;
            if (session.connection) {
                watch_audio(session);
            }
            emit('answered', session);
            update_state();
        });
        session.on('confirmed', function() {
            sp.metrics.confirmed_at = Date.now();
            update_state();
        });
        session.on('hold', function(e) {
            if (e.originator == 'local') {
                sp.held = true;
                emit('hold', session);
                update_state();
            }
        });
        session.on('unhold', function(e) {
            if (e.originator == 'local') {
                sp.held = false;
                emit('unhold', session);
                update_state();
            }
        });
        session.on('newDTMF', function(e) {
            // SIP INFO keys (RFC 4733 ones: watch_dtmf).
            if (e.originator == 'local' && e.request &&
                    e.request.method == 'INFO') {
                note_dtmf(e.dtmf.tone);
            }
        });
        session.on('getusermediafailed', function() {
            show_hint(label('no_microphone'));
        });
        var finish = function(e) {
            window.clearTimeout(ice_timer);
            sp.metrics.ended_at = Date.now();
            if (sp.session === session) {
                sp.session = null;
            }
            sp.sessions = sp.sessions.filter(function(s) {
                return s !== session;
            });
            sp.held = false;
            sp.muted = false;
            dialing = false;
            emit('ended', session, e && e.cause);
            update_state();
            // The bridge records the end (after-call work) a moment later.
            AFTER_CALL_POLLS_MS.forEach(function(delay) {
                window.setTimeout(poll_state, delay);
            });
        };
        session.on('ended', finish);
        session.on('failed', finish);
        if (event.originator == 'remote') {
            emit('ringing', session, caller_of(session));
        }
        update_state();
    }

    function start_ua(config) {
        var socket = new JsSIP.WebSocketInterface(config.ws_url);
        var ua = new JsSIP.UA({
            sockets: [socket],
            uri: config.uri,
            authorization_user: config.extension,
            password: config.password,
            display_name: config.display_name,
            register: true,
            register_expires: 300,
            session_timers: false,
            user_agent: 'tvcc-softphone',
            connection_recovery_min_interval: 2,
            connection_recovery_max_interval: 30,
        });
        sp.ua = ua;
        ua.on('connected', function() {
            show_hint(null);
        });
        ua.on('disconnected', function() {
            show_hint(label('certificate'), config.certificate_url);
            set_registered(false);
        });
        ua.on('registered', function() {
            set_registered(true);
        });
        ua.on('unregistered', function() {
            set_registered(false);
        });
        ua.on('registrationFailed', function() {
            set_registered(false);
        });
        ua.on('newRTCSession', on_session);
        ua.start();
    }

    function set_registered(registered) {
        if (sp.registered == registered) {
            render();
            return;
        }
        sp.registered = registered;
        if (registered) {
            resolve_ready(sp);
            emit('registered');
        } else {
            sp.ready = new_ready();
            emit('unregistered');
        }
        render();
    }

    // --- the agent's state ---------------------------------------------

    function phone_state() {
        var session = sp.session;
        if (session && !session.isEnded()) {
            if (session.isEstablished()) {
                return sp.held ? 'hold' : 'in_call';
            }
            return session.direction == 'incoming' ? 'ringing' : 'dialing';
        }
        return null;
    }

    function update_state() {
        var state = phone_state() || server.state || 'logged_out';
        if (state != sp.state) {
            sp.state = state;
            emit('state', state);
        }
        render();
    }

    function url(path) {
        return encodeURIComponent(database) + path;
    }

    function get(path) {
        return fetch(url(path), {credentials: 'same-origin',
            headers: {'Accept': 'application/json'}}).then(function(r) {
            if (!r.ok) {
                var error = new Error('HTTP ' + r.status);
                error.status = r.status;
                throw error;
            }
            return r.json();
        });
    }

    function poll_state() {
        if (!sp.config) {
            return Promise.resolve(null);
        }
        return get('/tvcc/softphone/state').then(function(state) {
            server = state;
            wrapup_ends = state.state == 'wrapup' &&
                state.wrapup_left !== null ?
                Date.now() + state.wrapup_left * 1000 : null;
            update_state();
            return state;
        }, function() {
            return null;
        });
    }

    function rpc(method, params) {
        return Sao.rpc({method: method, params: params},
            Sao.Session.current_session);
    }

    // The agent's own buttons and pause wizard (agent.py holds the rules).
    function agent_button(name) {
        return rpc('model.callcenter.agent.' + name,
            [[sp.config.agent], {}]).always(poll_state);
    }

    function pause(reason) {
        var wizard = 'wizard.callcenter.agent.pause';
        var context = {active_model: 'callcenter.agent',
            active_id: sp.config.agent, active_ids: [sp.config.agent]};
        return rpc(wizard + '.create', [{}]).then(function(result) {
            var session_id = result[0];
            return rpc(wizard + '.execute', [session_id,
                {start: {reason: parseInt(reason, 10)}}, 'pause', context])
                .always(function() {
                    rpc(wizard + '.delete', [session_id, {}]);
                });
        }).always(poll_state);
    }

    // --- the panel -----------------------------------------------------

    function element(tag, attributes, text) {
        var el = document.createElement(tag);
        Object.keys(attributes || {}).forEach(function(name) {
            el.setAttribute(name, attributes[name]);
        });
        if (text !== undefined) {
            el.textContent = text;
        }
        return el;
    }

    function button(action, key, handler) {
        var el = element('button', {type: 'button',
            'class': 'btn btn-default btn-sm', 'data-action': action});
        el.tvcc_label = key;
        el.addEventListener('click', function(event) {
            event.preventDefault();
            handler();
        });
        return el;
    }

    var BUILTIN = {
        agent: [
            ['login', 'login', function() {
                agent_button('login');
            }, ['logged_out']],
            ['resume', 'resume', function() {
                agent_button('resume');
            }, ['paused']],
            ['pause', 'pause', function() {
                var select = panel.querySelector(
                    '[data-field=pause-reason]');
                pause(select.value);
            }, ['ready', 'wrapup']],
            ['logout', 'logout', function() {
                agent_button('logout');
            }, ['ready', 'paused', 'wrapup']],
        ],
        call: [
            ['answer', 'answer', sp.answer, ['ringing']],
            ['hangup', 'hangup', sp.hangup, ['ringing', 'dialing',
                'in_call', 'hold']],
            ['mute', 'mute', function() {
                sp.mute();
            }, ['in_call']],
            ['hold', 'do_hold', sp.hold, ['in_call']],
            ['unhold', 'do_unhold', sp.unhold, ['hold']],
            ['keypad', 'keypad', function() {
                toggle_pad('keypad');
            }, ['in_call', 'hold']],
            ['dialpad', 'dialpad', function() {
                toggle_pad('dial');
            }, ['logged_out', 'ready', 'paused', 'wrapup']],
        ],
    };

    var pad_mode = null;

    function toggle_pad(mode) {
        pad_mode = pad_mode == mode ? null : mode;
        render();
        if (pad_mode) {
            panel.querySelector('[data-field=number]').focus();
        }
    }

    var STYLE = [
        // sao's #main is absolutely placed (top 6rem, right 0): it is
        // narrowed so that the panel covers none of its buttons.
        'body.tvcc-softphone-on #main { right: 232px; }',
        'body.tvcc-softphone-on.tvcc-softphone-collapsed #main ' +
            '{ right: 28px; }',
        '#tvcc-softphone { position: fixed; top: 6rem; right: 4px; ' +
            'width: 220px; z-index: 900; background: #fff; ' +
            'border: 1px solid #ccc; border-radius: 4px; padding: 4px; ' +
            'font-size: 12px; box-shadow: 0 1px 4px rgba(0,0,0,.2); }',
        '#tvcc-softphone[data-collapsed=yes] { width: 22px; padding: 2px; }',
        '#tvcc-softphone[data-collapsed=yes] .tvcc-sp-body, ' +
            '#tvcc-softphone[data-collapsed=yes] .tvcc-sp-head span' +
            ':not(.tvcc-sp-dot) { display: none; }',
        '#tvcc-softphone .tvcc-sp-head { display: flex; gap: 4px; ' +
            'align-items: center; }',
        '#tvcc-softphone .tvcc-sp-dot { width: 8px; height: 8px; ' +
            'border-radius: 4px; background: #c9302c; }',
        '#tvcc-softphone[data-registered=yes] .tvcc-sp-dot ' +
            '{ background: #449d44; }',
        '#tvcc-softphone .tvcc-sp-ext { margin-left: auto; color: #777; }',
        '#tvcc-softphone .tvcc-sp-state { font-weight: bold; ' +
            'font-size: 14px; margin: 4px 0 2px; }',
        '#tvcc-softphone .tvcc-sp-countdown { margin-left: 6px; ' +
            'color: #a94442; }',
        '#tvcc-softphone[data-state=ringing] .tvcc-sp-state ' +
            '{ color: #d58512; }',
        '#tvcc-softphone .tvcc-sp-row { display: flex; flex-wrap: wrap; ' +
            'gap: 3px; margin-top: 4px; }',
        '#tvcc-softphone .tvcc-sp-row select { width: auto; ' +
            'flex: 1 1 70px; height: 26px; padding: 2px; }',
        '#tvcc-softphone [hidden] { display: none !important; }',
        '#tvcc-softphone .tvcc-sp-keys { display: grid; ' +
            'grid-template-columns: repeat(3, 1fr); gap: 2px; ' +
            'margin: 3px 0; }',
        '#tvcc-softphone .tvcc-sp-hint { color: #a94442; margin-top: 4px; ' +
            'word-break: break-all; }',
    ].join('\n');

    function build_panel() {
        if (!document.getElementById('tvcc-softphone-style')) {
            var style = element('style', {id: 'tvcc-softphone-style'});
            style.textContent = STYLE;
            document.head.appendChild(style);
        }
        panel = element('div', {id: 'tvcc-softphone',
            'data-state': sp.state, 'data-registered': 'no',
            'data-collapsed': 'no'});
        var head = element('div', {'class': 'tvcc-sp-head'});
        var toggle = button('collapse', 'collapse', function() {
            var collapsed = panel.getAttribute('data-collapsed') == 'yes';
            panel.setAttribute('data-collapsed', collapsed ? 'no' : 'yes');
            document.body.classList.toggle('tvcc-softphone-collapsed',
                !collapsed);
            render();
        });
        toggle.className = 'btn btn-link btn-xs tvcc-sp-toggle';
        toggle.tvcc_label = null;
        head.appendChild(toggle);
        head.appendChild(element('span', {'class': 'tvcc-sp-dot',
            'data-field': 'dot'}));
        head.appendChild(element('span', {'data-field': 'registration'}));
        head.appendChild(element('span', {'class': 'tvcc-sp-ext',
            'data-field': 'extension'}));
        panel.appendChild(head);
        var body = element('div', {'class': 'tvcc-sp-body'});
        var state_line = element('div', {'class': 'tvcc-sp-state'});
        state_line.appendChild(element('span', {'data-field': 'state'}));
        state_line.appendChild(element('span', {'class': 'tvcc-sp-countdown',
            'data-field': 'countdown'}));
        body.appendChild(state_line);
        body.appendChild(element('div', {'class': 'tvcc-sp-caller',
            'data-field': 'caller'}));
        body.appendChild(element('div', {'class': 'tvcc-sp-timer',
            'data-field': 'timer'}));
        var agent_row = element('div', {'class': 'tvcc-sp-row',
            'data-group': 'agent'});
        var reasons = element('select', {'class': 'form-control input-sm',
            'data-field': 'pause-reason'});
        (sp.config.pause_reasons || []).forEach(function(reason) {
            var option = element('option', {value: reason.id}, reason.name);
            option.setAttribute('data-code', reason.code);
            reasons.appendChild(option);
        });
        BUILTIN.agent.forEach(function(item) {
            var el = button(item[0], item[1], item[2]);
            el.tvcc_states = item[3];
            agent_row.appendChild(el);
        });
        agent_row.appendChild(reasons);
        body.appendChild(agent_row);
        var call_row = element('div', {'class': 'tvcc-sp-row',
            'data-group': 'call'});
        BUILTIN.call.forEach(function(item) {
            var el = button(item[0], item[1], item[2]);
            el.tvcc_states = item[3];
            call_row.appendChild(el);
        });
        body.appendChild(call_row);
        body.appendChild(build_pad());
        body.appendChild(element('div', {'class': 'tvcc-sp-hint',
            'data-field': 'hint', hidden: ''}));
        panel.appendChild(body);
        audio = element('audio', {id: 'tvcc-softphone-audio',
            autoplay: ''});
        panel.appendChild(audio);
        document.body.appendChild(panel);
        document.body.classList.add('tvcc-softphone-on');
    }

    function build_pad() {
        var pad = element('div', {'class': 'tvcc-sp-pad',
            'data-field': 'pad', hidden: ''});
        var input = element('input', {type: 'tel', 'data-field': 'number',
            'class': 'form-control input-sm', autocomplete: 'off'});
        input.addEventListener('keydown', function(event) {
            if (event.key == 'Enter' && pad_mode == 'dial') {
                sp.dial(input.value);
            }
        });
        pad.appendChild(input);
        var keys = element('div', {'class': 'tvcc-sp-keys'});
        '123456789*0#'.split('').forEach(function(digit) {
            var key = element('button', {type: 'button',
                'class': 'btn btn-default btn-sm', 'data-digit': digit},
                digit);
            key.addEventListener('click', function() {
                if (pad_mode == 'keypad') {
                    sp.dtmf(digit);
                }
                input.value += digit;
            });
            keys.appendChild(key);
        });
        pad.appendChild(keys);
        var call_button = button('call', 'call', function() {
            sp.dial(input.value);
        });
        call_button.tvcc_states = null;
        pad.appendChild(call_button);
        return pad;
    }

    function show_hint(text, link) {
        if (!panel) {
            return;
        }
        var hint = panel.querySelector('[data-field=hint]');
        hint.textContent = '';
        hint.hidden = !text;
        if (text) {
            hint.appendChild(element('span', {}, text + ' '));
            if (link) {
                var a = element('a', {href: link, target: '_blank',
                    rel: 'noopener'}, link);
                hint.appendChild(a);
            }
        }
    }

    function two(n) {
        return (n < 10 ? '0' : '') + n;
    }

    function duration(ms) {
        var seconds = Math.max(0, Math.floor(ms / 1000));
        return two(Math.floor(seconds / 60)) + ':' + two(seconds % 60);
    }

    function render() {
        if (!panel) {
            return;
        }
        var state = sp.state;
        var field = function(name) {
            return panel.querySelector('[data-field=' + name + ']');
        };
        panel.setAttribute('data-state', state);
        panel.setAttribute('data-registered', sp.registered ? 'yes' : 'no');
        var collapsed = panel.getAttribute('data-collapsed') == 'yes';
        var toggle = panel.querySelector('[data-action=collapse]');
        toggle.textContent = collapsed ? '◀' : '▶';
        toggle.title = label(collapsed ? 'expand' : 'collapse');
        field('registration').textContent = label(
            sp.registered ? 'registered' : 'unregistered');
        field('extension').textContent = sp.config.extension;
        var text = label(state);
        if (state == 'paused' && server.reason) {
            text += ' (' + server.reason + ')';
        }
        field('state').textContent = text;
        var countdown = '';
        if (state == 'wrapup' && wrapup_ends) {
            countdown = label('seconds_left',
                Math.max(0, Math.ceil((wrapup_ends - Date.now()) / 1000)));
        }
        field('countdown').textContent = countdown;
        var caller = '';
        if (sp.session && !sp.session.isEnded()) {
            var who = caller_of(sp.session);
            caller = who.name && who.name != who.number ?
                who.name + ' ' + who.number : who.number;
        } else if (server.caller && ['ringing', 'in_call',
                'wrapup'].indexOf(state) >= 0) {
            caller = server.caller;
        }
        field('caller').textContent = caller;
        var started = sp.metrics.accepted_at;
        field('timer').textContent = sp.session && started ?
            duration(Date.now() - started) : '';
        panel.querySelectorAll('button[data-action]').forEach(function(el) {
            if (el.tvcc_label) {
                var key = el.tvcc_label;
                if (key == 'mute' && sp.muted) {
                    key = 'unmute';
                }
                el.textContent = label(key);
            }
            if (el.tvcc_states) {
                var visible = el.tvcc_states.indexOf(state) >= 0;
                if (el.getAttribute('data-action') == 'mute') {
                    visible = ['in_call', 'hold'].indexOf(state) >= 0;
                }
                el.hidden = !visible;
            }
        });
        field('pause-reason').hidden = ['ready', 'wrapup'].indexOf(
            state) < 0;
        var pad = field('pad');
        pad.hidden = !pad_mode || (pad_mode == 'keypad' &&
            ['in_call', 'hold'].indexOf(state) < 0);
        panel.querySelector('[data-action=call]').hidden =
            pad_mode != 'dial';
        render_actions();
    }

    // Buttons other parts added (addAction), in their rows.
    function render_actions() {
        actions.forEach(function(action) {
            var selector = 'button[data-action="' + action.id + '"]';
            var el = panel.querySelector(selector);
            if (!el) {
                var row = panel.querySelector(
                    '[data-group="' + action.group + '"]');
                if (!row) {
                    row = element('div', {'class': 'tvcc-sp-row',
                        'data-group': action.group});
                    panel.querySelector('.tvcc-sp-body').insertBefore(row,
                        panel.querySelector('[data-field=pad]'));
                }
                el = element('button', {type: 'button',
                    'class': 'btn btn-default btn-sm',
                    'data-action': action.id});
                el.addEventListener('click', function(event) {
                    event.preventDefault();
                    action.handler(sp.session, sp);
                });
                row.appendChild(el);
            }
            el.textContent = action.labels[lang()] || action.labels.en;
            el.hidden = action.when ? !action.when(sp.state, sp) : false;
        });
    }

    // --- start and stop with the sao session ---------------------------

    function start(session) {
        database = session.database;
        get('/tvcc/softphone').then(function(config) {
            if (!Sao.Session.current_session ||
                    Sao.Session.current_session.database != database) {
                return;
            }
            sp.config = config;
            build_panel();
            render();
            poll_state();
            poll_timer = window.setInterval(function() {
                if (!document.hidden) {
                    poll_state();
                }
            }, STATE_POLL_MS);
            tick_timer = window.setInterval(render, 1000);
            if (window.JsSIP) {
                start_ua(config);
            }
        }, function() {
            // No browser phone for this user: no panel.
        });
    }

    function stop() {
        window.clearInterval(poll_timer);
        window.clearInterval(tick_timer);
        if (sp.ua) {
            sp.ua.stop();
        }
        sp.ua = null;
        sp.session = null;
        sp.sessions = [];
        sp.config = null;
        server = {};
        if (panel) {
            panel.remove();
            panel = null;
        }
        document.body.classList.remove('tvcc-softphone-on',
            'tvcc-softphone-collapsed');
        if (sp.registered) {
            set_registered(false);
        }
    }

    var current = null;
    function watch_session() {
        var session = window.Sao && Sao.Session &&
            Sao.Session.current_session;
        var key = session && session.user_id ?
            session.database + '/' + session.user_id : null;
        if (key === current) {
            return;
        }
        if (current) {
            stop();
        }
        current = key;
        if (key) {
            start(session);
        }
    }

    window.addEventListener('beforeunload', function() {
        if (sp.ua) {
            sp.ua.stop();
        }
    });
    window.setInterval(watch_session, SESSION_POLL_MS);
    watch_session();
}());
