"""Pacing of outbound campaigns: how many calls to originate now.

Pure Python, no I/O and no clock of its own: the dialer engine and
bench/dialer_sim.py drive the same classes. One controller per campaign; the
caller feeds it events and asks it, about once a second, how many calls to
dial.

The interface (all times in seconds, `now` on one monotonic clock):

    controller = Ours()                      # or Progressive(), AdaptAverage()
    controller.observe_originated(now)
    controller.observe_answered(now, ring_seconds, waited_seconds=0.0)
                                      # a live person, ring_seconds after
                                      # the origination; waited_seconds of
                                      # them already spent answered (the
                                      # answering machine detection)
    controller.observe_unanswered(now, ring_seconds)    # no answer, busy,
                                      # failed, answering machine (AMD)
    controller.observe_connected(now, wait_seconds)     # answered call given
                                                        # to an agent
    controller.observe_abandoned(now)   # answered, no agent within the grace
                                        # (2 s): compliance message played
    controller.observe_ended(now, talk_seconds)  # the call ended; its
                                      # agent wraps up controller.wrapup s
    n = controller.calls_to_dial(now, ready_agents, busy_agents,
                                 calls_ringing, calls_waiting,
                                 wrapping_agents=())
    controller.dial_level        # lines in use per logged-in agent (monitor)
    controller.abandon_rate()    # abandoned / live answers since start_day()
    controller.start_day()       # at the campaign's midnight: new daily count
    controller.wrapup            # seconds of after-call work (the queue's)
    controller.state()           # what a restart needs, JSON-able
    controller.restore(state)    # ... given back to a new controller

Every live answer is followed by exactly one observe_connected or
observe_abandoned. `ready_agents` and `calls_waiting` are counts;
`busy_agents` holds the talk start times of the agents on a call,
`wrapping_agents` the times agents in after-call work (wrap-up) become free
again (they are neither ready nor talking: Asterisk offers them no call
until then), and `calls_ringing` the origination times of the calls not yet
answered or ended (with answering machine detection: not yet known to be a
person), each a list or any sized iterable (dict.values()). busy_agents and
calls_ringing may also be plain counts, at the cost of the predictions that
use ages. A talking agent is free `wrapup` seconds after the call ends. The
engine applies its own caps (trunks, numbers left, calling window) to the
returned number, and calls start_day() at the campaign's midnight.

Controllers:
- Progressive: 1:1, one call per ready agent not already covered by a
  ringing or waiting call. No abandons; agents idle through every ring.
- AdaptAverage: the VICIdial-style ADAPT_AVERAGE baseline. Keeps
  dial_level x logged-in agents lines in use; every 15 s the level moves by
  intensity x the average of (ready agents - waiting calls) per agent,
  clamped to 1.0-3.0, and is halved when new drops came while the day's
  abandon rate is over the limit. intensity 0.05 was the best of a sweep
  (0.05-1.0) in bench/dialer_sim.py, so the baseline is a fair one.
- Ours: predictive. Online estimates of the answer probability (a decayed
  Beta posterior), of the ring times of answered and unanswered calls
  (decayed histograms) and of the handle time (a lognormal fitted to
  decayed log-moments, each call learnt only once the calls started with
  it have ended, so the short first calls of the day do not bias it). For
  the moment a new call would be answered (mean answer ring time + the 2 s
  grace, less what machine detection already made the callee wait) it
  predicts the agents free: the ready ones, the agents in wrap-up back by
  then, and each talking agent's chance of ending the call early enough to
  finish its wrap-up by then, given how long it has talked already. The
  demand is the waiting calls plus each ringing call's chance of still
  being answered given its age. The n-th new call is dialled while its
  chance of finding no agent, P(demand >= supply), stays under theta:
  a normal approximation whose variance includes the uncertainty of p
  (which keeps a new campaign's first burst modest). theta is moved on
  every live answer by an integral controller, so the abandon rate follows
  a set point under the 3 % limit by one standard error of the day's rate
  (a wide margin early in the day, when few answers are counted) and
  corrected by the day's surplus or debt of abandons.
"""
import heapq
import math
from statistics import NormalDist

