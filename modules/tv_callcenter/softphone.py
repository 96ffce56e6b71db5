# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The server side of the browser phone (web/softphone.js).

- ``GET /<database>/tvcc/softphone``: the current user's phone account:
  where to register (the node's WSS URL), as whom (SIP URI, extension,
  password, display name), the ICE servers and the pause reasons. Only a
  user's own agent with the browser phone gets one (403 otherwise); each
  hand-out is in the audit log.
- ``GET /<database>/tvcc/softphone/state``: what the panel shows of the
  agent as the server knows it (presence, state, pause reason, after-call
  work left). Polled by the panel: a plain GET, no audit entry.

Log-in, log-out and pauses go through the agent's own buttons and the pause
wizard (Sao.rpc): the rules stay in agent.py.
"""
import datetime as dt
import json
import re

from trytond.protocols.wrappers import (
    HTTPStatus, Response, with_pool, with_transaction)
from trytond.transaction import Transaction, without_check_access
from trytond.wsgi import app

from tvcc import asterisk_values

BROWSER = 'browser'
_PORT = re.compile(r':[0-9]+$')


def _json(value, status=HTTPStatus.OK):
    return Response(json.dumps(value), status=status,
        content_type='application/json',
        headers={'Cache-Control': 'no-store'})


def own_browser_agent(pool):
    "The current user's agent when it has the browser phone, else None"
    Agent = pool.get('callcenter.agent')
    with without_check_access():
        agents = Agent.search([
                ('user', '=', Transaction().user),
                ('device', '=', BROWSER),
                ], limit=1)
    return agents[0] if agents else None


def serving_node(pool):
    "The Asterisk node browser phones register to (the first active one)"
    Node = pool.get('callcenter.node')
    with without_check_access():
        nodes = Node.search([], order=[('code', 'ASC'), ('id', 'ASC')],
            limit=1)
    return nodes[0] if nodes else None


def request_host(request):
    "The host name the browser used to reach us, if it is a sane one"
    host = _PORT.sub('', request.host or '')
    if host.startswith('[') and host.endswith(']'):
        host = host[1:-1]
    return host if asterisk_values.is_safe('host', host) else None


def ice_servers(text):
    """RTCIceServer dicts of the node's lines: "stun:host:port" or
    "turn:host:port username password"; other lines are skipped"""
    servers = []
    for line in (text or '').splitlines():
        parts = line.split()
        if not parts or not parts[0].startswith(('stun:', 'turn:', 'turns:')):
            continue
        server = {'urls': parts[0]}
        if len(parts) >= 3:
            server['username'], server['credential'] = parts[1], parts[2]
        servers.append(server)
    return servers


def phone_config(agent, node, host):
    "The account JsSIP registers with (pure: tested without a server)"
    host = node.wss_host or host
    if host and ':' in host:
        host_in_url = f'[{host}]'
    else:
        host_in_url = host
    return {
        'ws_url': f'wss://{host_in_url}:{node.wss_port}/ws',
        # Where an agent accepts a self-signed certificate once.
        'certificate_url': f'https://{host_in_url}:{node.wss_port}/ws',
        'uri': f'sip:{agent.extension}@{host_in_url}',
        'extension': agent.extension,
        'password': agent.sip_password,
        'display_name': agent.name or agent.extension,
        'ice_servers': ice_servers(node.ice_servers),
        }


@app.route('/<database_name>/tvcc/softphone', methods=['GET'])
@app.auth_required
@with_pool
@with_transaction(user='request', context=dict(_check_access=True))
def softphone(request, pool):
    AuditLog = pool.get('tv.audit.log')
    Agent = pool.get('callcenter.agent')
    PauseReason = pool.get('callcenter.pause_reason')
    User = pool.get('res.user')
    agent = own_browser_agent(pool)
    node = serving_node(pool)
    if agent is None or node is None:
        return _json({'error': 'no browser phone'}, HTTPStatus.FORBIDDEN)
    host = request_host(request)
    if not (node.wss_host or host):
        return _json({'error': 'bad host'}, HTTPStatus.BAD_REQUEST)
    config = phone_config(agent, node, host)
    user = User(Transaction().user)
    language = user.language.code if user.language else 'en'
    with Transaction().set_context(language=language), \
            without_check_access():
        reasons = PauseReason.search([], order=[('id', 'ASC')])
        config['pause_reasons'] = [
            {'id': r.id, 'code': r.code, 'name': PauseReason(r.id).name}
            for r in reasons]
    config.update({'agent': agent.id, 'language': language})
    # Who received the phone's password, when, from where.
    AuditLog.record(Agent, [agent], 'credentials', action='softphone')
    return _json(config)


def agent_state(agent, now=None):
    "What the panel shows of the agent (pure: tested without a server)"
    now = now or dt.datetime.utcnow()
    call = agent.current_call
    wrapup_left = None
    if agent.state == 'wrapup' and agent.state_since:
        wrapup = call.queue.wrapup if call and call.queue else 0
        wrapup_left = max(0, round(
                (wrapup or 0) - (now - agent.state_since).total_seconds()))
    return {
        'presence': agent.presence,
        'state': agent.state,
        'since': agent.state_since.isoformat() + 'Z'
        if agent.state_since else None,
        'reason': agent.pause_reason.name if agent.pause_reason else None,
        'reason_id': agent.pause_reason.id if agent.pause_reason else None,
        'wrapup_left': wrapup_left,
        'call': call.id if call else None,
        'caller': agent.current_caller,
        }


@app.route('/<database_name>/tvcc/softphone/state', methods=['GET'])
@app.auth_required
@with_pool
@with_transaction(user='request', context=dict(_check_access=True))
def softphone_state(request, pool):
    User = pool.get('res.user')
    agent = own_browser_agent(pool)
    if agent is None:
        return _json({'error': 'no browser phone'}, HTTPStatus.FORBIDDEN)
    user = User(Transaction().user)
    language = user.language.code if user.language else 'en'
    with Transaction().set_context(language=language), \
            without_check_access():
        Agent = pool.get('callcenter.agent')
        return _json(agent_state(Agent(agent.id)))
