"""Agents on real SIP phones through the real Asterisk: sipp registers each
agent's PJSIP endpoint (rendered by the bridge) with the agent's user name
and generated strong password, the queue rings the phone, it answers,
speaks (RTP) and hangs up; the call is recorded with the agent's voice."""
import asyncio
import re
import socket
import subprocess
from pathlib import Path

from callcenter import _counter, ended, linked, local_caller
from helpers import EventLog, ami_session

SIPP = Path(__file__).parent / 'sipp'
# Not 127.0.0.1 (the test trunks' address identifies them) nor the
# addresses the security tests get banned.
PHONE_ADDRESS = '127.0.0.41'


def free_port(kind=socket.SOCK_DGRAM, host=PHONE_ADDRESS):
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


async def unused_extensions(ami, cc, count):
    """Extensions no agent has and no simulated agent was scripted with
    (AstDB tvcc/sim/<ext> makes tvcc-agents play the agent instead of
    dialling the phone)"""
    def taken(pool, extensions):
        Agent = pool.get('callcenter.agent')
        return {a.extension for a in Agent.search([
                    ('extension', 'in', extensions),
                    ('active', 'in', [True, False])])}
    found = []
    while len(found) < count:
        ext = f'7{next(_counter) % 10000:04d}'
        if ext in found or cc.call_db(taken, [ext]):
            continue
        response = await ami.action({'Action': 'DBGet',
                'Family': 'tvcc/sim', 'Key': ext})
        if response.success:
            continue
        found.append(ext)
    return found


def sip_agents(cc, extensions):
    "Agents with SIP phones; return {extension: generated SIP password}"
    def make(pool):
        User = pool.get('res.user')
        Agent = pool.get('callcenter.agent')
        group = pool.get('ir.model.data').get_id(
            'tv_callcenter', 'group_agent')
        passwords = {}
        for ext in extensions:
            user, = User.create([{'login': f'pt_{ext}',
                        'name': f'话机坐席{ext}',
                        'groups': [('add', [group])]}])
            # No password given: the agent record generates a strong one.
            agent, = Agent.create([{'user': user, 'extension': ext,
                        'device': 'sip'}])
            passwords[ext] = agent.sip_password
        return passwords
    return cc.call_db(make)


class Phone:
    "One agent's SIP phone: sipp registered as the agent, answering calls"

    def __init__(self, instance, extension, password, folder):
        self.extension = extension
        self.folder = folder
        port, media = free_port(), free_port()
        self.process = subprocess.Popen([
                'sipp', '-sf', str(SIPP / 'agent_register.xml'),
                '-oocsf', str(SIPP / 'agent_answer.xml'), '-aa',
                '-i', PHONE_ADDRESS, '-p', str(port), '-mp', str(media),
                '-s', extension, '-au', extension, '-ap', password,
                '-m', '1', '-l', '1', '-d', '120000', '-nostdin',
                '-trace_err', '-error_file', str(folder / f'{extension}.err'),
                f'127.0.0.1:{instance.sip_port}'],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=folder)

    def errors(self):
        path = self.folder / f'{self.extension}.err'
        return path.read_text(errors='replace')[-2000:] \
            if path.exists() else ''

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def wait_registered(ami, phones, timeout=20):
    "Each agent's hint is idle: registered, and answering Asterisk's OPTIONS"
    deadline = asyncio.get_running_loop().time() + timeout
    pending = {p.extension: p for p in phones}
    while pending:
        for ext in list(pending):
            response = await ami.action({'Action': 'ExtensionState',
                    'Exten': ext, 'Context': 'tvcc-hints'})
            if response.get('Status') == '0':
                del pending[ext]
        if not pending:
            return
        if asyncio.get_running_loop().time() > deadline:
            phone = next(iter(pending.values()))
            raise AssertionError(
                f'phones {sorted(pending)} not registered '
                f'(exit {phone.process.poll()}): {phone.errors()}')
        await asyncio.sleep(0.3)


def audio_level(path):
    "sox's RMS level (dB) of a WAV file"
    result = subprocess.run(['sox', str(path), '-n', 'stats'],
        capture_output=True, text=True, timeout=30)
    match = re.search(r'^RMS lev dB\s+(-?[0-9.]+|-inf)', result.stderr,
        re.MULTILINE)
    assert match, result.stderr
    return float(match.group(1))


def recording_of(cc, instance, linkedid):
    "The recording file on disk (host view) of a call"
    def read(pool):
        call, = pool.get('callcenter.call').search(
            [('linkedid', '=', linkedid)])
        return call.recording_path
    path = cc.call_db(read)
    assert path and path.startswith(instance.path + '/'), path
    return instance.host_path / Path(path).relative_to(instance.path)


def test_sip_phones_register_ring_answer_hang_up_and_are_recorded(cc,
        instance, tmp_path):
    phones = []

    async def scenario():
        async with ami_session(instance) as ami:
            events = EventLog(ami)
            extensions = await unused_extensions(ami, cc, 2)
            passwords = sip_agents(cc, extensions)
            queue, queue_id = cc.queue(extensions, strategy='linear',
                ring_timeout=15, recording='all')
            did = cc.did(queue=queue_id)
            cc.presence(extensions, 'login')
            # pjsip.conf has the phones' endpoints once this is applied.
            await cc.wait_ready(ami, queue, extensions)
            phones.extend(Phone(instance, ext, passwords[ext], tmp_path)
                for ext in extensions)
            await wait_registered(ami, phones)
            calls = []
            for _ in extensions:
                linkedid = await cc.place(ami, events, did,
                    caller=local_caller(), hold=20)
                await events.wait(lambda e: e.get('Event') ==
                    'AgentConnect' and linked(e) == linkedid, timeout=20)
                calls.append(linkedid)
            for linkedid in calls:
                # The agent hangs up (BYE) 3 s after answering.
                await ended(events, linkedid, timeout=20)
            return calls, events
    try:
        calls, events = run(scenario())
    finally:
        for phone in phones:
            phone.stop()
    extensions = [p.extension for p in phones]
    assert [e.get('MemberName') for e in events.events
        if e.get('Event') == 'AgentConnect'
        and linked(e) in calls] == extensions
    for linkedid, extension in zip(calls, extensions):
        record = cc.wait_recording(linkedid)
        assert record['agent'] == extension
        assert record['disposition'] == 'answered'
        # The phone rang 1 s, the agent spoke 3 s and hung up; the caller
        # would have stayed 20 s.
        assert 0.5 <= record['ring'] <= 3, record
        assert 2 <= record['talk'] <= 6, record
        assert record['record'] and record['recording_size'] > 8000
        path = recording_of(cc, instance, linkedid)
        assert path.exists()
        # The agent's voice (sip-tester's a-law sample) is in it; the
        # scripted caller is silent.
        assert audio_level(path) > -45, path


def run(coroutine):
    return asyncio.run(coroutine)
