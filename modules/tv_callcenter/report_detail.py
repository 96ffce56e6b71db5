# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The detail lists of the call statistics (seed §3.4.6): 通话明细, every
call of the range, and 座席操作明细, every agent action (the state log:
log in and out, ready, ringing, in call, after-call work, pauses with their
reason; and each RONA), searchable and exported to Excel as shown."""
from sql import Cast, Literal, Null, Union
from sql.conditionals import Coalesce

from trytond.model import fields
from trytond.pool import Pool

from .agent import STATES
from .call import DISPOSITIONS
from .report import (
    CallReport, range_bounds, seconds, seconds_between, team_agent_condition,
    team_calls, utc_now)


class _Detail(CallReport):
    "A list of records of the range (no periods)"

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start', 'DESC'), ('id', 'DESC')]

    def get_period(self, name):
        return ''


class CallDetail(_Detail):
    "Every call of the range with its times, durations and outcome"
    __name__ = 'callcenter.report.call'
    __string__ = "Call Details"

    call = fields.Many2One('callcenter.call', "Call",
        help="Opens the call record (its IVR path, holds, RONA and the "
        "recording).")
    direction = fields.Selection([
            ('inbound', "Inbound"),
            ('outbound', "Outbound"),
            ], "Direction")
    start = fields.DateTime("Start")
    end = fields.DateTime("End")
    caller = fields.Char("Caller", help="主叫: the caller's number.")
    called_number = fields.Char("Called",
        help="被叫: the number dialled.")
    did = fields.Many2One('callcenter.did', "Called Number")
    queue = fields.Many2One('callcenter.queue', "Queue")
    agent = fields.Many2One('callcenter.agent', "Agent")
    disposition = fields.Selection(DISPOSITIONS, "Disposition")
    wait = fields.Float("Wait (s)", digits=(16, 0))
    ring = fields.Float("Ring (s)", digits=(16, 0))
    talk = fields.Float("Talk (s)", digits=(16, 0))
    duration = fields.Float("Duration (s)", digits=(16, 0),
        help="From the start of the call to its end.")
    hold_count = fields.Integer("Holds")
    rona_count = fields.Integer("RONA")
    recorded = fields.Boolean("Recorded",
        help="The recording is on the call record.")

    _export_fields = ['start', 'end', 'direction', 'caller',
        'called_number', 'did', 'queue', 'agent', 'disposition', 'wait',
        'ring', 'talk', 'duration', 'hold_count', 'rona_count', 'recorded']

    @classmethod
    def table_query(cls):
        Call = Pool().get('callcenter.call')
        call = Call.__table__()
        low, high = range_bounds()
        return call.select(
            call.id.as_('id'),
            Literal(None).as_('period_start'),
            call.id.as_('call'),
            call.direction.as_('direction'),
            call.start_time.as_('start'),
            call.end_time.as_('end'),
            call.caller.as_('caller'),
            call.called_number.as_('called_number'),
            call.did.as_('did'),
            call.queue.as_('queue'),
            call.agent.as_('agent'),
            call.disposition.as_('disposition'),
            cls._cast('wait', seconds(call.wait_duration)),
            cls._cast('ring', seconds(call.ring_duration)),
            cls._cast('talk', seconds(call.talk_duration)),
            cls._cast('duration',
                seconds_between(call.end_time, call.start_time)),
            call.hold_count.as_('hold_count'),
            call.rona_count.as_('rona_count'),
            Coalesce(call.record, False).as_('recorded'),
            where=(call.start_time >= low) & (call.start_time < high)
            & team_calls(call))

    def get_rec_name(self, name):
        return self.call.rec_name if self.call else ''


class AgentAction(_Detail):
    "Every agent action of the range with its times"
    __name__ = 'callcenter.report.agent_action'
    __string__ = "Agent Actions"

    agent = fields.Many2One('callcenter.agent', "Agent")
    action = fields.Selection(STATES + [('rona', "RONA")], "Action",
        help="The state the agent entered (log in: ready; log out: logged "
        "out), or a RONA: a call rang the agent without answer.")
    reason = fields.Many2One('callcenter.pause_reason', "Pause Reason")
    start = fields.DateTime("Start")
    end = fields.DateTime("End")
    duration = fields.Float("Duration (s)", digits=(16, 0),
        help="Until the next action (an open state: until now; a RONA: "
        "how long the phone rang).")
    call = fields.Many2One('callcenter.call', "Call")

    _export_fields = ['start', 'end', 'agent', 'action', 'reason',
        'duration', 'call']

    @classmethod
    def table_query(cls):
        pool = Pool()
        StateLog = pool.get('callcenter.agent.state_log')
        Rona = pool.get('callcenter.call.rona')
        log = StateLog.__table__()
        rona = Rona.__table__()
        low, high = range_bounds()
        now = utc_now()
        states = log.select(
            (log.id * 2).as_('id'),
            Literal(None).as_('period_start'),
            log.agent.as_('agent'),
            log.state.as_('action'),
            log.reason.as_('reason'),
            log.start.as_('start'),
            log.end.as_('end'),
            cls._cast('duration', seconds_between(
                    Coalesce(log.end, Literal(now)), log.start)),
            log.call.as_('call'),
            where=(log.start >= low) & (log.start < high)
            & team_agent_condition(log.agent))
        ronas = rona.select(
            (rona.id * 2 + 1).as_('id'),
            Literal(None).as_('period_start'),
            rona.agent.as_('agent'),
            Literal('rona').as_('action'),
            Cast(Null, 'INTEGER').as_('reason'),
            rona.time.as_('start'),
            Literal(None).as_('end'),
            cls._cast('duration', seconds(rona.ring_duration)),
            rona.call.as_('call'),
            where=(rona.time >= low) & (rona.time < high)
            & team_agent_condition(rona.agent))
        return Union(states, ronas, all_=True)

    def get_rec_name(self, name):
        return ' '.join(filter(None, [
                    self.agent.rec_name if self.agent else None,
                    self.action]))

