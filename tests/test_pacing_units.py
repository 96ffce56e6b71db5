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

    def calls_to_dial(self, now, ready, busy, ringing, waiting):
        new = self.controller.calls_to_dial(now, ready, busy, ringing, waiting)
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
    "Before any outcome, 90 agents must not be flooded if 35 % answer"
    controller = Ours()
    ringing = []
    for second in range(12):           # no call answers before 15 s
        ringing += [second] * controller.calls_to_dial(
            second, 90, [], ringing, 0)
    assert 90 < len(ringing) and 0.35 * len(ringing) <= 90


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
