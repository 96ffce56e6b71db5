# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Queue statistics (队列统计, seed §3.4.6): per period and key (queue,
answering agent, trunk, called number), from the inbound call records.

A call counts in the period it started. Definitions (the help texts):
calls in are the calls that entered a queue (or were sent to one agent);
waits, talk and ring times are those of the call record; an abandon
shorter than the configured threshold is not counted in the abandon rate.
"""
from sql import Literal, Null
from sql.aggregate import Max, Sum
from sql.conditionals import Case, Coalesce

from trytond.model import fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from .report import (
    in_period,
    CallReport, count_if, period_columns, period_table, ratio, seconds,
    sum_if, team_calls, thresholds, within_periods)


class QueueReport(CallReport):
    "Calls in, waits, answers, abandons and service level per period"
    __name__ = 'callcenter.report.queue'
    __string__ = "Queue Statistics"

    queue = fields.Many2One('callcenter.queue', "Queue")
    agent = fields.Many2One('callcenter.agent', "Agent",
        help="The agent who answered.")
    trunk = fields.Many2One('callcenter.trunk', "Trunk")
    did = fields.Many2One('callcenter.did', "Called Number",
        help="The number dialled: each is a TV programme's medium.")
    calls_in = fields.Integer("Calls In",
        help="呼入电话数: calls that entered the queue (or were sent to "
        "one agent).")
    average_wait = fields.Float("Average Wait (s)", digits=(16, 1),
        help="平均等待时长: average time from entering the queue to an "
        "agent's answer, of the answered calls.")
    longest_wait = fields.Float("Longest Wait (s)", digits=(16, 1),
        help="最长排队等待时间: the longest wait in the queue, answered and "
        "abandoned calls included.")
    answered = fields.Integer("Answered",
        help="通话数量: calls of the queue an agent picked up.")
    average_talk = fields.Float("Average Talk (s)", digits=(16, 1),
        help="平均通话时长: average talk time of the answered calls.")
    answer_speed = fields.Float("Speed of Answer (s)", digits=(16, 1),
        help="应答速度: average time the answering agent's phone rang "
        "before the pick-up.")
    abandoned = fields.Integer("Abandoned",
        help="总放弃电话数: calls the caller hung up while waiting.")
    abandoned_counted = fields.Integer("Abandoned (Counted)",
        help="统计放弃电话数: abandoned calls that waited at least the "
        "abandon threshold of the call center settings; shorter ones are "
        "not counted.")
    abandon_rate = fields.Float("Abandon Rate", digits=(16, 4),
        help="放弃率 = counted abandons / calls in.")
    average_abandon = fields.Float("Average Abandon Time (s)",
        digits=(16, 1),
        help="平均放弃时长 = the waits of all abandoned calls / abandoned "
        "calls.")
    rona = fields.Integer("RONA",
        help="Times the calls rang an agent who did not answer in time, so "
        "that they moved to another agent.")
    service_level = fields.Float("Service Level", digits=(16, 4),
        help="服务水平 as the requirement defines it: calls agents picked up "
        "/ calls in (the answer rate).")
    service_level_threshold = fields.Float("Answered in Threshold",
        digits=(16, 4),
        help="Calls answered within the service level threshold of the "
        "call center settings (seconds of wait) / calls in.")
    overflow = fields.Integer("Overflow",
        help="Calls that reached the maximum wait and left to the "
        "overflow (another queue or a prompt).")
    after_hours = fields.Integer("After Hours")
    blacklisted = fields.Integer("Blacklisted")
    voicemail = fields.Integer("Voicemail")

    _export_fields = ['period', 'queue', 'agent', 'trunk', 'did',
        'calls_in', 'average_wait', 'longest_wait', 'answered',
        'average_talk', 'answer_speed', 'abandoned', 'abandoned_counted',
        'abandon_rate', 'average_abandon', 'rona', 'service_level',
        'service_level_threshold', 'overflow', 'after_hours', 'blacklisted',
        'voicemail']

    @classmethod
    def _key(cls, call, did):
        "(name, column) of the context's key"
        key = Transaction().context.get('key') or 'queue'
        return {
            'queue': ('queue', call.queue),
            'agent': ('agent', call.agent),
            'trunk': ('trunk', did.trunk),
            'did': ('did', call.did),
            'none': (None, None),
            }[key]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Call = pool.get('callcenter.call')
        DID = pool.get('callcenter.did')
        call = Call.__table__()
        did = DID.__table__()
        periods = period_table()
        index, local, low, high = period_columns(periods)
        abandon_threshold, level_threshold = thresholds()
        name, key = cls._key(call, did)

        queued = call.enter_time != Null
        answered = queued & (call.disposition == 'answered')
        abandoned = queued & (call.disposition == 'abandoned')
        wait = seconds(call.wait_duration)
        calls_in = count_if(queued)
        counted = count_if(abandoned
            & (Coalesce(wait, 0) >= abandon_threshold))
        answered_count = count_if(answered)

        columns = [cls._row_id(index, key).as_('id'),
            local.as_('period_start')]
        for field in ['queue', 'agent', 'trunk', 'did']:
            columns.append((key if field == name else Literal(None)).as_(
                    field))
        columns += [
            cls._cast('calls_in', calls_in),
            cls._cast('average_wait',
                ratio(sum_if(answered, wait), answered_count)),
            cls._cast('longest_wait',
                Max(Case((answered | abandoned, wait), else_=Null))),
            cls._cast('answered', answered_count),
            cls._cast('average_talk', ratio(
                    sum_if(answered, seconds(call.talk_duration)),
                    answered_count)),
            cls._cast('answer_speed', ratio(
                    sum_if(answered, seconds(call.ring_duration)),
                    count_if(answered & (call.ring_duration != Null)))),
            cls._cast('abandoned', count_if(abandoned)),
            cls._cast('abandoned_counted', counted),
            cls._cast('abandon_rate', ratio(counted, calls_in)),
            cls._cast('average_abandon', ratio(
                    sum_if(abandoned, Coalesce(wait, 0)),
                    count_if(abandoned))),
            cls._cast('rona', Sum(Coalesce(call.rona_count, 0))),
            cls._cast('service_level', ratio(answered_count, calls_in)),
            cls._cast('service_level_threshold', ratio(
                    count_if(answered
                        & (Coalesce(wait, 0) <= level_threshold)),
                    calls_in)),
            cls._cast('overflow', count_if(call.disposition == 'overflow')),
            cls._cast('after_hours',
                count_if(call.disposition == 'after_hours')),
            cls._cast('blacklisted',
                count_if(call.disposition == 'blacklisted')),
            cls._cast('voicemail', count_if(call.disposition == 'voicemail')),
            ]
        from_item = periods.join(call, condition=in_period(call.start_time, local)).join(did, 'LEFT',
            condition=call.did == did.id)
        group_by = [index, local]
        if key is not None:
            group_by.append(key)
        return from_item.select(*columns,
            where=(call.direction == 'inbound')
            & within_periods(call.start_time) & team_calls(call),
            group_by=group_by)

    def get_rec_name(self, name):
        key = self.queue or self.agent or self.trunk or self.did
        return ' '.join(filter(None, [self.period,
                    key.rec_name if key else None]))
