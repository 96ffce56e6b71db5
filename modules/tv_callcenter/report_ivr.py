# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""IVR statistics (IVR节点统计, seed §3.4.6): per period, flow and node, the
callers who entered the node and how they left it.

From the IVR path of each call (callcenter.call.ivr_step): a step's exit
is the key pressed there (menus; none on a timeout) and the step that
followed it (the next node); a last step's exit is how the call ended
(its disposition: answered, abandoned, voicemail...). A caller is counted
once per node and exit, whatever the retries.
"""
from sql import Cast, Null
from sql.aggregate import Count, Min
from sql.conditionals import Case

from trytond.model import Index, fields
from trytond.pool import Pool, PoolMeta

from .call import DISPOSITIONS
from .report import (
    in_period,
    KEY_SPAN, CallReport, period_columns, period_table, team_calls,
    within_periods)


class CallIVRStep(metaclass=PoolMeta):
    "The indexes the IVR statistics read the steps by"
    __name__ = 'callcenter.call.ivr_step'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.entered_at, Index.Range())),
                Index(t, (t.call, Index.Equality()),
                    (t.sequence, Index.Equality())),
                })


class IVRReport(CallReport):
    "Callers entering each IVR node and leaving it by each option"
    __name__ = 'callcenter.report.ivr'
    __string__ = "IVR Statistics"

    flow = fields.Many2One('callcenter.ivr.flow', "Flow")
    node = fields.Many2One('callcenter.ivr.node', "Node")
    key = fields.Char("Key Pressed",
        help="The key the caller pressed at a menu (empty: none, a timeout "
        "or a node without keys).")
    next_node = fields.Many2One('callcenter.ivr.node', "Next Node",
        help="Where the caller went from this node.")
    outcome = fields.Selection(DISPOSITIONS, "Call Ended",
        help="For the callers who left the IVR here: how their call ended.")
    entered = fields.Integer("Callers at the Node",
        help="Callers who entered the node in the period (all its exits).")
    callers = fields.Integer("Callers by This Exit",
        help="Callers who left the node by this key and next node.")

    _export_fields = ['period', 'flow', 'node', 'key', 'next_node',
        'outcome', 'entered', 'callers']

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('period_start', 'ASC'), ('flow', 'ASC'),
            ('node', 'ASC'), ('callers', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Step = pool.get('callcenter.call.ivr_step')
        Node = pool.get('callcenter.ivr.node')
        Call = pool.get('callcenter.call')

        def steps():
            periods = period_table()
            index, local, low, high = period_columns(periods)
            step = Step.__table__()
            following = Step.__table__()
            node = Node.__table__()
            call = Call.__table__()
            from_item = (periods
                .join(step, condition=in_period(step.entered_at, local))
                .join(call, condition=step.call == call.id)
                .join(node, 'LEFT', condition=step.node == node.id)
                .join(following, 'LEFT',
                    condition=(following.call == step.call)
                    & (following.sequence == step.sequence + 1)))
            where = ((step.node != Null) & within_periods(step.entered_at)
                & team_calls(call))
            return (from_item, where, index, local, step, following, node,
                call)

        from_item, where, index, local, step, following, node, call = steps()
        # How the call ended, for the callers who left the IVR here.
        outcome = Case((following.id == Null, call.disposition),
            else_=Null).as_('outcome')
        exits = from_item.select(
            index.as_('index'), local.as_('local'),
            node.flow.as_('flow'), step.node.as_('node'),
            step.key.as_('key'),
            following.node.as_('next_node'),
            Min(step.id).as_('first'),
            Count(step.call, distinct=True).as_('callers'),
            outcome,
            where=where,
            group_by=[index, local, node.flow, step.node, step.key,
                following.node, outcome])

        from_item, where, index, local, step, following, node, call = steps()
        entered = from_item.select(
            index.as_('index'), step.node.as_('node'),
            Count(step.call, distinct=True).as_('entered'),
            where=where, group_by=[index, step.node])

        return exits.join(entered, condition=(exits.index == entered.index)
            & (exits.node == entered.node)).select(
            (Cast(exits.index, 'BIGINT') * KEY_SPAN + exits.first).as_('id'),
            exits.local.as_('period_start'),
            exits.flow.as_('flow'),
            exits.node.as_('node'),
            exits.key.as_('key'),
            exits.next_node.as_('next_node'),
            exits.outcome.as_('outcome'),
            cls._cast('entered', entered.entered),
            cls._cast('callers', exits.callers))

    def get_rec_name(self, name):
        return ' '.join(filter(None, [self.period,
                    self.node.rec_name if self.node else None,
                    self.key]))
