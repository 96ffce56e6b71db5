"""The screen pop: what the ringing agent's browser opens (pure functions).

The bus message names the record to open; web/custom.js opens it. A known
caller opens the customer's form (orders, calls, complaints); an unknown
caller opens a new-customer form prefilled with the number (and the medium,
where the orders module adds it), linked to the call when saved.
"""
import datetime as dt
import urllib.parse


def pop_url(template, **values):
    "Fill an external screen-pop URL template; values are URL-encoded"
    if not template:
        return None
    quoted = {k: urllib.parse.quote(str(v if v is not None else ''), safe='')
        for k, v in values.items()}
    try:
        return template.format(**quoted)
    except (KeyError, IndexError, ValueError):
        return None


def pop_message(call, agent, url_template=None, new_party_defaults=None,
        now=None, known_view=None):
    """The bus message for agent, ringing with call.

    call: dict with id, caller, party, did_number, party_name
    agent: dict with user, extension, name
    known_view: the id of the form a known caller opens in (the pop's
    light form), None for the default form
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    caller = call.get('caller') or ''
    message = {
        'type': 'tvcc.screen_pop',
        'sent_at': now.isoformat(),
        'call': call['id'],
        'caller': caller,
        'agent': agent['extension'],
        'model': 'party.party',
        'mode': ['form', 'tree'],
        }
    if call.get('party'):
        message['res_id'] = call['party']
        message['name'] = f'{call.get("party_name") or ""} {caller}'.strip()
        # No context: sao caches the form's view per context, and an order
        # entered meanwhile takes the agent's current call by itself.
        message['context'] = {}
        if known_view:
            message['view_ids'] = [known_view]
    else:
        message['res_id'] = None
        message['mode'] = ['form']
        message['name'] = caller
        # The party's defaults read the caller from the call itself: a
        # "default_contact_mechanisms" key would reach the addresses' own
        # contact mechanisms too when the form is saved.
        defaults = {'tvcc_call': call['id']}
        defaults.update(new_party_defaults or {})
        message['context'] = defaults
    if call.get('transferred_by'):
        # The screen pop follows a transfer: who handed the call over, and
        # their note (web/callcontrol.js shows them).
        message['transferred_by'] = call['transferred_by']
        message['note'] = call.get('note') or ''
    message['url'] = pop_url(url_template,
        caller=caller, agent=agent['extension'],
        extension=agent['extension'], did=call.get('did_number') or '',
        call=call['id'], customer=call.get('party') or '')
    return message
