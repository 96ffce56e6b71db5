# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The models of tv_orders whose actions reach the audit log (操作日志,
tv_callcenter/audit.py): the order's reviews, merges and refunds, leads,
tasks and consultations, and the configuration of media and sales."""
from trytond.pool import PoolMeta

from trytond.modules.tv_callcenter.audit import AuditMixin


class Sale(AuditMixin, metaclass=PoolMeta):
    __name__ = 'sale.sale'


class SaleConfiguration(AuditMixin, metaclass=PoolMeta):
    __name__ = 'sale.configuration'


class Refund(AuditMixin, metaclass=PoolMeta):
    __name__ = 'sale.refund'


class Complaint(AuditMixin, metaclass=PoolMeta):
    __name__ = 'sale.complaint'


class Lead(AuditMixin, metaclass=PoolMeta):
    __name__ = 'tv.lead'
    # Callers' numbers: exported by those who distribute leads.
    _audit_export_groups = ('tv_callcenter.group_team_leader',)


class Task(AuditMixin, metaclass=PoolMeta):
    __name__ = 'tv.task'


class Consultation(AuditMixin, metaclass=PoolMeta):
    __name__ = 'tv.consultation'


class Channel(AuditMixin, metaclass=PoolMeta):
    __name__ = 'tv.channel'


class Media(AuditMixin, metaclass=PoolMeta):
    __name__ = 'tv.media'


class ProductTemplate(AuditMixin, metaclass=PoolMeta):
    "The catalogue: a TV price change is a business change"
    __name__ = 'product.template'
