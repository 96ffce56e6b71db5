#!/usr/bin/env python3
"""Predictive dialer pacing simulated: ours, progressive and ADAPT_AVERAGE.

    .venv/bin/python bench/dialer_sim.py [--agents 90 20 300] [--hours 8]
        [--seed 1] [--answer-rate 0.3] [--handle 180] [--sigma 0.6]
        [--wrapup 0] [--ring 15 25] [--no-answer-timeout 30]
        [--hidden-wrapup]

A discrete-event simulation (heapq event queue, seeded random) that drives
the controllers of telephony/pacing.py exactly as the dialer engine does:
every second it asks calls_to_dial() and feeds the same observe_* events.

The model (every figure an option): all agents logged in for the whole
shift; a dialled call is answered by a live person with the answer rate
(default 30 %) after a ring uniform between the two --ring values (15-25
s), otherwise it rings until the no-answer timeout (30 s); the time on the
call is lognormal with mean --handle (180 s) and sigma of its log --sigma
(0.6: median 149 s, 95th percentile 400 s); after each call its agent works
--wrapup seconds (wrap-up, Asterisk's wrapuptime) before the next one; an
answered call gets a free agent at once or within 2 s, else it is
abandoned. As the engine reads Asterisk, the controllers see agents in
wrap-up and when they will be back (QueueMember LastCall + wrapuptime);
--hidden-wrapup shows them as ready instead, which is what the engine did
before it read LastCall. Call k's outcome is drawn from its own stream, so
every controller meets the same callees (common random numbers). Dialling
stops at the end of the shift; work is counted up to it.

Printed per controller: occupancy (time on calls and in wrap-up / logged-in
time), talk minutes per agent-hour, abandon % (of live answers), calls
dialled per hour. Target: ours >= 85 % occupancy at <= 3 % abandon (90
agents), ahead of both baselines.
"""
import argparse
import heapq
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telephony.pacing import CONNECT_GRACE, CONTROLLERS  # noqa: E402

RING_ANSWERED = (15.0, 25.0)
NO_ANSWER_TIMEOUT = 30.0
MEAN_HANDLE = 180.0

# event kinds, ordered so that at equal times agents free up first
FREE, ENDED, ANSWERED, UNANSWERED, GIVE_UP = range(5)


class Result:
    def __init__(self, controller, agents, hours, talk_seconds, dialled,
            answers, abandoned, wrapup_seconds=0.0):
        self.controller = controller
        self.agents, self.hours = agents, hours
        self.talk_seconds = talk_seconds
        self.wrapup_seconds = wrapup_seconds
        self.dialled, self.answers = dialled, answers
        self.abandoned = abandoned

    @property
    def occupancy(self):
        "Time on calls and in wrap-up per logged-in time"
        return (self.talk_seconds + self.wrapup_seconds) / (
            self.agents * self.hours * 3600)

    @property
    def talk_minutes_per_agent_hour(self):
        return self.talk_seconds / (self.agents * self.hours * 3600) * 60

    @property
    def abandon_rate(self):
        return self.abandoned / self.answers if self.answers else 0.0

    @property
    def calls_per_hour(self):
        return self.dialled / self.hours


def simulate(controller, agents=90, hours=8.0, answer_rate=0.3, seed=1,
        sigma=0.6, tick=1.0, handle=MEAN_HANDLE, wrapup=0.0,
        ring=RING_ANSWERED, no_answer_timeout=NO_ANSWER_TIMEOUT,
        hidden_wrapup=False):
    "Run one shift with `controller`; return its Result"
    # one stream per draw: call k meets the same callee under any controller
    answer_draws = random.Random(f'{seed}-answer')
    ring_draws = random.Random(f'{seed}-ring')
    handle_draws = random.Random(f'{seed}-handle')
    mu = math.log(handle) - sigma ** 2 / 2
    shift = hours * 3600
    controller.wrapup = 0.0 if hidden_wrapup else wrapup
    events = []            # (time, kind, sequence, call or agent)
    sequence = 0
    ready = agents
    talk_started = {}      # call -> time its agent started
    wrapping = {}          # wrap-up number -> time its agent is free
    ringing = {}           # call -> origination time
    waiting = {}           # call -> answer time, oldest first
    talk_seconds = wrapup_seconds = 0.0
    dialled = answers = abandoned = 0
    handle_of = {}

    def push(at, kind, item):
        nonlocal sequence
        sequence += 1
        heapq.heappush(events, (at, kind, sequence, item))

    def connect(call, now, answered_at):
        talk_started[call] = now
        controller.observe_connected(now, now - answered_at)
        push(now + handle_of[call], ENDED, call)

    def agent_free(now):
        "An agent is free: it takes the oldest waiting call or is ready"
        nonlocal ready
        if waiting:
            oldest = next(iter(waiting))
            connect(oldest, now, waiting.pop(oldest))
        else:
            ready += 1

    now = 0.0
    next_tick = 0.0
    while True:
        if events and events[0][0] <= next_tick:
            now, kind, number, item = heapq.heappop(events)
            if kind == FREE:
                started = wrapping.pop(item)
                wrapup_seconds += max(0.0, min(now, shift) - started)
                agent_free(now)
            elif kind == ENDED:
                call = item
                handle_of.pop(call)
                talk = now - talk_started.pop(call)
                talk_seconds += max(0.0, min(now, shift) - (now - talk))
                controller.observe_ended(now, talk)
                if wrapup > 0:
                    wrapping[number] = now
                    push(now + wrapup, FREE, number)
                else:
                    agent_free(now)
            elif kind == ANSWERED:
                call = item
                answers += 1
                controller.observe_answered(now, now - ringing.pop(call))
                if ready:
                    ready -= 1
                    connect(call, now, now)
                else:
                    waiting[call] = now
                    push(now + CONNECT_GRACE, GIVE_UP, call)
            elif kind == UNANSWERED:
                controller.observe_unanswered(now, now - ringing.pop(item))
            elif item in waiting:           # GIVE_UP
                del waiting[item]
                handle_of.pop(item)
                abandoned += 1
                controller.observe_abandoned(now)
            continue
        now = next_tick
        if now >= shift:
            break
        next_tick += tick
        back_at = [started + wrapup for started in wrapping.values()]
        if hidden_wrapup:
            # What QueueStatus alone shows: wrap-up looks ready.
            new = controller.calls_to_dial(now, ready + len(back_at),
                talk_started.values(), ringing.values(), len(waiting))
        else:
            new = controller.calls_to_dial(now, ready,
                talk_started.values(), ringing.values(), len(waiting),
                wrapping_agents=back_at)
        for _ in range(new):
            call = dialled
            dialled += 1
            controller.observe_originated(now)
            ringing[call] = now
            if answer_draws.random() < answer_rate:
                handle_of[call] = handle_draws.lognormvariate(mu, sigma)
                push(now + ring_draws.uniform(*ring), ANSWERED, call)
            else:
                push(now + no_answer_timeout, UNANSWERED, call)
    for start in talk_started.values():
        talk_seconds += shift - start
    for start in wrapping.values():
        wrapup_seconds += max(0.0, shift - start)
    return Result(controller, agents, hours, talk_seconds, dialled, answers,
        abandoned, wrapup_seconds)


