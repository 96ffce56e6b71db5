"""Pacing of outbound campaigns: the controllers' rules, without Asterisk."""
import math
import random
import sys
from pathlib import Path

import pytest

from telephony.pacing import AdaptAverage, Ours, Progressive

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'bench'))

import dialer_sim  # noqa: E402


def trained(answer_rate=0.3, calls=3000, abandoned_every=None, seed=7):
    """Ours after `calls` dialled calls of a campaign like the simulator's:
    ring 15-25 s when answered, 30 s timeout otherwise, handle lognormal
    mean 180 s; every answer connected unless `abandoned_every` says"""
    draws = random.Random(seed)
    controller = Ours()
    now = 0.0
    answers = 0
    for _ in range(calls):
        now += 1.0
        controller.observe_originated(now)
        if draws.random() < answer_rate:
            answers += 1
            controller.observe_answered(now, draws.uniform(15, 25))
            if abandoned_every and answers % abandoned_every == 0:
                controller.observe_abandoned(now)
            else:
                controller.observe_connected(now)
                controller.observe_ended(
                    now, draws.lognormvariate(math.log(180) - 0.18, 0.6))
        else:
            controller.observe_unanswered(now, 30.0)
    return controller, now


def test_progressive_covers_each_ready_agent_once():
    controller = Progressive()
    assert controller.calls_to_dial(0, 5, [], [], 0) == 5
    assert controller.calls_to_dial(1, 5, [], [0.0] * 3, 1) == 1
    assert controller.calls_to_dial(2, 2, [0.0] * 8, [0.0] * 4, 0) == 0
    assert controller.calls_to_dial(3, 0, 10, 0, 0) == 0


class Recording:
    "Wraps a controller and keeps every decision's state"

    def __init__(self, controller):
        self.controller = controller
        self.decisions = []

    def __getattr__(self, name):
        return getattr(self.controller, name)

    def calls_to_dial(self, now, ready, busy, ringing, waiting,
            wrapping_agents=()):
        new = self.controller.calls_to_dial(now, ready, busy, ringing, waiting,
            wrapping_agents)
        self.decisions.append((ready, len(ringing), waiting, new))
        return new


def test_progressive_never_has_more_calls_in_flight_than_ready_agents():
    recording = Recording(Progressive())
    result = dialer_sim.simulate(recording, agents=10, hours=0.5, seed=3)
    assert result.answers > 0
    assert result.abandoned == 0
    for ready, ringing, waiting, new in recording.decisions:
        assert new == 0 or ringing + waiting + new <= ready


def test_adapt_average_stays_between_one_and_three():
    controller = AdaptAverage(intensity=1.0)
    for second in range(600):          # every agent always idle: level up
        controller.calls_to_dial(second, 50, [], [], 0)
    assert controller.dial_level == 3.0
    for second in range(600, 1200):    # calls always waiting: level down
        controller.calls_to_dial(second, 0, [0.0] * 50, [], 40)
    assert controller.dial_level == 1.0


def test_adapt_average_keeps_its_level_times_agents_in_use():
    controller = AdaptAverage(start_level=2.0)
    assert controller.calls_to_dial(0, 10, [0.0] * 30, [0.0] * 20, 2) == 28


def test_adapt_average_halves_on_drops_over_the_limit():
    controller = AdaptAverage(start_level=2.4)
    for _ in range(100):
        controller.observe_answered(0, 20)
    for _ in range(5):                 # 5 % of live answers dropped
        controller.observe_abandoned(1)
    controller.calls_to_dial(0, 10, [0.0] * 80, [], 0)
    controller.calls_to_dial(15, 10, [0.0] * 80, [], 0)
    assert controller.dial_level == pytest.approx(1.2)
    # no new drop: the level climbs again from idle agents
    controller.calls_to_dial(30, 10, [0.0] * 80, [], 0)
    assert controller.dial_level > 1.2


def test_adapt_average_raises_the_level_under_the_limit():
    controller = AdaptAverage(start_level=2.0)
    for _ in range(100):
        controller.observe_answered(0, 20)
    controller.observe_abandoned(1)    # 1 %
    controller.calls_to_dial(0, 10, [0.0] * 80, [], 0)
    controller.calls_to_dial(15, 10, [0.0] * 80, [], 0)
    assert controller.dial_level > 2.0


def test_ours_dials_nothing_when_no_agent_is_ready_or_about_to_free():
    controller, now = trained()
    just_started = [now - second for second in range(5)] * 4
    assert controller.calls_to_dial(now, 0, just_started, [], 0) == 0
    # the same agents deep into long calls will free up: dial for them
    long_calls = [now - 400 - second for second in range(5)] * 4
    assert controller.calls_to_dial(now, 0, long_calls, [], 0) > 0


