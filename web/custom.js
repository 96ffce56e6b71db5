/* tvcc: hooks loaded by sao from the web root (index.html loads custom.js).
 *
 * The server publishes to the bus channel "user:<id>" of the agent who is
 * ringing; sao 8.0 subscribes every session to that channel but has no
 * handler for it, so this file adds one. A page reload replays the bus cache
 * (up to [bus] cache_timeout seconds): messages are de-duplicated by
 * message_id (remembered across reloads) and dropped when older than
 * MAX_AGE_MS, so an old call never pops again.
 */
(function() {
    'use strict';

    var MAX_AGE_MS = 60 * 1000;
    var SEEN_KEY = 'tvcc.bus.seen';
    var SEEN_LIMIT = 200;

    var tvcc = window.tvcc = window.tvcc || {};
    tvcc.handlers = tvcc.handlers || {};
    tvcc.received = [];

    function seen_ids() {
        try {
            return JSON.parse(window.localStorage.getItem(SEEN_KEY)) || [];
        } catch (e) {
            return [];
        }
    }

    function remember(message_id) {
        var ids = seen_ids();
        ids.push(message_id);
        try {
            window.localStorage.setItem(
                SEEN_KEY, JSON.stringify(ids.slice(-SEEN_LIMIT)));
        } catch (e) {
            // Private mode: de-duplication then lasts for this page only.
        }
    }

    tvcc.is_fresh = function(message, now) {
        if (!message || !message.message_id) {
            return false;
        }
        if (seen_ids().indexOf(message.message_id) >= 0) {
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
        remember(message.message_id);
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
        Sao.Tab.create({
            model: message.model,
            res_id: message.res_id || undefined,
            mode: message.mode || ['form', 'tree'],
            context: message.context || {},
            name: message.name,
        });
    };
    // A call is ringing at this agent: the bridge sends what to open.
    tvcc.handlers['tvcc.screen_pop'] = tvcc.handlers['tvcc.open'];

    function install() {
        if (!window.Sao || !Sao.Bus || Sao.Bus.tvcc_installed) {
            return;
        }
        var handle = Sao.Bus.handle;
        Sao.Bus.handle = function(channel, message) {
            if (channel && channel.indexOf('user:') === 0) {
                tvcc.dispatch(channel, message);
            }
            return handle.apply(this, arguments);
        };
        Sao.Bus.tvcc_installed = true;
    }

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', install);
    } else {
        install();
    }
}());
