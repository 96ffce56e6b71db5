# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta


class UIMenu(metaclass=PoolMeta):
    __name__ = 'ir.ui.menu'

    @classmethod
    def replaced_menus(cls):
        "Couriers (快递公司) are in Logistics & Finance"
        return {
            **super().replaced_menus(),
            'carrier.menu_carrier': set(),
            }
