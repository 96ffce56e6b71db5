"""Place real calls through Asterisk for demos, training and load tests.

    python -m telephony.simulate --calls 50 --rate 2        (make simulate)

Runs against a started instance (make run). Callers are demo customers and
unknown numbers, dialling the media hotlines and pressing keys; simulated
agents (device "simulated") answer after --answer seconds and talk --talk
seconds, or never answer (--no-answer share of them). With --login the
simulated agents are logged in first. At the end it prints what the call
records say happened.
"""
import argparse
import asyncio
import collections
import random
import sys
import time

from tvcc import phone, settings


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='python -m telephony.simulate', description=__doc__.splitlines()[0])
    parser.add_argument('--instance', default='run',
        choices=settings.INSTANCES)
    parser.add_argument('--calls', type=int, default=10)
    parser.add_argument('--rate', type=float, default=1.0,
        help="calls started per second")
    parser.add_argument('--did', action='append',
        help="number to dial (repeatable; default: every hotline)")
    parser.add_argument('--caller', action='append',
        help="caller number (repeatable; default: a mix of customers and "
        "new numbers)")
    parser.add_argument('--keys', default='1,2',
        help="comma-separated DTMF choices, one picked per call ('' none)")
    parser.add_argument('--key-delay', type=float, default=2.0,
        help="seconds before the caller presses the key")
    parser.add_argument('--patience', type=float, default=60.0,
        help="seconds a caller stays on the line before hanging up")
    parser.add_argument('--answer', type=float, default=2.0,
        help="seconds a simulated agent lets the phone ring")
    parser.add_argument('--talk', type=float, default=20.0,
        help="seconds a simulated agent talks")
    parser.add_argument('--no-answer', type=float, default=0.0,
        help="share (0-1) of simulated agents that never answer")
    parser.add_argument('--login', action='store_true',
        help="log the simulated agents in first")
    parser.add_argument('--seed', type=int, default=None)
    return parser.parse_args(argv)


def load_plan(database, login):
    "Hotlines, customers' numbers and simulated agents from the database"
    def read(pool):
        DID = pool.get('callcenter.did')
        Agent = pool.get('callcenter.agent')
        Mechanism = pool.get('party.contact_mechanism')
        agents = Agent.search([('device', '=', 'simulated')])
        if login:
            Agent.login([a for a in agents if a.presence == 'logged_out'
                    and a.memberships])
        return {
            'dids': [d.number for d in DID.search([])],
            'customers': [m.value_compact for m in Mechanism.search(
                    [('type', '=', 'mobile')], limit=200)],
            'agents': [a.extension for a in agents],
            }
    return database.call(read)


def load_outcome(database, started):
    def read(pool):
        Call = pool.get('callcenter.call')
        import datetime as dt
        since = dt.datetime.utcfromtimestamp(started)
        calls = Call.search([('start_time', '>=', since)])
        outcome = collections.Counter(c.disposition or c.state
            for c in calls)
        waits = [c.wait_duration.total_seconds() for c in calls
            if c.wait_duration is not None and c.disposition == 'answered']
        return len(calls), dict(outcome), waits
    return database.call(read, readonly=True)


async def script_agent(ami, extension, behaviour):
    """Make the simulated agent at extension answer as behaviour says
    ('answer seconds,talk seconds' or 'never'): the tvcc-sim-setup
    dialplan stores it (the AMI account has no right to write AstDB)"""
    answer, _, talk = behaviour.partition(',')
    response = await ami.action({
            'Action': 'Originate', 'Channel': 'Local/set@tvcc-sim-setup/n',
            'Application': 'Wait', 'Data': '0', 'Async': 'false',
            'Variable': [f'TVCC_SIM_EXT={extension}',
                f'TVCC_SIM_ANSWER={answer}', f'TVCC_SIM_TALK={talk}']})
    if not response.success:
        raise RuntimeError(f'scripting agent {extension} failed: '
            f'{response.get("Message")}')


async def simulate(args, plan, inst):
    from .ami import AMIClient
    rng = random.Random(args.seed)
    ami = AMIClient('127.0.0.1', inst.ami_port, inst.ami_username,
        inst.ami_secret(create=False), name='simulate')
    await ami.start(timeout=15)
    try:
        agents = list(plan['agents'])
        rng.shuffle(agents)
        silent = set(agents[:round(len(agents) * args.no_answer)])
        for ext in agents:
            behaviour = 'never' if ext in silent \
                else f'{args.answer:g},{args.talk:g}'
            await script_agent(ami, ext, behaviour)
        dids = args.did or plan['dids']
        if not dids:
            raise SystemExit('no number to dial: configure hotlines or '
                'pass --did')
        keys = args.keys.split(',')
        interval = 1 / args.rate if args.rate > 0 else 0
        started = time.monotonic()
        for index in range(args.calls):
            if args.caller:
                caller = rng.choice(args.caller)
            elif plan['customers'] and rng.random() < 0.5:
                caller = phone.national(rng.choice(plan['customers']))
            else:
                caller = f'1{rng.choice("3578")}{rng.randrange(10**9):09d}'
            did = rng.choice(dids)
            exten = phone.national(did) if did.startswith('+') else did
            key = rng.choice(keys)
            response = await ami.action({
                    'Action': 'Originate',
                    'Channel': 'Local/s@tvcc-caller/n',
                    'Context': 'tvcc-inbound', 'Exten': exten,
                    'Priority': 1, 'Async': 'true',
                    'CallerID': f'"模拟来电" <{caller}>',
                    'Variable': f'TVCC_SIM_DELAY={args.key_delay:g},'
                    f'TVCC_SIM_KEYS={key},TVCC_SIM_HOLD={args.patience:g}'})
            status = 'ok' if response.success else response.get('Message')
            print(f'call {index + 1}/{args.calls}: {caller} -> {exten} '
                f'key {key or "-"} ({status})', flush=True)
            delay = started + (index + 1) * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
    finally:
        ami.close()


def main(argv=None):
    args = parse_args(argv)
    inst = settings.instance(args.instance)
    from trytond import config
    config.update_etc(str(settings.TRYTOND_CONF))
    from .database import TrytonDatabase
    database = TrytonDatabase(inst.database).init()
    plan = load_plan(database, args.login)
    print(f'{len(plan["agents"])} simulated agents, {len(plan["dids"])} '
        f'numbers; placing {args.calls} calls at {args.rate:g}/s',
        flush=True)
    started = time.time()
    try:
        asyncio.run(simulate(args, plan, inst))
    except (OSError, TimeoutError) as error:
        print(f'cannot reach Asterisk instance "{inst.name}" ({error}): '
            'start it first (make run)', file=sys.stderr)
        return 1
    wait = args.patience + args.key_delay + 15
    print(f'waiting up to {wait:.0f} s for the calls to end...', flush=True)
    deadline = time.time() + wait
    while True:
        total, outcome, waits = load_outcome(database, started)
        active = outcome.get('active', 0)
        if (total >= args.calls and not active) or time.time() > deadline:
            break
        time.sleep(2)
    print(f'{total} call records: ' + ', '.join(
            f'{name} {count}' for name, count in sorted(outcome.items())))
    if waits:
        waits.sort()
        print(f'answered: mean wait {sum(waits) / len(waits):.1f} s, '
            f'longest {waits[-1]:.1f} s')
    database.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