def test_ours_counts_ringing_calls_by_their_age():
    controller, now = trained()
    busy = [now - 100] * 20
    fresh = [now - 2] * 20             # ~30 % of them will still answer
    expired = [now - 27] * 20          # past every answer seen: lost
    dial_fresh = controller.calls_to_dial(now, 5, busy, fresh, 0)
    dial_expired = controller.calls_to_dial(now, 5, busy, expired, 0)
    assert dial_expired > dial_fresh


def test_ours_starts_a_campaign_cautiously_while_the_answer_rate_is_unknown():
    "Before the first outcomes, 90 agents get one call each (a campaign "
    "whose callees answer twice as often as guessed drops no first wave); "
    "once the answer rate is seen, ours dials ahead"
    controller = Ours()
    ringing = []
    for second in range(12):           # no call answers before 15 s
        ringing += [second] * controller.calls_to_dial(
            second, 90, [], ringing, 0)
    assert len(ringing) == 90
    for _ in range(Ours.warm_up_outcomes):
        controller.observe_unanswered(12, 30.0)
    assert controller.calls_to_dial(13, 90, [], ringing[20:], 0) > 20


def test_ours_dials_more_when_the_answer_rate_is_low():
    low, now = trained(answer_rate=0.1, calls=6000)
    high, _ = trained(answer_rate=0.5, calls=6000)
    busy = [now - 100 - second for second in range(40)]
    dial_low = low.calls_to_dial(now, 10, busy, [], 0)
    dial_high = high.calls_to_dial(now, 10, busy, [], 0)
    assert dial_high > 0
    assert dial_low > 3 * dial_high    # answer rates five times apart
    assert low.answer_probability() == pytest.approx(0.1, abs=0.02)
    assert high.answer_probability() == pytest.approx(0.5, abs=0.03)


def test_ours_backs_off_when_abandons_exceed_the_budget():
    within, now = trained()
    over, _ = trained(abandoned_every=10)    # 10 % of live answers
    assert over.abandon_rate() > 0.09
    assert over.theta() < within.theta()
    busy = [now - 100 - second for second in range(40)]
    assert (over.calls_to_dial(now, 10, busy, [], 0)
        < within.calls_to_dial(now, 10, busy, [], 0))


def day_with(answers, abandoned):
    controller = Ours()
    for _ in range(answers):
        controller.observe_answered(0, 20)
    for _ in range(abandoned):
        controller.observe_abandoned(0)
    return controller


def test_ours_aims_lower_early_in_the_day_and_repays_a_debt():
    early = Ours().set_point()
    assert early < 0.03
    under_budget = day_with(20000, 500)          # 2.5 %: room to spend
    assert early < under_budget.set_point() <= 0.03
    over_budget = day_with(20000, 800)           # 4 %: repay it
    assert over_budget.set_point() < early


def test_ours_accepts_plain_counts():
    controller, now = trained()
    assert controller.calls_to_dial(now, 10, 40, 5, 0) > 0
    assert controller.calls_to_dial(now, 0, 0, 0, 0) == 0


def test_abandon_rate_is_per_day():
    controller = Ours()
    for _ in range(50):
        controller.observe_answered(0, 20)
    controller.observe_abandoned(1)
    assert controller.abandon_rate() == pytest.approx(0.02)
    controller.start_day()
    assert controller.abandon_rate() == 0.0
    assert controller.live_answers == 0


@pytest.mark.parametrize('seed', [1, 2, 3])
def test_short_shift_keeps_abandons_under_the_limit_ahead_of_progressive(seed):
    ours = dialer_sim.simulate(Ours(), agents=20, hours=1, seed=seed)
    progressive = dialer_sim.simulate(Progressive(), agents=20, hours=1,
        seed=seed)
    assert ours.answers > 300
    assert ours.abandon_rate <= 0.03
    assert ours.occupancy > progressive.occupancy + 0.05


# -- wrap-up (after-call work) --

@pytest.mark.parametrize('wrapup', [10, 25, 30])
def test_ours_stays_under_the_limit_with_wrap_up(wrapup):
    "Agents in wrap-up are neither ready nor talking: told when they will "
    "be back, ours keeps abandons under 3 % whatever the wrap-up"
    ours = dialer_sim.simulate(Ours(), agents=20, hours=1, seed=1,
        wrapup=wrapup)
    assert ours.answers > 250
    assert ours.abandon_rate <= 0.03


