# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Agent statistics (座席统计, seed §3.4.6): per period and agent, from the
agent state log, the calls they answered, their holds and RONAs.

Times come from the state log, each state counted for the part of it
inside the period (a state crossing midnight or an hour is split at the
boundary; a state still open counts until now). Counts are of what began
in the period: a pause, an after-call work, a call (by its start), a hold,
a RONA. AUX time in the idle formula is pauses and after-call work (the
seed counts after-call work as a pause state); the AUX count leaves
after-call work out, as the seed says.
"""
import datetime as dt

from sql import Cast, Literal, Null, Union
from sql.aggregate import Max, Sum
from sql.conditionals import Coalesce

from trytond.model import Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .report import (
    in_period,
    KEY_SPAN, CallReport, count_if, greatest, least, period_columns,
    period_table, ratio, report_periods, seconds, seconds_between, sum_if,
    team_agent_condition, utc_now, within_periods)

# States longer than this before the range are not looked for (an agent
# left logged in for more than a week is counted from a week before).
LOOKBACK = dt.timedelta(days=7)


class StateLog(metaclass=PoolMeta):
    "The index the agent statistics read the state log by"
    __name__ = 'callcenter.agent.state_log'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.start, Index.Range())))


class CallHold(metaclass=PoolMeta):
    __name__ = 'callcenter.call.hold'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.start, Index.Range())))


class CallRONA(metaclass=PoolMeta):
    __name__ = 'callcenter.call.rona'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.time, Index.Range())))


def longest_state(low, high):
    """The longest state (seconds) not logged out that began between
    LOOKBACK before low and high: states older than that are not joined"""
    StateLog = Pool().get('callcenter.agent.state_log')
    log = StateLog.__table__()
    cursor = Transaction().connection.cursor()
    now = utc_now()
    cursor.execute(*log.select(Max(Coalesce(seconds(log.duration),
                    seconds_between(Literal(now), log.start))),
            where=(log.start >= low - LOOKBACK) & (log.start < high)
            & (log.state != 'logged_out')))
    longest, = cursor.fetchone()
    return dt.timedelta(seconds=float(longest or 0) + 1)


class _StateFacts:
    "The facts of the agent reports: one grouped query per source"
    __slots__ = ()

    @classmethod
    def _state_source(cls):
        """(from item, periods columns, log, call, overlap seconds, began
        in the period) of the states overlapping each period"""
        pool = Pool()
        StateLog = pool.get('callcenter.agent.state_log')
        Call = pool.get('callcenter.call')
        periods = period_table()
        index, local, low, high = period_columns(periods)
        log = StateLog.__table__()
        call = Call.__table__()
        rows = report_periods()
        longest = longest_state(rows[0][2], rows[-1][3])
        now = utc_now()
        end = Coalesce(log.end, Literal(now))
        from_item = periods.join(log, condition=(log.start < high)
            & (end > low) & (log.start >= low - longest)
            & (log.start >= rows[0][2] - longest)).join(call, 'LEFT',
            condition=log.call == call.id)
        overlap = seconds_between(least(end, high), greatest(log.start, low))
        began = log.start >= low
        where = (log.state != 'logged_out') & team_agent_condition(log.agent)
        return from_item, (index, local), log, call, overlap, began, where


class AgentReport(_StateFacts, CallReport):
    "Login, idle, talk, hold, after-call work, AUX and RONA per agent"
    __name__ = 'callcenter.report.agent'
    __string__ = "Agent Statistics"

    agent = fields.Many2One('callcenter.agent', "Agent")
    login_time = fields.Float("Logged In (s)", digits=(16, 0),
        help="登录时长: time logged in (every state but logged out).")
    idle_time = fields.Float("Idle (s)", digits=(16, 0),
        help="空闲时间 = logged in − inbound talk − outbound talk − AUX time "
        "(pauses and after-call work): time ready or ringing.")
    inbound_calls = fields.Integer("Inbound Calls",
        help="Inbound calls the agent answered (by the call's start).")
    inbound_time = fields.Float("Inbound Talk (s)", digits=(16, 0),
        help="呼入时间: time in call on inbound calls.")
    outbound_calls = fields.Integer("Outbound Calls",
        help="Outbound calls the agent talked on (by the call's start).")
    outbound_time = fields.Float("Outbound Talk (s)", digits=(16, 0),
        help="呼出时间: time in call on outbound calls.")
    hold_count = fields.Integer("Holds",
        help="保持次数: times the agent put a caller on hold.")
    average_hold = fields.Float("Average Hold (s)", digits=(16, 1),
        help="平均保持时长 = hold time / holds.")
    wrapup_count = fields.Integer("After-Call Work",
        help="话后: times the agent entered after-call work.")
    wrapup_time = fields.Float("After-Call Work (s)", digits=(16, 0),
        help="Time in after-call work.")
    average_wrapup = fields.Float("Average After-Call Work (s)",
        digits=(16, 1),
        help="平均后处理时间 = after-call work time / after-call works "
        "(of those begun in the period, whole).")
    aux_count = fields.Integer("AUX",
        help="AUX次数: pauses (after-call work not counted).")
    aux_time = fields.Float("AUX Time (s)", digits=(16, 0),
        help="Time paused, whatever the reason (see AUX by reason).")
    rona = fields.Integer("RONA",
        help="Calls that rang the agent without an answer and moved on.")
    occupancy = fields.Float("Occupancy", digits=(16, 4),
        help="(talk + after-call work) / (logged in − pauses).")

    _export_fields = ['period', 'agent', 'login_time', 'idle_time',
        'inbound_calls', 'inbound_time', 'outbound_calls', 'outbound_time',
        'hold_count', 'average_hold', 'wrapup_count', 'wrapup_time',
        'average_wrapup', 'aux_count', 'aux_time', 'rona', 'occupancy']
    _measures = ['login_time', 'inbound_time', 'outbound_time', 'aux_time',
        'wrapup_time', 'wrapup_count', 'wrapup_whole', 'aux_count',
        'inbound_calls', 'outbound_calls', 'hold_count', 'hold_time',
        'rona']

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(1, ('agent', 'ASC'))

    @classmethod
    def _fact(cls, from_item, keys, agent, where, **measures):
        columns = [k.as_(n) for n, k in zip(['index', 'local'], keys)]
        columns.append(agent.as_('agent'))
        columns += [measures.get(name, Literal(0)).as_(name)
            for name in cls._measures]
        return from_item.select(*columns, where=where,
            group_by=list(keys) + [agent])

    @classmethod
    def _facts(cls):
        pool = Pool()
        Call = pool.get('callcenter.call')
        Hold = pool.get('callcenter.call.hold')
        Rona = pool.get('callcenter.call.rona')
        facts = []

        from_item, keys, log, call, overlap, began, where = \
            cls._state_source()
        in_call = log.state == 'in_call'
        outbound = call.direction == 'outbound'
        wrapup = log.state == 'wrapup'
        paused = log.state == 'paused'
        facts.append(cls._fact(from_item, keys, log.agent, where,
                login_time=Sum(overlap),
                inbound_time=sum_if(in_call & (
                        Coalesce(call.direction, 'inbound') == 'inbound'),
                    overlap),
                outbound_time=sum_if(in_call & outbound, overlap),
                aux_time=sum_if(paused, overlap),
                wrapup_time=sum_if(wrapup, overlap),
                wrapup_count=count_if(wrapup & began),
                wrapup_whole=sum_if(wrapup & began, Coalesce(
                        seconds(log.duration),
                        seconds_between(Literal(utc_now()), log.start))),
                aux_count=count_if(paused & began)))

        periods = period_table()
        index, local, low, high = period_columns(periods)
        call = Call.__table__()
        facts.append(cls._fact(
                periods.join(call,
                    condition=in_period(call.start_time, local)),
                (index, local), call.agent,
                (call.agent != Null) & (call.connect_time != Null)
                & within_periods(call.start_time)
                & team_agent_condition(call.agent),
                inbound_calls=count_if(call.direction == 'inbound'),
                outbound_calls=count_if(call.direction == 'outbound')))

        periods = period_table()
        index, local, low, high = period_columns(periods)
        call = Call.__table__()
        hold = Hold.__table__()
        facts.append(cls._fact(
                periods.join(hold,
                    condition=in_period(hold.start, local)).join(call,
                    condition=hold.call == call.id),
                (index, local), call.agent,
                (call.agent != Null) & within_periods(hold.start)
                & team_agent_condition(call.agent),
                hold_count=count_if(Literal(True)),
                hold_time=Sum(seconds_between(
                        Coalesce(hold.end, call.end_time, hold.start),
                        hold.start))))

        periods = period_table()
        index, local, low, high = period_columns(periods)
        rona = Rona.__table__()
        facts.append(cls._fact(
                periods.join(rona,
                    condition=in_period(rona.time, local)),
                (index, local), rona.agent,
                within_periods(rona.time) & team_agent_condition(rona.agent),
                rona=count_if(Literal(True))))
        return facts

    @classmethod
    def table_query(cls):
        facts = Union(*cls._facts(), all_=True)

        def total(name):
            return Coalesce(Sum(getattr(facts, name)), 0)
        login = total('login_time')
        talk = total('inbound_time') + total('outbound_time')
        wrapup = total('wrapup_time')
        pauses = total('aux_time')
        return facts.select(
            cls._row_id(facts.index, facts.agent).as_('id'),
            facts.local.as_('period_start'),
            facts.agent.as_('agent'),
            cls._cast('login_time', login),
            cls._cast('idle_time', login - talk - pauses - wrapup),
            cls._cast('inbound_calls', total('inbound_calls')),
            cls._cast('inbound_time', total('inbound_time')),
            cls._cast('outbound_calls', total('outbound_calls')),
            cls._cast('outbound_time', total('outbound_time')),
            cls._cast('hold_count', total('hold_count')),
            cls._cast('average_hold',
                ratio(total('hold_time'), total('hold_count'))),
            cls._cast('wrapup_count', total('wrapup_count')),
            cls._cast('wrapup_time', wrapup),
            cls._cast('average_wrapup',
                ratio(total('wrapup_whole'), total('wrapup_count'))),
            cls._cast('aux_count', total('aux_count')),
            cls._cast('aux_time', pauses),
            cls._cast('rona', total('rona')),
            cls._cast('occupancy', ratio(talk + wrapup, login - pauses)),
            where=facts.agent != Null,
            group_by=[facts.index, facts.local, facts.agent])

    def get_rec_name(self, name):
        return ' '.join(filter(None, [self.period,
                    self.agent.rec_name if self.agent else None]))


class AgentAUXReport(_StateFacts, CallReport):
    "Pauses per agent and reason (AUX by reason)"
    __name__ = 'callcenter.report.agent_aux'
    __string__ = "AUX by Reason"

    agent = fields.Many2One('callcenter.agent', "Agent")
    reason = fields.Many2One('callcenter.pause_reason', "Pause Reason")
    aux_count = fields.Integer("AUX",
        help="Pauses with this reason begun in the period.")
    aux_time = fields.Float("AUX Time (s)", digits=(16, 0),
        help="Time paused with this reason in the period.")

    _export_fields = ['period', 'agent', 'reason', 'aux_count', 'aux_time']

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(1, ('agent', 'ASC'))

    @classmethod
    def table_query(cls):
        from_item, (index, local), log, _, overlap, began, where = \
            cls._state_source()
        # One id per (period, agent, reason): the first of its periods.
        return from_item.select(
            (Cast(index, 'BIGINT') * KEY_SPAN + Max(log.id)).as_('id'),
            local.as_('period_start'),
            log.agent.as_('agent'),
            log.reason.as_('reason'),
            cls._cast('aux_count', count_if(began)),
            cls._cast('aux_time', Sum(overlap)),
            where=where & (log.state == 'paused'),
            group_by=[index, local, log.agent, log.reason])

    def get_rec_name(self, name):
        return ' '.join(filter(None, [self.period,
                    self.agent.rec_name if self.agent else None,
                    self.reason.rec_name if self.reason else None]))
