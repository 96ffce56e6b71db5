# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"Orders, complaints, leads, tasks and consultations name customers a \
client may read (tv_callcenter party.CustomerLinkMixin)"
from trytond.modules.tv_callcenter.party import CustomerLinkMixin
from trytond.pool import PoolMeta


class Sale(CustomerLinkMixin, metaclass=PoolMeta):
    __name__ = 'sale.sale'
    _customer_fields = ('party', 'invoice_party', 'shipment_party')


class Complaint(CustomerLinkMixin, metaclass=PoolMeta):
    __name__ = 'sale.complaint'
    _customer_fields = ('customer',)


class Lead(CustomerLinkMixin, metaclass=PoolMeta):
    __name__ = 'tv.lead'


class Task(CustomerLinkMixin, metaclass=PoolMeta):
    __name__ = 'tv.task'


class Consultation(CustomerLinkMixin, metaclass=PoolMeta):
    __name__ = 'tv.consultation'