ABANDON_LIMIT = 0.03   # of live answers, per campaign per day (FTC, Ofcom)
CONNECT_GRACE = 2.0    # seconds an answered call may wait for an agent

_NORMAL = NormalDist()


class Controller:
    "The interface and the daily counts every controller shares"
    name = 'controller'

    def __init__(self, abandon_limit=ABANDON_LIMIT, wrapup=0.0):
        self.abandon_limit = abandon_limit
        self.dial_level = 1.0
        self.wrapup = wrapup
        self.start_day()

    def start_day(self):
        "Reset the daily counts; learned estimates are kept"
        self.calls_dialled = 0
        self.live_answers = 0
        self.calls_abandoned = 0

    def abandon_rate(self):
        if not self.live_answers:
            return 0.0
        return self.calls_abandoned / self.live_answers

    def observe_originated(self, now):
        self.calls_dialled += 1

    def observe_answered(self, now, ring_seconds, waited_seconds=0.0):
        self.live_answers += 1

    def observe_unanswered(self, now, ring_seconds):
        pass

    def observe_connected(self, now, wait_seconds=0.0):
        pass

    def observe_abandoned(self, now):
        self.calls_abandoned += 1

    def observe_ended(self, now, handle_seconds):
        pass

    def calls_to_dial(self, now, ready_agents, busy_agents, calls_ringing,
            calls_waiting, wrapping_agents=()):
        raise NotImplementedError

    def _lines_per_agent(self, ready_agents, busy, ringing, calls_waiting,
            new, wrapping=0):
        "Record the dial level the decision leads to; return the decision"
        agents = ready_agents + busy + wrapping
        if agents:
            self.dial_level = (busy + ringing + calls_waiting + new) / agents
        return new

    # --- what a restart needs (the engine keeps it in a state file) ---
    _state_fields = ('dial_level', 'wrapup')

    def state(self):
        "The learned state, JSON-able (the daily counts are not in it)"
        return {'controller': self.name, **{name: getattr(self, name)
                for name in self._state_fields}}

    def restore(self, state):
        "Take back what state() gave; a state of another kind is ignored"
        if not isinstance(state, dict) or state.get('controller') != self.name:
            return False
        for name in self._state_fields:
            value = state.get(name)
            current = getattr(self, name)
            if isinstance(current, (int, float)) and isinstance(
                    value, (int, float)) and math.isfinite(value):
                setattr(self, name, type(current)(value))
            elif isinstance(current, list) and isinstance(value, list) \
                    and len(value) == len(current) and all(
                        isinstance(v, (int, float)) and math.isfinite(v)
                        for v in value):
                setattr(self, name, [float(v) for v in value])
        return True

    def restore_day(self, live_answers, abandoned, dialled=0):
        "The day's counts so far, from the call records (after a restart)"
        self.live_answers = max(0, int(live_answers))
        self.calls_abandoned = max(0, int(abandoned))
        self.calls_dialled = max(0, int(dialled))


def _count(items):
    return items if isinstance(items, int) else len(items)


class Progressive(Controller):
    "1:1: a call for each ready agent not already covered"
    name = 'progressive'

    def calls_to_dial(self, now, ready_agents, busy_agents, calls_ringing,
            calls_waiting, wrapping_agents=()):
        busy, ringing = _count(busy_agents), _count(calls_ringing)
        new = max(0, ready_agents - ringing - calls_waiting)
        return self._lines_per_agent(
            ready_agents, busy, ringing, calls_waiting, new,
            _count(wrapping_agents))


