# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Order merge (订单合并): one parcel for a customer who ordered twice."""
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import OrderError

# Orders still before approval: approved orders are with logistics.
MERGEABLE = ['draft', 'submitted', 'first_reviewed']
_STAGE = {state: index for index, state in enumerate(MERGEABLE)}


def check_mergeable(sales):
    "Refuse, with the reason, anything but unshipped orders of one customer"
    if len(sales) < 2:
        raise OrderError(gettext('tv_orders.msg_merge_two'))
    for sale in sales:
        if sale.state not in MERGEABLE:
            raise OrderError(gettext('tv_orders.msg_merge_state',
                    order=sale.rec_name))
    parties = {sale.party for sale in sales}
    if len(parties) > 1:
        raise OrderError(gettext('tv_orders.msg_merge_customers',
                customers=', '.join(p.rec_name for p in parties)))
    addresses = {sale.shipment_address for sale in sales}
    if len(addresses) > 1:
        raise OrderError(gettext('tv_orders.msg_merge_addresses'))
    currencies = {sale.currency for sale in sales}
    methods = {sale.payment_method for sale in sales}
    if len(currencies) > 1 or len(methods) > 1:
        raise OrderError(gettext('tv_orders.msg_merge_payment'))


def merge(sales):
    """Move every line into the oldest order; the others are cancelled,
    pointing at it. The merged order keeps the medium, the calls' history
    and stands at the least advanced review stage of the orders merged."""
    pool = Pool()
    Sale = pool.get('sale.sale')
    Line = pool.get('sale.line')
    sales = sorted(sales, key=lambda s: s.id)
    check_mergeable(sales)
    target, others = sales[0], sales[1:]
    states = {sale.id: sale.state for sale in sales}
    with Transaction().set_context(tv_order_action=True):
        return _merge(Sale, Line, target, others, sales, states)


def _merge(Sale, Line, target, others, sales, states):
    Line.write([l for sale in others for l in sale.lines],
        {'sale': target.id})
    values = {}
    if not target.media:
        media = [s.media for s in others if s.media]
        if media:
            values['media'] = media[0].id
    notes = [s.delivery_notes for s in sales if s.delivery_notes]
    if len(notes) > 1:
        values['delivery_notes'] = '\n'.join(dict.fromkeys(notes))
    stage = min(sales, key=lambda s: _STAGE[s.state]).state
    if stage != target.state:
        # Merged content is reviewed again from the least advanced stage.
        values['state'] = stage
        if _STAGE[stage] < _STAGE['first_reviewed']:
            values['second_reviewer'] = None
        if stage == 'draft':
            values['first_reviewer'] = None
    if values:
        Sale.write([target], values)
    numbers = ', '.join(s.number or str(s.id) for s in others)
    Sale.write(others, {'merged_into': target.id})
    Sale.cancel(others)
    reason = gettext('tv_orders.msg_merged_into',
        order=target.number or str(target.id))
    Sale.log_review(others, 'merge', reason=reason, from_state=states)
    Sale.log_review([target], 'merge', from_state=states,
        reason=gettext('tv_orders.msg_merged_from', orders=numbers))
    return target


class MergeStart(ModelView):
    __name__ = 'sale.merge.start'
    __string__ = "Merge Orders"

    sales = fields.Many2Many('sale.sale', None, None, "Orders",
        readonly=True)


class Merge(Wizard):
    "Merge orders of one customer to one address into one"
    __name__ = 'sale.merge'
    start = StateView('sale.merge.start',
        'tv_orders.merge_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Merge", 'merge', 'tryton-ok', default=True),
            ])
    merge = StateTransition()

    def default_start(self, fields):
        check_mergeable(list(self.records))
        return {'sales': [s.id for s in self.records]}

    def transition_merge(self):
        merge(list(self.records))
        return 'end'

    def end(self):
        return 'reload'