def test_hidden_wrap_up_is_what_broke_the_limit():
    "The same shift with agents in wrap-up shown as ready (QueueStatus "
    "alone) drops far more than 3 %: the simulator models the difference"
    hidden = dialer_sim.simulate(Ours(), agents=20, hours=1, seed=1,
        wrapup=30, hidden_wrapup=True)
    assert hidden.abandon_rate > 0.05


def test_ours_counts_agents_back_from_wrap_up_by_when_they_are_back():
    controller, now = trained()
    controller.wrapup = 20
    busy = [now - 10] * 10             # just started talking: not back
    soon = [now + 1] * 5               # back before any new call answers
    late = [now + 200] * 5             # back long after
    dial_soon = controller.calls_to_dial(now, 0, busy, [], 0, soon)
    dial_late = controller.calls_to_dial(now, 0, busy, [], 0, late)
    assert dial_soon > 0 and dial_late == 0


def test_ours_expects_talking_agents_later_with_a_long_wrap_up():
    short, now = trained()
    long_, _ = trained()
    long_.wrapup = 120
    talking = [now - 300 - second for second in range(20)]
    assert (long_.calls_to_dial(now, 0, talking, [], 0)
        < short.calls_to_dial(now, 0, talking, [], 0))


def test_simulator_takes_the_call_figures_as_options(capsys):
    "handle time, wrap-up, ring time and answer rate are options; the "
    "table names them"
    dialer_sim.main(['--agents', '5', '--hours', '0.2', '--handle', '60',
            '--wrapup', '20', '--ring', '3', '6', '--answer-rate', '0.5',
            '--no-answer-timeout', '10'])
    out = capsys.readouterr().out
    assert ('5 agents, 0.2 h, answer rate 50%, ring 3-6 s (no answer 10 s), '
        'handle lognormal mean 60 s sigma 0.6, wrap-up 20 s') in out
    rows = [line.split()[0] for line in out.strip().splitlines()[2:]]
    assert rows == ['ours', 'progressive', 'ADAPT_AVERAGE']


def test_simulator_counts_wrap_up_as_work():
    quick = dialer_sim.simulate(Progressive(), agents=10, hours=0.5, seed=2,
        handle=60, wrapup=0)
    wrapping = dialer_sim.simulate(Progressive(), agents=10, hours=0.5,
        seed=2, handle=60, wrapup=30)
    assert wrapping.answers < quick.answers
    assert wrapping.talk_minutes_per_agent_hour < \
        quick.talk_minutes_per_agent_hour
    assert wrapping.occupancy > wrapping.talk_minutes_per_agent_hour / 60


# -- machine detection: the callee's wait before it is known a person --

def test_ours_spends_the_machine_detection_wait_from_the_grace():
    "A callee known to be a person only after 2 s of machine detection has "
    "no grace left: agents must be free by then, so ours dials less"
    plain, now = trained()
    detected, _ = trained()
    for _ in range(200):
        detected.observe_answered(now, 20, waited_seconds=2.0)
        plain.observe_answered(now, 20)
    busy = [now - 150 - second for second in range(40)]
    plain.calls_to_dial(now + 10, 5, busy, [], 0)
    detected.calls_to_dial(now + 10, 5, busy, [], 0)
    assert detected.horizon < plain.horizon


# -- a bridge restart --

def test_ours_state_survives_a_restart_through_json():
    import json
    controller, now = trained(answer_rate=0.5, calls=4000)
    controller.wrapup = 15
    saved = json.loads(json.dumps(controller.state()))
    fresh = Ours()
    assert fresh.restore(saved)
    assert fresh.answer_probability() == pytest.approx(
        controller.answer_probability())
    assert fresh.handle_time() == pytest.approx(controller.handle_time())
    assert fresh.theta() == pytest.approx(controller.theta())
    busy = [now - 100 - second for second in range(40)]
    assert fresh.calls_to_dial(now, 10, busy, [], 0) == \
        controller.calls_to_dial(now, 10, busy, [], 0)
    # The day's counts come from the call records, not the file.
    fresh.restore_day(live_answers=120, abandoned=3)
    assert fresh.abandon_rate() == pytest.approx(0.025)


def test_a_state_of_another_controller_or_garbage_is_ignored():
    controller = Ours()
    assert not controller.restore(AdaptAverage().state())
    assert not controller.restore('nonsense')
    assert controller.restore({'controller': 'ours', '_log_mean': 'x',
            '_answered': float('nan'), 'answer_ring': {'bins': [1]}})
    assert controller.answer_probability() == pytest.approx(0.25)