class AdaptAverage(Controller):
    "VICIdial-style ADAPT_AVERAGE: a dial level steered by idle agents"
    name = 'ADAPT_AVERAGE'
    min_level, max_level = 1.0, 3.0

    _state_fields = Controller._state_fields + ('_abandoned_at_check',)

    def __init__(self, abandon_limit=ABANDON_LIMIT, interval=15.0,
            intensity=0.05, start_level=1.0, wrapup=0.0):
        super().__init__(abandon_limit, wrapup)
        self.interval = interval
        self.intensity = intensity
        self.dial_level = start_level
        self._next_adjustment = None
        self._differential_sum = 0.0
        self._samples = 0
        self._abandoned_at_check = 0

    def adjust(self, average_differential, agents):
        """Move the level by the average (ready - waiting) per agent, or halve
        it if new drops came while the day's rate is over the limit"""
        over_limit = (self.abandon_rate() > self.abandon_limit
            and self.calls_abandoned > self._abandoned_at_check)
        self._abandoned_at_check = self.calls_abandoned
        if over_limit:
            level = self.dial_level / 2
        else:
            level = self.dial_level + (
                self.intensity * average_differential / max(agents, 1))
        self.dial_level = min(self.max_level, max(self.min_level, level))

    def calls_to_dial(self, now, ready_agents, busy_agents, calls_ringing,
            calls_waiting, wrapping_agents=()):
        # Agents in wrap-up are logged in and hold no line.
        busy, ringing = _count(busy_agents), _count(calls_ringing)
        wrapping = _count(wrapping_agents)
        if self._next_adjustment is None:
            self._next_adjustment = now + self.interval
        self._differential_sum += ready_agents - calls_waiting
        self._samples += 1
        if now >= self._next_adjustment:
            self.adjust(self._differential_sum / self._samples,
                ready_agents + busy + wrapping)
            self._differential_sum, self._samples = 0.0, 0
            self._next_adjustment = now + self.interval
        lines = int(self.dial_level * (ready_agents + busy + wrapping))
        return max(0, lines - busy - ringing - calls_waiting)


class _DecayedHistogram:
    "Counts of durations in 1 s bins, older observations fading"

    def __init__(self, size, prior, decay_every=200, decay=0.9):
        self.bins = [0.0] * size
        for second, weight in prior.items():
            self.bins[second] += weight
        self._added = 0
        self.observed = 0.0
        self._decay_every, self._decay = decay_every, decay

    def add(self, seconds):
        self.bins[min(int(seconds), len(self.bins) - 1)] += 1.0
        self._added += 1
        self.observed += 1
        if self._added % self._decay_every == 0:
            self.bins = [count * self._decay for count in self.bins]
            self.observed *= self._decay

    def survival(self):
        "survival[a] = share of durations longer than a seconds"
        total = sum(self.bins) or 1.0
        result, remaining = [], total
        for count in self.bins:
            remaining -= count
            result.append(remaining / total)
        return [share if share > 0 else 0.0 for share in result]

    def mean(self):
        total = sum(self.bins) or 1.0
        return sum((second + 0.5) * count
            for second, count in enumerate(self.bins)) / total


