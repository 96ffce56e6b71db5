# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Tracking query (物流查询): where is a customer's parcel?

An agent answering "where is my order?" must find any customer's parcel,
not only the orders they entered (record rules keep those to the agent), so
the query reads a narrow view of the orders: number, customer, courier,
tracking number, status and its history, nothing else. Search by order
number, tracking number or phone number in any form.
"""
from sql import Null

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from tvcc import phone


class Parcel(ModelSQL, ModelView):
    "The parcel of an order, as the tracking query shows it"
    __name__ = 'tv.parcel'
    __string__ = "Parcel"
    _rec_name = 'number'

    number = fields.Char("Order Number")
    sale_date = fields.Date("Order Date")
    party = fields.Many2One('party.party', "Customer", required=True)
    phone = fields.Function(fields.Char("Phone"), 'get_phone',
        searcher='search_phone')
    carrier = fields.Many2One('carrier', "Courier")
    tracking_number = fields.Char("Tracking Number")
    delivery_status = fields.Selection('get_delivery_statuses', "Delivery")
    delivery_status_date = fields.Date("Status Date")
    shipped_date = fields.Date("Shipped On")
    delivered_date = fields.Date("Signed On")
    trackings = fields.Function(fields.Many2Many('sale.tracking', None,
            None, "Tracking"), 'get_trackings')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('sale_date', 'DESC'), ('id', 'DESC')]
        # A parcel is its customer's data: an agent finds the parcels of the
        # customers they serve (the customers' record rules apply).
        cls.__access__.add('party')

    @classmethod
    def table_query(cls):
        Sale = Pool().get('sale.sale')
        sale = Sale.__table__()
        return sale.select(
            sale.id, sale.create_uid, sale.create_date, sale.write_uid,
            sale.write_date, sale.number, sale.sale_date, sale.party,
            sale.carrier, sale.tracking_number, sale.delivery_status,
            sale.delivery_status_date, sale.shipped_date,
            sale.delivered_date,
            where=sale.state.in_(['confirmed', 'processing', 'done'])
            & (sale.number != Null))

    @classmethod
    def get_delivery_statuses(cls):
        Sale = Pool().get('sale.sale')
        return Sale.fields_get(['delivery_status'])['delivery_status'][
            'selection']

    @classmethod
    def get_phone(cls, parcels, name):
        Sale = Pool().get('sale.sale')
        return {s.id: s.shipment_phone for s in Sale.browse(parcels)}

    @classmethod
    def search_phone(cls, name, clause):
        _, operator, value, *_ = clause
        number = phone.normalize_or_none(value) if isinstance(value, str) \
            else None
        if number and operator in {'=', 'ilike', 'like'}:
            return [('party.contact_mechanisms.value_compact', '=', number)]
        return [('party.contact_mechanisms.value', operator, value)]

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            return [('number', operator, value, *extra)]
        return ['OR',
            ('number', operator, value, *extra),
            ('tracking_number', operator, value, *extra),
            ('phone', operator, value, *extra),
            ]

    @classmethod
    def get_trackings(cls, parcels, name):
        Tracking = Pool().get('sale.tracking')
        result = {p.id: [] for p in parcels}
        for tracking in Tracking.search([
                    ('sale', 'in', [p.id for p in parcels])]):
            result[tracking.sale.id].append(tracking.id)
        return result