def table(agents, hours, answer_rate, seed, sigma, handle=MEAN_HANDLE,
        wrapup=0.0, ring=RING_ANSWERED, no_answer_timeout=NO_ANSWER_TIMEOUT,
        hidden_wrapup=False):
    rows = []
    for name, cls in CONTROLLERS.items():
        started = time.perf_counter()
        result = simulate(cls(), agents, hours, answer_rate, seed, sigma,
            handle=handle, wrapup=wrapup, ring=ring,
            no_answer_timeout=no_answer_timeout, hidden_wrapup=hidden_wrapup)
        rows.append((name, result, time.perf_counter() - started))
    print(f'\n{agents} agents, {hours:g} h, answer rate {answer_rate:.0%}, '
        f'ring {ring[0]:g}-{ring[1]:g} s (no answer {no_answer_timeout:g} s), '
        f'handle lognormal mean {handle:g} s sigma {sigma}, '
        f'wrap-up {wrapup:g} s{" (hidden)" if hidden_wrapup else ""}, '
        f'seed {seed}')
    print(f'{"controller":<14} {"occupancy":>9} {"talk min/agent-h":>16} '
        f'{"abandon %":>9} {"calls/h":>8} {"answers":>8} {"run s":>6}')
    for name, result, seconds in rows:
        print(f'{name:<14} {result.occupancy:>9.1%} '
            f'{result.talk_minutes_per_agent_hour:>16.1f} '
            f'{result.abandon_rate:>9.2%} {result.calls_per_hour:>8.0f} '
            f'{result.answers:>8} {seconds:>6.1f}')
    return rows


def positive(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f'{text}: must be > 0')
    return value


def not_negative(text):
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f'{text}: must be >= 0')
    return value


def share(text):
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f'{text}: a share in (0, 1]')
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--agents', type=int, nargs='+', default=[90, 20, 300])
    parser.add_argument('--hours', type=positive, default=8.0)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--answer-rate', type=share, default=0.3,
        help='share of calls a person answers (default 0.3)')
    parser.add_argument('--handle', type=positive, default=MEAN_HANDLE,
        help='mean time on the call, s (lognormal; default 180)')
    parser.add_argument('--sigma', type=positive, default=0.6,
        help='sigma of the log of the time on the call (default 0.6)')
    parser.add_argument('--wrapup', type=not_negative, default=0.0,
        help='wrap-up after each call, s (default 0)')
    parser.add_argument('--ring', type=positive, nargs=2, default=list(
            RING_ANSWERED), metavar=('MIN', 'MAX'),
        help='ring time of the answered calls, uniform, s (default 15 25)')
    parser.add_argument('--no-answer-timeout', type=positive,
        default=NO_ANSWER_TIMEOUT,
        help='ring time of the unanswered calls, s (default 30)')
    parser.add_argument('--hidden-wrapup', action='store_true',
        help='show agents in wrap-up to the controllers as ready')
    args = parser.parse_args(argv)
    if args.ring[0] > args.ring[1]:
        parser.error('--ring: MIN is more than MAX')
    for agents in args.agents:
        table(agents, args.hours, args.answer_rate, args.seed, args.sigma,
            handle=args.handle, wrapup=args.wrapup, ring=tuple(args.ring),
            no_answer_timeout=args.no_answer_timeout,
            hidden_wrapup=args.hidden_wrapup)


if __name__ == '__main__':
    main()
