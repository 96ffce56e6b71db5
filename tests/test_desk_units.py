"""Click-to-dial and callbacks: the pure rules, without Asterisk."""
from telephony import render
from telephony.snapshot import Prompt
from tvcc import phone

from test_telephony_units import queue, snapshot

SOUNDS = '/srv/tvcc/test/sounds'


def test_what_the_desk_may_dial():
    "Mainland mobiles and landlines; no service, premium or abroad"
    assert phone.dialable('13800138000')
    assert phone.dialable('+86 21 6000 1234')
    assert phone.dialable('075586001234')
    assert not phone.dialable('4008001234')
    assert not phone.dialable('+12025550123')
    assert phone.dialable('+12025550123', international=True)


def offering(**values):
    prompt = Prompt(5, 'callback_offer', 'abc', b'RIFF')
    values = {'callback_key': '1', 'callback_prompt': 5,
        'callback_announce_every': 20, **values}
    return snapshot(prompts={5: prompt},
        queues={10: queue(10, 'sales', **values)})


def test_queue_offering_callbacks_exits_on_its_key():
    files = render.render_all(offering(), sounds=SOUNDS)
    queues = files['queues.conf']
    assert 'context = tvcc-callback-sales' in queues
    assert (f'periodic-announce = {SOUNDS}/tvcc/callback_offer-abc'
        in queues)
    assert 'periodic-announce-frequency = 20' in queues
    assert ('[tvcc-callback-sales]\nexten => 1,1,Set(TVCC_CALLBACK_THANKS=)\n'
        ' same => n,Goto(tvcc-callback,s,1)' in files['extensions.conf'])


def test_no_offer_without_its_prompt_or_a_safe_key():
    # The prompt has no audio: no offer, no exit key.
    silent = snapshot(prompts={5: Prompt(5, 'callback_offer', 'abc', b'')},
        queues={10: queue(10, 'sales', callback_key='1', callback_prompt=5)})
    files = render.render_all(silent, sounds=SOUNDS)
    assert 'tvcc-callback' not in files['queues.conf']
    assert 'tvcc-callback' not in files['extensions.conf']
    # A key that is not a digit (written behind the form) is left out.
    files = render.render_all(offering(callback_key='1;x'), sounds=SOUNDS)
    assert 'tvcc-callback' not in files['queues.conf']
    assert 'tvcc-callback' not in files['extensions.conf']
