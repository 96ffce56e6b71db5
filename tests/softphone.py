"""The browser phone in tests: agents with it, a Chromium whose microphone
says a known tone, calls whose caller says another, and sound measured by
frequency band with sox.

- ``browser_agents(cc, count)``: agents (role agent, zh_CN) whose device is
  the browser phone; their extensions (users ``pt_<ext>``, password
  ``callcenter.AGENT_PASSWORD``).
- ``launch_phone_browser(playwright, voice)``: Chromium with fake media
  devices, ``voice`` (a WAV) as the microphone, the self-signed WSS
  certificate accepted and autoplay allowed.
- ``tone(path, hz)``: a WAV of a sine (sox).
- ``AMIThread(instance)``: an AMI session and its event log on a thread of
  their own, so a test drives the browser (sync Playwright) and Asterisk
  side by side: ``ami.run(coroutine_function, *args)`` runs
  ``coroutine_function(ami, events, *args)`` there and returns its result.
- ``place_call(ami, events, did, caller, tone=440)``: a caller (Local
  channel, run by ``ami.run``) that
  says a tone and stays on the line; ``caller_channel`` the channel that
  hears the agent; ``record_heard`` records what a channel hears.
- ``band_level(path, low, high)`` / ``level_outside(path, bands)``: RMS dB
  of a WAV within / outside frequency bands; ``tone_peak(path, hz)``: how
  far a tone of hz stands above the sound around it.
"""
import asyncio
import re
import subprocess
import threading
from pathlib import Path

from browser import CHROMIUM, CHROMIUM_ARGS
from callcenter import AGENT_PASSWORD, CallCenter, _counter
from helpers import EventLog, ami_session

AGENT_TONE = 1000
CALLER_TONE = 440


def tone(path, hz, seconds=10, volume=0.5):
    subprocess.run(['sox', '-n', '-r', '48000', '-c', '1', '-b', '16',
            str(path), 'synth', str(seconds), 'sine', str(hz),
            'vol', str(volume)], check=True, timeout=30)
    return Path(path)


def launch_phone_browser(playwright, voice):
    return playwright.chromium.launch(executable_path=CHROMIUM,
        headless=True, args=CHROMIUM_ARGS + [
            f'--use-file-for-fake-audio-capture={voice}',
            '--ignore-certificate-errors',
            '--autoplay-policy=no-user-gesture-required'])


def browser_agents(cc, count, wrapup=None):
    "Agents with the browser phone (role agent, zh_CN); their extensions"
    def make(pool):
        User = pool.get('res.user')
        Agent = pool.get('callcenter.agent')
        ModelData = pool.get('ir.model.data')
        language, = pool.get('ir.lang').search([('code', '=', 'zh_CN')])
        extensions, users = [], []
        for _ in range(count):
            ext = f'7{next(_counter) % 10000:04d}'
            while Agent.search([('extension', '=', ext),
                        ('active', 'in', [True, False])]):
                ext = f'7{next(_counter) % 10000:04d}'
            user, = User.create([{'login': f'pt_{ext}',
                        'name': f'网页坐席{ext}', 'password': AGENT_PASSWORD,
                        'language': language,
                        'roles': [('create', [{'role': ModelData.get_id(
                                            'tv_callcenter',
                                            'role_agent')}])]}])
            users.append(user)
            # No device given: the browser phone is the default, its
            # password generated.
            Agent.create([{'user': user, 'extension': ext}])
            extensions.append(ext)
        User.sync_roles(users)
        return extensions
    return cc.call_db(make)


class AMIThread:
    "An AMI session and its EventLog on an event loop of their own"

    def __init__(self, instance):
        self.instance = instance
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop = None
        self._error = None
        self.thread = threading.Thread(target=self._main, daemon=True)
        self.thread.start()
        self._ready.wait(20)
        if self._error:
            raise self._error

    def _main(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._session())

    async def _session(self):
        self._stop = asyncio.Event()
        try:
            async with ami_session(self.instance) as ami:
                self.ami = ami
                self.events = EventLog(ami)
                self._ready.set()
                await self._stop.wait()
        except Exception as error:
            self._error = error
            self._ready.set()

    def run(self, function, *args, timeout=60):
        future = asyncio.run_coroutine_threadsafe(
            function(self.ami, self.events, *args), self.loop)
        return future.result(timeout)

    def close(self):
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(10)


async def place_call(ami, events, did, caller, tone=CALLER_TONE, hold=120):
    "A caller into did who says a tone of `tone` Hz and stays hold s"
    await CallCenter.call(ami, did, caller, delay=0, hold=hold, tone=tone)


async def caller_channel(events, caller, timeout=20):
    """(linked id, the caller's own channel): the Local channel's half that
    runs tvcc-caller, i.e. hears what the agent says"""
    event = await events.wait(
        lambda e: e.get('Event') == 'VarSet'
        and e.get('Variable') in {'TVCC_DID', '__TVCC_DID'}
        and e.get('CallerIDNum') == caller,
        timeout=timeout, what=f'the call from {caller}')
    channel = event.get('Channel')
    assert channel.endswith(';1'), channel
    return event.get('Linkedid'), channel[:-2] + ';2'


async def record_heard(ami, events, channel, path, seconds):
    """Record channel (both directions: ChanSpy, tvcc-recorder) until the
    file holds `seconds` of sound; path as Asterisk sees it"""
    action = f'pytest-heard-{next(_counter)}'
    response = await ami.action({'Action': 'Originate',
            'Channel': 'Local/rec@tvcc-recorder/n',
            'Application': 'Wait', 'Data': '600', 'Async': 'true',
            'ActionID': action,
            'Variable': [f'TVCC_SPY={channel}', f'TVCC_FILE={path}']})
    assert response.success, response
    started = await events.wait(lambda e: e.get('Event') ==
        'OriginateResponse' and e.get('ActionID') == action, timeout=10,
        what='the recorder')
    return started.get('Channel')


def wav_seconds(path):
    "Seconds of 8 kHz 16-bit mono sound in a WAV Asterisk is writing"
    try:
        return max(0, Path(path).stat().st_size - 44) / 16000
    except FileNotFoundError:
        return 0


def _rms(path, *effects):
    result = subprocess.run(['sox', str(path), '-n', *effects, 'stats'],
        capture_output=True, text=True, timeout=30)
    match = re.search(r'^RMS lev dB\s+(-?[0-9.]+|-inf)', result.stderr,
        re.MULTILINE)
    assert match, result.stderr
    value = match.group(1)
    return float('-inf') if value == '-inf' else float(value)


def band_level(path, low, high):
    "RMS level (dB) of the sound of path between low and high Hz"
    return _rms(path, 'sinc', f'{low}-{high}')


def level_outside(path, bands):
    "RMS level (dB) of path with the (low, high) Hz bands taken out"
    effects = []
    for low, high in bands:
        effects += ['sinc', f'{high}-{low}']
    return _rms(path, *effects)


def around(hz, width=60):
    return (hz - width, hz + width)


def tone_peak(path, hz):
    """dB by which the band around hz stands above its neighbours: a
    tone of hz in the sound makes a peak (music or speech hardly any)"""
    neighbours = [band_level(path, hz + 100, hz + 220),
        band_level(path, hz - 220, hz - 100)]
    return band_level(path, *around(hz)) - max(neighbours)
