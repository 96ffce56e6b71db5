"""Pacing of outbound campaigns: how many calls to originate now.

Pure Python, no I/O and no clock of its own: the dialer engine and
bench/dialer_sim.py drive the same classes. One controller per campaign; the
caller feeds it events and asks it, about once a second, how many calls to
dial.

The interface (all times in seconds, `now` on one monotonic clock):

    controller = Ours()                      # or Progressive(), AdaptAverage()
    controller.observe_originated(now)
    controller.observe_answered(now, ring_seconds)      # a live person
    controller.observe_unanswered(now, ring_seconds)    # no answer, busy,
                                      # failed, answering machine (AMD)
    controller.observe_connected(now, wait_seconds)     # answered call given
                                                        # to an agent
    controller.observe_abandoned(now)   # answered, no agent within the grace
                                        # (2 s): compliance message played
    controller.observe_ended(now, handle_seconds)       # agent free again
    n = controller.calls_to_dial(now, ready_agents, busy_agents,
                                 calls_ringing, calls_waiting)
    controller.dial_level        # lines in use per logged-in agent (monitor)
    controller.abandon_rate()    # abandoned / live answers since start_day()
    controller.start_day()       # at the campaign's midnight: new daily count

Every live answer is followed by exactly one observe_connected or
observe_abandoned. `ready_agents` and `calls_waiting` are counts;
`busy_agents` holds the talk start times of the agents on a call (talk and
wrap-up) and `calls_ringing` the origination times of the calls not yet
answered or ended, each a list or any sized iterable (dict.values()). Either
may also be a plain count, at the cost of the predictions that use ages. The
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
  grace) it predicts the agents free: the ready ones plus each busy agent's
  chance of finishing by then given how long it has talked already. The
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

    def __init__(self, abandon_limit=ABANDON_LIMIT):
        self.abandon_limit = abandon_limit
        self.dial_level = 1.0
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

    def observe_answered(self, now, ring_seconds):
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
            calls_waiting):
        raise NotImplementedError

    def _lines_per_agent(self, ready_agents, busy, ringing, calls_waiting,
            new):
        "Record the dial level the decision leads to; return the decision"
        agents = ready_agents + busy
        if agents:
            self.dial_level = (busy + ringing + calls_waiting + new) / agents
        return new


def _count(items):
    return items if isinstance(items, int) else len(items)


class Progressive(Controller):
    "1:1: a call for each ready agent not already covered"
    name = 'progressive'

    def calls_to_dial(self, now, ready_agents, busy_agents, calls_ringing,
            calls_waiting):
        busy, ringing = _count(busy_agents), _count(calls_ringing)
        new = max(0, ready_agents - ringing - calls_waiting)
        return self._lines_per_agent(
            ready_agents, busy, ringing, calls_waiting, new)


class AdaptAverage(Controller):
    "VICIdial-style ADAPT_AVERAGE: a dial level steered by idle agents"
    name = 'ADAPT_AVERAGE'
    min_level, max_level = 1.0, 3.0

    def __init__(self, abandon_limit=ABANDON_LIMIT, interval=15.0,
            intensity=0.05, start_level=1.0):
        super().__init__(abandon_limit)
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
            calls_waiting):
        busy, ringing = _count(busy_agents), _count(calls_ringing)
        if self._next_adjustment is None:
            self._next_adjustment = now + self.interval
        self._differential_sum += ready_agents - calls_waiting
        self._samples += 1
        if now >= self._next_adjustment:
            self.adjust(self._differential_sum / self._samples,
                ready_agents + busy)
            self._differential_sum, self._samples = 0.0, 0
            self._next_adjustment = now + self.interval
        lines = int(self.dial_level * (ready_agents + busy))
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

    def __init__(self, abandon_limit=ABANDON_LIMIT, grace=CONNECT_GRACE,
            answer_prior=(5.0, 15.0), answer_memory=2000,
            handle_prior=(150.0, 0.8, 5), handle_memory=500,
            gain=0.04, catch_up_answers=400, max_lines_per_agent=6.0,
            refresh_seconds=5.0):
        super().__init__(abandon_limit)
        self.grace = grace
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

    def observe_answered(self, now, ring_seconds):
        super().observe_answered(now, ring_seconds)
        self._answered = self._answered * self._answer_keep + 1
        self._unanswered *= self._answer_keep
        self._answer_ring.add(ring_seconds)

    def observe_unanswered(self, now, ring_seconds):
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
        horizon = round(self._answer_ring.mean() + self.grace)
        built = self._tables_for
        if (built and built[2] == horizon
                and abs(built[0] - self._log_mean) < 0.02
                and abs(built[1] - self._log_var) < 0.02):
            return
        self._tables_for = (self._log_mean, self._log_var, horizon)
        self.horizon = horizon
        mean_handle, sigma = self.handle_time()
        scale = sigma * math.sqrt(2)
        log_seconds = self._log_seconds[1:self.max_talk_seconds + horizon + 1]
        survival = [1.0] + [
            0.5 * math.erfc((log_t - self._log_mean) / scale)
            for log_t in log_seconds]
        # P(a busy agent is free within the horizon | talked e seconds)
        self._free_by_elapsed = [
            1 - survival[e + horizon] / survival[e] if survival[e] > 0 else 1.0
            for e in range(self.max_talk_seconds + 1)]
        self._free_by_elapsed_var = [
            chance * (1 - chance) for chance in self._free_by_elapsed]
        # an agent of unknown elapsed time: the stationary residual chance
        self._free_unknown = min(1.0, horizon / mean_handle)

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
            calls_waiting):
        self._refresh(now)
        busy, ringing = _count(busy_agents), _count(calls_ringing)
        freeing, freeing_var = self._sum_bernoulli(self._free_by_elapsed,
            self._free_by_elapsed_var, busy_agents, now, self._free_unknown)
        p = self.answer_probability()
        pending, pending_var = self._sum_bernoulli(self._answer_by_age,
            self._answer_by_age_var, calls_ringing, now, p)
        supply = ready_agents + freeing
        demand = calls_waiting + pending
        base_var = freeing_var + pending_var
        p_var = self._answer_probability_variance()
        fresh_equivalent = pending / p if p > 0 else 0.0
        z_theta = _NORMAL.inv_cdf(self.theta())
        lines = int(self.max_lines_per_agent * (ready_agents + busy))
        room = max(0, lines - busy - ringing - calls_waiting)
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
            ready_agents, busy, ringing, calls_waiting, new)


CONTROLLERS = {cls.name: cls for cls in (Ours, Progressive, AdaptAverage)}
