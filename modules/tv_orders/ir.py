# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def user_models(cls):
        """Orders, refunds, leads, tasks, consultations and complaints are
        seen per agent"""
        return super().user_models() | {
            'sale.sale', 'sale.refund', 'tv.lead', 'tv.task',
            'tv.consultation', 'sale.complaint'}


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('tv.lead|generate', "Turn Calls without Order into Leads"))


class UIMenu(metaclass=PoolMeta):
    __name__ = 'ir.ui.menu'

    @classmethod
    def replaced_menus(cls):
        "TV Shopping has its own customers and orders; managers keep products"
        return {
            **super().replaced_menus(),
            'party.menu_party': set(),
            'sale.menu_sale': set(),
            'product.menu_main_product': {'tv_callcenter.group_manager'},
            }