class Ours(Controller):
    "Predictive: dial while the next call's chance of finding no agent < theta"
    name = 'ours'
    max_ring_seconds = 120        # histogram size, beyond any dial timeout
    max_talk_seconds = 3600       # elapsed talk times tabulated
    ring_times_trusted = 50       # answer ring times before ages count fully
    margin_errors = 1.0           # standard errors of the day's rate spared
    _log_seconds = [0.0] + [math.log(t) for t in range(
        1, max_talk_seconds + max_ring_seconds + 10)]

    _state_fields = Controller._state_fields + (
        '_answered', '_unanswered', '_log_mean', '_log_var',
        '_handle_weight', 'log_theta', '_answer_wait', 'outcomes_seen')
    # Until this many calls have had an outcome, dial no more calls than
    # agents ready (1:1): the answer rate is a guess, and a new campaign
    # whose callees answer twice as often as guessed would drop the
    # first wave of answers.
    warm_up_outcomes = 30

    def __init__(self, abandon_limit=ABANDON_LIMIT, grace=CONNECT_GRACE,
            answer_prior=(2.0, 6.0), answer_memory=2000,
            handle_prior=(150.0, 0.8, 5), handle_memory=500,
            gain=0.04, catch_up_answers=400, max_lines_per_agent=6.0,
            refresh_seconds=5.0, wrapup=0.0):
        super().__init__(abandon_limit, wrapup)
        self.grace = grace
        # What a live answer already waited when it is known to be one
        # (answering machine detection), decayed mean: it is spent from
        # the grace, so agents must be free that much sooner.
        self._answer_wait = 0.0
        self.outcomes_seen = 0
        # Beta(answered, unanswered), decayed to an effective memory
        self._answered, self._unanswered = answer_prior
        self._answer_keep = 1 - 1 / answer_memory
        median, sigma, weight = handle_prior
        self._log_mean, self._log_var = math.log(median), sigma ** 2
        self._handle_weight, self._handle_memory = weight, handle_memory
        self._handles_to_learn = []     # heap of (talk start, handle time)
        self._answer_ring = _DecayedHistogram(
            self.max_ring_seconds, {s: 0.2 for s in range(5, 26)})
        self._unanswered_ring = _DecayedHistogram(
            self.max_ring_seconds, {30: 4.0})
        self.gain = gain
        self.catch_up_answers = catch_up_answers
        self.max_lines_per_agent = max_lines_per_agent
        self.refresh_seconds = refresh_seconds
        self.log_theta = math.log(abandon_limit)
        self._refreshed_at = None
        self._tables_for = None

    # --- estimates -------------------------------------------------------
    def answer_probability(self):
        return self._answered / (self._answered + self._unanswered)

    def _answer_probability_variance(self):
        a, b = self._answered, self._unanswered
        return a * b / ((a + b) ** 2 * (a + b + 1))

    def handle_time(self):
        "(mean, sigma of log) of the lognormal handle time"
        sigma = math.sqrt(self._log_var)
        return math.exp(self._log_mean + self._log_var / 2), sigma

    def observe_answered(self, now, ring_seconds, waited_seconds=0.0):
        super().observe_answered(now, ring_seconds, waited_seconds)
        self.outcomes_seen += 1
        self._answered = self._answered * self._answer_keep + 1
        self._unanswered *= self._answer_keep
        self._answer_ring.add(ring_seconds)
        self._answer_wait += 0.05 * (
            max(0.0, waited_seconds) - self._answer_wait)

    def observe_unanswered(self, now, ring_seconds):
        self.outcomes_seen += 1
        self._unanswered = self._unanswered * self._answer_keep + 1
        self._answered *= self._answer_keep
        self._unanswered_ring.add(ring_seconds)

    def observe_ended(self, now, handle_seconds):
        heapq.heappush(self._handles_to_learn, (now - handle_seconds,
            handle_seconds))
        self._learn_handles(now)

    def _learn_handles(self, now):
        """Learn from a call once nearly every call started with it has ended
        (99th percentile of the handle time later): the first calls to end
        are the short ones, and learning from them at once would make the
        controller expect agents back too soon"""
        settled = now - math.exp(self._log_mean + 2.33 * math.sqrt(
            self._log_var))
        waiting = self._handles_to_learn
        while waiting and waiting[0][0] <= settled:
            self._learn_handle(heapq.heappop(waiting)[1])

    def _learn_handle(self, handle_seconds):
        log_handle = math.log(max(handle_seconds, 1.0))
        self._handle_weight = min(self._handle_weight + 1, self._handle_memory)
        weight = 1 / self._handle_weight
        deviation = log_handle - self._log_mean
        self._log_mean += weight * deviation
        self._log_var = max(0.01,
            (1 - weight) * (self._log_var + weight * deviation ** 2))

    # --- abandon feedback ------------------------------------------------
    def set_point(self):
        """The abandon rate to aim at now: under the limit by a margin that
        shrinks as the day's answers accumulate, corrected by the day's
        surplus or debt of abandons"""
        limit, answers = self.abandon_limit, self.live_answers
        margin = self.margin_errors * math.sqrt(
            limit * (1 - limit) / (answers + 400))
        target = limit - margin
        debt = self.calls_abandoned - target * answers
        target -= debt / self.catch_up_answers
        return min(limit, max(limit / 10, target))

    def theta(self):
        return math.exp(self.log_theta)

    def _learn_outcome(self, abandoned):
        error = self.set_point() - (1.0 if abandoned else 0.0)
        self.log_theta = min(math.log(0.5),
            max(math.log(1e-4), self.log_theta + self.gain * error))

    def observe_connected(self, now, wait_seconds=0.0):
        self._learn_outcome(False)

    def observe_abandoned(self, now):
        super().observe_abandoned(now)
        self._learn_outcome(True)

    # --- prediction tables -----------------------------------------------
    def _refresh(self, now):
        "Rebuild the per-second tables, the handle-time one when it moved"
        if (self._refreshed_at is not None
                and now - self._refreshed_at < self.refresh_seconds):
            return
        self._refreshed_at = now
        self._learn_handles(now)
        answer_survival = self._answer_ring.survival()
        unanswered_survival = self._unanswered_ring.survival()
        p = self.answer_probability()
        # P(still to be answered | ringing for a seconds); until enough ring
        # times are seen, an unanswered call is not taken as a lost cause
        seen = self._answer_ring.observed
        trust = seen / (seen + self.ring_times_trusted)
        self._answer_by_age = [
            trust * (p * answered / (p * answered + (1 - p) * unanswered)
                if answered > 0 else 0.0) + (1 - trust) * p
            for answered, unanswered in zip(
                answer_survival, unanswered_survival)]
        self._answer_by_age_var = [
            chance * (1 - chance) for chance in self._answer_by_age]
        # P(a new call is answered more than d seconds after it is
        # dialled): an agent back from wrap-up in d seconds is in time for
        # that share of the new calls (the ring times spread: a call
        # answered quickly finds the agents back by then only)
        self._answer_ring_survival = answer_survival
        # The seconds until a new call needs an agent at the latest: its
        # ring (and machine detection) plus what is left of the grace.
        horizon = round(self._answer_ring.mean()
            + max(0.0, self.grace - self._answer_wait))
        self.horizon = horizon
        # A talking agent must end the call that much sooner: wrap-up.
        wrapup = max(0, round(self.wrapup))
        built = self._tables_for
        if (built and built[2] == horizon and built[3] == wrapup
                and abs(built[0] - self._log_mean) < 0.02
                and abs(built[1] - self._log_var) < 0.02):
            return
        self._tables_for = (self._log_mean, self._log_var, horizon, wrapup)
        shift = horizon - wrapup
        mean_handle, sigma = self.handle_time()
        if shift <= 0:
            # Whoever is still talking cannot be back in time.
            self._free_by_elapsed = [0.0] * (self.max_talk_seconds + 1)
            self._free_by_elapsed_var = list(self._free_by_elapsed)
            self._free_unknown = 0.0
            return
        scale = sigma * math.sqrt(2)
        log_seconds = self._log_seconds[1:self.max_talk_seconds + shift + 1]
        survival = [1.0] + [
            0.5 * math.erfc((log_t - self._log_mean) / scale)
            for log_t in log_seconds]
        # P(a talking agent is free within the horizon | talked e seconds):
        # the call ends within horizon - wrap-up
        self._free_by_elapsed = [
            1 - survival[e + shift] / survival[e] if survival[e] > 0 else 1.0
            for e in range(self.max_talk_seconds + 1)]
        self._free_by_elapsed_var = [
            chance * (1 - chance) for chance in self._free_by_elapsed]
        # an agent of unknown elapsed time: the stationary residual chance
        self._free_unknown = min(1.0, shift / mean_handle)

    @staticmethod
    def _sum_bernoulli(chances, variances, starts, now, unknown):
        "Mean and variance of a sum of Bernoulli chances read by age"
        if isinstance(starts, int):
            return starts * unknown, starts * unknown * (1 - unknown)
        last = len(chances) - 1
        ages = [int(now - start) for start in starts]
        ages = [age if age < last else last for age in ages]
        return (sum(map(chances.__getitem__, ages)),
            sum(map(variances.__getitem__, ages)))

    def calls_to_dial(self, now, ready_agents, busy_agents, calls_ringing,
            calls_waiting, wrapping_agents=()):
        self._refresh(now)
        busy, ringing = _count(busy_agents), _count(calls_ringing)
        freeing, freeing_var = self._sum_bernoulli(self._free_by_elapsed,
            self._free_by_elapsed_var, busy_agents, now, self._free_unknown)
        # Agents in wrap-up are back at a known time (Asterisk's LastCall
        # + wrapuptime): each is supply for the share of new calls answered
        # late enough to find it back.
        grace = max(0.0, self.grace - self._answer_wait)
        back = back_var = 0.0
        if isinstance(wrapping_agents, int):
            wrapping = wrapping_agents
            chance = min(1.0, self.horizon / self.wrapup) \
                if self.wrapup > 0 else 1.0
            back = wrapping * chance
            back_var = wrapping * chance * (1 - chance)
        else:
            survival = self._answer_ring_survival
            last = len(survival) - 1
            wrapping = 0
            for free_at in wrapping_agents:
                wrapping += 1
                delay = int(math.ceil(free_at - now - grace))
                chance = 1.0 if delay <= 0 else survival[min(delay, last)]
                back += chance
                back_var += chance * (1 - chance)
        p = self.answer_probability()
        pending, pending_var = self._sum_bernoulli(self._answer_by_age,
            self._answer_by_age_var, calls_ringing, now, p)
        supply = ready_agents + freeing + back
        demand = calls_waiting + pending
        base_var = freeing_var + pending_var + back_var
        p_var = self._answer_probability_variance()
        fresh_equivalent = pending / p if p > 0 else 0.0
        z_theta = _NORMAL.inv_cdf(self.theta())
        lines = int(self.max_lines_per_agent
            * (ready_agents + busy + wrapping))
        room = max(0, lines - busy - ringing - calls_waiting)
        if self.outcomes_seen < self.warm_up_outcomes:
            room = min(room, max(0, ready_agents - ringing - calls_waiting))
        new = 0
        while new < room:
            # the (new+1)-th call is abandoned if the other answers take
            # every agent: P(demand_new >= supply), continuity corrected
            mean = demand + new * p - supply + 0.5
            # p's own uncertainty moves every call's chance together
            variance = (base_var + new * p * (1 - p)
                + (fresh_equivalent + new) ** 2 * p_var)
            if variance > 0:
                if mean > z_theta * math.sqrt(variance):
                    break
            elif mean > 0:
                break
            new += 1
        return self._lines_per_agent(
            ready_agents, busy, ringing, calls_waiting, new, wrapping)

    def state(self):
        state = super().state()
        for name, histogram in [('answer_ring', self._answer_ring),
                ('unanswered_ring', self._unanswered_ring)]:
            state[name] = {'bins': histogram.bins,
                'observed': histogram.observed, 'added': histogram._added}
        return state

    def restore(self, state):
        if not super().restore(state):
            return False
        for name, histogram in [('answer_ring', self._answer_ring),
                ('unanswered_ring', self._unanswered_ring)]:
            saved = state.get(name)
            if not isinstance(saved, dict):
                continue
            bins = saved.get('bins')
            if (isinstance(bins, list) and len(bins) == len(histogram.bins)
                    and all(isinstance(b, (int, float)) and math.isfinite(b)
                        and b >= 0 for b in bins)):
                histogram.bins = [float(b) for b in bins]
                histogram.observed = float(saved.get('observed') or 0)
                histogram._added = int(saved.get('added') or 0)
        self._log_var = max(0.01, self._log_var)
        self._handle_weight = max(1, self._handle_weight)
        self._answered = max(1e-6, self._answered)
        self._unanswered = max(1e-6, self._unanswered)
        self.log_theta = min(math.log(0.5), max(math.log(1e-4),
                self.log_theta))
        self._refreshed_at = self._tables_for = None
        return True


CONTROLLERS = {cls.name: cls for cls in (Ours, Progressive, AdaptAverage)}
