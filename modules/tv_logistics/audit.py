# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The models of tv_logistics whose actions reach the audit log (操作日志,
tv_callcenter/audit.py): shipping batches (pick-up lists), tracking
imports, settlements, couriers and their templates; exports of the
statistics. Every file downloaded (download.FileWizard) is logged too."""
from trytond.pool import PoolMeta

from trytond.modules.tv_callcenter.audit import AuditExportMixin, AuditMixin


class ShippingBatch(AuditMixin, metaclass=PoolMeta):
    __name__ = 'tv.shipping.batch'
    # Names, phones and addresses of every parcel.
    _audit_export_groups = (
        'tv_logistics.group_logistics', 'tv_callcenter.group_manager')


class TrackingImport(AuditMixin, metaclass=PoolMeta):
    __name__ = 'tv.tracking.import'


class Settlement(AuditMixin, metaclass=PoolMeta):
    __name__ = 'tv.settlement'


class Carrier(AuditMixin, metaclass=PoolMeta):
    __name__ = 'carrier'


class ExportColumn(AuditMixin, metaclass=PoolMeta):
    __name__ = 'carrier.export.column'


class Overall(AuditExportMixin, metaclass=PoolMeta):
    __name__ = 'tv.statistics.overall'


class Product(AuditExportMixin, metaclass=PoolMeta):
    __name__ = 'tv.statistics.product'


class Media(AuditExportMixin, metaclass=PoolMeta):
    __name__ = 'tv.statistics.media'


class Employee(AuditExportMixin, metaclass=PoolMeta):
    __name__ = 'tv.statistics.employee'


class Courier(AuditExportMixin, metaclass=PoolMeta):
    __name__ = 'tv.statistics.courier'


class Region(AuditExportMixin, metaclass=PoolMeta):
    __name__ = 'tv.statistics.region'


class Finance(AuditExportMixin, metaclass=PoolMeta):
    __name__ = 'tv.statistics.finance'
